import * as path from "path";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isAbsolutePath } from "../../contracts/config/rules";
import { msg } from "../lib/report";
import { displayName, hostMountsOf, TYPES } from "../lib/resources";

/** Problems with one host path: relative, or not in normal form (`.`/`..` segments, `//`). */
export function hostPathProblem(p: string): string | undefined {
  if (!isAbsolutePath(p)) return "is relative, so it depends on the Docker daemon's working directory";
  if (path.posix.normalize(p) !== p.replace(/(.)\/+$/, "$1")) return `is not in normal form (it resolves to ${path.posix.normalize(p)})`;
  return undefined;
}

// P9. Same predicate as the config lint's paths rule (isAbsolutePath), applied to every bind mount.
export const hostPathsAbsolute: ResourceValidationPolicy = {
  name: "host-paths-absolute",
  description: "Every host path bind-mounted into a container (volumes[].hostPath and bind mounts[].source) is an absolute path in normal form.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.container) return args.notApplicable(`applies to ${TYPES.container} only`);
    const who = displayName(args.props, args.name);
    for (const m of hostMountsOf(args.props)) {
      const problem = hostPathProblem(m.hostPath);
      if (problem) report(msg(`${who} ${m.where} ${JSON.stringify(m.hostPath)} ${problem}.`, "set an absolute path in paths.<name> of Pulumi.<stack>.yaml (e.g. /srv/<projectName>/logs)"));
    }
  },
};
