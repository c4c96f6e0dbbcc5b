"use strict";
// Grafana Alloy TEST DOUBLE (not Alloy). `alloy run <config> --server.http.listen-addr=H:P
// --storage.path=DIR`, like the real CLI. It parses the config structurally (config.js), tails the
// files matched by local.file_match path globs (positions kept under --storage.path, so a restart
// does not resend), applies the loki.process stage.replace redactions (replace.js) and static
// labels, and pushes JSON to every loki.write endpoint with labels filename + the target's labels.
// Docker: discovery.docker -> discovery.relabel rules -> loki.source.docker, read through the
// mounted socket (docker.js). Journal: loki.source.journal over a plain stand-in of the journal
// (journal.js). Not implemented: component wiring (every source goes through every stage to every
// writer), protobuf pushes.
//   GET /-/ready, /-/healthy (from the components' health), /metrics; POST|GET /-/reload;
//   GET /api/v0/web/components[/{id}]: Alloy's component API (components.js);
//   GET /-/double/status (double only: targets, files, offsets, pushes, last error).
const fs = require("node:fs");
const path = require("node:path");
const http = require("node:http");
const { parseFlags, log, send, sendJson, splitHostPort, serve } = require("../lib/common.js");
const C = require("./config.js");
const { globToRegExp, expandGlob } = require("./glob.js");
const D = require("./docker.js");
const J = require("./journal.js");
const K = require("./components.js");

const SERVICE = "alloy-double";
const VERSION = process.env.DOUBLE_VERSION || "v1.19.2";
const POLL_MS = Number(process.env.ALLOY_DOUBLE_POLL_MS || 500);
const MAX_READ = 1024 * 1024;

function loadConfig(file) {
  const root = C.parse(fs.readFileSync(file, "utf8"));
  return Object.assign(C.extract(root), { docker: D.dockerPipeline(root), journal: J.journalPipeline(root), root });
}

function postJson(url, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(
      { host: u.hostname, port: u.port || 80, path: u.pathname + u.search, method: "POST", timeout: timeoutMs, headers: { "Content-Type": "application/json", "Content-Length": data.length, "User-Agent": `Alloy-double/${VERSION}` } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.statusCode);
          else reject(new Error(`server returned HTTP status ${res.statusCode}: ${Buffer.concat(chunks).toString().trim()}`));
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`push to ${url} timed out after ${timeoutMs}ms`)));
    req.on("error", reject);
    req.end(data);
  });
}

