"use strict";
// Alert SINK of the test environment (not a product, not an upstream imitation): the peer
// Alertmanager's webhook, Slack and email integrations deliver to, so proofs can read back what
// was delivered. Records Alertmanager webhook messages (notify/webhook/webhook.go, version "4"),
// Slack incoming-webhook posts (slack.js) and SMTP mail (smtp.js, mail.js) in one bounded ring and
// serves them as JSON. Node builtins only (plus ../lib/common.js, itself builtins).
const fs = require("node:fs");
const { parseFlags, send, sendJson, readBody, splitHostPort, serve, log } = require("../lib/common.js");
const { isSlackPath, slackName, validateSlackMessage, SLACK_OK } = require("./slack.js");
const { createSmtpServer, MECHANISMS, DEFAULT_LIMITS } = require("./smtp.js");
const { parseMessage } = require("./mail.js");

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

/**
 * The last `capacity` notifications of every kind, oldest first; `seq` numbers them from 1 since the
 * start, `totals` counts each kind since the start.
 */
class Ring {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = [];
    this.seq = 0;
    this.dropped = 0;
    this.totals = { webhook: 0, slack: 0, email: 0 };
  }
  push(entry) {
    this.seq++;
    if (entry.kind in this.totals) this.totals[entry.kind]++;
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
      // ?kind=webhook|slack|email and ?receiver=<name> (a webhook message's receiver) narrow the
      // answer (the proof filters itself, this is for people reading it).
      const kind = url.searchParams.get("kind");
      const receiver = url.searchParams.get("receiver");
      const list = ring.items.filter((n) => (kind === null || n.kind === kind) && (receiver === null || (n.payload !== undefined && n.payload.receiver === receiver)));
      // `now` lets a reader judge the age of each notification by the sink's own clock.
      return sendJson(res, 200, { now: new Date(now()).toISOString(), capacity: ring.capacity, total: ring.seq, dropped: ring.dropped, totals: ring.totals, notifications: list });
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
      const seq = ring.push({ kind: "webhook", receivedAt: new Date(now()).toISOString(), path: p, payload: msg });
      log(SERVICE, "notification", { seq, kind: "webhook", path: p, receiver: msg.receiver, status: msg.status, alerts: msg.alerts.length });
      return sendJson(res, 200, { status: "recorded", seq });
    }
    if (isSlackPath(p)) {
      if (req.method !== "POST") return send(res, 405, "method not allowed\n");
      // As an incoming webhook: 400 with Slack's error string for what it cannot take, 200 `ok`
      // (exactly these two bytes, not JSON: what Alertmanager requires of a non-JSON answer).
      const body = await readBody(req, MAX_BODY);
      let msg;
      try {
        if (mediaType(req.headers["content-type"]) !== "application/json") throw new Error("Content-Type is not application/json");
        msg = JSON.parse(body.toString("utf8"));
      } catch (err) {
        log(SERVICE, "slack message refused", { path: p, error: "invalid_payload", problems: [String(err.message)] });
        return send(res, 400, "invalid_payload");
      }
      const { error, problems } = validateSlackMessage(msg);
      if (error) {
        log(SERVICE, "slack message refused", { path: p, error, problems });
        return send(res, 400, error);
      }
      const seq = ring.push({ kind: "slack", receivedAt: new Date(now()).toISOString(), path: p, name: slackName(p), slack: msg });
      const att = Array.isArray(msg.attachments) && msg.attachments[0] ? msg.attachments[0] : {};
      log(SERVICE, "notification", { seq, kind: "slack", path: p, channel: msg.channel, title: att.title });
      return send(res, SLACK_OK.status, SLACK_OK.body);
    }
    return send(res, 404, "404 page not found\n");
  };
}

/** Record a received e-mail (smtp.js's record callback) in the ring as kind "email"; log injectable. */
function emailRecorder(ring, { now = () => Date.now(), logLine = (msg, fields) => log(SERVICE, msg, fields) } = {}) {
  return ({ helo, authenticatedAs, from, to, message }) => {
    const m = parseMessage(message);
    const email = { helo, authenticatedAs, from, to, size: message.length, subject: m.subject, headers: m.headers, parts: m.parts };
    const seq = ring.push({ kind: "email", receivedAt: new Date(now()).toISOString(), email });
    logLine("notification", { seq, kind: "email", from, to, subject: m.subject, size: message.length });
    return seq;
  };
}

