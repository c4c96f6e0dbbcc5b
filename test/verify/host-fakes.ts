// A fake fleet host for the host proof's tests and the fan-out bench: its engine (ping, the agents'
// states, the run-once marker writer) and the central Loki and Prometheus as that host's data reaches
// them, each answer after `latencyMs`. The clock is virtual (sleep advances it at once) unless
// `realClock`, which the wall-time tests and the bench use.
import type { EngineInfo, RunOnceRequest } from "../../components/verify/engine";
import type { HostInput, HostIo } from "../../components/verify/checks/host";
import type { ContainerInfo, HttpRequest, HttpResponse, ProbeResult } from "../../components/verify/types";

export type AgentRole = "alloy" | "nodeExporter" | "cadvisor";

export interface FakeHostOptions {
  name: string;
  /** The engine's answer to ping: an error thrown, "hang" (never answers), or the default version. */
  engine?: "up" | "hang" | Error;
  /** Per role: null = no such container, else fields over a running, healthy container. */
  agents?: Partial<Record<AgentRole, Partial<ContainerInfo> | null>>;
  /** Health states an agent goes through on successive inspections (the last one stays). */
  healthSequence?: Partial<Record<AgentRole, string[]>>;
  /** What the marker writer returns (default: exit 0, the line appended). */
  write?: (req: RunOnceRequest) => ProbeResult | Promise<ProbeResult>;
  /** Whether Loki returns the appended marker with host=<name>, and how long after it was written. */
  logsArrive?: boolean;
  logsDelayMs?: number;
  /** Per job: null = no series; age in seconds of the last sample and its up value. */
  series?: Partial<Record<"node-exporter" | "cadvisor", { ageSeconds: number; up: number } | null>>;
  latencyMs?: number;
  realClock?: boolean;
}

export interface FakeHost {
  io: HostIo;
  input: HostInput;
  runs: RunOnceRequest[];
  inspections: number;
  lokiQueries: string[];
  promQueries: string[];
}

const NOW = 1_800_000_000_000;

export function hostInput(name: string, over: Partial<HostInput> = {}): HostInput {
  return {
    host: name,
    dockerUrl: `unix:///run/fleet/${name}/docker.sock`,
    projectName: "logging-test",
    agents: { alloy: "logging-test-alloy", nodeExporter: "logging-test-node-exporter", cadvisor: "logging-test-cadvisor" },
    logsRoot: "/var/log/lb",
    markerFile: "logging-bootstrap-proof.log",
    lokiUrl: "http://loki.central:3100",
    prometheusUrl: "http://prometheus.central:9090",
    scrapeIntervalSeconds: 15,
    ingestionTimeoutSeconds: 10,
    startingGraceSeconds: 20,
    pollIntervalMs: 500,
    ...over,
  };
}

const json = (body: unknown): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify(body) });

export function fakeHost(o: FakeHostOptions, inputOver: Partial<HostInput> = {}): FakeHost {
  let now = NOW;
  const clock = o.realClock
    ? { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) }
    : { now: () => now, sleep: async (ms: number) => void (now += ms) };
  const lag = async () => {
    if (o.latencyMs) await new Promise((r) => setTimeout(r, o.latencyMs));
  };
  const written: { line: string; at: number }[] = [];
  const seq: Partial<Record<AgentRole, number>> = {};
  const input = hostInput(o.name, inputOver);
  const roleOf = (name: string) => (Object.keys(input.agents) as AgentRole[]).find((r) => input.agents[r] === name);
  const h: FakeHost = { io: undefined as unknown as HostIo, input, runs: [], inspections: 0, lokiQueries: [], promQueries: [] };
  const docker: HostIo["docker"] = {
    async ping(): Promise<EngineInfo> {
      if (o.engine === "hang") return await new Promise<never>(() => undefined);
      await lag();
      if (o.engine instanceof Error) throw o.engine;
      return { version: "28.0.0", apiVersion: "1.48", os: "linux" };
    },
    async inspectContainer(name) {
      await lag();
      h.inspections++;
      const role = roleOf(name);
      if (!role) return null;
      const over = o.agents?.[role];
      if (over === null) return null;
      const states = o.healthSequence?.[role];
      const i = (seq[role] = (seq[role] ?? -1) + 1);
      const health = states ? states[Math.min(i, states.length - 1)] : "healthy";
      return { id: `id-${name}`, name, imageId: `sha256:${role}`, imageRef: `img/${role}`, state: "running", running: true, health, networks: ["logging-test-net"], ...over };
    },
    async runOnce(req) {
      await lag();
      h.runs.push(req);
      const r = o.write ? await o.write(req) : { exitCode: 0, stdout: "", stderr: "", timedOut: false };
      if (r.exitCode === 0 && !r.timedOut) written.push({ line: req.env.LB_LINE, at: clock.now() });
      return r;
    },
  };
  const http = async (req: HttpRequest): Promise<HttpResponse> => {
    await lag();
    const url = new URL(req.url);
    const query = url.searchParams.get("query") ?? "";
    if (url.pathname === "/loki/api/v1/query_range") {
      h.lokiQueries.push(query);
      const file = `${input.logsRoot}/${input.markerFile}`;
      const visible = written.filter((w) => o.logsArrive !== false && clock.now() - w.at >= (o.logsDelayMs ?? 0));
      const values = visible.filter((w) => query.includes(w.line.replace(/^.*marker=(\S+).*$/, "marker=$1"))).map((w) => [String(w.at * 1e6), w.line]);
      const result = values.length ? [{ stream: { host: o.name, filename: file, job: "logs", project: input.projectName }, values }] : [];
      return json({ status: "success", data: { resultType: "streams", result } });
    }
    if (url.pathname === "/api/v1/query") {
      h.promQueries.push(query);
      const t = clock.now() / 1000;
      const result = (["node-exporter", "cadvisor"] as const).flatMap((job) => {
        const s = o.series?.[job] === undefined ? { ageSeconds: 5, up: 1 } : o.series[job];
        if (!s) return [];
        const v = query.includes("timestamp(") ? t - s.ageSeconds : s.up;
        return [{ metric: { job }, value: [t, String(v)] }];
      });
      return json({ status: "success", data: { resultType: "vector", result } });
    }
    return { status: 404, headers: {}, body: "" };
  };
  let hex = 0;
  h.io = { http, clock, docker, randomHex: (b) => (++hex).toString(16).padStart(b * 2, "0") };
  return h;
}
