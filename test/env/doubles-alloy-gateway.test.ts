// The Alloy double of a fleet host pushing through the real gateway, with real processes on
// 127.0.0.1 ephemeral ports: the real Caddy (.tools/services/bin/caddy-v*) terminating TLS with a
// throwaway CA's server certificate (openssl) and checking per-host basic auth (bcrypt hashes from
// `caddy hash-password`), in front of the real Prometheus (.tools/services/bin/prometheus-v3.*,
// --web.enable-remote-write-receiver) and the Loki double; the double scrapes the real
// node_exporter and cAdvisor (.tools/services/bin) over plain HTTP.
//   right credentials: the stream is in Loki, the series are queryable in Prometheus with the
//                      external labels; wrong ones: 401, nothing stored; another CA: the TLS
//                      handshake fails in Go's words and nothing is stored.
// Skipped, saying which binary is missing, when one is not built.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/* eslint-disable @typescript-eslint/no-require-imports */
const { Tailer } = require("./doubles/alloy/server.js");
const K = require("./doubles/alloy/components.js");
const H = require("./doubles/alloy/httpclient.js");

const BIN = path.join(__dirname, "..", "..", ".tools", "services", "bin");
const newest = (re: RegExp) => (fs.existsSync(BIN) ? fs.readdirSync(BIN).filter((f) => re.test(f)).sort().map((f) => path.join(BIN, f)).pop() : undefined);
const CADDY = newest(/^caddy-v\d/);
const PROMETHEUS = newest(/^prometheus-v3\./);
const NODE_EXPORTER = newest(/^node_exporter-v\d/);
const CADVISOR = newest(/^cadvisor-v\d/);
const OPENSSL = ["/usr/bin/openssl", "/usr/local/bin/openssl"].find((p) => fs.existsSync(p));
const LOKI_DOUBLE = path.join(__dirname, "doubles", "loki", "server.js");
const PASSWORD = "web1-gateway-password-0123456789";

const missing = [
  CADDY ? "" : "caddy (bash test/engine/build-services.sh builds .tools/services/bin/caddy-v*)",
  PROMETHEUS ? "" : "prometheus v3 (.tools/services/bin/prometheus-v3.*)",
  NODE_EXPORTER ? "" : "node_exporter (.tools/services/bin/node_exporter-v*)",
  OPENSSL ? "" : "openssl",
].filter(Boolean);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ status: 0, body: "" }));
  });
}

/** A bounded poll: `check` until it returns a value, at most `ms`. */
async function poll<T>(what: string | (() => string), ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${typeof what === "string" ? what : what()}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const procs: { name: string; child: ChildProcess; log: string[] }[] = [];
function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const child = spawn(cmd, args, { env: Object.assign({ PATH: process.env.PATH }, env), stdio: ["ignore", "pipe", "pipe"] });
  const entry = { name, child, log: [] as string[] };
  child.stdout!.on("data", (d: Buffer) => entry.log.push(d.toString()));
  child.stderr!.on("data", (d: Buffer) => entry.log.push(d.toString()));
  procs.push(entry);
}
const tail = (name: string) => (procs.find((p) => p.name === name)?.log.join("") ?? "").slice(-3000);

