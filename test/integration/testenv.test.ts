// The test environment is real: a Docker engine answers, every image the stack runs came from the
// local registry (its RepoDigest is the digest the registry serves), every container is healthy
// and published on 127.0.0.1 only, the real binaries are what they claim, and each double answers
// its documented API shape. Needs `npm run testenv:up` first (npm run test:integration does it).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Docker from "dockerode";
import { centralHost } from "../../contracts/config/hosts";
import { serviceBindAddress } from "../../contracts/config/exposure";
import { loadConfigFile } from "../../contracts/config/load";
// The double's own encoder of Alloy's wire format (snappy-compressed logproto.PushRequest).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { encodeProtoPush } = require("../env/doubles/loki/push.js") as { encodeProtoPush: (streams: Array<{ labels: string; entries: Array<{ ts: string; line: string }> }>) => Buffer };

const ROOT = path.resolve(__dirname, "../..");
const INFO_FILE = path.join(ROOT, "test/.tmp/testenv.json");
const SERVICES = ["grafana", "loki", "alloy", "prometheus", "nodeExporter", "cadvisor"] as const;
const KEBAB: Record<string, string> = { grafana: "grafana", loki: "loki", alloy: "alloy", prometheus: "prometheus", nodeExporter: "node-exporter", cadvisor: "cadvisor" };
const PORT: Record<string, number> = { grafana: 3000, loki: 3100, alloy: 12345, prometheus: 9090, nodeExporter: 9100, cadvisor: 8080 };

interface Svc { container: string; id: string; imageRef: string; imageId: string; repoDigest: string; kind: string; hostIp: string; hostPort: number; url: string }
interface Info { engine: { socket: string }; registry: string; project: string; configFile: string; renderDir: string; secretsFile: string; network: string; volumes: string[]; paths: Record<string, string>; services: Record<string, Svc> }

function loadInfo(): Info {
  if (!fs.existsSync(INFO_FILE)) throw new Error(`${INFO_FILE} is missing: run \`npm run testenv:up\` first (or \`npm run test:integration\`)`);
  return JSON.parse(fs.readFileSync(INFO_FILE, "utf8")) as Info;
}
const info = loadInfo();
// The stack file up deployed: where each port binds (127.0.0.1, or Grafana on the fleet's centre
// address) and the central host's name (the `host` label of its streams and series).
const config = loadConfigFile(info.configFile);
const docker = new Docker({ socketPath: info.engine.socket });
const secrets = Object.fromEntries(
  fs.readFileSync(info.secretsFile, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
const url = (svc: string, p: string) => `${info.services[svc].url}${p}`;

async function get(u: string, init?: RequestInit): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(u, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text(), type: res.headers.get("content-type") ?? "" };
}

function metricLabels(text: string, name: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+\S+/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push(labels);
  }
  return out;
}

