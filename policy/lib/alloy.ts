// The alloy-allowlists policy's reading of an Alloy config (P15). The parsing is the project's one
// Alloy parser (contracts/alloy), so comments, strings, nesting and references are read as Alloy
// reads them: a commented-out keep rule is no rule, a name inside a string is no reference, and a
// keep rule in a component no source reads filters nothing. The policy does not need the exact
// allowlist (L4 checks that against the stack config); it needs a keep rule that narrows.
import { relabelFeeders, relabelRules } from "../../contracts/alloy/relabel";
import { type AlloyBlock, AlloySyntaxError, parseAlloy, stringsIn } from "../../contracts/alloy/syntax";

export interface Verdict {
  ok: boolean;
  reason?: string;
}

export interface AlloyVerdict {
  /** The config parses as Alloy syntax; when it does not, the other three are not judged. */
  syntax: Verdict;
  dockerAllowlist: Verdict;
  journalAllowlist: Verdict;
  redaction: Verdict;
}

const MATCH_ALL = new Set(["", ".*", ".+", "(.*)", "(.+)", "^.*$", "^.+$", "(?s).*"]);

/** A keep rule on `label` whose regex actually narrows (a match-all regex allows everything). */
export function hasAllowlistRule(component: AlloyBlock, label: string): Verdict {
  const keeps = relabelRules(component).filter((r) => r.action === "keep" && r.sourceLabels.includes(label));
  if (keeps.length === 0) return { ok: false, reason: `has no rule with action = "keep" on source_labels ["${label}"]` };
  if (keeps.every((r) => MATCH_ALL.has(r.regex.trim()))) return { ok: false, reason: `keeps ${label} with a match-all regex, which allows everything` };
  return { ok: true };
}

interface SourceKind {
  source: string;
  label: string;
  /** What it means when there is no such source, or when a source has no relabel feeder. */
  none: string;
  unbound: (source: string) => string;
  via: (kind: string, label: string, source: string) => string;
}

const DOCKER: SourceKind = {
  source: "loki.source.docker",
  label: "__meta_docker_container_name",
  none: "there is no loki.source.docker component, so no Docker container allowlist is declared",
  unbound: (s) => `loki.source.docker "${s}" does not take its targets from a discovery.relabel component's output, so every container's logs are read`,
  via: (kind, label, s) => `${kind} "${label}" read by loki.source.docker "${s}"`,
};
const JOURNAL: SourceKind = {
  source: "loki.source.journal",
  label: "__journal__systemd_unit",
  none: "there is no loki.source.journal component, so no journald unit allowlist is declared",
  unbound: (s) => `loki.source.journal "${s}" has no relabel_rules from a relabel component, so every unit's journal is read`,
  via: (kind, label, s) => `${kind} "${label}" used as relabel_rules of loki.source.journal "${s}"`,
};

/** Every source of a kind reads only through relabel components that keep an allowlist. */
function allowlisted(blocks: AlloyBlock[], kind: SourceKind): Verdict {
  const sources = blocks.filter((b) => b.name === kind.source);
  if (sources.length === 0) return { ok: false, reason: kind.none };
  for (const s of sources) {
    const feeders = relabelFeeders(blocks, s);
    if (feeders.length === 0) return { ok: false, reason: kind.unbound(s.label ?? "") };
    for (const f of feeders) {
      const v = f.component ? hasAllowlistRule(f.component, kind.label) : { ok: false, reason: "is not defined" };
      const [a, b, label] = f.ref.split(".");
      if (!v.ok) return { ok: false, reason: `${kind.via(`${a}.${b}`, label, s.label ?? "")} ${v.reason}` };
    }
  }
  return { ok: true };
}

/** Check the three P15 properties of an Alloy config. */
export function checkAlloyConfig(src: string): AlloyVerdict {
  let blocks: AlloyBlock[];
  try {
    blocks = parseAlloy(src);
  } catch (e) {
    if (!(e instanceof AlloySyntaxError)) throw e;
    const unjudged = { ok: false, reason: "cannot be judged: the config does not parse" };
    return { syntax: { ok: false, reason: `does not parse (${e.message}), so Alloy refuses to start with it` }, dockerAllowlist: unjudged, journalAllowlist: unjudged, redaction: unjudged };
  }
  const replaces = blocks.filter((b) => b.name === "loki.process").flatMap((p) => p.blocks.filter((s) => s.name === "stage.replace"));
  const redaction = replaces.some((r) => stringsIn(r.attrs.expression).some((e) => e !== ""))
    ? { ok: true }
    : { ok: false, reason: "no loki.process component has a stage.replace with an expression, so secrets in log lines are shipped as they are" };
  return { syntax: { ok: true }, dockerAllowlist: allowlisted(blocks, DOCKER), journalAllowlist: allowlisted(blocks, JOURNAL), redaction };
}
