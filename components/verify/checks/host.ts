// A fleet host's proof (docs/FLEET.md "Proofs per host"), with io.docker being THAT host's engine:
// (a) the engine answers (bounded) else E_PROOF_HOST_UNREACHABLE;
// (b) its agent containers (Alloy, node-exporter, cAdvisor) exist, run and are healthy by the engine's
//     own health state (none|starting|healthy|unhealthy; a container still `starting`, or
//     `restarting`, is waited for within startingGraceSeconds) else E_PROOF_HOST_AGENTS_DOWN;
// (c) a marker written ON that host (a run-once container on its engine, from the image its
//     node-exporter runs, BusyBox `sh`, logsRoot bind-mounted; the line passed as the environment,
//     never put into the command; refused when logsRoot or the marker file is a symbolic link) comes
//     back from the central Loki with host="X" within ingestionTimeoutSeconds, and
// (d) its node-exporter and cAdvisor series (the jobs the stack scrapes them under, render/jobs.ts
//     JOB: `node-exporter`, `cadvisor`) reach the central Prometheus with host="X", their last sample
//     within three scrape intervals and up=1 (polled for three scrape intervals)
//     else E_PROOF_HOST_SILENT naming what is missing. (c) and (d) run side by side.
// Every finding starts with the host's name and carries no time, so it can live in a proof's state.
import * as path from "path";
import type { ErrorCode } from "../../../contracts/errors";
import { LABEL_PROJECT } from "../../../contracts/plan";
import { JOB } from "../../render/jobs";
import type { EngineOps, RunOnceRequest } from "../engine";
import { newMarker } from "../evidence";
import type { ContainerInfo, DockerIo, Io, ProbeResult, ProofStatus } from "../types";
import { isObj, joinUrl, parseJson, transportReason } from "./common";
import { findMarker, markerLine } from "./ingestion";

/** The agents of a host, by role: the container names on that host's engine. */
export interface HostAgents {
  alloy: string;
  nodeExporter: string;
  cadvisor: string;
}

/** One host's proof input: plain JSON, no secret (the engine's TLS leaves travel apart, engine.ts). */
export interface HostInput {
  /** The host's name: the value of its `host` label. */
  host: string;
  /** Its docker.host (unix://, tcp://, ssh://): named in findings. */
  dockerUrl: string;
  projectName: string;
  agents: HostAgents;
  /** logsRoot on that host (Alloy there tails it, mounted at the same path). */
  logsRoot: string;
  /** File name under logsRoot the marker is appended to. */
  markerFile: string;
  /** The central Loki and Prometheus as this machine reaches them. */
  lokiUrl: string;
  prometheusUrl: string;
  /** The scrape interval of the host's Alloy: a series is fresh within three of them. */
  scrapeIntervalSeconds: number;
  engineTimeoutMs?: number;
  startingGraceSeconds?: number;
  ingestionTimeoutSeconds?: number;
  pollIntervalMs?: number;
  /** Bound of the marker-writing container's run. */
  markerRunTimeoutMs?: number;
  /** The image the marker is written with (BusyBox sh); default the image the node-exporter container runs. */
  markerImage?: string;
}

export const HOST_DEFAULTS = { engineTimeoutMs: 10_000, startingGraceSeconds: 60, ingestionTimeoutSeconds: 60, pollIntervalMs: 500, markerRunTimeoutMs: 20_000 } as const;

/** The I/O the host proof uses: HTTP to the centre, the host's engine, the clock. */
export type HostIo = Pick<Io, "http" | "clock" | "randomHex"> & { docker: Pick<DockerIo, "inspectContainer"> & EngineOps };

export interface HostResult {
  host: string;
  status: ProofStatus;
  code?: ErrorCode;
  durationMs: number;
  findings: string[];
  diagnostics: Record<string, unknown>;
  /** The marker written on the host (stable between reads: a proof may keep it). */
  outputs?: { marker: string };
}

