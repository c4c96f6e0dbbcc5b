// The read-only half of a fleet host's proof: what `pulumi refresh` re-checks on a HostProof without
// writing anything on the host (checks/host.ts writes a marker; refresh must not mutate a host).
// (a) the engine answers, (b) the agents run and are healthy, (d) the host's series are fresh in
// Prometheus, each judged by checks/host.ts' own pieces, and instead of a new marker (c') the marker
// the last apply wrote is still in Loki with host="X". A marker as old as the logs retention asks for
// a new proof on the next apply (warn E_PROOF_REPROVE_NEEDED, as L3's refresh does). Every finding
// starts with the host's name and carries no clock reading, so a healthy fleet refreshes unchanged.
import type { ErrorCode } from "../../contracts/errors";
import { agentVerdict, HOST_DEFAULTS, hostMarkerQuery, hostSeriesQueries, seriesFindings, vectorByJob } from "./checks/host";
import type { HostAgents, HostInput, HostIo, HostResult } from "./checks/host";
import { findMarker } from "./checks/ingestion";
import { joinUrl, parseJson, retryUntil, transportReason } from "./checks/common";
import { markerExpired, markerWindow } from "./evidence";

const ROLES: readonly (keyof HostAgents)[] = ["alloy", "nodeExporter", "cadvisor"];

/** How the read polls: a container still starting is waited for, stale series are read again (both bounded). */
const POLL = { initialMs: 500, factor: 1, maxMs: 500 } as const;

/** The last apply's marker in Loki: found (with host="X"), absent, or why it could not be asked. */
export async function lastMarkerFindings(input: HostInput, marker: string, retentionSeconds: number, io: Pick<HostIo, "http" | "clock">, diagnostics: Record<string, unknown>): Promise<string[]> {
  const X = input.host;
  const query = hostMarkerQuery(input, marker);
  const w = markerWindow(marker, io.clock.now(), { retentionSeconds, ingestionTimeoutSeconds: input.ingestionTimeoutSeconds ?? HOST_DEFAULTS.ingestionTimeoutSeconds });
  const params = new URLSearchParams({ query, start: (BigInt(w.startMs) * 1_000_000n).toString(), end: (BigInt(w.endMs) * 1_000_000n).toString(), limit: "100", direction: "backward" });
  Object.assign(diagnostics, { marker, query });
  const { last } = await retryUntil(io.clock, { deadlineMs: 10_000, maxAttempts: 3, backoff: POLL }, async () => {
    try {
      const res = await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/query_range")}?${params}`, timeoutMs: 5000 });
      const parsed = parseJson(res.body);
      if (res.status !== 200 || !parsed.ok) return { findings: [`${X}: Loki did not answer the query for the host's last marker (${res.status !== 200 ? `HTTP ${res.status}` : "body is not JSON"})`] };
      const m = findMarker(parsed.value, marker);
      if (m.entry && m.entry.labels.host === X) return { findings: [] };
      // An answer without it is final: asking again would not make it appear.
      return { findings: [`${X}: the marker its last apply wrote (${marker}) is not in Loki with host="${X}"`], stop: true };
    } catch (e) {
      return { findings: [`${X}: Loki did not answer the query for the host's last marker (${transportReason(e)})`] };
    }
  });
  return last.findings;
}

/** (b) once the engine answered: every agent fine, still-starting ones waited for within the grace. */
async function agentsRead(input: HostInput, io: HostIo, diagnostics: Record<string, unknown>): Promise<string[]> {
  const graceMs = (input.startingGraceSeconds ?? HOST_DEFAULTS.startingGraceSeconds) * 1000;
  const { last, attempts } = await retryUntil(io.clock, { deadlineMs: graceMs, maxAttempts: Math.ceil(graceMs / POLL.maxMs) + 1, backoff: POLL }, async () => {
    const infos = await Promise.all(ROLES.map((r) => io.docker.inspectContainer(input.agents[r])));
    const verdicts = ROLES.map((r, i) => agentVerdict(input.host, r, input.agents[r], infos[i]));
    const down = verdicts.flatMap((v) => (v.kind === "down" ? [v.finding] : []));
    const starting = verdicts.flatMap((v) => (v.kind === "starting" ? [`${v.finding} after ${graceMs / 1000} s`] : []));
    // Down is final; only a container still coming up is worth another look.
    return { findings: [...down, ...starting], stop: down.length > 0 };
  });
  diagnostics.agents = { attempts };
  return last.findings;
}

