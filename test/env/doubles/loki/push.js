"use strict";
// The Loki double's write path, as Loki 3.7 does it (grafana/loki release-3.7.x):
//   decode   pkg/loghttp/push/push.go parsePushRequestBody: Content-Encoding "", snappy, gzip,
//            deflate (else 400 `Content-Encoding "x" not supported`); Content-Type parsed as a media
//            type (none: 400 "mime: no media type"); application/json -> JSON, anything else ->
//            snappy-compressed (raw block format) protobuf logproto.PushRequest (pkg/push/push.proto).
//   labels   ParseLokiRequest: each stream's label string parsed as a Prometheus label set
//            ("couldn't parse labels: ..." -> 400), empty values dropped, then service_name added from
//            the first non-empty label of limits_config.discover_service_name, else "unknown_service",
//            unless the stream already has service_name or the list is empty.
//   validate pkg/distributor/distributor.go PushWithResolver + validator.go: no streams -> 422;
//            per stream ValidateLabels (service_name not counted against max_label_names_per_series),
//            per entry ValidateEntry (too old, too new, line too long, structured metadata); invalid
//            entries are dropped and the valid ones kept; errors grouped (pkg/util/errors.go
//            GroupedErrors) into one 400 body; then the ingestion rate limiter (token bucket, rate
//            ingestion_rate_mb, burst ingestion_burst_size_mb) over the accepted bytes -> 429.
// Messages: pkg/validation/validate.go.
const zlib = require("node:zlib");
const protobuf = require("protobufjs");
const snappy = require("snappyjs");

const TENANT = "fake"; // Loki's tenant when auth_enabled is false
const SERVICE_NAME = "service_name";
const SERVICE_UNKNOWN = "unknown_service";

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// logproto.PushRequest; Timestamp is wire-identical to google.protobuf.Timestamp.
const ROOT = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: "repeated", type: "StreamAdapter", id: 1 } } },
        StreamAdapter: { fields: { labels: { type: "string", id: 1 }, entries: { rule: "repeated", type: "EntryAdapter", id: 2 }, hash: { type: "uint64", id: 3 } } },
        LabelPairAdapter: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
        EntryAdapter: {
          fields: {
            timestamp: { type: "Timestamp", id: 1 },
            line: { type: "string", id: 2 },
            structuredMetadata: { rule: "repeated", type: "LabelPairAdapter", id: 3 },
            parsed: { rule: "repeated", type: "LabelPairAdapter", id: 4 },
          },
        },
        Timestamp: { fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } } },
      },
    },
  },
});
const PushRequest = ROOT.lookupType("logproto.PushRequest");

/** Encode a push request (tests, and anyone imitating Alloy's loki.write): snappy(protobuf). */
function encodeProtoPush(streams) {
  const msg = {
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map((e) => {
        const ns = BigInt(e.ts);
        return {
          timestamp: { seconds: (ns / 1000000000n).toString(), nanos: Number(ns % 1000000000n) },
          line: e.line,
          structuredMetadata: Object.entries(e.structuredMetadata || {}).map(([name, value]) => ({ name, value })),
        };
      }),
    })),
  };
  return Buffer.from(snappy.compress(Buffer.from(PushRequest.encode(PushRequest.fromObject(msg)).finish())));
}

// ---- Prometheus label-set syntax ---------------------------------------------------------------

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function readQuoted(s, i) {
  const q = s[i];
  if (q === "`") {
    const end = s.indexOf("`", i + 1);
    if (end < 0) throw new Error(`1:${i + 1}: parse error: unterminated raw string`);
    return [s.slice(i + 1, end), end + 1];
  }
  if (q !== '"' && q !== "'") throw new Error(`1:${i + 1}: parse error: unexpected character ${JSON.stringify(s[i] || "")}, expected string`);
  let out = "";
  let j = i + 1;
  const simple = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "\\": "\\", '"': '"', "'": "'" };
  while (j < s.length && s[j] !== q) {
    if (s[j] === "\\") {
      const c = s[j + 1];
      if (c in simple) {
        out += simple[c];
        j += 2;
        continue;
      }
      const len = c === "x" ? 2 : c === "u" ? 4 : c === "U" ? 8 : 0;
      if (!len) throw new Error(`1:${j + 1}: parse error: unknown escape sequence`);
      out += String.fromCodePoint(parseInt(s.slice(j + 2, j + 2 + len), 16));
      j += 2 + len;
      continue;
    }
    if (s[j] === "\n") throw new Error(`1:${j + 1}: parse error: unterminated quoted string`);
    out += s[j++];
  }
  if (j >= s.length) throw new Error(`1:${i + 1}: parse error: unterminated quoted string`);
  return [out, j + 1];
}