/** Where the run-once container sees the parent of logsRoot (read-only) and logsRoot itself. */
export const MARKER_MOUNT = { parent: "/lbproof/parent", logs: "/lbproof/logs" } as const;

/**
 * The marker writer: one constant script; the line, the file name and logsRoot's base name arrive as
 * the environment (LB_LINE, LB_FILE, LB_ROOT_NAME), never inside it. logsRoot must not be a link in
 * its parent (exit 3, readlink's target on stderr) and must be the very directory mounted (exit 4:
 * swapped after the engine resolved the mount); the marker file must not be a link (exit 5).
 */
export const HOST_MARKER_SCRIPT = [
  `p="${MARKER_MOUNT.parent}/$LB_ROOT_NAME"`,
  'if [ -L "$p" ]; then readlink "$p" >&2; exit 3; fi',
  `if ! [ "${MARKER_MOUNT.logs}" -ef "$p" ]; then exit 4; fi`,
  `f="${MARKER_MOUNT.logs}/$LB_FILE"`,
  'if [ -L "$f" ]; then exit 5; fi',
  'printf \'%s\\n\' "$LB_LINE" >> "$f"',
].join("\n");

/** The run-once container that appends `line` to the marker file on the host. */
export function markerWriteRequest(input: HostInput, image: string, line: string, name: string): RunOnceRequest {
  const root = input.logsRoot.replace(/\/+$/, "");
  if (!root.startsWith("/") || root === "") throw new Error(`logsRoot must be an absolute directory other than /: ${JSON.stringify(input.logsRoot)}`);
  if (!/^[A-Za-z0-9._-]+$/.test(input.markerFile) || input.markerFile.startsWith(".")) throw new Error(`the marker file must be a plain file name: ${JSON.stringify(input.markerFile)}`);
  return {
    image,
    entrypoint: ["/bin/sh"],
    cmd: ["-c", HOST_MARKER_SCRIPT],
    env: { LB_LINE: line, LB_FILE: input.markerFile, LB_ROOT_NAME: path.posix.basename(root) },
    mounts: [
      { source: path.posix.dirname(root), target: MARKER_MOUNT.parent, readOnly: true },
      { source: root, target: MARKER_MOUNT.logs, readOnly: false },
    ],
    // logsRoot is root's; the image runs as nobody.
    user: "0:0",
    name,
    labels: { [LABEL_PROJECT]: input.projectName, "logging-bootstrap.probe": "true", "logging-bootstrap.host": input.host },
    timeoutMs: input.markerRunTimeoutMs ?? HOST_DEFAULTS.markerRunTimeoutMs,
  };
}

/** The LogQL query that finds the marker written on `host`. */
export function hostMarkerQuery(input: Pick<HostInput, "host" | "logsRoot" | "markerFile">, marker: string): string {
  const file = `${input.logsRoot.replace(/\/+$/, "")}/${input.markerFile}`;
  return `{host=${JSON.stringify(input.host)}, filename=${JSON.stringify(file)}} |= ${JSON.stringify(`marker=${marker}`)}`;
}

const ROLES: readonly (keyof HostAgents)[] = ["alloy", "nodeExporter", "cadvisor"];
const ROLE_NAME: Record<keyof HostAgents, string> = { alloy: "alloy", nodeExporter: "node-exporter", cadvisor: "cadvisor" };

/** One agent by the engine's own state: fine, still coming up (waited for), or why it is down. */
export function agentVerdict(host: string, role: keyof HostAgents, name: string, c: ContainerInfo | null): { kind: "ok" } | { kind: "starting"; finding: string } | { kind: "down"; finding: string } {
  const who = `${host}: ${ROLE_NAME[role]} container ${name}`;
  if (!c) return { kind: "down", finding: `${who} does not exist` };
  if (c.state === "restarting") return { kind: "starting", finding: `${who} is still restarting` };
  if (!c.running) return { kind: "down", finding: `${who} is ${c.state}` };
  if (c.health === "starting") return { kind: "starting", finding: `${who} is still starting (health: starting)` };
  if (c.health === "unhealthy") return { kind: "down", finding: `${who} is unhealthy` };
  // healthy, or no health check at all ("none"/absent): running is all the engine can say.
  return { kind: "ok" };
}

