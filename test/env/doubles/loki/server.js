"use strict";
// Loki TEST DOUBLE (not Grafana Loki). Answers the HTTP API of Loki 3.7 the stack and its proofs
// use, with the limits of the config file it was started with; ../README.md says exactly what it
// does and does not do, with the upstream source of each behaviour.
//   POST /loki/api/v1/push                 snappy protobuf (Alloy's loki.write) or JSON (gzip/deflate)
//   GET  /loki/api/v1/query_range          streams for a selector + line filters (logql.js)
//   GET  /loki/api/v1/query                instant: vector arithmetic only (Grafana's health check)
//   GET  /loki/api/v1/labels, /label/<n>/values, /series
//   GET  /ready, /loki/api/v1/status/buildinfo, /metrics, /config
// Knob (env): LOKI_DOUBLE_INGEST_DELAY_MS (default 0, as Loki: the querier reads the ingesters'
// memory and a push is answered once the ingesters hold it): a pushed line becomes queryable only
// after this delay (tests of the ingestion proof's polling can set one).
// State: every accepted entry is appended to <path_prefix>/double/entries.jsonl and reloaded on
// start, so a restart keeps data (as Loki's ingester WAL + chunks do).
const fs = require("node:fs");
const path = require("node:path");
const { parseFlags, log, send, sendJson, readBody, serve, versionAtLeast } = require("../lib/common.js");
const L = require("./logql.js");
const C = require("./config.js");
const P = require("./push.js");

const SERVICE = "loki-double";
const VERSION = process.env.DOUBLE_VERSION || "3.7.8";
const INGEST_DELAY_MS = Number(process.env.LOKI_DOUBLE_INGEST_DELAY_MS || 0);
const MAX_ENTRIES = Number(process.env.LOKI_DOUBLE_MAX_ENTRIES || 200000);
const NS_PER_MS = 1000000n;
const NS_PER_S = 1000000000n;

/** Back-compat for tests and tools: the few server keys, read with the YAML parser. */
function readConfig(file) {
  const c = C.loadConfig(file);
  return { port: c.port, address: c.address, pathPrefix: c.pathPrefix, text: c.text, config: c };
}

function entryKey(ts, line) {
  return `${ts}\u0000${line}`;
}

class Store {
  constructor(dir) {
    this.dir = dir;
    this.file = path.join(dir, "entries.jsonl");
    this.streams = new Map(); // key -> {labels, entries:[{ts:BigInt, line, sm?, visibleAt}], seen:Set}
    this.count = 0;
    this.linesReceived = 0;
  }
  load() {
    fs.mkdirSync(this.dir, { recursive: true });
    if (!fs.existsSync(this.file)) return;
    for (const raw of fs.readFileSync(this.file, "utf8").split("\n")) {
      if (!raw) continue;
      try {
        const r = JSON.parse(raw);
        this.add(r.labels, BigInt(r.ts), r.line, 0, r.sm);
      } catch {
        /* a torn last line after a crash: skip it */
      }
    }
  }
  /** Index one entry; false for a duplicate (same stream, timestamp and line: Loki keeps one). */
  add(labels, ts, line, visibleAt, sm) {
    const key = L.labelsKey(labels);
    let s = this.streams.get(key);
    if (!s) this.streams.set(key, (s = { labels, entries: [], seen: new Set() }));
    const k = entryKey(ts, line);
    if (s.seen.has(k)) return false;
    s.seen.add(k);
    s.entries.push(sm ? { ts, line, sm, visibleAt } : { ts, line, visibleAt });
    this.count++;
    return true;
  }
  /** Append a batch durably, then index it; bounded memory (oldest entries dropped first). */
  append(batch, visibleAt) {
    const fresh = batch.filter((e) => {
      const s = this.streams.get(L.labelsKey(e.labels));
      return !(s && s.seen.has(entryKey(e.ts, e.line)));
    });
    const lines = fresh.map((e) => JSON.stringify(Object.assign({ labels: e.labels, ts: e.ts.toString(), line: e.line }, e.sm ? { sm: e.sm } : {}))).join("\n");
    if (lines) fs.appendFileSync(this.file, lines + "\n");
    for (const e of fresh) this.add(e.labels, e.ts, e.line, visibleAt, e.sm);
    this.linesReceived += batch.length;
    if (this.count > MAX_ENTRIES) this.trim();
  }
  trim() {
    for (const s of this.streams.values()) {
      const drop = Math.min(s.entries.length, Math.ceil(s.entries.length / 4));
      for (const e of s.entries.splice(0, drop)) s.seen.delete(entryKey(e.ts, e.line));
      this.count -= drop;
    }
  }
  /** Streams with at least one visible entry in [start, end) matching the selector. */
  select(parsed, start, end, nowMs) {
    const out = [];
    for (const s of this.streams.values()) {
      if (parsed && !L.matchesStream(parsed, s.labels)) continue;
      const entries = s.entries.filter((e) => e.visibleAt <= nowMs && e.ts >= start && e.ts < end && (!parsed || L.matchesLine(parsed, e.line)));
      if (entries.length) out.push({ labels: s.labels, entries });
    }
    return out;
  }
}

