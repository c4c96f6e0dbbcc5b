// readStackFile: a Pulumi.<stack>.yaml as Pulumi writes it -> the map setAllConfig expects.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { SECURE_PLACEHOLDER, readStackFile, resolveConfigFile, stackFilePath } from "../../contracts/config/stackfile";
import { lintConfig } from "../../contracts/config/lint";
import { ROOT, fixture } from "./helpers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stackfile-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

describe("readStackFile on the repository's stacks", () => {
  it("Pulumi.test.yaml -> full keys, JSON strings for structured values, strings for scalars", () => {
    const f = readStackFile(path.join(ROOT, "Pulumi.test.yaml"));
    expect(f.findings).toEqual([]);
    expect(f.kind).toBe("stack");
    expect(f.secretKeys).toEqual([]);
    expect(Object.keys(f.pulumiConfig).sort()).toEqual(
      ["alerting", "alloy", "exposure", "hosts", "images", "offlineMode", "paths", "ports", "projectName", "retention", "schemaVersion", "verify"].map((k) => `logging-bootstrap:${k}`),
    );
    expect(f.pulumiConfig["logging-bootstrap:schemaVersion"]).toBe("3");
    expect(f.pulumiConfig["logging-bootstrap:offlineMode"]).toBe("false");
    expect(f.pulumiConfig["logging-bootstrap:projectName"]).toBe("logging-test");
    expect(JSON.parse(f.pulumiConfig["logging-bootstrap:ports"])).toEqual({ grafana: 9101, loki: 9102, alloy: 9103, prometheus: 9104, nodeExporter: 9105, cadvisor: 9106, alertmanager: 9107 });
    expect(f.projectConfig.schemaVersion).toBe(3);
    // A list is handed over as JSON too.
    expect(JSON.parse(f.pulumiConfig["logging-bootstrap:hosts"])).toEqual([{ name: "local", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "127.0.0.1" }]);
  });

  it("round-trips through the Pulumi runtime's config", () => {
    const f = readStackFile(path.join(ROOT, "Pulumi.prod.yaml"));
    pulumi.runtime.setAllConfig(f.pulumiConfig, f.secretKeys);
    const cfg = new pulumi.Config("logging-bootstrap");
    expect(cfg.requireObject("exposure")).toEqual({ bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] });
    expect(cfg.requireNumber("schemaVersion")).toBe(3);
    expect(cfg.requireObject<{ name: string }[]>("hosts").map((h) => h.name)).toEqual(["local"]);
    expect(cfg.requireBoolean("offlineMode")).toBe(false);
  });
});

describe("secure values", () => {
  it("become a placeholder and are listed as secret keys (full and short)", () => {
    const f = readStackFile(fixture("secure-password.yaml"));
    expect(f.findings).toEqual([]);
    expect(f.secretKeys).toEqual(["logging-bootstrap:grafanaAdminPassword"]);
    expect(f.projectSecretKeys).toEqual(["grafanaAdminPassword"]);
    expect(f.pulumiConfig["logging-bootstrap:grafanaAdminPassword"]).toBe(SECURE_PLACEHOLDER);
    expect(JSON.stringify(f.pulumiConfig)).not.toContain("v1:AAAA");
    expect(f.pulumiConfig["docker:host"]).toBe("unix:///var/run/docker.sock"); // other namespaces pass through
    expect(f.projectConfig["docker:host"]).toBeUndefined();
  });

  it("setAllConfig(pulumiConfig, secretKeys) makes the runtime see the key as secret", () => {
    const f = readStackFile(fixture("secure-password.yaml"));
    pulumi.runtime.setAllConfig(f.pulumiConfig, f.secretKeys);
    const isConfigSecret = (pulumi.runtime as any).isConfigSecret as (k: string) => boolean;
    expect(isConfigSecret("logging-bootstrap:grafanaAdminPassword")).toBe(true);
    expect(isConfigSecret("logging-bootstrap:projectName")).toBe(false);
  });

  it("a secure value nested in a structured value marks the whole key secret", () => {
    const file = write("Pulumi.nested.yaml", "config:\n  logging-bootstrap:paths:\n    logsRoot:\n      secure: v1:XYZ\n    telemetryRoot: /t\n");
    const f = readStackFile(file);
    expect(f.secretKeys).toEqual(["logging-bootstrap:paths"]);
    expect(JSON.parse(f.pulumiConfig["logging-bootstrap:paths"])).toEqual({ logsRoot: SECURE_PLACEHOLDER, telemetryRoot: "/t" });
  });
});

