// The Alloy double's remote wire formats, decoded independently (test/env/doubles-alloy-decode.ts:
// protobufjs over upstream's proto definitions, snappyjs): loki.write's push (grafana/alloy
// internal/component/common/loki/client: batching, headers, dskit backoff, what is retried and what
// is dropped, health) and prometheus.remote_write 1.0 (prometheus storage/remote client.go and
// queue_manager.go: headers, one sample per series, external labels, retries), in-process against
// local HTTP servers.
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { decodeLokiPush, decodeWriteRequest, STALE_NAN_LE } from "./doubles-alloy-decode";

/* eslint-disable @typescript-eslint/no-require-imports */
const { parseAlloyFile } = require("../../contracts/alloy/syntax");
const LW = require("./doubles/alloy/lokiwrite.js");
const RW = require("./doubles/alloy/remotewrite.js");
const B = require("./doubles/alloy/backoff.js");
const K = require("./doubles/alloy/components.js");
const X = require("./doubles/alloy/exposition.js");
const H = require("./doubles/alloy/httpclient.js");
const { Tailer } = require("./doubles/alloy/server.js");

interface Req { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }
type Answer = { status: number; body?: string; headers?: Record<string, string> };

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A receiver answering from `answers` in turn (the last one repeats), recording every request. */
async function receiver(answers: Answer[] = [{ status: 204 }]): Promise<{ url: string; reqs: Req[] }> {
  const reqs: Req[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      reqs.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
      const a = answers[Math.min(reqs.length - 1, answers.length - 1)];
      res.writeHead(a.status, a.headers).end(a.body ?? "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reqs };
}

function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "lb-alloy-wire-"));
  closers.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Log lines the double writes, kept off the test output. */
function captureLogs(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array) => {
    for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
    return true;
  }) as typeof process.stdout.write);
  closers.push(() => spy.mockRestore());
  return lines;
}

const noSleep = { sleep: () => Promise.resolve() };

/** A loki.write endpoint built from Alloy syntax. */
function endpoint(block: string, opts: Record<string, unknown> = {}) {
  const root = parseAlloyFile(`loki.write "w" {\n${block}\n}\n`);
  const args = LW.lokiWriteArgs(root.blocks[0]);
  return new LW.LokiEndpoint(args.endpoints[0], Object.assign({ component: "loki.write.w", version: "v1.19.2" }, noSleep, opts));
}
const entry = (line: string, labels: Record<string, string> = { job: "logs" }, ts = 1_700_000_000_123_456_789n) => ({ labels, line, ts });

