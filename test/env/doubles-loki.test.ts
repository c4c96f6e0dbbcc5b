// Conformance of the Loki TEST DOUBLE (test/env/doubles/loki) with the upstream behaviour the stack
// and its proofs depend on. Each test names its upstream source; "release-3.7.x" is the branch of
// github.com/grafana/loki the stack's pin (grafana/loki:3.7.8) is cut from. Everything runs on
// 127.0.0.1 with an injected clock: no sleeping, no network beyond loopback.
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { renderLokiConfig } from "../../components/render/loki";
import { stackConfig } from "../util/mocks";

/* eslint-disable @typescript-eslint/no-require-imports */
const loki = require("./doubles/loki/server.js");
const C = require("./doubles/loki/config.js");
const P = require("./doubles/loki/push.js");
const common = require("./doubles/lib/common.js");

jest.setTimeout(20_000);

const MS = 1_000_000n;
const NOW = Date.parse("2026-03-01T12:00:00Z");

type Env = { url: string; clock: { now: number }; close: () => Promise<void>; dir: string };

/** The double's request handler on an ephemeral 127.0.0.1 port, with the given config text. */
async function start(configText = "auth_enabled: false\n", ingestDelayMs = 0): Promise<Env> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loki-conf-"));
  const store = new loki.Store(dir);
  store.load();
  const clock = { now: NOW };
  const route = loki.createHandler({ store, config: C.parseConfig(configText), clock: () => clock.now, ingestDelayMs });
  const server = http.createServer(common.handler("loki-test", route));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, clock, dir, close: () => new Promise((r) => server.close(() => r())) };
}

async function req(env: Env, p: string, init: RequestInit = {}): Promise<{ status: number; text: string; json: () => any }> {
  const r = await fetch(env.url + p, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) };
}

const ns = (ms: number) => (BigInt(ms) * MS).toString();
const protoPush = (env: Env, streams: { labels: string; entries: { ts: bigint | string; line: string; structuredMetadata?: Record<string, string> }[] }[]) =>
  req(env, "/loki/api/v1/push", { method: "POST", headers: { "Content-Type": "application/x-protobuf" }, body: P.encodeProtoPush(streams) });
const jsonPush = (env: Env, body: unknown, headers: Record<string, string> = {}) =>
  req(env, "/loki/api/v1/push", { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: typeof body === "string" || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body) });
const range = (env: Env, params: Record<string, string>) => req(env, `/loki/api/v1/query_range?${new URLSearchParams(params)}`);

let env: Env;
afterEach(async () => {
  await env?.close();
});