describe("keys", () => {
  it("an un-namespaced key belongs to the project", () => {
    const f = readStackFile(write("Pulumi.bare.yaml", "config:\n  projectName: bare\n  logging-bootstrap:schemaVersion: 1\n"));
    expect(f.pulumiConfig).toEqual({ "logging-bootstrap:projectName": "bare", "logging-bootstrap:schemaVersion": "1" });
  });

  it("the same key with and without namespace is a finding", () => {
    const f = readStackFile(write("Pulumi.dup.yaml", "config:\n  projectName: a\n  logging-bootstrap:projectName: b\n"));
    expect(f.findings.map((x) => [x.code, x.path])).toEqual([["E_CONFIG_SCHEMA", "projectName"]]);
  });

  it("applies YAML anchors and `<<` merge keys as Pulumi's go-yaml does", () => {
    const f = readStackFile(write("Pulumi.merge.yaml", "config:\n  logging-bootstrap:limits:\n    <<: &base {grafana: 512}\n    loki: 1024\n  logging-bootstrap:other: *base\n"));
    expect(f.findings).toEqual([]);
    expect(f.projectConfig.limits).toEqual({ grafana: 512, loki: 1024 });
    expect(f.projectConfig.other).toEqual({ grafana: 512 });
  });

  it("a seed-000 JSON file is read as a v0 namespace object", () => {
    const f = readStackFile(fixture("seed000-test-config.v0.json"));
    expect(f.findings).toEqual([]);
    expect(f.kind).toBe("v0-json");
    expect(f.pulumiConfig["logging-bootstrap:compose_project_name"]).toBe("logging_test");
    expect(JSON.parse(f.pulumiConfig["logging-bootstrap:ports"])).toEqual({ grafana: 9101, prometheus: 9104 });
  });
});

describe("file problems are coded findings, never exceptions", () => {
  it.each([
    ["missing file", () => path.join(tmp, "nope.yaml"), "E_CONFIG_FILE_MISSING", /does not exist/],
    ["a directory", () => tmp, "E_CONFIG_FILE_MISSING", /not a regular file/],
    ["empty file", () => fixture("empty.yaml"), "E_CONFIG_FILE_EMPTY", /is empty/],
    ["whitespace only", () => write("ws.yaml", "  \n\n"), "E_CONFIG_FILE_EMPTY", /is empty/],
    ["comments only", () => fixture("comments-only.yaml"), "E_CONFIG_FILE_EMPTY", /only comments/],
    ["YAML syntax error", () => fixture("syntax-error.yaml"), "E_CONFIG_YAML_SYNTAX", /line \d+, column \d+/],
    ["duplicate key", () => write("dupkey.yaml", "config:\n  a: 1\n  a: 2\n"), "E_CONFIG_YAML_SYNTAX", /line 3/],
    ["a list", () => write("list.yaml", "- a\n- b\n"), "E_CONFIG_SCHEMA", /must be a mapping/],
    ["a scalar", () => write("scalar.yaml", "hello\n"), "E_CONFIG_SCHEMA", /must be a mapping/],
    ["no config block", () => write("noconfig.yaml", "encryptionsalt: x\n"), "E_CONFIG_SCHEMA", /no config: mapping/],
    ["config is a list", () => write("configlist.yaml", "config:\n  - a\n"), "E_CONFIG_SCHEMA", /no config: mapping/],
  ])("%s", (_n, file, code, message) => {
    const f = readStackFile(file());
    expect(f.findings.length).toBeGreaterThan(0);
    expect(f.findings[0].code).toBe(code);
    expect(f.findings[0].message).toMatch(message);
    expect(f.pulumiConfig).toEqual({});
  });
});

describe("stack names", () => {
  it("--stack <name> is Pulumi.<name>.yaml at the repository root", () => {
    expect(stackFilePath("test")).toBe(path.join(ROOT, "Pulumi.test.yaml"));
    expect(resolveConfigFile({ stack: "prod" })).toBe(path.join(ROOT, "Pulumi.prod.yaml"));
    expect(resolveConfigFile({ configFile: "x/Pulumi.a.yaml" })).toBe(path.resolve("x/Pulumi.a.yaml"));
  });
  it("refuses path tricks and ambiguous arguments", () => {
    expect(() => stackFilePath("../etc")).toThrow(/invalid stack name/);
    expect(() => stackFilePath("a/b")).toThrow(/invalid stack name/);
    expect(() => resolveConfigFile({ stack: "a", configFile: "b" })).toThrow(/either/);
    expect(() => resolveConfigFile({})).toThrow(/--stack/);
  });
});

describe("readStackFile with nested secure leaves", () => {
  it("an alerting receiver's secure url becomes the placeholder, and the key is secret", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackfile-leaf-"));
    try {
      const file = path.join(dir, "Pulumi.leaf.yaml");
      const src = fs.readFileSync(path.join(ROOT, "Pulumi.test.yaml"), "utf8").replace(
        "    receivers: []\n",
        "    receivers:\n      - name: oncall\n        webhook:\n          url:\n            secure: v1:AAAA:BBBB\n",
      );
      fs.writeFileSync(file, src);
      const f = readStackFile(file);
      expect(f.projectSecretKeys).toEqual(["alerting"]);
      expect((f.projectConfig.alerting as any).receivers[0].webhook.url).toBe(SECURE_PLACEHOLDER);
      const r = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys });
      expect(r.errors).toEqual([]);
      expect(r.config!.alerting.receivers[0].webhook!.url).toBe("<secret>");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
