// L3 ingestion: a marker line written under logsRoot comes back from Loki, with the canary of
// every proven redaction redacted as Alloy's pipeline would. Its read half (refresh) writes
// nothing: Loki and Alloy are ready, and each configured source is shown flowing (./sources.ts).
import type { ErrorCode } from "../../../contracts/errors";
import { capturedSecrets, compileRe2, parseTemplate, redactLine, RedactionLike } from "../../../contracts/config/redaction";
import { evaluateGreen, GreenCriteria } from "../contract";
import { newMarker } from "../evidence";
import type { Io, ProofResult } from "../types";
import { finish, isObj, joinUrl, parseJson, transportReason } from "./common";
import { checkSources, JOURNAL_WINDOW_SECONDS } from "./sources";

export interface IngestionInput {
  lokiUrl: string;
  logsRoot: string;
  /** File name under logsRoot the marker is appended to (Alloy tails logsRoot/**\/*.log). */
  markerFile: string;
  /** LogQL stream selector; default {filename="<logsRoot>/<markerFile>"} (mounted at the same path). */
  selector?: string;
  timeoutSeconds: number;
  pollIntervalMs: number;
  /**
   * The first query waits this long after the write: Alloy's loki.write holds a batch up to its
   * batch_wait, so an earlier query cannot find the marker. Default 0.
   */
  firstQueryAfterMs?: number;
  /** Poll this often for the first FAST_POLL_ATTEMPTS queries (when the marker is due), then every pollIntervalMs. */
  fastPollMs?: number;
  /** Query window start = write time minus this (clock skew between host and Loki). */
  skewSeconds?: number;
  /** The configured redactions; the marker line carries the canary of each one that has one. */
  redactions?: RedactionLike[];
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

/** How many queries poll at fastPollMs before falling back to pollIntervalMs. */
export const FAST_POLL_ATTEMPTS = 40;

/** The wait before query n+1 (n queries done). */
export function pollDelayMs(input: Pick<IngestionInput, "pollIntervalMs" | "fastPollMs">, n: number): number {
  return input.fastPollMs !== undefined && n < FAST_POLL_ATTEMPTS ? Math.min(input.fastPollMs, input.pollIntervalMs) : input.pollIntervalMs;
}

export function markerPath(input: Pick<IngestionInput, "logsRoot" | "markerFile">): string {
  return `${input.logsRoot.replace(/\/+$/, "")}/${input.markerFile}`;
}

export function ingestionSelector(input: Pick<IngestionInput, "logsRoot" | "markerFile" | "selector">): string {
  return input.selector ?? `{filename=${JSON.stringify(markerPath(input))}}`;
}

/** The redactions the proof can show working: a canary, a pattern Alloy loads, a template it runs. */
export function provenRedactions(redactions: readonly RedactionLike[] = []): RedactionLike[] {
  return redactions.filter((r) => r.canary !== undefined && compileRe2(r.pattern).ok && parseTemplate(r.replacement).ok);
}

/**
 * The marker line: plain text (a JSON line would be cut by a redaction whose pattern runs to the
 * next blank), the marker as its own token, then each canary, ` | ` apart.
 */
export function markerLine(marker: string, redactions: readonly RedactionLike[] = []): string {
  return [`logging-bootstrap ingestion proof marker=${marker}`, ...provenRedactions(redactions).map((r) => `canary ${r.name}: ${r.canary}`)].join(" | ");
}

export interface LokiEntry {
  line: string;
  labels: Record<string, string>;
}

/** Loki's query_range streams answer: every entry with its stream's labels. */
export function lokiEntries(value: unknown): { ok: true; entries: LokiEntry[]; streams: { labels: Record<string, unknown>; count: number }[] } | { ok: false; problem: string } {
  if (!isObj(value) || value.status !== "success" || !isObj(value.data)) return { ok: false, problem: "answer has no status=success/data" };
  const data = value.data;
  if (data.resultType !== "streams" || !Array.isArray(data.result)) return { ok: false, problem: `resultType is ${JSON.stringify(data.resultType)}, expected "streams"` };
  const entries: LokiEntry[] = [];
  const streams: { labels: Record<string, unknown>; count: number }[] = [];
  for (const s of data.result) {
    if (!isObj(s) || !Array.isArray(s.values)) continue;
    const labels = isObj(s.stream) ? (Object.fromEntries(Object.entries(s.stream).filter(([, v]) => typeof v === "string")) as Record<string, string>) : {};
    streams.push({ labels, count: s.values.length });
    for (const v of s.values) if (Array.isArray(v) && typeof v[1] === "string") entries.push({ line: v[1], labels });
  }
  return { ok: true, entries, streams };
}

/** The entry carrying this marker (as its own token, not as a substring of another marker). */
export function findMarker(value: unknown, marker: string): { ok: boolean; problem?: string; resultCount: number; entry?: LokiEntry; streams: { labels: Record<string, unknown>; count: number }[] } {
  const r = lokiEntries(value);
  if (!r.ok) return { ok: false, problem: r.problem, resultCount: 0, streams: [] };
  const token = new RegExp(`(^|\\s)marker=${marker.replace(/[^a-z0-9-]/g, "")}(\\s|$)`);
  const entry = r.entries.find((e) => token.test(e.line.replace(/\r?\n$/, "")));
  return { ok: true, resultCount: r.entries.length, streams: r.streams, ...(entry ? { entry } : {}) };
}

/**
 * What is wrong with the marker line Loki returned, given the one written: a proven canary's
 * secret still in it, or (when every stage's result is exact, no hashing) any difference from what
 * Alloy's stages make of the written line.
 */
export function canaryFindings(redactions: readonly RedactionLike[] = [], written: string, returned: string): string[] {
  const got = returned.replace(/\r?\n$/, "");
  const out: string[] = [];
  for (const r of provenRedactions(redactions)) {
    const c = compileRe2(r.pattern);
    if (!c.ok) continue;
    if (capturedSecrets(c.re, r.canary!).some((secret) => got.includes(secret))) out.push(`the canary of redaction ${r.name} came back from Loki unredacted`);
  }
  const exact = redactions.every((r) => !/\|\s*(Hash|Sha2Hash)\b/.test(r.replacement));
  const expected = redactLine(redactions, written);
  if (out.length === 0 && exact && got !== expected) out.push(`the marker line came back as ${JSON.stringify(got)}; Alloy's redaction stages make ${JSON.stringify(expected)} of it`);
  return out;
}

export async function checkIngestion(input: IngestionInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  // The marker names its second: L4 and refresh look for it in a narrow window (evidence.ts).
  const marker = newMarker(io.clock.now(), io.randomHex(10));
  const file = markerPath(input);
  const selector = ingestionSelector(input);
  const query = `${selector} |= ${JSON.stringify(`marker=${marker}`)}`;
  const line = markerLine(marker, input.redactions);
  const attempts: IngestionAttempt[] = [];
  const proven = provenRedactions(input.redactions).map((r) => r.name);
  const diagnostics: Record<string, unknown> = { file, marker, query, canaries: proven, timeoutSeconds: input.timeoutSeconds, pollIntervalMs: input.pollIntervalMs, firstQueryAfterMs: input.firstQueryAfterMs ?? 0, fastPollMs: input.fastPollMs ?? null, attempts };
  const red = (findings: string[], code: ErrorCode = "E_PROOF_INGESTION_TIMEOUT") => finish("L3", t0, io.clock, { findings, diagnostics, redCode: code });
  try {
    await io.files.mkdirp(input.logsRoot);
    // Appending as root into a directory others may write (logsRoot under /tmp): no links followed.
    if (await io.files.isSymlink(input.logsRoot)) return red([`${input.logsRoot} is a symbolic link: the marker is not written through it`]);
    await io.files.appendFile(file, line + "\n");
  } catch (e) {
    const why = (e as { code?: string }).code === "ELOOP" ? `${file} is a symbolic link: the marker is not written through it` : `could not write the marker to ${file}: ${transportReason(e)}`;
    return red([why]);
  }
  const writtenMs = io.clock.now();
  const startNs = (BigInt(writtenMs) - BigInt((input.skewSeconds ?? 60) * 1000)) * 1_000_000n;
  const deadline = t0 + input.timeoutSeconds * 1000;
  let lastAnswer: Record<string, unknown> = {};
  const due = Math.min(writtenMs + Math.max(0, input.firstQueryAfterMs ?? 0), deadline);
  if (due > io.clock.now()) await io.clock.sleep(due - io.clock.now());
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
        if (m.entry) {
          entry.wall_clock_s = (io.clock.now() - t0) / 1000;
          attempts.push(entry);
          diagnostics.lastAnswer = lastAnswer;
          diagnostics.visibleAfterMs = io.clock.now() - writtenMs;
          diagnostics.returnedLine = m.entry.line;
          const redaction = canaryFindings(input.redactions, line, m.entry.line);
          return finish("L3", t0, io.clock, { findings: redaction, diagnostics, redCode: "E_PROOF_REDACTION_FAILED", outputs: { marker } });
        }
      }
    } catch (e) {
      entry.error = transportReason(e);
    }
    entry.wall_clock_s = (io.clock.now() - t0) / 1000;
    attempts.push(entry);
    const left = deadline - io.clock.now();
    if (left <= 0) break;
    await io.clock.sleep(Math.min(pollDelayMs(input, n), left));
  }
  // P14 partial diagnostics: what was queried, what came back, every attempt.
  diagnostics.lastAnswer = lastAnswer;
  return red([`marker written to ${file} was not returned by Loki within ${input.timeoutSeconds} s`]);
}

