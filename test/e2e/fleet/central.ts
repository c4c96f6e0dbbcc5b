// Which central containers a change of the stack file may replace: those whose rendered files
// differ between the two configs (a config file reaches a container through its uploads, so a
// changed file is a new container). Derived from the renderers the program deploys, so the fleet
// act's "nothing else on the central host was touched" follows the program, not a list.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SERVICES, type StackConfig } from "../../../contracts/config/schema";
import { loadConfigFile } from "../../../contracts/config/load";
import { configShas, renderFleetFiles, renderServiceFiles } from "../../../components/render";
import { containerName } from "../../../components/naming";
import { gatewayContainerName } from "../../../components/gateway";

type Cfg = Omit<StackConfig, "grafanaAdminPassword">;

const shas = (files: { path: string; sha256: string }[]) => JSON.stringify(files.map((f) => [f.path, f.sha256]).sort());

/** The central containers whose rendered files differ between `before` and `after`, sorted. */
export function centralContainersChangedBy(before: Cfg, after: Cfg): string[] {
  const a = configShas(renderServiceFiles(before as StackConfig));
  const b = configShas(renderServiceFiles(after as StackConfig));
  const out = SERVICES.filter((s) => JSON.stringify(a[s]) !== JSON.stringify(b[s])).map((s) => containerName(after as StackConfig, s));
  if (shas(renderFleetFiles(before as StackConfig).gateway) !== shas(renderFleetFiles(after as StackConfig).gateway)) out.push(gatewayContainerName(after));
  return out.sort();
}

/** centralContainersChangedBy for two stack file texts. */
export function centralContainersChangedByFiles(beforeText: string, afterText: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-fleet-central-"));
  try {
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return loadConfigFile(f);
    };
    return centralContainersChangedBy(write("Pulumi.before.yaml", beforeText), write("Pulumi.after.yaml", afterText));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
