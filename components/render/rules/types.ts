// The rule library's types and the few helpers every area uses. Pure data: no I/O, no Pulumi.
import type { StackConfig } from "../../../contracts/config/schema";
import { SERVICES } from "../../../contracts/config/schema";
import { KEBAB } from "../../defaults";

/** Alertmanager routes on this label; `info` is for Watchdog only. */
export type Severity = "critical" | "warning" | "info";

export interface AlertRule {
  alert: string;
  expr: string;
  /** Omitted: fires on the first evaluation where the expression returns something. */
  for?: string;
  labels: { severity: Severity };
  annotations: {
    /** One line, with the labels that identify what is wrong. */
    summary: string;
    /** Runbook: what it means, likely causes, what to check (exact commands/queries), what to do. */
    description: string;
  };
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroup<R extends AlertRule | RecordingRule = AlertRule | RecordingRule> {
  name: string;
  /** Omitted: the global evaluation_interval (15s, prometheus.ts). */
  interval?: string;
  rules: R[];
}

export const isAlert = (r: AlertRule | RecordingRule): r is AlertRule => "alert" in r;

/** Scrape job names the rules select on (../jobs.ts). */
export { JOB } from "../jobs";

/** Multi-line PromQL/text written indented in the source: common indentation and outer blank lines removed. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n+|\s+$/g, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join("\n");
}

/** A runbook-style description, the same shape for every alert. */
export function runbook(r: { means: string; causes: string; check: string[]; fix: string }): string {
  return [r.means, `Likely causes: ${r.causes}`, "Check:", ...r.check.map((c) => `- ${c}`), `Fix: ${r.fix}`].join("\n");
}

/** A string literal for a PromQL regex matcher: RE2 metacharacters escaped, then PromQL-string escaped. */
export function promRegexLiteral(alternatives: string[]): string {
  const re = alternatives.map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  return JSON.stringify(re);
}

/** This stack's container names (`<projectName>-<kebab service>`, as components/service.ts names them). */
export function stackContainerNames(cfg: StackConfig): string[] {
  return SERVICES.map((s) => `${cfg.projectName}-${KEBAB[s]}`);
}
