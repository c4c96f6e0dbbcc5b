// Migration (P2): v0 (seed 000's JSON) -> v1 -> v2 -> v3 is correct on the seed's own test config, one
// step at a time, idempotent; missing and newer versions are refused with E_CONFIG_SCHEMA_VERSION.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { MIGRATIONS, detectVersion, migrateConfig } from "../../contracts/migrations";
import { v0ToV1 } from "../../contracts/migrations/v0_to_v1";
import { v1ToV2 } from "../../contracts/migrations/v1_to_v2";
import { CURRENT_SCHEMA_VERSION } from "../../contracts/config/schema";
import { lintConfig } from "../../contracts/config/lint";
import { readStackFile } from "../../contracts/config/stackfile";
import { migrateFile } from "../../scripts/config-migrate";
import { UNREADABLE_STACK_FILES } from "../util/config-files";
import { ROOT, clone, fixture } from "./helpers";

const seed = () => JSON.parse(fs.readFileSync(fixture("seed000-test-config.v0.json"), "utf8"));

const EXPECTED_V1 = {
  schemaVersion: 1,
  projectName: "logging-test",
  offlineMode: false,
  exposure: { bindAddress: "127.0.0.1", lanExposed: false },
  ports: { grafana: 9101, loki: 9102, alloy: 9103, prometheus: 9104, nodeExporter: 9105, cadvisor: 9106 },
  paths: { logsRoot: "/tmp/bootstrap-test/logs", telemetryRoot: "/tmp/bootstrap-test/telemetry" },
  images: {
    grafana: "grafana/grafana:11.1.0",
    loki: "grafana/loki:3.0.0",
    alloy: "grafana/alloy:v1.2.1",
    prometheus: "prom/prometheus:v2.52.0",
    nodeExporter: "prom/node-exporter:v1.8.1",
    cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1",
  },
  retention: { logs: "30d", metrics: "15d" },
  alloy: { dockerAllowlist: ["logging-test-grafana", "logging-test-loki", "logging-test-prometheus"], journaldUnits: ["docker.service"] },
  verify: { dashboards: true, rules: true, labels: true },
};

/** v2 adds Alertmanager (image, loopback port next to the others) and the alerting defaults. */
const EXPECTED_V2 = {
  ...EXPECTED_V1,
  schemaVersion: 2,
  ports: { ...EXPECTED_V1.ports, alertmanager: 9107 },
  images: { ...EXPECTED_V1.images, alertmanager: "prom/alertmanager:v0.35.0" },
  alerting: { receivers: [], routes: [], defaultReceiver: "blackhole", lanExposed: false },
};
/** v3: a fleet of one, reached through the socket the stack mounts. */
const EXPECTED_V3 = {
  ...EXPECTED_V2,
  schemaVersion: 3,
  hosts: [{ name: "local", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "127.0.0.1" }],
};
const V3_KEY_ORDER = ["schemaVersion", "projectName", "offlineMode", "hosts", "exposure", "ports", "paths", "images", "retention", "alloy", "alerting", "verify"];

describe("registry", () => {
  it("has one step per version, contiguous from 0 to the current version", () => {
    expect(MIGRATIONS.map((m) => [m.from, m.to])).toEqual(Array.from({ length: CURRENT_SCHEMA_VERSION }, (_, i) => [i, i + 1]));
  });

  it.each([
    [{ schemaVersion: 1 }, { kind: "version", version: 1 }],
    [{ schemaVersion: "1" }, { kind: "version", version: 1 }],
    [{ schemaVersion: 3 }, { kind: "version", version: 3 }],
    [{ schema_version: "1", compose_project_name: "x" }, { kind: "version", version: 0 }],
    [{ image_pins: {} }, { kind: "version", version: 0 }],
    [{ projectName: "x" }, { kind: "missing" }],
    [{ schemaVersion: "v1" }, { kind: "invalid", value: "v1" }],
    [{ schemaVersion: 1.5 }, { kind: "invalid", value: 1.5 }],
    ["not an object", { kind: "missing" }],
  ])("detectVersion(%p)", (input, expected) => {
    expect(detectVersion(input)).toEqual(expected);
  });
});

