"use strict";
// The e-mail side of the alert sink: a minimal SMTP server (RFC 5321, with RFC 4954 AUTH PLAIN and
// LOGIN) that is a real peer for Alertmanager's email notifier (notify/email/email.go over Go's
// net/smtp, v0.27.0 and v0.35.0). What that client does, and what the sink therefore answers:
// - reads a 220 greeting, sends `EHLO <hello>` (smtp_hello, default "localhost"), reads the
//   multi-line 250 reply: the first line is the greeting, every later line `KEYWORD params` is an
//   extension (keys taken as written, so they are upper-case here);
// - require_tls true needs STARTTLS advertised; the sink offers no STARTTLS (use require_tls false);
// - when AUTH is advertised and auth_username is set, it walks the advertised mechanisms IN THE
//   SERVER'S ORDER and takes the first of CRAM-MD5 (needs auth_secret), PLAIN, LOGIN (need a
//   password); with AUTH not advertised it sends without authenticating. Go's PLAIN refuses to send
//   a password over a connection without TLS unless the server name is localhost, 127.0.0.1 or ::1
//   ("unencrypted connection"), so the sink advertises LOGIN before PLAIN by default: a smarthost
//   on another address (the test environment's bridge gateway) then authenticates with LOGIN.
//   LOGIN: `AUTH LOGIN`, 334 "Username:", 334 "Password:" (base64; compared case-insensitively);
//   PLAIN: `AUTH PLAIN <base64 of authzid NUL user NUL password>`. After a refused AUTH (535) the
//   client sends `*` and QUIT;
// - `MAIL FROM:<a>` (+ ` BODY=8BITMIME` when 8BITMIME is advertised), one `RCPT TO:<b>` per address
//   (any 25x), `DATA` (354), the dot-stuffed message ending in CRLF.CRLF (250), `QUIT` (221).
// Bounded: line length, message size, recipients, errors and failed AUTHs per connection, idle time
// and concurrent connections. Node builtins only (net, crypto).
const net = require("node:net");
const crypto = require("node:crypto");

const DEFAULT_LIMITS = Object.freeze({
  maxLineBytes: 1000, // RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF
  maxMessageBytes: 1024 * 1024, // advertised as SIZE; Alertmanager's default HTML mail is tens of KB
  maxRecipients: 100, // RFC 5321 4.5.3.1.8: at least 100 must be accepted
  maxErrors: 20, // unrecognised or out-of-sequence commands per connection
  maxAuthFailures: 3,
  idleMs: 60_000,
  maxConnections: 32,
});

/** How long a connection may linger after the sink's closing reply. */
const CLOSE_GRACE_MS = 2000;

/** The mechanisms the sink can check; the order given is the order advertised. */
const MECHANISMS = ["LOGIN", "PLAIN"];

/** Constant-time string equality (lengths may differ). */
function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Strict base64 (RFC 4648, padded) to a string, or null. */
function decodeBase64(s) {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, "base64").toString("utf8");
}

/** A path of MAIL FROM / RCPT TO: `FROM:<addr> params` -> {addr, params}, or null. */
function parsePath(arg, keyword) {
  const m = new RegExp(`^${keyword}:\\s*<([^<>\\s]*)>(?:\\s+(.*))?$`, "i").exec(arg);
  if (!m || m[1].length > 256) return null;
  return { addr: m[1], params: m[2] ? m[2].trim().split(/\s+/) : [] };
}

/**
 * One SMTP conversation, without sockets: feed(bytes) returns { replies, close }; each reply is a
 * complete reply (lines joined with CRLF, without the final CRLF). `record(message)` stores a
 * received message and returns its sequence number. `auth` is null (AUTH not offered, mail taken
 * without it) or { username, password, mechanisms } (AUTH offered and required before MAIL).
 */
