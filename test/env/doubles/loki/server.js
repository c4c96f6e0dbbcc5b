"use strict";
// Loki TEST DOUBLE (not Grafana Loki). Answers the HTTP API shapes of Loki 3.x that the stack and
// its proofs use; see ../README.md for exactly what is and is not implemented.
//   POST /loki/api/v1/push                 JSON only (optionally gzip); protobuf answers 415
//   GET  /loki/api/v1/query_range          streams for a selector + line filters (logql.js)
//   GET  /loki/api/v1/labels, /label/<n>/values, /series
//   GET  /ready, /loki/api/v1/status/buildinfo, /metrics, /config
// Knobs (env): LOKI_DOUBLE_READY_DELAY_MS (default 2000): /ready answers 503 until then;
// LOKI_DOUBLE_INGEST_DELAY_MS (default 500): a pushed line becomes queryable only after this delay.
// State: every accepted entry is appended to <path_prefix>/double/entries.jsonl and reloaded on
// start, so a restart keeps data (as Loki's ingester WAL + chunks do).
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");
const { parseFlags, log, send, sendJson, readBody, serve } = require("../lib/common.js");
const L = require("./logql.js");

const SERVICE = "loki-double";
const VERSION = process.env.DOUBLE_VERSION || "3.0.0";
const READY_DELAY_MS = Number(process.env.LOKI_DOUBLE_READY_DELAY_MS || 2000);
const INGEST_DELAY_MS = Number(process.env.LOKI_DOUBLE_INGEST_DELAY_MS || 500);
const MAX_ENTRIES = Number(process.env.LOKI_DOUBLE_MAX_ENTRIES || 200000);
const NS_PER_MS = 1000000n;

/** Tolerant read of the few Loki config keys the double honours (no YAML library in the image). */
function readConfig(file) {
  const cfg = { port: 3100, address: "0.0.0.0", pathPrefix: "/loki", text: "" };
  if (!file) return cfg;
  const text = fs.readFileSync(file, "utf8"); // a missing config is fatal, as in Loki
  cfg.text = text;
  const val = (key) => {
    const m = new RegExp(`^\\s*${key}:\\s*["']?([^"'#\\s]+)`, "m").exec(text);
    return m ? m[1] : undefined;
  };
  if (val("http_listen_port")) cfg.port = Number(val("http_listen_port"));
  if (val("http_listen_address")) cfg.address = val("http_listen_address");
  if (val("path_prefix")) cfg.pathPrefix = val("path_prefix");
  return cfg;
}

class Store {
  constructor(dir) {
    this.dir = dir;
    this.file = path.join(dir, "entries.jsonl");
    this.streams = new Map(); // key -> {labels, entries:[{ts:BigInt, line, visibleAt}]}
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
        this.add(r.labels, BigInt(r.ts), r.line, 0);
      } catch {
        /* a torn last line after a crash: skip it */
      }
    }
  }
  add(labels, ts, line, visibleAt) {
    const key = L.labelsKey(labels);
    let s = this.streams.get(key);
    if (!s) this.streams.set(key, (s = { labels, entries: [] }));
    s.entries.push({ ts, line, visibleAt });
    this.count++;
  }
  /** Append a batch durably, then index it; bounded memory (oldest entries dropped first). */
  append(batch, visibleAt) {
    const lines = batch.map((e) => JSON.stringify({ labels: e.labels, ts: e.ts.toString(), line: e.line })).join("\n");
    if (lines) fs.appendFileSync(this.file, lines + "\n");
    for (const e of batch) this.add(e.labels, e.ts, e.line, visibleAt);
    this.linesReceived += batch.length;
    if (this.count > MAX_ENTRIES) this.trim();
  }
  trim() {
    for (const s of this.streams.values()) {
      const drop = Math.min(s.entries.length, Math.ceil(s.entries.length / 4));
      s.entries.splice(0, drop);
      this.count -= drop;
    }
  }
  /** Streams with at least one visible entry in [start, end) matching the selector. */
  select(parsed, start, end, nowMs) {
    const out = [];
    for (const s of this.streams.values()) {
      if (parsed && !L.matchesStream(parsed, s.labels)) continue;
      const entries = s.entries.filter(
        (e) => e.visibleAt <= nowMs && e.ts >= start && e.ts < end && (!parsed || L.matchesLine(parsed, e.line)),
      );
      if (entries.length) out.push({ labels: s.labels, entries });
    }
    return out;
  }
}