describe("push: decoding (pkg/loghttp/push/push.go parsePushRequestBody, pkg/push/push.proto)", () => {
  test("snappy-compressed protobuf logproto.PushRequest (what Alloy's loki.write sends): 204, then queryable with its labels and structured metadata", async () => {
    env = await start();
    const r = await protoPush(env, [{ labels: '{job="logs", filename="/tmp/a.log"}', entries: [{ ts: BigInt(NOW - 1000) * MS, line: "hello proto", structuredMetadata: { trace_id: "abc" } }, { ts: BigInt(NOW - 500) * MS, line: "second" }] }]);
    expect([r.status, r.text]).toEqual([204, ""]);
    const q = (await range(env, { query: '{job="logs"}', start: ns(NOW - 60_000), end: ns(NOW), direction: "forward" })).json();
    // Loki 3 answers without the categorize-labels flag: structured metadata joins the stream labels
    // (pkg/util/marshal/query.go encodeStream), so an entry with metadata is its own result stream.
    expect(q.data.result).toHaveLength(2);
    expect(q.data.result).toEqual(
      expect.arrayContaining([
        { stream: { filename: "/tmp/a.log", job: "logs", service_name: "logs" }, values: [[ns(NOW - 500), "second"]] },
        { stream: { filename: "/tmp/a.log", job: "logs", service_name: "logs", trace_id: "abc" }, values: [[ns(NOW - 1000), "hello proto"]] },
      ]),
    );
  });

  test("JSON, plain and gzip-compressed, with optional structured metadata as a third value", async () => {
    env = await start();
    const body = { streams: [{ stream: { job: "j" }, values: [[ns(NOW - 10), "plain"], [ns(NOW - 9), "with sm", { k: "v" }]] }] };
    expect((await jsonPush(env, body)).status).toBe(204);
    const gz = zlib.gzipSync(Buffer.from(JSON.stringify({ streams: [{ stream: { job: "j" }, values: [[ns(NOW - 8), "gzipped"]] }] })));
    expect((await jsonPush(env, gz, { "Content-Encoding": "gzip" })).status).toBe(204);
    const lines = (await range(env, { query: '{job="j"}', start: ns(NOW - 1000), end: ns(NOW) })).json().data.result.flatMap((s: { values: string[][] }) => s.values.map((v) => v[1]));
    expect(lines.sort()).toEqual(["gzipped", "plain", "with sm"]);
  });

  test.each([
    ["an unsupported Content-Encoding", { "Content-Type": "application/json", "Content-Encoding": "br" }, "{}", 400, 'Content-Encoding "br" not supported\n'],
    ["no Content-Type (mime.ParseMediaType of an empty string)", {}, Buffer.from("x"), 400, "mime: no media type\n"],
    ["a body that is not snappy", { "Content-Type": "application/x-protobuf" }, Buffer.from("x"), 400, "snappy: corrupt input\n"],
    ["no streams (distributor.go: MissingStreamsErrorMsg, 422)", { "Content-Type": "application/json" }, '{"streams":[]}', 422, "error at least one valid stream is required for ingestion\n"],
  ])("refuses %s", async (_n, headers, body, status, text) => {
    env = await start();
    const r = await req(env, "/loki/api/v1/push", { method: "POST", headers, body });
    expect([r.status, r.text]).toEqual([status, text]);
  });

  test('a label string that does not parse as a Prometheus label set: 400 "couldn\'t parse labels: ..." (ParseLokiRequest), nothing stored', async () => {
    env = await start();
    const r = await protoPush(env, [{ labels: '{job="ok"}', entries: [{ ts: BigInt(NOW) * MS, line: "a" }] }, { labels: "{job=unquoted}", entries: [{ ts: BigInt(NOW) * MS, line: "b" }] }]);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^couldn't parse labels: /);
    expect((await range(env, { query: '{job="ok"}', start: ns(NOW - 1000), end: ns(NOW + 1) })).json().data.result).toEqual([]);
  });

  test("auth_enabled (Loki's default: true) wants a tenant: 401 no org id (dskit user.ErrNoOrgID)", async () => {
    env = await start("limits_config: {}\n");
    const r = await jsonPush(env, { streams: [{ stream: { job: "j" }, values: [[ns(NOW), "x"]] }] });
    expect([r.status, r.text]).toEqual([401, "no org id\n"]);
    expect((await jsonPush(env, { streams: [{ stream: { job: "j" }, values: [[ns(NOW), "x"]] }] }, { "X-Scope-OrgID": "t" })).status).toBe(204);
  });
});

