// destroy keeps the data unless told otherwise (and says what it kept); deleting data needs the
// stack's name typed back and is refused on a stack that protects its volumes; backup and restore
// of the data volumes through the upgrade snapshots' machinery, listed by recall.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { FIXTURE_OUTPUTS, makeSandbox, pulumiCalls, runCli, Sandbox } from "./helpers";
import { bundleDir, mutating, readJson, runs } from "./bundle-helpers";

jest.setTimeout(60_000);

const IMAGES = { grafana: "grafana/grafana:11.1.0", loki: "grafana/loki:3.0.0", alloy: "grafana/alloy:v1.2.1", prometheus: "prom/prometheus:v2.52.0", nodeExporter: "prom/node-exporter:v1.8.1", cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1", alertmanager: "prom/alertmanager:v0.27.0" };
const LOKI_DATA = Buffer.from("loki/index: the data as it was");
const PROM_DATA = Buffer.from("prometheus/chunks_head/000001: the data as it was");

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
  const base = JSON.parse(fs.readFileSync(FIXTURE_OUTPUTS, "utf8"));
  const outputs = {
    ...base.outputs,
    images: Object.fromEntries(Object.entries(IMAGES).map(([s, ref]) => [s, { ref, imageId: "sha256:" + "1".repeat(64), repoDigest: "" }])),
    containers: { loki: "logging-test-loki", prometheus: "logging-test-prometheus" },
    volumes: { loki: "logging-test-loki-data", prometheus: "logging-test-prometheus-data" },
  };
  fs.writeFileSync(path.join(sb.dir, "outputs.json"), JSON.stringify({ ...base, outputs }));
  sb.env.STUB_OUTPUTS = path.join(sb.dir, "outputs.json");
  sb.docker.containers.set("logging-test-loki", { running: true, image: IMAGES.loki, volume: "logging-test-loki-data", mountPath: "/loki" });
  sb.docker.containers.set("logging-test-prometheus", { running: true, image: IMAGES.prometheus, volume: "logging-test-prometheus-data", mountPath: "/prometheus" });
  sb.docker.volumes.set("logging-test-loki-data", LOKI_DATA);
  sb.docker.volumes.set("logging-test-prometheus-data", PROM_DATA);
  state(false);
});
afterEach(async () => {
  await sb.cleanup();
});

/** The state export the fake returns: two data volumes, Prometheus's bound to a host directory. */
function state(protect: boolean): void {
  const vol = (name: string, extra: Record<string, unknown> = {}) => ({ urn: `urn:pulumi:test::logging-bootstrap::docker:index/volume:Volume::${name}`, type: "docker:index/volume:Volume", id: name, ...(protect ? { protect: true } : {}), outputs: { name, ...extra } });
  const resources = [vol("logging-test-loki-data"), vol("logging-test-prometheus-data", { driverOpts: { type: "none", o: "bind", device: "/srv/logging/prometheus" } })];
  fs.writeFileSync(path.join(sb.dir, "state.json"), JSON.stringify({ version: 3, deployment: { manifest: {}, resources } }));
  sb.env.STUB_STATE = path.join(sb.dir, "state.json");
}

