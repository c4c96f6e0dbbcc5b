// logging-bootstrap: load and validate the stack config (no resource is declared before the
// config contract passes), build the stack, export its outputs.
// The program is exported as a function: `pulumi up` calls it and uses the result as stack outputs,
// and `npm run -s render` (scripts/lib/evaluate.ts) can run it more than once in one process.
import { loadStackConfig, runtimePinsNeedingDigests } from "./contracts/config/pulumi";
import { engineDigests } from "./components/image-digests";
import { assertImagesPresent } from "./components/service";
import { ObservabilityStack } from "./components/stack";

export = async () => {
  // requireImageDigests refuses a tag-only pin; the engine's digest (where it has the image) is the fix.
  const digests = await engineDigests(runtimePinsNeedingDigests());
  const { config, grafanaAdminPassword, alertingSecrets, hostSecrets } = loadStackConfig({ digests });
  // offlineMode: prove every image is local before declaring anything (nothing may be pulled).
  if (config.offlineMode) await assertImagesPresent(config);
  const stack = new ObservabilityStack(config.projectName, { config, grafanaAdminPassword, alertingSecrets, hostSecrets });
  return stack.outputs();
};