/** (d): the host's node-exporter and cAdvisor series fresh and up in Prometheus, read again for up to three scrape intervals. */
async function seriesRead(input: HostInput, io: HostIo, diagnostics: Record<string, unknown>): Promise<string[]> {
  const X = input.host;
  const boundS = input.scrapeIntervalSeconds * 3;
  const q = hostSeriesQueries(X);
  const ask = async (query: string) => {
    const res = await io.http({ url: `${joinUrl(input.prometheusUrl, "/api/v1/query")}?${new URLSearchParams({ query })}`, timeoutMs: 5000 });
    const parsed = parseJson(res.body);
    if (res.status !== 200 || !parsed.ok) return { ok: false as const, problem: res.status !== 200 ? `HTTP ${res.status}` : "body is not JSON" };
    return vectorByJob(parsed.value);
  };
  const { last, attempts } = await retryUntil(io.clock, { deadlineMs: boundS * 1000, maxAttempts: Math.ceil((boundS * 1000) / POLL.maxMs) + 1, backoff: POLL }, async () => {
    try {
      const [fresh, up] = await Promise.all([ask(q.fresh), ask(q.up)]);
      if (!fresh.ok || !up.ok) return { findings: [`${X}: Prometheus did not answer the host's series query (${!fresh.ok ? fresh.problem : (up as { problem: string }).problem})`] };
      return { findings: seriesFindings(X, fresh.byJob, up.byJob, boundS) };
    } catch (e) {
      return { findings: [`${X}: Prometheus did not answer the host's series query (${transportReason(e)})`] };
    }
  });
  Object.assign(diagnostics, { queries: q, boundSeconds: boundS, attempts });
  return last.findings;
}

/** A host proof's refresh: nothing is written on the host. `marker`: the one the last apply wrote (state). */
export async function checkHostRead(input: HostInput, marker: string | undefined, retentionSeconds: number, io: HostIo): Promise<HostResult> {
  const t0 = io.clock.now();
  const X = input.host;
  const diagnostics: Record<string, unknown> = { host: X, docker: input.dockerUrl, mode: "read" };
  const done = (status: HostResult["status"], findings: string[], code?: ErrorCode): HostResult => {
    const r: HostResult = { host: X, status, durationMs: io.clock.now() - t0, findings, diagnostics };
    if (code) r.code = code;
    // The marker stays the last apply's: refresh never replaces the evidence it re-checks.
    if (marker) r.outputs = { marker };
    return r;
  };
  const engineMs = input.engineTimeoutMs ?? HOST_DEFAULTS.engineTimeoutMs;
  const unreachable = (e: unknown, what: string) =>
    done("red", [`${X}: its Docker engine at ${input.dockerUrl} ${what} (${(e as { code?: string })?.code === "E_NETWORK_TIMEOUT" ? `no answer within ${engineMs} ms` : transportReason(e)})`], "E_PROOF_HOST_UNREACHABLE");
  try {
    diagnostics.engine = await io.docker.ping(engineMs);
  } catch (e) {
    return unreachable(e, "does not answer");
  }
  let agents: string[];
  try {
    agents = await agentsRead(input, io, diagnostics);
  } catch (e) {
    return unreachable(e, "stopped answering");
  }
  if (agents.length) return done("red", agents, "E_PROOF_HOST_AGENTS_DOWN");
  const logs: Record<string, unknown> = {};
  const metrics: Record<string, unknown> = {};
  Object.assign(diagnostics, { logs, metrics });
  const expired = markerExpired(marker, retentionSeconds, io.clock.now());
  const [m, s] = await Promise.all([marker && !expired ? lastMarkerFindings(input, marker, retentionSeconds, io, logs) : Promise.resolve([]), seriesRead(input, io, metrics)]);
  if (m.length || s.length) return done("red", [...m, ...s], "E_PROOF_HOST_SILENT");
  // No marker to re-check (an older state, or one as old as the retention): green on what was read, the next apply proves anew.
  if (!marker || expired) return done("warn", [`${X}: ${expired ?? "no marker of an apply in the proof's state"}: the next apply writes a new one`], "E_PROOF_REPROVE_NEEDED");
  return done("green", []);
}