describe("destroy", () => {
  it("keeps the data volumes and host data by default, protected resources left in place, and says what it kept", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test"], sb);
    expect(r.code).toBe(0);
    expect(mutating(sb)).toEqual([["destroy", { excludeProtected: true }]]);
    expect(pulumiCalls(sb).map((c) => c.op).indexOf("export")).toBeLessThan(pulumiCalls(sb).map((c) => c.op).indexOf("destroy"));
    expect(r.stderr).toContain("kept: data volume logging-test-loki-data");
    expect(r.stderr).toContain("kept: data volume logging-test-prometheus-data (host data in /srv/logging/prometheus)");
    expect(sb.docker.requests.filter((q) => q.startsWith("DELETE"))).toEqual([]);
    expect([...sb.docker.volumes.keys()].sort()).toEqual(["logging-test-loki-data", "logging-test-prometheus-data"]);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.steps.map((x: any) => [x.step, x.status])).toEqual([["preflight", "success"], ["checkpoint", "success"], ["destroy", "success"], ["evidence", "success"]]);
    expect(s.steps.find((x: any) => x.step === "destroy").detail).toContain("2 data volume(s) kept");
  });

  it("--delete-data needs the stack's name typed back: without --confirm, or with another name, nothing runs (exit 4)", async () => {
    const a = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test", "--delete-data", "--json"], sb);
    expect(a.code).toBe(4);
    expect(JSON.parse(a.stdout).errors[0]).toMatchObject({ code: "E_ENV_CONFIRMATION_REQUIRED", message: expect.stringContaining("--confirm test") });
    const b = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test", "--delete-data", "--confirm", "prod", "--json"], sb);
    expect(b.code).toBe(4);
    expect(JSON.parse(b.stdout).errors[0].message).toBe("--confirm prod does not name stack test: nothing was deleted");
    expect(pulumiCalls(sb)).toEqual([]);
    // the flags belong to destroy; --confirm alone confirms nothing
    expect((await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--delete-data"], sb)).code).toBe(4);
    expect((await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test", "--confirm", "test"], sb)).code).toBe(4);
    expect(sb.docker.volumes.size).toBe(2);
  });

  it("--delete-data --confirm <stack>: after destroy, each data volume is emptied (a bound one through a helper) and removed", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test", "--delete-data", "--confirm", "test"], sb);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("deleted: data volume logging-test-prometheus-data and the files under /srv/logging/prometheus")]);
    expect(sb.docker.volumes.size).toBe(0);
    const helper = sb.docker.requests.indexOf("POST /containers/create");
    expect(helper).toBeGreaterThanOrEqual(0);
    expect(sb.docker.requests.slice(helper)).toEqual(expect.arrayContaining(["POST /containers/helper1/wait", "DELETE /containers/helper1", "DELETE /volumes/logging-test-prometheus-data"]));
    expect(sb.docker.requests).toContain("DELETE /volumes/logging-test-loki-data");
    expect(readJson(path.join(bundleDir(sb), "summary.json")).steps.map((x: any) => [x.step, x.status])).toEqual([["preflight", "success"], ["checkpoint", "success"], ["destroy", "success"], ["delete-data", "success"], ["evidence", "success"]]);
  });

  it("--delete-data after an earlier destroy: the volumes are no longer in the state, the engine's labels find them", async () => {
    expect((await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test"], sb)).code).toBe(0);
    fs.writeFileSync(path.join(sb.dir, "state.json"), JSON.stringify({ version: 3, deployment: { manifest: {}, resources: [] } }));
    const r = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test", "--delete-data", "--confirm", "test"], sb);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("deleted: data volume logging-test-loki-data")]);
    expect(sb.docker.volumes.size).toBe(0);
    expect(sb.docker.requests).toContain("GET /volumes");
  });

  it("a stack that protects its data volumes (prod): --delete-data is refused before destroy, with the way to lift it; plain destroy keeps them in state", async () => {
    state(true);
    const r = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test", "--delete-data", "--confirm", "test", "--json"], sb);
    expect(r.code).toBe(4);
    const e = JSON.parse(r.stdout).errors[0];
    expect(e).toMatchObject({ code: "E_ENV_DATA_PROTECTED", action: expect.stringContaining("pulumi state unprotect --all --stack <stack> --yes") });
    expect(mutating(sb)).toEqual([]);
    const plain = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test"], sb);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain("kept (protected, still in state): volume logging-test-loki-data");
    expect(sb.docker.volumes.size).toBe(2);
  });
});

describe("a service started again is waited for (bounded)", () => {
  const docker = (states: Array<Record<string, unknown>>) => {
    let i = 0;
    return { getContainer: () => ({ inspect: async () => ({ State: states[Math.min(i++, states.length - 1)] }) }) } as never;
  };
  it("until its healthcheck says healthy, or it runs when it has none; else what it last saw, within the bound", async () => {
    const { waitHealthy } = await import("../../scripts/lib/upgrade/volumes");
    expect(await waitHealthy(docker([{ Running: true, Health: { Status: "starting" } }, { Running: true, Health: { Status: "healthy" } }]), "c", 1000, 10)).toEqual({ ok: true, state: "healthy" });
    expect(await waitHealthy(docker([{ Running: true }]), "c", 1000, 10)).toEqual({ ok: true, state: "running" });
    const t0 = Date.now();
    expect(await waitHealthy(docker([{ Running: true, Health: { Status: "unhealthy" } }]), "c", 200, 20)).toEqual({ ok: false, state: "unhealthy" });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe("backup and restore", () => {
  async function backup(): Promise<string> {
    const r = await runCli("bootstrap.ts", ["--mode", "backup", "--stack", "test"], sb);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("backup: logging-test-loki-data -> backups/logging-test-loki-data.tar.gz")]);
    return String(runs(sb).pop()!.run_id);
  }

  it("backup: every data volume archived with its service stopped and started again, 0600, sha256 recorded; listed by recall", async () => {
    const run = await backup();
    const dir = path.join(sb.outDir, "runs", run);
    const rec = readJson(path.join(dir, "backup.json"));
    expect(rec.backups.map((b: any) => [b.service, b.volume, b.file])).toEqual([
      ["loki", "logging-test-loki-data", "backups/logging-test-loki-data.tar.gz"],
      ["prometheus", "logging-test-prometheus-data", "backups/logging-test-prometheus-data.tar.gz"],
    ]);
    for (const b of rec.backups) {
      const f = path.join(dir, b.file);
      expect(fs.statSync(f).mode & 0o777).toBe(0o600);
      expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(zlib.gunzipSync(fs.readFileSync(path.join(dir, rec.backups[0].file))).equals(LOKI_DATA)).toBe(true);
    // stopped for a consistent copy, started again, and waited for until it is back
    expect(sb.docker.requests.filter((q) => q.includes("logging-test-loki/"))).toEqual(["GET /containers/logging-test-loki/json", "POST /containers/logging-test-loki/stop", "GET /containers/logging-test-loki/archive", "POST /containers/logging-test-loki/start", "GET /containers/logging-test-loki/json"]);
    expect(sb.docker.containers.get("logging-test-loki")!.running).toBe(true);
    expect(mutating(sb)).toEqual([]);
    const list = await runCli("recall.ts", ["list", "--mode", "backup", "--json"], sb);
    expect(JSON.parse(list.stdout).map((x: any) => [x.run_id, x.mode, x.status])).toEqual([[run, "backup", "green"]]);
  });

  it("restore --run <backup>: sha256s first, each volume back with its service stopped and started again, then verify", async () => {
    const run = await backup();
    sb.docker.volumes.set("logging-test-loki-data", Buffer.from("loki: written after the backup"));
    const r = await runCli("bootstrap.ts", ["--mode", "restore", "--stack", "test", "--run", run], sb);
    expect(r.code).toBe(0);
    expect(sb.docker.volumes.get("logging-test-loki-data")!.equals(LOKI_DATA)).toBe(true);
    expect(sb.docker.containers.get("logging-test-loki")!.running).toBe(true);
    const dir = bundleDir(sb, 1);
    expect(readJson(path.join(dir, "restore.json"))).toMatchObject({ stack: "test", backupRun: run, restored: [{ volume: "logging-test-loki-data" }, { volume: "logging-test-prometheus-data" }] });
    expect(readJson(path.join(dir, "summary.json")).steps.map((x: any) => [x.step, x.status])).toEqual([["preflight", "success"], ["restore-data", "success"], ["verify", "success"], ["evidence", "success"]]);
  });

  it("restore refuses a damaged archive before changing anything, and a run that is no backup (exit 4)", async () => {
    const none = await runCli("bootstrap.ts", ["--mode", "restore", "--stack", "test", "--json"], sb);
    expect(none.code).toBe(4);
    expect(JSON.parse(none.stdout).errors[0].code).toBe("E_ENV_BACKUP_UNAVAILABLE");
    const run = await backup();
    const f = path.join(sb.outDir, "runs", run, "backups", "logging-test-prometheus-data.tar.gz");
    const b = fs.readFileSync(f);
    b[b.length - 1] ^= 0xff;
    fs.writeFileSync(f, b);
    sb.docker.requests.length = 0;
    const r = await runCli("bootstrap.ts", ["--mode", "restore", "--stack", "test", "--run", run, "--json"], sb);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).errors[0]).toMatchObject({ code: "E_DEPS_SNAPSHOT_MISMATCH", message: expect.stringContaining("nothing was changed") });
    expect(sb.docker.requests.filter((q) => !q.startsWith("GET"))).toEqual([]);
  });
});
