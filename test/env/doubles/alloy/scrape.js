"use strict";
// prometheus.scrape as Alloy 1.19 runs it (grafana/alloy internal/component/prometheus/scrape/
// scrape.go over Prometheus v3.13's scrape package, scrape.go and target.go):
//   arguments  targets, forward_to, job_name (default: the component's id), scrape_interval (1m),
//              scrape_timeout (10s, not above the interval), metrics_path (/metrics), scheme
//              (http), params, honor_labels (false), honor_timestamps (true), sample_limit,
//              body_size_limit, extra_metrics, enable_compression (true), scrape_protocols
//              (OpenMetricsText1.0.0, OpenMetricsText0.0.1, PrometheusText1.0.0,
//              PrometheusText0.0.4), the HTTP client settings (httpclient.js).
//   targets    PopulateLabels: job, __scrape_interval__, __scrape_timeout__, __metrics_path__,
//              __scheme__, __param_* set where the target has none; no __address__: dropped;
//              __meta_* removed; instance = __address__ unless set; the `__` labels stay internal.
//   a scrape   GET <scheme>://<address><metrics_path>?<params> with Accept (acceptHeader of the
//              protocols, escaping=underscores), Accept-Encoding gzip, User-Agent,
//              X-Prometheus-Scrape-Timeout-Seconds; first at an offset inside the interval from
//              a hash of the target (Prometheus spreads its targets), then every interval.
//              A non-200, a timeout, a body over body_size_limit or a parse error fails it.
//   samples    each at the scrape's start (or its own timestamp, honor_timestamps), labels =
//              scraped labels with the target's set over them (a clash renames the scraped one
//              exported_<name>; honor_labels keeps the scraped); series that were in the previous
//              scrape and are not in this one get Prometheus' stale marker (a failed scrape is an
//              empty one); then the report series up, scrape_duration_seconds,
//              scrape_samples_scraped, scrape_samples_post_metric_relabeling, scrape_series_added
//              (+ scrape_timeout_seconds, scrape_sample_limit, scrape_body_size_bytes with
//              extra_metrics). Everything goes to every forward_to receiver the double runs.
const zlib = require("node:zlib");
const H = require("./httpclient.js");
const P = require("./promtext.js");
const { durationMs, bytesArg } = require("./backoff.js");
const { userAgent } = require("./lokiwrite.js");
const { formatGoDuration } = require("./alloyjson.js");

const SCRAPE_ATTRS = [
  "targets", "forward_to", "job_name", "honor_labels", "honor_timestamps", "track_timestamps_staleness", "params", "scrape_classic_histograms", "scrape_native_histograms",
  "scrape_failure_log_file", "scrape_interval", "scrape_timeout", "scrape_protocols", "metrics_path", "scheme", "body_size_limit", "sample_limit", "target_limit", "label_limit",
  "label_name_length_limit", "label_value_length_limit", "extra_metrics", "enable_protobuf_negotiation", "metric_name_validation_scheme", "metric_name_escaping_scheme",
  "scrape_fallback_protocol", "convert_classic_histograms_to_nhcb", "enable_compression", "native_histogram_bucket_limit", "native_histogram_min_bucket_factor", "honor_metadata",
  "enable_type_and_unit_labels", "start_timestamp_zero_ingestion", ...H.HTTP_CLIENT_ATTRS,
];
/** Arguments the double accepts only at their default (what it would do otherwise is not implemented). */
const ONLY_DEFAULT = { scrape_native_histograms: false, convert_classic_histograms_to_nhcb: false, enable_protobuf_negotiation: false, track_timestamps_staleness: false, enable_type_and_unit_labels: false, start_timestamp_zero_ingestion: false, metric_name_validation_scheme: "legacy" };
const PROTOCOL_HEADERS = {
  PrometheusProto: "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
  "PrometheusText0.0.4": "text/plain;version=0.0.4",
  "PrometheusText1.0.0": "text/plain;version=1.0.0",
  "OpenMetricsText0.0.1": "application/openmetrics-text;version=0.0.1",
  "OpenMetricsText1.0.0": "application/openmetrics-text;version=1.0.0",
};
const DEFAULT_PROTOCOLS = ["OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0", "PrometheusText0.0.4"];

