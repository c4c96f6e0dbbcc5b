// The names a stack file hands to Alloy and the proofs: container names, systemd units, label names.
import { finding, formatPath, PathSeg, show, stackPatch } from "../findings";
import { getAt, isContainerName, isDnsLabel, isLabelName, isRecord, isUnitName, toDnsLabel } from "../values";
import { hostsPatch } from "./hosts-patch";
import { empty, Raw, RuleResult } from "./types";

const LISTS: { path: [string, string]; valid: (v: unknown) => boolean; what: string; fix: (v: string, project: string) => string }[] = [
  {
    path: ["alloy", "dockerAllowlist"],
    valid: isContainerName,
    what: "a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
    fix: (v, project) => (isContainerName(toDnsLabel(v)) ? toDnsLabel(v) : `${project}-loki`),
  },
  {
    path: ["alloy", "journaldUnits"],
    valid: isUnitName,
    what: "a systemd unit name with its type (docker.service)",
    fix: (v) => {
      const base = v.replace(/[^A-Za-z0-9:_.@-]+/g, "").replace(/\.(service|socket|timer|target)$/, "");
      return `${base || "docker"}.service`;
    },
  },
  {
    path: ["verify", "requiredLabels"],
    valid: isLabelName,
    what: "a Loki label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)",
    fix: (v) => v.replace(/^_+/, "").replace(/[^a-zA-Z0-9_]+/g, "_").replace(/^([0-9])/, "_$1") || "job",
  },
];

/** Every entry of the allowlists (top-level and each host's override) and of verify.requiredLabels is a name of its kind. */
export function ruleNames(raw: Raw): RuleResult {
  const out = empty();
  const project = isDnsLabel(raw.projectName) ? (raw.projectName as string) : "logging-bootstrap";
  const hosts = Array.isArray(raw.hosts) ? raw.hosts : [];
  for (const l of LISTS) {
    const where: { at: PathSeg[]; patch: (fixed: unknown[]) => string }[] = [{ at: l.path, patch: (fixed) => stackPatch(l.path, fixed) }];
    if (l.path[0] === "alloy") {
      hosts.forEach((_h, hi) => {
        const at: PathSeg[] = ["hosts", hi, ...l.path];
        where.push({ at, patch: (fixed) => hostsPatch(raw, hi, (x) => isRecord(x.alloy) && (x.alloy[l.path[1]] = fixed)) });
      });
    }
    for (const w of where) {
      const list = getAt(raw, w.at);
      if (!Array.isArray(list)) continue; // absent or not a list: the schema or ruleAlloyAllowlists reports it
      list.forEach((v, i) => {
        if (typeof v !== "string" || l.valid(v)) return; // non-strings: the schema reports them
        const fixed = list.map((x) => (x === v ? l.fix(v, project) : x));
        out.errors.push(finding("E_CONFIG_NAME_INVALID", [...w.at, i], `${formatPath([...w.at, i])} ${show(v, 60)} is not ${l.what}`, w.patch(fixed)));
      });
    }
  }
  return out;
}
