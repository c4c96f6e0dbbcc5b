"use strict";
// Retry timing and the argument units of Alloy's writers. Pure functions and small state holders.
//   DskitBackoff   grafana/dskit backoff (what loki.write's client uses): the first delay is drawn
//                  from [min, 2*min), each next range doubles, both ends capped at max; NextDelay
//                  counts a retry; Ongoing while max_retries is 0 or not reached.
//   promBackoff    prometheus storage/remote QueueManager.sendWriteRequestWithBackoff: min_backoff,
//                  doubled after each retry up to max_backoff, no jitter, no limit on retries; a
//                  Retry-After the server sent replaces the next sleep.
const { parseGoDuration } = require("./alloyjson.js");

/** A Go duration attribute in milliseconds; `def` when absent; a config error text when it does not parse. */
function durationMs(v, def, where) {
  if (v === undefined) return def;
  const ns = typeof v === "string" ? parseGoDuration(v) : undefined;
  if (ns === undefined) throw new Error(`${where}: invalid duration ${JSON.stringify(v)}`);
  return ns / 1e6;
}

const BASE2 = { B: 1, KB: 1024, KiB: 1024, MB: 1024 ** 2, MiB: 1024 ** 2, GB: 1024 ** 3, GiB: 1024 ** 3, TB: 1024 ** 4, TiB: 1024 ** 4, PB: 1024 ** 5, PiB: 1024 ** 5 };

/** alecthomas/units ParseBase2Bytes ("1MiB", "512KB", "1MiB512KiB"; KB = KiB = 1024 bytes). */
function parseBase2Bytes(s) {
  if (typeof s !== "string" || s === "") return undefined;
  if (s === "0") return 0;
  let total = 0;
  let rest = s;
  while (rest.length) {
    const m = /^([0-9]+)(PiB|TiB|GiB|MiB|KiB|PB|TB|GB|MB|KB|B)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * BASE2[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

function bytesArg(v, def, where) {
  if (v === undefined) return def;
  const n = parseBase2Bytes(v);
  if (n === undefined) throw new Error(`${where}: invalid size ${JSON.stringify(v)}`);
  return n;
}

class DskitBackoff {
  /** minMs, maxMs, maxRetries (0: forever); random() in [0, 1). */
  constructor(minMs, maxMs, maxRetries, random = Math.random) {
    this.min = minMs;
    this.max = maxMs;
    this.maxRetries = maxRetries;
    this.random = random;
    this.numRetries = 0;
    this.nextMin = minMs;
    this.nextMax = Math.min(minMs * 2, maxMs);
  }
  ongoing() {
    return this.maxRetries === 0 || this.numRetries < this.maxRetries;
  }
  /** The next sleep in ms; counts one retry. */
  nextDelay() {
    this.numRetries++;
    if (this.nextMin >= this.nextMax) return this.nextMin;
    const sleep = this.nextMin + Math.floor(this.random() * (this.nextMax - this.nextMin));
    if (this.nextMax < this.max) {
      this.nextMin = Math.min(this.nextMin * 2, this.max);
      this.nextMax = Math.min(this.nextMax * 2, this.max);
    }
    return sleep;
  }
}

/** Prometheus' Retry-After: an HTTP date or whole seconds, else undefined (then the backoff decides). */
function retryAfterMs(header, now = Date.now()) {
  if (typeof header !== "string" || header === "") return undefined;
  if (/^[0-9]+$/.test(header)) return Number(header) * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

module.exports = { durationMs, parseBase2Bytes, bytesArg, DskitBackoff, retryAfterMs };