describe("push: limits from the config file (pkg/distributor/validator.go, pkg/validation/validate.go, limits.go)", () => {
  test("with no limits_config the double applies Loki 3.7's defaults; the rendered stack config sets reject_old_samples_max_age 168h", () => {
    const d = C.parseConfig("").limits;
    expect(d).toMatchObject({ rejectOldSamples: true, rejectOldSamplesMaxAgeMs: 7 * 86400e3, creationGracePeriodMs: 600e3, maxLineSize: 256 * 1024, maxLabelNamesPerSeries: 15, ingestionRateBytes: 4 * 1048576, ingestionBurstBytes: 6 * 1048576, maxEntriesLimitPerQuery: 5000, maxQueryLengthMs: 721 * 3600e3 });
    expect(C.parseConfig("").minReadyDurationMs).toBe(15_000);
    const rendered = C.parseConfig(renderLokiConfig(stackConfig("test")));
    expect(rendered).toMatchObject({ authEnabled: false, port: 3100, pathPrefix: "/loki", minReadyDurationMs: 15_000 });
    expect(rendered.limits.rejectOldSamplesMaxAgeMs).toBe(168 * 3600e3);
    expect(() => C.parseConfig("limits_config: [\n")).toThrow(C.ConfigError);
  });

  test("an entry older than reject_old_samples_max_age is refused with Loki's text; the valid entry of the same push is kept (400)", async () => {
    env = await start("auth_enabled: false\nlimits_config:\n  reject_old_samples: true\n  reject_old_samples_max_age: 1h\n");
    const old = BigInt(NOW - 2 * 3600e3) * MS;
    const r = await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: old, line: "old" }, { ts: BigInt(NOW) * MS, line: "fresh" }] }]);
    expect(r.status).toBe(400);
    expect(r.text).toBe(`entry for stream '{job="j", service_name="j"}' has timestamp too old: 2026-03-01T10:00:00Z, oldest acceptable timestamp is: 2026-03-01T11:00:00Z\n`);
    const lines = (await range(env, { query: '{job="j"}', start: ns(NOW - 3 * 3600e3), end: ns(NOW + 1) })).json().data.result.flatMap((s: { values: string[][] }) => s.values.map((v) => v[1]));
    expect(lines).toEqual(["fresh"]);
    // reject_old_samples off: the same entry is accepted
    await env.close();
    env = await start("auth_enabled: false\nlimits_config:\n  reject_old_samples: false\n  reject_old_samples_max_age: 1h\n");
    expect((await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: old, line: "old" }] }])).status).toBe(204);
  });

  test("an entry beyond creation_grace_period in the future is refused", async () => {
    env = await start("auth_enabled: false\nlimits_config:\n  creation_grace_period: 1m\n");
    const r = await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: BigInt(NOW + 120_000) * MS, line: "future" }] }]);
    expect([r.status, r.text]).toEqual([400, `entry for stream '{job="j", service_name="j"}' has timestamp too new: 2026-03-01T12:02:00Z\n`]);
    expect((await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: BigInt(NOW + 30_000) * MS, line: "near" }] }])).status).toBe(204);
  });

  test("a line over max_line_size is refused (byte length, datasize units: 1KB = 1024)", async () => {
    env = await start("auth_enabled: false\nlimits_config:\n  max_line_size: 1KB\n");
    const r = await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: BigInt(NOW) * MS, line: "x".repeat(1025) }] }]);
    expect([r.status, r.text]).toEqual([400, `Max entry size '1024' bytes exceeded for stream '{job="j", service_name="j"}' while adding an entry with length '1025' bytes\n`]);
    expect((await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: BigInt(NOW) * MS, line: "x".repeat(1024) }] }])).status).toBe(204);
  });

  test("more than max_label_names_per_series labels is refused; the service_name Loki adds is not counted", async () => {
    env = await start("auth_enabled: false\nlimits_config:\n  max_label_names_per_series: 3\n");
    expect((await protoPush(env, [{ labels: '{a="1", b="2", job="j"}', entries: [{ ts: BigInt(NOW) * MS, line: "3 labels + service_name" }] }])).status).toBe(204);
    const r = await protoPush(env, [{ labels: '{a="1", b="2", c="3", job="j"}', entries: [{ ts: BigInt(NOW) * MS, line: "4" }] }]);
    expect([r.status, r.text]).toEqual([400, `entry for stream '{a="1", b="2", c="3", job="j", service_name="j"}' has 4 label names; limit 3\n`]);
  });

  test("several refusals are grouped as Loki's GroupedErrors does (N errors like: ...)", async () => {
    env = await start("auth_enabled: false\nlimits_config:\n  max_line_size: 1B\n");
    const r = await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: BigInt(NOW) * MS, line: "xx" }, { ts: BigInt(NOW + 1) * MS, line: "xx" }] }]);
    expect(r.status).toBe(400);
    expect(r.text).toBe(`2 errors like: Max entry size '1' bytes exceeded for stream '{job="j", service_name="j"}' while adding an entry with length '2' bytes\n`);
  });

  test("the ingestion rate limit (ingestion_rate_mb / ingestion_burst_size_mb, token bucket) answers 429 with Loki's text, and refills", async () => {
    // burst 2048 bytes, refilling at 1024 bytes/s
    env = await start(`auth_enabled: false\nlimits_config:\n  ingestion_rate_mb: ${1024 / 1048576}\n  ingestion_burst_size_mb: ${2048 / 1048576}\n`);
    const push = (n: number, t: number) => protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: BigInt(t) * MS, line: "x".repeat(n) }] }]);
    expect((await push(1500, NOW)).status).toBe(204);
    const r = await push(1000, NOW + 1);
    expect([r.status, r.text]).toEqual([429, "Ingestion rate limit exceeded for user fake (limit: 1024 bytes/sec) while attempting to ingest '1' lines totaling '1000' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased\n"]);
    env.clock.now += 1000; // 1024 more tokens
    expect((await push(1000, NOW + 2)).status).toBe(204);
    expect((await push(3000, NOW + 3)).status).toBe(429); // more than the burst never passes
  });
});