class Tailer {
  constructor(configFile, storageDir) {
    this.configFile = configFile;
    this.posFile = path.join(storageDir, "double", "positions.json");
    fs.mkdirSync(path.dirname(this.posFile), { recursive: true });
    this.positions = {};
    try {
      this.positions = JSON.parse(fs.readFileSync(this.posFile, "utf8"));
    } catch {
      this.positions = {};
    }
    this.cfg = loadConfig(configFile);
    this.stats = { pushes: 0, entriesSent: 0, linesRead: 0, failures: 0, lastError: null, lastPushAt: null };
    this.lastTs = 0n;
    this.backoffMs = 0;
    this.files = [];
    // What the component API reports: when each component started, and what the sources read.
    this.loadedAt = Date.now();
    this.componentStart = {};
    this.noteComponents();
    this.readOffsets = {}; // file -> byte offset read (committed or not)
    this.dockerRead = {}; // docker:<id> -> {since} of the newest line read
    this.dockerState = null;
    this.journalError = null;
    this.fileLabels = {};
  }
  noteComponents() {
    for (const c of K.componentsOf(this.cfg.root)) if (this.componentStart[c.id] === undefined) this.componentStart[c.id] = this.loadedAt;
  }
  reload() {
    this.cfg = loadConfig(this.configFile);
    this.loadedAt = Date.now();
    this.noteComponents();
  }
  /** The runtime facts the component API answers from (components.js). */
  componentState() {
    const files = this.files.map((f) => ({ path: f, labels: this.fileLabels[f] || { filename: f }, offset: this.readOffsets[f] ?? (this.positions[f] ? this.positions[f].offset : 0) }));
    const docker = this.dockerState && {
      containers: this.dockerState.containers,
      tails: this.dockerState.tails.map((t) => {
        const p = this.dockerRead[`docker:${t.id}`] || this.positions[`docker:${t.id}`];
        return Object.assign({}, t, { readOffset: p && p.since ? p.since.split(".")[0] : "" });
      }),
    };
    return { now: Date.now(), loadedAt: this.loadedAt, startedAt: this.componentStart, files, docker, journal: this.cfg.journal ? { error: this.journalError } : undefined };
  }
  savePositions() {
    const tmp = this.posFile + ".tmp";
    fs.writeFileSync(tmp, JSON.stringify(this.positions));
    fs.renameSync(tmp, this.posFile);
  }
  nextTs() {
    let ts = BigInt(Date.now()) * 1000000n;
    if (ts <= this.lastTs) ts = this.lastTs + 1n;
    this.lastTs = ts;
    return ts;
  }
  /** Run one entry through the stages and add it to its stream (one stream per label set). */
  addEntry(streams, e) {
    const out = C.processLine(e.line, e.labels, this.cfg.stages, this.cfg.externalLabels);
    const key = JSON.stringify(Object.keys(out.labels).sort().map((k) => [k, out.labels[k]]));
    if (!streams.has(key)) streams.set(key, { stream: out.labels, values: [] });
    streams.get(key).values.push([e.ts.toString(), out.line]);
  }
  /** One poll: read new complete lines of every matched file, push, then commit positions. */
  async tick() {
    const streams = new Map();
    const pending = {};
    const files = [];
    const fileLabels = {};
    for (const t of this.cfg.targets) {
      const exclude = t.exclude ? globToRegExp(t.exclude) : null;
      for (const file of expandGlob(t.path)) {
        if (exclude && exclude.test(file)) continue;
        files.push(file);
        fileLabels[file] = Object.assign({}, t.labels, { filename: file });
        let st;
        try {
          st = fs.statSync(file);
        } catch {
          continue;
        }
        const pos = this.positions[file] || { offset: 0, ino: st.ino };
        let offset = pos.ino === st.ino && pos.offset <= st.size ? pos.offset : 0; // rotated or truncated
        if (st.size <= offset) continue;
        const len = Math.min(st.size - offset, MAX_READ);
        const buf = Buffer.alloc(len);
        const fd = fs.openSync(file, "r");
        try {
          fs.readSync(fd, buf, 0, len, offset);
        } finally {
          fs.closeSync(fd);
        }
        const lastNl = buf.lastIndexOf(0x0a);
        if (lastNl < 0) continue; // only complete lines are shipped
        const lines = buf.subarray(0, lastNl).toString("utf8").split("\n");
        pending[file] = { offset: offset + lastNl + 1, ino: st.ino };
        this.readOffsets[file] = offset + lastNl + 1;
        for (const raw of lines) {
          this.addEntry(streams, { line: raw.replace(/\r$/, ""), labels: Object.assign({}, t.labels, { filename: file }), ts: this.nextTs() });
          this.stats.linesRead++;
        }
      }
    }
    this.files = [...new Set(files)];
    this.fileLabels = fileLabels;
    if (this.cfg.docker) {
      try {
        const d = await D.readDockerLogs(this.cfg.docker, this.positions);
        Object.assign(pending, d.positions);
        Object.assign(this.dockerRead, d.positions); // Alloy's read position moves when a line is read
        this.dockerState = { containers: d.containers, tails: d.tails };
        for (const e of d.entries) this.addEntry(streams, e);
        this.stats.dockerLines = (this.stats.dockerLines || 0) + d.entries.length;
      } catch (e) {
        this.stats.lastDockerError = e.message; // files still ship when the Docker API is unreachable
      }
    }
    if (this.cfg.journal) {
      const j = J.readJournal(this.cfg.journal, this.positions, Date.now());
      this.journalError = j.error || null;
      Object.assign(pending, j.positions);
      for (const e of j.entries) this.addEntry(streams, e);
      this.stats.journalLines = (this.stats.journalLines || 0) + j.entries.length;
    }
    if (streams.size === 0) {
      if (Object.keys(pending).length) {
        Object.assign(this.positions, pending);
        this.savePositions();
      }
      return;
    }
    const body = { streams: [...streams.values()] };
    const entries = body.streams.reduce((n, s) => n + s.values.length, 0);
    for (const w of this.cfg.writes) await postJson(w.url, body, 5000);
    Object.assign(this.positions, pending);
    this.savePositions();
    this.stats.pushes++;
    this.stats.entriesSent += entries;
    this.stats.lastPushAt = new Date().toISOString();
  }
  loop() {
    this.tick()
      .then(() => {
        this.backoffMs = 0;
      })
      .catch((e) => {
        this.stats.failures++;
        this.stats.lastError = e.message;
        this.backoffMs = Math.min(5000, this.backoffMs ? this.backoffMs * 2 : POLL_MS);
        log(SERVICE, "push failed, will retry", { level: "warn", error: e.message, backoffMs: this.backoffMs });
      })
      .finally(() => setTimeout(() => this.loop(), POLL_MS + this.backoffMs));
  }
}