/** Poll fn every 250 ms until it returns a value, at most `ms` milliseconds. */
async function eventually<T>(ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 1000; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

jest.setTimeout(60000);

describe("the engine", () => {
  test("answers on its socket", async () => {
    const ping = await docker.ping();
    expect(Buffer.isBuffer(ping) ? ping.toString() : String(ping)).toBe("OK");
    const v = await docker.version();
    expect(typeof v.ApiVersion).toBe("string");
  });
});

describe("images come from the local registry", () => {
  test.each(SERVICES)("%s: the registry serves a manifest whose digest is the running container's RepoDigest", async (svc) => {
    const s = info.services[svc];
    expect(s.imageRef.startsWith(`${info.registry}/`)).toBe(true);
    const rest = s.imageRef.slice(info.registry.length + 1);
    const repo = rest.slice(0, rest.lastIndexOf(":"));
    const tag = rest.slice(rest.lastIndexOf(":") + 1);
    const res = await fetch(`http://${info.registry}/v2/${repo}/manifests/${tag}`, {
      method: "HEAD",
      headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);
    const digest = res.headers.get("docker-content-digest");
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const c = await docker.getContainer(s.container).inspect();
    const img = await docker.getImage(c.Image).inspect();
    expect(img.RepoDigests).toContain(`${info.registry}/${repo}@${digest}`);
    // The stack's recorded RemoteImage.repoDigest is one of the image's RepoDigests with that digest.
    // Not necessarily under this repo: the provider reports one of the image's RepoDigests, and the
    // engine lists every repo the same image was pulled from (test:start pulls these images again
    // through the registry mirror's path, so an engine that ran it holds both names).
    expect(img.RepoDigests).toContain(s.repoDigest);
    expect(s.repoDigest.slice(s.repoDigest.indexOf("@") + 1)).toBe(digest);
    // Doubles are named as doubles; the real images are labelled real.
    expect(img.Config.Labels?.["logging-testenv.kind"]).toBe(repo.startsWith("doubles/") ? "double" : "real");
  });
});

describe("containers", () => {
  test.each(SERVICES)("%s: healthy, named and labelled by convention, published where the stack file binds it (loopback for every service without authentication)", async (svc) => {
    // Another suite (faults, providers) may have restarted it moments ago: healthy within its
    // healthcheck's own rhythm (interval 5 s), never "starting" for long.
    const c = await eventually(45000, async () => {
      const x = await docker.getContainer(info.services[svc].container).inspect();
      return x.State.Health?.Status === "starting" ? undefined : x;
    });
    expect(c.Name).toBe(`/${info.project}-${KEBAB[svc]}`);
    expect(c.State.Running).toBe(true);
    expect(c.State.Health?.Status).toBe("healthy");
    expect(c.Config.Labels["logging-bootstrap.project"]).toBe(info.project);
    expect(c.Config.Labels["logging-bootstrap.service"]).toBe(svc);
    expect(Object.keys(c.NetworkSettings.Networks)).toEqual([info.network]);
    const bindings = c.HostConfig.PortBindings as Record<string, { HostIp: string; HostPort: string }[]>;
    expect(Object.keys(bindings)).toEqual([`${PORT[svc]}/tcp`]);
    const ip = serviceBindAddress(config, svc);
    if (svc !== "grafana") expect(ip).toBe("127.0.0.1");
    expect(bindings[`${PORT[svc]}/tcp`]).toEqual([{ HostIp: ip, HostPort: String(info.services[svc].hostPort) }]);
  });

  test("every data volume is labelled", async () => {
    for (const v of info.volumes) {
      const vi = await docker.getVolume(v).inspect();
      expect(vi.Labels).toMatchObject({ "logging-bootstrap.project": info.project, "logging-bootstrap.data": "true" });
    }
    // Grafana, Loki, Alloy (positions), Prometheus and Alertmanager (silences, notification log).
    expect([...info.volumes].sort()).toEqual(["alertmanager", "alloy", "grafana", "loki", "prometheus"].map((s) => `${info.project}-${s}-data`));
  });
});

describe("real binaries", () => {
  test("Prometheus is the upstream 3.14.0 built from its Go module, and loaded the rendered rule file", async () => {
    const b = JSON.parse((await get(url("prometheus", "/api/v1/status/buildinfo"))).text);
    expect(b.status).toBe("success");
    expect(b.data.version).toBe("3.14.0");
    const rules = JSON.parse((await get(url("prometheus", "/api/v1/rules"))).text);
    expect(rules.status).toBe("success");
    expect(rules.data.groups.map((g: { file: string }) => g.file)).toContain("/etc/prometheus/rules/logging-bootstrap.rules.yml");
  });
  test("the rendered Prometheus config passes the pinned version's own promtool (inside its container)", async () => {
    const ex = await docker.getContainer(info.services.prometheus.container).exec({ Cmd: ["promtool", "check", "config", "/etc/prometheus/prometheus.yml"], AttachStdout: true, AttachStderr: true });
    const stream = await ex.start({ hijack: true, stdin: false });
    let out = "";
    await new Promise<void>((r) => {
      stream.on("data", (d: Buffer) => (out += d.toString("utf8")));
      stream.on("end", () => r());
      stream.on("close", () => r());
    });
    expect((await ex.inspect()).ExitCode).toBe(0);
    expect(out).toMatch(/SUCCESS: \/etc\/prometheus\/prometheus\.yml is valid prometheus config file syntax/);
  });
  test("node-exporter is the upstream 1.12.1", async () => {
    const m = await get(url("nodeExporter", "/metrics"));
    expect(m.status).toBe(200);
    const build = metricLabels(m.text, "node_exporter_build_info");
    expect(build.length).toBe(1);
    expect(build[0].version).toBe("1.12.1");
  });
});

describe("Grafana double", () => {
  const auth = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
  test("/api/health", async () => {
    const r = await get(url("grafana", "/api/health"));
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body.database).toBe("ok");
    expect(typeof body.version).toBe("string");
    expect(typeof body.commit).toBe("string");
  });
  test("/api/search?type=dash-db lists exactly the provisioned dashboards, behind basic auth", async () => {
    const dir = path.join(info.renderDir, "files/grafana/etc/grafana/dashboards");
    const rendered = fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { uid: string; title: string });
    expect(rendered.length).toBeGreaterThan(0);
    const r = await get(url("grafana", "/api/search?type=dash-db"), { headers: auth("admin", secrets.GRAFANA_ADMIN_PASSWORD) });
    expect(r.status).toBe(200);
    const hits = JSON.parse(r.text) as { uid: string; title: string; type: string; url: string; uri: string; tags: string[] }[];
    expect(hits.map((h) => h.uid).sort()).toEqual(rendered.map((d) => d.uid).sort());
    for (const h of hits) {
      expect(h.type).toBe("dash-db");
      expect(h.title).toBe(rendered.find((d) => d.uid === h.uid)!.title);
      expect(h.url.startsWith(`/d/${h.uid}/`)).toBe(true);
      expect(Array.isArray(h.tags)).toBe(true);
    }
  });
  test("bad or missing credentials answer 401 JSON", async () => {
    const bad = await get(url("grafana", "/api/search?type=dash-db"), { headers: auth("admin", "not-the-password") });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.text).message).toBe("Invalid username or password");
    const none = await get(url("grafana", "/api/search?type=dash-db"));
    expect(none.status).toBe(401);
    expect(typeof JSON.parse(none.text).message).toBe("string");
  });
});

