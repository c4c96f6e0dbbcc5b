"use strict";
// The LogQL subset the Loki double understands, as pure functions (unit-tested directly):
//   {name op "value", ...} [ |= "text" | != "text" | |~ "re" | !~ "re" ]*
// with op one of = != =~ !~. Label regexes are fully anchored (Prometheus semantics); line-filter
// regexes are not. Anything else (parsers, metric queries) is a parse error, answered with 400.

class LogQLError extends Error {}

/** Go/RE2-flavoured regex source -> JS RegExp. Leading inline flags such as (?i) become JS flags. */
function re2ToRegExp(src, anchored) {
  let flags = "";
  let body = src;
  const m = /^\(\?([imsU]+)\)/.exec(body);
  if (m) {
    for (const f of m[1]) if (f !== "U" && !flags.includes(f)) flags += f;
    body = body.slice(m[0].length);
  }
  try {
    return new RegExp(anchored ? `^(?:${body})$` : body, flags);
  } catch (e) {
    throw new LogQLError(`invalid regex ${JSON.stringify(src)}: ${e.message}`);
  }
}

/** Read a "double-quoted" (Go escapes) or `raw` string at position i; returns [value, nextIndex]. */
function readString(q, i) {
  const quote = q[i];
  if (quote === "`") {
    const end = q.indexOf("`", i + 1);
    if (end < 0) throw new LogQLError("unterminated raw string");
    return [q.slice(i + 1, end), end + 1];
  }
  if (quote !== '"') throw new LogQLError(`expected a string at position ${i}`);
  let j = i + 1;
  let out = "";
  while (j < q.length && q[j] !== '"') {
    if (q[j] === "\\") {
      const n = q[j + 1];
      const simple = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "'": "'", a: "\x07", b: "\b", f: "\f", v: "\v" };
      if (n in simple) {
        out += simple[n];
        j += 2;
        continue;
      }
      if (n === "u" || n === "x") {
        const len = n === "u" ? 4 : 2;
        out += String.fromCharCode(parseInt(q.slice(j + 2, j + 2 + len), 16));
        j += 2 + len;
        continue;
      }
      throw new LogQLError(`invalid escape \\${n}`);
    }
    out += q[j++];
  }
  if (j >= q.length) throw new LogQLError("unterminated string");
  return [out, j + 1];
}

function skipWs(q, i) {
  while (i < q.length && /\s/.test(q[i])) i++;
  return i;
}

/** Parse a query into {matchers:[{name,op,value,re}], filters:[{op,value,re}]}. */
function parseQuery(q) {
  let i = skipWs(q, 0);
  if (q[i] !== "{") throw new LogQLError("parse error: queries must start with a stream selector {...}");
  i++;
  const matchers = [];
  for (;;) {
    i = skipWs(q, i);
    if (q[i] === "}") {
      i++;
      break;
    }
    const nm = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(q.slice(i));
    if (!nm) throw new LogQLError(`parse error at ${i}: expected a label name`);
    i = skipWs(q, i + nm[0].length);
    const om = /^(=~|!~|!=|=)/.exec(q.slice(i));
    if (!om) throw new LogQLError(`parse error at ${i}: expected one of = != =~ !~`);
    i = skipWs(q, i + om[0].length);
    const [value, next] = readString(q, i);
    i = skipWs(q, next);
    const m = { name: nm[0], op: om[0], value };
    if (m.op === "=~" || m.op === "!~") m.re = re2ToRegExp(value, true);
    matchers.push(m);
    if (q[i] === ",") {
      i++;
      continue;
    }
    if (q[i] !== "}") throw new LogQLError(`parse error at ${i}: expected , or }`);
  }
  if (matchers.length === 0) throw new LogQLError("parse error: stream selector needs at least one matcher");
  // Loki refuses selectors that would match every stream.
  if (!matchers.some((m) => !matchLabel(m, ""))) {
    throw new LogQLError(
      "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
    );
  }
  const filters = [];
  for (;;) {
    i = skipWs(q, i);
    if (i >= q.length) break;
    const fm = /^(\|=|!=|\|~|!~)/.exec(q.slice(i));
    if (!fm) throw new LogQLError(`parse error at ${i}: only line filters (|= != |~ !~) are supported by the Loki double`);
    i = skipWs(q, i + fm[0].length);
    const [value, next] = readString(q, i);
    i = next;
    const f = { op: fm[0], value };
    if (f.op === "|~" || f.op === "!~") f.re = re2ToRegExp(value, false);
    filters.push(f);
  }
  return { matchers, filters };
}

function matchLabel(m, actual) {
  const v = actual === undefined ? "" : actual;
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return m.re.test(v);
    default:
      return !m.re.test(v);
  }
}

function matchesStream(parsed, labels) {
  return parsed.matchers.every((m) => matchLabel(m, labels[m.name]));
}

function matchesLine(parsed, line) {
  return parsed.filters.every((f) => {
    switch (f.op) {
      case "|=":
        return line.includes(f.value);
      case "!=":
        return !line.includes(f.value);
      case "|~":
        return f.re.test(line);
      default:
        return !f.re.test(line);
    }
  });
}

/**
 * Loki's timestamp parameters (pkg/loghttp/params.go parseTimestamp): a value with a "." that
 * parses as a float is Unix seconds, its fraction rounded to milliseconds (as Loki does, in float64);
 * an integer of at most 10 characters is seconds, a longer one nanoseconds; else RFC3339(Nano).
 * Returns BigInt nanoseconds. The error text is the double's own; the server wraps it in Loki's.
 */
function parseTimestamp(value, def) {
  if (value === undefined || value === null || value === "") return def;
  if (value.includes(".") && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    const t = Number(value);
    const s = Math.trunc(t);
    const msFrac = Math.round((t - s) * 1000);
    return BigInt(s) * 1000000000n + BigInt(msFrac) * 1000000n;
  }
  if (/^[+-]?\d+$/.test(value)) return value.length <= 10 ? BigInt(value) * 1000000000n : BigInt(value);
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (!m) throw new LogQLError(`cannot parse "${value}" to a valid timestamp`);
  const ms = Date.parse(m[1] + m[4]);
  if (Number.isNaN(ms)) throw new LogQLError(`cannot parse "${value}" to a valid timestamp`);
  return BigInt(ms) * 1000000n + BigInt(((m[3] || "") + "000000000").slice(0, 9));
}

/** Canonical key of a label set (sorted), as Loki prints it: {a="1", b="2"}. */
function labelsKey(labels) {
  const names = Object.keys(labels).sort();
  return "{" + names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(", ") + "}";
}

module.exports = { LogQLError, parseQuery, matchesStream, matchesLine, parseTimestamp, labelsKey, re2ToRegExp, readString };
