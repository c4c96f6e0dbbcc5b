// The names a stack file hands to Alloy and the proofs: container names, systemd units, label names.
import { finding, show, stackPatch } from "../findings";
import { getAt, isContainerName, isDnsLabel, isLabelName, isUnitName, toDnsLabel } from "../values";
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

/** Every entry of the allowlists and of verify.requiredLabels is a name of its kind. */
export function ruleNames(raw: Raw): RuleResult {
  const out = empty();
  const project = isDnsLabel(raw.projectName) ? (raw.projectName as string) : "logging-bootstrap";
  for (const l of LISTS) {
    const list = getAt(raw, l.path);
    if (!Array.isArray(list)) continue; // absent or not a list: the schema or ruleAlloyAllowlists reports it
    list.forEach((v, i) => {
      if (typeof v !== "string" || l.valid(v)) return; // non-strings: the schema reports them
      const fixed = list.map((x) => (x === v ? l.fix(v, project) : x));
      out.errors.push(finding("E_CONFIG_NAME_INVALID", [...l.path, i], `${l.path.join(".")}[${i}] ${show(v, 60)} is not ${l.what}`, stackPatch(l.path, fixed)));
    });
  }
  return out;
}
