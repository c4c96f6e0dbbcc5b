"use strict";
// Alloy's HTTP client settings (grafana/alloy internal/component/common/config/types.go
// HTTPClientConfig, squashed into loki.write's and prometheus.remote_write's `endpoint` and into
// prometheus.scrape) and a client that sends requests with them, as prometheus/common's
// NewClientFromConfig does: basic_auth (username + password | password_file, the file read and
// TrimSpace'd at every request), bearer_token / bearer_token_file / authorization (an
// `Authorization: <type> <credentials>` header), tls_config (ca_pem | ca_file, cert/key for client
// certificates, server_name, insecure_skip_verify, min_version), extra headers. Errors read as Go's
// net/http client reports them (`Post "<url>": <cause>`), TLS verification failures in Go's x509
// words. Validation messages are Alloy's (Validate of HTTPClientConfig, BasicAuth, TLSConfig).
// Not done: oauth2, proxies, HTTP/2 (requests go out as HTTP/1.1), following redirects.
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");
const { AlloyExpr } = require("../lib/alloy-syntax.js");

/** A config Alloy would refuse (or that names what the double does not implement). */
class ConfigError extends Error {}

/** A literal attribute value, or `sys.env("NAME")` (Alloy: "" when unset); other expressions are not run. */
function literal(v, where) {
  if (v instanceof AlloyExpr || (v && typeof v === "object" && typeof v.expr === "string" && Array.isArray(v.refs))) {
    const call = v.call;
    if (call && (call.fn === "sys.env" || call.fn === "env") && call.args.length === 1 && typeof call.args[0] === "string") return process.env[call.args[0]] ?? "";
    throw new ConfigError(`${where}: the expression ${v.expr} is not evaluated by the Alloy test double (literals and sys.env only)`);
  }
  if (Array.isArray(v)) return v.map((x) => literal(x, where));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, literal(x, where)]));
  return v;
}

/** A block's attributes as literals, refusing names the block does not have (Alloy: unrecognized attribute name). */
function attrsOf(block, allowed, where) {
  const out = {};
  for (const [k, v] of Object.entries(block.attrs)) {
    if (!allowed.includes(k)) throw new ConfigError(`${where}: unrecognized attribute name ${JSON.stringify(k)}`);
    out[k] = literal(v, `${where}.${k}`);
  }
  return out;
}

const str = (v, where) => {
  if (v === undefined) return "";
  if (typeof v !== "string") throw new ConfigError(`${where}: expected string, got ${typeof v}`);
  return v;
};
const bool = (v, def, where) => {
  if (v === undefined) return def;
  if (typeof v !== "boolean") throw new ConfigError(`${where}: expected bool, got ${typeof v}`);
  return v;
};

