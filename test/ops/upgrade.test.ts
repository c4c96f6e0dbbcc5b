// Upgrades and rollbacks: the pure plan (which images change, what is snapshotted, retention, which
// upgrade a rollback undoes, the stack file with the previous pins) and the whole flow through
// bootstrap against the fake Pulumi operations and a fake Docker engine that serves containers, volumes and
// the archive API.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import YAML from "yaml";
import {
  deployedFromOutputs,
  imageChanges,
  pickUpgrade,
  secretInside,
  snapshotsToPrune,
  withPreviousPins,
} from "../../scripts/lib/upgrade/plan";
import { FIXTURE_OUTPUTS, makeSandbox, pulumiCalls, runCli, Sandbox } from "./helpers";

jest.setTimeout(60_000);

const OUTPUTS = (images: Record<string, string>) => ({
  images: Object.fromEntries(Object.entries(images).map(([s, ref]) => [s, { ref, imageId: "sha256:" + "1".repeat(64), repoDigest: "" }])),
  containers: { grafana: "logging-test-grafana", loki: "logging-test-loki", alloy: "logging-test-alloy", prometheus: "logging-test-prometheus" },
  volumes: { grafana: "logging-test-grafana-data", loki: "logging-test-loki-data", alloy: "logging-test-alloy-data", prometheus: "logging-test-prometheus-data" },
});

describe("upgrade plan", () => {
  const deployed = deployedFromOutputs(OUTPUTS({ grafana: "g:1", loki: "l:1", alloy: "a:1", prometheus: "p:2.55.1" }));
  it("reads what is deployed from the stack outputs", () => {
    expect(deployed.prometheus).toEqual({ ref: "p:2.55.1", container: "logging-test-prometheus", volume: "logging-test-prometheus-data" });
    expect(deployedFromOutputs(undefined)).toEqual({});
    expect(deployedFromOutputs({ images: { loki: { imageId: "x" } } })).toEqual({});
  });
  it("snapshots only stateful services whose image changes; Alloy's change is recorded, not snapshotted", () => {
    const ch = imageChanges(deployed, { grafana: "g:1", loki: "l:1", alloy: "a:2", prometheus: "p:3.14.0" });
    expect(ch).toEqual([
      { service: "alloy", from: "a:1", to: "a:2", snapshot: false, container: "logging-test-alloy", volume: "logging-test-alloy-data" },
      { service: "prometheus", from: "p:2.55.1", to: "p:3.14.0", snapshot: true, container: "logging-test-prometheus", volume: "logging-test-prometheus-data", dataPath: "/prometheus" },
    ]);
    expect(imageChanges(deployed, { grafana: "g:1", loki: "l:1", alloy: "a:1", prometheus: "p:2.55.1" })).toEqual([]);
    expect(imageChanges({}, { prometheus: "p:3" })).toEqual([]);
  });
  it("never snapshots a data path that holds a secret file", () => {
    expect(secretInside("/prometheus")).toBeUndefined();
    expect(secretInside("/etc/grafana")).toBe("/etc/grafana/secrets/admin_password");
    expect(secretInside("/etc/grafana/secrets/")).toBe("/etc/grafana/secrets/admin_password");
    expect(secretInside("/etc/graf")).toBeUndefined();
  });
  it("prunes all but the newest `keep` upgrades that still have snapshots, of this stack only", () => {
    const e = (run: string, stack = "test", hasBackups = true) => ({ run, stack, hasBackups });
    const entries = [e("2026-01-01"), e("2026-01-03"), e("2026-01-02"), e("2026-01-04", "prod"), e("2026-01-00", "test", false)];
    expect(snapshotsToPrune(entries, "test", 2)).toEqual(["2026-01-01"]);
    expect(snapshotsToPrune(entries, "test", 1)).toEqual(["2026-01-02", "2026-01-01"]);
    expect(snapshotsToPrune(entries, "test", 0)).toEqual(["2026-01-02", "2026-01-01"]); // the newest is always kept
    expect(snapshotsToPrune(entries, "prod", 1)).toEqual([]);
  });
  it("rolls back the named upgrade, else the newest one not yet rolled back", () => {
    const u = (run: string, stack = "test") => ({ run, stack, hasBackups: true });
    const ups = [u("r1"), u("r2"), u("r3", "prod")];
    expect(pickUpgrade(ups, [], "test")).toBe("r2");
    expect(pickUpgrade(ups, [{ run: "r9", stack: "test", upgradeRun: "r2" }], "test")).toBe("r1");
    expect(pickUpgrade(ups, [{ run: "r8", stack: "test", upgradeRun: "r1" }, { run: "r9", stack: "test", upgradeRun: "r2" }], "test")).toBeUndefined();
    expect(pickUpgrade(ups, [{ run: "r9", stack: "test", upgradeRun: "r2" }], "test", "r2")).toBe("r2");
    expect(pickUpgrade(ups, [], "test", "r3")).toBeUndefined(); // another stack's upgrade
  });
  it("puts the previous pins back in the stack file and leaves everything else as written", () => {
    const text = "# keep me\nconfig:\n  logging-bootstrap:images:\n    # the TSDB\n    prometheus: p:3.14.0 # new\n    loki: l:1\n  logging-bootstrap:grafanaAdminPassword:\n    secure: v1:abc\n";
    const out = withPreviousPins(text, [{ service: "prometheus", from: "p:2.55.1" }]);
    expect(out).toBe(text.replace("p:3.14.0", "p:2.55.1"));
  });
});

