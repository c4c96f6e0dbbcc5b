// The eight verification levels as pure functions: plain inputs + injected I/O in, a ProofResult
// out. No check throws for a red result; only programming errors escape. Every answer is parsed
// and its fields asserted (P13); every loop is bounded in attempts and wall clock (P14).
import { createHash } from "crypto";
import type { ErrorCode } from "../../contracts/errors";
import { checkAlloyStructure } from "./alloy-structure";
import { backoffMs, evaluateGreen, GreenCriteria, HealthEndpoint, RetryPolicy } from "./contract";
import type { Clock, Io, Level, ProofResult, ProofStatus } from "./types";

// ---------------------------------------------------------------------------------------------
// helpers

function finish(level: Level, t0: number, clock: Clock, o: { findings: string[]; diagnostics: Record<string, unknown>; redCode: ErrorCode; warn?: { code: ErrorCode; findings: string[] } }): ProofResult {
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

function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
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

/** The short-lived probe's command: BusyBox wget, headers (-S) on stderr, body on stdout. */
export interface ProbeSpec {
  image: string;
  network: string;
  entrypoint: string[];
  /** Prefix before the URL; default BusyBox wget with server response and a timeout. */
  wgetArgs?: string[];
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

async function probeHttp(io: Io, spec: ProbeSpec, url: string, timeoutMs: number): Promise<{ status?: number; body: string; error?: string; exitCode: number }> {
  const r = await io.docker.runProbe({
    image: spec.image,
    network: spec.network,
    entrypoint: spec.entrypoint,
    // No -T: Debian's static BusyBox wget segfaults with it; runProbe bounds the container's life instead.
    cmd: [...(spec.wgetArgs ?? ["wget", "-S", "-q", "-O", "-"]), url],
    name: `${spec.project}-probe-${io.randomHex(6)}`,
    labels: { "logging-bootstrap.project": spec.project, "logging-bootstrap.probe": "true" },
    timeoutMs: timeoutMs + 2_000,
  });
  const status = parseWgetStatus(r.stderr);
  if (r.timedOut) return { body: r.stdout, error: "probe container timed out", exitCode: r.exitCode };
  if (status === undefined) {
    const firstErr = r.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? `exit ${r.exitCode}`;
    // Drop addresses so a finding is the same from one run to the next.
    return { body: r.stdout, error: firstErr.replace(/\([0-9.:]+\)/g, "").replace(/\s+/g, " "), exitCode: r.exitCode };
  }
  return { status, body: r.stdout, exitCode: r.exitCode };
}

// ---------------------------------------------------------------------------------------------
// L1 health

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

// ---------------------------------------------------------------------------------------------
// L2 reachability from inside the stack network

export interface ReachabilityInput {
  probe: ProbeSpec;
  /** e.g. http://loki:3100/ready (the network alias, not a host port). */
  url: string;
  expectStatus: number;
  green: GreenCriteria;
  timeoutMs: number;
  attempts: number;
  deadlineSeconds: number;
}

export async function checkReachability(input: ReachabilityInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const log: Record<string, unknown>[] = [];
  const ep = { id: "loki-from-stack-network", expectStatus: input.expectStatus, green: input.green };
  let res: { findings: string[] };
  try {
    res = (
      await retryUntil(io.clock, { deadlineMs: input.deadlineSeconds * 1000, maxAttempts: input.attempts, backoff: { initialMs: 250, factor: 2, maxMs: 2000 } }, async (n) => {
        const r = await probeHttp(io, input.probe, input.url, input.timeoutMs);
        const findings = r.status === undefined ? [`${input.url} not reachable from network ${input.probe.network}: ${r.error}`] : evaluateGreen(ep, r.status, r.body).map((f) => `${input.url} from network ${input.probe.network}: ${f}`);
        log.push({ attempt: n, status: r.status ?? null, exitCode: r.exitCode, error: r.error ?? null, body: r.body.slice(0, 200), findings });
        return { findings };
      })
    ).last;
  } catch (e) {
    res = { findings: [`probe container could not run on network ${input.probe.network}: ${transportReason(e)}`] };
    log.push({ error: (e as Error).message });
  }
  return finish("L2", t0, io.clock, { findings: res.findings, diagnostics: { url: input.url, network: input.probe.network, image: input.probe.image, attempts: log }, redCode: "E_NETWORK_UNREACHABLE" });
}

// ---------------------------------------------------------------------------------------------
// L3 ingestion

export interface IngestionInput {
  lokiUrl: string;
  logsRoot: string;
  /** File name under logsRoot the marker is appended to (Alloy tails logsRoot/**\/*.log). */
  markerFile: string;
  /** LogQL stream selector; default {filename="<logsRoot>/<markerFile>"} (mounted at the same path). */
  selector?: string;
  timeoutSeconds: number;
  pollIntervalMs: number;
  /** Query window start = write time minus this (clock skew between host and Loki). */
  skewSeconds?: number;
}

export interface IngestionAttempt {
  attempt: number;
  start_ns: string;
  end_ns: string;
  result_count: number;
  wall_clock_s: number;
  status?: number;
  error?: string;
}

export function markerPath(input: Pick<IngestionInput, "logsRoot" | "markerFile">): string {
  return `${input.logsRoot.replace(/\/+$/, "")}/${input.markerFile}`;
}

export function ingestionSelector(input: Pick<IngestionInput, "logsRoot" | "markerFile" | "selector">): string {
  return input.selector ?? `{filename=${JSON.stringify(markerPath(input))}}`;
}

/** Loki's query_range streams answer: entries per stream and whether one carries the marker. */
export function findMarker(value: unknown, marker: string): { ok: boolean; problem?: string; resultCount: number; found: boolean; streams: { labels: Record<string, unknown>; count: number }[] } {
  if (!isObj(value) || value.status !== "success" || !isObj(value.data)) return { ok: false, problem: "answer has no status=success/data", resultCount: 0, found: false, streams: [] };
  const data = value.data;
  if (data.resultType !== "streams" || !Array.isArray(data.result)) return { ok: false, problem: `resultType is ${JSON.stringify(data.resultType)}, expected "streams"`, resultCount: 0, found: false, streams: [] };
  let resultCount = 0;
  let found = false;
  const streams: { labels: Record<string, unknown>; count: number }[] = [];
  for (const s of data.result) {
    if (!isObj(s) || !Array.isArray(s.values)) continue;
    streams.push({ labels: isObj(s.stream) ? s.stream : {}, count: s.values.length });
    for (const v of s.values) {
      if (!Array.isArray(v) || typeof v[1] !== "string") continue;
      resultCount++;
      const line = v[1].trim();
      const parsed = parseJson(line);
      if (parsed.ok && isObj(parsed.value) && parsed.value.marker === marker) found = true;
    }
  }
  return { ok: true, resultCount, found, streams };
}

export async function checkIngestion(input: IngestionInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const marker = `lbproof-${io.randomHex(10)}`;
  const file = markerPath(input);
  const selector = ingestionSelector(input);
  const query = `${selector} |= ${JSON.stringify(marker)}`;
  const attempts: IngestionAttempt[] = [];
  const diagnostics: Record<string, unknown> = { file, marker, query, timeoutSeconds: input.timeoutSeconds, pollIntervalMs: input.pollIntervalMs, attempts };
  try {
    await io.files.mkdirp(input.logsRoot);
    await io.files.appendFile(file, JSON.stringify({ msg: "logging-bootstrap ingestion proof", marker }) + "\n");
  } catch (e) {
    return finish("L3", t0, io.clock, { findings: [`could not write the marker to ${file}: ${transportReason(e)}`], diagnostics, redCode: "E_PROOF_INGESTION_TIMEOUT" });
  }
  const writtenMs = io.clock.now();
  const startNs = (BigInt(writtenMs) - BigInt((input.skewSeconds ?? 60) * 1000)) * 1_000_000n;
  const deadline = t0 + input.timeoutSeconds * 1000;
  let lastAnswer: Record<string, unknown> = {};
  for (let n = 1; ; n++) {
    // P14: `end` is recomputed on every attempt, never frozen at the first one.
    const endNs = BigInt(io.clock.now() + 1000) * 1_000_000n;
    const params = new URLSearchParams({ query, start: startNs.toString(), end: endNs.toString(), limit: "100", direction: "backward" });
    const entry: IngestionAttempt = { attempt: n, start_ns: startNs.toString(), end_ns: endNs.toString(), result_count: 0, wall_clock_s: 0 };
    try {
      // The query may not outlive the wall clock (a hung Loki must not stretch it by a full timeout).
      const res = await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/query_range")}?${params}`, timeoutMs: Math.max(100, Math.min(5000, deadline - io.clock.now())) });
      entry.status = res.status;
      const parsed = parseJson(res.body);
      if (res.status !== 200 || !parsed.ok) {
        entry.error = res.status !== 200 ? `HTTP ${res.status}` : "body is not JSON";
        lastAnswer = { status: res.status, body: res.body.slice(0, 300) };
      } else {
        const m = findMarker(parsed.value, marker);
        entry.result_count = m.resultCount;
        if (!m.ok) entry.error = m.problem;
        lastAnswer = { status: res.status, streams: m.streams, problem: m.problem ?? null };
        if (m.found) {
          entry.wall_clock_s = (io.clock.now() - t0) / 1000;
          attempts.push(entry);
          diagnostics.lastAnswer = lastAnswer;
          diagnostics.visibleAfterMs = io.clock.now() - writtenMs;
          return finish("L3", t0, io.clock, { findings: [], diagnostics, redCode: "E_PROOF_INGESTION_TIMEOUT" });
        }
      }
    } catch (e) {
      entry.error = transportReason(e);
    }
    entry.wall_clock_s = (io.clock.now() - t0) / 1000;
    attempts.push(entry);
    const left = deadline - io.clock.now();
    if (left <= 0) break;
    await io.clock.sleep(Math.min(input.pollIntervalMs, left));
  }
  // P14 partial diagnostics: what was queried, what came back, every attempt.
  diagnostics.lastAnswer = lastAnswer;
  return finish("L3", t0, io.clock, { findings: [`marker written to ${file} was not returned by Loki within ${input.timeoutSeconds} s`], diagnostics, redCode: "E_PROOF_INGESTION_TIMEOUT" });
}

/** L3's non-mutating half (what refresh re-checks): Alloy and Loki are ready. */
export interface IngestionReadInput {
  lokiUrl: string;
  alloyUrl?: string;
  timeoutMs: number;
}
export async function checkIngestionPath(input: IngestionReadInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const checks: [string, string, GreenCriteria][] = [[input.lokiUrl, "/ready", { text: { equals: "ready" } }]];
  if (input.alloyUrl) checks.push([input.alloyUrl, "/-/ready", {}]);
  const diagnostics: Record<string, unknown> = {};
  const findings = (
    await Promise.all(
      checks.map(async ([base, path, green]) => {
        const url = joinUrl(base, path);
        try {
          const res = await io.http({ url, timeoutMs: input.timeoutMs });
          diagnostics[url] = res.status;
          return evaluateGreen({ id: url, expectStatus: 200, green }, res.status, res.body);
        } catch (e) {
          diagnostics[url] = transportReason(e);
          return [`${url}: no answer (${transportReason(e)})`];
        }
      }),
    )
  ).flat();
  return finish("L3", t0, io.clock, { findings, diagnostics, redCode: "E_PROOF_INGESTION_TIMEOUT" });
}

// ---------------------------------------------------------------------------------------------
// L4 labels and cardinality

export interface LabelsInput {
  lokiUrl: string;
  requiredLabels: string[];
  cardinalityLimit: number;
  /** Window the label APIs look at. */
  lookbackSeconds: number;
  alloyConfig: string;
  dockerAllowlist: string[];
  journaldUnits: string[];
  redactionCount: number;
  timeoutMs: number;
}

function lokiStringList(res: { status: number; body: string }): string[] | string {
  if (res.status !== 200) return `HTTP ${res.status}`;
  const p = parseJson(res.body);
  if (!p.ok || !isObj(p.value)) return "body is not a JSON object";
  if (p.value.status !== "success") return `status is ${JSON.stringify(p.value.status)}`;
  const data = p.value.data ?? [];
  if (!Array.isArray(data) || !data.every((x) => typeof x === "string")) return "data is not a list of strings";
  return data as string[];
}

export async function checkLabels(input: LabelsInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const now = io.clock.now();
  const window = new URLSearchParams({ start: (BigInt(now - input.lookbackSeconds * 1000) * 1_000_000n).toString(), end: (BigInt(now + 1000) * 1_000_000n).toString() });
  const missing: string[] = [];
  const cardinality: string[] = [];
  const diagnostics: Record<string, unknown> = { lookbackSeconds: input.lookbackSeconds, cardinalityLimit: input.cardinalityLimit };
  try {
    const labels = lokiStringList(await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/labels")}?${window}`, timeoutMs: input.timeoutMs }));
    if (typeof labels === "string") {
      missing.push(`loki labels API: ${labels}`);
    } else {
      diagnostics.labels = [...labels].sort();
      for (const l of input.requiredLabels) if (!labels.includes(l)) missing.push(`required label ${l} is absent`);
      const counts = await Promise.all(
        labels.map(async (l) => {
          const v = lokiStringList(await io.http({ url: `${joinUrl(input.lokiUrl, `/loki/api/v1/label/${encodeURIComponent(l)}/values`)}?${window}`, timeoutMs: input.timeoutMs }));
          return [l, typeof v === "string" ? v : v.length] as const;
        }),
      );
      diagnostics.cardinality = Object.fromEntries([...counts].sort((a, b) => a[0].localeCompare(b[0])));
      for (const [l, n] of counts) {
        if (typeof n === "string") missing.push(`values of label ${l}: ${n}`);
        else if (n > input.cardinalityLimit) cardinality.push(`label ${l} has ${n} distinct values (limit ${input.cardinalityLimit})`);
      }
    }
  } catch (e) {
    missing.push(`loki labels API: no answer (${transportReason(e)})`);
  }
  const structure = checkAlloyStructure(input.alloyConfig, { dockerAllowlist: input.dockerAllowlist, journaldUnits: input.journaldUnits, redactionCount: input.redactionCount });
  diagnostics.alloy = { ...structure.facts, redactionStages: structure.redactionStages, errors: structure.errors };
  missing.push(...structure.errors);
  // Label/allowlist absence first: cardinality numbers are meaningless while the pipeline is wrong.
  const findings = [...missing, ...cardinality];
  const redCode: ErrorCode = missing.length > 0 ? "E_PROOF_LABEL_MISSING" : "E_PROOF_CARDINALITY";
  const warn = input.redactionCount === 0 && structure.redactionStages === 0
    ? { code: "E_PROOF_REDACTION_ABSENT" as ErrorCode, findings: ["alloy pipeline has no redaction stage (alloy.redactions is empty): accepted risk, recorded"] }
    : undefined;
  if (warn) diagnostics.acceptedRisk = warn.findings[0];
  return finish("L4", t0, io.clock, { findings, diagnostics, redCode, warn });
}

// ---------------------------------------------------------------------------------------------
// L5 dashboards

export interface ExpectedDashboard {
  uid: string;
  title: string;
}

export interface DashboardsInput {
  grafanaUrl: string;
  user: string;
  password: string;
  dashboards: ExpectedDashboard[];
  deadlineSeconds: number;
  timeoutMs: number;
}

/**
 * The admin password Grafana was given: its secret file inside the container (the archive API, no
 * `cat` in the image). It comes before any copy held elsewhere (a secrets file, the environment),
 * because a stale copy costs a failed login, and Grafana locks a user out after 5 of them.
 */
export async function containerGrafanaPassword(io: Io, container: string, file: string): Promise<string | undefined> {
  try {
    const f = await io.docker.readFile(container, file, 64 * 1024, 5000);
    return f.kind === "file" ? f.content.toString("utf8").replace(/\r?\n$/, "") : undefined;
  } catch {
    return undefined;
  }
}

type DashAttempt = { findings: string[]; stop?: boolean; code?: ErrorCode };

export async function checkDashboards(input: DashboardsInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const auth = { Authorization: basicAuth(input.user, input.password), Accept: "application/json" };
  const searchUrl = joinUrl(input.grafanaUrl, "/api/search?type=dash-db");
  const expected = [...input.dashboards].sort((a, b) => a.uid.localeCompare(b.uid));
  const diagnostics: Record<string, unknown> = { url: searchUrl, expected };
  // A 401 stops at once: retrying a refused password walks into Grafana's login lockout.
  const refused = (what: string): DashAttempt => ({ findings: [`${what}: HTTP 401, Grafana refused the admin credentials (not retried: Grafana locks a user out after repeated failed logins)`], stop: true, code: "E_PROOF_GRAFANA_AUTH" });
  const { last, attempts } = await retryUntil<DashAttempt>(io.clock, { deadlineMs: input.deadlineSeconds * 1000, maxAttempts: 20, backoff: { initialMs: 250, factor: 2, maxMs: 2000 } }, async () => {
    try {
      const res = await io.http({ url: searchUrl, headers: auth, timeoutMs: input.timeoutMs });
      if (res.status === 401) return refused("grafana search API");
      if (res.status !== 200) return { findings: [`grafana search API: HTTP ${res.status}`] };
      const p = parseJson(res.body);
      if (!p.ok || !Array.isArray(p.value)) return { findings: ["grafana search API: body is not a JSON array"] };
      const listed = new Map(p.value.filter((d): d is Record<string, unknown> => isObj(d) && d.type === "dash-db" && typeof d.uid === "string").map((d) => [d.uid as string, d.title]));
      diagnostics.listed = [...listed.keys()].sort();
      const findings: string[] = [];
      const seen: Record<string, unknown>[] = [];
      for (const e of expected) {
        if (!listed.has(e.uid)) {
          findings.push(`dashboard ${e.uid} is not listed by Grafana`);
          continue;
        }
        // The dashboard itself: its uid and title as rendered, and provisioned (not a UI copy).
        const one = await io.http({ url: joinUrl(input.grafanaUrl, `/api/dashboards/uid/${encodeURIComponent(e.uid)}`), headers: auth, timeoutMs: input.timeoutMs });
        if (one.status === 401) return refused(`grafana dashboard API (${e.uid})`);
        const d = parseJson(one.body);
        const dash = d.ok && isObj(d.value) && isObj(d.value.dashboard) ? d.value.dashboard : undefined;
        const meta = d.ok && isObj(d.value) && isObj(d.value.meta) ? d.value.meta : undefined;
        seen.push({ uid: e.uid, status: one.status, title: dash?.title, provisioned: meta?.provisioned });
        if (one.status !== 200 || !dash || !meta) findings.push(`dashboard ${e.uid}: HTTP ${one.status}, no dashboard/meta in the answer`);
        else {
          if (dash.uid !== e.uid) findings.push(`dashboard ${e.uid}: Grafana answers uid ${JSON.stringify(dash.uid)}`);
          if (dash.title !== e.title) findings.push(`dashboard ${e.uid}: title is ${JSON.stringify(dash.title)}, rendered ${JSON.stringify(e.title)}`);
          if (meta.provisioned !== true) findings.push(`dashboard ${e.uid}: Grafana does not report it as provisioned (meta.provisioned is ${JSON.stringify(meta.provisioned)})`);
        }
      }
      diagnostics.dashboards = seen;
      return { findings };
    } catch (e) {
      return { findings: [`grafana API: no answer (${transportReason(e)})`] };
    }
  });
  diagnostics.attempts = attempts;
  return finish("L5", t0, io.clock, { findings: last.findings, diagnostics, redCode: last.code ?? "E_PROOF_DASHBOARDS" });
}

// ---------------------------------------------------------------------------------------------
// L6 rules

export interface RulesInput {
  prometheusUrl: string;
  expectedGroups: string[];
  /** Rules report health "unknown" until their first evaluation: wait for it up to this long. */
  deadlineSeconds: number;
  timeoutMs: number;
}

export async function checkRules(input: RulesInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const diagnostics: Record<string, unknown> = { url: joinUrl(input.prometheusUrl, "/api/v1/rules"), expected: [...input.expectedGroups].sort() };
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
      for (const name of [...input.expectedGroups].sort()) {
        const g = groups.find((x) => x.name === name);
        if (!g) {
          findings.push(`rule group ${name} is not loaded`);
          continue;
        }
        const rules = Array.isArray(g.rules) ? g.rules.filter(isObj) : [];
        if (rules.length === 0) findings.push(`rule group ${name} has no rules`);
        for (const r of rules) if (r.health !== "ok") findings.push(`rule ${String(r.name)} in group ${name} has health ${JSON.stringify(r.health)}`);
      }
      return { findings };
    } catch (e) {
      return { findings: [`prometheus rules API: no answer (${transportReason(e)})`] };
    }
  });
  diagnostics.attempts = attempts;
  return finish("L6", t0, io.clock, { findings: last.findings, diagnostics, redCode: "E_PROOF_RULES" });
}