/**
 * Parse `{a="b", c="d"}` (optionally `metric{...}`, trailing comma, quoted UTF-8 names) as
 * Prometheus' ParseMetric does. Returns [[name, value], ...] in input order (duplicates kept, for
 * the validator to refuse).
 */
function parseLabelSet(str) {
  const s = String(str);
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const pairs = [];
  ws();
  const metric = NAME_RE.exec(s.slice(i));
  if (metric && s[i] !== "{") {
    pairs.push(["__name__", metric[0]]);
    i += metric[0].length;
    ws();
    if (i >= s.length) return pairs;
  }
  if (s[i] !== "{") throw new Error(`1:${i + 1}: parse error: unexpected ${i >= s.length ? "end of input" : JSON.stringify(s[i])}, expected "{"`);
  i++;
  for (;;) {
    ws();
    if (s[i] === "}") {
      i++;
      break;
    }
    let name;
    const nm = NAME_RE.exec(s.slice(i));
    if (nm) {
      name = nm[0];
      i += name.length;
    } else if (s[i] === '"') {
      [name, i] = readQuoted(s, i);
    } else {
      throw new Error(`1:${i + 1}: parse error: unexpected ${i >= s.length ? "end of input" : JSON.stringify(s[i])} in label set, expected identifier or "}"`);
    }
    ws();
    if (s[i] !== "=") throw new Error(`1:${i + 1}: parse error: unexpected ${i >= s.length ? "end of input" : JSON.stringify(s[i])} in label matching, expected "="`);
    i++;
    ws();
    let value;
    [value, i] = readQuoted(s, i);
    pairs.push([name, value]);
    ws();
    if (s[i] === ",") {
      i++;
      continue;
    }
    if (s[i] !== "}") throw new Error(`1:${i + 1}: parse error: unexpected ${i >= s.length ? "end of input" : JSON.stringify(s[i])} in label set, expected "," or "}"`);
  }
  ws();
  if (i < s.length) throw new Error(`1:${i + 1}: parse error: unexpected character after the label set`);
  return pairs;
}

/** Go's strconv.Quote for the ASCII/UTF-8 strings labels hold. */
function goQuote(v) {
  let out = '"';
  for (const ch of String(v)) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

/** labels.Labels.String(): sorted by name, `{a="1", b="2"}`. */
function labelsString(labels) {
  const names = Object.keys(labels).sort();
  return "{" + names.map((n) => `${NAME_RE.exec(n) && NAME_RE.exec(n)[0] === n ? n : goQuote(n)}=${goQuote(labels[n])}`).join(", ") + "}";
}

// ---- decoding ------------------------------------------------------------------------------------

function decompress(encoding, body) {
  switch (encoding) {
    case "":
    case "snappy": // snappy is part of the protobuf decoding below (Loki ignores this header value)
      return body;
    case "gzip":
      try {
        return zlib.gunzipSync(body);
      } catch (e) {
        throw new HttpError(400, /header/.test(e.message) ? "gzip: invalid header" : `gzip: ${e.message}`);
      }
    case "deflate":
      try {
        return zlib.inflateRawSync(body);
      } catch (e) {
        throw new HttpError(400, `flate: ${e.message}`);
      }
    default:
      throw new HttpError(400, `Content-Encoding ${JSON.stringify(encoding)} not supported`);
  }
}

/** `application/json; charset=utf-8` -> `application/json` (Go's mime.ParseMediaType, simplified). */
function mediaType(ctype) {
  const t = String(ctype || "").split(";")[0].trim().toLowerCase();
  if (t === "") throw new HttpError(400, "mime: no media type");
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t)) throw new HttpError(400, "mime: expected slash after first token");
  return t;
}

function nsOf(seconds, nanos) {
  return BigInt(seconds || 0) * 1000000000n + BigInt(nanos || 0);
}