class SmtpSession {
  constructor({ hostname = "alert-sink", auth = null, limits = {}, record, log = () => {} }) {
    this.hostname = hostname;
    this.auth = auth;
    this.limits = Object.assign({}, DEFAULT_LIMITS, limits);
    this.record = record;
    this.log = log;
    this.pending = Buffer.alloc(0);
    this.helo = null;
    this.esmtp = false;
    this.user = null;
    this.authStep = null; // { mech, step: "plain" | "username" | "password", username }
    this.tx = null; // { from, rcpts }
    this.data = null; // { chunks, size }
    this.errors = 0;
    this.authFailures = 0;
    this.closed = false;
  }

  greeting() {
    return `220 ${this.hostname} ESMTP ready`;
  }

  feed(chunk) {
    const out = { replies: [], close: false };
    if (this.closed) return Object.assign(out, { close: true });
    this.pending = Buffer.concat([this.pending, chunk]);
    let nl;
    while (!this.closed && (nl = this.pending.indexOf(0x0a)) >= 0) {
      const line = this.pending.subarray(0, nl + 1);
      this.pending = this.pending.subarray(nl + 1);
      if (line.length > this.limits.maxLineBytes) {
        this.reply(out, "500 5.5.6 Line too long", true);
        break;
      }
      const text = line.subarray(0, line.length - (line.length >= 2 && line[line.length - 2] === 0x0d ? 2 : 1));
      if (this.data) this.dataLine(out, text);
      else if (this.authStep) this.authLine(out, text.toString("utf8"));
      else this.command(out, text.toString("utf8"));
    }
    if (!this.closed && this.pending.length > this.limits.maxLineBytes) this.reply(out, "500 5.5.6 Line too long", true);
    out.close = this.closed;
    return out;
  }

  reply(out, text, close = false) {
    out.replies.push(text);
    if (close) this.closed = true;
  }

  /** An error reply; too many of them end the connection. */
  fail(out, text) {
    this.errors++;
    this.reply(out, text);
    if (this.errors >= this.limits.maxErrors) this.reply(out, "421 4.7.0 Too many errors, closing connection", true);
  }

