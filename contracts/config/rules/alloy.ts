// alloy.*: what Alloy reads and what it redacts (P15).
import { finding, stackPatch } from "../findings";
import { redactionProblems } from "../redaction";
import { isDnsLabel, isRecord } from "../values";
import { hostsPatch } from "./hosts-patch";
import { empty, Raw, RuleResult } from "./types";

/**
 * alloy.dockerAllowlist and alloy.journaldUnits are non-empty (P15). Without them the rendered
 * Alloy config has no allowlisted source, which the mandatory alloy-allowlists policy blocks; the
 * lint says so first, with a patch, instead of letting `pulumi preview` fail later.
 */
export function ruleAlloyAllowlists(raw: Raw): RuleResult {
  const out = empty();
  const alloy = raw.alloy === undefined ? {} : raw.alloy;
  if (!isRecord(alloy)) return out; // the schema reports a non-mapping
  const project = isDnsLabel(raw.projectName) ? (raw.projectName as string) : "logging-bootstrap";
  const examples: Record<string, { value: string[]; what: string }> = {
    dockerAllowlist: { value: ["grafana", "loki", "prometheus"].map((s) => `${project}-${s}`), what: "the Docker containers (exact names) whose logs Alloy ships" },
    journaldUnits: { value: ["docker.service"], what: "the systemd units whose journal entries Alloy ships" },
  };
  for (const [key, ex] of Object.entries(examples)) {
    const v = alloy[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) continue; // non-lists: the schema reports them
    out.errors.push(
      finding(
        "E_CONFIG_MISSING_KEY",
        ["alloy", key],
        `alloy.${key} is ${v === undefined ? "missing" : "empty"}; list ${ex.what}, so Alloy reads only what is allowlisted (P15; the alloy-allowlists policy refuses a config without it)`,
        stackPatch(["alloy", key], ex.value),
      ),
    );
  }
  // A host's override replaces the list on that host: empty there means nothing allowlisted there.
  if (Array.isArray(raw.hosts)) {
    raw.hosts.forEach((h, i) => {
      if (!isRecord(h) || !isRecord(h.alloy)) return;
      for (const [key, ex] of Object.entries(examples)) {
        const v = h.alloy[key];
        if (!(Array.isArray(v) && v.length === 0)) continue;
        out.errors.push(
          finding(
            "E_CONFIG_MISSING_KEY",
            ["hosts", i, "alloy", key],
            `hosts[${i}].alloy.${key} is empty: on that host Alloy would read nothing allowlisted (P15); list ${ex.what} there, or delete the override to use alloy.${key}`,
            hostsPatch(raw, i, (x) => isRecord(x.alloy) && delete x.alloy[key], `uses alloy.${key}; or list the names for this host`),
          ),
        );
      }
    });
  }
  return out;
}

/**
 * alloy.redactions: each pattern compiles as RE2 (Alloy refuses anything else at load), has a
 * capture group (Alloy replaces only groups), and its replacement is a literal or a {{ .Value }}
 * template (Alloy skips a stage whose template fails). A `canary` (an example line the pattern
 * must redact) lets the ingestion proof show redaction in Loki itself; without one the redaction is
 * unproven, a warning.
 */
export function ruleRedactions(raw: Raw): RuleResult {
  const out = empty();
  const list = isRecord(raw.alloy) ? raw.alloy.redactions : undefined;
  if (!Array.isArray(list)) return out;
  list.forEach((r, i) => {
    if (!isRecord(r) || typeof r.pattern !== "string" || typeof r.name !== "string") return; // the schema reports the shape
    const replacement = typeof r.replacement === "string" ? r.replacement : "***REDACTED***";
    const canary = typeof r.canary === "string" ? r.canary : undefined;
    const problems = redactionProblems({ name: r.name, pattern: r.pattern, replacement, canary });
    const at = ["alloy", "redactions", i];
    if (problems.length) {
      out.errors.push(
        finding("E_CONFIG_REDACTION_INVALID", at, `alloy.redactions[${i}] (${r.name}): ${problems.join("; ")}`, stackPatch(["alloy", "redactions"], [EXAMPLE_REDACTION], "a redaction whose secret part is a capture group, with a canary it redacts")),
      );
    } else if (canary === undefined) {
      out.warnings.push(
        finding(
          "E_CONFIG_REDACTION_UNPROVEN",
          [...at, "canary"],
          `alloy.redactions[${i}] (${r.name}) has no canary: the ingestion proof cannot show that Alloy redacts it, and L4 stays a warning`,
          stackPatch([...at, "canary"], "<a line this pattern must redact, e.g. password=hunter2>"),
        ),
      );
    }
  });
  return out;
}

const EXAMPLE_REDACTION = { name: "password_kv", pattern: "(?i)password=([^\\s&]+)", replacement: "***REDACTED***", canary: "password=canary-not-a-secret" };
