"use strict";
// loki.write as Alloy 1.19 runs it (grafana/alloy internal/component/loki/write/types.go and
// internal/component/common/loki/client/{batch,shards,encode}.go):
//   arguments  external_labels (merged under each entry's labels: the entry's own value wins),
//              max_streams; per `endpoint`: url, name, batch_wait (1s), batch_size (1MiB),
//              remote_timeout (10s), headers, min_backoff_period (500ms), max_backoff_period
//              (5m), max_backoff_retries (10), tenant_id, retry_on_http_429 (true), the HTTP
//              client settings (httpclient.js), queue_config {capacity 10MiB, min_shards 1,
//              drain_timeout 15s, block_on_overflow true}.
//   batching   one batch per endpoint (one shard): entries grouped by their label string
//              (`{a="b", c="d"}`, names sorted, `__` labels left out, values Go-quoted); a batch
//              is queued when the next entry would take it past batch_size (its first entry is
//              always taken) or when it is older than batch_wait (checked every batch_wait/10, at
//              least 10ms); the queue holds capacity/batch_size batches, then append reports full
//              (back-pressure: the sources stop reading). Entry size = line bytes + structured
//              metadata's protobuf size.
//   sending    POST url, snappy(logproto.PushRequest) with User-Agent `Alloy/<version> (<os>;
//              <deploy mode>)`, Content-Type application/x-protobuf, Content-Encoding snappy,
//              X-Scope-OrgID = tenant_id when set, then `headers` not already set. 2xx: sent.
//              Else `server returned HTTP status 401 Unauthorized (401): <first body line>`.
//              Retried with dskit's backoff on transport errors, 5xx and 429 (429 dropped at once
//              when retry_on_http_429 = false); any other status drops the batch at once.
//              Dropping logs `final error sending batch, no retries left, dropping data` (error).
//   health     healthy whatever the sends do (Alloy reports loki.write unhealthy only for an
//              invalid configuration); errors show in the logs, /metrics and /-/double/status.
const os = require("node:os");
const { goQuote } = require("../loki/push.js");
const H = require("./httpclient.js");
const W = require("./protowire.js");
const { durationMs, bytesArg, DskitBackoff } = require("./backoff.js");

const ENDPOINT_ATTRS = ["name", "url", "batch_wait", "batch_size", "remote_timeout", "headers", "min_backoff_period", "max_backoff_period", "max_backoff_retries", "tenant_id", "retry_on_http_429", ...H.HTTP_CLIENT_ATTRS];
const QUEUE_ATTRS = ["capacity", "min_shards", "drain_timeout", "block_on_overflow"];

/** Alloy's User-Agent (internal/useragent): `Alloy/<version> (<goos>; <deploy mode>)`. */
function userAgent(version, env = process.env) {
  const mode = ["operator", "helm", "docker", "deb", "rpm", "brew"].includes(env.ALLOY_DEPLOY_MODE) ? env.ALLOY_DEPLOY_MODE : "binary";
  return `Alloy/${version} (${os.platform()}; ${mode})`;
}

/** One loki.write component's arguments: {externalLabels, maxStreams, endpoints: [options]}. */
function lokiWriteArgs(block) {
  const where = block.label !== undefined ? `loki.write.${block.label}` : "loki.write";
  const top = H.attrsOf(block, ["external_labels", "max_streams"], where);
  const externalLabels = {};
  for (const [k, v] of Object.entries(top.external_labels || {})) externalLabels[k] = String(v);
  const endpoints = [];
  for (const b of block.blocks) {
    if (b.name === "wal") throw new H.ConfigError(`${where}: the wal block is not implemented by the Alloy test double`);
    if (b.name !== "endpoint") throw new H.ConfigError(`${where}: unrecognized block name ${JSON.stringify(b.name)}`);
    const w = `${where}.endpoint`;
    const a = H.attrsOf(b, ENDPOINT_ATTRS, w);
    if (typeof a.url !== "string") throw new H.ConfigError(`${w}: missing required attribute "url"`);
    try {
      new URL(a.url);
    } catch {
      throw new H.ConfigError(`failed to parse remote url ${JSON.stringify(a.url)}`);
    }
    const qb = b.blocks.find((x) => x.name === "queue_config");
    const q = qb ? H.attrsOf(qb, QUEUE_ATTRS, `${w}.queue_config`) : {};
    const batchSize = bytesArg(a.batch_size, 1024 * 1024, `${w}.batch_size`);
    const capacity = bytesArg(q.capacity, 10 * 1024 * 1024, `${w}.queue_config.capacity`);
    endpoints.push({
      name: a.name ?? "",
      url: a.url,
      batchWaitMs: durationMs(a.batch_wait, 1000, `${w}.batch_wait`),
      batchSize,
      timeoutMs: durationMs(a.remote_timeout, 10000, `${w}.remote_timeout`),
      headers: Object.fromEntries(Object.entries(a.headers || {}).map(([k, v]) => [k, String(v)])),
      minBackoffMs: durationMs(a.min_backoff_period, 500, `${w}.min_backoff_period`),
      maxBackoffMs: durationMs(a.max_backoff_period, 300000, `${w}.max_backoff_period`),
      maxRetries: a.max_backoff_retries ?? 10,
      tenantId: a.tenant_id ?? "",
      retryOn429: a.retry_on_http_429 ?? true,
      queueBatches: Math.max(Math.floor(capacity / Math.max(batchSize, 1)), 1),
      client: H.httpClientOf(b, a, w),
    });
  }
  return { externalLabels, maxStreams: top.max_streams ?? 0, endpoints };
}

