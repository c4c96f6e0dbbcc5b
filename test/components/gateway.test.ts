// The gateway's Caddy config (components/render/gateway.ts): its structure, that it names every
// secret by file and holds none, that the real Caddy accepts it (`caddy validate`) and refuses it
// when a host's hash file is missing, and, run by the real Caddy with throwaway certificates, that
// it answers as docs/FLEET.md says: 401 without or with wrong credentials, each host's own
// password let through to the right upstream without the Authorization header, 404 for anything
// else, TLS with the loaded certificate whatever the local address.
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import {
  GATEWAY_CERT_TAG,
  GATEWAY_FILES,
  GATEWAY_HEALTH,
  GATEWAY_PATHS,
  GATEWAY_PORT_IN_CONTAINER,
  GATEWAY_REALM,
  gatewayArgs,
  gatewayConfigObject,
  gatewayParams,
  gatewayPasswordHashFile,
  renderGatewayConfig,
} from "../../components/render/gateway";
import { BootstrapError } from "../../contracts/errors";
import { toSortedJson } from "../../components/render/yaml";
import { fleetConfig } from "../util/fleet";
import { gatewayHealthTest } from "../../components/gateway";

type Json = Record<string, any>;
const fleet = fleetConfig();
const params = gatewayParams(fleet);

describe("gateway config (pure)", () => {
  const doc = gatewayConfigObject(params) as Json;
  const server = doc.apps.http.servers.gateway;

  it("has one account per non-central host, named by host and reading its hash from a file", () => {
    expect(params).toEqual({ accounts: ["web1", "db1"] });
    for (const route of server.routes.slice(0, 2)) {
      const basic = route.handle[0].providers.http_basic;
      expect(route.handle[0].handler).toBe("authentication");
      expect(basic.accounts).toEqual([
        { username: "web1", password: "{file./etc/caddy/secrets/web1.bcrypt}" },
        { username: "db1", password: "{file./etc/caddy/secrets/db1.bcrypt}" },
      ]);
      expect(basic.hash).toEqual({ algorithm: "bcrypt" });
      expect(basic.realm).toBe(GATEWAY_REALM);
    }
    expect(gatewayPasswordHashFile("web1")).toBe(`${GATEWAY_FILES.secretsDir}/web1.bcrypt`);
  });

  it("forwards exactly Loki's push path and Prometheus' remote-write path, authenticated, and answers 404 to anything else", () => {
    expect(server.routes.map((r: Json) => [r.match?.[0].path, r.handle.map((h: Json) => h.handler), r.handle[1]?.upstreams, r.terminal])).toEqual([
      [["/loki/api/v1/push"], ["authentication", "reverse_proxy"], [{ dial: "loki:3100" }], true],
      [["/api/v1/write"], ["authentication", "reverse_proxy"], [{ dial: "prometheus:9090" }], true],
      [undefined, ["static_response"], undefined, undefined],
    ]);
    expect(server.routes[2].handle[0].status_code).toBe(404);
    for (const r of server.routes.slice(0, 2)) expect(r.handle[1].headers).toEqual({ request: { delete: ["Authorization"] } });
    expect(GATEWAY_PATHS).toEqual({ lokiPush: "/loki/api/v1/push", remoteWrite: "/api/v1/write" });
  });

  it("serves TLS only, from the loaded certificate, with no ACME, no redirect listener and no admin API", () => {
    expect(server.listen).toEqual([`:${GATEWAY_PORT_IN_CONTAINER}`]);
    expect(server.protocols).toEqual(["h1", "h2"]);
    expect(server.automatic_https).toEqual({ disable: true });
    expect(server.tls_connection_policies).toEqual([{ certificate_selection: { any_tag: [GATEWAY_CERT_TAG] }, protocol_min: "tls1.2" }]);
    expect(doc.apps.tls.certificates.load_files).toEqual([{ certificate: GATEWAY_FILES.certificate, key: GATEWAY_FILES.key, tags: [GATEWAY_CERT_TAG] }]);
    expect(doc.admin).toEqual({ disabled: true, config: { persist: false } });
    // Besides it only the healthcheck's plain listener, on the container's loopback (never published).
    expect(Object.keys(doc.apps.http.servers).sort()).toEqual(["gateway", "health"]);
    const health = doc.apps.http.servers.health;
    expect(health.listen).toEqual([GATEWAY_HEALTH.listen]);
    expect(GATEWAY_HEALTH.listen).toMatch(/^127\.0\.0\.1:/);
    expect(health.automatic_https).toEqual({ disable: true });
    expect(health.routes.map((r: Json) => [r.match?.[0].path, r.handle[0].status_code])).toEqual([[[GATEWAY_HEALTH.path], 200], [undefined, 404]]);
    expect(gatewayHealthTest()).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", `http://${GATEWAY_HEALTH.listen}${GATEWAY_HEALTH.path}`]);
    expect(Object.keys(doc).sort()).toEqual(["admin", "apps"]);
    expect(gatewayArgs()).toEqual(["caddy", "run", "--config", GATEWAY_FILES.config]);
  });

  it("is deterministic sorted JSON holding no hash, key or certificate", () => {
    const text = renderGatewayConfig(params);
    expect(text).toBe(toSortedJson(gatewayConfigObject(params)));
    expect(renderGatewayConfig(gatewayParams(fleetConfig()))).toBe(text);
    expect(text).not.toMatch(/\$2[aby]\$|BEGIN/);
  });

  it("refuses no accounts, a duplicate and a name that is not a DNS label (E_INTERNAL)", () => {
    for (const accounts of [[], ["web1", "web1"], ["Web1"], ["a/b"], ["x}"]]) {
      let code = "no error";
      try {
        gatewayConfigObject({ accounts });
      } catch (e) {
        code = e instanceof BootstrapError ? e.code : String(e);
      }
      expect([accounts, code]).toEqual([accounts, "E_INTERNAL"]);
    }
  });
});