/** JSON push bodies only (kept for callers of the JSON path; the server uses push.js). */
function parsePush(body) {
  return P.decodeJson(body).flatMap((s) => {
    const { labels } = P.streamLabels(s.labels, []);
    if (Object.keys(labels).length === 0) throw bad("error at least one label pair is required per stream");
    return s.entries.map((e) => ({ labels, ts: e.ts, line: e.line }));
  });
}

/** Go marshals label maps with sorted keys; so does the double. */
function sortedLabels(labels) {
  const out = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k];
  return out;
}

function bad(msg) {
  return Object.assign(new Error(msg), { status: 400 });
}

function nowNs(nowMs) {
  return BigInt(nowMs) * NS_PER_MS;
}

/** A Loki timestamp parameter, with Loki's error text (pkg/loghttp/params.go determineBounds). */
function timestampParam(params, key, def) {
  const v = params.get(key);
  try {
    return L.parseTimestamp(v === null ? undefined : v, def);
  } catch {
    throw bad(`could not parse '${key}' parameter: strconv.ParseInt: parsing ${P.goQuote(v)}: invalid syntax`);
  }
}

/** determineBounds: end defaults to now; start to min(end, now) - since (default 1h). */
function bounds(params, nowMs) {
  let sinceMs = 3600e3;
  if (params.get("since")) {
    try {
      sinceMs = C.parsePromDuration(params.get("since"));
    } catch (e) {
      throw bad(`could not parse 'since' parameter: ${e.message}`);
    }
  }
  const now = nowNs(nowMs);
  const end = timestampParam(params, "end", now);
  const endOrNow = end > now ? now : end;
  const start = timestampParam(params, "start", endOrNow - BigInt(sinceMs) * NS_PER_MS);
  return [start, end];
}

/** validation.ErrQueryTooLong, with Go's and Prometheus' duration spellings. */
function checkQueryLength(limits, start, end) {
  if (!limits || !(limits.maxQueryLengthMs > 0)) return;
  const lenMs = end / NS_PER_MS - start / NS_PER_MS; // Loki compares millisecond timestamps
  if (lenMs > BigInt(limits.maxQueryLengthMs)) {
    throw bad(`the query time range exceeds the limit (query length: ${C.formatGoDuration(lenMs * NS_PER_MS)}, limit: ${C.formatPromDuration(limits.maxQueryLengthMs)})`);
  }
}

function parseSecondsOrDuration(v) {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return Number(v) * 1000;
  try {
    return C.parsePromDuration(v);
  } catch {
    throw bad(`cannot parse ${P.goQuote(v)} to a valid duration`);
  }
}

function parseSelector(q) {
  try {
    return L.parseQuery(q);
  } catch (e) {
    throw bad(e.message);
  }
}

/** The stream a result entry belongs to: its labels plus its structured metadata (no categorize-labels). */
function resultLabels(labels, e) {
  return e.sm ? Object.assign({}, labels, e.sm) : labels;
}

