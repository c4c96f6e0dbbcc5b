// L3's refresh: each configured log source shown flowing on its own, with nothing but what the
// proof can rely on (a refresh writes nothing, and a quiet host produces nothing):
// - files: the apply's marker line, written through the files source, is in Loki, and the running
//   Alloy still tails the marker file;
// - docker: for each allowlisted container that runs, the running Alloy tails it, and the last line
//   Alloy read from it (its tailer's read_offset, a second) is in Loki under that container;
// - journal: the running journal source is healthy, and an entry of a configured unit reached Loki
//   within the journal window. The proof cannot cause journal traffic, so no such entry is "not
//   shown" (a warning that says why), never red and never green.
// Each source is green, warn (why) or red (why); findings name the source and carry no time, so a
// healthy stack refreshes without changes.
import type { Io } from "../types";
import { type AlloyComponent, attrsOf, blocksOf, byLocalId, readAlloy } from "../alloy-components";
import { markerExpired, markerWindow } from "../evidence";
import { joinUrl, parseJson, transportReason } from "./common";
import { findMarker, lokiEntries } from "./ingestion";

export type SourceKind = "files" | "docker" | "journal";
export interface SourceVerdict {
  source: SourceKind;
  status: "green" | "warn" | "red";
  /** Why it is not green (no time in it: findings live in state). */
  finding?: string;
  evidence: Record<string, unknown>;
}

export interface SourcesInput {
  lokiUrl: string;
  alloyUrl?: string;
  projectName: string;
  timeoutMs: number;
  /** The last apply's marker and where it was written (the files source). */
  marker?: string;
  markerPath?: string;
  retentionSeconds?: number;
  ingestionTimeoutSeconds?: number;
  dockerAllowlist: string[];
  journaldUnits: string[];
  /** How recent a container's last line must be to be looked for. */
  flowWindowSeconds: number;
  /** How far back an entry of a configured unit counts. */
  journalWindowSeconds: number;
}

/** A line Alloy read this recently may still be on its way to Loki (loki.write batches and retries). */
export const IN_FLIGHT_SECONDS = 30;
/** The journal window: units that log at all log within half a day; the journal source ships entries up to its max_age (12h as rendered). */
export const JOURNAL_WINDOW_SECONDS = 12 * 3600;

const ns = (ms: number) => (BigInt(Math.floor(ms)) * 1_000_000n).toString();
/** A LogQL regex matcher value admitting exactly these names. */
export function exactly(names: readonly string[]): string {
  return JSON.stringify(`^(${names.map((n) => n.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`)).join("|")})$`);
}

/** Entries of `query` in [startMs, endMs), newest first: the count, or why Loki gave none. */
async function lokiCount(input: SourcesInput, io: Io, query: string, startMs: number, endMs: number): Promise<{ count: number } | { problem: string }> {
  const params = new URLSearchParams({ query, start: ns(startMs), end: ns(endMs), limit: "1", direction: "backward" });
  try {
    const res = await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/query_range")}?${params}`, timeoutMs: input.timeoutMs });
    const parsed = parseJson(res.body);
    const r = res.status === 200 && parsed.ok ? lokiEntries(parsed.value) : undefined;
    if (!r) return { problem: `loki query_range: HTTP ${res.status}` };
    if (!r.ok) return { problem: `loki query_range: ${r.problem}` };
    return { count: r.entries.length };
  } catch (e) {
    return { problem: `loki query_range: no answer (${transportReason(e)})` };
  }
}

/** Prometheus' label set text (`{a="1", b="2"}`, as Alloy's targets_info labels) as a map. */
export function parseLabelSet(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    try {
      out[m[1]] = JSON.parse(`"${m[2]}"`) as string;
    } catch {
      out[m[1]] = m[2];
    }
  }
  return out;
}

/**
 * A tailer's `is_running` as Alloy reports it in targets_info: a bool, except loki.source.docker's
 * up to Alloy 1.12, which is the string "true"/"false" (strconv.FormatBool; a bool from 1.13.0).
 */
export function tailerRunning(v: unknown): boolean {
  return v === true || v === "true";
}

/** The targets_info blocks of the running sources of one kind (their debugInfo). */
function targetsInfo(details: Map<string, AlloyComponent>, name: string): Record<string, unknown>[] {
  return [...details.values()].filter((c) => c.name === name).flatMap((c) => blocksOf(c.debugInfo, "targets_info").map(attrsOf));
}