describe("service_name (pkg/loghttp/push/push.go ParseLokiRequest, limits.go discover_service_name)", () => {
  test.each([
    ['{service="svc", app="a", job="j"}', "svc"],
    ['{app="a", container="c", job="j"}', "a"],
    ['{container="logging-testenv-loki", job="docker"}', "logging-testenv-loki"],
    ['{filename="/tmp/x.log", job="logs", project="p"}', "logs"],
    ['{unit="docker.service"}', "unknown_service"],
    ['{service_name="given", job="j"}', "given"],
  ])("%s -> service_name=%s", async (labels, expected) => {
    env = await start();
    expect((await protoPush(env, [{ labels, entries: [{ ts: BigInt(NOW) * MS, line: "l" }] }])).status).toBe(204);
    expect((await req(env, `/loki/api/v1/label/service_name/values?start=${ns(NOW - 1000)}&end=${ns(NOW + 1)}`)).json().data).toEqual([expected]);
  });

  test("discover_service_name: [] turns it off (and an empty label set is then refused)", async () => {
    env = await start("auth_enabled: false\nlimits_config:\n  discover_service_name: []\n");
    expect((await protoPush(env, [{ labels: '{job="j"}', entries: [{ ts: BigInt(NOW) * MS, line: "l" }] }])).status).toBe(204);
    expect((await req(env, `/loki/api/v1/labels?start=${ns(NOW - 1000)}&end=${ns(NOW + 1)}`)).json().data).toEqual(["job"]);
    const r = await protoPush(env, [{ labels: "{}", entries: [{ ts: BigInt(NOW) * MS, line: "l" }] }]);
    expect([r.status, r.text]).toEqual([400, "error at least one label pair is required per stream\n"]);
  });
});

describe("readiness (pkg/loki/loki.go readyHandler, dskit ring/lifecycler.go CheckReady)", () => {
  test("503 'Ingester not ready: waiting for 15s after being ready' for min_ready_duration (15s by default) from the first check, then ready for good", async () => {
    env = await start();
    const r = await req(env, "/ready");
    expect([r.status, r.text]).toEqual([503, "Ingester not ready: waiting for 15s after being ready\n"]);
    env.clock.now += 14_999;
    expect((await req(env, "/ready")).status).toBe(503);
    env.clock.now += 1;
    expect(await req(env, "/ready").then((x) => [x.status, x.text])).toEqual([200, "ready\n"]);
    env.clock.now += 3600e3;
    expect((await req(env, "/ready")).status).toBe(200);
  });

  test("ingester.lifecycler.min_ready_duration from the config file", async () => {
    env = await start("auth_enabled: false\ningester:\n  lifecycler:\n    min_ready_duration: 1m30s\n");
    expect((await req(env, "/ready")).text).toBe("Ingester not ready: waiting for 1m30s after being ready\n");
    env.clock.now += 90_000;
    expect((await req(env, "/ready")).status).toBe(200);
  });
});