describe("v0 -> v1 on seed 000's test config", () => {
  it("the fixture is the seed's block verbatim", () => {
    // The seed lives outside the repository; where it is present, the fixture must be its block verbatim.
    const seedFile = path.resolve(ROOT, "..", "shared", "seeds", "000_2fb20abd00a40aa8.txt");
    if (!fs.existsSync(seedFile)) return;
    const text = fs.readFileSync(seedFile, "utf8");
    const block = text.slice(text.indexOf("**Test config values to use**"));
    const json = block.slice(block.indexOf("```json") + 8, block.indexOf("```", block.indexOf("```json") + 8));
    expect(JSON.parse(json)).toEqual(seed());
  });

  it("the v0 -> v1 step alone gives the expected v1 config", () => {
    expect(v0ToV1(seed()).config).toEqual(EXPECTED_V1);
  });

  it("migrates to the expected current (v3) config, keys in stack-file order", () => {
    const r = migrateConfig(seed());
    expect(r.findings).toEqual([]);
    expect(r.fromVersion).toBe(0);
    expect(r.toVersion).toBe(3);
    expect(r.config).toEqual(EXPECTED_V3);
    expect(Object.keys(r.config!)).toEqual(V3_KEY_ORDER);
  });

  it("says what it dropped and why", () => {
    const notes = migrateConfig(seed()).notes.join("\n");
    for (const s of ["bootstrap_version", "execution_mode", "path_map.repo_root", "path_map.compose_file", "path_map.vllm_root", "path_map.staging_dir", "path_map.output_dir", "secrets_policy", "toggles.enable_telemetry_writer", "toggles.verify_codeswarm_ingest", "logging_test"]) {
      expect(notes).toContain(s);
    }
    expect(migrateConfig(seed()).notes.every((n) => n.startsWith("v0->v1: ") || n.startsWith("v1->v2: ") || n.startsWith("v2->v3: "))).toBe(true);
  });

  it("the result lints clean (warnings only)", () => {
    const r = lintConfig(migrateConfig(seed()).config);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("agrees with the test stack on every key the seed carries (its 2024 pins: the pins-2024 fixture)", () => {
    const test = readStackFile(path.join(ROOT, "Pulumi.test.yaml")).projectConfig as Record<string, any>;
    const pins2024 = readStackFile(path.join(ROOT, "test", "fixtures", "config", "Pulumi.pins-2024.yaml")).projectConfig as Record<string, any>;
    const m = migrateConfig(seed()).config as Record<string, any>;
    for (const k of ["projectName", "offlineMode", "ports"]) expect(m[k]).toEqual(test[k]);
    // Alertmanager is not in the seed: the migration pins the version current when v2 came (0.35.0);
    // the 2024 fixture pins the 2024 release.
    expect({ ...m.images, alertmanager: undefined }).toEqual({ ...pins2024.images, alertmanager: undefined });
    expect(m.paths.logsRoot).toBe(test.paths.logsRoot);
    expect(m.paths.telemetryRoot).toBe(test.paths.telemetryRoot);
  });

  it("migrating twice equals migrating once", () => {
    const once = migrateConfig(seed());
    const twice = migrateConfig(clone(once.config!));
    expect(twice.config).toEqual(once.config);
    expect(twice.notes).toEqual([]);
    expect(twice.fromVersion).toBe(CURRENT_SCHEMA_VERSION);
  });

  it("does not modify its input", () => {
    const input = seed();
    const copy = clone(input);
    migrateConfig(input);
    expect(input).toEqual(copy);
  });

  it("v0 toggles: L4 is on if either cardinality or redaction was verified; non-booleans are kept for the lint", () => {
    const s = seed();
    s.toggles = { verify_cardinality: false, verify_redaction: false };
    expect((migrateConfig(s).config as any).verify).toEqual({ labels: false });
    s.toggles = { verify_cardinality: "yes" };
    expect((migrateConfig(s).config as any).verify).toEqual({ labels: "yes" });
    expect(lintConfig(migrateConfig(s).config).errors.map((e) => e.code)).toContain("E_CONFIG_NOT_BOOLEAN");
  });

  it("ports the seed does not publish are filled on its layout, never on a taken port", () => {
    const s = seed();
    s.ports = { grafana: 9001, prometheus: 9004, loki: 9005 };
    const ports = (migrateConfig(s).config as any).ports;
    expect(ports).toEqual({ grafana: 9001, loki: 9005, alloy: 9003, prometheus: 9004, cadvisor: 9006, alertmanager: 9007 });
  });
});

describe("v1 -> v2 (Alertmanager)", () => {
  const v1 = () => readStackFile(path.join(ROOT, "test", "fixtures", "config", "Pulumi.pins-2024.yaml")).projectConfig as Record<string, any>;
  const asV1 = () => {
    const c = clone(v1());
    c.schemaVersion = 1;
    delete c.images.alertmanager;
    delete c.ports.alertmanager;
    delete c.alerting;
    delete c.hosts;
    return c;
  };

  it("adds the image, a loopback port next to the others and the alerting defaults, and says so", () => {
    const r = v1ToV2(asV1());
    expect(r.config.schemaVersion).toBe(2);
    expect((r.config.images as any).alertmanager).toBe("prom/alertmanager:v0.35.0");
    expect((r.config.ports as any).alertmanager).toBe(9107);
    expect(r.config.alerting).toEqual({ receivers: [], routes: [], defaultReceiver: "blackhole", lanExposed: false });
    expect(r.notes.join("\n")).toMatch(/images\.alertmanager = prom\/alertmanager:v0\.35\.0/);
    expect(r.notes.join("\n")).toMatch(/ports\.alertmanager = 9107 on 127\.0\.0\.1/);
    expect(r.notes.join("\n")).toMatch(/blackhole/);
    expect(lintConfig(r.config, { migrate: true }).errors).toEqual([]);
  });

  it("keeps what the operator already set (image, port, alerting)", () => {
    const c = asV1();
    c.images.alertmanager = "prom/alertmanager:v0.27.0";
    c.alerting = { receivers: [], routes: [], defaultReceiver: "blackhole", lanExposed: false };
    c.ports.alertmanager = 9300;
    const r = v1ToV2(c);
    expect((r.config.images as any).alertmanager).toBe("prom/alertmanager:v0.27.0");
    expect((r.config.ports as any).alertmanager).toBe(9300);
    expect(r.notes).toEqual([]);
  });

  it("publishes no port when the next one is taken (reachable on the stack network only)", () => {
    const c = asV1();
    c.ports.cadvisor = 9107;
    const r = v1ToV2(c);
    expect((r.config.ports as any).alertmanager).toBeUndefined();
    expect(r.notes.join("\n")).toMatch(/ports\.alertmanager not set/);
    // ... which the lint then names, with a free port as the fix.
    expect(lintConfig(r.config, { migrate: true }).errors.map((e) => [e.code, e.path])).toEqual([["E_CONFIG_MISSING_KEY", "ports.alertmanager"]]);
  });

  it("does not modify its input, and a v1 stack migrates to what the tracked stacks hold", () => {
    const input = asV1();
    const copy = clone(input);
    const r = migrateConfig(input);
    expect(input).toEqual(copy);
    expect(r.fromVersion).toBe(1);
    const expected = v1();
    expected.images.alertmanager = "prom/alertmanager:v0.35.0";
    expect(r.config).toEqual(expected);
  });

  it("a v1 file linted without migrate gets E_CONFIG_NEEDS_MIGRATION", () => {
    expect(lintConfig(asV1()).errors.map((e) => e.code)).toEqual(["E_CONFIG_NEEDS_MIGRATION"]);
  });
});

describe("refused versions", () => {
  it.each([
    ["missing", { projectName: "x" }, /schemaVersion is missing.*config:migrate/],
    ["newer", { schemaVersion: CURRENT_SCHEMA_VERSION + 1 }, /newer than this code.*upgrade logging-bootstrap/],
    ["not a number", { schemaVersion: "latest" }, /not a version number/],
  ])("%s -> E_CONFIG_SCHEMA_VERSION saying what to run", (_n, input, message) => {
    const r = migrateConfig(input);
    expect(r.config).toBeUndefined();
    expect(r.findings.map((f) => [f.code, f.path])).toEqual([["E_CONFIG_SCHEMA_VERSION", "schemaVersion"]]);
    expect(r.findings[0].message).toMatch(message);
  });

  it("config:lint reports a v0 file as needing migration, and nothing else", () => {
    const r = lintConfig(seed());
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([["E_CONFIG_NEEDS_MIGRATION", ""]]);
    expect(r.errors[0].message).toContain("npm run -s config:migrate -- <file>");
  });

  it("loadStackConfig's mode (migrate: true) migrates and lints in one go", () => {
    const r = lintConfig(seed(), { migrate: true });
    expect(r.ok).toBe(true);
    expect(r.migratedFrom).toBe(0);
    expect(r.config!.projectName).toBe("logging-test");
    expect(r.config!.ports.loki).toBe(9102);
  });
});

describe("config:migrate", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("prints a stack file that reads back as the migrated config", () => {
    const out = migrateFile(fixture("seed000-test-config.v0.json"));
    expect(out.exitCode).toBe(0);
    expect(out.stdout.startsWith("# Migrated by `npm run -s config:migrate` from schema v0 to v3")).toBe(true);
    const file = path.join(tmp, "Pulumi.migrated.yaml");
    fs.writeFileSync(file, out.stdout);
    const f = readStackFile(file);
    expect(f.findings).toEqual([]);
    expect(f.kind).toBe("stack");
    expect(f.projectConfig).toEqual(EXPECTED_V3);
    expect(out.stderr).toContain("the result lints clean");
  });

  it("migrating its own output prints it unchanged (twice == once)", () => {
    const first = migrateFile(fixture("seed000-test-config.v0.json")).stdout;
    const file = path.join(tmp, "Pulumi.once.yaml");
    fs.writeFileSync(file, first);
    const second = migrateFile(file);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe(first);
  });

  it("keeps secure: values and other namespaces' keys of a stack file", () => {
    const file = path.join(tmp, "Pulumi.v0stack.yaml");
    fs.writeFileSync(
      file,
      YAML.stringify({
        encryptionsalt: "v1:abc",
        config: {
          "docker:host": "unix:///var/run/docker.sock",
          "logging-bootstrap:schema_version": "1",
          "logging-bootstrap:compose_project_name": "obs",
          "logging-bootstrap:grafanaAdminPassword": { secure: "v1:CIPHER" },
        },
      }),
    );
    const out = migrateFile(file);
    expect(out.exitCode).toBe(0);
    const doc = YAML.parse(out.stdout);
    expect(doc.encryptionsalt).toBe("v1:abc");
    expect(doc.config["docker:host"]).toBe("unix:///var/run/docker.sock");
    expect(doc.config["logging-bootstrap:grafanaAdminPassword"]).toEqual({ secure: "v1:CIPHER" });
    expect(doc.config["logging-bootstrap:projectName"]).toBe("obs");
    expect(out.stdout).not.toContain("kept unknown key grafanaAdminPassword");
  });

  it.each([
    ["missing file", "does-not-exist.json", "E_CONFIG_FILE_MISSING"],
    ["missing version", "missing-version.yaml", "E_CONFIG_SCHEMA_VERSION"],
    ...UNREADABLE_STACK_FILES,
  ])("%s -> exit 1 (3 for a missing file) with %s, nothing on stdout", (_n, name, code) => {
    const out = migrateFile(fixture(name));
    expect(out.exitCode).toBe(code === "E_CONFIG_FILE_MISSING" ? 3 : 1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain(code);
  });
});
