"use strict";
// Grafana TEST DOUBLE (not Grafana). Implements the HTTP API of Grafana 13 the stack and its proofs
// use; ../README.md says exactly what it does and does not do, with the upstream source of each
// behaviour.
//   GET  /api/health                                  {commit, database:"ok", version}   (no auth)
//   GET  /api/search?type=dash-db|dash-folder&query=&tag=&dashboardUIDs=&folderUIDs=&limit=&page=
//   GET  /api/dashboards/uid/<uid>                    dashboard + meta (meta.provisioned)
//   GET  /api/datasources, /api/datasources/uid/<uid>, /api/datasources/uid/<uid>/health
//   POST /api/admin/provisioning/dashboards/reload
//   GET  /api/user                                    the signed-in user {id, login, isGrafanaAdmin, ...}
// Everything except /api/health needs basic auth with the admin user and password. As in Grafana,
// GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD (or their __FILE variants) apply only when
// the admin user is created: on the first start against an empty data dir. The credential is then
// stored in the data dir (grafana-double-admin.json, a salted hash) and later starts ignore the
// variables; `grafana cli admin reset-admin-password` (cli.js) rewrites it. It is re-read on every
// request, as Grafana reads its database. Failed logins count towards Grafana's brute-force login
// protection (5 in 5 minutes lock the user out), kept in the data dir like Grafana's login_attempt
// table. Provisioning runs after start, asynchronously, then on each provider's interval.
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const YAML = require("yaml");
const { log, send, sendJson, serve, readBody } = require("../lib/common.js");

const SERVICE = "grafana-double";
const VERSION = process.env.DOUBLE_VERSION || "13.2.0";
const COMMIT = "testenv-double";

/** GF_X__FILE=<path> -> GF_X=<file contents without trailing newlines> (like Grafana's run.sh). */
function expandFileEnv(env) {
  const out = Object.assign({}, env);
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith("GF_") && k.endsWith("__FILE") && v) {
      out[k.slice(0, -"__FILE".length)] = fs.readFileSync(v, "utf8").replace(/\n+$/, "");
    }
  }
  return out;
}

/**
 * A provisioning file's list (`providers:` / `datasources:`), parsed with the YAML library. Kept
 * flat as before for the fields the double reads: nested `options` keys (path,
 * foldersFromFilesStructure) are lifted onto the item; jsonData stays nested.
 */
function parseYamlList(text, listKey) {
  const doc = YAML.parse(text);
  const list = doc && Array.isArray(doc[listKey]) ? doc[listKey] : [];
  return list.map((item) => {
    const out = {};
    for (const [k, v] of Object.entries(item || {})) {
      if (k === "options" && v && typeof v === "object") Object.assign(out, v);
      else out[k] = v;
    }
    return out;
  });
}

function slugify(title) {
  return String(title)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Grafana's util.IsValidShortUID / IsShortUIDTooLong: [a-zA-Z0-9-_]*, at most 40 characters. */
function uidProblem(uid) {
  if (!/^[a-zA-Z0-9_-]*$/.test(uid)) return "uid contains illegal characters";
  if (uid.length > 40) return "uid too long, max 40 characters";
  return null;
}

function walkJson(dir, depth) {
  let out = [];
  if (depth > 8) return out;
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out = out.concat(walkJson(p, depth + 1));
    else if (e.name.endsWith(".json")) out.push(p);
  }
  return out;
}

