import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { hostPathProblem as pathProblem, normalizeHostPath } from "../../contracts/config/values";
import { msg } from "../lib/report";
import { displayName, hostMountsOf } from "../lib/resources";

/** Problems with one host path (the config lint's predicate): relative, or not in normal form. */
export function hostPathProblem(p: string): string | undefined {
  const problem = pathProblem(p);
  if (problem === "relative") return "is relative, so it depends on the Docker daemon's working directory";
  if (problem === "not-normal") return `is not in normal form (it resolves to ${normalizeHostPath(p)})`;
  return undefined;
}

// P9. Same predicate as the config lint's paths rule (contracts/config/rules.ts hostPathProblem),
// applied to every bind mount.
export const hostPathsAbsolute: ResourceValidationPolicy = {
  name: "host-paths-absolute",
  description: "Every host path bind-mounted into a container (volumes[].hostPath and bind mounts[].source) is an absolute path in normal form.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const who = displayName(c, args.name);
    for (const m of hostMountsOf(c)) {
      const problem = hostPathProblem(m.hostPath);
      if (problem) report(msg(`${who} ${m.where} ${JSON.stringify(m.hostPath)} ${problem}.`, "set an absolute path in paths.<name> of Pulumi.<stack>.yaml (e.g. /srv/<projectName>/logs)"));
    }
  }),
};
