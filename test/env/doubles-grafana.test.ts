// Conformance of the Grafana TEST DOUBLE (test/env/doubles/grafana) with the upstream behaviour the
// stack and its proofs depend on (Grafana 13, the stack's pin grafana/grafana:13.2.0). Each test
// names its upstream source in github.com/grafana/grafana or grafana.com/docs. Everything runs on
// 127.0.0.1 with an injected clock where time matters.
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import type { AddressInfo } from "node:net";

/* eslint-disable @typescript-eslint/no-require-imports */
const grafana = require("./doubles/grafana/server.js");
const lokiServer = require("./doubles/loki/server.js");
const lokiConfig = require("./doubles/loki/config.js");
const common = require("./doubles/lib/common.js");

jest.setTimeout(20_000);

type Server = { url: string; port: number; close: () => Promise<void> };

async function listen(route: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => unknown): Promise<Server> {
  const server = http.createServer(common.handler("grafana-test", route));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, close: () => new Promise((r) => server.close(() => r())) };
}

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });

/** A Grafana double handler over a data dir with admin/pw and a provisioning tree. */
function setup(opts: { env?: Record<string, string>; datasources?: unknown[]; dashboards?: Record<string, string> } = {}) {
  const root = tmp("gf-conf-");
  const data = path.join(root, "data");
  const prov = path.join(root, "prov");
  const dash = path.join(root, "dash");
  for (const d of [data, path.join(prov, "dashboards"), path.join(prov, "datasources"), dash]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(prov, "dashboards", "d.yaml"), `apiVersion: 1\nproviders:\n  - name: p\n    folder: logging-bootstrap\n    type: file\n    disableDeletion: true\n    updateIntervalSeconds: 30\n    options:\n      path: ${dash}\n`);
  for (const [f, text] of Object.entries(opts.dashboards ?? {})) fs.writeFileSync(path.join(dash, f), text);
  fs.writeFileSync(path.join(prov, "datasources", "ds.yaml"), JSON.stringify({ apiVersion: 1, datasources: opts.datasources ?? [] }));
  grafana.writeAdmin(data, "admin", "pw-right");
  const clock = { now: Date.parse("2026-03-01T12:00:00Z") };
  const attempts = new grafana.LoginAttempts(path.join(data, grafana.ATTEMPTS_STORE), grafana.securitySettings(opts.env ?? {}, {}), () => clock.now);
  const logs: { msg: string; fields: Record<string, unknown> }[] = [];
  const dashboards = new grafana.Dashboards(prov, path.join(data, "dashboards.json"), (msg: string, fields: Record<string, unknown>) => logs.push({ msg, fields }));
  let datasources: unknown[] = [];
  const provision = () => {
    datasources = grafana.readDatasources(prov);
    dashboards.refresh(true);
  };
  const route = grafana.createHandler({ dataDir: data, dashboards, attempts, datasources: () => datasources, healthTimeoutMs: 3000 });
  return { root, data, prov, dash, clock, attempts, dashboards, logs, provision, route };
}

async function get(s: Server, p: string, headers: Record<string, string> = basic("admin", "pw-right")) {
  const r = await fetch(s.url + p, { headers, signal: AbortSignal.timeout(8000) });
  const text = await r.text();
  return { status: r.status, text, json: () => JSON.parse(text) };
}

let srv: Server | undefined;
const extra: Server[] = [];
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  while (extra.length) await extra.pop()!.close();
});

