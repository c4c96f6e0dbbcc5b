"use strict";
// Alloy's JSON encoding of component bodies (syntax/encoding/alloyjson in grafana/alloy, as the
// component API serves `arguments`, `exports` and `debugInfo`): a body is a list of statements,
// `{name, type:"attr", value}` or `{name, type:"block", label?, body}`; a value is
// `{type, value}` with type string | number | bool | null | array | object | capsule | function;
// an object's value is a list of `{key, value}` (keys sorted for Go maps); durations are Go's
// Duration.String() ("15s", "12h0m0s"). Pure functions.

const str = (v) => ({ type: "string", value: v });
const num = (v) => ({ type: "number", value: v });
const bool = (v) => ({ type: "bool", value: v });
const capsule = (v) => ({ type: "capsule", value: v });
const array = (items) => ({ type: "array", value: items });
/** An object with sorted keys (a Go map's keys have no order, so Alloy sorts them). */
const object = (fields) => ({ type: "object", value: Object.keys(fields).sort().map((k) => ({ key: k, value: fields[k] })) });
const attr = (name, value) => ({ name, type: "attr", value });
const block = (name, body, label) => (label ? { name, type: "block", label, body } : { name, type: "block", body });

/** A map of strings as an Alloy object value. */
const stringObject = (m) => object(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, str(v)])));

const UNIT_NS = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; undefined when it does not parse. */
function parseGoDuration(s) {
  if (s === "0") return 0;
  const m = /^([+-]?)((?:[0-9]*\.?[0-9]+(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const part of m[2].matchAll(/([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_NS[part[2]];
  return m[1] === "-" ? -total : total;
}

/** Go's Duration.String(). */
function formatGoDuration(ns) {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  let n = Math.abs(Math.round(ns));
  const trim = (x) => x.replace(/\.?0+$/, "");
  if (n < 1e9) {
    if (n < 1e3) return `${sign}${n}ns`;
    if (n < 1e6) return `${sign}${trim((n / 1e3).toFixed(3))}µs`;
    return `${sign}${trim((n / 1e6).toFixed(6))}ms`;
  }
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const mi = Math.floor(n / 60e9);
  n -= mi * 60e9;
  const sec = `${trim((n / 1e9).toFixed(9))}s`;
  if (h > 0) return `${sign}${h}h${mi}m${sec}`;
  if (mi > 0) return `${sign}${mi}m${sec}`;
  return `${sign}${sec}`;
}

/** A duration as Alloy prints it; the text as written when it does not parse. */
function duration(s) {
  const ns = parseGoDuration(s);
  return ns === undefined ? s : formatGoDuration(ns);
}

/** Prometheus' model.LabelSet.String(): `{a="1", b="2"}`, names sorted. */
function labelSetString(labels) {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(", ")}}`;
}

module.exports = { str, num, bool, capsule, array, object, attr, block, stringObject, parseGoDuration, formatGoDuration, duration, labelSetString };