function main() {
  const { flags, positionals } = parseFlags(process.argv.slice(2));
  if (positionals[0] !== "run" || !positionals[1]) {
    process.stderr.write("usage: alloy run <config> [--server.http.listen-addr=HOST:PORT] [--storage.path=DIR]\n");
    process.exit(2);
  }
  const configFile = positionals[1];
  const [host, port] = splitHostPort(flags["server.http.listen-addr"], "127.0.0.1", 12345);
  const storage = flags["storage.path"] || "data-alloy";
  let tailer;
  try {
    tailer = new Tailer(configFile, storage);
  } catch (e) {
    // Real Alloy refuses to start on a config it cannot load.
    log(SERVICE, "failed to load config", { level: "error", config: configFile, error: e.message });
    process.exit(1);
  }
  log(SERVICE, "starting Alloy test double", { version: VERSION, config: configFile, storage, targets: tailer.cfg.targets.length, stages: tailer.cfg.stages.length, writes: tailer.cfg.writes.map((w) => w.url) });
  tailer.loop();
  serve(SERVICE, host, port, route(tailer));
}

const API = "/api/v0/web";

/** The double's HTTP routes (Alloy's paths and answers; /-/double/status is the double's own). */
function route(tailer) {
  return async (req, res, url) => {
    const p = url.pathname;
    if (p === "/-/ready") return send(res, 200, "Alloy is ready.\n");
    if (p === "/-/healthy") {
      // As Alloy: 500 naming every unhealthy component, else 200.
      const bad = K.unhealthyComponents(tailer.cfg.root, tailer.componentState());
      return bad.length ? send(res, 500, `unhealthy components: ${bad.join(", ")}\n`) : send(res, 200, "All Alloy components are healthy.\n");
    }
    if (p === "/-/reload") {
      if (req.method !== "GET" && req.method !== "POST") return send(res, 405, "");
      try {
        tailer.reload();
      } catch (e) {
        return send(res, 400, `error during the initial load: ${e.message}\n`);
      }
      return send(res, 200, "config reloaded\n");
    }
    // Alloy writes the JSON without a Content-Type; Go's sniffing then says text/plain.
    if (p === `${API}/components`) return send(res, 200, JSON.stringify(K.listComponents(tailer.cfg.root, tailer.componentState())), "text/plain; charset=utf-8");
    if (p.startsWith(`${API}/components/`) && p.length > `${API}/components/`.length) {
      const info = K.getComponent(tailer.cfg.root, tailer.componentState(), decodeURIComponent(p.slice(`${API}/components/`.length)));
      return info ? send(res, 200, JSON.stringify(info), "text/plain; charset=utf-8") : send(res, 404, "404 page not found\n");
    }
    if (/^\/api\/v0\/web\/modules\/.+\/components$/.test(p)) return send(res, 500, "module not found\n");
    if (p === "/-/double/status") {
      const { root: _root, stages, ...config } = tailer.cfg;
      const shown = stages.map(({ stage: _s, ...rest }) => rest);
      return sendJson(res, 200, { double: true, version: VERSION, config: Object.assign(config, { stages: shown }), files: tailer.files, positions: tailer.positions, stats: tailer.stats });
    }
    if (p === "/metrics") {
      return send(
        res,
        200,
        [
          "# HELP alloy_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.",
          "# TYPE alloy_build_info gauge",
          `alloy_build_info{branch="testenv",goarch="amd64",goos="linux",goversion="none",revision="double",tags="double",version="${VERSION}"} 1`,
          "# HELP loki_write_sent_entries_total Number of log entries sent to the ingester.",
          "# TYPE loki_write_sent_entries_total counter",
          `loki_write_sent_entries_total ${tailer.stats.entriesSent}`,
          "# HELP loki_source_file_read_lines_total Number of lines read.",
          "# TYPE loki_source_file_read_lines_total counter",
          `loki_source_file_read_lines_total ${tailer.stats.linesRead}`,
          "",
        ].join("\n"),
        "text/plain; version=0.0.4; charset=utf-8",
      );
    }
    return send(res, 404, "404 page not found\n");
  };
}

module.exports = { Tailer, loadConfig, route };
if (require.main === module) main();