describe("brute-force login protection (pkg/services/loginattempt/loginattemptimpl/login_attempt.go, pkg/services/authn/clients/password.go, pkg/setting/setting.go; docs: [security] disable_brute_force_login_protection, brute_force_login_protection_max_attempts)", () => {
  test("5 failed logins in 5 minutes lock the user out: even the right password answers 401 until the failures leave the window", async () => {
    const g = setup();
    srv = await listen(g.route);
    for (let i = 0; i < 5; i++) {
      const r = await get(srv, "/api/user", basic("admin", `wrong-${i}`));
      expect([r.status, r.json().message, r.json().messageId]).toEqual([401, "Invalid username or password", "password-auth.failed"]);
    }
    const locked = await get(srv, "/api/user");
    expect([locked.status, locked.json().message, locked.json().messageId]).toEqual([401, "Invalid username or password", "login-attempt.blocked"]);
    g.clock.now += 5 * 60 * 1000 - 1;
    expect((await get(srv, "/api/user")).status).toBe(401);
    g.clock.now += 2;
    expect((await get(srv, "/api/user")).status).toBe(200);
  });

  test("4 failures do not lock; a success does not reset the count (only the window does); the login name is case-insensitive", async () => {
    const g = setup();
    srv = await listen(g.route);
    for (let i = 0; i < 4; i++) await get(srv, "/api/user", basic("Admin", "wrong"));
    expect((await get(srv, "/api/user")).status).toBe(200);
    expect((await get(srv, "/api/user", basic("admin", "wrong"))).status).toBe(401);
    expect((await get(srv, "/api/user")).json().messageId).toBe("login-attempt.blocked");
  });

  test("the count lives in the data dir (Grafana's database): a restarted server still refuses", async () => {
    const g = setup();
    srv = await listen(g.route);
    for (let i = 0; i < 5; i++) await get(srv, "/api/user", basic("admin", "wrong"));
    const again = new grafana.LoginAttempts(path.join(g.data, grafana.ATTEMPTS_STORE), grafana.securitySettings({}, {}), () => g.clock.now);
    expect(again.allowed("admin")).toBe(false);
  });

  test("GF_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION=true never locks; GF_SECURITY_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS changes the threshold (at least 1); grafana.ini [security] is read, the environment wins", async () => {
    const off = setup({ env: { GF_SECURITY_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: "true" } });
    srv = await listen(off.route);
    for (let i = 0; i < 8; i++) await get(srv, "/api/user", basic("admin", "wrong"));
    expect((await get(srv, "/api/user")).status).toBe(200);
    await srv.close();
    const two = setup({ env: { GF_SECURITY_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: "2" } });
    srv = await listen(two.route);
    for (let i = 0; i < 2; i++) await get(srv, "/api/user", basic("admin", "wrong"));
    expect((await get(srv, "/api/user")).status).toBe(401);
    expect(grafana.securitySettings({ GF_SECURITY_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: "0" }, {}).bruteForceLoginProtectionMaxAttempts).toBe(1);
    const ini = path.join(tmp("gf-ini-"), "grafana.ini");
    fs.writeFileSync(ini, "[security]\ndisable_brute_force_login_protection = true\nbrute_force_login_protection_max_attempts = 9\n");
    expect(grafana.securitySettings({ GF_SECURITY_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: "3" }, grafana.readIni(ini))).toEqual({ disableBruteForceLoginProtection: true, bruteForceLoginProtectionMaxAttempts: 3, disableUsernameLoginProtection: false });
  });
});