describe("queries (pkg/loghttp/params.go, query.go, pkg/querier/queryrange/limits.go, pkg/util/validation/validate.go)", () => {
  async function seeded(config?: string): Promise<Env> {
    const e = await start(config);
    const entries = [1, 2, 3, 4, 5].map((i) => ({ ts: BigInt(NOW - 10_000 + i * 1000) * MS, line: `line ${i}` }));
    expect((await protoPush(e, [{ labels: '{job="q"}', entries }])).status).toBe(204);
    return e;
  }
  const lines = (b: any) => b.data.result.flatMap((s: { values: string[][] }) => s.values.map((v) => v[1]));

  test("direction and limit: backward keeps the newest, forward the oldest", async () => {
    env = await seeded();
    const base = { query: '{job="q"}', start: ns(NOW - 60_000), end: ns(NOW) };
    expect(lines((await range(env, { ...base, limit: "2" })).json())).toEqual(["line 5", "line 4"]);
    expect(lines((await range(env, { ...base, limit: "2", direction: "FORWARD" })).json())).toEqual(["line 1", "line 2"]);
  });

  test("a limit above max_entries_limit_per_query is refused with Loki's text", async () => {
    env = await seeded("auth_enabled: false\nlimits_config:\n  max_entries_limit_per_query: 3\n");
    const r = await range(env, { query: '{job="q"}', limit: "4", start: ns(NOW - 60_000), end: ns(NOW) });
    expect([r.status, r.text]).toEqual([400, "max entries limit per query exceeded, limit > max_entries_limit_per_query (4 > 3)"]);
    expect((await range(env, { query: '{job="q"}', limit: "3", start: ns(NOW - 60_000), end: ns(NOW) })).status).toBe(200);
  });

  test("times: nanoseconds, seconds (10 digits), float seconds (rounded to ms) and RFC3339Nano; end exclusive; bad values refused", async () => {
    env = await seeded();
    const t4 = NOW - 10_000 + 4000;
    expect(lines((await range(env, { query: '{job="q"}', start: ns(t4), end: ns(t4 + 1000) })).json())).toEqual(["line 4"]);
    expect(lines((await range(env, { query: '{job="q"}', start: new Date(t4).toISOString(), end: new Date(t4 + 1).toISOString() })).json())).toEqual(["line 4"]);
    expect(lines((await range(env, { query: '{job="q"}', start: ((t4 - 0.4) / 1000).toFixed(4), end: String((t4 + 1000) / 1000).slice(0, 10) })).json())).toEqual(["line 4"]);
    const bad = await range(env, { query: '{job="q"}', start: "yesterday" });
    expect([bad.status, bad.text]).toEqual([400, `could not parse 'start' parameter: strconv.ParseInt: parsing "yesterday": invalid syntax`]);
    expect((await range(env, { query: '{job="q"}', start: ns(NOW), end: ns(NOW - 1) })).text).toBe("end timestamp must not be before or equal to start time");
  });

  test("no start: end - 1h (since); a range over max_query_length is refused with Loki's text (Go and Prometheus duration spellings)", async () => {
    env = await seeded();
    expect(lines((await range(env, { query: '{job="q"}', end: ns(NOW) })).json())).toHaveLength(5);
    const r = await range(env, { query: '{job="q"}', start: ns(NOW - 721 * 3600e3 - 1), end: ns(NOW) });
    expect([r.status, r.text]).toEqual([400, "the query time range exceeds the limit (query length: 721h0m0.001s, limit: 30d1h)"]);
    await env.close();
    env = await seeded("auth_enabled: false\nlimits_config:\n  max_query_length: 2h\n");
    expect((await range(env, { query: '{job="q"}', start: ns(NOW - 3 * 3600e3), end: ns(NOW) })).text).toBe("the query time range exceeds the limit (query length: 3h0m0s, limit: 2h)");
    expect((await req(env, `/loki/api/v1/labels?start=${ns(NOW - 3 * 3600e3)}&end=${ns(NOW)}`)).status).toBe(400);
  });

  test("labels, label values and series honour start/end and query / match[]; series without match[] lists every stream", async () => {
    env = await start();
    expect((await protoPush(env, [{ labels: '{job="a", env="x"}', entries: [{ ts: BigInt(NOW - 7200e3) * MS, line: "old" }] }, { labels: '{job="b", region="r"}', entries: [{ ts: BigInt(NOW - 1000) * MS, line: "new" }] }])).status).toBe(204);
    const w = (s: number) => `start=${ns(NOW - s)}&end=${ns(NOW)}`;
    expect((await req(env, `/loki/api/v1/labels?${w(3600e3)}`)).json().data).toEqual(["job", "region", "service_name"]);
    expect((await req(env, `/loki/api/v1/labels`)).json().data).toEqual(["job", "region", "service_name"]); // default: the last hour
    expect((await req(env, `/loki/api/v1/labels?${w(3 * 3600e3)}`)).json().data).toEqual(["env", "job", "region", "service_name"]);
    expect((await req(env, `/loki/api/v1/labels?${w(3 * 3600e3)}&query=${encodeURIComponent('{job="a"}')}`)).json().data).toEqual(["env", "job", "service_name"]);
    expect((await req(env, `/loki/api/v1/label/job/values?${w(3 * 3600e3)}`)).json().data).toEqual(["a", "b"]);
    expect((await req(env, `/loki/api/v1/label/job/values?${w(3600e3)}`)).json().data).toEqual(["b"]);
    expect((await req(env, `/loki/api/v1/series?${w(3 * 3600e3)}&${new URLSearchParams({ "match[]": '{job="a"}' })}`)).json().data).toEqual([{ env: "x", job: "a", service_name: "a" }]);
    expect((await req(env, `/loki/api/v1/series?${w(3 * 3600e3)}`)).json().data).toHaveLength(2);
    expect((await req(env, `/loki/api/v1/series?${w(3600e3)}`)).json().data).toEqual([{ job: "b", region: "r", service_name: "b" }]);
  });

  test("an identical entry (same stream, timestamp and line) pushed twice is stored once (Alloy retries a push)", async () => {
    env = await start();
    const one = { labels: '{job="d"}', entries: [{ ts: BigInt(NOW) * MS, line: "same" }] };
    expect((await protoPush(env, [one])).status).toBe(204);
    expect((await protoPush(env, [one])).status).toBe(204);
    expect(lines((await range(env, { query: '{job="d"}', start: ns(NOW - 1000), end: ns(NOW + 1) })).json())).toEqual(["same"]);
  });

  test("instant query: vector(1)+vector(1) is 2 (what Grafana's Loki health check sends); a log selector is refused as Loki refuses it", async () => {
    env = await start();
    const r = (await req(env, `/loki/api/v1/query?${new URLSearchParams({ query: "vector(1)+vector(1)", time: "4000000000" })}`)).json();
    // "4000000000" has 10 digits, so Loki reads it as seconds (params.go parseTimestamp), as it does Grafana's
    expect(r).toMatchObject({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [4000000000, "2"] }] } });
    const log = await req(env, `/loki/api/v1/query?${new URLSearchParams({ query: '{job="q"}' })}`);
    expect([log.status, log.text]).toEqual([400, "log queries are not supported as an instant query type, please change your query to a range query type"]);
  });
});