class Dashboards {
  constructor(provisioningDir, stateFile, logger) {
    this.dir = path.join(provisioningDir, "dashboards");
    this.log = logger || ((msg, fields) => log(SERVICE, msg, fields));
    // Grafana keeps provisioned dashboards in its database (the data volume): with
    // disableDeletion a dashboard outlives its file, across restarts too. The double persists the
    // same set here.
    this.stateFile = stateFile;
    this.byUid = new Map(); // uid -> {uid,title,tags,folder,json,file,provider}
    this.folders = new Map(); // title -> uid
    this.lastScan = new Map(); // provider name -> ms
    this.nextId = 1;
    this.ids = new Map();
    this.errors = []; // the last scan's skipped files {file, error}
    if (stateFile) {
      try {
        for (const d of JSON.parse(fs.readFileSync(stateFile, "utf8"))) this.byUid.set(d.uid, d);
      } catch {
        /* first start: no state yet */
      }
    }
  }
  persist() {
    if (!this.stateFile) return;
    const tmp = this.stateFile + ".tmp";
    fs.writeFileSync(tmp, JSON.stringify([...this.byUid.values()]));
    fs.renameSync(tmp, this.stateFile);
  }
  providers() {
    let files = [];
    try {
      files = fs.readdirSync(this.dir).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch {
      return [];
    }
    const out = [];
    for (const f of files) {
      try {
        for (const p of parseYamlList(fs.readFileSync(path.join(this.dir, f), "utf8"), "providers")) {
          if ((p.type || "file") === "file" && p.path) out.push(p);
        }
      } catch (e) {
        this.log("cannot read provider file", { level: "error", file: f, error: e.message });
      }
    }
    return out;
  }
  idFor(uid) {
    if (!this.ids.has(uid)) this.ids.set(uid, this.nextId++);
    return this.ids.get(uid);
  }
  folderUid(title) {
    if (!this.folders.has(title)) this.folders.set(title, crypto.createHash("sha256").update(`folder:${title}`).digest("hex").slice(0, 14));
    return this.folders.get(title);
  }
  /** Shortest provider interval (ms): how often the provisioning loop wakes up. */
  pollMs() {
    const ivs = this.providers().map((p) => Number(p.updateIntervalSeconds === undefined ? 10 : p.updateIntervalSeconds) * 1000);
    return Math.max(1000, Math.min(10000, ...ivs));
  }
  /**
   * Rescan providers whose interval elapsed (or all when forced). A file that is not valid JSON,
   * or whose dashboard has an invalid uid or no title, is skipped with an error log, as Grafana's
   * file reader does (it is not saved, so not served).
   */
  refresh(force) {
    const now = Date.now();
    for (const p of this.providers()) {
      const name = String(p.name || p.path);
      const interval = Number(p.updateIntervalSeconds === undefined ? 10 : p.updateIntervalSeconds) * 1000;
      const last = this.lastScan.get(name);
      if (!force && last !== undefined && now - last < interval) continue;
      this.lastScan.set(name, now);
      const seen = new Set();
      const errors = [];
      for (const file of walkJson(String(p.path), 0)) {
        let json;
        try {
          json = JSON.parse(fs.readFileSync(file, "utf8"));
          if (json && json.dashboard && !json.title) json = json.dashboard;
          if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error("dashboard JSON is not an object");
        } catch (e) {
          this.log("failed to load dashboard from file", { level: "error", file, error: e.message });
          errors.push({ file, error: e.message });
          continue;
        }
        const uid = json.uid === undefined || json.uid === null || json.uid === "" ? crypto.createHash("sha256").update(file).digest("hex").slice(0, 14) : String(json.uid);
        const problem = uidProblem(uid) || (typeof json.title !== "string" || json.title.trim() === "" ? "Dashboard title cannot be empty" : null);
        if (problem) {
          this.log("failed to save dashboard", { level: "error", file, uid, error: problem });
          errors.push({ file, error: problem });
          continue;
        }
        if (seen.has(uid)) {
          this.log("dashboard uid used by more than one file", { level: "warn", uid, file });
          continue;
        }
        seen.add(uid);
        const folder = p.folder ? String(p.folder) : "";
        this.byUid.set(uid, { uid, title: String(json.title), tags: Array.isArray(json.tags) ? json.tags.map(String) : [], folder, json: Object.assign({}, json, { uid }), file, provider: name, providerPath: String(p.path) });
      }
      this.errors = errors;
      if (p.disableDeletion !== true) {
        for (const [uid, d] of this.byUid) if (d.provider === name && !seen.has(uid)) this.byUid.delete(uid);
      }
      this.persist();
    }
  }
  hit(d) {
    const slug = slugify(d.title);
    const item = { id: this.idFor(d.uid), uid: d.uid, orgId: 1, title: d.title, uri: `db/${slug}`, url: `/d/${d.uid}/${slug}`, slug: "", type: "dash-db", tags: d.tags, isStarred: false, sortMeta: 0 };
    if (d.folder) {
      const fuid = this.folderUid(d.folder);
      Object.assign(item, { folderId: this.idFor(`folder:${fuid}`), folderUid: fuid, folderTitle: d.folder, folderUrl: `/dashboards/f/${fuid}/${slugify(d.folder)}` });
    }
    return item;
  }
  folderHit(title) {
    const uid = this.folderUid(title);
    const slug = slugify(title);
    return { id: this.idFor(`folder:${uid}`), uid, orgId: 1, title, uri: `db/${slug}`, url: `/dashboards/f/${uid}/${slug}`, slug: "", type: "dash-folder", tags: [], isStarred: false, sortMeta: 0 };
  }
  /**
   * /api/search over what provisioning has saved (no rescan here: Grafana answers from its
   * database). type, query (case-insensitive title substring), tag (all given), dashboardUIDs,
   * folderUIDs ("general" = the root), starred, limit, page.
   */
  search(params) {
    const type = params.get("type");
    const query = (params.get("query") || "").toLowerCase();
    const tags = params.getAll("tag");
    const uids = params.getAll("dashboardUIDs").flatMap((s) => s.split(",")).filter(Boolean);
    const folderUids = params.getAll("folderUIDs").flatMap((s) => s.split(",")).filter(Boolean);
    if (params.get("starred") === "true") return [];
    const hits = [];
    if (type !== "dash-folder") {
      for (const d of this.byUid.values()) {
        if (query && !d.title.toLowerCase().includes(query)) continue;
        if (tags.length && !tags.every((t) => d.tags.includes(t))) continue;
        if (uids.length && !uids.includes(d.uid)) continue;
        if (folderUids.length && !folderUids.includes(d.folder ? this.folderUid(d.folder) : "general")) continue;
        hits.push(this.hit(d));
      }
    }
    if (type !== "dash-db" && !tags.length && !uids.length) {
      const titles = new Set([...this.byUid.values()].map((d) => d.folder).filter(Boolean));
      for (const t of titles) {
        if (query && !t.toLowerCase().includes(query)) continue;
        // a folder lives in the root ("general"); other parents are not modelled
        if (folderUids.length && !folderUids.includes("general")) continue;
        hits.push(this.folderHit(t));
      }
    }
    hits.sort((a, b) => {
      if (a.type !== b.type) return a.type === "dash-folder" ? -1 : 1;
      return a.title.toLowerCase() < b.title.toLowerCase() ? -1 : a.title.toLowerCase() > b.title.toLowerCase() ? 1 : 0;
    });
    const limit = Math.min(5000, Number(params.get("limit")) > 0 ? Number(params.get("limit")) : 1000);
    const page = Number(params.get("page")) > 0 ? Number(params.get("page")) : 1;
    return hits.slice((page - 1) * limit, page * limit);
  }
  /** /api/dashboards/uid/<uid>: the saved dashboard with Grafana's meta (provisioned: true). */
  get(uid) {
    const d = this.byUid.get(uid);
    if (!d) return undefined;
    const h = this.hit(d);
    const rel = d.providerPath ? path.relative(d.providerPath, d.file) : path.basename(d.file);
    return {
      dashboard: Object.assign({}, d.json, { id: h.id }),
      meta: { type: "db", canSave: false, canEdit: false, canAdmin: true, canStar: true, canDelete: false, slug: slugify(d.title), url: h.url, provisioned: true, provisionedExternalId: rel, folderUid: h.folderUid || "", folderTitle: d.folder || "General", folderUrl: h.folderUrl || "" },
    };
  }
}

const ADMIN_STORE = "grafana-double-admin.json";
const ATTEMPTS_STORE = "grafana-double-login-attempts.json";

function hashPassword(password, salt) {
  return crypto.createHash("sha256").update(`${salt}\0${password}`).digest("hex");
}

/** Write the stored admin credential (owner-only, replaced atomically). */
function writeAdmin(dataDir, login, password) {
  const salt = crypto.randomBytes(8).toString("hex");
  const file = path.join(dataDir, ADMIN_STORE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ id: 1, login, isAdmin: true, salt, hash: hashPassword(password, salt) }) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The stored admin credential; undefined before the first start created it. */
function readAdmin(dataDir) {
  try {
    const a = JSON.parse(fs.readFileSync(path.join(dataDir, ADMIN_STORE), "utf8"));
    return typeof a.login === "string" && typeof a.salt === "string" && typeof a.hash === "string" ? Object.assign({ id: 1, isAdmin: true }, a) : undefined;
  } catch {
    return undefined;
  }
}

/** A minimal grafana.ini reader: {section: {key: value}} (the double reads [security] only). */
function readIni(file) {
  const out = {};
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return out;
  }
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith(";") || line.startsWith("#")) continue;
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) {
      section = s[1].trim();
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv) (out[section] = out[section] || {})[kv[1]] = kv[2].replace(/^"(.*)"$/, "$1");
  }
  return out;
}