/** query_range (pkg/loghttp/query.go ParseRangeQuery, then the frontend's limits). */
function queryRange(store, params, nowMs, limits) {
  const [start, end] = bounds(params, nowMs);
  if (end < start) throw bad("end timestamp must not be before or equal to start time");
  const limit = params.has("limit") && params.get("limit") !== "" ? Number(params.get("limit")) : 100;
  if (!Number.isInteger(limit)) throw bad(`strconv.Atoi: parsing ${P.goQuote(params.get("limit"))}: invalid syntax`);
  if (limit <= 0) throw bad("limit must be a positive value");
  const dirParam = params.get("direction") || "backward";
  const direction = dirParam.toLowerCase();
  if (direction !== "backward" && direction !== "forward") throw bad(`invalid direction '${dirParam}'`);
  const spanMs = Number((end - start) / NS_PER_MS);
  const stepMs = params.get("step") ? parseSecondsOrDuration(params.get("step")) : Math.max(Math.floor(spanMs / 1000 / 250), 1) * 1000;
  if (!(stepMs > 0)) throw bad("zero or negative query resolution step widths are not accepted. Try a positive integer");
  if (spanMs / stepMs > 11000) throw bad("exceeded maximum resolution of 11,000 points per time series. Try increasing the value of the step parameter");
  const query = params.get("query") || "";
  if (!query) throw bad("parse error : syntax error: unexpected $end");
  const parsed = parseSelector(query);
  if (limits && limits.maxEntriesLimitPerQuery !== 0 && limit > limits.maxEntriesLimitPerQuery) {
    throw bad(`max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${limits.maxEntriesLimitPerQuery})`);
  }
  checkQueryLength(limits, start, end);
  const started = process.hrtime.bigint();
  const streams = store.select(parsed, start, end, nowMs);
  // Keep the `limit` entries nearest the direction's starting edge across all streams.
  const all = [];
  for (const s of streams) for (const e of s.entries) all.push({ s, e });
  all.sort((a, b) => (a.e.ts < b.e.ts ? -1 : a.e.ts > b.e.ts ? 1 : 0));
  if (direction === "backward") all.reverse();
  const kept = all.slice(0, limit);
  const byStream = new Map();
  for (const { s, e } of kept) {
    const labels = resultLabels(s.labels, e);
    const key = L.labelsKey(labels);
    if (!byStream.has(key)) byStream.set(key, { stream: sortedLabels(labels), values: [] });
    byStream.get(key).values.push([e.ts.toString(), e.line]);
  }
  const result = [...byStream.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, v]) => v);
  const bytes = kept.reduce((n, k) => n + Buffer.byteLength(k.e.line), 0);
  const execTime = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    status: "success",
    data: {
      resultType: "streams",
      result,
      stats: {
        summary: {
          bytesProcessedPerSecond: execTime > 0 ? Math.round(bytes / execTime) : bytes,
          linesProcessedPerSecond: execTime > 0 ? Math.round(all.length / execTime) : all.length,
          totalBytesProcessed: bytes,
          totalLinesProcessed: all.length,
          execTime,
          queueTime: 0,
          subqueries: 0,
          totalEntriesReturned: kept.length,
        },
      },
    },
  };
}

/**
 * Instant queries: only arithmetic over number literals and vector(<number>) (what Grafana's Loki
 * health check sends: vector(1)+vector(1), pkg/tsdb/loki/healthcheck.go). A log selector answers
 * Loki's "not supported as an instant query" error; anything else is a 400 from the double.
 */