/**
 * The SMTP side's settings from flags and environment: { options } or { error }. Credentials:
 * --smtp-auth-username (ALERT_SINK_SMTP_AUTH_USERNAME) with --smtp-auth-password-file or
 * ALERT_SINK_SMTP_AUTH_PASSWORD; both or neither. `readFile` injectable for tests.
 */
function smtpSettings(flags, env, readFile = (f) => fs.readFileSync(f, "utf8")) {
  const [host, port] = splitHostPort(flags["smtp-address"] || env.ALERT_SINK_SMTP_LISTEN, "0.0.0.0", 1025);
  const limits = {};
  for (const [flag, key] of [["smtp-max-message-bytes", "maxMessageBytes"], ["smtp-idle-timeout-ms", "idleMs"], ["smtp-max-connections", "maxConnections"]]) {
    if (flags[flag] === undefined) continue;
    const n = Number(flags[flag]);
    if (!Number.isInteger(n) || n < 1) return { error: `--${flag} must be a positive integer, got ${JSON.stringify(flags[flag])}` };
    limits[key] = n;
  }
  const username = flags["smtp-auth-username"] || env.ALERT_SINK_SMTP_AUTH_USERNAME || "";
  let password = env.ALERT_SINK_SMTP_AUTH_PASSWORD || "";
  if (flags["smtp-auth-password-file"]) {
    try {
      password = readFile(flags["smtp-auth-password-file"]).replace(/\r?\n$/, "");
    } catch (err) {
      return { error: `--smtp-auth-password-file: cannot read it (${err.code || err.message})` };
    }
  }
  if (Boolean(username) !== Boolean(password)) return { error: "SMTP AUTH needs both a username and a password (or neither)" };
  const mechanisms = String(flags["smtp-auth-mechanisms"] || MECHANISMS.join(",")).toUpperCase().split(",").filter(Boolean);
  const unknown = mechanisms.filter((m) => !MECHANISMS.includes(m));
  if (unknown.length || mechanisms.length === 0) return { error: `--smtp-auth-mechanisms: a comma-separated list of ${MECHANISMS.join(", ")}, got ${JSON.stringify(flags["smtp-auth-mechanisms"])}` };
  const auth = username ? { username, password, mechanisms } : null;
  return { options: { host, port, hostname: flags["smtp-hostname"] || "alert-sink", auth, limits: Object.assign({}, DEFAULT_LIMITS, limits) } };
}

function main() {
  const { flags } = parseFlags(process.argv.slice(2));
  const [host, port] = splitHostPort(flags["listen-address"] || process.env.ALERT_SINK_LISTEN, "0.0.0.0", 8080);
  const capacity = Number(flags.capacity || process.env.ALERT_SINK_CAPACITY || 200);
  if (!Number.isInteger(capacity) || capacity < 1) {
    process.stderr.write(`alert-sink: --capacity must be a positive integer, got ${JSON.stringify(flags.capacity)}\n`);
    process.exit(2);
  }
  const smtp = smtpSettings(flags, process.env);
  if (smtp.error) {
    process.stderr.write(`alert-sink: ${smtp.error}\n`);
    process.exit(2);
  }
  const o = smtp.options;
  const ring = new Ring(capacity);
  log(SERVICE, "starting alert sink", { host, port, capacity, smtp: `${o.host}:${o.port}`, smtpAuth: o.auth ? { user: o.auth.username, mechanisms: o.auth.mechanisms } : "off" });
  serve(SERVICE, host, port, createHandler({ ring }));
  const server = createSmtpServer({ hostname: o.hostname, auth: o.auth, limits: o.limits, record: emailRecorder(ring), log: (msg, fields) => log(SERVICE, msg, fields) });
  server.on("error", (err) => {
    process.stderr.write(`alert-sink: SMTP on ${o.host}:${o.port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(o.port, o.host, () => log(SERVICE, "smtp listening", { addr: `${o.host}:${server.address().port}` }));
}

module.exports = { createHandler, Ring, validateMessage, isHookPath, emailRecorder, smtpSettings, MAX_BODY };
if (require.main === module) main();
