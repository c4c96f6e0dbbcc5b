// How a log source in an Alloy config is wired to its relabel rules, read the same way by the
// alloy-allowlists policy and L4: Docker sources take `targets` from a discovery.relabel's
// `output`, journal sources take `relabel_rules` from a relabel component's `rules`.
import { type AlloyBlock, componentOf, refsIn, stringsIn } from "./syntax";

export interface RelabelRule {
  /** Alloy's default is "replace". */
  action: string;
  sourceLabels: string[];
  /** Alloy's default is "(.*)"; relabel regexes are fully anchored RE2. */
  regex: string;
}

/** The `rule` blocks of a relabel component, with Alloy's defaults filled in. */
export function relabelRules(component: AlloyBlock): RelabelRule[] {
  return component.blocks
    .filter((b) => b.name === "rule")
    .map((r) => ({
      action: (stringsIn(r.attrs.action)[0] ?? "replace").toLowerCase(),
      sourceLabels: stringsIn(r.attrs.source_labels),
      regex: typeof r.attrs.regex === "string" ? r.attrs.regex : "(.*)",
    }));
}

export interface Feeder {
  /** The reference as written, e.g. `discovery.relabel.docker_allowlist.output`. */
  ref: string;
  /** The relabel component it names; undefined when no such component is declared. */
  component?: AlloyBlock;
}

const FEEDS: Record<string, { attr: string; ref: RegExp }> = {
  "loki.source.docker": { attr: "targets", ref: /^discovery\.relabel\.[^.]+\.output$/ },
  "loki.source.journal": { attr: "relabel_rules", ref: /^(loki|discovery)\.relabel\.[^.]+\.rules$/ },
};

/** The relabel components a Docker or journal source reads its targets or rules from. */
export function relabelFeeders(blocks: AlloyBlock[], source: AlloyBlock): Feeder[] {
  const feed = FEEDS[source.name];
  if (!feed) return [];
  return refsIn(source.attrs[feed.attr])
    .filter((ref) => feed.ref.test(ref))
    .map((ref) => ({ ref, component: componentOf(blocks, ref) }));
}
