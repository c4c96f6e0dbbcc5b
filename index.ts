// logging-bootstrap: load and validate the stack config (no resource is declared before the
// config contract passes), build the stack, export its outputs.
// The program is exported as a function: `pulumi up` calls it and uses the result as stack outputs,
// and `npm run -s render` (scripts/lib/evaluate.ts) can run it more than once in one process.
import { loadStackConfig } from "./contracts/config/pulumi";
import { assertImagesPresent } from "./components/service";
import { ObservabilityStack } from "./components/stack";

export = async () => {
  const { config, grafanaAdminPassword, alertingSecrets } = loadStackConfig();
  // offlineMode: prove every image is local before declaring anything (nothing may be pulled).
  if (config.offlineMode) await assertImagesPresent(config);
  const stack = new ObservabilityStack(config.projectName, { config, grafanaAdminPassword, alertingSecrets });
  return stack.outputs();
};