describe("provisioning (pkg/services/provisioning/dashboards/file_reader.go; pkg/util shortid: IsValidShortUID, IsShortUIDTooLong)", () => {
  const good = JSON.stringify({ uid: "good-uid_1", title: "Good", tags: ["a", "b"] });
  test("runs after start: the API answers before anything is provisioned, then lists the dashboards", async () => {
    const g = setup({ dashboards: { "good.json": good } });
    srv = await listen(g.route);
    expect((await get(srv, "/api/search?type=dash-db")).json()).toEqual([]);
    g.provision();
    expect((await get(srv, "/api/search?type=dash-db")).json().map((h: { uid: string }) => h.uid)).toEqual(["good-uid_1"]);
  });

  test("a file that is not JSON, a uid over 40 characters or outside [A-Za-z0-9_-], and a dashboard without title are skipped with a logged error and not served", async () => {
    const g = setup({
      dashboards: {
        "good.json": good,
        "broken.json": "{ not json",
        "long.json": JSON.stringify({ uid: "x".repeat(41), title: "Long" }),
        "chars.json": JSON.stringify({ uid: "bad/uid", title: "Chars" }),
        "untitled.json": JSON.stringify({ uid: "untitled" }),
        "forty.json": JSON.stringify({ uid: "y".repeat(40), title: "Forty" }),
      },
    });
    srv = await listen(g.route);
    g.provision();
    expect((await get(srv, "/api/search?type=dash-db")).json().map((h: { uid: string }) => h.uid).sort()).toEqual(["good-uid_1", "y".repeat(40)]);
    expect(g.logs.filter((l) => l.fields.level === "error").map((l) => [path.basename(String(l.fields.file)), l.fields.error ?? ""]).sort()).toEqual([
      ["broken.json", expect.any(String)],
      ["chars.json", "uid contains illegal characters"],
      ["long.json", "uid too long, max 40 characters"],
      ["untitled.json", "Dashboard title cannot be empty"],
    ]);
    expect((await get(srv, `/api/dashboards/uid/${"x".repeat(41)}`)).status).toBe(404);
  });

  test("/api/dashboards/uid/<uid> returns the dashboard with meta.provisioned (pkg/api/dashboard.go GetDashboard: meta.provisioned, provisionedExternalId)", async () => {
    const g = setup({ dashboards: { "good.json": good } });
    srv = await listen(g.route);
    g.provision();
    const d = (await get(srv, "/api/dashboards/uid/good-uid_1")).json();
    expect(d.dashboard).toMatchObject({ uid: "good-uid_1", title: "Good" });
    expect(d.meta).toMatchObject({ provisioned: true, provisionedExternalId: "good.json", folderTitle: "logging-bootstrap" });
  });

  test("/api/search honours type, query (case-insensitive), tag (all of them) and folderUIDs (docs: HTTP API, Folder/Dashboard Search)", async () => {
    const g = setup({ dashboards: { "good.json": good, "other.json": JSON.stringify({ uid: "other", title: "Other board", tags: ["a"] }) } });
    srv = await listen(g.route);
    g.provision();
    const uids = async (q: string) => (await get(srv!, `/api/search?${q}`)).json().map((h: { uid: string; type: string }) => `${h.type}:${h.uid}`);
    const folderUid = (await get(srv, "/api/search?type=dash-folder")).json()[0].uid;
    expect(await uids("type=dash-db")).toEqual(["dash-db:good-uid_1", "dash-db:other"]);
    expect(await uids("type=dash-folder")).toEqual([`dash-folder:${folderUid}`]);
    expect(await uids("type=dash-db&query=OTHER")).toEqual(["dash-db:other"]);
    expect(await uids("type=dash-db&tag=a&tag=b")).toEqual(["dash-db:good-uid_1"]);
    expect(await uids(`type=dash-db&folderUIDs=${folderUid}`)).toHaveLength(2);
    expect(await uids("type=dash-db&folderUIDs=general")).toEqual([]);
  });
});