function iniBool(v, def) {
  if (v === undefined || v === "") return def;
  return /^(true|1|yes|on)$/i.test(String(v).trim());
}

/**
 * [security] brute-force settings, from grafana.ini overridden by GF_SECURITY_* (Grafana's
 * precedence). Defaults and the floor of 1 attempt: pkg/setting/setting.go readSecuritySettings.
 */
function securitySettings(env, ini) {
  const sec = (ini && ini.security) || {};
  const get = (k) => (env[`GF_SECURITY_${k.toUpperCase()}`] !== undefined ? env[`GF_SECURITY_${k.toUpperCase()}`] : sec[k]);
  let max = Number.parseInt(get("brute_force_login_protection_max_attempts") === undefined ? "5" : get("brute_force_login_protection_max_attempts"), 10);
  if (!Number.isFinite(max)) max = 5;
  return {
    disableBruteForceLoginProtection: iniBool(get("disable_brute_force_login_protection"), false),
    bruteForceLoginProtectionMaxAttempts: max <= 0 ? 1 : max,
    disableUsernameLoginProtection: iniBool(get("disable_username_login_protection"), false),
  };
}

/** Grafana's login attempts window: a fixed 5 minutes (loginattemptimpl/login_attempt.go). */
const LOGIN_ATTEMPTS_WINDOW_MS = 5 * 60 * 1000;

