// The L1-L8 check functions against small in-process servers with the upstream API shapes and a
// scripted Docker: each level goes green and red for real, with the right code.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Readable } from "stream";
import * as tar from "tar";
import { fileFromTar } from "../../components/verify/io";
import {
  checkDashboards,
  checkHealth,
  checkIngestion,
  checkIngestionPath,
  checkLabels,
  checkProvenance,
  checkReachability,
  checkRules,
  containerGrafanaPassword,
  DashboardsInput,
  findMarker,
  parseWgetStatus,
} from "../../components/verify/checks";
import { FAST_POLL_ATTEMPTS, pollDelayMs } from "../../components/verify/checks/ingestion";
import { ingestionSpec, type DesiredState } from "../../components/verify/spec";
import { LOKI_WRITE_BATCH_WAIT, renderAlloyConfig } from "../../components/render/alloy";
import { parseDuration } from "../../contracts/config/values";
import { stackConfig } from "../util/mocks";
import { endpointsFor } from "../../components/verify/contract";
import { markerTimeMs, newMarker } from "../../components/verify/evidence";
import { redactLine } from "../../contracts/config/redaction";
import { allowlistScopes } from "../../components/verify/checks/labels";
import { alloyFixture } from "../util/alloy-fixture";
import { alloyApi } from "../util/alloy-api";
import { FAST_POLICY, FakeDocker, makeTestIo, startServer, TestServer, tmpDir } from "./fakes";

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
async function server(h: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(h);
  servers.push(s);
  return s;
}

describe("L1 health", () => {
  test("green after N consecutive successes, every contract endpoint of the service", async () => {
    const s = await server((_r, url) =>
      url.pathname === "/ready" ? { status: 200, body: "ready\n" } : { status: 200, body: { version: "3.0.0" } },
    );
    const r = await checkHealth({ service: "loki", baseUrl: s.url, endpoints: endpointsFor("loki"), policy: FAST_POLICY, successIntervalMs: 5 }, makeTestIo());
    expect(r).toMatchObject({ level: "L1", status: "green", findings: [] });
    expect(r.code).toBeUndefined();
    expect(s.requests.filter((q) => q.path === "/ready")).toHaveLength(2);
    expect(s.requests.filter((q) => q.path === "/loki/api/v1/status/buildinfo")).toHaveLength(2);
  });

  test("red with E_PROOF_HEALTH after bounded retries when the endpoint answers 503", async () => {
    const s = await server(() => ({ status: 503, body: "Ingester not ready" }));
    const r = await checkHealth({ service: "loki", baseUrl: s.url, endpoints: endpointsFor("loki").slice(0, 1), policy: FAST_POLICY }, makeTestIo());
    expect(r.status).toBe("red");
    expect(r.code).toBe("E_PROOF_HEALTH");
    expect(r.findings).toEqual(["loki: loki-ready: HTTP 503, expected 200"]);
    // retries (3) + 1 initial attempt, no more
    expect(s.requests).toHaveLength(FAST_POLICY.retries + 1);
  });

  test("a flapping endpoint needs consecutive successes", async () => {
    let n = 0;
    const s = await server(() => ({ status: ++n % 2 === 0 ? 503 : 200, body: "ok" }));
    const r = await checkHealth({ service: "cadvisor", baseUrl: s.url, endpoints: [endpointsFor("cadvisor")[0]], policy: FAST_POLICY, successIntervalMs: 1 }, makeTestIo());
    expect(r.status).toBe("red");
  });

  test("a stopped container is red at once without waiting for retries", async () => {
    const docker = new FakeDocker();
    docker.addContainer("p-cadvisor", { running: false, state: "exited" });
    const r = await checkHealth({ service: "cadvisor", container: "p-cadvisor", baseUrl: "http://127.0.0.1:9", endpoints: endpointsFor("cadvisor"), policy: { ...FAST_POLICY, deadlineSeconds: 60, retries: 50 } }, makeTestIo(docker));
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_HEALTH", findings: ["cadvisor: container p-cadvisor is exited"] });
    expect(r.durationMs).toBeLessThan(1000);
  });

  test("connection refused is a finding with a stable reason", async () => {
    const r = await checkHealth({ service: "grafana", baseUrl: "http://127.0.0.1:1", endpoints: endpointsFor("grafana"), policy: { ...FAST_POLICY, retries: 1 } }, makeTestIo());
    expect(r.findings).toEqual(["grafana: grafana-health: no answer (ECONNREFUSED)"]);
  });

  test("an unpublished service is checked through the in-network probe", async () => {
    const docker = new FakeDocker();
    docker.probeImpl = () => ({ exitCode: 0, stdout: "ok", stderr: "  HTTP/1.1 200 OK\n  Content-Type: text/plain\n", timedOut: false });
    const r = await checkHealth(
      { service: "cadvisor", endpoints: [endpointsFor("cadvisor")[0]], policy: FAST_POLICY, successIntervalMs: 1, probe: { image: "img", network: "net", entrypoint: ["busybox"], project: "p", alias: "cadvisor" } },
      makeTestIo(docker),
    );
    expect(r.status).toBe("green");
    expect(docker.probes[0].url).toBe("http://cadvisor:8080/healthz");
    expect(docker.probes[0].network).toBe("net");
  });
});

describe("L2 reachability", () => {
  const base = { url: "http://loki:3100/ready", expectStatus: 200, green: { text: { equals: "ready" } }, timeoutMs: 1000, attempts: 2, deadlineSeconds: 2, probe: { image: "prom", network: "p-net", entrypoint: ["busybox"], project: "p" } };

  test("wget -S status line and body parsed: green", async () => {
    const docker = new FakeDocker();
    docker.probeImpl = () => ({ exitCode: 0, stdout: "ready\n", stderr: "  HTTP/1.1 200 OK\n  Content-Length: 6\n", timedOut: false });
    const r = await checkReachability(base, makeTestIo(docker));
    expect(r.status).toBe("green");
    expect(docker.probes[0]).toMatchObject({ image: "prom", network: "p-net", entrypoint: ["busybox"], labels: { "logging-bootstrap.project": "p", "logging-bootstrap.probe": "true" } });
    expect(docker.probes[0].url).toBe("http://loki:3100/ready");
  });

  test("503 from inside the network: red E_NETWORK_UNREACHABLE", async () => {
    const docker = new FakeDocker();
    docker.probeImpl = () => ({ exitCode: 1, stdout: "", stderr: "  HTTP/1.1 503 Service Unavailable\nwget: server returned error: HTTP/1.1 503 Service Unavailable\n", timedOut: false });
    const r = await checkReachability(base, makeTestIo(docker));
    expect(r).toMatchObject({ status: "red", code: "E_NETWORK_UNREACHABLE" });
    expect(docker.probes).toHaveLength(2);
  });

  test("name not resolvable: red, address-free finding", async () => {
    const docker = new FakeDocker();
    docker.probeImpl = () => ({ exitCode: 1, stdout: "", stderr: "wget: bad address 'loki:3100'\n", timedOut: false });
    const r = await checkReachability({ ...base, attempts: 1 }, makeTestIo(docker));
    expect(r.findings).toEqual(["http://loki:3100/ready not reachable from network p-net: wget: bad address 'loki:3100'"]);
  });

  test("parseWgetStatus takes the last status line", () => {
    expect(parseWgetStatus("  HTTP/1.1 302 Found\n  Location: /x\n  HTTP/1.1 200 OK\n")).toBe(200);
    expect(parseWgetStatus("wget: can't connect")).toBeUndefined();
  });
});

