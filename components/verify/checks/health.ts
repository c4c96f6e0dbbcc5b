// L1 health: every endpoint of the health contract answers as the contract says.
import { backoffMs, evaluateGreen, HealthEndpoint, RetryPolicy } from "../contract";
import type { Io, ProofResult } from "../types";
import { finish, joinUrl, probeHttp, ProbeSpec, transportReason } from "./common";

export interface HealthInput {
  service: string;
  /** Docker name; when given, a container that is not running is red at once (nothing to wait for). */
  container?: string;
  /** Host base URL (http://127.0.0.1:<published port>); absent: checked from inside via the probe. */
  baseUrl?: string;
  /** Used when baseUrl is absent: http://<alias>:<containerPort><path> from a probe container. */
  probe?: ProbeSpec & { alias: string };
  endpoints: HealthEndpoint[];
  policy: RetryPolicy;
  /** Pause between consecutive successes (a proof of stability, not of one lucky answer). */
  successIntervalMs?: number;
}

interface AttemptLog {
  attempt: number;
  status?: number;
  error?: string;
  findings: string[];
  ms: number;
}

async function healthEndpoint(io: Io, input: HealthInput, ep: HealthEndpoint): Promise<{ findings: string[]; log: AttemptLog[]; attempts: number; successes: number }> {
  const p = input.policy;
  const timeoutMs = ep.timeoutMs ?? p.timeoutMs;
  const deadlineMs = Math.max(p.deadlineSeconds, ep.startupGraceSeconds ?? 0) * 1000;
  const start = io.clock.now();
  const log: AttemptLog[] = [];
  let consecutive = 0;
  let failures = 0;
  let last: string[] = [];
  let attempt = 0;
  while (attempt < p.retries + p.consecutiveSuccesses) {
    attempt++;
    const t = io.clock.now();
    let findings: string[];
    let status: number | undefined;
    let error: string | undefined;
    try {
      if (input.baseUrl) {
        const res = await io.http({ method: "GET", url: joinUrl(input.baseUrl, ep.path), timeoutMs });
        status = res.status;
        findings = evaluateGreen(ep, res.status, res.body);
      } else if (input.probe) {
        const r = await probeHttp(io, input.probe, `http://${input.probe.alias}:${ep.containerPort}${ep.path}`, timeoutMs);
        status = r.status;
        error = r.error;
        findings = r.status === undefined ? [`${ep.id}: no answer from inside the stack network (${r.error})`] : evaluateGreen(ep, r.status, r.body);
      } else {
        findings = [`${ep.id}: neither a published port nor a probe to reach it`];
      }
    } catch (e) {
      error = transportReason(e);
      findings = [`${ep.id}: no answer (${error})`];
    }
    log.push({ attempt, status, error, findings, ms: io.clock.now() - t });
    if (log.length > 12) log.splice(1, 1); // keep the first and the latest attempts
    last = findings;
    if (findings.length === 0) {
      consecutive++;
      if (consecutive >= p.consecutiveSuccesses) return { findings: [], log, attempts: attempt, successes: consecutive };
      await io.clock.sleep(input.successIntervalMs ?? 100);
      continue;
    }
    consecutive = 0;
    failures++;
    if (failures > p.retries) break;
    const left = deadlineMs - (io.clock.now() - start);
    if (left <= 0) break;
    await io.clock.sleep(Math.min(backoffMs(p.backoff, failures), left));
  }
  return { findings: last.length ? last : [`${ep.id}: fewer than ${p.consecutiveSuccesses} consecutive successes`], log, attempts: attempt, successes: consecutive };
}

export async function checkHealth(input: HealthInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const diagnostics: Record<string, unknown> = { service: input.service, baseUrl: input.baseUrl ?? null };
  if (input.container) {
    const c = await io.docker.inspectContainer(input.container);
    diagnostics.container = c ? { name: c.name, state: c.state, health: c.health ?? null } : null;
    if (!c) return finish("L1", t0, io.clock, { findings: [`${input.service}: container ${input.container} does not exist`], diagnostics, redCode: "E_PROOF_HEALTH" });
    // A stopped container stays stopped (restart: unless-stopped); a restarting one may recover.
    if (!c.running && c.state !== "restarting") {
      return finish("L1", t0, io.clock, { findings: [`${input.service}: container ${input.container} is ${c.state}`], diagnostics, redCode: "E_PROOF_HEALTH" });
    }
  }
  const results = await Promise.all(input.endpoints.map((ep) => healthEndpoint(io, input, ep)));
  diagnostics.endpoints = Object.fromEntries(input.endpoints.map((ep, i) => [ep.id, { url: input.baseUrl ? joinUrl(input.baseUrl, ep.path) : `probe:${ep.path}`, attempts: results[i].attempts, consecutiveSuccesses: results[i].successes, log: results[i].log }]));
  const findings = results.flatMap((r) => r.findings.map((f) => `${input.service}: ${f}`));
  return finish("L1", t0, io.clock, { findings, diagnostics, redCode: "E_PROOF_HEALTH" });
}