/**
 * Grafana's loginattempt service: failed password logins per (lower-cased) username, counted over
 * the last 5 minutes; at `max` or more the user is blocked, even with the right password. Nothing
 * resets the count on a successful basic-auth login (clients/password.go calls only Add); entries
 * age out of the window. Kept in the data dir, as Grafana keeps them in its database.
 */
class LoginAttempts {
  constructor(file, settings, clock) {
    this.file = file;
    this.settings = settings;
    this.now = clock || (() => Date.now());
  }
  read() {
    try {
      return JSON.parse(fs.readFileSync(this.file, "utf8"));
    } catch {
      return {};
    }
  }
  write(all) {
    if (!this.file) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
  count(username) {
    const since = this.now() - LOGIN_ATTEMPTS_WINDOW_MS;
    return (this.read()[String(username).toLowerCase()] || []).filter((t) => t >= since).length;
  }
  /** Validate: false when the user is blocked. */
  allowed(username) {
    if (this.settings.disableUsernameLoginProtection) return true;
    return this.count(username) < this.settings.bruteForceLoginProtectionMaxAttempts;
  }
  add(username) {
    if (this.settings.disableBruteForceLoginProtection) return;
    const all = this.read();
    const u = String(username).toLowerCase();
    const since = this.now() - 10 * 60 * 1000; // Grafana's cleanup drops attempts older than 10 minutes
    all[u] = (all[u] || []).filter((t) => t >= since).concat(this.now());
    this.write(all);
  }
}

const UNAUTHORIZED = { message: "Unauthorized", messageId: "auth.unauthorized", statusCode: 401, traceID: "" };
const failed = (messageId) => ({ ok: false, body: { message: "Invalid username or password", messageId, statusCode: 401, traceID: "" } });

/**
 * Basic auth as Grafana's authn password client does it (pkg/services/authn/clients/password.go):
 * blocked user -> refused (login-attempt.blocked) before the password is even looked at; empty
 * password -> refused; a wrong password for an existing user counts a failed attempt. Every refusal
 * answers 401 "Invalid username or password".
 */
function checkAuth(req, admin, attempts) {
  const h = String(req.headers.authorization || "");
  if (!h) return { ok: false, body: UNAUTHORIZED };
  const m = /^Basic\s+(.+)$/i.exec(h);
  if (!m) return { ok: false, body: UNAUTHORIZED };
  const dec = Buffer.from(m[1], "base64").toString("utf8");
  const i = dec.indexOf(":");
  const [u, p] = i < 0 ? [dec, ""] : [dec.slice(0, i), dec.slice(i + 1)];
  if (attempts && !attempts.allowed(u)) return failed("login-attempt.blocked");
  if (p === "") return failed("password-auth.empty");
  const same = (a, b) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
  const known = admin && u.toLowerCase() === admin.login.toLowerCase();
  if (known && same(hashPassword(p, admin.salt), admin.hash)) return { ok: true, login: admin.login };
  if (known && attempts) attempts.add(u);
  return failed("password-auth.failed");
}

// ---- datasources ---------------------------------------------------------------------------------

function readDatasources(provisioning) {
  const dir = path.join(provisioning, "datasources");
  let list = [];
  try {
    for (const f of fs.readdirSync(dir).filter((x) => /\.ya?ml$/.test(x)).sort()) {
      try {
        list = list.concat(parseYamlList(fs.readFileSync(path.join(dir, f), "utf8"), "datasources"));
      } catch (e) {
        log(SERVICE, "cannot read datasource provisioning file", { level: "error", file: f, error: e.message });
      }
    }
  } catch {
    list = [];
  }
  return list.map((d, i) => ({
    id: i + 1,
    uid: String(d.uid || slugify(d.name)),
    orgId: Number(d.orgId || 1),
    name: String(d.name),
    type: String(d.type),
    typeName: String(d.type).replace(/^./, (c) => c.toUpperCase()),
    access: String(d.access || "proxy"),
    url: String(d.url || ""),
    user: "",
    database: "",
    basicAuth: d.basicAuth === true,
    isDefault: d.isDefault === true,
    jsonData: d.jsonData && typeof d.jsonData === "object" ? d.jsonData : {},
    readOnly: true,
  }));
}

/** Transport errors as Go's http client words them (`Get "<url>": dial tcp ...`), approximately. */
function transportText(method, url, e) {
  const code = (e && e.cause && e.cause.code) || (e && e.code) || (e && e.name === "TimeoutError" ? "context deadline exceeded" : String(e && e.message));
  const why = code === "ENOTFOUND" || code === "EAI_AGAIN" ? "dial tcp: lookup: no such host" : code === "ECONNREFUSED" ? "dial tcp: connect: connection refused" : code;
  return `${method} ${JSON.stringify(url)}: ${why}`;
}

/**
 * What Grafana's health check does for the two types the stack provisions (from inside the stack
 * network, the datasource's own URL):
 *   loki:       instant query vector(1)+vector(1) at t=4s, OK when the value is 2
 *               (pkg/tsdb/loki/healthcheck.go; error message "There was an error returned querying
 *               the Loki API.: <err>")
 *   prometheus: instant query 1+1 at t=4s (jsonData.httpMethod, POST by default), OK when the API
 *               answers success (pkg/promlib/healthcheck.go; error "<err> - There was an error
 *               returned querying the Prometheus API.")
 */
async function datasourceHealth(ds, timeoutMs) {
  const base = ds.url.replace(/\/+$/, "");
  if (ds.type === "loki") {
    const msg = "There was an error returned querying the Loki API.";
    const url = `${base}/loki/api/v1/query?${new URLSearchParams({ query: "vector(1)+vector(1)", time: "4000000000", limit: "1", direction: "backward" })}`;
    let res;
    let text;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      text = await res.text();
    } catch (e) {
      return { status: "ERROR", message: `${msg}: ${transportText("Get", url, e)}` };
    }
    if (res.status !== 200) return { status: "ERROR", message: `${msg}: ${text.trim() || `HTTP ${res.status}`}` };
    let value;
    try {
      const body = JSON.parse(text);
      const r = body.data && body.data.result;
      value = body.data.resultType === "vector" && Array.isArray(r) && r.length === 1 ? Number(r[0].value[1]) : body.data.resultType === "scalar" ? Number(r[1]) : undefined;
    } catch {
      value = undefined;
    }
    if (value === undefined) return { status: "ERROR", message: `${msg}: invalid response` };
    if (value !== 2) return { status: "ERROR", message: `${msg}: invalid response` };
    return { status: "OK", message: "Successfully queried the Loki API." };
  }
  if (ds.type === "prometheus") {
    const msg = "There was an error returned querying the Prometheus API.";
    const method = String((ds.jsonData && ds.jsonData.httpMethod) || "POST").toUpperCase() === "GET" ? "GET" : "POST";
    const form = new URLSearchParams({ query: "1+1", time: "4" });
    const url = `${base}/api/v1/query`;
    let res;
    let text;
    try {
      res = method === "GET" ? await fetch(`${url}?${form}`, { signal: AbortSignal.timeout(timeoutMs) }) : await fetch(url, { method: "POST", body: form, headers: { "Content-Type": "application/x-www-form-urlencoded" }, signal: AbortSignal.timeout(timeoutMs) });
      text = await res.text();
    } catch (e) {
      return { status: "ERROR", message: `${transportText(method === "GET" ? "Get" : "Post", url, e)} - ${msg}` };
    }
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status !== 200 || !body || body.status !== "success") {
      const why = body && body.error ? String(body.error) : `HTTP ${res.status}`;
      return { status: "ERROR", message: `${why} - ${msg}` };
    }
    return { status: "OK", message: "Successfully queried the Prometheus API." };
  }
  return null;
}