// The real Caddy of the pinned release (test/engine/build-services.sh builds .tools/services/bin/caddy-v*).
const BIN = path.join(__dirname, "..", "..", ".tools", "services", "bin");
const CADDY = process.env.CADDY ?? (fs.existsSync(BIN) ? fs.readdirSync(BIN).filter((f) => /^caddy-v\d/.test(f)).sort().map((f) => path.join(BIN, f)).pop() : undefined);
const OPENSSL = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((p) => fs.existsSync(p));
/** The central address the certificate is for; the live test connects to 127.0.0.1 without SNI (as Docker's NAT makes it look). */
const CENTRAL = "192.0.2.10";
const PASSWORDS: Record<string, string> = { web1: "web1-password-0123456789", db1: "db1-password-9876543210" };

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as unknown as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** A throwaway CA and a server certificate for CENTRAL (IP SAN), the hash files, under `root` as the gateway container has them. */
function materials(root: string): { ca: string } {
  const o = (args: string[]) => execFileSync(OPENSSL!, args, { cwd: root, stdio: "pipe", timeout: 30_000 });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  o(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=gateway test CA", "-days", "1"]);
  o(["req", "-new", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=gateway"]);
  fs.writeFileSync(path.join(root, "san.ext"), `subjectAltName=IP:${CENTRAL}\n`);
  o(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext"]);
  const place = (from: string, to: string) => {
    const dest = path.join(root, to.replace(/^\//, ""));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(root, from), dest);
  };
  place("server.crt", GATEWAY_FILES.certificate);
  place("server.key", GATEWAY_FILES.key);
  for (const [host, pw] of Object.entries(PASSWORDS)) {
    // random.RandomPassword's bcryptHash is cost 10; the file ends with a newline, as an upload may.
    const hash = execFileSync(CADDY!, ["hash-password", "--algorithm", "bcrypt", "--bcrypt-cost", "10", "--plaintext", pw], { encoding: "utf8", timeout: 30_000 }).trim();
    expect(hash).toMatch(/^\$2a\$10\$/);
    const dest = path.join(root, gatewayPasswordHashFile(host).replace(/^\//, ""));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, `${hash}\n`);
  }
  return { ca: fs.readFileSync(path.join(root, "ca.crt"), "utf8") };
}

/** The rendered config with the container's paths under `root` (and, for the live run, a local listener and upstreams). */
function configUnder(root: string, live?: { port: number; healthPort: number; upstreams: Record<string, string> }): string {
  let text = renderGatewayConfig(params).replaceAll('"/etc/caddy/', `"${root}/etc/caddy/`).replaceAll("{file./etc/caddy/", `{file.${root}/etc/caddy/`);
  if (live) {
    const doc = JSON.parse(text) as Json;
    const server = doc.apps.http.servers.gateway;
    server.listen = [`127.0.0.1:${live.port}`];
    doc.apps.http.servers.health.listen = [`127.0.0.1:${live.healthPort}`];
    for (const r of server.routes) if (r.match) r.handle[1].upstreams = [{ dial: live.upstreams[r.match[0].path[0]] }];
    text = JSON.stringify(doc);
  }
  expect(text).not.toContain('"/etc/caddy/');
  return text;
}

function caddyEnv(root: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: root, XDG_DATA_HOME: path.join(root, "data"), XDG_CONFIG_HOME: path.join(root, "config") };
}

function skipped(what: string): boolean {
  if (CADDY && OPENSSL) return false;
  const missing = [CADDY ? "" : "caddy (bash test/engine/build-services.sh builds .tools/services/bin/caddy-v*)", OPENSSL ? "" : "openssl"].filter(Boolean).join(" and ");
  // eslint-disable-next-line no-console
  console.warn(`\n*** SKIPPING ${what}: ${missing} not found. ***\n`);
  it.skip(`${what} (${missing} missing)`, () => undefined);
  return true;
}

describe("caddy validate", () => {
  if (skipped("caddy validate of the rendered gateway config")) return;
  let root = "";
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-validate-"));
    materials(root);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("accepts the fleet's config with its certificate, key and one hash file per host", async () => {
    const file = path.join(root, "caddy.json");
    fs.writeFileSync(file, configUnder(root));
    const r = await run(CADDY!, ["validate", "--config", file, "--adapter", ""], caddyEnv(root));
    expect(r.out).toContain("Valid configuration");
    expect(r.code).toBe(0);
  });

  it("refuses it when a host's hash file is missing (the check can fail)", async () => {
    const file = path.join(root, "caddy.json");
    fs.writeFileSync(file, configUnder(root));
    const hash = path.join(root, gatewayPasswordHashFile("db1").replace(/^\//, ""));
    fs.renameSync(hash, `${hash}.away`);
    try {
      const r = await run(CADDY!, ["validate", "--config", file, "--adapter", ""], caddyEnv(root));
      expect(r.code).not.toBe(0);
      expect(r.out).toContain("account 1: username and password are required");
    } finally {
      fs.renameSync(`${hash}.away`, hash);
    }
  });
});

interface Seen {
  path: string;
  authorization: string | undefined;
  body: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A stand-in for Loki or Prometheus: records what reaches it and answers `status`. */
function upstream(status: number, seen: Seen[]): Promise<http.Server> {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({ path: req.url ?? "", authorization: req.headers.authorization, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(status).end();
      });
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

describe("the gateway run by the real Caddy", () => {
  if (skipped("the live gateway test")) return;
  let root = "";
  let ca = "";
  let port = 0;
  let healthPort = 0;
  let caddy: ChildProcess | undefined;
  let log = "";
  const loki: Seen[] = [];
  const prom: Seen[] = [];
  const servers: http.Server[] = [];

  function request(method: string, urlPath: string, auth?: [string, string], body = ""): Promise<{ status: number; headers: http.IncomingHttpHeaders; cert: tls.PeerCertificate }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { "content-type": "application/x-protobuf" };
      if (auth) headers.authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString("base64")}`;
      const req = https.request(
        {
          host: "127.0.0.1", // an IP: no SNI, as an agent dialing the central address sends none
          port,
          method,
          path: urlPath,
          headers,
          ca,
          agent: false,
          timeout: 10_000,
          // The certificate is for the central address; the connection reaches Caddy on 127.0.0.1.
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity(CENTRAL, cert),
        },
        (res) => {
          const cert = (res.socket as tls.TLSSocket).getPeerCertificate();
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, cert }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-live-"));
    ca = materials(root).ca;
    const lokiServer = await upstream(204, loki);
    const promServer = await upstream(200, prom);
    servers.push(lokiServer, promServer);
    const addr = (s: http.Server) => `127.0.0.1:${(s.address() as net.AddressInfo).port}`;
    port = await freePort();
    healthPort = await freePort();
    const file = path.join(root, "caddy.json");
    fs.writeFileSync(file, configUnder(root, { port, healthPort, upstreams: { [GATEWAY_PATHS.lokiPush]: addr(lokiServer), [GATEWAY_PATHS.remoteWrite]: addr(promServer) } }));
    caddy = spawn(CADDY!, ["run", "--config", file], { env: caddyEnv(root), stdio: ["ignore", "pipe", "pipe"] });
    caddy.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    caddy.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    // Bounded poll: up to 15 s for the TLS listener.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const c = net.connect(port, "127.0.0.1", () => {
          c.destroy();
          resolve(true);
        });
        c.on("error", () => resolve(false));
      });
      if (up) break;
      if (caddy.exitCode !== null || Date.now() > deadline) throw new Error(`caddy did not listen on ${port} within 15 s:\n${log.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    if (caddy && caddy.exitCode === null) {
      const exited = new Promise((r) => caddy!.once("exit", r));
      caddy.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
      clearTimeout(timer);
      if (caddy.exitCode === null) caddy.kill("SIGKILL");
    }
    for (const s of servers) {
      s.closeAllConnections(); // Caddy keeps its upstream connections alive
      s.close();
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("serves the loaded certificate over TLS to a client without SNI, verified against the CA", async () => {
    const r = await request("GET", "/");
    expect(r.cert.subjectaltname).toBe(`IP Address:${CENTRAL}`);
    expect(r.status).toBe(404);
  });

  it("answers 401 on both paths without credentials, with a wrong password and with another host's password", async () => {
    for (const p of [GATEWAY_PATHS.lokiPush, GATEWAY_PATHS.remoteWrite]) {
      for (const auth of [undefined, ["web1", "wrong"], ["web1", PASSWORDS.db1], ["nobody", PASSWORDS.web1]] as ([string, string] | undefined)[]) {
        const r = await request("POST", p, auth, "x");
        expect([p, auth?.[0], r.status]).toEqual([p, auth?.[0], 401]);
        expect(r.headers["www-authenticate"]).toBe(`Basic realm="${GATEWAY_REALM}"`);
      }
    }
    expect([...loki, ...prom]).toEqual([]);
  }, 60_000);

  it("lets each host through with its own password to the right upstream, without the Authorization header", async () => {
    expect((await request("POST", GATEWAY_PATHS.lokiPush, ["web1", PASSWORDS.web1], "logs from web1")).status).toBe(204);
    expect((await request("POST", GATEWAY_PATHS.remoteWrite, ["db1", PASSWORDS.db1], "series from db1")).status).toBe(200);
    expect(loki).toEqual([{ path: "/loki/api/v1/push", authorization: undefined, body: "logs from web1" }]);
    expect(prom).toEqual([{ path: "/api/v1/write", authorization: undefined, body: "series from db1" }]);
  }, 60_000);

  // The container's healthcheck (components/gateway.ts) as Docker runs it in the image: BusyBox wget
  // (here the machine's BusyBox, alone on PATH) against this Caddy's loopback health listener.
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((b) => fs.existsSync(b));
  (busybox ? it : it.skip)("the container's healthcheck passes once Caddy serves the config, and fails when nothing listens", async () => {
    const bin = path.join(root, "bb");
    fs.mkdirSync(bin, { recursive: true });
    if (!fs.existsSync(path.join(bin, "wget"))) fs.symlinkSync(busybox!, path.join(bin, "wget"));
    const probe = (listen: string) =>
      new Promise<number>((resolve) => {
        const [, cmd, ...args] = gatewayHealthTest(listen);
        execFile(path.join(bin, cmd), args, { env: { PATH: bin }, timeout: 20_000 }, (err) => resolve(err ? Number((err as { code?: unknown }).code ?? 1) : 0));
      });
    expect(await probe(`127.0.0.1:${healthPort}`)).toBe(0);
    expect(await probe(`127.0.0.1:${await freePort()}`)).not.toBe(0);
  });

  it("answers 404 to anything else, with credentials or without", async () => {
    for (const p of ["/", "/loki/api/v1/query_range", "/api/v1/query", "/metrics", "/loki/api/v1/push/x"]) {
      expect([p, (await request("GET", p, ["web1", PASSWORDS.web1])).status]).toEqual([p, 404]);
      expect([p, (await request("GET", p)).status]).toEqual([p, 404]);
    }
  }, 60_000);
});