/** Validate a JSON push body and flatten it into entries (Loki's 400 messages, approximately). */
function parsePush(body) {
  let req;
  try {
    req = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw Object.assign(new Error(`loghttp.PushRequest: ${e.message}`), { status: 400 });
  }
  if (!req || !Array.isArray(req.streams)) throw Object.assign(new Error("loghttp.PushRequest: streams must be an array"), { status: 400 });
  const batch = [];
  for (const st of req.streams) {
    const labels = st && st.stream;
    if (!labels || typeof labels !== "object" || Object.keys(labels).length === 0) {
      throw Object.assign(new Error("error at least one label pair is required per stream"), { status: 400 });
    }
    for (const [k, v] of Object.entries(labels)) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || typeof v !== "string") {
        throw Object.assign(new Error(`error parsing labels: invalid label ${JSON.stringify(k)}`), { status: 400 });
      }
    }
    for (const v of st.values || []) {
      if (!Array.isArray(v) || v.length < 2 || typeof v[0] !== "string" || !/^\d+$/.test(v[0]) || typeof v[1] !== "string") {
        throw Object.assign(new Error("loghttp.PushRequest: values must be [\"<unix ns>\", \"<line>\"]"), { status: 400 });
      }
      batch.push({ labels: Object.assign({}, labels), ts: BigInt(v[0]), line: v[1] });
    }
  }
  return batch;
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

function nowNs() {
  return BigInt(Date.now()) * NS_PER_MS;
}

