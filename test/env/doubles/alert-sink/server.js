"use strict";
// Alert webhook SINK of the test environment (not a product, not an upstream imitation): the
// receiver Alertmanager's webhook integration posts to, so the L9 proof can read back what was
// delivered. Records Alertmanager webhook messages (notify/webhook/webhook.go, version "4") in a
// bounded ring and serves them as JSON. Node builtins only (plus ../lib/common.js, itself builtins).
const { parseFlags, send, sendJson, readBody, splitHostPort, serve, log } = require("../lib/common.js");

const SERVICE = "alert-sink";
/** Alertmanager posts one group per notification; a few KB each. 1 MiB refuses anything absurd. */
const MAX_BODY = 1024 * 1024;

/** Paths that accept notifications: /webhook and /hook/<name> (one sink, several receivers). */
function isHookPath(p) {
  return p === "/webhook" || /^\/hook\/[A-Za-z0-9._-]+$/.test(p);
}

/** A media type without parameters, lower-cased ("application/json; charset=utf-8" -> "application/json"). */
function mediaType(header) {
  return String(header || "").split(";")[0].trim().toLowerCase();
}

/**
 * Check a webhook message's shape (the fields the proof reads, with their JSON types). Returns the
 * problems; empty means accepted. Extra fields are kept: Alertmanager adds fields over time
 * (truncatedAlerts, commonAnnotations, notification_reason, routeLabels).
 */
function validateMessage(m) {
  const problems = [];
  const isObj = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
  const strMap = (v) => isObj(v) && Object.values(v).every((x) => typeof x === "string");
  if (!isObj(m)) return ["body is not a JSON object"];
  for (const k of ["version", "receiver", "status", "groupKey"]) if (typeof m[k] !== "string") problems.push(`${k} must be a string`);
  if (typeof m.externalURL !== "undefined" && typeof m.externalURL !== "string") problems.push("externalURL must be a string");
  for (const k of ["groupLabels", "commonLabels"]) if (m[k] !== undefined && !strMap(m[k])) problems.push(`${k} must map strings to strings`);
  if (!Array.isArray(m.alerts)) problems.push("alerts must be an array");
  else
    m.alerts.forEach((a, i) => {
      if (!isObj(a)) return problems.push(`alerts[${i}] must be an object`);
      if (typeof a.status !== "string") problems.push(`alerts[${i}].status must be a string`);
      if (!strMap(a.labels)) problems.push(`alerts[${i}].labels must map strings to strings`);
      if (a.annotations !== undefined && !strMap(a.annotations)) problems.push(`alerts[${i}].annotations must map strings to strings`);
      for (const k of ["startsAt", "endsAt", "fingerprint"]) if (a[k] !== undefined && typeof a[k] !== "string") problems.push(`alerts[${i}].${k} must be a string`);
    });
  return problems;
}

/** The last `capacity` notifications, oldest first; `seq` numbers them from 1 since the start. */
class Ring {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = [];
    this.seq = 0;
    this.dropped = 0;
  }
  push(entry) {
    this.seq++;
    this.items.push(Object.assign({ seq: this.seq }, entry));
    if (this.items.length > this.capacity) {
      this.items.shift();
      this.dropped++;
    }
    return this.seq;
  }
}

/** The request handler over a ring; `now()` injectable for tests. */
function createHandler({ ring, now = () => Date.now() }) {
  return async (req, res, url) => {
    const p = url.pathname;
    if (p === "/-/ready" || p === "/-/healthy") {
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n");
      return send(res, 200, "OK");
    }
    if (p === "/received") {
      if (req.method !== "GET") return send(res, 405, "method not allowed\n");
      // ?receiver=<name> narrows the answer (the proof filters itself, this is for people reading it).
      const receiver = url.searchParams.get("receiver");
      const list = receiver === null ? ring.items : ring.items.filter((n) => n.payload.receiver === receiver);
      // `now` lets a reader judge the age of each notification by the sink's own clock.
      return sendJson(res, 200, { now: new Date(now()).toISOString(), capacity: ring.capacity, total: ring.seq, dropped: ring.dropped, notifications: list });
    }
    if (isHookPath(p)) {
      if (req.method !== "POST") return send(res, 405, "method not allowed\n");
      // Alertmanager's PostJSON sends Content-Type application/json; anything else is not its message.
      if (mediaType(req.headers["content-type"]) !== "application/json") return send(res, 400, "Content-Type must be application/json\n");
      const body = await readBody(req, MAX_BODY);
      let msg;
      try {
        msg = JSON.parse(body.toString("utf8"));
      } catch {
        return send(res, 400, "body is not JSON\n");
      }
      const problems = validateMessage(msg);
      if (problems.length) return send(res, 400, `not an Alertmanager webhook message: ${problems.join("; ")}\n`);
      const seq = ring.push({ receivedAt: new Date(now()).toISOString(), path: p, payload: msg });
      log(SERVICE, "notification", { seq, path: p, receiver: msg.receiver, status: msg.status, alerts: msg.alerts.length });
      return sendJson(res, 200, { status: "recorded", seq });
    }
    return send(res, 404, "404 page not found\n");
  };
}

function main() {
  const { flags } = parseFlags(process.argv.slice(2));
  const [host, port] = splitHostPort(flags["listen-address"] || process.env.ALERT_SINK_LISTEN, "0.0.0.0", 8080);
  const capacity = Number(flags.capacity || process.env.ALERT_SINK_CAPACITY || 200);
  if (!Number.isInteger(capacity) || capacity < 1) {
    process.stderr.write(`alert-sink: --capacity must be a positive integer, got ${JSON.stringify(flags.capacity)}\n`);
    process.exit(2);
  }
  log(SERVICE, "starting alert webhook sink", { host, port, capacity });
  serve(SERVICE, host, port, createHandler({ ring: new Ring(capacity) }));
}

module.exports = { createHandler, Ring, validateMessage, isHookPath, MAX_BODY };
if (require.main === module) main();
