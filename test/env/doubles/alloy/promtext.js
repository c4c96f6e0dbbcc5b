"use strict";
// The Prometheus text exposition format (0.0.4, and 1.0.0's quoted UTF-8 names), parsed as
// Prometheus' model/textparse PromParser reads it for a scrape:
//   `# HELP <name> <text>` (escapes \\ and \n), `# TYPE <name> counter|gauge|histogram|summary|
//   untyped`, any other `#` line a comment, blank lines skipped; a sample is
//   `<name>[{<label>="<value>",...}] <value> [<timestamp ms>]`, blanks and tabs between tokens,
//   a trailing comma allowed in the label set, label values with the escapes \\ \" \n; in 1.0.0 a
//   quoted name may stand inside the braces (`{"my.metric", a="b"}`) and label names may be quoted.
//   Values as Go's strconv.ParseFloat reads them (decimal, exponent, Inf/Infinity/NaN in any case,
//   signed), without p/P/_ (Prometheus refuses those); timestamps are int64 milliseconds.
// Checks the scrape makes after parsing (scrape.go append): names valid under the legacy scheme
// (Alloy's default metric_name_validation_scheme), no label name twice. Any error fails the
// whole scrape. Empty label values are dropped (labels.Builder). OpenMetrics and the protobuf
// format are not parsed here (the scrape reports them as not implemented).
// Pure functions.

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NAME_CHARS = /[a-zA-Z0-9_:]/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

class ParseError extends Error {}