function reason(e: unknown, ms: number): string {
  return (e as { code?: string })?.code === "E_NETWORK_TIMEOUT" ? `no answer within ${ms} ms` : transportReason(e);
}

async function agentsUp(input: HostInput, io: HostIo): Promise<{ findings: string[]; nodeExporter?: ContainerInfo; attempts: number; states: Record<string, unknown> }> {
  const graceMs = (input.startingGraceSeconds ?? HOST_DEFAULTS.startingGraceSeconds) * 1000;
  const poll = Math.max(250, input.pollIntervalMs ?? HOST_DEFAULTS.pollIntervalMs);
  const start = io.clock.now();
  const maxAttempts = Math.ceil(graceMs / poll) + 1;
  for (let attempt = 1; ; attempt++) {
    const infos = await Promise.all(ROLES.map((r) => io.docker.inspectContainer(input.agents[r])));
    const verdicts = ROLES.map((r, i) => agentVerdict(input.host, r, input.agents[r], infos[i]));
    const states = Object.fromEntries(ROLES.map((r, i) => [ROLE_NAME[r], infos[i] ? { state: infos[i]!.state, health: infos[i]!.health ?? "none" } : null]));
    const left = graceMs - (io.clock.now() - start);
    if (!verdicts.some((v) => v.kind === "starting") || left <= 0 || attempt >= maxAttempts) {
      const findings = verdicts.flatMap((v) => (v.kind === "ok" ? [] : v.kind === "starting" ? [`${v.finding} after ${graceMs / 1000} s`] : [v.finding]));
      return { findings, nodeExporter: infos[ROLES.indexOf("nodeExporter")] ?? undefined, attempts: attempt, states };
    }
    await io.clock.sleep(Math.min(poll, left));
  }
}

/** What a non-zero exit of the marker writer means. */
function writeFailure(input: HostInput, r: ProbeResult): string {
  const root = input.logsRoot.replace(/\/+$/, "");
  const file = `${root}/${input.markerFile}`;
  const first = r.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "");
  if (r.timedOut) return `${input.host}: writing the marker to ${file} did not finish within ${input.markerRunTimeoutMs ?? HOST_DEFAULTS.markerRunTimeoutMs} ms`;
  if (r.exitCode === 3) return `${input.host}: ${root} is a symbolic link${first ? ` (to ${first})` : ""}: the marker is not written through it`;
  if (r.exitCode === 4) return `${input.host}: ${root} is not the directory the engine mounted (replaced while the marker was written): nothing written`;
  if (r.exitCode === 5) return `${input.host}: ${file} is a symbolic link: the marker is not written through it`;
  return `${input.host}: writing the marker to ${file} failed (exit ${r.exitCode}${first ? `: ${first}` : ""})`;
}

