// The lint as a whole: every finding reported together, the finding shape, example patches that
// really fix what they report, secrets never echoed.
import YAML from "yaml";
import { EXAMPLE_CONFIG, lintConfig } from "../../contracts/config/lint";
import { Finding, PROJECT_NAMESPACE } from "../../contracts/config/findings";
import { getAt, isRecord } from "../../contracts/config/values";
import { readStackFile, SECURE_PLACEHOLDER } from "../../contracts/config/stackfile";
import { clone, fixture } from "./helpers";

type Cfg = Record<string, any>;

/** Apply an example patch the way an operator would: merge the fragment into the stack file. */
function applyPatch(cfg: Cfg, secretKeys: Set<string>, f: Finding): void {
  const doc = YAML.parse(f.examplePatch);
  expect(isRecord(doc) && isRecord(doc.config)).toBe(true);
  if (f.message.startsWith("unknown key")) deletePath(cfg, f.path); // "rename"/"delete" patches
  for (const [full, value] of Object.entries(doc.config as Record<string, unknown>)) {
    expect(full.startsWith(`${PROJECT_NAMESPACE}:`)).toBe(true);
    const key = full.slice(PROJECT_NAMESPACE.length + 1);
    if (isRecord(value) && typeof value.secure === "string") {
      cfg[key] = "<decrypted by the CLI>";
      secretKeys.add(key);
    } else {
      // A nested secure: value is what readStackFile makes of it (the key becomes secret).
      const { value: v, secret } = stripSecure(value);
      cfg[key] = merge(cfg[key], v);
      if (secret) secretKeys.add(key);
    }
  }
}

function stripSecure(v: unknown): { value: unknown; secret: boolean } {
  if (isRecord(v) && Object.keys(v).length === 1 && typeof v.secure === "string") return { value: SECURE_PLACEHOLDER, secret: true };
  if (Array.isArray(v)) {
    const parts = v.map(stripSecure);
    return { value: parts.map((p) => p.value), secret: parts.some((p) => p.secret) };
  }
  if (isRecord(v)) {
    const parts = Object.entries(v).map(([k, e]) => [k, stripSecure(e)] as const);
    return { value: Object.fromEntries(parts.map(([k, p]) => [k, p.value])), secret: parts.some(([, p]) => p.secret) };
  }
  return { value: v, secret: false };
}

/** A correct fleet: the central host on its LAN address, a remote host over ssh, the gateway, only Grafana on the LAN. */
function fleet(c: Cfg): void {
  c.hosts = [
    { name: "central", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "192.0.2.10" },
    { name: "web1", docker: { host: "ssh://deploy@192.0.2.21" }, address: "192.0.2.21" },
  ];
  c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
  c.gateway = { port: 9109 };
}
const inFleet = (f: (c: Cfg) => void) => (c: Cfg) => {
  fleet(c);
  f(c);
};

function merge(target: unknown, patch: unknown): unknown {
  if (isRecord(target) && isRecord(patch)) {
    const out: Cfg = { ...target };
    for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
    return out;
  }
  return patch;
}

function deletePath(cfg: Cfg, path: string): void {
  const segs = path.split(".");
  const last = segs.pop()!;
  const parent = segs.length ? getAt(cfg, segs) : cfg;
  if (isRecord(parent)) delete parent[last];
}