// ---- the flow through bootstrap ----
const STACK_IMAGES = { grafana: "grafana/grafana:11.1.0", loki: "grafana/loki:3.0.0", alloy: "grafana/alloy:v1.2.1", prometheus: "prom/prometheus:v2.52.0", nodeExporter: "prom/node-exporter:v1.8.1", cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1", alertmanager: "prom/alertmanager:v0.27.0" };
const OLD = { ...STACK_IMAGES, prometheus: "prom/prometheus:v2.51.0", alloy: "grafana/alloy:v1.2.0" };

/** A small tar archive of a data path, as the engine's archive API returns it. */
function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write("0000644\0", 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(content.length.toString(8).padStart(11, "0") + "\0", 124);
    h.write("00000000000\0", 136);
    h.write("        ", 148);
    h.write("0", 156);
    h.write("ustar\x0000", 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
    blocks.push(h, Buffer.concat([Buffer.from(content), Buffer.alloc((512 - (content.length % 512)) % 512)]));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

let sb: Sandbox;
let outputsFile: string;
const V2 = tarOf({ "prometheus/chunks_head/000001": "written by 2.51.0" });

function setOutputs(images: Record<string, string>): void {
  const base = JSON.parse(fs.readFileSync(FIXTURE_OUTPUTS, "utf8"));
  fs.writeFileSync(outputsFile, JSON.stringify({ ...base, outputs: { ...base.outputs, ...OUTPUTS(images) } }));
}
function runDirs(): string[] {
  const d = path.join(sb.outDir, "runs");
  return fs.existsSync(d) ? fs.readdirSync(d).sort() : [];
}
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"));
const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

beforeEach(async () => {
  sb = await makeSandbox();
  outputsFile = path.join(sb.dir, "outputs.json");
  sb.env.STUB_OUTPUTS = outputsFile;
  setOutputs(OLD);
  sb.docker.containers.set("logging-test-prometheus", { running: true, image: OLD.prometheus, volume: "logging-test-prometheus-data", mountPath: "/prometheus" });
  sb.docker.volumes.set("logging-test-prometheus-data", V2);
});
afterEach(async () => {
  await sb.cleanup();
});

async function upgrade(): Promise<string> {
  const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
  expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("upgrade: prometheus prom/prometheus:v2.51.0 -> prom/prometheus:v2.52.0 (snapshot of logging-test-prometheus-data first)")]);
  return runDirs().pop()!;
}

describe("apply snapshots before an upgrade; rollback restores pins and data", () => {
  it("apply: stop, archive, start the changing stateful service; record pins and the owner-only snapshot with its sha256", async () => {
    const run = await upgrade();
    const dir = path.join(sb.outDir, "runs", run);
    const rec = readJson(path.join(dir, "upgrade.json"));
    expect(rec.previousImages).toEqual(OLD);
    expect(rec.changes.map((c: any) => [c.service, c.from, c.to, c.snapshot])).toEqual([
      ["alloy", OLD.alloy, STACK_IMAGES.alloy, false],
      ["prometheus", OLD.prometheus, STACK_IMAGES.prometheus, true],
    ]);
    const file = path.join(dir, "backups", "logging-test-prometheus-data.tar.gz");
    expect(rec.backups).toEqual([{ service: "prometheus", volume: "logging-test-prometheus-data", container: "logging-test-prometheus", dataPath: "/prometheus", file: "backups/logging-test-prometheus-data.tar.gz", sha256: sha(fs.readFileSync(file)), bytes: fs.statSync(file).size }]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(zlib.gunzipSync(fs.readFileSync(file)).equals(V2)).toBe(true);
    // consistent copy: stopped while archived, running again before `up`
    const docker = sb.docker.requests.filter((q) => q.includes("logging-test-prometheus"));
    expect(docker).toEqual(["GET /volumes/logging-test-prometheus-data", "GET /containers/logging-test-prometheus/json", "POST /containers/logging-test-prometheus/stop", "GET /containers/logging-test-prometheus/archive", "POST /containers/logging-test-prometheus/start"]);
    expect(sb.docker.containers.get("logging-test-prometheus")!.running).toBe(true);
    const summary = readJson(path.join(dir, "summary.json"));
    expect(summary.steps.map((s: any) => [s.step, s.status])).toContainEqual(["snapshot", "success"]);
    expect(summary.files).toContain("backups/logging-test-prometheus-data.tar.gz");
    expect(pulumiCalls(sb).filter((c) => c.op === "up")).toHaveLength(1);
  });

  it("apply: a snapshot that fails stops the run before `up` (E_RUNTIME_SNAPSHOT_FAILED)", async () => {
    sb.docker.failing.add("GET /containers/logging-test-prometheus/archive");
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--json"], sb);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors.map((e: any) => e.code)).toEqual(["E_RUNTIME_SNAPSHOT_FAILED"]);
    expect(pulumiCalls(sb).filter((c) => c.op === "up")).toHaveLength(0);
    expect(sb.docker.containers.get("logging-test-prometheus")!.running).toBe(true);
  });

  it("apply: a data volume that no longer exists has nothing to lose: named, recorded, and up runs (it recreates it)", async () => {
    sb.docker.volumes.delete("logging-test-prometheus-data");
    sb.docker.containers.delete("logging-test-prometheus");
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("prometheus: volume logging-test-prometheus-data does not exist: nothing to snapshot")]);
    const run = runDirs().pop()!;
    const rec = readJson(path.join(sb.outDir, "runs", run, "upgrade.json"));
    expect([rec.backups, rec.absent]).toEqual([[], [{ service: "prometheus", volume: "logging-test-prometheus-data" }]]);
    expect(pulumiCalls(sb).filter((c) => c.op === "up")).toHaveLength(1);
    // no helper container bound the missing volume (Docker would have created it unlabelled)
    expect(sb.docker.requests).not.toContain("POST /containers/create");
  });

  it("rollback: previous pins into the stack file, service stopped, volume emptied and restored by a helper, then up and verify", async () => {
    const upgradeRun = await upgrade();
    // the upgraded Prometheus rewrote its data
    setOutputs(STACK_IMAGES);
    sb.docker.volumes.set("logging-test-prometheus-data", tarOf({ "prometheus/chunks_head/000002": "written by 2.52.0" }));
    const stackFile = path.join(sb.dir, "Pulumi.test.yaml");
    const before = fs.readFileSync(stackFile, "utf8");
    sb.docker.requests.length = 0;
    const r = await runCli("bootstrap.ts", ["--mode", "rollback", "--stack", "test"], sb);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining(`rollback: undoing upgrade run ${upgradeRun}`)]);
    expect(fs.readFileSync(stackFile, "utf8")).toBe(before.replace(STACK_IMAGES.prometheus, OLD.prometheus).replace(STACK_IMAGES.alloy, OLD.alloy));
    expect(YAML.parse(fs.readFileSync(stackFile, "utf8")).config["logging-bootstrap:images"]).toEqual(OLD);
    expect(sb.docker.volumes.get("logging-test-prometheus-data")!.equals(V2)).toBe(true);
    const helper = sb.docker.requests.find((q) => q === "POST /containers/create");
    expect(helper).toBeDefined();
    expect(sb.docker.requests).toEqual(expect.arrayContaining(["POST /containers/logging-test-prometheus/stop", "POST /containers/helper1/start", "POST /containers/helper1/wait", "PUT /containers/helper1/archive", "DELETE /containers/helper1"]));
    expect(sb.docker.containers.has("helper1")).toBe(false);
    expect(sb.docker.containers.get("logging-test-prometheus")!.running).toBe(false); // `up` recreates it on the previous image
    const rollbackRun = runDirs().pop()!;
    const rb = readJson(path.join(sb.outDir, "runs", rollbackRun, "rollback.json"));
    expect(rb).toMatchObject({ stack: "test", upgradeRun, pins: [{ service: "alloy", from: STACK_IMAGES.alloy, to: OLD.alloy }, { service: "prometheus", from: STACK_IMAGES.prometheus, to: OLD.prometheus }] });
    expect(rb.restored).toEqual([expect.objectContaining({ service: "prometheus", helperImage: OLD.prometheus })]);
    const steps = readJson(path.join(sb.outDir, "runs", rollbackRun, "summary.json")).steps.map((s: any) => [s.step, s.status]);
    expect(steps).toEqual([["preflight", "success"], ["policy-build", "success"], ["checkpoint", "success"], ["restore", "success"], ["up", "success"], ["verify", "success"], ["evidence", "success"]]);

    // That upgrade is undone: a second rollback has nothing left to undo.
    const again = await runCli("bootstrap.ts", ["--mode", "rollback", "--stack", "test", "--json"], sb);
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stdout).errors.map((e: any) => e.code)).toEqual(["E_ENV_ROLLBACK_UNAVAILABLE"]);
  });

  it("rollback refuses a snapshot whose sha256 does not match, before changing anything", async () => {
    const upgradeRun = await upgrade();
    const file = path.join(sb.outDir, "runs", upgradeRun, "backups", "logging-test-prometheus-data.tar.gz");
    const b = fs.readFileSync(file);
    b[b.length - 1] ^= 0xff;
    fs.writeFileSync(file, b);
    const stackFile = path.join(sb.dir, "Pulumi.test.yaml");
    const before = fs.readFileSync(stackFile, "utf8");
    const ups = pulumiCalls(sb).filter((c) => c.op === "up").length;
    sb.docker.requests.length = 0;
    const r = await runCli("bootstrap.ts", ["--mode", "rollback", "--stack", "test", "--run", upgradeRun, "--json"], sb);
    expect(r.code).toBe(4);
    const err = JSON.parse(r.stdout).errors[0];
    expect(err).toMatchObject({ code: "E_DEPS_SNAPSHOT_MISMATCH", bucket: "deps" });
    expect(err.message).toContain("nothing was changed");
    expect(fs.readFileSync(stackFile, "utf8")).toBe(before);
    expect(sb.docker.requests.filter((q) => !q.startsWith("GET"))).toEqual([]);
    expect(pulumiCalls(sb).filter((c) => c.op === "up")).toHaveLength(ups);
  });

  it("backups.keep: older upgrades' snapshots are deleted and named; a rollback to one is refused", async () => {
    const stackFile = path.join(sb.dir, "Pulumi.test.yaml");
    fs.appendFileSync(stackFile, "  logging-bootstrap:backups:\n    keep: 1\n");
    const first = await upgrade();
    setOutputs(OLD); // pretend the next apply upgrades again from the old pins
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`backups.keep=1: deleted the snapshots of upgrade run ${first} (backups/logging-test-prometheus-data.tar.gz)`);
    const second = runDirs().pop()!;
    expect(readJson(path.join(sb.outDir, "runs", second, "upgrade.json")).pruned).toEqual([{ run: first, files: ["backups/logging-test-prometheus-data.tar.gz"] }]);
    expect(readJson(path.join(sb.outDir, "runs", first, "upgrade.json")).prunedBy).toBe(second);
    expect(fs.existsSync(path.join(sb.outDir, "runs", first, "backups"))).toBe(false);
    expect(fs.existsSync(path.join(sb.outDir, "runs", second, "backups", "logging-test-prometheus-data.tar.gz"))).toBe(true);
    const rb = await runCli("bootstrap.ts", ["--mode", "rollback", "--stack", "test", "--run", first, "--json"], sb);
    expect(rb.code).toBe(4);
    expect(JSON.parse(rb.stdout).errors[0]).toMatchObject({ code: "E_ENV_ROLLBACK_UNAVAILABLE", message: expect.stringContaining("backups.keep") });
  });

  it("rollback refuses to restore into a volume that is gone (Docker would create an unlabelled one)", async () => {
    const upgradeRun = await upgrade();
    sb.docker.volumes.delete("logging-test-prometheus-data");
    sb.docker.requests.length = 0;
    const r = await runCli("bootstrap.ts", ["--mode", "rollback", "--stack", "test", "--run", upgradeRun, "--json"], sb);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).errors[0]).toMatchObject({ code: "E_RUNTIME_RESTORE_FAILED", message: expect.stringContaining("volume logging-test-prometheus-data does not exist") });
    expect(sb.docker.requests).not.toContain("POST /containers/create");
  });

  it("--run belongs to rollback and restore only", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--run", "x", "--json"], sb);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).errors[0].code).toBe("E_ENV_MODE_VIOLATION");
  });
});
