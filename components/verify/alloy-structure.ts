// L4's check of the Alloy pipeline (P15): the allowlists must admit exactly the configured names,
// and every source must forward through the configured redaction stages. Read from the running
// Alloy's component API when its port is published (checkRunningAlloy); otherwise, as a fallback
// that says so, from the rendered config with the project's one Alloy parser (checkAlloyStructure).
import { relabelFeeders, relabelRules, type RelabelRule } from "../../contracts/alloy/relabel";
import { type AlloyBlock, componentOf, parseAlloy, refsIn } from "../../contracts/alloy/syntax";
import { compileRe2, type RedactionLike } from "../../contracts/config/redaction";
import { type AlloyComponent, attrsOf, blocksOf, byLocalId, readAlloy } from "./alloy-components";
import type { Io } from "./types";

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

// ---- the running Alloy ----

/** What the pipeline check reports, whichever way it was read. */
export interface PipelineVerdict {
  /** How the pipeline was read: "running Alloy (component API)" or "static check of the rendered config". */
  mode: string;
  /** Absent, unhealthy or unlimited pipeline parts (E_PROOF_LABEL_MISSING). */
  errors: string[];
  /** Redaction stages that are not the configured ones (E_PROOF_REDACTION_FAILED). */
  redaction: string[];
  /** Containers or units the running relabelling lets through outside the allowlists (E_PROOF_ALLOWLIST_BREACH). */
  allowlist: string[];
  redactionStages: number;
  facts: Record<string, unknown>;
}

export const RUNNING_MODE = "running Alloy (component API)";
export const STATIC_MODE = "static check of the rendered config";

/** Components a rendered config declares: dotted top-level blocks (not `logging`, not import.*), by Alloy id. */
export function declaredComponents(blocks: AlloyBlock[]): string[] {
  return blocks.filter((b) => b.name.includes(".") && !b.name.startsWith("import.")).map((b) => (b.label !== undefined ? `${b.name}.${b.label}` : b.name));
}

/** A running rule block (alloyjson body) as the relabel model reads it (Alloy's defaults filled in). */
function runningRule(body: Parameters<typeof attrsOf>[0]): RelabelRule {
  const a = attrsOf(body);
  const sl = Array.isArray(a.source_labels) ? a.source_labels.filter((x): x is string => typeof x === "string") : [];
  return { action: typeof a.action === "string" ? a.action.toLowerCase() : "replace", sourceLabels: sl, regex: typeof a.regex === "string" ? a.regex : "(.*)" };
}

/** What checkRunningAlloy needs to know besides the running components. */
export interface RunningWant extends AlloyStructureInput {
  /** The rendered config: the components it declares must all run. */
  alloyConfig: string;
  redactions: Pick<RedactionLike, "name" | "pattern" | "replacement">[];
}

/** The component details checkRunningAlloy reads: relabel feeders of the sources and the processes they forward to. */
export function detailsWanted(list: AlloyComponent[]): string[] {
  const ids = byLocalId(list);
  const out: string[] = [];
  for (const c of ids.values()) {
    if (!c.name.startsWith("loki.source.")) continue;
    for (const r of c.referencesTo) {
      const t = ids.get(r);
      if (t && ["discovery.relabel", "loki.relabel", "loki.process"].includes(t.name)) out.push(r);
    }
  }
  return out;
}

/**
 * P15 on the running Alloy: every component the rendered config declares runs and is healthy;
 * every running Docker / journal source reads through a relabel component whose running keep rule
 * admits exactly the allowlist (and the Docker relabelling's output holds nothing else); every
 * running source forwards into a loki.process whose stage.replace stages are alloy.redactions.
 */
