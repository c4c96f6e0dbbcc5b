import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isDnsLabel, toDnsLabel } from "../../contracts/config/values";
import { msg } from "../lib/report";
import { str, TYPES } from "../lib/resources";

const KINDS: Record<string, string> = { [TYPES.container]: "Container", [TYPES.network]: "Network", [TYPES.volume]: "Volume" };

// Same predicate as the config lint's projectName rule (contracts/config/rules.ts isDnsLabel),
// applied to the names the program derives from it: they double as DNS names on the stack network.
export const namesDnsSafe: ResourceValidationPolicy = {
  name: "names-dns-safe",
  description: "Every Docker container, network and volume has an explicit name that is a DNS label (lowercase letters, digits and '-', 1-63 characters, no leading or trailing '-').",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const kind = KINDS[args.type];
    if (!kind) return args.notApplicable("applies to docker Container, Network and Volume only");
    const name = str(args.props.name);
    if (name === undefined || name === "") {
      report(msg(`${kind} ${args.name} has no explicit name, so Docker or Pulumi would invent one.`, "name it <projectName>-<service> as components/ does for every other resource"));
      return;
    }
    if (!isDnsLabel(name)) {
      report(msg(`${kind} name ${JSON.stringify(name)} is not a DNS label.`, `use a DNS-safe projectName in Pulumi.<stack>.yaml, e.g. ${JSON.stringify(toDnsLabel(name))}`));
    }
  },
};