describe("L3 ingestion (P14)", () => {
  /** A Loki whose ingestion is the file itself (through `pipeline`, Alloy's part), visible `delayMs` after the marker was written. */
  async function fakeLoki(dir: string, delayMs: number, pipeline: (line: string) => string = (l) => l): Promise<TestServer> {
    return server((_r, url) => {
      if (url.pathname === "/ready") return { status: 200, body: "ready\n" };
      const file = path.join(dir, "proof.log");
      const q = url.searchParams.get("query") ?? "";
      const marker = /\|= "([^"]+)"/.exec(q)?.[1];
      const st = fs.existsSync(file) ? fs.statSync(file) : undefined;
      const lines = st && Date.now() - st.mtimeMs >= delayMs ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l && (!marker || l.includes(marker))).map(pipeline) : [];
      const result = lines.length ? [{ stream: { filename: file, job: "logs" }, values: lines.map((l) => [`${Date.now()}000000`, l]) }] : [];
      return { status: 200, body: { status: "success", data: { resultType: "streams", result, stats: {} } } };
    });
  }

  test("green once the marker is queryable; end is recomputed on every attempt", async () => {
    const dir = tmpDir();
    const loki = await fakeLoki(dir, 250);
    const r = await checkIngestion({ lokiUrl: loki.url, logsRoot: dir, markerFile: "proof.log", timeoutSeconds: 5, pollIntervalMs: 100 }, makeTestIo());
    expect(r.status).toBe("green");
    const attempts = r.diagnostics.attempts as { attempt: number; start_ns: string; end_ns: string; result_count: number; wall_clock_s: number }[];
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(attempts[0]).slice(0, 5)).toEqual(["attempt", "start_ns", "end_ns", "result_count", "wall_clock_s"]);
    for (let i = 1; i < attempts.length; i++) {
      expect(BigInt(attempts[i].end_ns) > BigInt(attempts[i - 1].end_ns)).toBe(true);
      expect(attempts[i].start_ns).toBe(attempts[0].start_ns);
    }
    expect(attempts[attempts.length - 1].result_count).toBe(1);
    // Plain text, the marker as its own token (P13: matched as a token, not a substring).
    const line = fs.readFileSync(path.join(dir, "proof.log"), "utf8").trim();
    expect(line).toBe(`logging-bootstrap ingestion proof marker=${r.diagnostics.marker}`);
    const q = new URL(loki.url + loki.requests[0].path).searchParams;
    expect(q.get("query")).toBe(`{filename="${dir}/proof.log"} |= "marker=${r.diagnostics.marker}"`);
    expect(q.get("direction")).toBe("backward");
    // The marker is the proof's output: the label proof checks that line's stream.
    expect(r.outputs).toEqual({ marker: r.diagnostics.marker });
  });

  const redactions = [
    { name: "password_kv", pattern: "(?i)password=([^\\s&]+)", replacement: "***REDACTED***", canary: "password=canary-pw" },
    { name: "bearer", pattern: "(?i)authorization:\\s*bearer\\s+([A-Za-z0-9._~+/=-]+)", replacement: "***REDACTED***", canary: "Authorization: Bearer canary.tok" },
    { name: "unproven", pattern: "secret=(\\S+)", replacement: "x" },
  ];
  test("the marker carries one canary per proven redaction; Loki returning them redacted as Alloy would is green", async () => {
    const dir = tmpDir();
    const loki = await fakeLoki(dir, 0, (l) => redactLine(redactions, l));
    const r = await checkIngestion({ lokiUrl: loki.url, logsRoot: dir, markerFile: "proof.log", timeoutSeconds: 5, pollIntervalMs: 100, redactions }, makeTestIo());
    expect(r).toMatchObject({ status: "green", findings: [] });
    const written = fs.readFileSync(path.join(dir, "proof.log"), "utf8").trim();
    expect(written).toBe(`logging-bootstrap ingestion proof marker=${r.diagnostics.marker} | canary password_kv: password=canary-pw | canary bearer: Authorization: Bearer canary.tok`);
    expect(r.diagnostics.returnedLine).toBe(`logging-bootstrap ingestion proof marker=${r.diagnostics.marker} | canary password_kv: password=***REDACTED*** | canary bearer: Authorization: Bearer ***REDACTED***`);
    expect(r.diagnostics.canaries).toEqual(["password_kv", "bearer"]);
  });
  test("a pipeline that leaves a canary (or redacts more than its groups) is red: E_PROOF_REDACTION_FAILED", async () => {
    const unredacted = await fakeLoki(tmpDir(), 0);
    const dir1 = path.dirname(unredacted.url) && tmpDir();
    const a = await fakeLoki(dir1, 0, (l) => redactLine(redactions.slice(0, 1), l)); // the bearer stage missing
    const r1 = await checkIngestion({ lokiUrl: a.url, logsRoot: dir1, markerFile: "proof.log", timeoutSeconds: 5, pollIntervalMs: 100, redactions }, makeTestIo());
    expect(r1).toMatchObject({ status: "red", code: "E_PROOF_REDACTION_FAILED", findings: ["the canary of redaction bearer came back from Loki unredacted"] });
    // A whole-match replacement (not Alloy's capture-group semantics) is caught too.
    const dir2 = tmpDir();
    const b = await fakeLoki(dir2, 0, (l) => l.replace(/password=[^\s&]+/i, "***REDACTED***").replace(/Bearer \S+/, "Bearer ***REDACTED***"));
    const r2 = await checkIngestion({ lokiUrl: b.url, logsRoot: dir2, markerFile: "proof.log", timeoutSeconds: 5, pollIntervalMs: 100, redactions }, makeTestIo());
    expect(r2.code).toBe("E_PROOF_REDACTION_FAILED");
    expect(r2.findings[0]).toMatch(/^the marker line came back as .*canary password_kv: \*\*\*REDACTED\*\*\* .*; Alloy's redaction stages make .*password=\*\*\*REDACTED\*\*\*/);
  });
  test("the marker is never appended through a symbolic link (O_NOFOLLOW), nor into a linked logsRoot", async () => {
    const dir = tmpDir();
    const target = path.join(dir, "target");
    fs.writeFileSync(target, "");
    fs.symlinkSync(target, path.join(dir, "proof.log"));
    const loki = await fakeLoki(dir, 0);
    const r = await checkIngestion({ lokiUrl: loki.url, logsRoot: dir, markerFile: "proof.log", timeoutSeconds: 1, pollIntervalMs: 100 }, makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_TIMEOUT", findings: [`${dir}/proof.log is a symbolic link: the marker is not written through it`] });
    expect(fs.readFileSync(target, "utf8")).toBe("");
    const linkedRoot = path.join(tmpDir(), "logs");
    fs.symlinkSync(dir, linkedRoot);
    const r2 = await checkIngestion({ lokiUrl: loki.url, logsRoot: linkedRoot, markerFile: "other.log", timeoutSeconds: 1, pollIntervalMs: 100 }, makeTestIo());
    expect(r2.findings).toEqual([`${linkedRoot} is a symbolic link: the marker is not written through it`]);
    expect(fs.existsSync(path.join(dir, "other.log"))).toBe(false);
  });

  test("timeout: red E_PROOF_INGESTION_TIMEOUT within the wall clock, with partial diagnostics", async () => {
    const dir = tmpDir();
    const loki = await fakeLoki(dir, 60_000);
    const t0 = Date.now();
    const r = await checkIngestion({ lokiUrl: loki.url, logsRoot: dir, markerFile: "proof.log", timeoutSeconds: 1, pollIntervalMs: 200 }, makeTestIo());
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_TIMEOUT" });
    expect(r.findings[0]).toMatch(/was not returned by Loki within 1 s$/);
    expect(r.diagnostics.query).toMatch(/^\{filename=".*proof\.log"\} \|= "marker=lbproof-/);
    expect((r.diagnostics.attempts as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect(r.diagnostics.lastAnswer).toMatchObject({ status: 200, streams: [] });
  });

  test("a Loki that never answers cannot stretch the wall clock; every attempt is logged with its window", async () => {
    const dir = tmpDir();
    const hung = http.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", () => r()));
    try {
      const t0 = Date.now();
      const r = await checkIngestion({ lokiUrl: `http://127.0.0.1:${(hung.address() as { port: number }).port}`, logsRoot: dir, markerFile: "proof.log", timeoutSeconds: 1, pollIntervalMs: 100 }, makeTestIo());
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(1000);
      expect(took).toBeLessThan(2500);
      expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_TIMEOUT" });
      const attempts = r.diagnostics.attempts as { attempt: number; start_ns: string; end_ns: string; result_count: number; wall_clock_s: number; error?: string }[];
      expect(attempts.length).toBeGreaterThanOrEqual(1);
      attempts.forEach((a, i) => {
        expect(a).toMatchObject({ attempt: i + 1, result_count: 0, error: "timeout" });
        expect(a.start_ns).toMatch(/^[0-9]{19}$/);
        expect(BigInt(a.end_ns) > BigInt(a.start_ns)).toBe(true);
        expect(a.wall_clock_s).toBeLessThan(2.5);
      });
      expect(r.diagnostics.lastAnswer).toEqual({});
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });

  test("no query is given more time than the wall clock has left (scripted clock)", async () => {
    let now = 1_700_000_000_000;
    const calls: { at: number; timeoutMs: number }[] = [];
    const io = makeTestIo();
    io.clock = { now: () => now, sleep: async (ms) => void (now += ms) };
    io.files = { appendFile: async () => undefined, mkdirp: async () => undefined, isSymlink: async () => false };
    io.http = async (req) => {
      calls.push({ at: now, timeoutMs: req.timeoutMs });
      now += 50;
      return { status: 200, headers: {}, body: JSON.stringify({ status: "success", data: { resultType: "streams", result: [] } }) };
    };
    const r = await checkIngestion({ lokiUrl: "http://loki", logsRoot: "/l", markerFile: "m.log", timeoutSeconds: 2, pollIntervalMs: 900 }, io);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_TIMEOUT" });
    const deadline = 1_700_000_000_000 + 2000;
    expect(calls.map((c) => c.timeoutMs)).toEqual(calls.map((c) => Math.max(100, Math.min(5000, deadline - c.at))));
    // The third query starts 100 ms before the deadline and gets 100 ms, not a full second; a last
    // look at the deadline itself gets the 100 ms floor: the wall clock overshoots by at most that.
    expect(calls.map((c) => c.at - 1_700_000_000_000)).toEqual([0, 950, 1900, 2000]);
    expect(calls.map((c) => c.timeoutMs)).toEqual([2000, 1050, 100, 100]);
    const attempts = r.diagnostics.attempts as { attempt: number; end_ns: string; wall_clock_s: number }[];
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(attempts.map((a) => a.wall_clock_s)).toEqual([0.05, 1, 1.95, 2.05]);
    expect(attempts.map((a) => a.end_ns)).toEqual([0, 950, 1900, 2000].map((t) => (BigInt(1_700_000_000_000 + t + 1000) * 1_000_000n).toString()));
  });

  test("the first query waits for batch_wait, then fast polls, then the steady interval (scripted clock)", async () => {
    const t0 = 1_700_000_000_000;
    let now = t0;
    const at: number[] = [];
    const io = makeTestIo();
    io.clock = { now: () => now, sleep: async (ms) => void (now += ms) };
    io.files = { appendFile: async () => undefined, mkdirp: async () => undefined, isSymlink: async () => false };
    io.http = async () => {
      at.push(now - t0);
      return { status: 200, headers: {}, body: JSON.stringify({ status: "success", data: { resultType: "streams", result: [] } }) };
    };
    const r = await checkIngestion({ lokiUrl: "http://loki", logsRoot: "/l", markerFile: "m.log", timeoutSeconds: 6, pollIntervalMs: 500, firstQueryAfterMs: 1000, fastPollMs: 50 }, io);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_TIMEOUT" });
    // Nothing before 1 s; FAST_POLL_ATTEMPTS queries 50 ms apart; then 500 ms apart up to the deadline.
    const fast = Array.from({ length: FAST_POLL_ATTEMPTS }, (_, i) => 1000 + 50 * i);
    const lastFast = fast[fast.length - 1];
    const steady: number[] = [];
    for (let t = lastFast + 500; t < 6000; t += 500) steady.push(t);
    expect(at).toEqual([...fast, ...steady, 6000]);
    expect(steady.length).toBeGreaterThan(2);
    expect(r.diagnostics).toMatchObject({ firstQueryAfterMs: 1000, fastPollMs: 50 });
    expect(pollDelayMs({ pollIntervalMs: 500 }, 0)).toBe(500);
    expect(pollDelayMs({ pollIntervalMs: 50, fastPollMs: 100 }, 0)).toBe(50);
  });

  test("the L3 spec waits exactly the batch_wait the Alloy config is rendered with", () => {
    const config = stackConfig("test");
    expect(renderAlloyConfig(config)).toMatch(new RegExp(`batch_wait\\s+= ${JSON.stringify(LOKI_WRITE_BATCH_WAIT.text)}`));
    expect(parseDuration(LOKI_WRITE_BATCH_WAIT.text)).toBe(LOKI_WRITE_BATCH_WAIT.ms);
    expect(ingestionSpec({ config } as unknown as DesiredState)).toMatchObject({ firstQueryAfterMs: LOKI_WRITE_BATCH_WAIT.ms, fastPollMs: 50 });
  });

  test("a line that merely contains the marker text is not proof (the marker= token only)", () => {
    const answer = (line: string) => ({ status: "success", data: { resultType: "streams", result: [{ stream: {}, values: [["1", line]] }] } });
    expect(findMarker(answer("xx lbproof-1 yy"), "lbproof-1")).toMatchObject({ ok: true, resultCount: 1 });
    expect(findMarker(answer("xx lbproof-1 yy"), "lbproof-1").entry).toBeUndefined();
    expect(findMarker(answer("proof marker=lbproof-12 | x"), "lbproof-1").entry).toBeUndefined();
    expect(findMarker(answer("proof marker=lbproof-1 | x"), "lbproof-1").entry?.line).toBe("proof marker=lbproof-1 | x");
    expect(findMarker({ status: "error" }, "x").ok).toBe(false);
  });

  test("read path (refresh): Loki and Alloy readiness first", async () => {
    const loki = await server(() => ({ status: 200, body: "ready\n" }));
    const alloy = await server(() => ({ status: 503, body: "not ready" }));
    const r = await checkIngestionPath({ lokiUrl: loki.url, alloyUrl: alloy.url, timeoutMs: 1000, projectName: "p" }, makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_TIMEOUT" });
    expect(r.findings).toEqual([`${alloy.url}/-/ready: HTTP 503, expected 200`]);
  });

  // The refresh's per-source checks (files, docker, journal): test/verify/ingestion-sources.test.ts.
});

describe("L4 labels", () => {
  const alloyConfig = alloyFixture({ containers: ["p-loki", "p-grafana"], units: ["docker.service"], redactions: [{ expression: "password=(\\S+)", replace: "***" }] });
  // Written a minute ago: the marker names its second (components/verify/evidence.ts).
  const MARKER = newMarker(Date.now() - 60_000, "00aa");
  const SELECTOR = '{filename="/l/logging-bootstrap-proof.log"}';
  const reds = [{ name: "password_kv", pattern: "password=(\\S+)", replacement: "***", canary: "password=canary-pw" }];
  /**
   * A Loki with the marker's stream (`marker`: its labels and line, or absent) and the label APIs
   * over this stack's streams (`values`); every request must be scoped to {project="p"}.
   */
  function loki(values: Record<string, string[]>, marker?: { labels: Record<string, string>; line: string }, running = alloyConfig): Promise<TestServer> {
    // The same server answers as the running Alloy (its component API, for the config `running`).
    const alloy = alloyApi(running);
    return server((_r, url) => {
      const a = alloy(url.pathname);
      if (a) return a;
      const q = url.searchParams.get("query") ?? "";
      if (url.pathname === "/loki/api/v1/query_range") {
        // Loki's max_query_length (721h by default): a longer window is a 400 with Loki's message.
        const lenNs = BigInt(url.searchParams.get("end") ?? "0") - BigInt(url.searchParams.get("start") ?? "0");
        if (lenNs > 721n * 3600n * 1_000_000_000n) return { status: 400, body: "the query time range exceeds the limit (query length: 2160h0m1s, limit: 721h0m0s)" };
        const result = marker && q.startsWith(SELECTOR) ? [{ stream: marker.labels, values: [["1", marker.line]] }] : [];
        return { status: 200, body: { status: "success", data: { resultType: "streams", result } } };
      }
      if (q !== '{project="p"}') return { status: 400, body: "unscoped label request" };
      if (url.pathname === "/loki/api/v1/labels") return { status: 200, body: { status: "success", data: Object.keys(values) } };
      const m = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(url.pathname);
      if (m) return { status: 200, body: { status: "success", data: values[decodeURIComponent(m[1])] ?? [] } };
      return { status: 404, body: "404" };
    });
  }
  const markerStream = { labels: { job: "logs", filename: "/l/logging-bootstrap-proof.log", project: "p" }, line: `logging-bootstrap ingestion proof marker=${MARKER} | canary password_kv: password=***` };
  const base = {
    requiredLabels: ["job", "filename"], cardinalityLimit: 3, lookbackSeconds: 3600, alloyConfig, dockerAllowlist: ["p-loki", "p-grafana"], journaldUnits: ["docker.service"],
    redactionCount: 1, timeoutMs: 1000, projectName: "p", ingestionMarker: MARKER, markerSelector: SELECTOR, retentionSeconds: 7 * 86400, ingestionTimeoutSeconds: 120, redactions: reds,
  };

  test("green: the marker's stream has every required label and its canary redacted; allowlists, limits, pipeline fine", async () => {
    const s = await loki({ job: ["logs", "docker"], filename: ["/a", "/b"], container: ["p-loki"], unit: ["docker.service"] }, markerStream);
    const r = await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo());
    expect(r).toMatchObject({ status: "green", findings: [] });
    expect(r.diagnostics.markerLabels).toEqual(markerStream.labels);
    expect(r.diagnostics.cardinality).toEqual({ container: 1, filename: 2, job: 2, unit: 1 });
    const marker = new URL(s.url + s.requests[0].path).searchParams;
    expect(marker.get("query")).toBe(`${SELECTOR} |= "marker=${MARKER}"`);
    // Around the marker's own second (skew before, the ingestion wall clock after, never past now), not the whole retention.
    const t = BigInt(markerTimeMs(MARKER)!) * 1_000_000n;
    expect(BigInt(marker.get("start")!)).toBe(t - 60_000_000_000n);
    expect(BigInt(marker.get("end")!)).toBeGreaterThan(t);
    expect(BigInt(marker.get("end")!)).toBeLessThanOrEqual(BigInt(Date.now() + 1000) * 1_000_000n);
  });
  test("90 days of logs (a window over the retention would be refused by Loki's 721h max_query_length): green, the window fits", async () => {
    const s = await loki({ job: ["logs"], filename: ["/a"] }, markerStream);
    const r = await checkLabels({ ...base, retentionSeconds: 90 * 86400, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo());
    expect(r).toMatchObject({ status: "green", findings: [] });
  });
  test("Loki refuses the marker query: the finding carries Loki's own reason", async () => {
    const s = await server((_r, url) => (url.pathname === "/loki/api/v1/query_range" ? { status: 400, body: "max entries limit per query exceeded" } : { status: 200, body: { status: "success", data: [] } }));
    const r = await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo());
    expect(r.findings[0]).toBe("loki query_range for the marker: HTTP 400 (max entries limit per query exceeded)");
  });
  test("a marker without a time (an older release's) is re-proved, not searched over the retention", async () => {
    const s = await loki({ job: ["logs"] }, markerStream);
    const legacy = { ...base, ingestionMarker: "lbproof-00aa", retentionSeconds: 90 * 86400 };
    // A marker without a time is re-proved (warn), never searched over 90 days.
    const r = await checkLabels({ ...legacy, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo());
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_REPROVE_NEEDED" });
    expect(s.requests.some((q) => q.path.startsWith("/loki/api/v1/query_range"))).toBe(false);
  });
  test("a marker as old as the retention is re-proved (warn E_PROOF_REPROVE_NEEDED), never red: Loki may have dropped it", async () => {
    const s = await loki({ job: ["logs"] });
    const old = newMarker(Date.now() - 7 * 86400_000 + 30 * 60_000, "00aa");
    const r = await checkLabels({ ...base, ingestionMarker: old, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo());
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_REPROVE_NEEDED" });
    expect(r.findings[0]).toMatch(/about as long ago as the logs retention \(7d\): Loki may have dropped it; the labels of its stream are not checked: the next apply writes a new marker and proves again$/);
  });
  test("a quiet host (no stream but the proof's own) is green: nothing depends on the host's traffic", async () => {
    const s = await loki({}, markerStream);
    expect(await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo())).toMatchObject({ status: "green", findings: [] });
  });
  test("the marker's stream lacks a required label: E_PROOF_LABEL_MISSING", async () => {
    const s = await loki({ job: ["logs"] }, { ...markerStream, labels: { job: "logs", project: "p" } });
    expect(await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo())).toMatchObject({ status: "red", code: "E_PROOF_LABEL_MISSING", findings: ["required label filename is absent from the marker's stream"] });
  });
  test("the marker gone from Loki, or no marker at all: E_PROOF_LABEL_MISSING, saying why", async () => {
    const s = await loki({ job: ["logs"] });
    const gone = await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo());
    expect(gone).toMatchObject({ status: "red", code: "E_PROOF_LABEL_MISSING" });
    expect(gone.findings[0]).toBe(`the ingestion proof's marker ${MARKER} is not in Loki although it is younger than the logs retention: logs were lost`);
    const { ingestionMarker: _m, ...noMarker } = base;
    void _m;
    expect((await checkLabels({ ...noMarker, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo())).findings[0]).toMatch(/^no marker from the ingestion proof/);
  });
  test("the marker's canary unredacted in Loki: E_PROOF_REDACTION_FAILED", async () => {
    const s = await loki({ job: ["logs"] }, { ...markerStream, line: markerStream.line.replace("password=***", "password=canary-pw") });
    expect(await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo())).toMatchObject({ status: "red", code: "E_PROOF_REDACTION_FAILED", findings: ["the canary of redaction password_kv came back from Loki unredacted"] });
  });
  test("a container or unit outside its allowlist reached Loki: E_PROOF_ALLOWLIST_BREACH", async () => {
    const s = await loki({ container: ["p-loki", "intruder"], unit: ["docker.service", "sshd.service"] }, markerStream);
    const r = await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALLOWLIST_BREACH" });
    expect(r.findings).toEqual(['container "intruder" reached Loki but alloy.dockerAllowlist does not list it', 'unit "sshd.service" reached Loki but alloy.journaldUnits does not list it']);
  });
  test("a fleet: each host's streams against its own lists, the central host's against the top-level ones", async () => {
    // Streams by host: the central host (host="local") ships p-loki; b and c ship their node-exporter.
    const byScope: Record<string, Record<string, string[]>> = {
      '{project="p"}': { container: ["p-loki", "p-node", "intruder"], unit: ["docker.service"], host: ["b", "c", "local"] },
      '{project="p",host=~"local|"}': { container: ["p-loki"], unit: ["docker.service"] },
      '{project="p",host="b"}': { container: ["p-node"] },
      '{project="p",host="c"}': { container: ["p-node", "intruder"] },
    };
    const s = await server((_r, url) => {
      const q = url.searchParams.get("query") ?? "";
      if (url.pathname === "/loki/api/v1/query_range") return { status: 200, body: { status: "success", data: { resultType: "streams", result: q.startsWith(SELECTOR) ? [{ stream: markerStream.labels, values: [["1", markerStream.line]] }] : [] } } };
      const values = byScope[q];
      if (!values) return { status: 400, body: `unexpected selector ${q}` };
      if (url.pathname === "/loki/api/v1/labels") return { status: 200, body: { status: "success", data: Object.keys(values) } };
      const m = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(url.pathname);
      return m ? { status: 200, body: { status: "success", data: values[m[1]] ?? [] } } : { status: 404, body: "404" };
    });
    const fleet = { ...base, cardinalityLimit: 5, lokiUrl: s.url, centralHost: "local", hostAllowlists: [{ host: "b", dockerAllowlist: ["p-node"], journaldUnits: [] }, { host: "c", dockerAllowlist: ["p-node"], journaldUnits: [] }] };
    const r = await checkLabels(fleet, makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALLOWLIST_BREACH" });
    expect(r.findings.filter((f) => f.includes("reached Loki"))).toEqual(['host c: container "intruder" reached Loki but its alloy.dockerAllowlist does not list it']);
    byScope['{project="p",host="c"}'].container = ["p-node"];
    expect((await checkLabels(fleet, makeTestIo())).findings.filter((f) => f.includes("reached Loki"))).toEqual([]);
    // c removed from the config (its streams still in Loki): the central host's lists do not judge them.
    const withoutC = { ...fleet, hostAllowlists: fleet.hostAllowlists.slice(0, 1) };
    byScope['{project="p",host=~"local|"}'].container = ["p-loki"];
    expect((await checkLabels(withoutC, makeTestIo())).findings.filter((f) => f.includes("reached Loki"))).toEqual([]);
    expect(s.requests.some((r) => decodeURIComponent(r.path).includes('host!~'))).toBe(false);
    // Without the hosts' lists every stream is judged against the central host's: what was red on a real fleet.
    const { hostAllowlists: _h, ...one } = fleet;
    void _h;
    expect((await checkLabels(one, makeTestIo())).findings.filter((f) => f.includes("reached Loki"))).toEqual(['container "intruder", "p-node" reached Loki but alloy.dockerAllowlist does not list them']);
  });
  test("allowlistScopes: one scope for one host; per host (and the rest) in a fleet", () => {
    expect(allowlistScopes({ projectName: "p", dockerAllowlist: ["a"], journaldUnits: ["u"] })).toEqual([{ prefix: "", selector: '{project="p"}', lists: { container: ["a"], unit: ["u"] } }]);
    expect(allowlistScopes({ projectName: "p", dockerAllowlist: ["a"], journaldUnits: [], hostAllowlists: [{ host: "web-1", dockerAllowlist: ["w"], journaldUnits: ["ssh.service"] }] })).toEqual([
      { prefix: "", selector: '{project="p",host!~"web-1"}', lists: { container: ["a"], unit: [] } },
      { prefix: "host web-1: ", selector: '{project="p",host="web-1"}', lists: { container: ["w"], unit: ["ssh.service"] } },
    ]);
    expect(allowlistScopes({ projectName: "p", dockerAllowlist: ["a"], journaldUnits: [], centralHost: "local", hostAllowlists: [{ host: "web-1", dockerAllowlist: ["w"], journaldUnits: ["ssh.service"] }] })).toEqual([
      { prefix: "", selector: '{project="p",host=~"local|"}', lists: { container: ["a"], unit: [] } },
      { prefix: "host web-1: ", selector: '{project="p",host="web-1"}', lists: { container: ["w"], unit: ["ssh.service"] } },
    ]);
  });
  test("a label over the limit: E_PROOF_CARDINALITY", async () => {
    const s = await loki({ job: ["logs"], filename: ["/a"], user_id: ["1", "2", "3", "4"] }, markerStream);
    expect(await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url }, makeTestIo())).toMatchObject({ status: "red", code: "E_PROOF_CARDINALITY", findings: ["label user_id has 4 distinct values (limit 3)"] });
  });
  test("allowlist admitting everything: E_PROOF_LABEL_MISSING", async () => {
    const open = alloyConfig.replace("^(/p-loki|/p-grafana)$", ".*");
    const s = await loki({ job: ["logs"], filename: ["/a"] }, markerStream, open);
    const r = await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url, alloyConfig: open }, makeTestIo());
    expect(r.code).toBe("E_PROOF_LABEL_MISSING");
    expect(r.findings[0]).toBe("alloy: the running loki.source.docker.containers is not limited to alloy.dockerAllowlist (keep rule admits names outside the allowlist)");
    // Without Alloy's port, the same from the rendered file (a static check, said in the result).
    const r2 = await checkLabels({ ...base, lokiUrl: s.url, alloyConfig: open }, makeTestIo());
    expect(r2.findings[0]).toMatch(/loki.source.docker "containers" is not limited to alloy.dockerAllowlist \(keep rule admits names outside the allowlist\)/);
  });
  test("no redactions configured and none rendered: warn, accepted risk recorded", async () => {
    const noStage = alloyConfig.replace(/stage\.replace \{[^}]*\}/, "");
    const s = await loki({ job: ["logs"], filename: ["/a"] }, { ...markerStream, line: `logging-bootstrap ingestion proof marker=${MARKER}` }, noStage);
    const r = await checkLabels({ ...base, lokiUrl: s.url, alloyUrl: s.url, alloyConfig: noStage, redactionCount: 0, redactions: [] }, makeTestIo());
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_REDACTION_ABSENT" });
    expect(r.diagnostics.acceptedRisk).toMatch(/accepted risk/);
  });
  test("a redaction without a canary: warn, never a plain green", async () => {
    const s = await loki({ job: ["logs"] }, { ...markerStream, line: `logging-bootstrap ingestion proof marker=${MARKER}` });
    const r = await checkLabels({ ...base, lokiUrl: s.url, redactions: [{ name: "password_kv", pattern: "password=(\\S+)", replacement: "***" }] }, makeTestIo());
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_REDACTION_UNPROVEN" });
  });
});

