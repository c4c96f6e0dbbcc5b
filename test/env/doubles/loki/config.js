"use strict";
// The Loki double's view of its config file: the YAML the container was given with -config.file
// (parsed with the `yaml` package), with Loki 3.7's defaults wherever the file is silent, so a
// change of the rendered config (components/render/loki.ts) changes the double's behaviour.
//
// Defaults and units, as in grafana/loki release-3.7.x:
//   pkg/validation/limits.go  RegisterFlags (limits_config defaults; discover_service_name list)
//   pkg/util/flagext/bytesize.go (byte sizes: c2h5oh/datasize, 1 KB = 1024 bytes, upper-cased first)
//   vendor/github.com/grafana/dskit/ring/lifecycler.go (ingester.lifecycler.min_ready_duration 15s)
// Durations of limits_config are Prometheus model.Duration ("7d", "168h", "1h30m"); the
// lifecycler's are Go time.Duration ("15s", "1m30s", "500ms").
const fs = require("node:fs");
const YAML = require("yaml");

const MIB = 1048576;

/** Loki 3.7's limits_config defaults (only the ones the double enforces or reports). */
const LIMIT_DEFAULTS = Object.freeze({
  reject_old_samples: true,
  reject_old_samples_max_age: "7d",
  creation_grace_period: "10m",
  max_line_size: "256KB",
  max_line_size_truncate: false,
  max_label_names_per_series: 15,
  max_label_name_length: 1024,
  max_label_value_length: 2048,
  ingestion_rate_mb: 4,
  ingestion_burst_size_mb: 6,
  max_entries_limit_per_query: 5000,
  max_query_length: "721h",
  allow_structured_metadata: true,
  max_structured_metadata_size: "64KB",
  max_structured_metadata_entries_count: 128,
  // Loki 3.7's list; 3.0 had no app_name, k8s_container_name, k8s_job_name (limits.go history).
  discover_service_name: ["service", "app", "application", "app_name", "name", "app_kubernetes_io_name", "container", "container_name", "k8s_container_name", "component", "workload", "job", "k8s_job_name"],
});

const MIN_READY_DEFAULT = "15s";

class ConfigError extends Error {}

const PROM_UNITS = [
  ["y", 365 * 24 * 3600e3],
  ["w", 7 * 24 * 3600e3],
  ["d", 24 * 3600e3],
  ["h", 3600e3],
  ["m", 60e3],
  ["s", 1e3],
  ["ms", 1],
];

/** Prometheus model.ParseDuration: "0", or units y w d h m s ms in that order, integers only. */
function parsePromDuration(s) {
  const str = String(s);
  if (str === "0") return 0;
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(str);
  if (!m || str === "") throw new ConfigError(`not a valid duration string: ${JSON.stringify(str)}`);
  let ms = 0;
  PROM_UNITS.forEach(([, mult], i) => {
    if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * mult;
  });
  return ms;
}

/** Prometheus model.Duration.String(): largest units first (y and w only when exact), "0s" for zero. */
function formatPromDuration(ms) {
  if (ms === 0) return "0s";
  let left = ms;
  let out = "";
  for (const [unit, mult] of PROM_UNITS) {
    if ((unit === "y" || unit === "w") && left % mult !== 0) continue;
    const n = Math.floor(left / mult);
    if (n > 0) {
      out += `${n}${unit}`;
      left -= n * mult;
    }
  }
  return out;
}

