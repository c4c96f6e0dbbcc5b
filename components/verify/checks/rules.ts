// L6 rules: every expected rule loaded by name within its group and healthy, and Prometheus's
// last configuration reload succeeded (a failed reload keeps serving the old rules: they would
// all look loaded).
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

/** Prometheus's own /metrics: `prometheus_config_last_reload_successful` is 1. */
async function reloadFindings(input: RulesInput, io: Io, diagnostics: Record<string, unknown>): Promise<string[]> {
  const res = await io.http({ url: joinUrl(input.prometheusUrl, "/metrics"), timeoutMs: input.timeoutMs });
  if (res.status !== 200) return [`prometheus /metrics: HTTP ${res.status}`];
  const v = metricValue(res.body, "prometheus_config_last_reload_successful");
  diagnostics.lastReloadSuccessful = v ?? null;
  if (v === undefined) return ["prometheus /metrics has no prometheus_config_last_reload_successful sample"];
  return v === 1 ? [] : ["Prometheus's last configuration reload failed (prometheus_config_last_reload_successful 0): it still serves the previous rules"];
}

export async function checkRules(input: RulesInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const expected = Object.fromEntries(Object.entries(input.expectedRules).sort(([a], [b]) => a.localeCompare(b)));
  const diagnostics: Record<string, unknown> = { url: joinUrl(input.prometheusUrl, "/api/v1/rules"), expected };
  const { last, attempts } = await retryUntil(io.clock, { deadlineMs: input.deadlineSeconds * 1000, maxAttempts: 30, backoff: { initialMs: 250, factor: 2, maxMs: 2000 } }, async () => {
    try {
      const res = await io.http({ url: diagnostics.url as string, timeoutMs: input.timeoutMs });
      const p = parseJson(res.body);
      if (res.status !== 200 || !p.ok || !isObj(p.value) || p.value.status !== "success" || !isObj(p.value.data) || !Array.isArray(p.value.data.groups)) {
        return { findings: [`prometheus rules API: HTTP ${res.status}, no status=success/data.groups`] };
      }
      const groups = p.value.data.groups.filter(isObj);
      diagnostics.groups = groups.map((g) => ({ name: g.name, rules: Array.isArray(g.rules) ? g.rules.filter(isObj).map((r) => ({ name: r.name, health: r.health, lastError: r.lastError || undefined })) : [] }));
      const findings: string[] = [];
      for (const [name, ruleNames] of Object.entries(expected)) {
        const g = groups.find((x) => x.name === name);
        if (!g) {
          findings.push(`rule group ${name} is not loaded`);
          continue;
        }
        const rules = Array.isArray(g.rules) ? g.rules.filter(isObj) : [];
        for (const r of [...ruleNames].sort()) if (!rules.some((x) => x.name === r)) findings.push(`rule ${r} is not loaded in group ${name}`);
        for (const r of rules) if (r.health !== "ok") findings.push(`rule ${String(r.name)} in group ${name} has health ${JSON.stringify(r.health)}`);
      }
      findings.push(...(await reloadFindings(input, io, diagnostics)));
      return { findings };
    } catch (e) {
      return { findings: [`prometheus API: no answer (${transportReason(e)})`] };
    }
  });
  diagnostics.attempts = attempts;
  return finish("L6", t0, io.clock, { findings: last.findings, diagnostics, redCode: "E_PROOF_RULES" });
}