// ---- server --------------------------------------------------------------------------------------

function createHandler(opts) {
  const { dataDir, dashboards, attempts, datasources } = opts;
  const healthTimeoutMs = opts.healthTimeoutMs || 10000;
  return async (req, res, url) => {
    const p = url.pathname.replace(/\/+$/, "") || "/";
    if (p === "/api/health") return sendJson(res, 200, { commit: COMMIT, database: "ok", version: VERSION });
    if (!p.startsWith("/api/")) return send(res, 404, "Not found\n");
    const auth = checkAuth(req, readAdmin(dataDir), attempts);
    if (!auth.ok) return sendJson(res, 401, auth.body);
    if (p === "/api/user" && req.method === "GET") {
      return sendJson(res, 200, { id: 1, uid: "admin-uid", email: "admin@localhost", name: "", login: auth.login, theme: "", orgId: 1, isGrafanaAdmin: true, isDisabled: false, isExternal: false, authLabels: [], updatedAt: "2024-01-01T00:00:00Z", createdAt: "2024-01-01T00:00:00Z", avatarUrl: "" });
    }
    if (p === "/api/search" && req.method === "GET") return sendJson(res, 200, dashboards.search(url.searchParams));
    const du = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(p);
    if (du && req.method === "GET") {
      const d = dashboards.get(decodeURIComponent(du[1]));
      if (!d) return sendJson(res, 404, { message: "Dashboard not found" });
      return sendJson(res, 200, d);
    }
    if (p === "/api/datasources" && req.method === "GET") return sendJson(res, 200, datasources());
    const dsu = /^\/api\/datasources\/uid\/([^/]+)(\/health)?$/.exec(p);
    if (dsu && req.method === "GET") {
      const uid = decodeURIComponent(dsu[1]);
      if (!/^[a-zA-Z0-9_-]*$/.test(uid)) return sendJson(res, 400, { message: "UID is invalid" });
      const ds = datasources().find((d) => d.uid === uid);
      if (!dsu[2]) return ds ? sendJson(res, 200, ds) : sendJson(res, 404, { message: "Data source not found" });
      // pkg/api/datasources.go CheckDatasourceHealthWithUID: a lookup failure is a 500.
      if (!ds) return sendJson(res, 500, { message: "Unable to load datasource metadata" });
      const r = await datasourceHealth(ds, healthTimeoutMs);
      if (!r) return sendJson(res, 500, { message: "Plugin health check failed" });
      // checkDatasourceHealth: 200 when OK, 400 otherwise, body {status, message}.
      return sendJson(res, r.status === "OK" ? 200 : 400, r);
    }
    if (p === "/api/admin/provisioning/dashboards/reload" && req.method === "POST") {
      await readBody(req, 1 << 16).catch(() => undefined);
      dashboards.refresh(true);
      return sendJson(res, 200, { message: "Dashboards config reloaded" });
    }
    return sendJson(res, 404, { message: "Not found" });
  };
}