/** Prometheus' acceptHeader: the protocols by preference, escaping on the 1.0.0 formats, then any type. */
function acceptHeader(protocols, escaping = "underscores") {
  let weight = 6; // len(ScrapeProtocolsHeaders) + 1
  const vals = protocols.map((p) => {
    let v = PROTOCOL_HEADERS[p];
    if (p === "PrometheusText1.0.0" || p === "OpenMetricsText1.0.0") v += `;escaping=${escaping}`;
    return `${v};q=0.${weight--}`;
  });
  vals.push(`*/*;q=0.${weight}`);
  return vals.join(",");
}

/** One prometheus.scrape component's arguments (targets and forward_to stay as written, for the caller to evaluate). */
function scrapeArgs(block, id) {
  const raw = Object.fromEntries(Object.entries(block.attrs).filter(([k]) => k !== "targets" && k !== "forward_to"));
  for (const k of Object.keys(block.attrs)) if (!SCRAPE_ATTRS.includes(k)) throw new H.ConfigError(`${id}: unrecognized attribute name ${JSON.stringify(k)}`);
  const a = H.attrsOf(Object.assign({}, block, { attrs: raw }), SCRAPE_ATTRS, id);
  for (const [k, def] of Object.entries(ONLY_DEFAULT)) if (a[k] !== undefined && a[k] !== def) throw new H.ConfigError(`${id}: ${k} = ${JSON.stringify(a[k])} is not implemented by the Alloy test double`);
  if (block.attrs.targets === undefined) throw new H.ConfigError(`${id}: missing required attribute "targets"`);
  if (block.attrs.forward_to === undefined) throw new H.ConfigError(`${id}: missing required attribute "forward_to"`);
  const intervalMs = durationMs(a.scrape_interval, 60000, `${id}.scrape_interval`);
  const timeoutMs = durationMs(a.scrape_timeout, 10000, `${id}.scrape_timeout`);
  const jobName = a.job_name ?? id;
  if (timeoutMs > intervalMs) throw new H.ConfigError(`scrape_timeout (${formatGoDuration(timeoutMs * 1e6)}) greater than scrape_interval (${formatGoDuration(intervalMs * 1e6)}) for scrape config with job name ${JSON.stringify(a.job_name ?? "")}`);
  const protocols = a.scrape_protocols ?? DEFAULT_PROTOCOLS;
  for (const p of protocols) if (!PROTOCOL_HEADERS[p]) throw new H.ConfigError(`invalid scrape protocol ${JSON.stringify(p)}`);
  return {
    jobName,
    intervalMs,
    timeoutMs,
    interval: a.scrape_interval ?? "1m",
    timeout: a.scrape_timeout ?? "10s",
    metricsPath: a.metrics_path ?? "/metrics",
    scheme: a.scheme ?? "http",
    params: a.params ?? {},
    honorLabels: a.honor_labels ?? false,
    honorTimestamps: a.honor_timestamps ?? true,
    sampleLimit: a.sample_limit ?? 0,
    bodySizeLimit: bytesArg(a.body_size_limit, 0, `${id}.body_size_limit`),
    extraMetrics: a.extra_metrics ?? false,
    accept: acceptHeader(protocols),
    acceptEncoding: (a.enable_compression ?? true) ? "gzip" : "identity",
    client: H.httpClientOf(block, a, id),
  };
}