function instantQuery(params, nowMs) {
  const q = (params.get("query") || "").trim();
  if (q.startsWith("{")) {
    parseSelector(q);
    throw bad("log queries are not supported as an instant query type, please change your query to a range query type");
  }
  const t = timestampParam(params, "time", nowNs(nowMs));
  const re = /\s*(?:(vector)\(\s*([0-9.eE+-]+)\s*\)|([0-9]+(?:\.[0-9]+)?)|([-+*/]))\s*/y;
  let pos = 0;
  let m;
  const nums = [];
  const ops = [];
  let isVector = false;
  let expectOperand = true;
  while (pos < q.length && (m = re.exec(q)) !== null) {
    pos = re.lastIndex;
    if (m[4] !== undefined) {
      if (expectOperand) throw bad("parse error : syntax error: unexpected operator");
      ops.push(m[4]);
      expectOperand = true;
      continue;
    }
    if (!expectOperand) throw bad("parse error : syntax error: missing operator");
    if (m[1]) isVector = true;
    nums.push(Number(m[2] !== undefined ? m[2] : m[3]));
    expectOperand = false;
  }
  if (!q || pos !== q.length || expectOperand || nums.some((n) => Number.isNaN(n))) throw bad(`the Loki double answers instant queries of vector(<number>) arithmetic only (got ${JSON.stringify(q)})`);
  // * and / first, then + and -, left to right
  const terms = [nums[0]];
  const addOps = [];
  ops.forEach((op, i) => {
    if (op === "*") terms[terms.length - 1] *= nums[i + 1];
    else if (op === "/") terms[terms.length - 1] /= nums[i + 1];
    else {
      addOps.push(op);
      terms.push(nums[i + 1]);
    }
  });
  const value = terms.slice(1).reduce((acc, n, i) => (addOps[i] === "+" ? acc + n : acc - n), terms[0]);
  const ts = Number(t) / 1e9;
  const data = isVector ? { resultType: "vector", result: [{ metric: {}, value: [ts, String(value)] }] } : { resultType: "scalar", result: [ts, String(value)] };
  return { status: "success", data: Object.assign(data, { stats: { summary: { execTime: 0, queueTime: 0, totalBytesProcessed: 0, totalLinesProcessed: 0 } } }) };
}

function optionalSelector(params, key) {
  const q = params.get(key);
  return q ? parseSelector(q) : null;
}

function labelWindow(params, nowMs, limits) {
  const [start, end] = bounds(params, nowMs);
  checkQueryLength(limits, start, end);
  return [start, end];
}

function labelNames(store, params, nowMs, limits) {
  const [start, end] = labelWindow(params, nowMs, limits);
  const names = new Set();
  for (const s of store.select(optionalSelector(params, "query"), start, end, nowMs)) Object.keys(s.labels).forEach((n) => names.add(n));
  return { status: "success", data: [...names].sort() };
}

function labelValues(store, name, params, nowMs, limits) {
  const [start, end] = labelWindow(params, nowMs, limits);
  const values = new Set();
  for (const s of store.select(optionalSelector(params, "query"), start, end, nowMs)) if (s.labels[name] !== undefined) values.add(s.labels[name]);
  return { status: "success", data: [...values].sort() };
}

/** /series: match[] (or match) selectors; none, or a single {}, means every stream (pkg/loghttp/series.go). */
function series(store, params, nowMs, limits) {
  const [start, end] = labelWindow(params, nowMs, limits);
  let matches = [...new Set(params.getAll("match[]").concat(params.getAll("match")))].sort();
  if (matches.length === 1 && matches[0].replace(/ /g, "") === "{}") matches = [];
  const seen = new Map();
  const groups = matches.length ? matches.map((m) => parseSelector(m)) : [null];
  for (const parsed of groups) {
    const sel = parsed ? { matchers: parsed.matchers, filters: [] } : null;
    for (const s of store.select(sel, start, end, nowMs)) seen.set(L.labelsKey(s.labels), sortedLabels(s.labels));
  }
  return { status: "success", data: [...seen.values()] };
}

/**
 * /ready as Loki's ingester lifecycler answers it (dskit ring/lifecycler.go CheckReady): the
 * min_ready_duration counter starts at the first readiness check after start (the ring check
 * passes at once here: single binary, in-memory ring) and the instance stays ready afterwards.
 */
class Readiness {
  constructor(minReadyMs, text) {
    this.minReadyMs = minReadyMs;
    this.text = text;
    this.readySince = undefined;
    this.ready = false;
  }
  check(nowMs) {
    if (this.ready) return null;
    if (this.readySince === undefined) this.readySince = nowMs;
    if (nowMs - this.readySince < this.minReadyMs) return `Ingester not ready: waiting for ${this.text} after being ready`;
    this.ready = true;
    return null;
  }
}

/** Request parameters: the query string, plus a form body on POST (Loki accepts both). */
async function requestParams(req, url) {
  const params = new URLSearchParams(url.searchParams);
  if (req.method === "POST" && String(req.headers["content-type"] || "").startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams((await readBody(req, 1 << 20)).toString("utf8"))) params.append(k, v);
  }
  return params;
}