/** query_range: Loki's defaults (end now, start end-1h, limit 100, direction backward). */
function queryRange(store, params, nowMs) {
  const query = params.get("query");
  if (!query) throw bad("query parameter is required");
  let parsed;
  try {
    parsed = L.parseQuery(query);
  } catch (e) {
    throw bad(e.message);
  }
  const end = L.parseTimestamp(params.get("end"), nowNs());
  const start = L.parseTimestamp(params.get("start"), end - 3600n * 1000000000n);
  if (end < start) throw bad("end timestamp must not be before or equal to start time");
  const limit = params.has("limit") ? Number(params.get("limit")) : 100;
  if (!Number.isInteger(limit) || limit <= 0) throw bad("limit must be a positive value");
  const direction = (params.get("direction") || "backward").toLowerCase();
  if (direction !== "backward" && direction !== "forward") throw bad(`invalid direction '${params.get("direction")}'`);
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
    const key = L.labelsKey(s.labels);
    if (!byStream.has(key)) byStream.set(key, { stream: sortedLabels(s.labels), values: [] });
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

/** Time window of the label endpoints: Loki's default is the last 6 hours. */
function labelWindow(params) {
  const end = L.parseTimestamp(params.get("end"), nowNs());
  const start = L.parseTimestamp(params.get("start"), end - 6n * 3600n * 1000000000n);
  return [start, end];
}

function optionalSelector(params, key) {
  const q = params.get(key);
  if (!q) return null;
  try {
    return L.parseQuery(q);
  } catch (e) {
    throw bad(e.message);
  }
}

function main() {
  const { flags } = parseFlags(process.argv.slice(2));
  const cfg = readConfig(flags["config.file"]);
  if (flags["server.http-listen-port"]) cfg.port = Number(flags["server.http-listen-port"]);
  const dataDir = process.env.LOKI_DOUBLE_DATA_DIR || path.join(cfg.pathPrefix, "double");
  const store = new Store(dataDir);
  try {
    store.load();
    fs.accessSync(dataDir, fs.constants.W_OK);
  } catch (e) {
    // Real Loki exits when it cannot write its path_prefix; so does the double.
    log(SERVICE, "cannot use data dir", { level: "error", dir: dataDir, error: e.message });
    process.exit(1);
  }
  const startedAt = Date.now();
  log(SERVICE, "starting Loki test double", { version: VERSION, config: flags["config.file"], dataDir, entries: store.count, readyDelayMs: READY_DELAY_MS, ingestDelayMs: INGEST_DELAY_MS });

  serve(SERVICE, cfg.address, cfg.port, async (req, res, url) => {
    const p = url.pathname;
    const nowMs = Date.now();
    if (p === "/ready") {
      const left = READY_DELAY_MS - (nowMs - startedAt);
      if (left > 0) return send(res, 503, `Ingester not ready: waiting for ${Math.ceil(left / 1000)}s after being ready\n`);
      return send(res, 200, "ready\n");
    }
    if (p === "/loki/api/v1/push" && req.method === "POST") {
      const ctype = String(req.headers["content-type"] || "");
      if (!ctype.startsWith("application/json")) {
        return send(res, 415, `the Loki test double accepts only application/json pushes (got ${ctype || "none"})\n`);
      }
      let body = await readBody(req);
      if (String(req.headers["content-encoding"] || "").toLowerCase() === "gzip") body = zlib.gunzipSync(body);
      const batch = parsePush(body);
      store.append(batch, nowMs + INGEST_DELAY_MS);
      res.writeHead(204);
      return res.end();
    }
    if (req.method !== "GET" && req.method !== "POST") return send(res, 405, "method not allowed\n");
    if (p === "/loki/api/v1/query_range") return sendJson(res, 200, queryRange(store, url.searchParams, nowMs));
    if (p === "/loki/api/v1/labels" || p === "/loki/api/v1/label") {
      const [start, end] = labelWindow(url.searchParams);
      const names = new Set();
      for (const s of store.select(optionalSelector(url.searchParams, "query"), start, end, nowMs)) Object.keys(s.labels).forEach((n) => names.add(n));
      return sendJson(res, 200, { status: "success", data: [...names].sort() });
    }
    const lv = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(p);
    if (lv) {
      const name = decodeURIComponent(lv[1]);
      const [start, end] = labelWindow(url.searchParams);
      const values = new Set();
      for (const s of store.select(optionalSelector(url.searchParams, "query"), start, end, nowMs)) {
        if (s.labels[name] !== undefined) values.add(s.labels[name]);
      }
      return sendJson(res, 200, { status: "success", data: [...values].sort() });
    }
    if (p === "/loki/api/v1/series") {
      const [start, end] = labelWindow(url.searchParams);
      const matches = url.searchParams.getAll("match[]").concat(url.searchParams.getAll("match"));
      if (matches.length === 0) throw bad("at least one match[] argument is required");
      const seen = new Map();
      for (const m of matches) {
        let parsed;
        try {
          parsed = L.parseQuery(m);
        } catch (e) {
          throw bad(e.message);
        }
        for (const s of store.select({ matchers: parsed.matchers, filters: [] }, start, end, nowMs)) seen.set(L.labelsKey(s.labels), sortedLabels(s.labels));
      }
      return sendJson(res, 200, { status: "success", data: [...seen.values()] });
    }
    if (p === "/loki/api/v1/status/buildinfo") {
      return sendJson(res, 200, { version: VERSION, revision: "double", branch: "testenv", buildUser: "logging-testenv", buildDate: "1970-01-01T00:00:00Z", goVersion: "none (test double)" });
    }
    if (p === "/config") return send(res, 200, cfg.text, "text/plain; charset=utf-8");
    if (p === "/metrics") {
      return send(
        res,
        200,
        [
          "# HELP loki_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which loki was built, and the goos and goarch for the build.",
          "# TYPE loki_build_info gauge",
          `loki_build_info{branch="testenv",goarch="amd64",goos="linux",goversion="none",revision="double",tags="double",version="${VERSION}"} 1`,
          "# HELP loki_distributor_lines_received_total The total number of lines received per tenant",
          "# TYPE loki_distributor_lines_received_total counter",
          `loki_distributor_lines_received_total{tenant="fake"} ${store.linesReceived}`,
          "# HELP loki_ingester_memory_streams The total number of streams in memory per tenant.",
          "# TYPE loki_ingester_memory_streams gauge",
          `loki_ingester_memory_streams{tenant="fake"} ${store.streams.size}`,
          "",
        ].join("\n"),
        "text/plain; version=0.0.4; charset=utf-8",
      );
    }
    return send(res, 404, "404 page not found\n");
  });
}

module.exports = { readConfig, parsePush, queryRange, Store };
if (require.main === module) main();