describe("loki.write: what Alloy sends", () => {
  test("a file line reaches the endpoint as snappy protobuf with Alloy's headers, basic auth from the password file, external labels under the entry's", async () => {
    const rx = await receiver();
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, "pw"), "s3cret\n");
    fs.mkdirSync(path.join(dir, "logs"));
    fs.writeFileSync(path.join(dir, "logs", "a.log"), "first line\nsecond \"quoted\" line\n");
    const config = `logging {\n  level = "info"\n}\nlocal.file_match "f" {\n  path_targets = [{"__path__" = "${dir}/logs/*.log", "job" = "logs"}]\n}\nloki.source.file "f" {\n  targets = local.file_match.f.targets\n  forward_to = [loki.write.w.receiver]\n}\nloki.write "w" {\n  endpoint {\n    url = "${rx.url}/loki/api/v1/push"\n    tenant_id = "t1"\n    headers = {"X-Extra" = "yes", "Content-Type" = "text/plain"}\n    basic_auth {\n      username = "web1"\n      password_file = "${dir}/pw"\n    }\n  }\n  external_labels = {"host" = "web1", "job" = "from-external"}\n}\n`;
    fs.writeFileSync(path.join(dir, "config.alloy"), config);
    const logs = captureLogs();
    const t = new Tailer(path.join(dir, "config.alloy"), path.join(dir, "data"));
    await t.tick();
    await t.flush();
    expect(rx.reqs).toHaveLength(1);
    const r = rx.reqs[0];
    expect(r.method).toBe("POST");
    expect(r.url).toBe("/loki/api/v1/push");
    expect(r.headers["content-type"]).toBe("application/x-protobuf");
    expect(r.headers["content-encoding"]).toBe("snappy");
    expect(r.headers["user-agent"]).toMatch(/^Alloy\/v1\.19\.2 \(linux; (binary|docker)\)$/);
    expect(r.headers["x-scope-orgid"]).toBe("t1");
    expect(r.headers["x-extra"]).toBe("yes");
    expect(r.headers.authorization).toBe(`Basic ${Buffer.from("web1:s3cret").toString("base64")}`);
    const streams = decodeLokiPush(r.body);
    expect(streams).toHaveLength(1);
    // The entry's job wins over the external label's; names sorted; `__` labels never sent.
    expect(streams[0].labels).toBe(`{filename="${dir}/logs/a.log", host="web1", job="logs"}`);
    expect(streams[0].entries.map((e) => e.line)).toEqual(["first line", 'second "quoted" line']);
    expect(streams[0].entries[1].ns).toBeGreaterThan(streams[0].entries[0].ns);
    // A header Alloy sets itself is not replaced by `headers`, and the double says so.
    expect(logs.some((l) => l.msg === "custom header key already exists, skipping" && l.key === "Content-Type")).toBe(true);
    // Alloy's own series, with the labels Alloy gives a component's metrics.
    const host = new URL(rx.url).host;
    expect(X.metricsText("v1.19.2", t)).toContain(`loki_write_sent_entries_total{component_id="loki.write.w",component_path="/",host="${host}",tenant="t1"} 2\n`);
    // Nothing of the password in what the double shows.
    const shown = JSON.stringify([X.doubleStatus("v1.19.2", t), K.getComponent(t.cfg.root, t.componentState(), "loki.write.w"), logs]);
    expect(shown).not.toContain("s3cret");
    t.metrics.stop();
  });

  test("batch_size: a batch is sent when the next entry would take it past the size (its first entry always fits)", async () => {
    const rx = await receiver();
    const ep = endpoint(`  endpoint {\n    url = "${(await receiver()).url}"\n  }`);
    ep.o.url = rx.url;
    ep.o.batchSize = 25;
    for (const l of ["a".repeat(10), "b".repeat(10), "c".repeat(10), "d".repeat(40)]) expect(ep.append(entry(l))).toBe(true);
    await ep.flush();
    expect(rx.reqs.map((r) => decodeLokiPush(r.body)[0].entries.map((e) => e.line[0]).join(""))).toEqual(["ab", "c", "d"]);
  });

  test("batch_wait: an open batch goes out once it is older than batch_wait, without a flush", async () => {
    const rx = await receiver();
    const ep = endpoint(`  endpoint {\n    url = "${rx.url}"\n    batch_wait = "150ms"\n  }`);
    ep.start();
    closers.push(() => ep.stop());
    const t0 = Date.now();
    ep.append(entry("waits for the batch"));
    for (let i = 0; i < 100 && rx.reqs.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(rx.reqs).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  });

  test("5xx and transport errors are retried with dskit's backoff, then sent once", async () => {
    const rx = await receiver([{ status: 500, body: "boom" }, { status: 503 }, { status: 204 }]);
    const slept: number[] = [];
    const ep = endpoint(`  endpoint {\n    url = "${rx.url}"\n  }`, { sleep: (ms: number) => (slept.push(ms), Promise.resolve()), random: () => 0 });
    ep.append(entry("x"));
    await ep.flush();
    expect(rx.reqs).toHaveLength(3);
    expect(rx.reqs[2].body.equals(rx.reqs[0].body)).toBe(true);
    expect(slept).toEqual([500, 1000]);
    expect(ep.stats).toMatchObject({ sentEntries: 1, droppedEntries: 0, retries: 2, lastError: null });
  });

  test("401: dropped at once with Alloy's final error, loki.write stays healthy", async () => {
    const rx = await receiver([{ status: 401, body: "Unauthorized\nsecond line" }]);
    const logs: unknown[][] = [];
    const ep = endpoint(`  endpoint {\n    url = "${rx.url}"\n  }`, { log: (...a: unknown[]) => logs.push(a) });
    ep.append(entry("x"));
    await ep.flush();
    expect(rx.reqs).toHaveLength(1);
    expect(ep.stats).toMatchObject({ sentEntries: 0, droppedEntries: 1, lastStatus: 401 });
    expect(logs).toEqual([["error", "final error sending batch, no retries left, dropping data", { component_id: "loki.write.w", status: 401, tenant: "", error: "server returned HTTP status 401 Unauthorized (401): Unauthorized" }]]);
    // Alloy: loki.write is unhealthy only for an invalid configuration.
    const root = parseAlloyFile(`loki.write "w" {\n  endpoint {\n    url = "${rx.url}"\n  }\n}\n`);
    const state = { now: Date.now(), loadedAt: Date.now(), startedAt: {}, files: [] };
    expect(K.listComponents(root, state)[0].health.state).toBe("healthy");
  });

  test("429: retried by default, dropped at once with retry_on_http_429 = false", async () => {
    const rx = await receiver([{ status: 429 }, { status: 204 }]);
    const ep = endpoint(`  endpoint {\n    url = "${rx.url}"\n  }`);
    ep.append(entry("x"));
    await ep.flush();
    expect(rx.reqs).toHaveLength(2);
    const rx2 = await receiver([{ status: 429 }]);
    const logs: unknown[][] = [];
    const ep2 = endpoint(`  endpoint {\n    url = "${rx2.url}"\n    retry_on_http_429 = false\n  }`, { log: (...a: unknown[]) => logs.push(a) });
    ep2.append(entry("x"));
    await ep2.flush();
    expect(rx2.reqs).toHaveLength(1);
    expect(logs[0].slice(0, 2)).toEqual(["warn", "dropping batch due to rate limiting applied at ingester"]);
  });

  test("max_backoff_retries bounds the sends; then the batch is dropped", async () => {
    const rx = await receiver([{ status: 503 }]);
    const ep = endpoint(`  endpoint {\n    url = "${rx.url}"\n    max_backoff_retries = 3\n  }`);
    ep.append(entry("x"));
    await ep.flush();
    expect(rx.reqs).toHaveLength(3);
    expect(ep.stats.droppedEntries).toBe(1);
  });

  test("a connection refused is a transport error in Go's words, retried", async () => {
    const rx = await receiver();
    const port = Number(new URL(rx.url).port);
    await closers.pop()!();
    const ep = endpoint(`  endpoint {\n    url = "http://127.0.0.1:${port}/loki/api/v1/push"\n    max_backoff_retries = 2\n  }`);
    ep.append(entry("x"));
    await ep.flush();
    expect(ep.stats.lastError).toBe(`Post "http://127.0.0.1:${port}/loki/api/v1/push": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(ep.stats).toMatchObject({ requests: 2, droppedEntries: 1 });
  });

  test("dskit backoff: the first sleep in [min, 2min), each range doubled until its top reaches max; Ongoing until max_retries", () => {
    // The range stops moving once its top is max: [4000, 5000) here, as dskit's NextDelay does.
    const lo = new B.DskitBackoff(500, 5000, 10, () => 0);
    expect(Array.from({ length: 6 }, () => lo.nextDelay())).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    // Alloy's defaults: 0.5s, 1s, 2s, ... 256s before the 10th send (types.go GetDefaultEndpointOptions).
    const def = new B.DskitBackoff(500, 300000, 10, () => 0);
    expect(Array.from({ length: 10 }, () => def.nextDelay())).toEqual([500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000]);
    const hi = new B.DskitBackoff(500, 5000, 3, () => 0.999);
    expect(hi.nextDelay()).toBe(999);
    hi.nextDelay();
    expect(hi.ongoing()).toBe(true);
    hi.nextDelay();
    expect(hi.ongoing()).toBe(false);
    expect(B.parseBase2Bytes("1MiB")).toBe(1048576);
    expect(B.parseBase2Bytes("1MB512KiB")).toBe(1048576 + 524288);
    expect(B.parseBase2Bytes("1 MiB")).toBeUndefined();
  });

  test("endpoint arguments keep Alloy's defaults", () => {
    const args = LW.lokiWriteArgs(parseAlloyFile(`loki.write "w" {\n  endpoint {\n    url = "https://gw:9443/loki/api/v1/push"\n  }\n}\n`).blocks[0]);
    expect(args.endpoints[0]).toMatchObject({ batchWaitMs: 1000, batchSize: 1048576, timeoutMs: 10000, minBackoffMs: 500, maxBackoffMs: 300000, maxRetries: 10, retryOn429: true, tenantId: "", queueBatches: 10 });
    expect(args.endpoints[0].client).toMatchObject({ followRedirects: true, enableHttp2: true, tls: { insecureSkipVerify: false } });
  });

  test.each([
    ["basic_auth {\n username = \"a\"\n password = \"b\"\n password_file = \"/f\"\n }", "at most one of basic_auth password & password_file must be configured"],
    ["tls_config {\n ca_pem = \"x\"\n ca_file = \"/f\"\n }", "at most one of ca_pem and ca_file must be configured"],
    ["bearer_token = \"t\"\n basic_auth {\n username = \"a\"\n }", "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured"],
    ["tls_config {\n cert_pem = \"x\"\n }", "exactly one of key_pem or key_file must be configured when a client certificate is configured"],
    ["pasword_file = \"/f\"", 'unrecognized attribute name "pasword_file"'],
  ])("a config Alloy refuses is refused: %s", (body, message) => {
    const root = parseAlloyFile(`loki.write "w" {\n  endpoint {\n    url = "https://gw/loki/api/v1/push"\n    ${body}\n  }\n}\n`);
    expect(() => LW.lokiWriteArgs(root.blocks[0])).toThrow(message);
  });
});

describe("prometheus.remote_write 1.0: what Alloy sends", () => {
  const rwEndpoint = (url: string, extra = "", opts: Record<string, unknown> = {}) => {
    const root = parseAlloyFile(`prometheus.remote_write "central" {\n  external_labels = {"host" = "web1", "job" = "ext"}\n  endpoint {\n    url = "${url}"\n${extra}\n  }\n}\n`);
    const args = RW.remoteWriteArgs(root.blocks[0], "prometheus.remote_write.central");
    return new RW.RemoteWriteEndpoint(args.endpoints[0], args.externalLabels, Object.assign({ component: "prometheus.remote_write.central", version: "v1.19.2" }, noSleep, opts));
  };

  test("headers, one sample per series, labels sorted, external labels only where absent, the stale marker's bits", async () => {
    const rx = await receiver();
    const ep = rwEndpoint(`${rx.url}/api/v1/write`);
    ep.append([
      { labels: { __name__: "up", job: "node", instance: "ne:9100" }, value: 1, timestampMs: 1_700_000_000_000 },
      { labels: { __name__: "node_load1", instance: "ne:9100" }, value: 0.25, timestampMs: 1_700_000_000_000 },
      { labels: { __name__: "gone", job: "node" }, value: NaN, stale: true, timestampMs: 1_700_000_000_001 },
    ]);
    await ep.flush();
    expect(rx.reqs).toHaveLength(1);
    const h = rx.reqs[0].headers;
    expect([h["content-encoding"], h["content-type"], h["x-prometheus-remote-write-version"], h["retry-attempt"]]).toEqual(["snappy", "application/x-protobuf", "0.1.0", undefined]);
    expect(h["user-agent"]).toMatch(/^Alloy\/v1\.19\.2 \(linux; /);
    const { series, raw } = decodeWriteRequest(rx.reqs[0].body);
    expect(series.map((s) => s.labels)).toEqual([
      [["__name__", "up"], ["host", "web1"], ["instance", "ne:9100"], ["job", "node"]],
      [["__name__", "node_load1"], ["host", "web1"], ["instance", "ne:9100"], ["job", "ext"]],
      [["__name__", "gone"], ["host", "web1"], ["job", "node"]],
    ]);
    expect(series.map((s) => s.samples.length)).toEqual([1, 1, 1]);
    expect(series[1].samples[0]).toEqual({ value: 0.25, timestamp: 1_700_000_000_000 });
    expect(Number.isNaN(series[2].samples[0].value)).toBe(true);
    expect(raw.includes(STALE_NAN_LE)).toBe(true);
  });

  test("5xx and 429 are retried without limit (Retry-Attempt, Retry-After), other 4xx drop the samples", async () => {
    const rx = await receiver([{ status: 500 }, { status: 429, headers: { "Retry-After": "7" } }, { status: 200 }]);
    const slept: number[] = [];
    const ep = rwEndpoint(rx.url, "", { sleep: (ms: number) => (slept.push(ms), Promise.resolve()) });
    ep.append([{ labels: { __name__: "a" }, value: 1, timestampMs: 1 }]);
    await ep.flush();
    expect(rx.reqs.map((r) => r.headers["retry-attempt"])).toEqual([undefined, "1", "2"]);
    expect(slept).toEqual([30, 7000]);
    expect(ep.stats).toMatchObject({ samples: 1, retried: 2, failed: 0 });
    const rx2 = await receiver([{ status: 400, body: "out of order sample" }]);
    const logs: unknown[][] = [];
    const ep2 = rwEndpoint(rx2.url, "", { log: (...a: unknown[]) => logs.push(a) });
    ep2.append([{ labels: { __name__: "a" }, value: 1, timestampMs: 1 }]);
    await ep2.flush();
    expect(rx2.reqs).toHaveLength(1);
    expect(ep2.stats).toMatchObject({ samples: 0, failed: 1 });
    expect(logs[0][1]).toBe("non-recoverable error");
    expect((logs[0][2] as Record<string, unknown>).err).toBe("server returned HTTP status 400 Bad Request: out of order sample");
  });

  test("queue_config: max_samples_per_send splits the requests; the backoff doubles up to max_backoff", async () => {
    const rx = await receiver([{ status: 502 }, { status: 502 }, { status: 502 }, { status: 204 }]);
    const slept: number[] = [];
    const ep = rwEndpoint(rx.url, `    queue_config {\n      max_samples_per_send = 2\n      min_backoff = "10ms"\n      max_backoff = "25ms"\n    }`, { sleep: (ms: number) => (slept.push(ms), Promise.resolve()) });
    ep.append([1, 2, 3, 4, 5].map((v) => ({ labels: { __name__: "s", i: String(v) }, value: v, timestampMs: v })));
    await ep.flush();
    expect(slept).toEqual([10, 20, 25]);
    expect(rx.reqs.slice(3).map((r) => decodeWriteRequest(r.body).series.length)).toEqual([2, 2, 1]);
  });

  test("Alloy's endpoint defaults; remote write 2.0 and write_relabel_config are refused, not ignored", () => {
    const args = RW.remoteWriteArgs(parseAlloyFile(`prometheus.remote_write "c" {\n  endpoint {\n    url = "https://gw/api/v1/write"\n  }\n}\n`).blocks[0], "prometheus.remote_write.c");
    expect(args.endpoints[0]).toMatchObject({ timeoutMs: 30000, maxSamplesPerSend: 2000, batchSendDeadlineMs: 5000, minBackoffMs: 30, maxBackoffMs: 5000, retryOn429: true, client: { enableHttp2: false } });
    const v2 = parseAlloyFile(`prometheus.remote_write "c" {\n  endpoint {\n    url = "https://gw/api/v1/write"\n    protobuf_message = "io.prometheus.write.v2.Request"\n  }\n}\n`).blocks[0];
    expect(() => RW.remoteWriteArgs(v2, "prometheus.remote_write.c")).toThrow(/not implemented by the Alloy test double/);
  });
});

describe("the HTTP client's errors in Go's words", () => {
  test("x509 HostnameError for IP and DNS names", () => {
    expect(H.hostnameError("IP Address:192.0.2.10", "127.0.0.1")).toBe("x509: certificate is valid for 192.0.2.10, not 127.0.0.1");
    expect(H.hostnameError("DNS:gw.example", "127.0.0.1")).toBe("x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs");
    expect(H.hostnameError("IP Address:192.0.2.10", "gw.example")).toBe("x509: certificate is not valid for any names, but wanted to match gw.example");
    expect(H.hostnameError("DNS:a.example, DNS:b.example", "c.example")).toBe("x509: certificate is valid for a.example, b.example, not c.example");
  });
});