const TLS_ATTRS = ["ca_pem", "ca_file", "cert_pem", "cert_file", "key_pem", "key_file", "server_name", "insecure_skip_verify", "min_version"];
const TLS_VERSIONS = { TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3" };
/** Attributes HTTPClientConfig squashes into its parent block (blocks: basic_auth, authorization, tls_config). */
const HTTP_CLIENT_ATTRS = ["bearer_token", "bearer_token_file", "follow_redirects", "enable_http2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header", "http_headers"];

function tlsOf(block, where) {
  if (!block) return { insecureSkipVerify: false };
  const a = attrsOf(block, TLS_ATTRS, where);
  const t = {
    ca: str(a.ca_pem, `${where}.ca_pem`),
    caFile: str(a.ca_file, `${where}.ca_file`),
    cert: str(a.cert_pem, `${where}.cert_pem`),
    certFile: str(a.cert_file, `${where}.cert_file`),
    key: str(a.key_pem, `${where}.key_pem`),
    keyFile: str(a.key_file, `${where}.key_file`),
    serverName: str(a.server_name, `${where}.server_name`),
    insecureSkipVerify: bool(a.insecure_skip_verify, false, `${where}.insecure_skip_verify`),
    minVersion: str(a.min_version, `${where}.min_version`),
  };
  if (t.ca && t.caFile) throw new ConfigError("at most one of ca_pem and ca_file must be configured");
  if (t.cert && t.certFile) throw new ConfigError("at most one of cert_pem and cert_file must be configured");
  if (t.key && t.keyFile) throw new ConfigError("at most one of key_pem and key_file must be configured");
  const cert = Boolean(t.cert || t.certFile);
  const key = Boolean(t.key || t.keyFile);
  if (cert && !key) throw new ConfigError("exactly one of key_pem or key_file must be configured when a client certificate is configured");
  if (key && !cert) throw new ConfigError("exactly one of cert_pem or cert_file must be configured when a client key is configured");
  if (t.minVersion && !TLS_VERSIONS[t.minVersion]) throw new ConfigError(`unknown TLS version: ${t.minVersion}`);
  return t;
}

/**
 * The HTTP client settings of a block that squashes HTTPClientConfig (an `endpoint`, a
 * prometheus.scrape): {basicAuth?, authorization?, tls, followRedirects, enableHttp2, headers}.
 * `attrs` are the block's attributes already read as literals.
 */
function httpClientOf(block, attrs, where) {
  const sub = (name) => {
    const found = block.blocks.filter((b) => b.name === name);
    if (found.length > 1) throw new ConfigError(`${where}: block ${JSON.stringify(name)} may only be specified once`);
    return found[0];
  };
  if (sub("oauth2")) throw new ConfigError(`${where}: oauth2 is not implemented by the Alloy test double`);
  if (attrs.proxy_url !== undefined || attrs.proxy_from_environment === true) throw new ConfigError(`${where}: proxies are not implemented by the Alloy test double`);
  const ba = sub("basic_auth");
  const az = sub("authorization");
  const c = { tls: tlsOf(sub("tls_config"), `${where}.tls_config`), followRedirects: bool(attrs.follow_redirects, true, `${where}.follow_redirects`), enableHttp2: bool(attrs.enable_http2, true, `${where}.enable_http2`), headers: {} };
  const bearer = str(attrs.bearer_token, `${where}.bearer_token`);
  const bearerFile = str(attrs.bearer_token_file, `${where}.bearer_token_file`);
  if ([ba, az, bearer, bearerFile].filter(Boolean).length > 1) throw new ConfigError("at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured");
  if (ba) {
    const a = attrsOf(ba, ["username", "password", "password_file"], `${where}.basic_auth`);
    c.basicAuth = { username: str(a.username, "username"), password: str(a.password, "password"), passwordFile: str(a.password_file, "password_file") };
    if (c.basicAuth.password && c.basicAuth.passwordFile) throw new ConfigError("at most one of basic_auth password & password_file must be configured");
  }
  if (az) {
    const a = attrsOf(az, ["type", "credentials", "credentials_file"], `${where}.authorization`);
    const type = str(a.type, "type").trim() || "Bearer";
    if (type.toLowerCase() === "basic") throw new ConfigError('authorization type cannot be set to "basic", use "basic_auth" block instead');
    c.authorization = { type, credentials: str(a.credentials, "credentials"), credentialsFile: str(a.credentials_file, "credentials_file") };
    if (c.authorization.credentials && c.authorization.credentialsFile) throw new ConfigError("at most one of authorization credentials & credentials_file must be configured");
  }
  if (bearer) c.authorization = { type: "Bearer", credentials: bearer, credentialsFile: "" };
  if (bearerFile) c.authorization = { type: "Bearer", credentials: "", credentialsFile: bearerFile };
  if (attrs.http_headers && typeof attrs.http_headers === "object") {
    for (const [k, v] of Object.entries(attrs.http_headers)) c.headers[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return c;
}

/** prometheus/common's FileSecret: the file read at each request, surrounding space trimmed. */
function readSecretFile(file) {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new Error(`unable to read file ${file}: open ${file}: ${e.code === "ENOENT" ? "no such file or directory" : e.code === "EACCES" ? "permission denied" : e.message}`);
  }
}

/** The authentication header the client adds (none when the request has one already). */
function authHeader(c) {
  if (c.basicAuth) {
    let password = c.basicAuth.password;
    if (c.basicAuth.passwordFile) {
      try {
        password = readSecretFile(c.basicAuth.passwordFile);
      } catch (e) {
        throw new Error(`unable to read basic auth password: ${e.message}`);
      }
    }
    return `Basic ${Buffer.from(`${c.basicAuth.username}:${password}`).toString("base64")}`;
  }
  if (c.authorization) {
    let cred = c.authorization.credentials;
    if (c.authorization.credentialsFile) {
      try {
        cred = readSecretFile(c.authorization.credentialsFile);
      } catch (e) {
        throw new Error(`unable to read authorization credentials: ${e.message}`);
      }
    }
    return `${c.authorization.type} ${cred}`;
  }
  return undefined;
}

/** Node's TLS options for the client's tls_config (files read per connection, as Go re-reads changed ones). */
function tlsOptions(t) {
  const o = { rejectUnauthorized: !t.insecureSkipVerify, minVersion: TLS_VERSIONS[t.minVersion] || "TLSv1.2" };
  if (t.ca) o.ca = t.ca;
  else if (t.caFile) o.ca = fs.readFileSync(t.caFile, "utf8");
  if (t.cert || t.certFile) o.cert = t.cert || fs.readFileSync(t.certFile, "utf8");
  if (t.key || t.keyFile) o.key = t.key || fs.readFileSync(t.keyFile, "utf8");
  if (t.serverName) o.servername = t.serverName;
  return o;
}

const UNKNOWN_AUTHORITY = new Set(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"]);

/** crypto/x509 HostnameError.Error() for a certificate's subjectAltName list and the name dialled. */
function hostnameError(subjectAltName, host) {
  const sans = subjectAltName.split(/,\s*/).filter(Boolean);
  const ips = sans.filter((n) => n.startsWith("IP Address:")).map((n) => n.slice("IP Address:".length));
  const dns = sans.filter((n) => n.startsWith("DNS:")).map((n) => n.slice("DNS:".length));
  const isIp = /^[0-9.]+$/.test(host) || host.includes(":");
  if (isIp && ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
  const valid = (isIp ? ips : dns).join(", ");
  if (!valid) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${valid}, not ${host}`;
}

/** A transport error in Go's words (net/http and crypto/x509). */
function goCause(e, u) {
  if (UNKNOWN_AUTHORITY.has(e.code)) return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
  if (e.code === "CERT_HAS_EXPIRED" || e.code === "CERT_NOT_YET_VALID") return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
  if (e.code === "ERR_TLS_CERT_ALTNAME_INVALID") return `tls: failed to verify certificate: ${hostnameError(String((e.cert && e.cert.subjectaltname) || ""), e.host || u.hostname)}`;
  if (e.code === "ECONNREFUSED") return `dial tcp ${u.host}: connect: connection refused`;
  if (e.code === "ETIMEDOUT_DOUBLE") return "context deadline exceeded";
  if (e.code === "EPROTO" || /SSL|TLS/i.test(String(e.code))) return `tls: ${e.message}`;
  return e.message;
}

/**
 * Send one request with the client settings: resolves {status, statusText, headers, body}; rejects
 * with Go's `<Method> "<url>": <cause>` for transport errors (TLS, refused, timeout).
 */
function request(client, url, { method = "GET", headers = {}, body, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const goMethod = method[0] + method.slice(1).toLowerCase();
    const fail = (cause) => reject(Object.assign(new Error(`${goMethod} "${url}": ${cause}`), { transport: true }));
    const h = {};
    for (const [k, vs] of Object.entries(client.headers || {})) h[k] = vs.length === 1 ? vs[0] : vs;
    Object.assign(h, headers);
    if (body !== undefined) h["Content-Length"] = body.length;
    let options;
    try {
      const has = Object.keys(h).some((k) => k.toLowerCase() === "authorization");
      const auth = has ? undefined : authHeader(client);
      if (auth) h.Authorization = auth;
      options = { method, host: u.hostname, port: u.port || (u.protocol === "https:" ? 443 : 80), path: u.pathname + u.search, headers: h };
      if (u.protocol === "https:") Object.assign(options, tlsOptions(client.tls || {}), { agent: false });
      else if (u.protocol !== "http:") return fail(`unsupported protocol scheme "${u.protocol.replace(/:$/, "")}"`);
    } catch (e) {
      return fail(e.message);
    }
    const req = (u.protocol === "https:" ? https : http).request(options, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, statusText: res.statusMessage || "", headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", (e) => fail(goCause(e, u)));
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT_DOUBLE" })), timeoutMs);
    req.on("close", () => clearTimeout(timer));
    req.on("error", (e) => fail(goCause(e, u)));
    req.end(body);
  });
}

/** Go's http.Response.Status: "401 Unauthorized". */
function goStatus(res) {
  return `${res.status} ${http.STATUS_CODES[res.status] || res.statusText || ""}`.trim();
}

module.exports = { hostnameError, ConfigError, literal, attrsOf, httpClientOf, HTTP_CLIENT_ATTRS, request, goStatus, tlsOptions, authHeader };
