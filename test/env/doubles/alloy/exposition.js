"use strict";
// What the double shows about its writers and scrapes: /metrics (a few of Alloy's own series, with
// the component_id/component_path labels Alloy adds to a component's metrics, loki.write's
// host/tenant/reason and remote storage's remote_name/url) and /-/double/status (the double's own
// view; never a credential: a client shows which authentication it uses, not its secret).
// Pure functions.

const esc = (v) => String(v).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const series = (name, labels, value) => `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(",")}} ${value}`;

/** Alloy's metric families the double keeps, as Prometheus text. */
function metricsText(version, tailer) {
  const lines = [
    "# HELP alloy_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.",
    "# TYPE alloy_build_info gauge",
    `alloy_build_info{branch="testenv",goarch="amd64",goos="linux",goversion="none",revision="double",tags="double",version="${version}"} 1`,
    "# HELP loki_source_file_read_lines_total Number of lines read.",
    "# TYPE loki_source_file_read_lines_total counter",
    `loki_source_file_read_lines_total ${tailer.stats.linesRead}`,
  ];
  const lw = [];
  for (const { writer } of tailer.writers.values()) for (const e of writer.endpoints) lw.push({ labels: { component_id: writer.id, component_path: "/", host: e.host, tenant: e.o.tenantId }, s: e.stats });
  const family = (name, help, type, rows) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  };
  family("loki_write_sent_entries_total", "Number of log entries sent to the ingester.", "counter", lw.map((x) => series("loki_write_sent_entries_total", x.labels, x.s.sentEntries)));
  family("loki_write_sent_bytes_total", "Number of bytes sent.", "counter", lw.map((x) => series("loki_write_sent_bytes_total", x.labels, x.s.sentBytes)));
  family("loki_write_dropped_entries_total", "Number of log entries dropped because failed to be sent to the ingester after all retries.", "counter", lw.map((x) => series("loki_write_dropped_entries_total", Object.assign({}, x.labels, { reason: "ingester_error" }), x.s.droppedEntries)));
  family("loki_write_batch_retries_total", "Number of times batches has had to be retried.", "counter", lw.map((x) => series("loki_write_batch_retries_total", x.labels, x.s.retries)));
  const rw = [];
  for (const w of tailer.metrics.writes.values()) for (const e of w.rw.endpoints) rw.push({ labels: { component_id: w.rw.id, component_path: "/", remote_name: e.o.remoteName, url: e.o.url }, s: e.stats, pending: e.pending.length });
  family("prometheus_remote_storage_samples_total", "Total number of samples sent to remote storage.", "counter", rw.map((x) => series("prometheus_remote_storage_samples_total", x.labels, x.s.samples)));
  family("prometheus_remote_storage_samples_failed_total", "Total number of samples which failed on send to remote storage, non-recoverable errors.", "counter", rw.map((x) => series("prometheus_remote_storage_samples_failed_total", x.labels, x.s.failed)));
  family("prometheus_remote_storage_samples_retried_total", "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.", "counter", rw.map((x) => series("prometheus_remote_storage_samples_retried_total", x.labels, x.s.retried)));
  family("prometheus_remote_storage_samples_pending", "The number of samples pending in the queues shards to be sent to the remote storage.", "gauge", rw.map((x) => series("prometheus_remote_storage_samples_pending", x.labels, x.pending)));
  return lines.join("\n") + "\n";
}

/** How a client authenticates, without its secret. */
function authKind(client) {
  if (client.basicAuth) return { basic_auth: { username: client.basicAuth.username, password: client.basicAuth.passwordFile ? `(file ${client.basicAuth.passwordFile})` : "(secret)" } };
  if (client.authorization) return { authorization: { type: client.authorization.type, credentials: client.authorization.credentialsFile ? `(file ${client.authorization.credentialsFile})` : "(secret)" } };
  return {};
}
const tlsShown = (t) => ({ ca: t.ca ? "(pem)" : t.caFile || "(system roots)", insecure_skip_verify: t.insecureSkipVerify, server_name: t.serverName || undefined, client_certificate: Boolean(t.cert || t.certFile) });

/** /-/double/status: the config the double acts on and what its components did. */
function doubleStatus(version, tailer) {
  const { root: _root, stages, lokiWrites, metrics: _m, writes: _w, ...config } = tailer.cfg;
  const writers = {};
  for (const { writer } of tailer.writers.values()) {
    writers[writer.id] = { external_labels: writer.args.externalLabels, endpoints: writer.endpoints.map((e) => Object.assign({ url: e.o.url, tls: tlsShown(e.o.client.tls) }, authKind(e.o.client), { queued_batches: e.queue.length, stats: e.stats })) };
  }
  const metrics = tailer.metrics.status();
  for (const w of tailer.metrics.writes.values()) {
    metrics.writes[w.rw.id] = w.rw.endpoints.map((e, i) => Object.assign({}, metrics.writes[w.rw.id][i], { tls: tlsShown(e.o.client.tls) }, authKind(e.o.client)));
  }
  return {
    double: true,
    version,
    config: Object.assign(config, { stages: stages.map(({ stage: _s, ...rest }) => rest), lokiWrites: lokiWrites.map((w) => w.id) }),
    files: tailer.files,
    positions: tailer.positions,
    stats: tailer.stats,
    writers,
    metrics,
  };
}

module.exports = { metricsText, doubleStatus, authKind };