async function markerComesBack(input: HostInput, io: HostIo, image: string | undefined, diagnostics: Record<string, unknown>): Promise<{ findings: string[]; marker?: string }> {
  const X = input.host;
  if (!image) return { findings: [`${X}: no image to write the marker with (the node-exporter container runs none)`] };
  const marker = newMarker(io.clock.now(), io.randomHex(10));
  const query = hostMarkerQuery(input, marker);
  const file = `${input.logsRoot.replace(/\/+$/, "")}/${input.markerFile}`;
  const attempts: { attempt: number; status?: number; resultCount?: number; error?: string }[] = [];
  Object.assign(diagnostics, { marker, query, attempts });
  let req: RunOnceRequest;
  try {
    req = markerWriteRequest(input, image, markerLine(marker), `${input.projectName}-marker-${io.randomHex(6)}`);
  } catch (e) {
    return { findings: [`${X}: ${(e as Error).message}`] };
  }
  let r: ProbeResult;
  try {
    r = await io.docker.runOnce(req);
  } catch (e) {
    return { findings: [`${X}: the marker could not be written to ${file} on ${X} (${transportReason(e).split("\n")[0]})`] };
  }
  diagnostics.write = { exitCode: r.exitCode, timedOut: r.timedOut, stderr: r.stderr.slice(0, 300) };
  if (r.exitCode !== 0 || r.timedOut) return { findings: [writeFailure(input, r)] };
  const writtenMs = io.clock.now();
  const timeoutS = input.ingestionTimeoutSeconds ?? HOST_DEFAULTS.ingestionTimeoutSeconds;
  const deadline = writtenMs + timeoutS * 1000;
  const startNs = (BigInt(writtenMs) - 60_000n) * 1_000_000n;
  for (let n = 1; n <= 10_000; n++) {
    const endNs = BigInt(io.clock.now() + 1000) * 1_000_000n;
    const params = new URLSearchParams({ query, start: startNs.toString(), end: endNs.toString(), limit: "100", direction: "backward" });
    const a: (typeof attempts)[number] = { attempt: n };
    try {
      const res = await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/query_range")}?${params}`, timeoutMs: Math.max(100, Math.min(5000, deadline - io.clock.now())) });
      a.status = res.status;
      const parsed = parseJson(res.body);
      if (res.status === 200 && parsed.ok) {
        const m = findMarker(parsed.value, marker);
        a.resultCount = m.resultCount;
        if (m.problem) a.error = m.problem;
        if (m.entry && m.entry.labels.host === X) {
          attempts.push(a);
          diagnostics.visibleAfterMs = io.clock.now() - writtenMs;
          return { findings: [], marker };
        }
      } else a.error = res.status !== 200 ? `HTTP ${res.status}` : "body is not JSON";
    } catch (e) {
      a.error = transportReason(e);
    }
    attempts.push(a);
    if (attempts.length > 12) attempts.splice(1, 1);
    const left = deadline - io.clock.now();
    if (left <= 0) break;
    await io.clock.sleep(Math.min(input.pollIntervalMs ?? HOST_DEFAULTS.pollIntervalMs, left));
  }
  return { findings: [`${X}: the marker written to ${file} on ${X} did not come back from Loki with host="${X}" within ${timeoutS} s`], marker };
}

/** The scrape jobs of a host's node-exporter and cAdvisor (the same on every host: the rules and dashboards read them alike). */
export const HOST_JOBS = [JOB.nodeExporter, JOB.cadvisor] as const;

/** The two instant queries of (d): each job's last sample time, and its up value. */
export function hostSeriesQueries(host: string): { fresh: string; up: string } {
  const sel = `up{host=${JSON.stringify(host)}, job=~"${HOST_JOBS.join("|")}"}`;
  return { fresh: `max by (job) (timestamp(${sel}))`, up: `max by (job) (${sel})` };
}

/** Prometheus' instant vector answer as job -> [evaluation time s, value]; or why it is none. */
export function vectorByJob(value: unknown): { ok: true; byJob: Record<string, [number, number]> } | { ok: false; problem: string } {
  if (!isObj(value) || value.status !== "success" || !isObj(value.data)) return { ok: false, problem: "answer has no status=success/data" };
  if (value.data.resultType !== "vector" || !Array.isArray(value.data.result)) return { ok: false, problem: `resultType is ${JSON.stringify(value.data.resultType)}, expected "vector"` };
  const byJob: Record<string, [number, number]> = {};
  for (const s of value.data.result) {
    if (!isObj(s) || !isObj(s.metric) || typeof s.metric.job !== "string" || !Array.isArray(s.value)) continue;
    const [t, v] = [Number(s.value[0]), Number(s.value[1])];
    if (Number.isFinite(t) && Number.isFinite(v)) byJob[s.metric.job] = [t, v];
  }
  return { ok: true, byJob };
}