/**
 * The number of bytes a snappy block's elements produce, or -1 when an element runs past the input
 * or copies from before the start. snappyjs decodes but does not check that the elements fill the
 * declared length; golang/snappy's Decode (what Loki uses) refuses such a block as ErrCorrupt, so
 * the double checks the element framing (lengths only, no data) the same way.
 */
function snappyProduced(buf) {
  let pos = 0;
  let shift = 0;
  while (pos < buf.length && buf[pos++] & 0x80) shift += 7; // skip the declared-length varint
  if (shift > 28) return -1;
  let produced = 0;
  while (pos < buf.length) {
    const c = buf[pos++];
    let len;
    let offset = 0;
    switch (c & 3) {
      case 0: {
        len = (c >>> 2) + 1;
        if (len > 60) {
          const extra = len - 60;
          if (pos + extra > buf.length) return -1;
          len = 0;
          for (let i = 0; i < extra; i++) len += buf[pos + i] * 2 ** (8 * i);
          len += 1;
          pos += extra;
        }
        if (pos + len > buf.length) return -1;
        pos += len;
        produced += len;
        continue;
      }
      case 1:
        if (pos + 1 > buf.length) return -1;
        len = ((c >>> 2) & 7) + 4;
        offset = ((c >>> 5) << 8) | buf[pos];
        pos += 1;
        break;
      case 2:
        if (pos + 2 > buf.length) return -1;
        len = (c >>> 2) + 1;
        offset = buf[pos] | (buf[pos + 1] << 8);
        pos += 2;
        break;
      default:
        if (pos + 4 > buf.length) return -1;
        len = (c >>> 2) + 1;
        offset = buf.readUInt32LE(pos);
        pos += 4;
    }
    if (offset === 0 || offset > produced) return -1;
    produced += len;
  }
  return produced;
}

/** A raw stream: {labels: string, entries: [{ts: BigInt, line, sm: {}|undefined}]}. */
function decodeProto(body) {
  let raw;
  try {
    raw = Buffer.from(snappy.uncompress(body));
  } catch {
    throw new HttpError(400, "snappy: corrupt input");
  }
  if (snappyProduced(body) !== raw.length) throw new HttpError(400, "snappy: corrupt input");
  let msg;
  try {
    msg = PushRequest.toObject(PushRequest.decode(raw), { longs: String, defaults: true });
  } catch (e) {
    throw new HttpError(400, `proto: ${e.message}`);
  }
  return msg.streams.map((s) => ({
    labels: s.labels,
    entries: s.entries.map((e) => ({
      ts: nsOf(e.timestamp ? e.timestamp.seconds : 0, e.timestamp ? e.timestamp.nanos : 0),
      line: e.line,
      sm: e.structuredMetadata.length ? Object.fromEntries(e.structuredMetadata.map((p) => [p.name, p.value])) : undefined,
    })),
  }));
}

/** Loki's JSON push body: {streams:[{stream:{k:v}, values:[["<ns>", "<line>", {sm}?], ...]}]}. */
function decodeJson(body) {
  let req;
  try {
    req = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new HttpError(400, `loghttp.PushRequest.Streams: ReadArray: ${e.message}`);
  }
  if (!req || typeof req !== "object" || (req.streams !== undefined && req.streams !== null && !Array.isArray(req.streams))) {
    throw new HttpError(400, "loghttp.PushRequest.Streams: ReadArray: expect [ or n");
  }
  return (req.streams || []).map((st) => {
    const labels = (st && st.stream) || {};
    if (typeof labels !== "object" || Array.isArray(labels)) throw new HttpError(400, "loghttp.PushRequest.Streams: []loghttp.LogProtoStream: Stream: ReadMapCB: expect { or n");
    for (const v of Object.values(labels)) {
      if (typeof v !== "string" && typeof v !== "number") throw new HttpError(400, `could not parse label value. Expected string or number, got ${typeof v}`);
    }
    const strLabels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
    const entries = (st.values || []).map((v) => {
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new HttpError(400, "error reading entry: array must have at least 2 and up to 3 values");
      if (typeof v[0] !== "string" || !/^-?\d+$/.test(v[0])) throw new HttpError(400, `error reading entry timestamp: strconv.ParseInt: parsing ${goQuote(String(v[0]))}: invalid syntax`);
      if (typeof v[1] !== "string") throw new HttpError(400, "error reading entry: the log line must be a string");
      let sm;
      if (v.length === 3) {
        if (!v[2] || typeof v[2] !== "object" || Array.isArray(v[2]) || !Object.values(v[2]).every((x) => typeof x === "string")) {
          throw new HttpError(400, "could not parse structured metadata or parsed fileds");
        }
        if (Object.keys(v[2]).length) sm = Object.assign({}, v[2]);
      }
      return { ts: BigInt(v[0]), line: v[1], sm };
    });
    return { labels: labelsString(strLabels), entries };
  });
}

