"use strict";
// Shared helpers for the test doubles. Plain JavaScript: the doubles run in an image that holds
// the host's node binary, its libraries, busybox and the few npm modules build-images.sh copies in
// (re2js, yaml, protobufjs, snappyjs); this file itself uses node builtins only.
const http = require("node:http");

/** Parse Go-flag style args: `-a=b`, `--a=b`, `-a b`, `--a b`, bare `--flag`; positionals kept. */
function parseFlags(argv) {
  const flags = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-" || a === "--") {
      positionals.push(a);
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    if (eq >= 0) flags[body.slice(0, eq)] = body.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("-")) flags[body] = argv[++i];
    else flags[body] = "true";
  }
  return { flags, positionals };
}

function log(service, msg, fields) {
  const rec = Object.assign({ ts: new Date().toISOString(), level: "info", service, msg }, fields || {});
  process.stdout.write(JSON.stringify(rec) + "\n");
}

function send(res, status, body, contentType) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body === undefined ? "" : String(body));
  res.writeHead(status, { "Content-Type": contentType || "text/plain; charset=utf-8", "Content-Length": buf.length });
  res.end(buf);
}

function sendJson(res, status, obj) {
  send(res, status, JSON.stringify(obj), "application/json");
}

/** Read a request body, bounded in size (a double must not be taken down by a big push). */
function readBody(req, maxBytes) {
  const limit = maxBytes || 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error(`body larger than ${limit} bytes`), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Split "host:port" / ":port" / "[::]:port" into [host, port]. */
function splitHostPort(addr, defHost, defPort) {
  if (!addr) return [defHost, defPort];
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m) return [addr, defPort];
  let host = m[1].replace(/^\[|\]$/g, "");
  if (host === "") host = "0.0.0.0";
  return [host, Number(m[2])];
}

/** A node request listener around route(req, res, url) (may be async; errors become 500 text). */
function handler(service, route) {
  return (req, res) => {
    const url = new URL(req.url || "/", "http://double.local");
    Promise.resolve()
      .then(() => route(req, res, url))
      .catch((err) => {
        log(service, "request failed", { level: "error", path: url.pathname, error: String(err && err.message) });
        if (!res.headersSent) send(res, (err && err.status) || 500, String((err && err.message) || err) + "\n");
      });
  };
}

/** Start an HTTP server for route (see handler); exits at once on SIGTERM/SIGINT. */
function serve(service, host, port, route) {
  const server = http.createServer(handler(service, route));
  server.listen(port, host, () => log(service, "listening", { addr: `${host}:${port}` }));
  // State is written synchronously as it changes, so a stop can exit at once (docker stop is fast).
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return server;
}

/** `v1.2.1`, `3.0.0`, `13.2.0-test` -> [major, minor, patch]; undefined for a tag that is not a version. */
function parseVersion(tag) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?$/.exec(String(tag || ""));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * True when the version a double imitates (its DOUBLE_VERSION) is at least `min`. A tag that is
 * not a version counts as the newest, so a double without a version tag behaves as its default.
 */
function versionAtLeast(tag, min) {
  const v = parseVersion(tag);
  const m = parseVersion(min);
  if (!v) return true;
  for (let i = 0; i < 3; i++) if (v[i] !== m[i]) return v[i] > m[i];
  return true;
}

module.exports = { parseFlags, log, send, sendJson, readBody, splitHostPort, handler, serve, parseVersion, versionAtLeast };
