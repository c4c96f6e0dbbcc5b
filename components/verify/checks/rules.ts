// L6 rules: every expected rule loaded by name within its group and healthy, and Prometheus's
// last configuration reload succeeded (a failed reload keeps serving the old rules: they would
// all look loaded).
//
// A rule's health is "unknown" until its group's first evaluation (up to one group interval after
// a start or reload). A rule that does not parse never loads (the reload fails and the group is
// missing: red at once); what only an evaluation shows ("err") is red as soon as it shows. So a
// rule that is loaded and not yet evaluated (health "unknown" with Prometheus's zero
// lastEvaluation) is accepted, listed in the diagnostics, not in the findings, for as long as
// its group can still be waiting for a first evaluation: two of its intervals plus a grace after
// the last successful reload (prometheus_config_last_reload_success_timestamp_seconds). Past
// that, or without those fields (an older API), "unknown" is a finding and is waited out until
// the deadline, as before. The same rule holds at apply, refresh and verify: on a healthy stack
// the verdict (green, no findings) is the same whether the first evaluation happened yet or not,
// so a refresh right after an apply records no change.
import { metricValue } from "../contract";
import type { Io, ProofResult } from "../types";
import { finish, isObj, joinUrl, parseJson, retryUntil, transportReason } from "./common";

export interface RulesInput {
  prometheusUrl: string;
  /** group name -> the names (alert or record) of its rules, as rendered. */
  expectedRules: Record<string, string[]>;
  /** Rules report health "unknown" until their first evaluation: wait for it up to this long. */
  deadlineSeconds: number;
  timeoutMs: number;
}

/** How long after a reload a group may still be waiting for its first evaluation, beyond two intervals. */
export const FIRST_EVALUATION_GRACE_SECONDS = 10;

/** Prometheus's zero time: what lastEvaluation says before a rule's first evaluation. */
export function neverEvaluated(lastEvaluation: unknown): boolean {
  return typeof lastEvaluation === "string" && lastEvaluation.startsWith("0001-01-01T00:00:00");
}

interface Reload {
  findings: string[];
  /** Seconds since the last successful reload, on the caller's clock (undefined: not reported). */
  sinceReloadSeconds?: number;
}

/** Prometheus's own /metrics: `prometheus_config_last_reload_successful` is 1; when it last succeeded. */
async function readReload(input: RulesInput, io: Io, diagnostics: Record<string, unknown>): Promise<Reload> {
  const res = await io.http({ url: joinUrl(input.prometheusUrl, "/metrics"), timeoutMs: input.timeoutMs });
  if (res.status !== 200) return { findings: [`prometheus /metrics: HTTP ${res.status}`] };
  const v = metricValue(res.body, "prometheus_config_last_reload_successful");
  diagnostics.lastReloadSuccessful = v ?? null;
  const at = metricValue(res.body, "prometheus_config_last_reload_success_timestamp_seconds");
  const sinceReloadSeconds = at !== undefined && Number.isFinite(at) && at > 0 ? Math.max(0, io.clock.now() / 1000 - at) : undefined;
  if (v === undefined) return { findings: ["prometheus /metrics has no prometheus_config_last_reload_successful sample"], sinceReloadSeconds };
  return { findings: v === 1 ? [] : ["Prometheus's last configuration reload failed (prometheus_config_last_reload_successful 0): it still serves the previous rules"], sinceReloadSeconds };
}

/** Whether an "unknown" rule of a group with this interval is still only waiting for its first evaluation. */
export function awaitingFirstEvaluation(rule: Record<string, unknown>, intervalSeconds: unknown, sinceReloadSeconds: number | undefined): boolean {
  if (rule.health !== "unknown" || !neverEvaluated(rule.lastEvaluation)) return false;
  if (typeof intervalSeconds !== "number" || !Number.isFinite(intervalSeconds) || intervalSeconds <= 0 || sinceReloadSeconds === undefined) return false;
  return sinceReloadSeconds <= 2 * intervalSeconds + FIRST_EVALUATION_GRACE_SECONDS;
}

export async function checkRules(input: RulesInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const expected = Object.fromEntries(Object.entries(input.expectedRules).sort(([a], [b]) => a.localeCompare(b)));
  const diagnostics: Record<string, unknown> = { url: joinUrl(input.prometheusUrl, "/api/v1/rules"), expected };
  const { last, attempts } = await retryUntil(io.clock, { deadlineMs: input.deadlineSeconds * 1000, maxAttempts: 30, backoff: { initialMs: 250, factor: 2, maxMs: 2000 } }, async () => {
    try {
      const [res, reload] = await Promise.all([io.http({ url: diagnostics.url as string, timeoutMs: input.timeoutMs }), readReload(input, io, diagnostics)]);
      const p = parseJson(res.body);
      if (res.status !== 200 || !p.ok || !isObj(p.value) || p.value.status !== "success" || !isObj(p.value.data) || !Array.isArray(p.value.data.groups)) {
        return { findings: [`prometheus rules API: HTTP ${res.status}, no status=success/data.groups`] };
      }
      const groups = p.value.data.groups.filter(isObj);
      diagnostics.groups = groups.map((g) => ({ name: g.name, rules: Array.isArray(g.rules) ? g.rules.filter(isObj).map((r) => ({ name: r.name, health: r.health, lastError: r.lastError || undefined })) : [] }));
      const findings: string[] = [];
      const unevaluated: string[] = [];
      for (const [name, ruleNames] of Object.entries(expected)) {
        const g = groups.find((x) => x.name === name);
        if (!g) {
          findings.push(`rule group ${name} is not loaded`);
          continue;
        }
        const rules = Array.isArray(g.rules) ? g.rules.filter(isObj) : [];
        for (const r of [...ruleNames].sort()) if (!rules.some((x) => x.name === r)) findings.push(`rule ${r} is not loaded in group ${name}`);
        for (const r of rules) {
          if (r.health === "ok") continue;
          if (awaitingFirstEvaluation(r, g.interval, reload.sinceReloadSeconds)) unevaluated.push(`${name}/${String(r.name)}`);
          else findings.push(`rule ${String(r.name)} in group ${name} has health ${JSON.stringify(r.health)}`);
        }
      }
      diagnostics.notYetEvaluated = unevaluated;
      if (reload.sinceReloadSeconds !== undefined) diagnostics.secondsSinceReload = Math.round(reload.sinceReloadSeconds);
      findings.push(...reload.findings);
      return { findings };
    } catch (e) {
      return { findings: [`prometheus API: no answer (${transportReason(e)})`] };
    }
  });
  diagnostics.attempts = attempts;
  return finish("L6", t0, io.clock, { findings: last.findings, diagnostics, redCode: "E_PROOF_RULES" });
}