// ---------------------------------------------------------------------------------------------
// L7 provenance

export interface ProvenanceTarget {
  service: string;
  container: string;
  /** The image reference from config (tag, optionally @sha256:digest). */
  imageRef: string;
  /** RemoteImage.imageId: the image the container must run. */
  imageId: string;
  /** RemoteImage.repoDigest (`repo@sha256:...`) when the image came from a registry; "" otherwise. */
  repoDigest?: string;
}
export interface ProvenanceInput {
  containers: ProvenanceTarget[];
}

function digestOf(ref: string): string | undefined {
  const m = /@(sha256:[0-9a-f]{64})$/.exec(ref);
  return m ? m[1] : undefined;
}

export async function checkProvenance(input: ProvenanceInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const per = await Promise.all(
    input.containers.map(async (t) => {
      const c = await io.docker.inspectContainer(t.container);
      if (!c) return { t, findings: [`${t.service}: container ${t.container} does not exist`], seen: null };
      const findings: string[] = [];
      if (c.imageId !== t.imageId) findings.push(`${t.service}: container ${t.container} runs image ${c.imageId}, recorded ${t.imageId}`);
      const img = await io.docker.inspectImage(c.imageId);
      const digests = (img?.repoDigests ?? []).map((d) => digestOf(d)).filter((d): d is string => !!d);
      const pinned = digestOf(t.imageRef);
      if (pinned && !digests.includes(pinned)) findings.push(`${t.service}: image of ${t.container} does not carry the pinned digest ${pinned}`);
      const recorded = t.repoDigest ? digestOf(t.repoDigest) : undefined;
      if (recorded && !digests.includes(recorded)) findings.push(`${t.service}: image of ${t.container} does not carry the recorded digest ${recorded}`);
      return { t, findings, seen: { imageId: c.imageId, repoDigests: img?.repoDigests ?? [] } };
    }),
  ).catch((e) => [{ t: null, findings: [`docker: ${transportReason(e)}`], seen: null }]);
  const diagnostics = { containers: per.map((p) => ({ service: p.t?.service ?? null, container: p.t?.container ?? null, expected: p.t ? { imageId: p.t.imageId, repoDigest: p.t.repoDigest ?? "" } : null, seen: p.seen })) };
  return finish("L7", t0, io.clock, { findings: per.flatMap((p) => p.findings), diagnostics, redCode: "E_PROOF_PROVENANCE_MISMATCH" });
}