describe("datasource health (pkg/api/datasources.go checkDatasourceHealth: 200 OK / 400 ERROR with {status, message}; pkg/tsdb/loki/healthcheck.go; pkg/promlib/healthcheck.go)", () => {
  async function lokiDouble(): Promise<Server> {
    const dir = tmp("gf-loki-");
    const store = new lokiServer.Store(dir);
    store.load();
    return listen(lokiServer.createHandler({ store, config: lokiConfig.parseConfig("auth_enabled: false\n") }));
  }
  async function closedPort(): Promise<number> {
    const s = await listen(() => undefined);
    await s.close();
    return s.port;
  }

  test("Loki: the provisioned URL answers vector(1)+vector(1) = 2 -> 200 OK; an unreachable URL -> 400 ERROR", async () => {
    const l = await lokiDouble();
    extra.push(l);
    const dead = await closedPort();
    const g = setup({ datasources: [{ name: "Loki", type: "loki", uid: "loki", url: l.url }, { name: "Dead", type: "loki", uid: "dead", url: `http://127.0.0.1:${dead}` }] });
    srv = await listen(g.route);
    g.provision();
    const ok = await get(srv, "/api/datasources/uid/loki/health");
    expect([ok.status, ok.json()]).toEqual([200, { status: "OK", message: "Successfully queried the Loki API." }]);
    const bad = await get(srv, "/api/datasources/uid/dead/health");
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ status: "ERROR", message: expect.stringMatching(/^There was an error returned querying the Loki API\.: /) });
  });

  test("Prometheus: instant query 1+1 (POST by default) -> 200 OK; an error answer -> 400 ERROR '<err> - There was an error returned querying the Prometheus API.'", async () => {
    const seen: string[] = [];
    const prom = await listen(async (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const ok = !String(req.url).includes("broken");
      res.writeHead(ok ? 200 : 422, { "Content-Type": "application/json" });
      res.end(JSON.stringify(ok ? { status: "success", data: { resultType: "scalar", result: [4, "2"] } } : { status: "error", errorType: "bad_data", error: "boom" }));
    });
    extra.push(prom);
    const g = setup({ datasources: [{ name: "Prometheus", type: "prometheus", uid: "prometheus", url: prom.url }, { name: "Broken", type: "prometheus", uid: "broken", url: `${prom.url}/broken`, jsonData: { httpMethod: "GET" } }] });
    srv = await listen(g.route);
    g.provision();
    expect((await get(srv, "/api/datasources/uid/prometheus/health")).json()).toEqual({ status: "OK", message: "Successfully queried the Prometheus API." });
    const bad = await get(srv, "/api/datasources/uid/broken/health");
    expect([bad.status, bad.json()]).toEqual([400, { status: "ERROR", message: "boom - There was an error returned querying the Prometheus API." }]);
    expect(seen).toEqual(["POST /api/v1/query", "GET /broken/api/v1/query?query=1%2B1&time=4"]);
  });

  test("an unknown uid -> 500 'Unable to load datasource metadata'; a uid with illegal characters -> 400 'UID is invalid'; behind basic auth", async () => {
    const g = setup();
    srv = await listen(g.route);
    g.provision();
    expect((await get(srv, "/api/datasources/uid/nope/health")).status).toBe(500);
    expect((await get(srv, "/api/datasources/uid/b%40d/health")).json()).toEqual({ message: "UID is invalid" });
    expect((await get(srv, "/api/datasources/uid/nope/health", {})).status).toBe(401);
  });
});