async function filesSource(input: SourcesInput, io: Io, details: Map<string, AlloyComponent> | undefined): Promise<SourceVerdict> {
  const v = (status: SourceVerdict["status"], finding: string | undefined, evidence: Record<string, unknown> = {}): SourceVerdict => ({ source: "files", status, ...(finding ? { finding } : {}), evidence });
  if (!input.marker || !input.markerPath) return v("warn", "files: not shown: no marker from an apply to look for (the ingestion proof writes one on apply)");
  const expired = markerExpired(input.marker, input.retentionSeconds, io.clock.now());
  if (expired) return v("warn", `files: not shown: ${expired}`);
  if (details) {
    const tail = targetsInfo(details, "loki.source.file").find((t) => t.path === input.markerPath);
    if (!tail) return v("red", `files: the running Alloy does not tail ${input.markerPath} (no loki.source.file target for it)`);
    if (!tailerRunning(tail.is_running)) return v("red", `files: the running Alloy's tailer of ${input.markerPath} is not running`, { tail });
  }
  const w = markerWindow(input.marker, io.clock.now(), { retentionSeconds: input.retentionSeconds ?? 86_400, ingestionTimeoutSeconds: input.ingestionTimeoutSeconds ?? 120 });
  const query = `{filename=${JSON.stringify(input.markerPath)}} |= ${JSON.stringify(`marker=${input.marker}`)}`;
  const params = new URLSearchParams({ query, start: ns(w.startMs), end: ns(w.endMs), limit: "10", direction: "backward" });
  try {
    const res = await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/query_range")}?${params}`, timeoutMs: input.timeoutMs });
    const parsed = parseJson(res.body);
    if (res.status !== 200 || !parsed.ok) return v("red", `files: loki query_range for the marker: HTTP ${res.status}`, { query });
    const m = findMarker(parsed.value, input.marker);
    if (!m.ok) return v("red", `files: loki query_range for the marker: ${m.problem}`, { query });
    if (!m.entry) return v("red", `files: the marker ${input.marker} that the last apply proved is no longer in Loki`, { query });
    return v("green", undefined, { query, tailed: details ? true : "not checked (no Alloy port)" });
  } catch (e) {
    return v("red", `files: loki query_range: no answer (${transportReason(e)})`, { query });
  }
}

async function dockerSource(input: SourcesInput, io: Io, details: Map<string, AlloyComponent> | undefined): Promise<SourceVerdict> {
  const v = (status: SourceVerdict["status"], finding: string | undefined, evidence: Record<string, unknown>): SourceVerdict => ({ source: "docker", status, ...(finding ? { finding } : {}), evidence });
  const now = io.clock.now();
  const names = input.dockerAllowlist;
  if (!details) {
    // Without Alloy's port: what reached Loki from the allowlisted containers, within the window.
    const query = `{project=${JSON.stringify(input.projectName)}, container=~${exactly(names)}}`;
    const r = await lokiCount(input, io, query, now - input.flowWindowSeconds * 1000, now + 1000);
    if ("problem" in r) return v("red", `docker: ${r.problem}`, { query });
    if (r.count > 0) return v("green", undefined, { query, alloy: "not checked (no Alloy port)" });
    return v("warn", `docker: not shown: no line of ${names.join(", ")} reached Loki in the last ${input.flowWindowSeconds / 60} minutes, and without Alloy's port what Alloy read cannot be compared`, { query });
  }
  const tails = targetsInfo(details, "loki.source.docker").map((t) => ({ id: t.id, isRunning: tailerRunning(t.is_running), readOffset: t.read_offset, labels: parseLabelSet(String(t.labels ?? "")) }));
  const evidence: Record<string, unknown> = {};
  const reds: string[] = [];
  let proven = 0;
  for (const name of names) {
    const c = await io.docker.inspectContainer(name);
    if (!c || !c.running) {
      evidence[name] = "not running";
      continue;
    }
    const tail = tails.find((t) => t.id === c.id || t.labels.container === name);
    if (!tail) {
      reds.push(`docker: ${name} runs and is allowlisted, but the running Alloy does not tail it`);
      continue;
    }
    if (tail.isRunning !== true) {
      evidence[name] = { tail };
      reds.push(`docker: the running Alloy's tailer of ${name} is not running`);
      continue;
    }
    const second = /^[0-9]+$/.test(String(tail.readOffset ?? "")) ? Number(tail.readOffset) : undefined;
    if (second === undefined || second === 0) {
      evidence[name] = "nothing read since Alloy tails it";
      continue;
    }
    const age = now / 1000 - second;
    if (age < IN_FLIGHT_SECONDS || age > input.flowWindowSeconds) {
      evidence[name] = { readOffset: second, judged: false, why: age < IN_FLIGHT_SECONDS ? "may still be on its way" : "older than the window" };
      continue;
    }
    // The last line Alloy read from it carries that second: Loki must hold a line of it then.
    const query = `{project=${JSON.stringify(input.projectName)}, container=${JSON.stringify(name)}}`;
    const r = await lokiCount(input, io, query, second * 1000, (second + 1) * 1000);
    evidence[name] = { readOffset: second, query, ...r };
    if ("problem" in r) reds.push(`docker: ${r.problem}`);
    else if (r.count === 0) reds.push(`docker: Alloy read a line of ${name} that is not in Loki: the docker source is not delivering`);
    else proven++;
  }
  if (reds.length) return v("red", reds.join("; "), evidence);
  if (proven > 0) return v("green", undefined, evidence);
  // Nothing judged by read position (every last line still in flight, or none in the window): the
  // running Alloy tails them, and Loki holds their lines of the window. Chatty containers log
  // within seconds, so this keeps the verdict the same from one refresh to the next.
  const tailed = names.filter((n) => typeof evidence[n] === "object" && evidence[n] !== null && (evidence[n] as { judged?: unknown }).judged === false);
  if (tailed.length > 0) {
    const query = `{project=${JSON.stringify(input.projectName)}, container=~${exactly(tailed)}}`;
    const r = await lokiCount(input, io, query, now - input.flowWindowSeconds * 1000, now + 1000);
    evidence.window = { query, ...r };
    if ("problem" in r) return v("red", `docker: ${r.problem}`, evidence);
    if (r.count > 0) return v("green", undefined, evidence);
  }
  return v("warn", `docker: not shown: none of ${names.join(", ")} logged a line the running Alloy read between ${IN_FLIGHT_SECONDS} s and ${input.flowWindowSeconds / 60} minutes ago`, evidence);
}