describe("the Alloy double through the real gateway to the real Prometheus and the Loki double", () => {
  if (missing.length) {
    // eslint-disable-next-line no-console
    console.warn(`\n*** SKIPPING the Alloy double's gateway test: ${missing.join(" and ")} not found. ***\n`);
    it.skip(`pushes through the real gateway (${missing.join(" and ")} missing)`, () => undefined);
    return;
  }
  let root = "";
  const port = { gw: 0, prom: 0, loki: 0, ne: 0, cad: 0 };
  const tailers: { stop(): void }[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "lb-alloy-gw-"));
    for (const k of Object.keys(port) as (keyof typeof port)[]) port[k] = await freePort();
    const o = (args: string[]) => execFileSync(OPENSSL!, args, { cwd: root, stdio: "pipe", timeout: 30_000 });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    o(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=gateway test CA", "-days", "1"]);
    o(["req", "-x509", ...ec, "-keyout", "other.key", "-out", "other-ca.pem", "-subj", "/CN=another CA", "-days", "1"]);
    o(["req", "-new", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=gateway"]);
    fs.writeFileSync(path.join(root, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    o(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "san.ext"]);
    const hash = execFileSync(CADDY!, ["hash-password", "--algorithm", "bcrypt", "--bcrypt-cost", "10", "--plaintext", PASSWORD], { encoding: "utf8", timeout: 30_000 }).trim();
    // Cost 10, as random.RandomPassword's bcryptHash: Caddy's default cost (14) takes a second per
    // failed comparison, and the retries of a wrong password would starve the other requests.
    const basic = { handler: "authentication", providers: { http_basic: { hash: { algorithm: "bcrypt" }, hash_cache: {}, realm: "gateway", accounts: [{ username: "web1", password: hash }] } } };
    const route = (p: string, upstream: number) => ({ match: [{ path: [p] }], handle: [basic, { handler: "reverse_proxy", upstreams: [{ dial: `127.0.0.1:${upstream}` }], headers: { request: { delete: ["Authorization"] } } }], terminal: true });
    const caddyConfig = {
      admin: { disabled: true, config: { persist: false } },
      apps: {
        http: { servers: { gw: { listen: [`127.0.0.1:${port.gw}`], automatic_https: { disable: true }, tls_connection_policies: [{ certificate_selection: { any_tag: ["gw"] } }], routes: [route("/loki/api/v1/push", port.loki), route("/api/v1/write", port.prom), { handle: [{ handler: "static_response", status_code: 404 }] }] } } },
        tls: { certificates: { load_files: [{ certificate: path.join(root, "server.pem"), key: path.join(root, "server.key"), tags: ["gw"] }] } },
      },
    };
    fs.writeFileSync(path.join(root, "caddy.json"), JSON.stringify(caddyConfig));
    fs.writeFileSync(path.join(root, "loki.yaml"), `auth_enabled: false\nserver:\n  http_listen_address: 127.0.0.1\n  http_listen_port: ${port.loki}\ncommon:\n  path_prefix: ${root}/loki\ningester:\n  lifecycler:\n    min_ready_duration: 0s\n`);
    fs.mkdirSync(path.join(root, "loki"));
    fs.writeFileSync(path.join(root, "prometheus.yml"), "global:\n  scrape_interval: 15s\n");
    start("caddy", CADDY!, ["run", "--config", path.join(root, "caddy.json")], { HOME: root, XDG_DATA_HOME: path.join(root, "xdg-data"), XDG_CONFIG_HOME: path.join(root, "xdg-config") });
    start("loki", process.execPath, [LOKI_DOUBLE, `-config.file=${path.join(root, "loki.yaml")}`], { LOKI_DOUBLE_INGEST_DELAY_MS: "0", NODE_PATH: path.join(__dirname, "..", "..", "node_modules") });
    start("prometheus", PROMETHEUS!, [`--config.file=${path.join(root, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(root, "prom")}`, `--web.listen-address=127.0.0.1:${port.prom}`, "--web.enable-remote-write-receiver"]);
    start("node_exporter", NODE_EXPORTER!, [`--web.listen-address=127.0.0.1:${port.ne}`]);
    if (CADVISOR) start("cadvisor", CADVISOR, [`-listen_ip=127.0.0.1`, `-port=${port.cad}`, "-logtostderr"]);
    await poll(`Prometheus ready\n${tail("prometheus")}`, 30_000, async () => ((await get(`http://127.0.0.1:${port.prom}/-/ready`)).status === 200 ? true : undefined));
    await poll(`Loki double ready\n${tail("loki")}`, 15_000, async () => ((await get(`http://127.0.0.1:${port.loki}/ready`)).status === 200 ? true : undefined));
    await poll(`node_exporter up\n${tail("node_exporter")}`, 15_000, async () => ((await get(`http://127.0.0.1:${port.ne}/metrics`)).status === 200 ? true : undefined));
    await poll(`Caddy listening\n${tail("caddy")}`, 15_000, () => new Promise<true | undefined>((resolve) => {
      const c = net.connect(port.gw, "127.0.0.1", () => (c.destroy(), resolve(true)));
      c.on("error", () => resolve(undefined));
    }));
    if (CADVISOR) await poll(`cAdvisor up\n${tail("cadvisor")}`, 20_000, async () => ((await get(`http://127.0.0.1:${port.cad}/metrics`)).status === 200 ? true : undefined));
  }, 120_000);

  afterAll(async () => {
    for (const t of tailers) t.stop();
    for (const p of procs) {
      if (p.child.exitCode !== null) continue;
      const exited = new Promise((r) => p.child.once("exit", r));
      p.child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (p.child.exitCode === null) p.child.kill("SIGKILL");
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 30_000);

  /** A fleet host's Alloy config: its log file, node_exporter (and cAdvisor), everything through the gateway. */
  function hostDouble(host: string, password: string, caFile: string): { tailer: InstanceType<typeof Tailer>; marker: string } {
    const dir = path.join(root, host);
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
    fs.writeFileSync(path.join(dir, "password"), `${password}\n`);
    const marker = `marker ${host} ${Date.now()}`;
    fs.writeFileSync(path.join(dir, "logs", "proof.log"), `${marker}\n`);
    const ca = fs.readFileSync(caFile, "utf8");
    const endpoint = (p: string, tls: string) => `  endpoint {\n    url = "https://127.0.0.1:${port.gw}${p}"\n    basic_auth {\n      username = "web1"\n      password_file = "${dir}/password"\n    }\n    tls_config {\n      ${tls}\n    }\n`;
    const scrape = (label: string, job: string, p: number) => `prometheus.scrape "${label}" {\n  targets = [{"__address__" = "127.0.0.1:${p}"}]\n  job_name = "${job}"\n  scrape_interval = "2s"\n  scrape_timeout = "2s"\n  forward_to = [prometheus.remote_write.central.receiver]\n}\n`;
    const config = [
      `logging {\n  level = "info"\n}\n`,
      `local.file_match "files" {\n  path_targets = [{"__path__" = "${dir}/logs/*.log", "job" = "logs"}]\n}\n`,
      `loki.source.file "files" {\n  targets = local.file_match.files.targets\n  forward_to = [loki.write.central.receiver]\n}\n`,
      `loki.write "central" {\n${endpoint("/loki/api/v1/push", `ca_file = "${caFile}"`)}    batch_wait = "200ms"\n    min_backoff_period = "20ms"\n    max_backoff_period = "40ms"\n    max_backoff_retries = 2\n  }\n  external_labels = {"project" = "lb", "host" = "${host}"}\n}\n`,
      scrape("node_exporter", "node", port.ne),
      CADVISOR ? scrape("cadvisor", "cadvisor", port.cad) : "",
      `prometheus.remote_write "central" {\n  external_labels = {"host" = "${host}"}\n${endpoint("/api/v1/write", `ca_pem = ${JSON.stringify(ca)}`)}    queue_config {\n      batch_send_deadline = "200ms"\n      min_backoff = "20ms"\n      max_backoff = "200ms"\n    }\n  }\n}\n`,
    ].join("");
    fs.writeFileSync(path.join(dir, "config.alloy"), config);
    const tailer = new Tailer(path.join(dir, "config.alloy"), path.join(dir, "data"));
    tailers.push(tailer);
    return { tailer, marker };
  }

  const lokiLines = async (host: string): Promise<string[]> => {
    const q = new URLSearchParams({ query: `{host="${host}"}`, since: "1h", limit: "100" });
    const r = await get(`http://127.0.0.1:${port.loki}/loki/api/v1/query_range?${q}`);
    if (r.status !== 200) return [];
    return (JSON.parse(r.body).data.result as { values: [string, string][] }[]).flatMap((s) => s.values.map((v) => v[1]));
  };
  const promQuery = async (query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = await get(`http://127.0.0.1:${port.prom}/api/v1/query?${new URLSearchParams({ query })}`);
    return r.status === 200 ? JSON.parse(r.body).data.result : [];
  };

  it("right credentials: the stream reaches Loki with its labels, node_exporter's and cAdvisor's series reach Prometheus with host, job, instance", async () => {
    const { tailer, marker } = hostDouble("web1", PASSWORD, path.join(root, "ca.pem"));
    tailer.loop();
    await poll("the marker in Loki", 20_000, async () => ((await lokiLines("web1")).includes(marker) ? true : undefined));
    const up = await poll("up{job=node,host=web1} in Prometheus", 30_000, async () => {
      const r = await promQuery('up{job="node",host="web1"}');
      return r.length ? r : undefined;
    });
    expect(up[0].metric).toEqual({ __name__: "up", host: "web1", instance: `127.0.0.1:${port.ne}`, job: "node" });
    expect(up[0].value[1]).toBe("1");
    const load = await promQuery('node_load1{host="web1"}');
    expect(load).toHaveLength(1);
    // Everything the double scraped arrived: scrape_samples_scraped equals the series Prometheus holds for the scrape.
    const scraped = await promQuery('scrape_samples_scraped{job="node",host="web1"}');
    expect(Number(scraped[0].value[1])).toBeGreaterThan(100);
    if (CADVISOR) {
      const cad = await poll("cAdvisor's series in Prometheus", 30_000, async () => {
        const r = await promQuery('container_last_seen{job="cadvisor",host="web1"}');
        return r.length ? r : undefined;
      });
      expect(cad[0].metric).toMatchObject({ host: "web1", job: "cadvisor", instance: `127.0.0.1:${port.cad}` });
    }
    const status = tailer.writers.get("loki.write.central").writer.endpoints[0].stats;
    expect(status).toMatchObject({ lastStatus: 204, droppedEntries: 0 });
  }, 90_000);

  it("wrong credentials: 401 from the gateway, loki.write drops the batch (and stays healthy), remote_write drops the samples; nothing stored", async () => {
    const logs: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation(((c: string) => (logs.push(String(c)), true)) as typeof process.stdout.write);
    const { tailer } = hostDouble("web2", "not-the-password", path.join(root, "ca.pem"));
    try {
      tailer.loop();
      const lw = tailer.writers.get("loki.write.central").writer.endpoints[0];
      await poll(() => `loki.write's 401 (${JSON.stringify(lw.stats)})`, 20_000, async () => (lw.stats.droppedEntries > 0 ? true : undefined));
      expect(lw.stats).toMatchObject({ lastStatus: 401, sentEntries: 0, requests: 1 });
      expect(lw.stats.lastError).toMatch(/^server returned HTTP status 401 Unauthorized \(401\)/);
      const rw = tailer.metrics.writes.get("prometheus.remote_write.central").rw.endpoints[0];
      await poll(() => `remote_write's 401 (${JSON.stringify(rw.stats)})`, 20_000, async () => (rw.stats.failed > 0 ? true : undefined));
      expect(rw.stats).toMatchObject({ lastStatus: 401, samples: 0 });
      const health = K.listComponents(tailer.cfg.root, tailer.componentState()).find((c: { localID: string }) => c.localID === "loki.write.central").health;
      expect(health.state).toBe("healthy");
      expect(logs.join("")).toContain("final error sending batch, no retries left, dropping data");
      expect(logs.join("")).not.toContain("not-the-password");
      expect(await lokiLines("web2")).toEqual([]);
      expect(await promQuery('{host="web2"}')).toEqual([]);
    } finally {
      tailer.stop(); // its log lines stay off the test output
      spy.mockRestore();
    }
  }, 60_000);

  it("another CA: the TLS handshake fails in Go's words, loki.write gives up after its retries, remote_write keeps retrying; nothing stored", async () => {
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((() => true) as typeof process.stdout.write);
    const { tailer } = hostDouble("web3", PASSWORD, path.join(root, "other-ca.pem"));
    try {
      tailer.loop();
      const lw = tailer.writers.get("loki.write.central").writer.endpoints[0];
      await poll(() => `loki.write's TLS failure (${JSON.stringify(lw.stats)})`, 20_000, async () => (lw.stats.droppedEntries > 0 ? true : undefined));
      expect(lw.stats).toMatchObject({ lastStatus: -1, requests: 2 });
      expect(lw.stats.lastError).toBe(`Post "https://127.0.0.1:${port.gw}/loki/api/v1/push": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
      const rw = tailer.metrics.writes.get("prometheus.remote_write.central").rw.endpoints[0];
      await poll(() => `remote_write retrying (${JSON.stringify(rw.stats)})`, 20_000, async () => (rw.stats.retried > 0 ? true : undefined));
      expect(rw.stats).toMatchObject({ lastStatus: -1, samples: 0, failed: 0 });
      expect(rw.stats.lastError).toContain("x509: certificate signed by unknown authority");
      expect(await lokiLines("web3")).toEqual([]);
      expect(await promQuery('{host="web3"}')).toEqual([]);
    } finally {
      tailer.stop(); // its log lines stay off the test output
      spy.mockRestore();
    }
  }, 60_000);

  it("tls_config as Go's client applies it: insecure_skip_verify accepts another CA's chain, server_name is what the certificate must name", async () => {
    const url = `https://127.0.0.1:${port.gw}/loki/api/v1/push`;
    const basicAuth = { username: "web1", password: PASSWORD, passwordFile: "" };
    const send = (tls: Record<string, unknown>) => H.request({ basicAuth, tls, headers: {} }, url, { method: "POST", headers: { "Content-Type": "application/json" }, body: Buffer.from('{"streams":[]}') });
    // Through TLS and the gateway's auth to the Loki double, which refuses an empty push with 422.
    expect((await send({ caFile: path.join(root, "other-ca.pem"), insecureSkipVerify: true })).status).toBe(422);
    expect((await send({ ca: fs.readFileSync(path.join(root, "ca.pem"), "utf8") })).status).toBe(422);
    await expect(send({ caFile: path.join(root, "ca.pem"), serverName: "gateway.example" })).rejects.toThrow(`Post "${url}": tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match gateway.example`);
  }, 30_000);
});