/** Go's strconv.ParseFloat as Prometheus' parseFloat allows it; undefined when it does not parse. */
function parseValue(s) {
  if (/[pP_]/.test(s)) return undefined;
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s[0] === "-" ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

function unescapeHelp(s) {
  return s.replace(/\\(\\|n)/g, (_, c) => (c === "n" ? "\n" : "\\"));
}

/** Read a quoted string at line[i] === '"': [value, next index]; escapes \\ \" \n. */
function readQuoted(line, i, lineNo) {
  let out = "";
  let j = i + 1;
  while (j < line.length && line[j] !== '"') {
    if (line[j] === "\\") {
      const c = line[j + 1];
      if (c === "\\") out += "\\";
      else if (c === '"') out += '"';
      else if (c === "n") out += "\n";
      else throw new ParseError(`line ${lineNo}: invalid escape sequence \\${c ?? ""} in label value`);
      j += 2;
      continue;
    }
    out += line[j++];
  }
  if (j >= line.length) throw new ParseError(`line ${lineNo}: unterminated quoted string`);
  return [out, j + 1];
}

const skipBlank = (line, i) => {
  while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
  return i;
};

function readName(line, i) {
  let j = i;
  while (j < line.length && NAME_CHARS.test(line[j])) j++;
  return [line.slice(i, j), j];
}

/** One sample line: {name, labels: [[name, value], ...], value, timestampMs?}. */
function parseSample(line, lineNo) {
  let i = 0;
  let name;
  const labels = [];
  if (line[0] === "{") {
    name = "";
  } else {
    [name, i] = readName(line, 0);
    if (!name) throw new ParseError(`line ${lineNo}: expected a metric name, got ${JSON.stringify(line[0])}`);
  }
  const brace = skipBlank(line, i);
  if (line[brace] === "{") {
    i = skipBlank(line, brace + 1);
    let first = true;
    while (line[i] !== "}") {
      if (i >= line.length) throw new ParseError(`line ${lineNo}: unterminated label set`);
      let lname;
      if (line[i] === '"') {
        [lname, i] = readQuoted(line, i, lineNo);
        i = skipBlank(line, i);
        if (first && name === "" && (line[i] === "," || line[i] === "}")) {
          // 1.0.0: the quoted metric name inside the braces.
          name = lname;
          first = false;
          if (line[i] === ",") i = skipBlank(line, i + 1);
          continue;
        }
      } else {
        [lname, i] = readName(line, i);
        if (!lname || !LABEL_NAME.test(lname)) throw new ParseError(`line ${lineNo}: invalid label name ${JSON.stringify(lname || line[i] || "")}`);
        i = skipBlank(line, i);
      }
      first = false;
      if (line[i] !== "=") throw new ParseError(`line ${lineNo}: expected "=" after label name ${JSON.stringify(lname)}`);
      i = skipBlank(line, i + 1);
      if (line[i] !== '"') throw new ParseError(`line ${lineNo}: expected a quoted label value for ${JSON.stringify(lname)}`);
      let value;
      [value, i] = readQuoted(line, i, lineNo);
      labels.push([lname, value]);
      i = skipBlank(line, i);
      if (line[i] === ",") i = skipBlank(line, i + 1);
      else if (i >= line.length) throw new ParseError(`line ${lineNo}: unterminated label set`);
      else if (line[i] !== "}") throw new ParseError(`line ${lineNo}: expected "," or "}" in label set`);
    }
    i++;
    if (name === "") throw new ParseError(`line ${lineNo}: a sample without a metric name`);
  }
  const rest = line.slice(i);
  if (rest.length && rest[0] !== " " && rest[0] !== "\t") throw new ParseError(`line ${lineNo}: expected a blank before the value`);
  const fields = rest.trim().split(/[ \t]+/).filter(Boolean);
  if (fields.length === 0) throw new ParseError(`line ${lineNo}: expected a value after the metric`);
  if (fields.length > 2) throw new ParseError(`line ${lineNo}: unexpected ${JSON.stringify(fields[2])} after the timestamp`);
  const value = parseValue(fields[0]);
  if (value === undefined) throw new ParseError(`line ${lineNo}: strconv.ParseFloat: parsing ${JSON.stringify(fields[0])}: invalid syntax`);
  const out = { name, labels, value };
  if (fields.length === 2) {
    if (!/^-?\d+$/.test(fields[1])) throw new ParseError(`line ${lineNo}: invalid timestamp ${JSON.stringify(fields[1])}`);
    out.timestampMs = Number(fields[1]);
  }
  return out;
}

/**
 * Parse an exposition: {samples: [{name, labels: {name: value}, value, timestampMs?}],
 * metadata: {family: {type, help}}}. Throws ParseError with the line number.
 */
function parseText(text) {
  const samples = [];
  const metadata = {};
  const lines = text.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const line = raw.replace(/^[ \t]+/, "");
    if (line === "") return;
    if (line[0] === "#") {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+("(?:[^"\\]|\\.)*"|[^ \t]+)(?:[ \t]+(.*))?$/.exec(line);
      if (!m) return; // a comment
      const family = m[2][0] === '"' ? readQuoted(m[2], 0, lineNo)[0] : m[2];
      const entry = (metadata[family] = metadata[family] || { type: "unknown", help: "" });
      if (m[1] === "HELP") entry.help = unescapeHelp(m[3] ?? "");
      else {
        const t = (m[3] ?? "").trim();
        if (!TYPES.has(t)) throw new ParseError(`line ${lineNo}: invalid metric type ${JSON.stringify(t)}`);
        entry.type = t === "untyped" ? "unknown" : t;
      }
      return;
    }
    const s = parseSample(line, lineNo);
    if (!METRIC_NAME.test(s.name)) throw new ParseError(`invalid metric name or label names: ${JSON.stringify(s.name)}`);
    const labels = {};
    for (const [k, v] of s.labels) {
      if (!LABEL_NAME.test(k)) throw new ParseError(`invalid metric name or label names: label ${JSON.stringify(k)}`);
      if (k in labels || k === "__name__") throw new ParseError(`label name ${JSON.stringify(k)} is not unique: invalid sample`);
      if (v !== "") labels[k] = v;
    }
    const sample = { name: s.name, labels, value: s.value };
    if (s.timestampMs !== undefined) sample.timestampMs = s.timestampMs;
    samples.push(sample);
  });
  return { samples, metadata };
}

/** The parser a Content-Type selects (Prometheus textparse.New with Alloy's fallback PrometheusText0.0.4). */
function formatOf(contentType) {
  const media = String(contentType || "").split(";")[0].trim().toLowerCase();
  if (media === "application/openmetrics-text") return "openmetrics";
  if (media === "application/vnd.google.protobuf") return "protobuf";
  return "text";
}

module.exports = { parseText, parseValue, formatOf, ParseError, METRIC_NAME, LABEL_NAME };