const BROKEN: [string, (c: Cfg) => void][] = [
  ["privileged port", (c) => (c.ports.grafana = 80)],
  ["port string", (c) => (c.ports.loki = "9102")],
  ["duplicate port", (c) => (c.ports.prometheus = 9101)],
  ["relative path", (c) => (c.paths.logsRoot = "./logs")],
  ["name with underscore", (c) => (c.projectName = "logging_test")],
  [":latest", (c) => (c.images.grafana = "grafana/grafana:latest")],
  ["untagged", (c) => (c.images.loki = "grafana/loki")],
  ["unknown repository untagged", (c) => (c.images.alloy = "example.org/mirror/alloy")],
  ["string toggle", (c) => (c.verify.rules = "true")],
  ["0.0.0.0 without decision", (c) => (c.exposure = { bindAddress: "0.0.0.0" })],
  ["bad duration", (c) => (c.retention.logs = "30 days")],
  ["unparseable duration", (c) => (c.retention.metrics = "forever")],
  ["plaintext password", (c) => (c.grafanaAdminPassword = "hunter2")],
  ["missing version", (c) => delete c.schemaVersion],
  ["missing required key", (c) => delete c.paths],
  ["missing nested key", (c) => delete c.images.cadvisor],
  ["typo key", (c) => (c.ports.grafna = 9200)],
  ["unknown top-level key", (c) => (c.colour = "blue")],
  ["bad enum entry", (c) => (c.exposure.loopbackOnly = ["mysql"])],
  ["limit too small", (c) => (c.limits.loki = 1)],
  ["redaction with bad name", (c) => (c.alloy.redactions = [{ name: "Bad Name", pattern: "x(.*)" }])],
  ["timeout out of range", (c) => (c.verify.timeoutSeconds = 1)],
  ["typo inside a list element", (c) => (c.alloy.redactions = [{ name: "a", pattern: "x(.*)" }, { name: "b", pattern: "y(.*)", replacment: "z" }])],
  ["second list element broken", (c) => (c.alloy.redactions = [{ name: "a", pattern: "x(.*)" }, { name: "b" }])],
  ["empty string in a list", (c) => (c.alloy.dockerAllowlist = ["logging-test-grafana", ""])],
  ["path with ..", (c) => (c.paths.logsRoot = "/tmp/bootstrap-test/../logs")],
  ["projectName too long for derived names", (c) => (c.projectName = "a".repeat(55))],
  ["retention below 24h", (c) => (c.retention = { logs: "1h", metrics: "1h" })],
  ["no alloy allowlists", (c) => (c.alloy = { dockerAllowlist: [], journaldUnits: [], redactions: [] })],
  ["alloy absent", (c) => delete c.alloy],
  // schema v3: hosts and gateway
  ["hosts missing", (c) => delete c.hosts],
  ["no central host", (c) => (c.hosts[0].central = false)],
  ["two central hosts", inFleet((c) => (c.hosts[1].central = true))],
  ["duplicate host name", inFleet((c) => (c.hosts[1].name = "central"))],
  ["host name not a DNS label", inFleet((c) => (c.hosts[1].name = "Web_1"))],
  ["host name too long for its derived names", inFleet((c) => (c.hosts[1].name = "w".repeat(40)))],
  ["central as a string", (c) => (c.hosts[0].central = "true")],
  ["docker socket without unix://", (c) => (c.hosts[0].docker.host = "/var/run/docker.sock")],
  ["ssh without a user", inFleet((c) => (c.hosts[1].docker.host = "deploy@192.0.2.21"))],
  ["tcp without tls", inFleet((c) => (c.hosts[1].docker.host = "tcp://192.0.2.21:2376"))],
  ["tls on ssh", inFleet((c) => (c.hosts[1].docker.tls = { caPem: "<secret>", certPem: "<secret>", keyPem: "<secret>" }))],
  ["plaintext tls key", inFleet((c) => Object.assign(c.hosts[1].docker, { host: "tcp://192.0.2.21:2376", tls: { caPem: "<secret>", certPem: "<secret>", keyPem: "-----BEGIN KEY-----" } }))],
  ["address not IPv4", inFleet((c) => (c.hosts[1].address = "web1.example.net"))],
  ["relative host path override", inFleet((c) => (c.hosts[1].paths = { logsRoot: "logs" }))],
  ["empty host allowlist override", inFleet((c) => (c.hosts[1].alloy = { dockerAllowlist: [] }))],
  ["bad unit in a host override", inFleet((c) => (c.hosts[1].alloy = { journaldUnits: ["nginx"] }))],
  ["paths override on the central host", (c) => (c.hosts[0].paths = { logsRoot: "/srv/logs" })],
  ["gateway missing", inFleet((c) => delete c.gateway)],
  ["gateway port taken", inFleet((c) => (c.gateway.port = 9101))],
  ["gateway port privileged", inFleet((c) => (c.gateway.port = 443))],
  ["gateway on loopback", inFleet((c) => (c.exposure = { bindAddress: "127.0.0.1", lanExposed: false, loopbackOnly: ["loki"] }))],
  ["central address loopback", inFleet((c) => (c.hosts[0].address = "127.0.0.1"))],
  ["bindAddress not the central address", inFleet((c) => (c.exposure.bindAddress = "192.0.2.99"))],
  // exposure: nothing unauthenticated on the LAN
  ["Prometheus on the LAN", inFleet((c) => (c.exposure.loopbackOnly = ["loki", "alloy", "nodeExporter", "cadvisor"]))],
  ["everything on the LAN", (c) => (c.exposure = { bindAddress: "0.0.0.0", lanExposed: true })],
  ["Alertmanager on the LAN", inFleet((c) => (c.alerting.lanExposed = true))],
];

describe("example patches fix what they report", () => {
  it.each(BROKEN)("%s", (_name, mutate) => {
    const cfg = clone(EXAMPLE_CONFIG) as Cfg;
    mutate(cfg);
    const before = lintConfig(cfg);
    expect(before.errors.length).toBeGreaterThan(0);
    for (const f of before.errors) {
      const fixed = clone(cfg);
      const secretKeys = new Set<string>();
      applyPatch(fixed, secretKeys, f);
      const after = lintConfig(fixed, { secretKeys });
      expect(after.errors.filter((g) => g.code === f.code && g.path === f.path)).toEqual([]);
    }
    // Applying every patch together leaves a clean config.
    const all = clone(cfg);
    const secretKeys = new Set<string>();
    for (const f of before.errors) applyPatch(all, secretKeys, f);
    expect(lintConfig(all, { secretKeys }).errors).toEqual([]);
  });
});

