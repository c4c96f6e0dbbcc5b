"use strict";
// prometheus.remote_write as Alloy 1.19 runs it (grafana/alloy internal/component/prometheus/
// remotewrite/types.go over Prometheus v3.13's storage/remote client.go and queue_manager.go),
// remote write 1.0 only:
//   arguments  external_labels (added to a series that does not have the label), wal (accepted,
//              the double keeps samples in memory); per `endpoint`: url, name, remote_timeout
//              (30s), headers, protobuf_message ("prometheus.WriteRequest"), the HTTP client
//              settings (enable_http2 default false), queue_config {capacity 10000, max_shards 50,
//              min_shards 1, max_samples_per_send 2000, batch_send_deadline 5s, min_backoff 30ms,
//              max_backoff 5s, retry_on_http_429 true, sample_age_limit 0}, metadata_config.
//   batching   one shard: a request when max_samples_per_send samples wait, or batch_send_deadline
//              after the first one; each TimeSeries carries one sample, labels sorted by name.
//   sending    POST url, snappy(prometheus.WriteRequest), Content-Encoding snappy, Content-Type
//              application/x-protobuf, User-Agent, X-Prometheus-Remote-Write-Version 0.1.0,
//              Retry-Attempt on a retry, then the endpoint's headers (they replace). 2xx: sent.
//              Transport errors, 5xx and 429 (retry_on_http_429) are retried without limit:
//              sleep min_backoff, doubled up to max_backoff, or the server's Retry-After; any other
//              status drops the samples (`non-recoverable error`).
//   health     healthy whatever the sends do (Alloy: unhealthy only for an invalid configuration).
const crypto = require("node:crypto");
const H = require("./httpclient.js");
const W = require("./protowire.js");
const { durationMs, retryAfterMs } = require("./backoff.js");
const { userAgent } = require("./lokiwrite.js");

const ENDPOINT_ATTRS = ["name", "url", "remote_timeout", "headers", "send_exemplars", "send_native_histograms", "protobuf_message", "round_robin_dns", ...H.HTTP_CLIENT_ATTRS];
const QUEUE_ATTRS = ["capacity", "max_shards", "min_shards", "max_samples_per_send", "batch_send_deadline", "min_backoff", "max_backoff", "retry_on_http_429", "sample_age_limit"];
const UNIMPLEMENTED_BLOCKS = ["write_relabel_config", "sigv4", "azuread", "google_iam"];
/** Samples the double holds per endpoint before it drops the oldest (Alloy's WAL has no such bound). */
const MAX_PENDING = 500000;

function remoteWriteArgs(block, id) {
  const top = H.attrsOf(block, ["external_labels"], id);
  const externalLabels = Object.fromEntries(Object.entries(top.external_labels || {}).map(([k, v]) => [k, String(v)]));
  const endpoints = [];
  for (const b of block.blocks) {
    if (b.name === "wal") continue;
    if (b.name !== "endpoint") throw new H.ConfigError(`${id}: unrecognized block name ${JSON.stringify(b.name)}`);
    const w = `${id}.endpoint`;
    const a = H.attrsOf(b, ENDPOINT_ATTRS, w);
    for (const x of b.blocks) if (UNIMPLEMENTED_BLOCKS.includes(x.name)) throw new H.ConfigError(`${w}: ${x.name} is not implemented by the Alloy test double`);
    if (typeof a.url !== "string") throw new H.ConfigError(`${w}: missing required attribute "url"`);
    try {
      new URL(a.url);
    } catch {
      throw new H.ConfigError(`cannot parse remote_write url ${JSON.stringify(a.url)}`);
    }
    const proto = a.protobuf_message ?? "prometheus.WriteRequest";
    if (proto !== "prometheus.WriteRequest") throw new H.ConfigError(`${w}: protobuf_message ${JSON.stringify(proto)} (remote write 2.0) is not implemented by the Alloy test double`);
    const qb = b.blocks.find((x) => x.name === "queue_config");
    const q = qb ? H.attrsOf(qb, QUEUE_ATTRS, `${w}.queue_config`) : {};
    const client = H.httpClientOf(b, Object.assign({ enable_http2: false }, a), w);
    endpoints.push({
      name: a.name ?? "",
      url: a.url,
      remoteName: a.name || crypto.createHash("sha256").update(a.url).digest("hex").slice(0, 6),
      timeoutMs: durationMs(a.remote_timeout, 30000, `${w}.remote_timeout`),
      headers: Object.fromEntries(Object.entries(a.headers || {}).map(([k, v]) => [k, String(v)])),
      maxSamplesPerSend: q.max_samples_per_send ?? 2000,
      batchSendDeadlineMs: durationMs(q.batch_send_deadline, 5000, `${w}.queue_config.batch_send_deadline`),
      minBackoffMs: durationMs(q.min_backoff, 30, `${w}.queue_config.min_backoff`),
      maxBackoffMs: durationMs(q.max_backoff, 5000, `${w}.queue_config.max_backoff`),
      retryOn429: q.retry_on_http_429 ?? true,
      sampleAgeLimitMs: durationMs(q.sample_age_limit, 0, `${w}.queue_config.sample_age_limit`),
      client,
    });
  }
  return { externalLabels, endpoints };
}

/** processExternalLabels + sorting: a sample's labels as the sorted pairs remote write sends. */
function seriesLabels(labels, externalLabels) {
  const out = Object.assign({}, labels);
  for (const [k, v] of Object.entries(externalLabels)) if (out[k] === undefined || out[k] === "") out[k] = v;
  return Object.keys(out).filter((k) => out[k] !== "").sort().map((k) => [k, out[k]]);
}