const GO_UNITS = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Go time.ParseDuration (decimal numbers with units; "0" alone), in milliseconds. */
function parseGoDuration(s) {
  const str = String(s).trim();
  if (str === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
  let ms = 0;
  let pos = 0;
  let m;
  const sign = str.startsWith("-") ? -1 : 1;
  const body = str.replace(/^[-+]/, "");
  while ((m = re.exec(body)) !== null) {
    if (m.index !== pos) break;
    ms += Number(m[1]) * GO_UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (body === "" || pos !== body.length) throw new ConfigError(`time: invalid duration ${JSON.stringify(str)}`);
  return sign * ms;
}

/** Go time.Duration.String() for a duration in nanoseconds (BigInt), e.g. 721h0m0.001s. */
function formatGoDuration(ns) {
  let n = BigInt(ns);
  if (n === 0n) return "0s";
  const neg = n < 0n;
  if (neg) n = -n;
  let out;
  if (n < 1000000000n) {
    // sub-second: the largest unit that keeps the integer part non-zero
    const [unit, div] = n < 1000n ? ["ns", 1n] : n < 1000000n ? ["µs", 1000n] : ["ms", 1000000n];
    out = fracString(n, div) + unit;
  } else {
    const h = n / 3600000000000n;
    n -= h * 3600000000000n;
    const m = n / 60000000000n;
    n -= m * 60000000000n;
    const s = fracString(n, 1000000000n) + "s";
    out = h > 0n ? `${h}h${m}m${s}` : m > 0n ? `${m}m${s}` : s;
  }
  return (neg ? "-" : "") + out;
}

function fracString(n, div) {
  const whole = n / div;
  const frac = n % div;
  if (frac === 0n) return whole.toString();
  const digits = div.toString().length - 1;
  return `${whole}.${frac.toString().padStart(digits, "0").replace(/0+$/, "")}`;
}

const SIZE_UNITS = { B: 1, K: 1024, KB: 1024, M: MIB, MB: MIB, G: MIB * 1024, GB: MIB * 1024, T: MIB * MIB, TB: MIB * MIB };

/** Loki's flagext.ByteSize: upper-cased, then c2h5oh/datasize (binary multiples). */
function parseByteSize(v) {
  if (typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)\s*([A-Z]*)$/.exec(String(v).trim().toUpperCase());
  if (!m || !(m[2] in SIZE_UNITS || m[2] === "")) throw new ConfigError(`invalid byte size ${JSON.stringify(v)}`);
  return Math.floor(Number(m[1]) * (m[2] === "" ? 1 : SIZE_UNITS[m[2]]));
}

function bool(v, key) {
  if (typeof v === "boolean") return v;
  throw new ConfigError(`limits_config.${key}: cannot unmarshal ${JSON.stringify(v)} into bool`);
}

function num(v, key) {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`limits_config.${key}: cannot unmarshal ${JSON.stringify(v)} into a number`);
  return n;
}

/** The effective limits (config values over Loki's defaults), in the units the double uses. */
function resolveLimits(section) {
  const raw = Object.assign({}, LIMIT_DEFAULTS, section || {});
  return {
    rejectOldSamples: bool(raw.reject_old_samples, "reject_old_samples"),
    rejectOldSamplesMaxAgeMs: parsePromDuration(raw.reject_old_samples_max_age),
    creationGracePeriodMs: parsePromDuration(raw.creation_grace_period),
    maxLineSize: parseByteSize(raw.max_line_size),
    maxLineSizeTruncate: bool(raw.max_line_size_truncate, "max_line_size_truncate"),
    maxLabelNamesPerSeries: num(raw.max_label_names_per_series, "max_label_names_per_series"),
    maxLabelNameLength: num(raw.max_label_name_length, "max_label_name_length"),
    maxLabelValueLength: num(raw.max_label_value_length, "max_label_value_length"),
    ingestionRateBytes: num(raw.ingestion_rate_mb, "ingestion_rate_mb") * MIB,
    ingestionBurstBytes: Math.trunc(num(raw.ingestion_burst_size_mb, "ingestion_burst_size_mb") * MIB),
    maxEntriesLimitPerQuery: num(raw.max_entries_limit_per_query, "max_entries_limit_per_query"),
    maxQueryLengthMs: parsePromDuration(raw.max_query_length),
    allowStructuredMetadata: bool(raw.allow_structured_metadata, "allow_structured_metadata"),
    maxStructuredMetadataSize: parseByteSize(raw.max_structured_metadata_size),
    maxStructuredMetadataCount: num(raw.max_structured_metadata_entries_count, "max_structured_metadata_entries_count"),
    discoverServiceName: Array.isArray(raw.discover_service_name) ? raw.discover_service_name.map(String) : [],
  };
}

function dig(obj, path) {
  return path.reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
}

/**
 * Parse a Loki config text. Throws ConfigError on YAML that does not parse or a value of the
 * wrong type (real Loki refuses to start then too).
 */
function parseConfig(text) {
  let doc;
  try {
    doc = text.trim() === "" ? {} : YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`parsing config: ${e.message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError("parsing config: the document is not a YAML mapping");
  const server = doc.server || {};
  const minReady = dig(doc, ["ingester", "lifecycler", "min_ready_duration"]);
  return {
    text,
    port: server.http_listen_port !== undefined ? num(server.http_listen_port, "server.http_listen_port") : 3100,
    address: server.http_listen_address ? String(server.http_listen_address) : "0.0.0.0",
    pathPrefix: dig(doc, ["common", "path_prefix"]) ? String(dig(doc, ["common", "path_prefix"])) : "/loki",
    authEnabled: doc.auth_enabled === undefined ? true : doc.auth_enabled === true,
    minReadyDurationMs: parseGoDuration(minReady === undefined ? MIN_READY_DEFAULT : minReady),
    minReadyDurationText: minReady === undefined ? MIN_READY_DEFAULT : formatGoDuration(BigInt(Math.round(parseGoDuration(minReady) * 1e6))),
    limits: resolveLimits(doc.limits_config),
  };
}

/** Read and parse -config.file; no file: Loki's defaults (the double's unit tests use that). */
function loadConfig(file) {
  if (!file) return parseConfig("");
  return parseConfig(fs.readFileSync(file, "utf8")); // a missing config is fatal, as in Loki
}

module.exports = { loadConfig, parseConfig, resolveLimits, LIMIT_DEFAULTS, ConfigError, parsePromDuration, formatPromDuration, parseGoDuration, formatGoDuration, parseByteSize, MIB };