/** PopulateLabels: a target's label set, its URL, interval and timeout; {error} when Prometheus drops it. */
function targetOf(raw, args) {
  const lb = Object.assign({}, raw);
  const setDefault = (k, v) => {
    if (lb[k] === undefined || lb[k] === "") lb[k] = v;
  };
  setDefault("job", args.jobName);
  setDefault("__scrape_interval__", args.interval);
  setDefault("__scrape_timeout__", args.timeout);
  setDefault("__metrics_path__", args.metricsPath);
  setDefault("__scheme__", args.scheme);
  for (const [k, v] of Object.entries(args.params)) setDefault(`__param_${k}`, Array.isArray(v) ? String(v[0]) : String(v));
  for (const k of Object.keys(lb)) if (lb[k] === "") delete lb[k];
  const addr = lb.__address__;
  if (!addr) return { error: "no address" };
  for (const k of Object.keys(lb)) if (k.startsWith("__meta_")) delete lb[k];
  setDefault("instance", addr);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(lb)) if (k.startsWith("__param_")) params.append(k.slice("__param_".length), v);
  const q = params.toString();
  const url = `${lb.__scheme__}://${addr}${lb.__metrics_path__}${q ? `?${q}` : ""}`;
  const labels = Object.fromEntries(Object.entries(lb).filter(([k]) => !k.startsWith("__")));
  return { labels, url, intervalMs: durationMs(lb.__scrape_interval__, args.intervalMs, "__scrape_interval__"), timeoutMs: durationMs(lb.__scrape_timeout__, args.timeoutMs, "__scrape_timeout__") };
}

/** mutateSampleLabels: the target's labels over the scraped ones (clashes kept as exported_<name>), or under them with honor_labels. */
function withTargetLabels(scraped, targetLabels, honor) {
  const out = Object.assign({}, scraped);
  if (honor) {
    for (const [k, v] of Object.entries(targetLabels)) if (!(k in scraped)) out[k] = v;
    return out;
  }
  const clashes = [];
  for (const [k, v] of Object.entries(targetLabels)) {
    if (scraped[k] !== undefined && scraped[k] !== "") clashes.push([k, scraped[k]]);
    out[k] = v;
  }
  clashes.sort((a, b) => a[0].length - b[0].length);
  for (const [k, v] of clashes) {
    let name = k;
    for (;;) {
      name = `exported_${name}`;
      if (out[name] === undefined) {
        out[name] = v;
        break;
      }
    }
  }
  return out;
}

const seriesKey = (labels) => JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));

/**
 * The scrape loop's append: the samples of one scrape (`parsed` null for a failed one) with the
 * target's labels, stale markers for the series the previous scrape had, and the counts the report
 * needs. state: {prev: Map(key -> labels), seen: Set(key)} (updated).
 */
function appendScrape(parsed, target, args, tsMs, state) {
  const samples = [];
  const cur = new Map();
  const inScrape = new Set();
  let added = 0;
  let seriesAdded = 0;
  for (const s of parsed ? parsed.samples : []) {
    const labels = withTargetLabels(Object.assign({ __name__: s.name }, s.labels), target.labels, args.honorLabels);
    const key = seriesKey(labels);
    if (inScrape.has(key)) continue; // a duplicate series in one scrape is not appended again
    inScrape.add(key);
    const explicit = args.honorTimestamps && s.timestampMs !== undefined;
    samples.push({ labels, value: s.value, timestampMs: explicit ? s.timestampMs : tsMs });
    added++;
    if (!state.seen.has(key)) {
      state.seen.add(key);
      seriesAdded++;
    }
    if (!explicit) cur.set(key, labels); // series with their own timestamps get no stale markers
  }
  if (args.sampleLimit > 0 && added > args.sampleLimit) return { error: `sample limit exceeded`, scraped: parsed.samples.length };
  for (const [key, labels] of state.prev) if (!cur.has(key)) samples.push({ labels, value: NaN, stale: true, timestampMs: tsMs });
  state.prev = cur;
  return { samples, scraped: parsed ? parsed.samples.length : 0, added, seriesAdded };
}

/** The report series of one scrape (scrape.go report). */
function reportSamples(target, args, tsMs, r) {
  const rows = [
    ["up", r.error ? 0 : 1],
    ["scrape_duration_seconds", r.durationS],
    ["scrape_samples_scraped", r.scraped],
    ["scrape_samples_post_metric_relabeling", r.added],
    ["scrape_series_added", r.seriesAdded],
  ];
  if (args.extraMetrics) rows.push(["scrape_timeout_seconds", target.timeoutMs / 1000], ["scrape_sample_limit", args.sampleLimit], ["scrape_body_size_bytes", r.bytes]);
  return rows.map(([name, value]) => ({ labels: withTargetLabels({ __name__: name }, target.labels, false), value, timestampMs: tsMs }));
}