class RemoteWriteEndpoint {
  constructor(options, externalLabels, opts) {
    this.o = options;
    this.externalLabels = externalLabels;
    this.component = opts.component;
    this.log = opts.log || (() => {});
    this.now = opts.now || Date.now;
    this.sleep = opts.sleep || ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
    this.userAgent = userAgent(opts.version || "v1.19.2");
    this.pending = [];
    this.deadline = null;
    this.sending = null;
    this.stopped = false;
    this.stats = { samples: 0, failed: 0, retried: 0, dropped: 0, requests: 0, lastError: null, lastStatus: null };
  }
  append(samples) {
    for (const s of samples) this.pending.push({ labels: seriesLabels(s.labels, this.externalLabels), sample: { value: s.value, timestampMs: s.timestampMs, stale: Boolean(s.stale) } });
    if (this.pending.length > MAX_PENDING) this.stats.dropped += this.pending.splice(0, this.pending.length - MAX_PENDING).length;
    if (this.pending.length >= this.o.maxSamplesPerSend) this.pump();
    else if (this.pending.length && !this.deadline && !this.stopped) {
      this.deadline = setTimeout(() => {
        this.deadline = null;
        this.pump(true);
      }, this.o.batchSendDeadlineMs);
      this.deadline.unref?.();
    }
  }
  stop() {
    this.stopped = true;
    clearTimeout(this.deadline);
  }
  /** Send full batches (and, at the deadline or on flush, what is left) one request at a time. */
  pump(all = false) {
    if (this.sending) return this.sending;
    this.sending = (async () => {
      while (!this.stopped && (this.pending.length >= this.o.maxSamplesPerSend || (all && this.pending.length))) await this.sendBatch(this.pending.splice(0, this.o.maxSamplesPerSend));
    })().finally(() => {
      this.sending = null;
      if (this.pending.length && !this.deadline && !this.stopped) this.append([]);
    });
    return this.sending;
  }
  async flush() {
    clearTimeout(this.deadline);
    this.deadline = null;
    while (this.pending.length || this.sending) await this.pump(true);
  }
  /** client.Store: one POST; {status, error?, recoverable, retryAfterMs?}. */
  async store(body, attempt) {
    const headers = { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", "User-Agent": this.userAgent, "X-Prometheus-Remote-Write-Version": "0.1.0" };
    if (attempt > 0) headers["Retry-Attempt"] = String(attempt);
    Object.assign(headers, this.o.headers);
    this.stats.requests++;
    try {
      const res = await H.request(this.o.client, this.o.url, { method: "POST", headers, body, timeoutMs: this.o.timeoutMs });
      if (res.status >= 200 && res.status < 300) return { status: res.status };
      const error = `server returned HTTP status ${H.goStatus(res)}: ${res.body.subarray(0, 1024).toString("utf8")}`;
      const recoverable = Math.floor(res.status / 100) === 5 || (this.o.retryOn429 && res.status === 429);
      return { status: res.status, error, recoverable, retryAfterMs: recoverable ? retryAfterMs(res.headers["retry-after"], this.now()) : undefined };
    } catch (e) {
      return { status: -1, error: e.message, recoverable: true };
    }
  }
  /** sendWriteRequestWithBackoff: retry recoverable errors without limit, drop on the others. */
  async sendBatch(items) {
    const body = W.snappyBlock(W.encodeWriteRequest(items.map((i) => ({ labels: i.labels, samples: [i.sample] }))));
    let backoff = this.o.minBackoffMs;
    for (let attempt = 0; !this.stopped; attempt++) {
      const r = await this.store(body, attempt);
      this.stats.lastStatus = r.status;
      if (!r.error) {
        this.stats.samples += items.length;
        this.stats.lastError = null;
        return;
      }
      this.stats.lastError = r.error;
      if (!r.recoverable) {
        this.stats.failed += items.length;
        this.log("error", "non-recoverable error", { component_id: this.component, remote_name: this.o.remoteName, url: this.o.url, failedSampleCount: items.length, failedHistogramCount: 0, failedExemplarCount: 0, err: r.error });
        return;
      }
      const sleep = r.retryAfterMs > 0 ? r.retryAfterMs : backoff;
      await this.sleep(sleep);
      if (this.stopped) return; // stopped while waiting: no more sends, no more log lines
      this.stats.retried += items.length;
      this.log("warn", "Failed to send batch, retrying", { component_id: this.component, remote_name: this.o.remoteName, url: this.o.url, err: r.error });
      backoff = Math.min(sleep * 2, this.o.maxBackoffMs);
    }
  }
}

/** A prometheus.remote_write component: its endpoints, each sent every appended sample. */
class RemoteWrite {
  constructor(id, args, opts) {
    this.id = id;
    this.args = args;
    this.endpoints = args.endpoints.map((o) => new RemoteWriteEndpoint(o, args.externalLabels, Object.assign({}, opts, { component: id })));
  }
  append(samples) {
    for (const e of this.endpoints) e.append(samples);
  }
  stop() {
    for (const e of this.endpoints) e.stop();
  }
  flush() {
    return Promise.all(this.endpoints.map((e) => e.flush()));
  }
}

module.exports = { remoteWriteArgs, seriesLabels, RemoteWriteEndpoint, RemoteWrite, MAX_PENDING };
