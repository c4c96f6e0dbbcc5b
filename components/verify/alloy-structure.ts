// L4's structural check of the rendered Alloy config (P15), read with the project's one Alloy parser
// (contracts/alloy): the allowlists must admit exactly the configured names, and every source must
// forward through the configured number of redaction stages.
import { relabelFeeders, relabelRules, type RelabelRule } from "../../contracts/alloy/relabel";
import { type AlloyBlock, componentOf, parseAlloy, refsIn } from "../../contracts/alloy/syntax";
import { compileRe2 } from "../../contracts/config/redaction";

/** Does a keep rule on `sourceLabel` admit every allowlisted value and nothing unrelated? */
function keepRuleAllows(rule: RelabelRule, sourceLabel: string, values: string[]): { ok: boolean; why?: string } {
  if (rule.action !== "keep" || !rule.sourceLabels.includes(sourceLabel)) return { ok: false };
  const compiled = compileRe2(rule.regex);
  if (!compiled.ok) return { ok: false, why: `keep rule regex does not compile: ${compiled.error}` };
  // A full match: Alloy anchors relabel regexes at both ends.
  const admits = (v: string) => compiled.re.matches(v);
  const missing = values.filter((v) => !admits(v));
  if (missing.length > 0) return { ok: false, why: `keep rule does not admit ${missing.join(", ")}` };
  if (admits("/logging-bootstrap-not-allowlisted-0") || admits("logging-bootstrap-not-allowlisted-0")) {
    return { ok: false, why: "keep rule admits names outside the allowlist" };
  }
  return { ok: true };
}

export interface AlloyStructureInput {
  dockerAllowlist: string[];
  journaldUnits: string[];
  redactionCount: number;
}
export interface AlloyStructure {
  /** Problems that make L4 red (E_PROOF_LABEL_MISSING: an allowlist is absent or wrong). */
  errors: string[];
  /** True when the pipeline has at least `redactionCount` stage.replace stages (and one at least). */
  redactionStages: number;
  facts: { dockerSources: number; journalSources: number; fileSources: number };
}

/**
 * P15 on the rendered Alloy config: every Docker source is fed only through a keep rule on the
 * container name that admits exactly the allowlist; every journal source has relabel rules with a
 * keep rule on the systemd unit; every source forwards into a loki.process with the redaction stages.
 */
export function checkAlloyStructure(text: string, want: AlloyStructureInput): AlloyStructure {
  const errors: string[] = [];
  let blocks: AlloyBlock[];
  try {
    blocks = parseAlloy(text);
  } catch (e) {
    return { errors: [`alloy config does not parse: ${(e as Error).message}`], redactionStages: 0, facts: { dockerSources: 0, journalSources: 0, fileSources: 0 } };
  }
  const dockerSources = blocks.filter((b) => b.name === "loki.source.docker");
  const journalSources = blocks.filter((b) => b.name === "loki.source.journal");
  const fileSources = blocks.filter((b) => b.name === "loki.source.file");
  // Each source of a kind must read through a relabel component with a keep rule that admits exactly the allowlist.
  const limited = (sources: AlloyBlock[], label: string, values: string[], setting: string) => {
    for (const src of sources) {
      const rules = relabelFeeders(blocks, src).flatMap((f) => (f.component ? relabelRules(f.component) : []));
      const verdicts = rules.map((r) => keepRuleAllows(r, label, values));
      if (verdicts.some((v) => v.ok)) continue;
      const why = verdicts.find((v) => v.why)?.why;
      errors.push(`alloy: ${src.name} "${src.label}" is not limited to ${setting}${why ? ` (${why})` : ""}`);
    }
  };
  if (want.dockerAllowlist.length > 0 && dockerSources.length === 0) errors.push("alloy: dockerAllowlist is set but there is no loki.source.docker");
  limited(dockerSources, "__meta_docker_container_name", want.dockerAllowlist.map((n) => `/${n}`), "alloy.dockerAllowlist");
  if (want.journaldUnits.length > 0 && journalSources.length === 0) errors.push("alloy: journaldUnits is set but there is no loki.source.journal");
  limited(journalSources, "__journal__systemd_unit", want.journaldUnits, "alloy.journaldUnits");

  const processes = blocks.filter((b) => b.name === "loki.process");
  const stagesOf = (p: AlloyBlock) => p.blocks.filter((s) => s.name === "stage.replace").length;
  let redactionStages = Infinity;
  for (const src of [...dockerSources, ...journalSources, ...fileSources]) {
    const targets = refsIn(src.attrs.forward_to).map((r) => componentOf(blocks, r));
    const stages = targets.map((t) => (t && t.name === "loki.process" ? stagesOf(t) : 0));
    redactionStages = Math.min(redactionStages, stages.length ? Math.max(...stages) : 0);
  }
  if (!Number.isFinite(redactionStages)) redactionStages = processes.length ? Math.max(...processes.map(stagesOf)) : 0;
  if (want.redactionCount > 0 && redactionStages < want.redactionCount) {
    errors.push(`alloy: ${want.redactionCount} redaction(s) configured but a source forwards through only ${redactionStages} stage.replace stage(s)`);
  }
  return { errors, redactionStages, facts: { dockerSources: dockerSources.length, journalSources: journalSources.length, fileSources: fileSources.length } };
}
