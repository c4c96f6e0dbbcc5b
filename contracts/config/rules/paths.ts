// paths.<name>: host paths (P9).
import path from "node:path";
import { finding, stackPatch } from "../findings";
import { hostPathProblem, isDnsLabel, isRecord, normalizeHostPath, systemDirProblem, unsafePathChars } from "../values";
import { empty, Raw, RuleResult } from "./types";

/** The roots the stack tails, creates or re-owns: never a system directory. */
export const ROOT_PATHS: readonly string[] = ["logsRoot", "telemetryRoot", "dataRoot"];

/** paths.<name>: absolute, in normal form, no characters that change meaning, roots outside the system trees (P9). */
export function rulePaths(raw: Raw): RuleResult {
  const out = empty();
  const paths = raw.paths;
  if (!isRecord(paths)) return out;
  const project = isDnsLabel(raw.projectName) ? (raw.projectName as string) : "logging-bootstrap";
  for (const [name, v] of Object.entries(paths)) {
    if (typeof v !== "string") continue; // non-strings: the schema reports them
    const chars = unsafePathChars(v);
    if (chars !== undefined) {
      const fix = `/srv/${project}/${name}`;
      out.errors.push(finding("E_CONFIG_PATH_UNSAFE", ["paths", name], `paths.${name} contains ${chars}; a host path of this stack is mounted, globbed and used in host commands, so it may hold none`, stackPatch(["paths", name], fix)));
      continue;
    }
    const system = ROOT_PATHS.includes(name) && hostPathProblem(v) === undefined ? systemDirProblem(v) : undefined;
    if (system !== undefined) {
      out.errors.push(
        finding(
          "E_CONFIG_PATH_UNSAFE",
          ["paths", name],
          `paths.${name}: ${system}; ${name === "dataRoot" ? "data directories are created and re-owned under it" : "Alloy ships every *.log file under it"}, so it must be a directory of this stack's own`,
          stackPatch(["paths", name], `/srv/${project}/${name.replace(/Root$/, "")}`),
        ),
      );
      continue;
    }
    const problem = hostPathProblem(v);
    if (problem === undefined) continue;
    if (problem === "not-normal") {
      out.errors.push(
        finding("E_CONFIG_PATH_NOT_ABSOLUTE", ["paths", name], `paths.${name} is ${JSON.stringify(v.slice(0, 200))}, which is not in normal form ('.', '..' or '//' segments); it resolves to ${normalizeHostPath(v)}, so write that`, stackPatch(["paths", name], normalizeHostPath(v))),
      );
      continue;
    }
    const rel = path.posix.normalize(v.replace(/\0/g, "")).replace(/^(\.\.\/)+/, "").replace(/^\.\/?/, "");
    const fix = path.posix.join("/srv", project, rel === "" ? name : rel);
    out.errors.push(
      finding("E_CONFIG_PATH_NOT_ABSOLUTE", ["paths", name], `paths.${name} is ${JSON.stringify(v.slice(0, 200))}, a relative path; host paths must be absolute so they do not depend on the working directory`, stackPatch(["paths", name], fix)),
    );
  }
  return out;
}
