"use strict";
// Grafana Alloy TEST DOUBLE (not Alloy). `alloy run <config> --server.http.listen-addr=H:P
// --storage.path=DIR`, like the real CLI. It parses the config structurally (config.js), tails the
// files matched by local.file_match path globs (positions kept under --storage.path, so a restart
// does not resend), applies the loki.process stage.replace redactions (replace.js) and static
// labels, and hands every entry to every loki.write (lokiwrite.js: Alloy's batching, snappy
// protobuf push, auth, TLS and retries). Docker: discovery.docker -> discovery.relabel rules ->
// loki.source.docker, read through the mounted socket (docker.js). Journal: loki.source.journal
// over a plain stand-in of the journal (journal.js). Metrics: prometheus.scrape ->
// prometheus.remote_write (metrics.js, scrape.js, remotewrite.js). Not implemented: component
// wiring of the log sources (every source goes through every stage to every writer).
//   GET /-/ready, /-/healthy (from the components' health; Alloy 1.6+), /metrics; POST|GET /-/reload;
//   GET /api/v0/web/components[/{id}]: Alloy's component API (components.js);
//   GET /-/double/status (double only: targets, files, offsets, writers, scrapes, last error).
const fs = require("node:fs");
const path = require("node:path");
const { parseFlags, log, send, sendJson, splitHostPort, serve } = require("../lib/common.js");
const C = require("./config.js");
const { globToRegExp, expandGlob } = require("./glob.js");
const D = require("./docker.js");
const J = require("./journal.js");
const K = require("./components.js");
const LW = require("./lokiwrite.js");
const M = require("./metrics.js");
const X = require("./exposition.js");
const { alloyFeatures } = require("./versions.js");

const SERVICE = "alloy-double";
const VERSION = process.env.DOUBLE_VERSION || "v1.19.2";
// Alloy's loki.source.file polls a file every 250ms (file_watch min/max_poll_frequency defaults).
const POLL_MS = Number(process.env.ALLOY_DOUBLE_POLL_MS || 250);
const MAX_READ = 1024 * 1024;

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };

function loadConfig(file) {
  const root = C.parse(fs.readFileSync(file, "utf8"));
  const logging = root.blocks.find((b) => b.name === "logging");
  const level = logging && typeof logging.attrs.level === "string" && logging.attrs.level in LEVELS ? logging.attrs.level : "info";
  const lokiWrites = root.blocks.filter((b) => b.name === "loki.write").map((b) => ({ id: b.label !== undefined ? `loki.write.${b.label}` : "loki.write", key: JSON.stringify(b), args: LW.lokiWriteArgs(b) }));
  return Object.assign(C.extract(root), { docker: D.dockerPipeline(root), journal: J.journalPipeline(root), metrics: M.metricsComponents(root), lokiWrites, level, root });
}

