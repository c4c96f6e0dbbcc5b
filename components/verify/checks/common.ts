// What every level's check shares: the verdict, transport errors, JSON, bounded retries, the probe.
// Every answer is parsed and its fields asserted (P13); every loop is bounded in attempts and wall
// clock (P14). No check throws for a red result; only programming errors escape.
import type { ErrorCode } from "../../../contracts/errors";
import { LABEL_PROJECT } from "../../../contracts/plan";
import { backoffMs, RetryPolicy } from "../contract";
import type { Clock, Io, Level, ProofResult, ProofStatus } from "../types";


export function finish(
  level: Level,
  t0: number,
  clock: Clock,
  o: { findings: string[]; diagnostics: Record<string, unknown>; redCode: ErrorCode; warn?: { code: ErrorCode; findings: string[] }; outputs?: Record<string, unknown> },
): ProofResult {
  const durationMs = clock.now() - t0;
  let status: ProofStatus = "green";
  let code: ErrorCode | undefined;
  let findings = o.findings;
  if (findings.length > 0) {
    status = "red";
    code = o.redCode;
  } else if (o.warn) {
    status = "warn";
    code = o.warn.code;
    findings = o.warn.findings;
  }
  const r: ProofResult = { level, status, durationMs, findings, diagnostics: o.diagnostics };
  if (code) r.code = code;
  if (o.outputs) r.outputs = o.outputs;
  return r;
}

/** A transport error as a stable short reason (error code, not the full message with addresses). */
export function transportReason(e: unknown): string {
  const err = e as { code?: unknown; name?: string; cause?: { code?: unknown }; message?: string };
  // AbortSignal.timeout() rejects with a DOMException whose numeric legacy code (23) says nothing.
  if (err?.name === "TimeoutError" || err?.name === "AbortError") return "timeout";
  const code = err?.cause?.code ?? err?.code;
  if (typeof code === "string" && code !== "") return code;
  return err?.message ?? String(e);
}

export function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

/** Run `attempt` until it returns no findings or `stop`, `maxAttempts` is used up or the deadline passes. */
export async function retryUntil<T extends { findings: string[]; stop?: boolean }>(
  clock: Clock,
  opts: { deadlineMs: number; maxAttempts: number; backoff: RetryPolicy["backoff"] },
  attempt: (n: number) => Promise<T>,
): Promise<{ last: T; attempts: number }> {
  const start = clock.now();
  let n = 0;
  for (;;) {
    n++;
    const last = await attempt(n);
    if (last.findings.length === 0 || last.stop || n >= opts.maxAttempts) return { last, attempts: n };
    const left = opts.deadlineMs - (clock.now() - start);
    if (left <= 0) return { last, attempts: n };
    await clock.sleep(Math.min(backoffMs(opts.backoff, n), left));
  }
}

/** The in-network probe: which image's BusyBox runs it, on which network (io's probe session). */
export interface ProbeSpec {
  image: string;
  network: string;
  entrypoint: string[];
  project: string;
}

/** Parse BusyBox wget's `-S` output: the last HTTP status line (after any redirects). */
export function parseWgetStatus(stderr: string): number | undefined {
  let status: number | undefined;
  for (const line of stderr.split("\n")) {
    const m = /^\s*HTTP\/[0-9.]+\s+([0-9]{3})\b/.exec(line);
    if (m) status = Number(m[1]);
  }
  return status;
}

/**
 * GET `url` from inside the stack network: BusyBox wget in the run's probe session (one container
 * for the whole run, io.ts), its `-S` server response parsed for the status, the body as it came.
 */
export async function probeHttp(io: Io, spec: ProbeSpec, url: string, timeoutMs: number): Promise<{ status?: number; body: string; error?: string; exitCode: number }> {
  const r = await io.docker.probe({
    image: spec.image,
    network: spec.network,
    entrypoint: spec.entrypoint,
    url,
    name: `${spec.project}-probe-${io.randomHex(6)}`,
    labels: { [LABEL_PROJECT]: spec.project, "logging-bootstrap.probe": "true" },
    timeoutMs,
  });
  const status = parseWgetStatus(r.stderr);
  if (r.timedOut) return { body: r.stdout, error: "probe timed out", exitCode: r.exitCode };
  if (status === undefined) {
    const firstErr = r.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? `exit ${r.exitCode}`;
    // Drop addresses so a finding is the same from one run to the next.
    return { body: r.stdout, error: firstErr.replace(/\([0-9.:]+\)/g, "").replace(/\s+/g, " "), exitCode: r.exitCode };
  }
  return { status, body: r.stdout, exitCode: r.exitCode };
}