/** Alloy's labelsMapToString: `{a="1", b="2"}`, names sorted, `__` labels left out. */
function labelsString(labels) {
  const names = Object.keys(labels).filter((n) => !n.startsWith("__")).sort();
  return `{${names.map((n) => `${n}=${goQuote(labels[n])}`).join(", ")}}`;
}

const varintLen = (n) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4);
const fieldSize = (s) => {
  const n = Buffer.byteLength(s);
  return n ? 1 + varintLen(n) + n : 0;
};
/** loki.Entry.Size(): the line's bytes plus each structured metadata pair's protobuf size. */
function entrySize(e) {
  let size = Buffer.byteLength(e.line);
  for (const [k, v] of Object.entries(e.structuredMetadata || {})) size += fieldSize(k) + fieldSize(v);
  return size;
}

class Batch {
  constructor(now) {
    this.streams = new Map();
    this.size = 0;
    this.entries = 0;
    this.createdAt = now;
  }
  /** "ok", "full" (batch_size reached) or "streams" (max_streams reached). */
  add(e, maxSize, maxStreams) {
    const key = labelsString(e.labels);
    const size = entrySize(e);
    const stream = this.streams.get(key);
    if (!stream) {
      if (maxStreams > 0 && this.streams.size >= maxStreams) return "streams";
      if (this.streams.size !== 0 && this.size + size > maxSize) return "full";
      this.streams.set(key, { labels: key, entries: [] });
    } else if (this.size + size > maxSize) return "full";
    this.size += size;
    this.entries++;
    this.streams.get(key).entries.push({ ts: e.ts, line: e.line, structuredMetadata: e.structuredMetadata });
    return "ok";
  }
}