/** Headers + body -> raw streams (throws HttpError with Loki's status and text). */
function decodePush(headers, body) {
  const encoding = String(headers["content-encoding"] || "");
  const decompressed = decompress(encoding, body);
  const type = mediaType(headers["content-type"]);
  return type === "application/json" ? decodeJson(decompressed) : decodeProto(decompressed);
}

// ---- labels: parse, service_name -----------------------------------------------------------------

/**
 * ParseLokiRequest's per-stream step: parse, drop empty values, add service_name. Returns
 * {labels: {name: value}, duplicates: [names]} or throws 400 "couldn't parse labels: ...".
 */
function streamLabels(labelString, discoverServiceName) {
  let pairs;
  try {
    pairs = parseLabelSet(labelString);
  } catch (e) {
    throw new HttpError(400, `couldn't parse labels: ${e.message}`);
  }
  const labels = {};
  const duplicates = [];
  for (const [k, v] of pairs) {
    if (v === "") continue; // WithoutEmpty: an empty value is an absent label
    if (k in labels) duplicates.push(k);
    labels[k] = v;
  }
  if (!(SERVICE_NAME in labels) && discoverServiceName.length > 0) {
    let name = SERVICE_UNKNOWN;
    for (const l of discoverServiceName) {
      if (labels[l]) {
        name = labels[l];
        break;
      }
    }
    labels[SERVICE_NAME] = name;
  }
  return { labels, duplicates };
}

// ---- validation ----------------------------------------------------------------------------------

/** Go's time.Time.Format(time.RFC3339) in UTC (the containers run in UTC). */
function rfc3339(ns) {
  const ms = Number(BigInt(ns) / 1000000n) - (BigInt(ns) < 0n && BigInt(ns) % 1000000n !== 0n ? 1 : 0);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function smSize(sm) {
  return sm ? Object.entries(sm).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0) : 0;
}

function validateLabels(limits, labels, duplicates, str) {
  const names = Object.keys(labels);
  if (names.length === 0) return "error at least one label pair is required per stream";
  let count = names.length + duplicates.length;
  if (SERVICE_NAME in labels) count--; // validator.go: service_name is often added by Loki itself
  if (count > limits.maxLabelNamesPerSeries) return `entry for stream '${str}' has ${count} label names; limit ${limits.maxLabelNamesPerSeries}`;
  for (const n of names.sort()) {
    if (Buffer.byteLength(n) > limits.maxLabelNameLength) return `stream '${str}' has label name too long: '${n}'`;
    if (Buffer.byteLength(labels[n]) > limits.maxLabelValueLength) return `stream '${str}' has label value too long: '${labels[n]}'`;
  }
  if (duplicates.length) return `stream '${str}' has duplicate label name: '${duplicates.sort()[0]}'`;
  return null;
}