// ---------------------------------------------------------------------------------------------
// L8 config drift

export interface DriftTarget {
  service: string;
  container: string;
  /** Path inside the container -> rendered SHA-256 (hex). */
  files: Record<string, string>;
}
export interface DriftInput {
  containers: DriftTarget[];
  timeoutMs: number;
}

/** Largest config file L8 reads (rendered configs are kilobytes; a huge file is itself a finding). */
const DRIFT_MAX_BYTES = 8 * 1024 * 1024;

export async function checkConfigDrift(input: DriftInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const per = await Promise.all(
    input.containers.map(async (t) => {
      const paths = Object.keys(t.files).sort();
      const seen: Record<string, string> = {};
      if (paths.length === 0) return { t, findings: [] as string[], seen, via: "none" };
      // The engine's archive API, not an exec of sha256sum: it needs nothing inside the image
      // (distroless images have no shell), and the hash is computed by the code that compares it.
      const via = "docker archive API";
      try {
        const c = await io.docker.inspectContainer(t.container);
        if (!c) return { t, findings: [`${t.service}: container ${t.container} does not exist`], seen, via };
        if (!c.running) return { t, findings: [`${t.service}: container ${t.container} is ${c.state}`], seen, via };
        const findings: string[] = [];
        const files = await Promise.all(paths.map((p) => io.docker.readFile(t.container, p, DRIFT_MAX_BYTES, input.timeoutMs)));
        paths.forEach((p, i) => {
          const f = files[i];
          if (f.kind === "missing") findings.push(`${t.service}: ${p} is missing in ${t.container}`);
          else if (f.kind === "not-a-file") findings.push(`${t.service}: ${p} in ${t.container} is a ${f.type}, not a regular file`);
          else if (f.kind === "too-large") findings.push(`${t.service}: ${p} in ${t.container} is ${f.size} bytes, larger than any rendered file`);
          else {
            seen[p] = createHash("sha256").update(f.content).digest("hex");
            if (seen[p] !== t.files[p]) findings.push(`${t.service}: ${p} in ${t.container} has sha256 ${seen[p]}, rendered ${t.files[p]}`);
          }
        });
        return { t, findings, seen, via };
      } catch (e) {
        return { t, findings: [`${t.service}: container ${t.container} cannot be read (${transportReason(e)})`], seen, via };
      }
    }),
  );
  const diagnostics = { containers: per.map((p) => ({ service: p.t.service, container: p.t.container, via: p.via, rendered: p.t.files, seen: p.seen })) };
  return finish("L8", t0, io.clock, { findings: per.flatMap((p) => p.findings), diagnostics, redCode: "E_PROOF_CONFIG_DRIFT" });
}