class LokiEndpoint {
  /**
   * opts: {component (id), version, log(level, msg, fields), maxStreams, now(), random(), sleep(ms)}.
   */
  constructor(options, opts) {
    this.o = options;
    this.component = opts.component;
    this.maxStreams = opts.maxStreams || 0;
    this.log = opts.log || (() => {});
    this.now = opts.now || Date.now;
    this.random = opts.random || Math.random;
    this.sleep = opts.sleep || ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
    this.userAgent = userAgent(opts.version || "v1.19.2");
    this.host = new URL(options.url).host;
    this.batch = null;
    this.queue = [];
    this.sending = null;
    this.stopped = false;
    this.stats = { sentEntries: 0, sentBytes: 0, droppedEntries: 0, retries: 0, requests: 0, lastError: null, lastStatus: null };
    this.timer = null;
  }
  /** Start the batch_wait check (Alloy: every batch_wait/10, at least 10ms). */
  start() {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), Math.max(this.o.batchWaitMs / 10, 10));
    this.timer.unref?.();
  }
  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = null;
  }
  /** Whether the queue is full (the sources wait: block_on_overflow). */
  full() {
    return this.queue.length >= this.o.queueBatches;
  }
  /** Add one entry; false when the queue is full and it was not taken. */
  append(e) {
    if (!this.batch) this.batch = new Batch(this.now());
    const r = this.batch.add(e, this.o.batchSize, this.maxStreams);
    if (r === "streams") {
      this.log("error", "batch add err", { component_id: this.component, tenant: this.o.tenantId, error: `streams limit exceeded, streams: ${this.batch.streams.size} exceeds limit: ${this.maxStreams}, stream: '${labelsString(e.labels)}'` });
      this.stats.droppedEntries++;
      return true;
    }
    if (r === "full") {
      if (this.full()) return false;
      this.queue.push(this.batch);
      this.batch = new Batch(this.now());
      this.batch.add(e, this.o.batchSize, this.maxStreams);
      this.pump();
    }
    return true;
  }
  /** Queue the open batch when it is older than batch_wait. */
  check() {
    if (this.batch && this.batch.entries > 0 && this.now() - this.batch.createdAt >= this.o.batchWaitMs) {
      this.queue.push(this.batch);
      this.batch = null;
      this.pump();
    }
  }
  /** Send queued batches one after the other (one shard). */
  pump() {
    if (this.sending) return this.sending;
    this.sending = (async () => {
      while (this.queue.length && !this.stopped) await this.sendBatch(this.queue.shift());
    })().finally(() => {
      this.sending = null;
    });
    return this.sending;
  }
  /** Queue what is open and wait until every queued batch was sent or dropped. */
  async flush() {
    if (this.batch && this.batch.entries > 0) this.queue.push(this.batch);
    this.batch = null;
    while (this.queue.length || this.sending) await this.pump();
  }
  /** One POST of the batch; resolves {status (-1: transport error), error?}. */
  async send(body) {
    const headers = { "User-Agent": this.userAgent, "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy" };
    if (this.o.tenantId) headers["X-Scope-OrgID"] = this.o.tenantId;
    const set = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
    for (const [k, v] of Object.entries(this.o.headers)) {
      if (set.has(k.toLowerCase())) this.log("warn", "custom header key already exists, skipping", { component_id: this.component, key: k });
      else headers[k] = v;
    }
    this.stats.requests++;
    try {
      const res = await H.request(this.o.client, this.o.url, { method: "POST", headers, body, timeoutMs: this.o.timeoutMs });
      if (res.status >= 200 && res.status < 300) return { status: res.status };
      const line = res.body.subarray(0, 1024).toString("utf8").split("\n")[0];
      return { status: res.status, error: `server returned HTTP status ${H.goStatus(res)} (${res.status}): ${line}` };
    } catch (e) {
      return { status: -1, error: e.message };
    }
  }
  /** shards.sendBatch: encode, send, retry on transport errors/5xx/429 with dskit's backoff, else drop. */
  async sendBatch(batch) {
    const body = W.snappyBlock(W.encodePushRequest([...batch.streams.values()]));
    const backoff = new DskitBackoff(this.o.minBackoffMs, this.o.maxBackoffMs, this.o.maxRetries, this.random);
    let r;
    for (;;) {
      r = await this.send(body);
      this.stats.lastStatus = r.status;
      if (!this.o.retryOn429 && r.status === 429) {
        this.log("warn", "dropping batch due to rate limiting applied at ingester", { component_id: this.component, host: this.host });
        this.stats.droppedEntries += batch.entries;
        return;
      }
      if (!r.error) {
        this.stats.sentEntries += batch.entries;
        this.stats.sentBytes += body.length;
        this.stats.lastError = null;
        return;
      }
      this.stats.lastError = r.error;
      if (r.status > 0 && r.status !== 429 && Math.floor(r.status / 100) !== 5) break;
      this.log("debug", "error sending batch, will retry", { component_id: this.component, status: r.status, tenant: this.o.tenantId, error: r.error });
      this.stats.retries++;
      const delay = backoff.nextDelay();
      if (backoff.ongoing()) await this.sleep(delay);
      if (this.stopped) return; // stopped while waiting: no more sends, no more log lines
      if (!backoff.ongoing()) break;
    }
    this.log("error", "final error sending batch, no retries left, dropping data", { component_id: this.component, status: r.status, tenant: this.o.tenantId, error: r.error });
    this.stats.droppedEntries += batch.entries;
  }
}

/** A loki.write component: its endpoints, each fed every entry with the external labels merged under it. */
class LokiWrite {
  constructor(id, args, opts) {
    this.id = id;
    this.args = args;
    this.endpoints = args.endpoints.map((o) => new LokiEndpoint(o, Object.assign({}, opts, { component: id, maxStreams: args.maxStreams })));
  }
  start() {
    for (const e of this.endpoints) e.start();
  }
  stop() {
    for (const e of this.endpoints) e.stop();
  }
  full() {
    return this.endpoints.some((e) => e.full());
  }
  append(entry) {
    const labels = Object.assign({}, this.args.externalLabels, entry.labels);
    for (const e of this.endpoints) e.append(Object.assign({}, entry, { labels }));
  }
  flush() {
    return Promise.all(this.endpoints.map((e) => e.flush()));
  }
}

module.exports = { userAgent, lokiWriteArgs, labelsString, entrySize, Batch, LokiEndpoint, LokiWrite };