/** L3's non-mutating half (what refresh re-checks). */
export interface IngestionReadInput {
  lokiUrl: string;
  alloyUrl?: string;
  timeoutMs: number;
  /** Streams this stack's Alloy pushes carry the external label project=<projectName>. */
  projectName?: string;
  /** How recent a container's last line must be for the docker source to be judged on it. */
  flowWindowSeconds?: number;
  /** The marker of the last apply (kept in state, returned unchanged). */
  marker?: string;
  /** Where the marker was written: the files source is shown on it. */
  logsRoot?: string;
  markerFile?: string;
  retentionSeconds?: number;
  /** The apply's ingestion wall clock (the marker's query window ends after it). */
  timeoutSeconds?: number;
  dockerAllowlist?: string[];
  journaldUnits?: string[];
}

/** How recent a container's last line must be: Loki and Grafana log on their own within minutes. */
export const FLOW_WINDOW_SECONDS = 3600;

/** The refresh input from the proof's properties (what ingestionSpec declared). */
export function ingestionReadInput(props: Record<string, unknown>): IngestionReadInput {
  const str = (k: string) => (typeof props[k] === "string" ? (props[k] as string) : undefined);
  const num = (k: string) => (typeof props[k] === "number" ? (props[k] as number) : undefined);
  const list = (k: string) => (Array.isArray(props[k]) ? (props[k] as unknown[]).filter((x): x is string => typeof x === "string") : undefined);
  const out: IngestionReadInput = { lokiUrl: String(props.lokiUrl), timeoutMs: 3000 };
  const pick = { alloyUrl: str("alloyUrl"), projectName: str("projectName"), marker: str("marker"), logsRoot: str("logsRoot"), markerFile: str("markerFile"), retentionSeconds: num("retentionSeconds"), timeoutSeconds: num("timeoutSeconds"), dockerAllowlist: list("dockerAllowlist"), journaldUnits: list("journaldUnits") };
  for (const [k, v] of Object.entries(pick)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Refresh: Loki and Alloy are ready, and each configured source (files, docker, journal) is shown
 * flowing on its own (./sources.ts): red when one is not delivering, a warning naming a source
 * that cannot be shown without traffic the proof does not cause, green when every one is shown.
 */
export async function checkIngestionPath(input: IngestionReadInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const checks: [string, string, GreenCriteria][] = [[input.lokiUrl, "/ready", { text: { equals: "ready" } }]];
  if (input.alloyUrl) checks.push([input.alloyUrl, "/-/ready", {}]);
  const diagnostics: Record<string, unknown> = {};
  const ready = (
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
  const outputs = input.marker ? { marker: input.marker } : undefined;
  if (ready.length > 0 || !input.projectName) return finish("L3", t0, io.clock, { findings: ready, diagnostics, redCode: "E_PROOF_INGESTION_TIMEOUT", outputs });
  const r = await checkSources(
    {
      lokiUrl: input.lokiUrl,
      ...(input.alloyUrl ? { alloyUrl: input.alloyUrl } : {}),
      projectName: input.projectName,
      timeoutMs: input.timeoutMs,
      ...(input.marker ? { marker: input.marker } : {}),
      ...(input.logsRoot && input.markerFile ? { markerPath: markerPath({ logsRoot: input.logsRoot, markerFile: input.markerFile }) } : {}),
      ...(input.retentionSeconds !== undefined ? { retentionSeconds: input.retentionSeconds } : {}),
      ...(input.timeoutSeconds !== undefined ? { ingestionTimeoutSeconds: input.timeoutSeconds } : {}),
      dockerAllowlist: input.dockerAllowlist ?? [],
      journaldUnits: input.journaldUnits ?? [],
      flowWindowSeconds: input.flowWindowSeconds ?? FLOW_WINDOW_SECONDS,
      journalWindowSeconds: JOURNAL_WINDOW_SECONDS,
    },
    io,
  );
  diagnostics.sources = Object.fromEntries(r.verdicts.map((v) => [v.source, { status: v.status, ...v.evidence }]));
  if (r.problem) return finish("L3", t0, io.clock, { findings: [r.problem], diagnostics, redCode: "E_PROOF_INGESTION_STALLED", outputs });
  const reds = r.verdicts.filter((v) => v.status === "red").map((v) => v.finding!);
  const warns = r.verdicts.filter((v) => v.status === "warn").map((v) => v.finding!);
  const warn = warns.length ? { code: "E_PROOF_INGESTION_UNSHOWN" as ErrorCode, findings: warns } : undefined;
  return finish("L3", t0, io.clock, { findings: reds, diagnostics, redCode: "E_PROOF_INGESTION_STALLED", warn, outputs });
}
