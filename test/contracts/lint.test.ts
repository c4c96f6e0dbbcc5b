// The lint as a whole: every finding reported together, the finding shape, example patches that
// really fix what they report, secrets never echoed.
import YAML from "yaml";
import { EXAMPLE_CONFIG, lintConfig } from "../../contracts/config/lint";
import { Finding, PROJECT_NAMESPACE } from "../../contracts/config/findings";
import { getAt, isRecord } from "../../contracts/config/values";
import { readStackFile } from "../../contracts/config/stackfile";
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
      cfg[key] = merge(cfg[key], value);
    }
  }
}

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
    ]);
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