  command(out, line) {
    const sp = line.indexOf(" ");
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? "" : line.slice(sp + 1).trim();
    switch (verb) {
      case "EHLO":
      case "HELO":
        if (!arg) return this.fail(out, `501 5.5.4 Syntax: ${verb} hostname`);
        this.helo = arg;
        this.esmtp = verb === "EHLO";
        this.tx = null;
        if (!this.esmtp) return this.reply(out, `250 ${this.hostname}`);
        return this.reply(out, this.ehloLines(arg).map((l, i, a) => `250${i === a.length - 1 ? " " : "-"}${l}`).join("\r\n"));
      case "AUTH":
        return this.authStart(out, arg);
      case "MAIL":
        return this.mail(out, arg);
      case "RCPT":
        return this.rcpt(out, arg);
      case "DATA":
        if (arg) return this.fail(out, "501 5.5.4 Syntax: DATA");
        if (!this.tx || this.tx.rcpts.length === 0) return this.fail(out, "503 5.5.1 Need RCPT command");
        this.data = { chunks: [], size: 0 };
        return this.reply(out, "354 End data with <CR><LF>.<CR><LF>");
      case "RSET":
        if (arg) return this.fail(out, "501 5.5.4 Syntax: RSET");
        this.tx = null;
        return this.reply(out, "250 2.0.0 Ok");
      case "NOOP":
        return this.reply(out, "250 2.0.0 Ok");
      case "QUIT":
        return this.reply(out, `221 2.0.0 ${this.hostname} closing connection`, true);
      case "VRFY":
        return this.reply(out, "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
      case "HELP":
        return this.reply(out, `214 2.0.0 Commands: EHLO HELO ${this.auth ? "AUTH " : ""}MAIL RCPT DATA RSET NOOP VRFY QUIT`);
      case "STARTTLS":
      case "EXPN":
      case "TURN":
        return this.fail(out, "502 5.5.1 Command not implemented");
      default:
        return this.fail(out, "500 5.5.2 Command not recognized");
    }
  }

  ehloLines(domain) {
    const lines = [`${this.hostname} greets ${domain}`, `SIZE ${this.limits.maxMessageBytes}`, "8BITMIME"];
    if (this.auth) lines.push(`AUTH ${this.auth.mechanisms.join(" ")}`);
    lines.push("ENHANCEDSTATUSCODES");
    return lines;
  }

  mail(out, arg) {
    if (!this.helo) return this.fail(out, "503 5.5.1 Send EHLO or HELO first");
    if (this.auth && !this.user) return this.fail(out, "530 5.7.0 Authentication required");
    if (this.tx) return this.fail(out, "503 5.5.1 Nested MAIL command");
    const p = parsePath(arg, "FROM");
    if (!p) return this.fail(out, "501 5.1.7 Syntax: MAIL FROM:<address>");
    for (const param of p.params) {
      const [k, v] = param.split("=");
      const key = k.toUpperCase();
      if (key === "SIZE" && /^\d+$/.test(v || "")) {
        if (Number(v) > this.limits.maxMessageBytes) return this.fail(out, "552 5.3.4 Message size exceeds fixed maximum message size");
      } else if (key === "BODY" && /^(7BIT|8BITMIME)$/i.test(v || "")) {
        // both fine: the sink stores bytes as received
      } else return this.fail(out, `555 5.5.4 Unsupported parameter ${key}`);
    }
    this.tx = { from: p.addr, rcpts: [] };
    return this.reply(out, "250 2.1.0 Ok");
  }

  rcpt(out, arg) {
    if (!this.tx) return this.fail(out, "503 5.5.1 Need MAIL command");
    const p = parsePath(arg, "TO");
    if (!p || !p.addr) return this.fail(out, "501 5.1.3 Syntax: RCPT TO:<address>");
    if (p.params.length) return this.fail(out, `555 5.5.4 Unsupported parameter ${p.params[0].split("=")[0].toUpperCase()}`);
    if (this.tx.rcpts.length >= this.limits.maxRecipients) return this.reply(out, "452 4.5.3 Too many recipients");
    this.tx.rcpts.push(p.addr);
    return this.reply(out, "250 2.1.5 Ok");
  }

  dataLine(out, text) {
    if (text.length === 1 && text[0] === 0x2e) return this.dataEnd(out);
    const line = text[0] === 0x2e ? text.subarray(1) : text; // dot-unstuffing (RFC 5321 4.5.2)
    this.data.size += line.length + 2;
    if (this.data.size > this.limits.maxMessageBytes) {
      this.data = null;
      this.tx = null;
      return this.reply(out, "552 5.3.4 Message size exceeds fixed maximum message size", true);
    }
    this.data.chunks.push(line, Buffer.from("\r\n"));
  }

  dataEnd(out) {
    const message = Buffer.concat(this.data.chunks);
    const { from, rcpts } = this.tx;
    this.data = null;
    this.tx = null;
    const seq = this.record({ helo: this.helo, authenticatedAs: this.user, from, to: rcpts, message });
    return this.reply(out, `250 2.0.0 Ok: queued as ${seq}`);
  }

  authStart(out, arg) {
    if (!this.auth) return this.fail(out, "502 5.5.1 AUTH not available");
    if (!this.esmtp) return this.fail(out, "503 5.5.1 Send EHLO first");
    if (this.user) return this.fail(out, "503 5.5.1 Already authenticated");
    if (this.tx) return this.fail(out, "503 5.5.1 AUTH not permitted during a mail transaction");
    const [mechRaw, initial, extra] = arg.split(/\s+/);
    const mech = (mechRaw || "").toUpperCase();
    if (!mech || extra !== undefined) return this.fail(out, "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
    if (!this.auth.mechanisms.includes(mech)) return this.fail(out, "504 5.5.4 Unrecognized authentication type");
    if (mech === "PLAIN") {
      if (initial === undefined) {
        this.authStep = { mech, step: "plain" };
        return this.reply(out, "334 ");
      }
      return this.authPlain(out, initial === "=" ? "" : initial);
    }
    if (initial === undefined) {
      this.authStep = { mech, step: "username" };
      return this.reply(out, `334 ${Buffer.from("Username:").toString("base64")}`);
    }
    return this.authLogin(out, { mech, step: "username" }, initial === "=" ? "" : initial);
  }

  authLine(out, line) {
    const step = this.authStep;
    this.authStep = null;
    if (line === "*") return this.fail(out, "501 5.0.0 Authentication aborted");
    if (step.step === "plain") return this.authPlain(out, line);
    return this.authLogin(out, step, line);
  }

  authPlain(out, b64) {
    const s = decodeBase64(b64);
    if (s === null) return this.fail(out, "501 5.5.2 Cannot decode response");
    const f = s.split("\u0000");
    if (f.length !== 3) return this.authResult(out, "PLAIN", null, null);
    const [authzid, username, password] = f;
    // An authorization identity other than the user's own is not granted.
    return this.authResult(out, "PLAIN", authzid === "" || authzid === username ? username : null, password);
  }

  authLogin(out, step, b64) {
    const s = decodeBase64(b64);
    if (s === null) return this.fail(out, "501 5.5.2 Cannot decode response");
    if (step.step === "username") {
      this.authStep = { mech: "LOGIN", step: "password", username: s };
      return this.reply(out, `334 ${Buffer.from("Password:").toString("base64")}`);
    }
    return this.authResult(out, "LOGIN", step.username, s);
  }

  authResult(out, mech, username, password) {
    const ok = username !== null && password !== null && safeEqual(username, this.auth.username) && safeEqual(password, this.auth.password);
    if (ok) {
      this.user = username;
      this.log("smtp auth", { mechanism: mech, user: username, result: "ok" });
      return this.reply(out, "235 2.7.0 Authentication successful");
    }
    this.authFailures++;
    this.log("smtp auth", { mechanism: mech, result: "refused" });
    this.reply(out, "535 5.7.8 Authentication credentials invalid");
    if (this.authFailures >= this.limits.maxAuthFailures) this.reply(out, "421 4.7.0 Too many failed authentications, closing connection", true);
  }
}

/**
 * A net.Server speaking SmtpSession on each connection: greeting on connect, replies written with
 * CRLF, the socket ended after a closing reply, 421 on idle timeout or when maxConnections are busy.
 * `options` as SmtpSession's (hostname, auth, limits, record, log).
 */
function createSmtpServer(options) {
  const limits = Object.assign({}, DEFAULT_LIMITS, options.limits || {});
  const log = options.log || (() => {});
  let open = 0;
  const server = net.createServer((socket) => {
    socket.on("error", (err) => log("smtp connection error", { error: String(err && err.message) }));
    const write = (text) => {
      if (!socket.destroyed && !socket.writableEnded) socket.write(`${text}\r\n`);
    };
    // After the sink's last reply: end our side, and drop the connection a little later whatever
    // the peer does (it may still be sending, e.g. after 552).
    const finish = () => {
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    };
    if (open >= limits.maxConnections) {
      write("421 4.3.2 Too many connections, try again later");
      return finish();
    }
    open++;
    socket.on("close", () => open--);
    const session = new SmtpSession(Object.assign({}, options, { limits }));
    socket.setTimeout(limits.idleMs);
    socket.on("timeout", () => {
      if (socket.writableEnded) return socket.destroy();
      write(`421 4.4.2 ${session.hostname} idle timeout, closing connection`);
      finish();
    });
    write(session.greeting());
    socket.on("data", (chunk) => {
      if (socket.writableEnded) return;
      let res;
      try {
        res = session.feed(chunk);
      } catch (err) {
        log("smtp session failed", { level: "error", error: String(err && err.message) });
        res = { replies: ["451 4.3.0 Local error in processing"], close: true };
      }
      for (const r of res.replies) write(r);
      if (res.close) finish();
    });
  });
  return server;
}

module.exports = { SmtpSession, createSmtpServer, parsePath, decodeBase64, safeEqual, DEFAULT_LIMITS, MECHANISMS };