/** (d) on one reading: each job's series present, fresh within `boundS`, and up. */
export function seriesFindings(host: string, fresh: Record<string, [number, number]>, up: Record<string, [number, number]>, boundS: number): string[] {
  const out: string[] = [];
  for (const job of HOST_JOBS) {
    const f = fresh[job];
    if (!f) out.push(`${host}: no ${job} series with host="${host}" in Prometheus`);
    else if (f[0] - f[1] > boundS) out.push(`${host}: the ${job} series with host="${host}" stopped: no sample within ${boundS} s`);
    else if (up[job] && up[job][1] !== 1) out.push(`${host}: ${job} is down in Prometheus (up=0: the host's Alloy does not reach it)`);
  }
  return out;
}

async function seriesArrive(input: HostInput, io: HostIo, diagnostics: Record<string, unknown>): Promise<string[]> {
  const X = input.host;
  const boundS = input.scrapeIntervalSeconds * 3;
  const q = hostSeriesQueries(X);
  const start = io.clock.now();
  const readings: unknown[] = [];
  Object.assign(diagnostics, { queries: q, boundSeconds: boundS, readings });
  const ask = async (query: string) => {
    const res = await io.http({ url: `${joinUrl(input.prometheusUrl, "/api/v1/query")}?${new URLSearchParams({ query })}`, timeoutMs: 5000 });
    const parsed = parseJson(res.body);
    if (res.status !== 200 || !parsed.ok) return { ok: false as const, problem: res.status !== 200 ? `HTTP ${res.status}` : "body is not JSON" };
    return vectorByJob(parsed.value);
  };
  let last: string[] = [];
  for (let n = 1; n <= 10_000; n++) {
    try {
      const [fresh, up] = await Promise.all([ask(q.fresh), ask(q.up)]);
      if (!fresh.ok || !up.ok) last = [`${X}: Prometheus did not answer the host's series query (${!fresh.ok ? fresh.problem : (up as { problem: string }).problem})`];
      else {
        last = seriesFindings(X, fresh.byJob, up.byJob, boundS);
        readings.push({ n, fresh: fresh.byJob, up: up.byJob });
      }
    } catch (e) {
      last = [`${X}: Prometheus did not answer the host's series query (${transportReason(e)})`];
    }
    if (readings.length > 6) readings.splice(1, 1);
    const left = boundS * 1000 - (io.clock.now() - start);
    if (last.length === 0 || left <= 0) break;
    await io.clock.sleep(Math.min(Math.max(250, input.pollIntervalMs ?? HOST_DEFAULTS.pollIntervalMs), left));
  }
  return last;
}

export async function checkHost(input: HostInput, io: HostIo): Promise<HostResult> {
  const t0 = io.clock.now();
  const X = input.host;
  const diagnostics: Record<string, unknown> = { host: X, docker: input.dockerUrl };
  const done = (findings: string[], code: ErrorCode, marker?: string): HostResult => {
    const r: HostResult = { host: X, status: findings.length ? "red" : "green", durationMs: io.clock.now() - t0, findings, diagnostics };
    if (findings.length) r.code = code;
    if (marker) r.outputs = { marker };
    return r;
  };
  // (a) the engine answers.
  const engineMs = input.engineTimeoutMs ?? HOST_DEFAULTS.engineTimeoutMs;
  try {
    diagnostics.engine = await io.docker.ping(engineMs);
  } catch (e) {
    diagnostics.engine = { error: String((e as Error)?.message ?? e).split("\n")[0] };
    return done([`${X}: its Docker engine at ${input.dockerUrl} does not answer (${reason(e, engineMs)})`], "E_PROOF_HOST_UNREACHABLE");
  }
  // (b) its agents run and are healthy.
  let agents: Awaited<ReturnType<typeof agentsUp>>;
  try {
    agents = await agentsUp(input, io);
  } catch (e) {
    return done([`${X}: its Docker engine at ${input.dockerUrl} stopped answering (${reason(e, engineMs)})`], "E_PROOF_HOST_UNREACHABLE");
  }
  diagnostics.agents = { states: agents.states, attempts: agents.attempts };
  if (agents.findings.length) return done(agents.findings, "E_PROOF_HOST_AGENTS_DOWN");
  // (c) and (d): the host's logs and series reach the centre.
  const logs: Record<string, unknown> = {};
  const metrics: Record<string, unknown> = {};
  diagnostics.logs = logs;
  diagnostics.metrics = metrics;
  const [m, s] = await Promise.all([markerComesBack(input, io, input.markerImage ?? agents.nodeExporter?.imageId, logs), seriesArrive(input, io, metrics)]);
  return done([...m.findings, ...s], "E_PROOF_HOST_SILENT", m.marker);
}