describe("Loki double", () => {
  const marker = `testenv-selftest-${process.pid}-${Date.now()}`;
  test("/ready and buildinfo", async () => {
    const r = await get(url("loki", "/ready"));
    expect(r.status).toBe(200);
    expect(r.text.trim()).toBe("ready");
    expect(typeof JSON.parse((await get(url("loki", "/loki/api/v1/status/buildinfo"))).text).version).toBe("string");
  });
  test("push 204, then query_range streams, labels and label values", async () => {
    const ts = (BigInt(Date.now()) * 1000000n).toString();
    const push = await fetch(url("loki", "/loki/api/v1/push"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ streams: [{ stream: { job: "testenv-selftest", run: marker }, values: [[ts, `hello ${marker}`]] }] }),
      signal: AbortSignal.timeout(5000),
    });
    expect(push.status).toBe(204);
    const q = new URLSearchParams({ query: `{job="testenv-selftest", run="${marker}"} |= "hello"`, limit: "10", direction: "backward" });
    const body = await eventually(15000, async () => {
      q.set("end", (BigInt(Date.now()) * 1000000n + 1000000n).toString()); // recomputed each attempt
      const b = JSON.parse((await get(url("loki", `/loki/api/v1/query_range?${q}`))).text);
      return b.data.result.length > 0 ? b : undefined;
    });
    expect(body.status).toBe("success");
    expect(body.data.resultType).toBe("streams");
    // Loki 3 adds service_name from the first label of limits_config.discover_service_name (job here).
    expect(body.data.result).toEqual([{ stream: { job: "testenv-selftest", run: marker, service_name: "testenv-selftest" }, values: [[ts, `hello ${marker}`]] }]);
    const labels = JSON.parse((await get(url("loki", "/loki/api/v1/labels"))).text);
    expect(labels.status).toBe("success");
    expect(labels.data).toEqual(expect.arrayContaining(["job", "run"]));
    const values = JSON.parse((await get(url("loki", "/loki/api/v1/label/run/values"))).text);
    expect(values.data).toContain(marker);
  });
  test("accepts Alloy's snappy-compressed protobuf push, refuses a corrupt one and a bad query as Loki does", async () => {
    const ts = (BigInt(Date.now()) * 1000000n).toString();
    const proto = `testenv-proto-${process.pid}-${Date.now()}`;
    const body = encodeProtoPush([{ labels: `{job="testenv-selftest", run="${proto}"}`, entries: [{ ts, line: `hello ${proto}` }] }]);
    const ok = await fetch(url("loki", "/loki/api/v1/push"), { method: "POST", headers: { "Content-Type": "application/x-protobuf" }, body, signal: AbortSignal.timeout(5000) });
    expect(ok.status).toBe(204);
    const q = new URLSearchParams({ query: `{run="${proto}"}`, limit: "10" });
    const got = await eventually(15000, async () => {
      q.set("end", (BigInt(Date.now()) * 1000000n + 1000000n).toString());
      const b = JSON.parse((await get(url("loki", `/loki/api/v1/query_range?${q}`))).text);
      return b.data.result.length > 0 ? b : undefined;
    });
    expect(got.data.result[0].values).toEqual([[ts, `hello ${proto}`]]);
    // pkg/loghttp/push/push.go: the body is snappy-decoded first; garbage is a 400 with snappy's error.
    const bad = await fetch(url("loki", "/loki/api/v1/push"), { method: "POST", headers: { "Content-Type": "application/x-protobuf" }, body: "x", signal: AbortSignal.timeout(5000) });
    expect([bad.status, (await bad.text()).trim()]).toEqual([400, "snappy: corrupt input"]);
    expect((await get(url("loki", `/loki/api/v1/query_range?query=${encodeURIComponent("sum(rate({job=\"x\"}[1m]))")}`))).status).toBe(400);
  });
});