async function journalSource(input: SourcesInput, io: Io, list: AlloyComponent[] | undefined): Promise<SourceVerdict> {
  const v = (status: SourceVerdict["status"], finding: string | undefined, evidence: Record<string, unknown>): SourceVerdict => ({ source: "journal", status, ...(finding ? { finding } : {}), evidence });
  if (list) {
    const journals = [...byLocalId(list).values()].filter((c) => c.name === "loki.source.journal");
    if (journals.length === 0) return v("red", "journal: alloy.journaldUnits is set but the running Alloy has no loki.source.journal", {});
    const sick = journals.find((c) => c.health.state !== "healthy");
    if (sick) return v("red", `journal: the running ${sick.localID} is ${sick.health.state}: ${sick.health.message}`, {});
  }
  const now = io.clock.now();
  const query = `{project=${JSON.stringify(input.projectName)}, unit=~${exactly(input.journaldUnits)}}`;
  const r = await lokiCount(input, io, query, now - input.journalWindowSeconds * 1000, now + 1000);
  if ("problem" in r) return v("red", `journal: ${r.problem}`, { query });
  if (r.count > 0) return v("green", undefined, { query });
  return v("warn", `journal: not shown: no entry of ${input.journaldUnits.join(", ")} reached Loki in the last ${input.journalWindowSeconds / 3600} hours; the proof cannot make these units log, and a quiet host has nothing to ship (not a fault by itself)`, { query });
}

/** Every configured source's verdict; the Alloy component API is read once (when its port is published). */
export async function checkSources(input: SourcesInput, io: Io): Promise<{ verdicts: SourceVerdict[]; problem?: string }> {
  let list: AlloyComponent[] | undefined;
  let details: Map<string, AlloyComponent> | undefined;
  if (input.alloyUrl) {
    const read = await readAlloy(input.alloyUrl, io, input.timeoutMs, (l) => [...byLocalId(l).values()].filter((c) => c.name === "loki.source.file" || c.name === "loki.source.docker").map((c) => c.localID));
    if (!read.ok) return { verdicts: [], problem: `alloy: ${read.problem}` };
    list = read.list;
    details = read.details;
  }
  // Independent reads: asked at once, reported in source order.
  const verdicts = await Promise.all([
    filesSource(input, io, details),
    ...(input.dockerAllowlist.length > 0 ? [dockerSource(input, io, details)] : []),
    ...(input.journaldUnits.length > 0 ? [journalSource(input, io, list)] : []),
  ]);
  return { verdicts };
}