function createHandler(opts) {
  const { store, config, clock } = opts;
  const limits = config.limits;
  const limiter = new P.RateLimiter(limits.ingestionRateBytes, limits.ingestionBurstBytes);
  const readiness = new Readiness(config.minReadyDurationMs, config.minReadyDurationText);
  const now = clock || (() => Date.now());
  const ingestDelayMs = opts.ingestDelayMs === undefined ? INGEST_DELAY_MS : opts.ingestDelayMs;
  const discarded = new Map();
  const httpError = (res, status, text) => send(res, status, text + "\n"); // Go's http.Error adds the newline
  return async (req, res, url) => {
    const p = url.pathname;
    const nowMs = now();
    if (p === "/ready") {
      const why = readiness.check(nowMs);
      return why ? httpError(res, 503, why) : httpError(res, 200, "ready");
    }
    if (p === "/loki/api/v1/status/buildinfo") {
      return sendJson(res, 200, { version: VERSION, revision: "double", branch: "testenv", buildUser: "logging-testenv", buildDate: "1970-01-01T00:00:00Z", goVersion: "none (test double)" });
    }
    if (p === "/config") return send(res, 200, config.text, "text/plain; charset=utf-8");
    if (p === "/metrics") {
      const lines = [
        "# HELP loki_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which loki was built, and the goos and goarch for the build.",
        "# TYPE loki_build_info gauge",
        `loki_build_info{branch="testenv",goarch="amd64",goos="linux",goversion="none",revision="double",tags="double",version="${VERSION}"} 1`,
        "# HELP loki_distributor_lines_received_total The total number of lines received per tenant",
        "# TYPE loki_distributor_lines_received_total counter",
        `loki_distributor_lines_received_total{tenant="${P.TENANT}"} ${store.linesReceived}`,
        "# HELP loki_ingester_memory_streams The total number of streams in memory per tenant.",
        "# TYPE loki_ingester_memory_streams gauge",
        `loki_ingester_memory_streams{tenant="${P.TENANT}"} ${store.streams.size}`,
        "# HELP loki_discarded_samples_total The total number of samples that were discarded.",
        "# TYPE loki_discarded_samples_total counter",
        ...[...discarded.entries()].map(([reason, n]) => `loki_discarded_samples_total{reason="${reason}",tenant="${P.TENANT}"} ${n}`),
        "",
      ];
      return send(res, 200, lines.join("\n"), "text/plain; version=0.0.4; charset=utf-8");
    }
    if (!p.startsWith("/loki/api/")) return send(res, 404, "404 page not found\n");
    // auth_enabled (Loki's default true) needs a tenant; the stack renders auth_enabled: false.
    if (config.authEnabled && !req.headers["x-scope-orgid"]) return httpError(res, 401, "no org id");
    if (p === "/loki/api/v1/push") {
      if (req.method !== "POST") return send(res, 405, "405 method not allowed\n");
      let r;
      try {
        r = P.processPush(P.decodePush(req.headers, await readBody(req)), limits, limiter, nowMs);
      } catch (e) {
        if (e instanceof P.HttpError) return httpError(res, e.status, e.message);
        throw e;
      }
      if (r.status === 429) discarded.set("rate_limited", (discarded.get("rate_limited") || 0) + 1);
      store.append(r.accepted, nowMs + ingestDelayMs);
      if (r.status === 204) {
        res.writeHead(204);
        return res.end();
      }
      return httpError(res, r.status, r.body);
    }
    if (req.method !== "GET" && req.method !== "POST") return send(res, 405, "405 method not allowed\n");
    const params = await requestParams(req, url);
    const answer = (fn) => {
      try {
        return sendJson(res, 200, fn());
      } catch (e) {
        // pkg/util/server/error.go WriteError: text/plain, no trailing newline
        if (e.status) return send(res, e.status, e.message);
        throw e;
      }
    };
    if (p === "/loki/api/v1/query_range") return answer(() => queryRange(store, params, nowMs, limits));
    if (p === "/loki/api/v1/query") return answer(() => instantQuery(params, nowMs));
    if (p === "/loki/api/v1/labels" || p === "/loki/api/v1/label") return answer(() => labelNames(store, params, nowMs, limits));
    const lv = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(p);
    if (lv) return answer(() => labelValues(store, decodeURIComponent(lv[1]), params, nowMs, limits));
    if (p === "/loki/api/v1/series") return answer(() => series(store, params, nowMs, limits));
    return send(res, 404, "404 page not found\n");
  };
}