describe("all findings together", () => {
  it("a stack file breaking every rule gets every finding in one run", () => {
    const f = readStackFile(fixture("broken-everything.yaml"));
    expect(f.findings).toEqual([]);
    const r = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys });
    expect(r.ok).toBe(false);
    expect(r.config).toBeUndefined();
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([
      ["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"],
      ["E_CONFIG_NOT_BOOLEAN", "offlineMode"],
      ["E_CONFIG_EXPOSURE", "exposure.bindAddress"],
      ["E_CONFIG_NAME_NOT_DNS_SAFE", "hosts[0].name"],
      ["E_CONFIG_DOCKER_TLS_MISSING", "hosts[0].docker"],
      ["E_CONFIG_DOCKER_HOST_INVALID", "hosts[1].docker.host"],
      ["E_CONFIG_HOST_DUPLICATE", "hosts[2].name"],
      ["E_CONFIG_DOCKER_TLS_UNUSED", "hosts[2].docker.tls"],
      ["E_CONFIG_HOST_CENTRAL", "hosts[0].central"],
      ["E_CONFIG_INVALID_PORT", "ports.grafana"],
      ["E_CONFIG_PORT_DUPLICATE", "ports.prometheus"],
      ["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.logsRoot"],
      ["E_CONFIG_IMAGE_UNPINNED", "images.grafana"],
      ["E_CONFIG_IMAGE_UNPINNED", "images.loki"],
      ["E_CONFIG_DURATION", "retention.logs"],
      ["E_CONFIG_MISSING_KEY", "alloy.dockerAllowlist"],
      ["E_CONFIG_MISSING_KEY", "alloy.journaldUnits"],
      ["E_CONFIG_SECRET_PLAINTEXT", "grafanaAdminPassword"],
      ["E_CONFIG_SECRET_PLAINTEXT", "alerting.receivers[0].webhook.url"],
      ["E_CONFIG_SECRET_PLAINTEXT", "hosts[2].docker.tls.keyPem"],
    ]);
    // The plaintext TLS key and webhook token appear in no message and no patch.
    expect(JSON.stringify(r)).not.toContain("plaintext-key-not-a-secret");
    expect(JSON.stringify(r)).not.toContain("plaintext-token-4711");
    expect(r.warnings.map((w) => w.path)).toEqual(["images.alloy", "images.prometheus", "images.nodeExporter", "images.cadvisor", "images.alertmanager"]);
  });

  it("every finding has exactly {code, bucket, path, message, examplePatch} and a YAML patch in stack-file form", () => {
    const f = readStackFile(fixture("broken-everything.yaml"));
    const r = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys });
    for (const e of [...r.errors, ...r.warnings]) {
      expect(Object.keys(e).sort()).toEqual(["bucket", "code", "examplePatch", "message", "path"]);
      expect(e.bucket).toBe("config");
      const doc = YAML.parse(e.examplePatch);
      expect(Object.keys(doc)).toEqual(["config"]);
      for (const k of Object.keys(doc.config)) expect(k.startsWith("logging-bootstrap:")).toBe(true);
    }
  });

  it("never echoes a plaintext secret", () => {
    const cfg = clone(EXAMPLE_CONFIG) as Cfg;
    cfg.grafanaAdminPassword = "s3cr3t-Value-42";
    const r = lintConfig(cfg);
    expect(JSON.stringify(r)).not.toContain("s3cr3t-Value-42");
    expect(r.config).toBeUndefined();
  });

  it("the parsed config applies defaults and never carries the password", () => {
    const cfg = clone(EXAMPLE_CONFIG) as Cfg;
    delete cfg.verify;
    cfg.alloy = { dockerAllowlist: ["a1"], journaldUnits: ["b.service"] };
    cfg.grafanaAdminPassword = "enc";
    const r = lintConfig(cfg, { secretKeys: ["grafanaAdminPassword"] });
    expect(r.ok).toBe(true);
    expect(r.config!.verify).toEqual({
      enabled: true, timeoutSeconds: 120, cardinalityLimit: 100, requiredLabels: ["job", "filename"],
      health: true, reachability: true, ingestion: true, labels: true, dashboards: true, rules: true, provenance: true, configDrift: true, alertDelivery: true,
    });
    expect(r.config!.alloy).toEqual({ dockerAllowlist: ["a1"], journaldUnits: ["b.service"], redactions: [] });
    expect("grafanaAdminPassword" in r.config!).toBe(false);
  });

  it("a non-mapping is one coded finding", () => {
    for (const v of [null, 3, "x", [1, 2]]) {
      const r = lintConfig(v);
      expect(r.errors.map((e) => [e.code, e.path])).toEqual([["E_CONFIG_SCHEMA", ""]]);
    }
  });
});

describe("misspelled namespace", () => {
  it("flags keys whose namespace is close to logging-bootstrap, and only those", async () => {
    const { namespaceFindings } = await import("../../contracts/config/lint");
    const f = namespaceFindings(["logging-bootstrp:ports", "Logging-Bootstrap:images", "docker:host", "logging-bootstrap:projectName", "random:x", "nonamespace"]);
    expect(f.map((x) => [x.code, x.path])).toEqual([["E_CONFIG_SCHEMA", "ports"], ["E_CONFIG_SCHEMA", "images"]]);
    expect(f[0].examplePatch).toContain("logging-bootstrap:ports");
  });
});