/** How long one host's proof may take at most (the suite's bound around it): every stage's own bound plus slack. */
export function hostBudgetMs(input: HostInput): number {
  const ingestion = (input.markerRunTimeoutMs ?? HOST_DEFAULTS.markerRunTimeoutMs) + 25_000 + (input.ingestionTimeoutSeconds ?? HOST_DEFAULTS.ingestionTimeoutSeconds) * 1000;
  const series = input.scrapeIntervalSeconds * 3 * 1000 + 10_000;
  return (input.engineTimeoutMs ?? HOST_DEFAULTS.engineTimeoutMs) * 2 + (input.startingGraceSeconds ?? HOST_DEFAULTS.startingGraceSeconds) * 1000 + Math.max(ingestion, series) + 10_000;
}

/** The inputs a host proof cannot run without (a HostProof's Check reports them before anything runs). */
export const HOST_REQUIRED_INPUTS = ["host", "dockerUrl", "projectName", "agents", "logsRoot", "markerFile", "lokiUrl", "prometheusUrl", "scrapeIntervalSeconds"] as const;

/**
 * A HostProof's properties back into its input: what is missing or of the wrong type is listed (the
 * proof's Check reports it), the optional bounds are kept when they are numbers. The engine's TLS
 * leaves are not properties of this bag: they are the proof's secret inputs (engine.ts DockerEngine).
 */
export function hostInputFromProps(props: Record<string, unknown>): { ok: true; input: HostInput } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const str = (k: string) => (typeof props[k] === "string" && props[k] !== "" ? (props[k] as string) : (problems.push(`${k} must be a non-empty string`), ""));
  const agents = isObj(props.agents) ? props.agents : {};
  for (const r of ROLES) if (typeof agents[r] !== "string" || agents[r] === "") problems.push(`agents.${r} must be a container name`);
  const input: HostInput = {
    host: str("host"),
    dockerUrl: str("dockerUrl"),
    projectName: str("projectName"),
    agents: { alloy: String(agents.alloy ?? ""), nodeExporter: String(agents.nodeExporter ?? ""), cadvisor: String(agents.cadvisor ?? "") },
    logsRoot: str("logsRoot"),
    markerFile: str("markerFile"),
    lokiUrl: str("lokiUrl"),
    prometheusUrl: str("prometheusUrl"),
    scrapeIntervalSeconds: typeof props.scrapeIntervalSeconds === "number" && props.scrapeIntervalSeconds > 0 ? props.scrapeIntervalSeconds : (problems.push("scrapeIntervalSeconds must be a positive number"), 0),
  };
  for (const k of ["engineTimeoutMs", "startingGraceSeconds", "ingestionTimeoutSeconds", "pollIntervalMs", "markerRunTimeoutMs"] as const) {
    if (typeof props[k] === "number") input[k] = props[k] as number;
  }
  if (typeof props.markerImage === "string" && props.markerImage !== "") input.markerImage = props.markerImage;
  return problems.length ? { ok: false, problems } : { ok: true, input };
}