function validateEntry(limits, nowNs, str, e) {
  const lineBytes = Buffer.byteLength(e.line);
  if (limits.rejectOldSamples) {
    const oldest = nowNs - BigInt(Math.round(limits.rejectOldSamplesMaxAgeMs)) * 1000000n;
    if (e.ts < oldest) return `entry for stream '${str}' has timestamp too old: ${rfc3339(e.ts)}, oldest acceptable timestamp is: ${rfc3339(oldest)}`;
  }
  if (e.ts > nowNs + BigInt(Math.round(limits.creationGracePeriodMs)) * 1000000n) return `entry for stream '${str}' has timestamp too new: ${rfc3339(e.ts)}`;
  if (limits.maxLineSize !== 0 && lineBytes > limits.maxLineSize) return `Max entry size '${limits.maxLineSize}' bytes exceeded for stream '${str}' while adding an entry with length '${lineBytes}' bytes`;
  if (e.sm) {
    const count = Object.keys(e.sm).length;
    const size = smSize(e.sm);
    if (!limits.allowStructuredMetadata) return `stream '${str}' includes structured metadata, but this feature is disallowed. Please see \`limits_config.allow_structured_metadata\` or contact your Loki administrator to enable it.`;
    if (limits.maxStructuredMetadataSize !== 0 && size > limits.maxStructuredMetadataSize) return `stream '${str}' has structured metadata too large: '${size}' bytes, limit: '${limits.maxStructuredMetadataSize}' bytes. Please see \`limits_config.max_structured_metadata_size\` or contact your Loki administrator to increase it.`;
    if (limits.maxStructuredMetadataCount !== 0 && count > limits.maxStructuredMetadataCount) return `stream '${str}' has too many structured metadata labels: '${count}', limit: '${limits.maxStructuredMetadataCount}'. Please see \`limits_config.max_structured_metadata_entries_count\` or contact your Loki administrator to increase it.`;
  }
  return null;
}

/** util.GroupedErrors.Error(): one message as is; otherwise "N errors like: msg" joined by "; ". */
function groupErrors(errors) {
  const counts = new Map();
  for (const e of errors) counts.set(e, (counts.get(e) || 0) + 1);
  const multi = counts.size > 1;
  return [...counts.entries()].map(([msg, n]) => (multi || n > 1 ? `${n} errors like: ${msg}` : msg)).join("; ");
}

/** golang.org/x/time/rate's token bucket as dskit's RateLimiter uses it (per tenant; one distributor). */
class RateLimiter {
  constructor(rateBytesPerSec, burstBytes) {
    this.rate = rateBytesPerSec;
    this.burst = burstBytes;
    this.tokens = burstBytes;
    this.last = undefined;
  }
  allowN(nowMs, n) {
    if (this.last !== undefined) this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.rate);
    this.last = nowMs;
    if (n > this.burst || n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * The distributor's Push: returns {status, body, accepted: [{labels, ts, line, sm}]}. Nothing is
 * accepted on a 422/429; on a 400 the valid entries are accepted and the body names the rest.
 */
function processPush(rawStreams, limits, limiter, nowMs) {
  if (rawStreams.length === 0) return { status: 422, body: "error at least one valid stream is required for ingestion", accepted: [] };
  // ParseLokiRequest first: one unparseable label set fails the whole request.
  const parsed = rawStreams.map((s) => Object.assign({ entries: s.entries }, streamLabels(s.labels, limits.discoverServiceName)));
  const nowNs = BigInt(nowMs) * 1000000n;
  const errors = [];
  const accepted = [];
  let bytes = 0;
  let lines = 0;
  for (const s of parsed) {
    if (s.entries.length === 0) continue;
    const str = labelsString(s.labels);
    const labelErr = validateLabels(limits, s.labels, s.duplicates, str);
    if (labelErr) {
      errors.push(labelErr);
      continue;
    }
    for (const e of s.entries) {
      const err = validateEntry(limits, nowNs, str, e);
      if (err) {
        errors.push(err);
        continue;
      }
      accepted.push({ labels: s.labels, ts: e.ts, line: e.line, sm: e.sm });
      bytes += Buffer.byteLength(e.line) + smSize(e.sm);
      lines++;
    }
  }
  const validation = errors.length ? groupErrors(errors) : null;
  if (accepted.length === 0) return validation ? { status: 400, body: validation, accepted: [] } : { status: 204, body: "", accepted: [] };
  if (!limiter.allowN(nowMs, bytes)) {
    return {
      status: 429,
      body: `Ingestion rate limit exceeded for user ${TENANT} (limit: ${Math.trunc(limiter.rate)} bytes/sec) while attempting to ingest '${lines}' lines totaling '${bytes}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased`,
      accepted: [],
    };
  }
  return validation ? { status: 400, body: validation, accepted } : { status: 204, body: "", accepted };
}

module.exports = { HttpError, decodePush, decodeProto, decodeJson, encodeProtoPush, parseLabelSet, labelsString, goQuote, streamLabels, processPush, groupErrors, RateLimiter, rfc3339, TENANT, SERVICE_NAME, SERVICE_UNKNOWN };
