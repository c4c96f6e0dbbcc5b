"use strict";
// Grafana TEST DOUBLE (not Grafana). Implements the HTTP API shapes of Grafana 11 the stack uses:
//   GET  /api/health                                  {commit, database:"ok", version}   (no auth)
//   GET  /api/search?type=dash-db|dash-folder&query=&tag=&dashboardUIDs=&folderUIDs=&limit=&page=
//   GET  /api/dashboards/uid/<uid>, GET /api/datasources
//   POST /api/admin/provisioning/dashboards/reload
//   GET  /api/user                                    the signed-in user {id, login, isGrafanaAdmin, ...}
// Everything except /api/health needs basic auth with the admin user and password. As in Grafana,
// GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD (or their __FILE variants) apply only when
// the admin user is created: on the first start against an empty data dir. The credential is then
// stored in the data dir (grafana-double-admin.json, a salted hash) and later starts ignore the
// variables; `grafana cli admin reset-admin-password` (cli.js) rewrites it. It is re-read on every
// request, as Grafana reads its database. A bad or missing credential answers 401 JSON.
// Dashboards come from the provisioning files: <GF_PATHS_PROVISIONING>/dashboards/*.y*ml providers
// -> options.path -> *.json (recursive), rescanned every provider updateIntervalSeconds (default
// 10, as Grafana) or on the reload API. disableDeletion:true keeps a dashboard whose file vanished.
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const { log, send, sendJson, serve } = require("../lib/common.js");

const SERVICE = "grafana-double";
const VERSION = process.env.DOUBLE_VERSION || "11.1.0";
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