export function checkRunningAlloy(want: RunningWant, list: AlloyComponent[], details: Map<string, AlloyComponent>): PipelineVerdict {
  const errors: string[] = [];
  const redaction: string[] = [];
  const allowlist: string[] = [];
  const ids = byLocalId(list);
  let declared: string[] = [];
  try {
    declared = declaredComponents(parseAlloy(want.alloyConfig));
  } catch (e) {
    errors.push(`alloy config does not parse: ${(e as Error).message}`);
  }
  for (const id of declared) {
    const c = ids.get(id);
    if (!c) errors.push(`alloy: ${id} is in the rendered config but the running Alloy does not run it`);
    else if (c.health.state !== "healthy") errors.push(`alloy: ${id} is ${c.health.state}: ${c.health.message}`);
  }
  const running = (name: string) => [...ids.values()].filter((c) => c.name === name);
  const feeders = (src: AlloyComponent, names: string[]) => src.referencesTo.map((r) => details.get(r)).filter((d): d is AlloyComponent => d !== undefined && names.includes(d.name));
  const limited = (sources: AlloyComponent[], names: string[], label: string, values: string[], setting: string) => {
    for (const src of sources) {
      const verdicts = feeders(src, names).flatMap((f) => blocksOf(f.arguments, "rule").map((b) => keepRuleAllows(runningRule(b), label, values)));
      if (verdicts.some((v) => v.ok)) continue;
      const why = verdicts.find((v) => v.why)?.why;
      errors.push(`alloy: the running ${src.localID} is not limited to ${setting}${why ? ` (${why})` : ""}`);
    }
  };
  const docker = running("loki.source.docker");
  const journal = running("loki.source.journal");
  if (want.dockerAllowlist.length > 0 && docker.length === 0) errors.push("alloy: dockerAllowlist is set but the running Alloy has no loki.source.docker");
  limited(docker, ["discovery.relabel"], "__meta_docker_container_name", want.dockerAllowlist.map((n) => `/${n}`), "alloy.dockerAllowlist");
  if (want.journaldUnits.length > 0 && journal.length === 0) errors.push("alloy: journaldUnits is set but the running Alloy has no loki.source.journal");
  limited(journal, ["loki.relabel", "discovery.relabel"], "__journal__systemd_unit", want.journaldUnits, "alloy.journaldUnits");
  // What the Docker relabelling lets through right now: every target it outputs is allowlisted.
  for (const src of docker) {
    for (const f of feeders(src, ["discovery.relabel"])) {
      const out = attrsOf(f.exports).output;
      for (const t of Array.isArray(out) ? out : []) {
        const name = (t as Record<string, unknown>)?.__meta_docker_container_name;
        if (typeof name === "string" && !want.dockerAllowlist.includes(name.replace(/^\//, ""))) allowlist.push(`container ${JSON.stringify(name.replace(/^\//, ""))} passes the running ${f.localID}, but alloy.dockerAllowlist does not list it`);
      }
    }
  }
  // Redaction: the stage.replace stages each source's loki.process runs, against alloy.redactions.
  const wantStages = want.redactions.map((r) => JSON.stringify([r.pattern, r.replacement, ""]));
  let redactionStages = Infinity;
  for (const src of [...docker, ...journal, ...running("loki.source.file")]) {
    const procs = feeders(src, ["loki.process"]);
    const stageLists = procs.map((p) => blocksOf(p.arguments, "stage.replace").map((b) => attrsOf(b)).map((a) => JSON.stringify([a.expression ?? "", a.replace ?? "", a.source ?? ""])));
    redactionStages = Math.min(redactionStages, stageLists.length ? Math.max(...stageLists.map((l) => l.length)) : 0);
    if (want.redactions.length === 0 && stageLists.every((l) => l.length === 0)) continue;
    if (stageLists.some((l) => l.length === wantStages.length && l.every((x, i) => x === wantStages[i]))) continue;
    const runningNames = new Set(stageLists.flat());
    const differ = want.redactions.filter((_r, i) => !runningNames.has(wantStages[i])).map((r) => r.name);
    redaction.push(
      procs.length === 0
        ? `alloy: the running ${src.localID} forwards to no loki.process, so alloy.redactions are not applied to it`
        : `alloy: the loki.process stages the running ${src.localID} forwards through are not alloy.redactions${differ.length ? ` (not running as configured: ${differ.join(", ")})` : " (extra or reordered stage.replace stages)"}`,
    );
  }
  if (!Number.isFinite(redactionStages)) redactionStages = 0;
  const facts = { components: Object.fromEntries([...ids.values()].map((c) => [c.localID, c.health.state])), dockerSources: docker.length, journalSources: journal.length, fileSources: running("loki.source.file").length };
  return { mode: RUNNING_MODE, errors, redaction, allowlist, redactionStages, facts };
}

/**
 * L4's pipeline check: the running Alloy when `alloyUrl` is set (its component API must answer),
 * else the rendered config, labelled as the static check it is.
 */
export async function checkAlloyPipeline(want: RunningWant & { alloyUrl?: string; timeoutMs: number }, io: Io): Promise<PipelineVerdict> {
  if (!want.alloyUrl) {
    const s = checkAlloyStructure(want.alloyConfig, want);
    return { mode: STATIC_MODE, errors: s.errors, redaction: [], allowlist: [], redactionStages: s.redactionStages, facts: s.facts };
  }
  const read = await readAlloy(want.alloyUrl, io, want.timeoutMs, detailsWanted);
  if (!read.ok) return { mode: RUNNING_MODE, errors: [`alloy: ${read.problem}`], redaction: [], allowlist: [], redactionStages: 0, facts: {} };
  return checkRunningAlloy(want, read.list, read.details);
}
