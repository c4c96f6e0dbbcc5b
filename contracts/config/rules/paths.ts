// paths.<name> and hosts[].paths.<name>: host paths (P9).
import path from "node:path";
import { finding, formatPath, PathSeg, stackPatch } from "../findings";
import { hostPathProblem, isDnsLabel, isRecord, normalizeHostPath, systemDirProblem, unsafePathChars } from "../values";
import { hostsPatch } from "./hosts-patch";
import { empty, Raw, RuleResult } from "./types";

/** The roots the stack tails, creates or re-owns: never a system directory. */
export const ROOT_PATHS: readonly string[] = ["logsRoot", "telemetryRoot", "dataRoot"];

/**
 * paths.<name> and every host's paths.<name> override (schema v3): absolute, in normal form, no
 * characters that change meaning, roots outside the system trees (P9).
 */
export function rulePaths(raw: Raw): RuleResult {
  const out = empty();
  const project = isDnsLabel(raw.projectName) ? (raw.projectName as string) : "logging-bootstrap";
  checkPaths(raw.paths, ["paths"], project, out, (_at, fix) => stackPatch(_at, fix));
  if (Array.isArray(raw.hosts)) {
    raw.hosts.forEach((h, i) => {
      if (!isRecord(h)) return;
      checkPaths(h.paths, ["hosts", i, "paths"], project, out, (at, fix) => hostsPatch(raw, i, (x) => {
        if (isRecord(x.paths)) x.paths[String(at[at.length - 1])] = fix;
      }));
    });
  }
  return out;
}

function checkPaths(paths: unknown, prefix: PathSeg[], project: string, out: RuleResult, patch: (at: PathSeg[], fix: string) => string): void {
  if (!isRecord(paths)) return;
  for (const [name, v] of Object.entries(paths)) {
    if (typeof v !== "string") continue; // non-strings: the schema reports them
    const at = [...prefix, name];
    const shown = formatPath(at);
    const chars = unsafePathChars(v);
    if (chars !== undefined) {
      const fix = `/srv/${project}/${name}`;
      out.errors.push(finding("E_CONFIG_PATH_UNSAFE", at, `${shown} contains ${chars}; a host path of this stack is mounted, globbed and used in host commands, so it may hold none`, patch(at, fix)));
      continue;
    }
    const system = ROOT_PATHS.includes(name) && hostPathProblem(v) === undefined ? systemDirProblem(v) : undefined;
    if (system !== undefined) {
      out.errors.push(
        finding(
          "E_CONFIG_PATH_UNSAFE",
          at,
          `${shown}: ${system}; ${name === "dataRoot" ? "data directories are created and re-owned under it" : "Alloy ships every *.log file under it"}, so it must be a directory of this stack's own`,
          patch(at, `/srv/${project}/${name.replace(/Root$/, "")}`),
        ),
      );
      continue;
    }
    const problem = hostPathProblem(v);
    if (problem === undefined) continue;
    if (problem === "not-normal") {
      out.errors.push(finding("E_CONFIG_PATH_NOT_ABSOLUTE", at, `${shown} is ${JSON.stringify(v.slice(0, 200))}, which is not in normal form ('.', '..' or '//' segments); it resolves to ${normalizeHostPath(v)}, so write that`, patch(at, normalizeHostPath(v))));
      continue;
    }
    const rel = path.posix.normalize(v.replace(/\0/g, "")).replace(/^(\.\.\/)+/, "").replace(/^\.\/?/, "");
    const fix = path.posix.join("/srv", project, rel === "" ? name : rel);
    out.errors.push(finding("E_CONFIG_PATH_NOT_ABSOLUTE", at, `${shown} is ${JSON.stringify(v.slice(0, 200))}, a relative path; host paths must be absolute so they do not depend on the working directory`, patch(at, fix)));
  }
}