describe("Alloy double", () => {
  test("/-/ready", async () => {
    const r = await get(url("alloy", "/-/ready"));
    expect(r.status).toBe(200);
  });
  test("tails a file under logsRoot and pushes it to Loki with labels, redacted", async () => {
    const marker = `testenv-alloy-${process.pid}-${Date.now()}`;
    const file = path.join(info.paths.logsRoot, "testenv-selftest.log");
    fs.appendFileSync(file, `${marker} password=hunter2&x=1\n`);
    const q = new URLSearchParams({ query: `{job="logs"} |= "${marker}"`, limit: "5" });
    const body = await eventually(20000, async () => {
      q.set("end", (BigInt(Date.now()) * 1000000n + 1000000n).toString());
      const b = JSON.parse((await get(url("loki", `/loki/api/v1/query_range?${q}`))).text);
      return b.data.result.length > 0 ? b : undefined;
    });
    expect(body.data.result.length).toBe(1);
    const stream = body.data.result[0];
    expect(stream.stream).toEqual({ filename: file, host: centralHost(config).name, job: "logs", project: info.project, service_name: "logs" });
    expect(stream.values.map((v: [string, string]) => v[1])).toEqual([`${marker} password=***REDACTED***&x=1`]);
  });
});

describe("cAdvisor (the real collector: our main over cAdvisor v0.60.5's library)", () => {
  test("/healthz, its version, and per-container series of the stack's containers read from the engine", async () => {
    const h = await get(url("cadvisor", "/healthz"));
    expect(h.status).toBe(200);
    expect(h.text.trim()).toBe("ok");
    // Not the double: the image is labelled real, and the collector's own version line is upstream's tag.
    const img = await docker.getImage(info.services.cadvisor.imageId).inspect();
    expect(img.Config.Labels?.["logging-testenv.kind"]).toBe("real");
    const m = await get(url("cadvisor", "/metrics"));
    expect(metricLabels(m.text, "cadvisor_version_info").map((l) => l.cadvisorVersion)).toEqual(["v0.60.5"]);
    // --docker_only: series per Docker container, named as the engine names them (Loki's among them).
    const names = new Set(metricLabels(m.text, "container_cpu_usage_seconds_total").map((l) => l.name));
    expect(names).toContain(info.services.loki.container);
    expect(names).toContain(info.services.prometheus.container);
  });
});

describe("idempotency", () => {
  test("a second `testenv:up` is fast and changes nothing", async () => {
    const before = await Promise.all(SERVICES.map((svc) => docker.getContainer(info.services[svc].container).inspect()));
    const t0 = Date.now();
    // async child process: a sync spawn would block this jest process (TESTING.md)
    await new Promise<void>((resolve, reject) =>
      execFile("bash", [path.join(ROOT, "test/env/up.sh")], { cwd: ROOT, timeout: 120000 }, (err, _o, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve())),
    );
    const seconds = (Date.now() - t0) / 1000;
    const after = await Promise.all(SERVICES.map((svc) => docker.getContainer(info.services[svc].container).inspect()));
    expect(after.map((c) => [c.Id, c.State.StartedAt, c.Image])).toEqual(before.map((c) => [c.Id, c.State.StartedAt, c.Image]));
    // Fast means nothing rebuilt or recreated (the equality above); the bound only catches a rebuild,
    // with room for a loaded 2-core CI machine (about 15 s when idle).
    expect(seconds).toBeLessThan(90);
  }, 150000);
});
