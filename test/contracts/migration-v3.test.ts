// v2 -> v3 (the fleet): a v2 stack is a fleet of one, and nothing it deploys changes. The plan of
// the v2 test stack (migrated in memory by the program), of its config:migrate output and of the
// tracked v3 test stack are the same resources with the same inputs, options and outputs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrateConfig } from "../../contracts/migrations";
import { v2ToV3 } from "../../contracts/migrations/v2_to_v3";
import { lintConfig } from "../../contracts/config/lint";
import { readStackFile } from "../../contracts/config/stackfile";
import { centralHost, hostAlloy, hostPaths, isFleet, remoteHosts } from "../../contracts/config/hosts";
import { migrateFile } from "../../scripts/config-migrate";
import { evaluateProgram, Evaluation } from "../util/mocks";
import { ROOT, clone, fixture } from "./helpers";

jest.setTimeout(120_000);

const V2_FILE = fixture("Pulumi.test.v2.yaml");
const v2 = () => readStackFile(V2_FILE).projectConfig as Record<string, any>;

describe("v2 -> v3 step", () => {
  it("adds a fleet of one reached through the stack's own Docker socket, and nothing else", () => {
    const input = v2();
    const copy = clone(input);
    const r = v2ToV3(input);
    expect(input).toEqual(copy);
    expect(r.config.hosts).toEqual([{ name: "local", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "127.0.0.1" }]);
    const { hosts: _h, schemaVersion, ...rest } = r.config;
    void _h;
    const { schemaVersion: _v, ...before } = input;
    void _v;
    expect(schemaVersion).toBe(3);
    expect(rest).toEqual(before);
    expect(r.notes).toEqual([expect.stringMatching(/^hosts: a fleet of one, local \(central\), reached at unix:\/\/\/var\/run\/docker\.sock and 127\.0\.0\.1/)]);
  });

  it("uses paths.dockerSocket when the stack sets one", () => {
    const input = v2();
    input.paths.dockerSocket = "/run/user/1000/docker.sock";
    const r = v2ToV3(input);
    expect((r.config.hosts as any)[0].docker.host).toBe("unix:///run/user/1000/docker.sock");
    expect(lintConfig(r.config).errors).toEqual([]);
  });

  it("keeps a hosts key already written (the lint judges it) and says so", () => {
    const input = { ...v2(), hosts: [{ name: "x" }] };
    const r = v2ToV3(input);
    expect(r.config.hosts).toEqual([{ name: "x" }]);
    expect(r.notes.join("\n")).toMatch(/kept as written/);
  });

  it("the tracked test stack is exactly its v2 file migrated (the config, and the key order of a v3 stack file)", () => {
    const r = migrateConfig(v2());
    expect(r.fromVersion).toBe(2);
    const tracked = readStackFile(path.join(ROOT, "Pulumi.test.yaml")).projectConfig;
    expect(r.config).toEqual(tracked);
    expect(Object.keys(r.config!)).toEqual(Object.keys(tracked));
  });

  it("a migrated stack is a fleet of one: the model's helpers give the top-level values", () => {
    const cfg = lintConfig(migrateConfig(v2()).config).config!;
    expect(isFleet(cfg)).toBe(false);
    expect(remoteHosts(cfg)).toEqual([]);
    expect(centralHost(cfg).name).toBe("local");
    expect(hostPaths(cfg, centralHost(cfg))).toEqual({ logsRoot: cfg.paths.logsRoot, telemetryRoot: cfg.paths.telemetryRoot, journalDir: cfg.paths.journalDir, dockerSocket: cfg.paths.dockerSocket });
    expect(hostAlloy(cfg, "local")).toEqual(cfg.alloy);
  });
});

describe("config:migrate on a v2 stack file with secrets", () => {
  it("keeps every secure: value and lints the result as a stack file (secure leaves are secrets, not plaintext)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-secure-"));
    try {
      const text = fs.readFileSync(V2_FILE, "utf8").replace(
        /  logging-bootstrap:alerting:\n(    .*\n)+/,
        "  logging-bootstrap:alerting:\n    receivers:\n      - name: sink\n        webhook:\n          url:\n            secure: v1:AAAAAAAAAAAAAAAA\n    defaultReceiver: sink\n  logging-bootstrap:grafanaAdminPassword:\n    secure: v1:BBBBBBBBBBBBBBBB\n",
      );
      expect(text).toContain("v1:AAAAAAAAAAAAAAAA");
      const file = path.join(dir, "Pulumi.test.yaml");
      fs.writeFileSync(file, text);
      const out = migrateFile(file);
      expect(out.exitCode).toBe(0);
      expect(out.stderr).toMatch(/migrated v2 -> v3; the result lints clean/);
      expect(out.stdout).toContain("secure: v1:AAAAAAAAAAAAAAAA");
      expect(out.stdout).toContain("secure: v1:BBBBBBBBBBBBBBBB");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the plan does not change", () => {
  let fromV2: Evaluation;
  let fromMigrated: Evaluation;
  let fromV3: Evaluation;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-plan-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  beforeAll(async () => {
    fromV2 = await evaluateProgram({ stack: "test", configFile: V2_FILE });
    const out = migrateFile(V2_FILE);
    expect(out.exitCode).toBe(0);
    const migrated = path.join(tmp, "Pulumi.test.yaml");
    fs.writeFileSync(migrated, out.stdout);
    fromMigrated = await evaluateProgram({ stack: "test", configFile: migrated });
    fromV3 = await evaluateProgram({ stack: "test" });
  });

  const plan = (ev: Evaluation) => ({ resources: ev.resources, outputs: ev.outputs });

  it("the v2 stack (migrated in memory), its config:migrate output and the tracked v3 stack declare the same resources, inputs, options and outputs", () => {
    expect(fromV2.resources.length).toBeGreaterThan(40);
    expect(plan(fromV2)).toEqual(plan(fromV3));
    expect(plan(fromMigrated)).toEqual(plan(fromV3));
    for (const ev of [fromV2, fromMigrated, fromV3]) expect(ev.leaks).toEqual([]);
  });

  it("only the v2 stack warns, naming config:migrate", () => {
    expect(fromV2.warnings.join("\n")).toMatch(/schema v2; migrated in memory.*config:migrate/s);
    expect(fromV3.warnings.join("\n")).not.toMatch(/migrated in memory/);
    expect(fromMigrated.warnings.join("\n")).not.toMatch(/migrated in memory/);
  });
});