/**
 * `loki -health [-health.url=<url>]` (Loki 3.7 and 3.6.5+, cmd/loki/health.go; what the stack's
 * healthcheck runs for 3.7+ images, whose distroless base has no wget): GET the URL (default
 * http://localhost:3100/ready, 5 s timeout); 200 -> "Loki is healthy", exit 0; else the reason on
 * stderr, exit 1. Checked before any config is read, as Loki does.
 */
async function healthCheck(args) {
  let url = "http://localhost:3100/ready";
  for (let i = 0; i < args.length; i++) {
    const m = /^-+health\.url[=:]?(.*)$/.exec(args[i]);
    if (!m) continue;
    if (m[1] !== "") url = m[1];
    else if (i + 1 < args.length && !args[i + 1].startsWith("-")) url = args[i + 1];
    break;
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    if (res.status === 200) {
      process.stdout.write("Loki is healthy\n");
      return 0;
    }
    process.stderr.write(`Loki is unhealthy: status code ${res.status}\n`);
  } catch (e) {
    process.stderr.write(`Health check failed: Get ${JSON.stringify(url)}: ${(e && e.cause && e.cause.code) || (e && e.message)}\n`);
  }
  return 1;
}

/**
 * Whether the Loki `version` has `-health`: 3.7.0 (grafana/loki#20313) and, backported, 3.6.5 on
 * (#20590: cmd/loki/health.go is in v3.6.5's tree, not in v3.6.4's). Older versions parse their
 * flags before anything else (pkg/util/cfg ConfigFileLoader) and refuse it.
 */
function hasHealthCommand(version) {
  return versionAtLeast(version, "3.6.5");
}

/** Go's flag package on an undefined flag, as Loki before `-health` answers `loki -health`: exit 2. */
function refuseUnknownFlag(name) {
  process.stderr.write(`flag provided but not defined: -${name}\nRun with -help to get list of available parameters\n`);
  return 2;
}

function main() {
  const args = process.argv.slice(2);
  if (args.some((a) => /^-+health$/.test(a))) {
    if (!hasHealthCommand(VERSION)) process.exit(refuseUnknownFlag("health"));
    healthCheck(args).then((code) => process.exit(code));
    return;
  }
  const { flags } = parseFlags(args);
  let config;
  try {
    config = C.loadConfig(flags["config.file"]);
  } catch (e) {
    // Loki refuses a config it cannot parse and exits 1.
    log(SERVICE, "failed parsing config", { level: "error", file: flags["config.file"], error: e.message });
    process.exit(1);
  }
  if (flags["server.http-listen-port"]) config.port = Number(flags["server.http-listen-port"]);
  const dataDir = process.env.LOKI_DOUBLE_DATA_DIR || path.join(config.pathPrefix, "double");
  const store = new Store(dataDir);
  try {
    store.load();
    fs.accessSync(dataDir, fs.constants.W_OK);
  } catch (e) {
    // Real Loki exits when it cannot write its path_prefix; so does the double.
    log(SERVICE, "cannot use data dir", { level: "error", dir: dataDir, error: e.message });
    process.exit(1);
  }
  log(SERVICE, "starting Loki test double", { version: VERSION, config: flags["config.file"], dataDir, entries: store.count, minReadyDuration: config.minReadyDurationText, ingestDelayMs: INGEST_DELAY_MS, limits: config.limits });
  serve(SERVICE, config.address, config.port, createHandler({ store, config }));
}

module.exports = { healthCheck, hasHealthCommand, readConfig, parsePush, queryRange, instantQuery, labelNames, labelValues, series, bounds, Store, Readiness, createHandler };
if (require.main === module) main();