/** Prometheus' offset of a target inside its interval (hash of its labels and URL). */
function offsetMs(target, intervalMs, now) {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(seriesKey(target.labels) + target.url)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  const base = intervalMs - (now % intervalMs);
  let next = base + (h % intervalMs);
  if (next > intervalMs) next -= intervalMs;
  return next;
}

/** One HTTP scrape: resolves {text, contentType, bytes}; rejects with the scrape's error. */
async function fetchMetrics(target, args, version) {
  const res = await H.request(args.client, target.url, {
    headers: { Accept: args.accept, "Accept-Encoding": args.acceptEncoding, "User-Agent": userAgent(version), "X-Prometheus-Scrape-Timeout-Seconds": String(target.timeoutMs / 1000) },
    timeoutMs: target.timeoutMs,
  });
  if (res.status !== 200) throw new Error(`server returned HTTP status ${H.goStatus(res)}`);
  let body = res.body;
  if (res.headers["content-encoding"] === "gzip") body = zlib.gunzipSync(body);
  if (args.bodySizeLimit > 0 && body.length >= args.bodySizeLimit) throw Object.assign(new Error("body size limit exceeded"), { bytes: -1 });
  return { text: body.toString("utf8"), contentType: res.headers["content-type"] || "", bytes: body.length };
}

class ScrapeLoop {
  /** deliver(samples) hands one scrape's samples to the receivers. */
  constructor(target, args, deliver, opts = {}) {
    this.target = target;
    this.args = args;
    this.deliver = deliver;
    this.version = opts.version || "v1.19.2";
    this.log = opts.log || (() => {});
    this.state = { prev: new Map(), seen: new Set() };
    this.status = { health: "unknown", lastError: "", lastScrape: null, lastDurationS: 0 };
    this.timer = null;
  }
  start(now = Date.now()) {
    const run = (at) => {
      this.timer = setTimeout(() => {
        this.scrapeOnce().catch(() => {});
        run(at + this.target.intervalMs);
      }, Math.max(0, at - Date.now()));
      this.timer.unref?.();
    };
    run(now + offsetMs(this.target, this.target.intervalMs, now));
  }
  /** Stop scraping; the series of the last scrape get their stale markers. */
  stop() {
    clearTimeout(this.timer);
    const ts = Date.now();
    const stale = [...this.state.prev.values()].map((labels) => ({ labels, value: NaN, stale: true, timestampMs: ts }));
    this.state.prev = new Map();
    if (stale.length) this.deliver(stale);
  }
  async scrapeOnce(start = Date.now()) {
    let parsed = null;
    let error = null;
    let bytes = 0;
    try {
      const r = await fetchMetrics(this.target, this.args, this.version);
      bytes = r.bytes;
      const format = P.formatOf(r.contentType);
      if (format !== "text") throw new Error(`received a ${format} exposition (Content-Type ${JSON.stringify(r.contentType)}): only the Prometheus text format is implemented by the Alloy test double`);
      parsed = P.parseText(r.text);
    } catch (e) {
      error = e.message;
      if (e.bytes !== undefined) bytes = e.bytes;
    }
    let app = appendScrape(parsed, this.target, this.args, start, this.state);
    if (app.error) {
      error = app.error;
      app = appendScrape(null, this.target, this.args, start, this.state);
    }
    const durationS = (Date.now() - start) / 1000;
    const report = reportSamples(this.target, this.args, start, { error, durationS, scraped: app.scraped, added: error ? 0 : app.added, seriesAdded: error ? 0 : app.seriesAdded, bytes: error && bytes !== -1 ? 0 : bytes });
    this.status = { health: error ? "down" : "up", lastError: error || "", lastScrape: new Date(start).toISOString(), lastDurationS: durationS };
    if (error) this.log("debug", "Scrape failed", { scrape_pool: this.args.jobName, target: this.target.url, err: error });
    this.deliver([...app.samples, ...report]);
  }
}

module.exports = { acceptHeader, scrapeArgs, targetOf, withTargetLabels, appendScrape, reportSamples, offsetMs, fetchMetrics, ScrapeLoop, seriesKey, DEFAULT_PROTOCOLS };