function main() {
  const env = expandFileEnv(process.env);
  const user = env.GF_SECURITY_ADMIN_USER || "admin";
  const password = env.GF_SECURITY_ADMIN_PASSWORD || "admin";
  const provisioning = env.GF_PATHS_PROVISIONING || "/etc/grafana/provisioning";
  const dataDir = env.GF_PATHS_DATA || "/var/lib/grafana";
  try {
    // Grafana creates its sqlite DB in the data dir and exits when it cannot.
    fs.writeFileSync(path.join(dataDir, "grafana-double.state"), `${new Date().toISOString()}\n`);
  } catch (e) {
    log(SERVICE, "data dir not writable", { level: "error", dir: dataDir, error: e.message });
    process.exit(1);
  }
  // First start only (empty data dir): create the admin user from the environment.
  if (!readAdmin(dataDir)) writeAdmin(dataDir, user, password);
  const settings = securitySettings(env, readIni(env.GF_PATHS_CONFIG || "/etc/grafana/grafana.ini"));
  const attempts = new LoginAttempts(path.join(dataDir, ATTEMPTS_STORE), settings);
  const dashboards = new Dashboards(provisioning, path.join(dataDir, "grafana-double-dashboards.json"));
  // Datasources live in Grafana's database once provisioned; the double keeps the provisioned list.
  let provisionedDatasources = [];
  const datasources = () => provisionedDatasources;
  const port = Number(env.GF_SERVER_HTTP_PORT || 3000);
  const addr = env.GF_SERVER_HTTP_ADDR || "0.0.0.0";
  log(SERVICE, "starting Grafana test double", { version: VERSION, provisioning, storedDashboards: dashboards.byUid.size, security: settings });
  serve(SERVICE, addr, port, createHandler({ dataDir, dashboards, attempts, datasources }));
  // Provisioning runs after the HTTP server is up, in the background, as Grafana's provisioning
  // service does; then each provider is polled on its updateIntervalSeconds.
  const delay = Number(process.env.GRAFANA_DOUBLE_PROVISIONING_DELAY_MS || 1000);
  setTimeout(() => {
    provisionedDatasources = readDatasources(provisioning);
    dashboards.refresh(true);
    log(SERVICE, "provisioning done", { dashboards: dashboards.byUid.size, datasources: provisionedDatasources.length, skipped: dashboards.errors.length });
    const tick = () => {
      try {
        dashboards.refresh(false);
      } catch (e) {
        log(SERVICE, "provisioning rescan failed", { level: "error", error: e.message });
      }
      setTimeout(tick, dashboards.pollMs()).unref();
    };
    setTimeout(tick, dashboards.pollMs()).unref();
  }, delay);
}

module.exports = { expandFileEnv, parseYamlList, Dashboards, checkAuth, slugify, readAdmin, writeAdmin, hashPassword, ADMIN_STORE, ATTEMPTS_STORE, LoginAttempts, securitySettings, readIni, uidProblem, readDatasources, datasourceHealth, createHandler, LOGIN_ATTEMPTS_WINDOW_MS, VERSION };
if (require.main === module) main();