describe("grafana cli admin reset-admin-password (pkg/cmd/grafana-cli/commands/{commands.go,reset_password_command.go}, pkg/cmd/grafana/main.go, logger/loggerV2.go)", () => {
  const CLI = path.join(__dirname, "doubles", "grafana", "cli.js");
  const run = (args: string[], stdin: string, data: string) => spawnSync(process.execPath, [CLI, ...args], { input: stdin, env: { ...process.env, GF_PATHS_DATA: data }, encoding: "utf8", timeout: 10_000 });
  const RESET = ["cli", "--homepath", "/usr/share/grafana", "--config", "/etc/grafana/grafana.ini", "admin", "reset-admin-password"];
  const hdr = (u: string, p: string) => ({ headers: { authorization: basic(u, p).Authorization } }); // node lower-cases header names
  const login = (data: string, pw: string) => grafana.checkAuth(hdr("admin", pw), grafana.readAdmin(data)).ok;

  test("--password-from-stdin: prompt, first line (CRLF too), success on stdout, exit 0", () => {
    const data = tmp("gf-cli-");
    grafana.writeAdmin(data, "admin", "old-password");
    const r = run([...RESET, "--password-from-stdin"], "new-password\r\nsecond line\n", data);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe("New Password: \n\n\n\n\nAdmin password changed successfully ✔\n\n\n\n\n\n");
    expect(login(data, "new-password")).toBe(true);
  });

  test("the password as an argument; a flag after it is an argument (urfave/cli stops at the first positional)", () => {
    const data = tmp("gf-cli-");
    grafana.writeAdmin(data, "admin", "old-password");
    expect(run([...RESET, "argument-pw", "--password-from-stdin"], "", data).status).toBe(0);
    expect(login(data, "argument-pw")).toBe(true);
  });

  test.each([
    ["empty stdin", ["--password-from-stdin"], "", "New Password: \n\nError: ✗ can't read password from stdin\n"],
    ["a short password", ["--password-from-stdin"], "abc\n", "New Password: \n\nError: ✗ new password is too short\n"],
    ["no password at all", [], "", "Error: ✗ new password is too short\n"],
    ["a user id that is not a user", ["--user-id", "2", "long-enough"], "", "Error: ✗ could not read user from database. Error: user not found\n"],
    ["an undefined flag", ["--nope"], "", "Error: ✗ flag provided but not defined: -nope\n"],
  ])("%s: exit 1, the error on stdout, the stored credential untouched", (_n, args, stdin, stdout) => {
    const data = tmp("gf-cli-");
    grafana.writeAdmin(data, "admin", "old-password");
    const before = fs.readFileSync(path.join(data, grafana.ADMIN_STORE), "utf8");
    const r = run([...RESET, ...args], stdin, data);
    expect([r.status, r.stdout, r.stderr]).toEqual([1, stdout, ""]);
    expect(fs.readFileSync(path.join(data, grafana.ADMIN_STORE), "utf8")).toBe(before);
  });

  test("a reset does not clear a lockout (the CLI changes the password only)", () => {
    const data = tmp("gf-cli-");
    grafana.writeAdmin(data, "admin", "old-password");
    const attempts = new grafana.LoginAttempts(path.join(data, grafana.ATTEMPTS_STORE), grafana.securitySettings({}, {}));
    for (let i = 0; i < 5; i++) grafana.checkAuth(hdr("admin", "wrong"), grafana.readAdmin(data), attempts);
    expect(run([...RESET, "--password-from-stdin"], "fresh-password\n", data).status).toBe(0);
    expect(grafana.checkAuth(hdr("admin", "fresh-password"), grafana.readAdmin(data), attempts).body.messageId).toBe("login-attempt.blocked");
  });
});

describe("the process (as the image runs it)", () => {
  test("DOUBLE_VERSION is the version /api/health reports; provisioning happens in the background after start", async () => {
    const g = setup({ dashboards: { "a.json": JSON.stringify({ uid: "a", title: "A" }) } });
    const port = await new Promise<number>((r) => {
      const s = http.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const child = spawn(process.execPath, [path.join(__dirname, "doubles/grafana/server.js")], {
      env: { ...process.env, DOUBLE_VERSION: "13.2.0-test", GF_PATHS_DATA: g.data, GF_PATHS_PROVISIONING: g.prov, GF_SERVER_HTTP_PORT: String(port), GF_SERVER_HTTP_ADDR: "127.0.0.1", GRAFANA_DOUBLE_PROVISIONING_DELAY_MS: "300" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    try {
      const until = async (pred: () => boolean) => {
        for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      };
      await until(() => out.includes('"listening"'));
      const s = { url: `http://127.0.0.1:${port}`, port, close: async () => undefined };
      expect((await get(s, "/api/health", {})).json()).toMatchObject({ database: "ok", version: "13.2.0-test" });
      await until(() => out.includes("provisioning done"));
      expect((await get(s, "/api/search?type=dash-db")).json().map((h: { uid: string }) => h.uid)).toEqual(["a"]);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