class Tailer {
  /** `opts.version`: the Alloy version imitated (default DOUBLE_VERSION), which decides versions.js' features. */
  constructor(configFile, storageDir, opts = {}) {
    this.configFile = configFile;
    this.version = opts.version || VERSION;
    this.features = alloyFeatures(this.version);
    this.posFile = path.join(storageDir, "double", "positions.json");
    fs.mkdirSync(path.dirname(this.posFile), { recursive: true });
    this.positions = {};
    try {
      this.positions = JSON.parse(fs.readFileSync(this.posFile, "utf8"));
    } catch {
      this.positions = {};
    }
    this.cfg = loadConfig(configFile);
    this.stats = { entriesHanded: 0, linesRead: 0, failures: 0, lastError: null, waitsForWriters: 0 };
    this.lastTs = 0n;
    this.backoffMs = 0;
    this.files = [];
    // What the component API reports: when each component started, and what the sources read.
    this.loadedAt = Date.now();
    this.componentStart = {};
    this.noteComponents();
    this.readOffsets = {}; // file -> byte offset read
    this.dockerRead = {}; // docker:<id> -> {since} of the newest line read
    this.dockerState = null;
    this.journalError = null;
    this.fileLabels = {};
    this.running = false;
    this.writers = new Map(); // loki.write id -> {key, writer}
    this.metrics = new M.MetricsRuntime({ version: this.version, log: (level, msg, fields) => this.log(level, msg, fields), evaluate: (v) => K.evaluateValue(this.cfg.root, this.componentState(), v) });
    this.applyWriters();
    this.metrics.apply(this.cfg.metrics);
  }
  /** Log as Alloy's logging block says (its level; the double writes JSON lines). */
  log(level, msg, fields) {
    if (LEVELS[level] >= LEVELS[this.cfg.level]) log(SERVICE, msg, Object.assign({ level }, fields));
  }
  /** One writer per loki.write; an unchanged block keeps its writer (and its queue) across a reload. */
  applyWriters() {
    const keep = new Set();
    for (const w of this.cfg.lokiWrites) {
      keep.add(w.id);
      const have = this.writers.get(w.id);
      if (have && have.key === w.key) continue;
      if (have) this.retire(have.writer);
      const writer = new LW.LokiWrite(w.id, w.args, { version: this.version, log: (level, msg, fields) => this.log(level, msg, fields) });
      if (this.running) writer.start();
      this.writers.set(w.id, { key: w.key, writer });
    }
    for (const [id, have] of this.writers) if (!keep.has(id)) {
      this.retire(have.writer);
      this.writers.delete(id);
    }
  }
  /** A replaced writer sends what it holds (bounded by its queue's drain timeout, 15s), then stops. */
  retire(writer) {
    const drain = Promise.race([writer.flush(), new Promise((r) => setTimeout(r, 15000).unref())]);
    drain.finally(() => writer.stop());
  }
  noteComponents() {
    for (const c of K.componentsOf(this.cfg.root)) if (this.componentStart[c.id] === undefined) this.componentStart[c.id] = this.loadedAt;
  }
  reload() {
    this.cfg = loadConfig(this.configFile);
    this.loadedAt = Date.now();
    this.noteComponents();
    this.applyWriters();
    this.metrics.apply(this.cfg.metrics);
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
    const metrics = this.metrics ? this.metrics.status() : undefined;
    return { now: Date.now(), loadedAt: this.loadedAt, startedAt: this.componentStart, files, docker, journal: this.cfg.journal ? { error: this.journalError } : undefined, metrics, features: this.features };
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
  /** Run one entry through the stages and hand it to every loki.write (each merges its external labels). */
  handEntry(e) {
    const out = C.processLine(e.line, e.labels, this.cfg.stages, {});
    for (const { writer } of this.writers.values()) writer.append({ labels: out.labels, ts: e.ts, line: out.line });
    this.stats.entriesHanded++;
  }
  /**
   * One poll: read new complete lines of every matched file, the Docker logs and the journal, hand
   * them to the writers and move the read positions on (as Alloy's sources do once an entry is
   * handed on; a batch the writer drops after its retries is lost, as in Alloy without its WAL).
   * While a writer's queue is full the sources do not read (Alloy's block_on_overflow).
   */
  async tick() {
    if ([...this.writers.values()].some(({ writer }) => writer.full())) {
      this.stats.waitsForWriters++;
      return;
    }
    const entries = [];
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
          entries.push({ line: raw.replace(/\r$/, ""), labels: Object.assign({}, t.labels, { filename: file }), ts: this.nextTs() });
          this.stats.linesRead++;
        }
      }
    }
    this.files = [...new Set(files)];
    this.fileLabels = fileLabels;
    // Alloy's sources run independently: the files' lines go on without waiting for the Docker API.
    for (const e of entries.splice(0)) this.handEntry(e);
    if (this.cfg.docker) {
      try {
        const d = await D.readDockerLogs(this.cfg.docker, this.positions);
        Object.assign(pending, d.positions);
        Object.assign(this.dockerRead, d.positions); // Alloy's read position moves when a line is read
        this.dockerState = { containers: d.containers, tails: d.tails };
        entries.push(...d.entries);
        this.stats.dockerLines = (this.stats.dockerLines || 0) + d.entries.length;
      } catch (e) {
        this.stats.lastDockerError = e.message; // files still ship when the Docker API is unreachable
      }
    }
    if (this.cfg.journal) {
      const j = J.readJournal(this.cfg.journal, this.positions, Date.now());
      this.journalError = j.error || null;
      Object.assign(pending, j.positions);
      entries.push(...j.entries);
      this.stats.journalLines = (this.stats.journalLines || 0) + j.entries.length;
    }
    for (const e of entries) this.handEntry(e);
    if (Object.keys(pending).length) {
      Object.assign(this.positions, pending);
      this.savePositions();
    }
  }
  /** Send everything the writers hold now and wait for it (tests; Alloy sends on batch_wait). */
  async flush() {
    await Promise.all([...[...this.writers.values()].map(({ writer }) => writer.flush()), this.metrics.flush()]);
  }
  /** Stop polling, scraping and sending (what the writers hold is not sent). */
  stop() {
    this.stopped = true;
    clearTimeout(this.nextLoop);
    for (const { writer } of this.writers.values()) writer.stop();
    this.metrics.stop();
  }
  loop() {
    if (this.stopped) return;
    if (!this.running) {
      this.running = true;
      for (const { writer } of this.writers.values()) writer.start();
      this.metrics.start();
    }
    const started = Date.now();
    this.tick()
      .then(() => {
        this.backoffMs = 0;
        if (this.metrics.running) this.metrics.sync();
      })
      .catch((e) => {
        this.stats.failures++;
        this.stats.lastError = e.message;
        this.backoffMs = Math.min(5000, this.backoffMs ? this.backoffMs * 2 : POLL_MS);
        this.log("warn", "reading the sources failed, will retry", { error: e.message, backoffMs: this.backoffMs });
      })
      .finally(() => {
        // A poll every POLL_MS from the start of the last one (Alloy's poll frequency), not after it.
        const spent = Date.now() - started;
        if (!this.stopped) this.nextLoop = setTimeout(() => this.loop(), Math.max(0, POLL_MS - spent) + this.backoffMs);
      });
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
  log(SERVICE, "starting Alloy test double", { version: VERSION, config: configFile, storage, targets: tailer.cfg.targets.length, stages: tailer.cfg.stages.length, writes: tailer.cfg.writes.map((w) => w.url), scrapes: tailer.cfg.metrics.scrapes.map((c) => c.id), remoteWrites: tailer.cfg.metrics.writes.map((c) => c.id) });
  tailer.loop();
  serve(SERVICE, host, port, route(tailer));
}

const API = "/api/v0/web";

/** The double's HTTP routes (Alloy's paths and answers; /-/double/status is the double's own). */
function route(tailer) {
  return async (req, res, url) => {
    const p = url.pathname;
    if (p === "/-/ready") return send(res, 200, "Alloy is ready.\n");
    // /-/healthy arrived in Alloy 1.6: before, the router has no such route.
    if (p === "/-/healthy" && !tailer.features.healthyEndpoint) return send(res, 404, "404 page not found\n");
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
    if (p === "/-/double/status") return sendJson(res, 200, X.doubleStatus(tailer.version, tailer));
    if (p === "/metrics") return send(res, 200, X.metricsText(tailer.version, tailer), "text/plain; version=0.0.4; charset=utf-8");
    return send(res, 404, "404 page not found\n");
  };
}

module.exports = { Tailer, loadConfig, route };
if (require.main === module) main();