/** Tolerant parse of a provisioning YAML list (`apiVersion: 1`, `providers:` / `datasources:`). */
function parseYamlList(text, listKey) {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^${listKey}:\\s*$`).test(l));
  if (start < 0) return [];
  const items = [];
  let cur = null;
  let itemIndent = -1;
  for (const raw of lines.slice(start + 1)) {
    if (/^\S/.test(raw) && raw.trim() && !raw.trim().startsWith("-")) break; // next top-level key
    const line = raw.replace(/\s+#.*$/, "");
    if (!line.trim()) continue;
    const dash = /^(\s*)-\s+(.*)$/.exec(line);
    if (dash && (itemIndent < 0 || dash[1].length === itemIndent)) {
      itemIndent = dash[1].length;
      cur = {};
      items.push(cur);
      const kv = /^([A-Za-z_][\w]*):\s*(.*)$/.exec(dash[2]);
      if (kv) cur[kv[1]] = scalar(kv[2]);
      continue;
    }
    const kv = /^\s+([A-Za-z_][\w]*):\s*(.*)$/.exec(line);
    if (kv && cur) {
      // nested maps (options:, jsonData:) are flattened: path/foldersFromFilesStructure live there
      if (kv[2] !== "") cur[kv[1]] = scalar(kv[2]);
    }
  }
  return items;
}

function scalar(v) {
  const s = v.trim();
  if (/^".*"$/.test(s)) {
    try {
      return JSON.parse(s);
    } catch {
      return s.slice(1, -1);
    }
  }
  if (/^'.*'$/.test(s)) return s.slice(1, -1).replace(/''/g, "'");
  if (s === "true") return true;
  if (s === "false") return false;
  if (/^-?\d+$/.test(s)) return Number(s);
  return s;
}

function slugify(title) {
  return String(title)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
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
  constructor(provisioningDir, stateFile) {
    this.dir = path.join(provisioningDir, "dashboards");
    // Grafana keeps provisioned dashboards in its database (the data volume): with
    // disableDeletion a dashboard outlives its file, across restarts too. The double persists the
    // same set here.
    this.stateFile = stateFile;
    this.byUid = new Map(); // uid -> {uid,title,tags,folder,json,file,provider}
    this.folders = new Map(); // title -> uid
    this.lastScan = new Map(); // provider name -> ms
    this.nextId = 1;
    this.ids = new Map();
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
        log(SERVICE, "cannot read provider file", { level: "error", file: f, error: e.message });
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
  /** Rescan providers whose interval elapsed (or all when forced). */
  refresh(force) {
    const now = Date.now();
    for (const p of this.providers()) {
      const name = String(p.name || p.path);
      const interval = Number(p.updateIntervalSeconds === undefined ? 10 : p.updateIntervalSeconds) * 1000;
      const last = this.lastScan.get(name);
      if (!force && last !== undefined && now - last < interval) continue;
      this.lastScan.set(name, now);
      const seen = new Set();
      for (const file of walkJson(String(p.path), 0)) {
        let json;
        try {
          json = JSON.parse(fs.readFileSync(file, "utf8"));
          if (json && json.dashboard && !json.title) json = json.dashboard;
        } catch (e) {
          log(SERVICE, "failed to load dashboard from file", { level: "error", file, error: e.message });
          continue;
        }
        const uid = String(json.uid || crypto.createHash("sha256").update(file).digest("hex").slice(0, 14));
        if (seen.has(uid)) {
          log(SERVICE, "dashboard uid used by more than one file", { level: "warn", uid, file });
          continue;
        }
        seen.add(uid);
        const folder = p.folder ? String(p.folder) : "";
        this.byUid.set(uid, { uid, title: String(json.title || uid), tags: Array.isArray(json.tags) ? json.tags.map(String) : [], folder, json: Object.assign({}, json, { uid }), file, provider: name });
      }
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
  search(params) {
    this.refresh(false);
    const type = params.get("type");
    const query = (params.get("query") || "").toLowerCase();
    const tags = params.getAll("tag");
    const uids = params.getAll("dashboardUIDs").flatMap((s) => s.split(",")).filter(Boolean);
    const folderUids = params.getAll("folderUIDs").flatMap((s) => s.split(",")).filter(Boolean);
    if (params.get("starred") === "true") return [];
    let hits = [];
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
      for (const t of titles) if (!query || t.toLowerCase().includes(query)) hits.push(this.folderHit(t));
    }
    hits.sort((a, b) => {
      if (a.type !== b.type) return a.type === "dash-folder" ? -1 : 1;
      return a.title.toLowerCase() < b.title.toLowerCase() ? -1 : a.title.toLowerCase() > b.title.toLowerCase() ? 1 : 0;
    });
    const limit = Math.min(5000, Number(params.get("limit")) > 0 ? Number(params.get("limit")) : 1000);
    const page = Number(params.get("page")) > 0 ? Number(params.get("page")) : 1;
    return hits.slice((page - 1) * limit, page * limit);
  }
}

const ADMIN_STORE = "grafana-double-admin.json";

function hashPassword(password, salt) {
  return crypto.createHash("sha256").update(`${salt}\0${password}`).digest("hex");
}

/** Write the stored admin credential (owner-only, replaced atomically). */
function writeAdmin(dataDir, login, password) {
  const salt = crypto.randomBytes(8).toString("hex");
  const file = path.join(dataDir, ADMIN_STORE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ login, salt, hash: hashPassword(password, salt) }) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The stored admin credential; undefined before the first start created it. */
function readAdmin(dataDir) {
  try {
    const a = JSON.parse(fs.readFileSync(path.join(dataDir, ADMIN_STORE), "utf8"));
    return typeof a.login === "string" && typeof a.salt === "string" && typeof a.hash === "string" ? a : undefined;
  } catch {
    return undefined;
  }
}

/** Basic auth against the stored credential ({login, salt, hash}). */
function checkAuth(req, admin) {
  const h = String(req.headers.authorization || "");
  if (!h) return { ok: false, body: { message: "Unauthorized", messageId: "auth.unauthorized", statusCode: 401, traceID: "" } };
  const m = /^Basic\s+(.+)$/i.exec(h);
  if (m) {
    const dec = Buffer.from(m[1], "base64").toString("utf8");
    const i = dec.indexOf(":");
    const [u, p] = i < 0 ? [dec, ""] : [dec.slice(0, i), dec.slice(i + 1)];
    const same = (a, b) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
    if (admin && same(u, admin.login) && same(hashPassword(p, admin.salt), admin.hash)) return { ok: true, login: admin.login };
  }
  return { ok: false, body: { message: "Invalid username or password", messageId: "password-auth.failed", statusCode: 401, traceID: "" } };
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
  const dashboards = new Dashboards(provisioning, path.join(dataDir, "grafana-double-dashboards.json"));
  dashboards.refresh(true);
  const port = Number(env.GF_SERVER_HTTP_PORT || 3000);
  const addr = env.GF_SERVER_HTTP_ADDR || "0.0.0.0";
  log(SERVICE, "starting Grafana test double", { version: VERSION, provisioning, dashboards: dashboards.byUid.size });

  serve(SERVICE, addr, port, async (req, res, url) => {
    const p = url.pathname.replace(/\/+$/, "") || "/";
    if (p === "/api/health") return sendJson(res, 200, { commit: COMMIT, database: "ok", version: VERSION });
    if (!p.startsWith("/api/")) return send(res, 404, "Not found\n");
    const auth = checkAuth(req, readAdmin(dataDir));
    if (!auth.ok) return sendJson(res, 401, auth.body);
    if (p === "/api/user" && req.method === "GET") {
      return sendJson(res, 200, { id: 1, uid: "admin-uid", email: "admin@localhost", name: "", login: auth.login, theme: "", orgId: 1, isGrafanaAdmin: true, isDisabled: false, isExternal: false, authLabels: [], updatedAt: "2024-01-01T00:00:00Z", createdAt: "2024-01-01T00:00:00Z", avatarUrl: "" });
    }
    if (p === "/api/search" && req.method === "GET") return sendJson(res, 200, dashboards.search(url.searchParams));
    const du = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(p);
    if (du && req.method === "GET") {
      dashboards.refresh(false);
      const d = dashboards.byUid.get(decodeURIComponent(du[1]));
      if (!d) return sendJson(res, 404, { message: "Dashboard not found" });
      const h = dashboards.hit(d);
      return sendJson(res, 200, { dashboard: Object.assign({}, d.json, { id: h.id }), meta: { type: "db", slug: slugify(d.title), url: h.url, provisioned: true, provisionedExternalId: path.basename(d.file), folderUid: h.folderUid || "", folderTitle: d.folder || "General" } });
    }
    if (p === "/api/datasources" && req.method === "GET") {
      const dir = path.join(provisioning, "datasources");
      let list = [];
      try {
        for (const f of fs.readdirSync(dir).filter((x) => /\.ya?ml$/.test(x)).sort()) {
          list = list.concat(parseYamlList(fs.readFileSync(path.join(dir, f), "utf8"), "datasources"));
        }
      } catch {
        list = [];
      }
      return sendJson(res, 200, list.map((d, i) => ({ id: i + 1, uid: String(d.uid || slugify(d.name)), orgId: 1, name: String(d.name), type: String(d.type), access: String(d.access || "proxy"), url: String(d.url || ""), isDefault: d.isDefault === true, readOnly: true })));
    }
    if (p === "/api/admin/provisioning/dashboards/reload" && req.method === "POST") {
      dashboards.refresh(true);
      return sendJson(res, 200, { message: "Dashboards config reloaded" });
    }
    return sendJson(res, 404, { message: "Not found" });
  });
}

module.exports = { expandFileEnv, parseYamlList, Dashboards, checkAuth, slugify, readAdmin, writeAdmin, hashPassword, ADMIN_STORE };
if (require.main === module) main();