describe("L5 dashboards", () => {
  type Dash = { uid: string; title: string; provisioned?: boolean };
  // Grafana's datasource health answers (pkg/api/datasources.go checkDatasourceHealth): 200 {status OK}, else 400 {status ERROR}.
  function grafana(dashes: Dash[], dsHealth: Record<string, string> = {}): Promise<TestServer> {
    return server((req, url) => {
      if (req.headers.authorization !== `Basic ${Buffer.from("admin:s3cret-pw").toString("base64")}`) return { status: 401, body: { message: "Unauthorized" } };
      const ds = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(url.pathname);
      if (ds) {
        const err = dsHealth[ds[1]];
        return err === undefined ? { status: 200, body: { status: "OK", message: "Data source successfully connected." } } : { status: 400, body: { status: "ERROR", message: err } };
      }
      const one = /^\/api\/dashboards\/uid\/([^/?]+)$/.exec(url.pathname);
      if (one) {
        const d = dashes.find((x) => x.uid === decodeURIComponent(one[1]));
        if (!d) return { status: 404, body: { message: "Dashboard not found" } };
        return { status: 200, body: { dashboard: { uid: d.uid, title: d.title }, meta: { type: "db", provisioned: d.provisioned ?? true } } };
      }
      return { status: 200, body: dashes.map((d, i) => ({ id: i + 1, uid: d.uid, title: d.title, type: "dash-db" })) };
    });
  }
  const input = (url: string, over: Partial<DashboardsInput> = {}): DashboardsInput => ({ grafanaUrl: url, user: "admin", password: "s3cret-pw", dashboards: [{ uid: "b", title: "B" }], deadlineSeconds: 1, timeoutMs: 1000, ...over });
  test("Grafana's login lockout (401 login-attempt.blocked) is its own condition, not a refused password: E_RUNTIME_GRAFANA_LOCKED, not retried", async () => {
    let n = 0;
    const s = await server(() => {
      n++;
      return { status: 401, body: { message: "Invalid username or password", messageId: "login-attempt.blocked", statusCode: 401, traceID: "" } };
    });
    const r = await checkDashboards(input(s.url), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_RUNTIME_GRAFANA_LOCKED" });
    expect(r.findings[0]).toMatch(/^grafana search API: HTTP 401 login-attempt\.blocked: Grafana has locked user admin out after repeated failed logins/);
    expect(n).toBe(1);
  });
  test("green when every provisioned dashboard is listed, with its uid, title and provisioned flag (basic auth)", async () => {
    const s = await grafana([{ uid: "a", title: "A" }, { uid: "b", title: "B" }]);
    const r = await checkDashboards(input(s.url), makeTestIo());
    expect(r.status).toBe("green");
    expect(s.requests.map((q) => q.path)).toEqual(["/api/search?type=dash-db", "/api/dashboards/uid/b"]);
    expect(JSON.stringify(r.diagnostics)).not.toContain("s3cret-pw");
  });
  test("every provisioned datasource must pass Grafana's own health check (Grafana reaches Loki and Prometheus)", async () => {
    const ok = await grafana([{ uid: "b", title: "B" }]);
    const green = await checkDashboards(input(ok.url, { datasources: ["prometheus", "loki"] }), makeTestIo());
    expect(green.status).toBe("green");
    expect(ok.requests.map((q) => q.path).slice(-2)).toEqual(["/api/datasources/uid/loki/health", "/api/datasources/uid/prometheus/health"]);
    const down = await grafana([{ uid: "b", title: "B" }], { loki: 'There was an error returned querying the Loki API.: Get "http://loki:3100/loki/api/v1/query": dial tcp: lookup loki: no such host' });
    const red = await checkDashboards(input(down.url, { datasources: ["loki", "prometheus"], deadlineSeconds: 0 }), makeTestIo());
    expect(red).toMatchObject({ status: "red", code: "E_PROOF_DASHBOARDS" });
    expect(red.findings).toEqual(['datasource loki: Grafana\'s health check is not OK (HTTP 400: There was an error returned querying the Loki API.: Get "http://loki:3100/loki/api/v1/query": dial tcp: lookup loki: no such host)']);
  });
  test("a missing dashboard: E_PROOF_DASHBOARDS", async () => {
    const s = await grafana([{ uid: "a", title: "A" }]);
    const r = await checkDashboards(input(s.url, { dashboards: [{ uid: "a", title: "A" }, { uid: "health", title: "H" }], deadlineSeconds: 0.3 }), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_DASHBOARDS", findings: ["dashboard health is not listed by Grafana"] });
  });
  test("a dashboard with another title, or not provisioned (saved from the UI): E_PROOF_DASHBOARDS", async () => {
    const s = await grafana([{ uid: "b", title: "Renamed" }, { uid: "c", title: "C", provisioned: false }]);
    const r = await checkDashboards(input(s.url, { dashboards: [{ uid: "b", title: "B" }, { uid: "c", title: "C" }], deadlineSeconds: 0 }), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_DASHBOARDS" });
    expect(r.findings).toEqual(['dashboard b: title is "Renamed", rendered "B"', "dashboard c: Grafana does not report it as provisioned (meta.provisioned is false)"]);
  });
  test("wrong password: red at once with its own code, one request only (no lockout by retries)", async () => {
    const s = await grafana([{ uid: "b", title: "B" }]);
    const r = await checkDashboards(input(s.url, { password: "wrong", deadlineSeconds: 30 }), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_GRAFANA_AUTH" });
    expect(r.findings[0]).toMatch(/^grafana search API: HTTP 401, Grafana refused the admin credentials \(not retried/);
    expect(s.requests).toHaveLength(1);
    expect(r.diagnostics.attempts).toBe(1);
  });
  test("the password Grafana reads comes from its container's secret file; unreadable: undefined", async () => {
    const docker = new FakeDocker();
    docker.addContainer("grafana-c");
    docker.files.set("grafana-c:/etc/grafana/secrets/admin_password", "from-file\n");
    expect(await containerGrafanaPassword(makeTestIo(docker), "grafana-c", "/etc/grafana/secrets/admin_password")).toBe("from-file");
    expect(await containerGrafanaPassword(makeTestIo(docker), "grafana-c", "/nope")).toBeUndefined();
  });
});

describe("L6 rules", () => {
  /** A Prometheus with these rule groups and a last-reload metric. */
  const prom = (groups: () => unknown[], reloadOk = 1) =>
    server((_r, url) =>
      url.pathname === "/metrics"
        ? { status: 200, body: `# HELP prometheus_config_last_reload_successful Whether the last configuration reload attempt was successful.\n# TYPE prometheus_config_last_reload_successful gauge\nprometheus_config_last_reload_successful ${reloadOk}\n` }
        : { status: 200, body: { status: "success", data: { groups: groups() } } },
    );
  test("green with every expected rule loaded by name and healthy; waits out 'unknown'", async () => {
    let n = 0;
    const s = await prom(() => [{ name: "g.alerts", rules: [{ name: "TargetDown", health: ++n < 2 ? "unknown" : "ok" }] }]);
    const r = await checkRules({ prometheusUrl: s.url, expectedRules: { "g.alerts": ["TargetDown"] }, deadlineSeconds: 3, timeoutMs: 1000 }, makeTestIo());
    expect(r.status).toBe("green");
    expect(r.diagnostics.attempts).toBe(2);
    expect(r.diagnostics.lastReloadSuccessful).toBe(1);
  });
  test("a dropped group: E_PROOF_RULES", async () => {
    const s = await prom(() => [{ name: "g.recording", rules: [{ name: "r", health: "ok" }] }]);
    const r = await checkRules({ prometheusUrl: s.url, expectedRules: { "g.alerts": ["TargetDown"], "g.recording": ["r"] }, deadlineSeconds: 0, timeoutMs: 1000 }, makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_RULES", findings: ["rule group g.alerts is not loaded"] });
  });
  test("a rule missing from a loaded group (the group name alone proves nothing): E_PROOF_RULES", async () => {
    const s = await prom(() => [{ name: "g.alerts", rules: [{ name: "Other", health: "ok" }] }]);
    const r = await checkRules({ prometheusUrl: s.url, expectedRules: { "g.alerts": ["TargetDown", "Watchdog"] }, deadlineSeconds: 0, timeoutMs: 1000 }, makeTestIo());
    expect(r.findings).toEqual(["rule TargetDown is not loaded in group g.alerts", "rule Watchdog is not loaded in group g.alerts"]);
  });
  test("a rule with health err: red", async () => {
    const s = await prom(() => [{ name: "g", rules: [{ name: "r", health: "err", lastError: "bad" }] }]);
    const r = await checkRules({ prometheusUrl: s.url, expectedRules: { g: ["r"] }, deadlineSeconds: 0, timeoutMs: 1000 }, makeTestIo());
    expect(r.findings).toEqual(['rule r in group g has health "err"']);
  });
  test("the last configuration reload failed (old rules still served): red", async () => {
    const s = await prom(() => [{ name: "g", rules: [{ name: "r", health: "ok" }] }], 0);
    const r = await checkRules({ prometheusUrl: s.url, expectedRules: { g: ["r"] }, deadlineSeconds: 0, timeoutMs: 1000 }, makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_RULES", findings: ["Prometheus's last configuration reload failed (prometheus_config_last_reload_successful 0): it still serves the previous rules"] });
  });
});

describe("L7 provenance", () => {
  const D1 = `sha256:${"1".repeat(64)}`;
  const D2 = `sha256:${"2".repeat(64)}`;
  const IMG = `sha256:${"a".repeat(64)}`;
  test("green when the container runs the recorded image carrying the recorded digest", async () => {
    const docker = new FakeDocker();
    docker.addContainer("p-loki", { imageId: IMG });
    docker.images.set(IMG, { id: IMG, repoDigests: [`reg/loki@${D1}`], repoTags: [] });
    const r = await checkProvenance({ containers: [{ service: "loki", container: "p-loki", imageRef: "reg/loki:3.0.0", imageId: IMG, repoDigest: `reg/loki@${D1}` }] }, makeTestIo(docker));
    expect(r.status).toBe("green");
  });
  test("re-tagged image: different image id and no recorded digest -> E_PROOF_PROVENANCE_MISMATCH", async () => {
    const docker = new FakeDocker();
    const other = `sha256:${"b".repeat(64)}`;
    docker.addContainer("p-loki", { imageId: other });
    docker.images.set(other, { id: other, repoDigests: [], repoTags: ["reg/loki:3.0.0"] });
    const r = await checkProvenance({ containers: [{ service: "loki", container: "p-loki", imageRef: "reg/loki:3.0.0", imageId: IMG, repoDigest: `reg/loki@${D1}` }] }, makeTestIo(docker));
    expect(r.code).toBe("E_PROOF_PROVENANCE_MISMATCH");
    expect(r.findings).toEqual([`loki: container p-loki runs image ${other}, recorded ${IMG}`, `loki: image of p-loki does not carry the recorded digest ${D1}`]);
  });
  test("pinned @sha256 digest in config must be among the image's repo digests", async () => {
    const docker = new FakeDocker();
    docker.addContainer("p-loki", { imageId: IMG });
    docker.images.set(IMG, { id: IMG, repoDigests: [`reg/loki@${D1}`], repoTags: [] });
    const r = await checkProvenance({ containers: [{ service: "loki", container: "p-loki", imageRef: `reg/loki:3.0.0@${D2}`, imageId: IMG, repoDigest: "" }] }, makeTestIo(docker));
    expect(r.findings).toEqual([`loki: image of p-loki does not carry the pinned digest ${D2}`]);
  });
  test("a tag-only pin with no recorded digest (a locally built or imported image): a warning that says so, never a plain green", async () => {
    const docker = new FakeDocker();
    docker.addContainer("p-loki", { imageId: IMG });
    docker.images.set(IMG, { id: IMG, repoDigests: [], repoTags: ["reg/loki:3.0.0"] });
    const r = await checkProvenance({ containers: [{ service: "loki", container: "p-loki", imageRef: "reg/loki:3.0.0", imageId: IMG, repoDigest: "" }] }, makeTestIo(docker));
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_PROVENANCE_UNPINNED" });
    expect(r.findings[0]).toMatch(/^loki: unverified: no pinned or registry digest to compare with, only the image id the engine holds/);
    // The reason travels into the finding when the caller knows it (verify without recorded state).
    const why = await checkProvenance({ containers: [{ service: "loki", container: "p-loki", imageRef: "reg/loki:3.0.0", imageId: IMG, repoDigest: "", unverified: "the registry did not answer for this tag" }] }, makeTestIo(docker));
    expect(why.findings[0]).toContain("(the registry did not answer for this tag)");
  });
});

// L8 (config drift over whole directories): test/verify/drift.test.ts.

describe("fileFromTar (what the archive API sends)", () => {
  async function tarOf(entries: { path: string; type?: "File" | "SymbolicLink"; body?: string; linkpath?: string }[]): Promise<NodeJS.ReadableStream> {
    const dir = tmpDir("lb-tar-");
    for (const e of entries) {
      if (e.type === "SymbolicLink") fs.symlinkSync(e.linkpath!, path.join(dir, e.path));
      else fs.writeFileSync(path.join(dir, e.path), e.body ?? "");
    }
    return tar.c({ cwd: dir, portable: true }, entries.map((e) => e.path)) as unknown as NodeJS.ReadableStream;
  }
  test("a regular file: its exact bytes", async () => {
    const body = "line 1\nline 2 ü\n".repeat(1000);
    expect(await fileFromTar(await tarOf([{ path: "config.yaml", body }]), 1 << 20)).toEqual({ kind: "file", content: Buffer.from(body) });
  });
  test("an empty file, a symlink, a file over the bound, an empty archive", async () => {
    expect(await fileFromTar(await tarOf([{ path: "e", body: "" }]), 10)).toEqual({ kind: "file", content: Buffer.alloc(0) });
    expect(await fileFromTar(await tarOf([{ path: "l", type: "SymbolicLink", linkpath: "/etc/passwd" }]), 10)).toEqual({ kind: "not-a-file", type: "SymbolicLink" });
    expect(await fileFromTar(await tarOf([{ path: "big", body: "x".repeat(100) }]), 10)).toEqual({ kind: "too-large", size: 100 });
    expect(await fileFromTar(Readable.from([Buffer.alloc(1024)]), 10)).toEqual({ kind: "missing" });
  });
});