describe("the process (as the image runs it)", () => {
  test("`loki -health [-health.url=...]` (cmd/loki/health.go, the stack's healthcheck for 3.7+): exit 0 'Loki is healthy' on 200, exit 1 otherwise", async () => {
    env = await start();
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const c = spawn(process.execPath, [path.join(__dirname, "doubles/loki/server.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        c.stdout.on("data", (b: Buffer) => (out += b.toString()));
        c.stderr.on("data", (b: Buffer) => (err += b.toString()));
        c.on("exit", (code) => resolve({ code, out, err }));
      });
    expect(await run(["-health", `-health.url=${env.url}/ready`])).toEqual({ code: 1, out: "", err: "Loki is unhealthy: status code 503\n" });
    env.clock.now += 15_000;
    expect(await run(["-health", "-health.url", `${env.url}/ready`])).toEqual({ code: 0, out: "Loki is healthy\n", err: "" });
  });

  test("reads -config.file (YAML), reports DOUBLE_VERSION in buildinfo, exits 1 on a config it cannot parse", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loki-proc-"));
    const port = await new Promise<number>((r) => {
      const s = http.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const cfg = path.join(dir, "config.yaml");
    fs.writeFileSync(cfg, `auth_enabled: false\nserver:\n  http_listen_port: ${port}\n  http_listen_address: 127.0.0.1\ncommon:\n  path_prefix: ${dir}\n`);
    const child = spawn(process.execPath, [path.join(__dirname, "doubles/loki/server.js"), `-config.file=${cfg}`], { env: { ...process.env, DOUBLE_VERSION: "3.7.8-test" }, stdio: ["ignore", "pipe", "pipe"] });
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("loki double did not start")), 10_000);
        child.stdout.on("data", (b: Buffer) => {
          if (b.toString().includes('"listening"')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      const b = (await (await fetch(`http://127.0.0.1:${port}/loki/api/v1/status/buildinfo`, { signal: AbortSignal.timeout(5000) })).json()) as { version: string };
      expect(b.version).toBe("3.7.8-test");
    } finally {
      child.kill("SIGTERM");
    }
    fs.writeFileSync(cfg, "server: [\n");
    const bad = spawn(process.execPath, [path.join(__dirname, "doubles/loki/server.js"), `-config.file=${cfg}`], { stdio: "ignore" });
    expect(await new Promise((r) => bad.on("exit", r))).toBe(1);
  });
});
