// The run wrapper's environment: each cause that keeps it from running gets its own code and exit 3
// (the CLI, the backend login, the passphrase, the stack, Docker, the secrets file), the selected
// stack when --stack is absent, the run lock under concurrent runs and signals, and usage.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { makeSandbox, pulumiCalls, runCli, Sandbox, spawnCli, waitFor } from "./helpers";
import { bundleDir, mutating, readJson, runs } from "./bundle-helpers";

jest.setTimeout(60_000);

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const PACK = { policyPacks: ["policy"], policyPackConfigs: ["policy/config/test.json"] };
const UP = ["up", PACK];

describe("environment checks", () => {
  it.each([
    ["E_ENV_TOOL_MISSING", "npm run -s engine:build"],
    ["E_ENV_BACKEND_LOGIN", "pulumi login"],
    ["E_ENV_NO_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"],
    ["E_ENV_STACK_NOT_FOUND", "pulumi stack init"],
  ])("%s: its own code and fix, exit 3, nothing changed; diagnose still lints", async (code, fix) => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_OPEN_ERROR: code });
    expect(r.code).toBe(3);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.errors[0]).toMatchObject({ code, bucket: "env" });
    expect(s.errors[0].action).toContain(fix);
    expect(s.steps.map((x: any) => [x.step, x.status])).toEqual([["preflight", "failed"], ["policy-build", "skipped"], ["checkpoint", "skipped"], ["snapshot", "skipped"], ["up", "skipped"], ["verify", "skipped"], ["evidence", "success"]]);
    expect(mutating(sb)).toEqual([]);
    expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
    // diagnose is read-only: it lints and checks policy without Pulumi, skips preview, and stays exit 3.
    const d = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb, { STUB_OPEN_ERROR: code });
    expect(d.code).toBe(3);
    expect(readJson(path.join(bundleDir(sb, 1), "summary.json")).steps.map((x: any) => [x.step, x.status])).toEqual([
      ["preflight", "failed"], ["lint", "success"], ["policy", "success"], ["policy-build", "success"], ["preview", "skipped"], ["evidence", "success"],
    ]);
  });

  it("Docker unreachable: E_ENV_DOCKER_UNREACHABLE with the fix, exit 3, nothing mutated", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { DOCKER_HOST: `unix://${path.join(sb.dir, "absent.sock")}` });
    expect(r.code).toBe(3);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.errors.map((e: any) => e.code)).toEqual(["E_ENV_DOCKER_UNREACHABLE"]);
    expect(s.errors[0].action).toMatch(/Start the Docker engine/);
    expect(mutating(sb)).toEqual([]);
  });

  it("a secrets.local.env readable by others stops apply in preflight (E_ENV_SECRETS_FILE_MODE, exit 3); 0600 passes", async () => {
    const file = path.join(sb.dir, "secrets.local.env");
    fs.writeFileSync(file, "GRAFANA_ADMIN_PASSWORD=x-not-used-1\n", { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
    expect(r.code).toBe(3);
    expect(mutating(sb)).toEqual([]);
    const pf = readJson(path.join(bundleDir(sb), "preflight.report.json"));
    expect(pf.checks.find((c: any) => c.check === "secrets-file")).toMatchObject({ status: "failed", error: { code: "E_ENV_SECRETS_FILE_MODE", action: `chmod 600 ${file}` } });
    fs.chmodSync(file, 0o600);
    expect((await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb)).code).toBe(0);
  });

  it("offlineMode: diagnose reports E_DEPS_IMAGE_MISSING_OFFLINE for each absent image (exit 1)", async () => {
    fs.copyFileSync(path.join(__dirname, "..", "fixtures", "ops", "Pulumi.offline.yaml"), path.join(sb.dir, "Pulumi.test.yaml"));
    sb.docker.images.set("grafana/grafana:11.1.0", { Id: "sha256:" + "1".repeat(64), RepoDigests: [], RepoTags: ["grafana/grafana:11.1.0"] });
    sb.docker.images.set("grafana/loki:3.0.0", { Id: "sha256:" + "2".repeat(64), RepoDigests: [], RepoTags: ["grafana/loki:3.0.0"] });
    const r = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb);
    expect(r.code).toBe(1);
    const pf = readJson(path.join(bundleDir(sb), "preflight.report.json"));
    const missing = pf.checks.filter((c: any) => c.error?.code === "E_DEPS_IMAGE_MISSING_OFFLINE").map((c: any) => c.error.details.service);
    expect(missing).toEqual(["alloy", "prometheus", "nodeExporter", "cadvisor", "alertmanager"]);
  });
});

describe("the stack when --stack is absent", () => {
  it("runs on the stack selected in the workspace; without one it is E_ENV_NO_STACK (exit 3)", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply"], sb, { STUB_SELECTED: "test" });
    expect(r.code).toBe(0);
    expect(pulumiCalls(sb).find((c) => c.op === "up")!.stack).toBe("test");
    expect(runs(sb)[0]).toMatchObject({ stack: "test", config: "Pulumi.test.yaml" });
    const none = await runCli("bootstrap.ts", ["--mode", "apply", "--json"], sb);
    expect(none.code).toBe(3);
    expect(JSON.parse(none.stdout).errors[0]).toMatchObject({ code: "E_ENV_NO_STACK", action: expect.stringContaining("pulumi stack select") });
  });
});

describe("run lock", () => {
  it("a second run fails at once with the holder's PID while the first holds the lock", async () => {
    const a = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "6000" });
    const lockFile = path.join(sb.outDir, ".bootstrap.lock");
    await waitFor(() => pulumiCalls(sb).some((c) => c.op === "up"), 20_000, "the first run's up");
    expect(readJson(lockFile).pid).toBe(a.child.pid);
    const b = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb);
    expect(b.code).toBe(3);
    expect(b.ms).toBeLessThan(10_000); // at once: no waiting for the lock (the bound is process start-up)
    expect(b.stderr).toContain(`Another bootstrap run is active (PID ${a.child.pid})`);
    expect(b.stderr).toContain("E_ENV_LOCK_HELD");
    // diagnose is read-only and takes no lock: it runs while A holds it.
    const d = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb);
    expect(d.code).toBe(0);
    expect(readJson(lockFile).pid).toBe(a.child.pid);
    const ra = await a.done;
    expect(ra.code).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(mutating(sb)).toEqual([UP]); // B never reached its refresh
    expect(runs(sb).map((x) => [x.mode, x.status, x.codes])).toEqual([["drift", "red", ["E_ENV_LOCK_HELD"]], ["diagnose", "green", []], ["apply", "green", []]]);
  });

  it("two runs started together: exactly one applies, the other names the winner's PID", async () => {
    const x = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "3000" });
    const y = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "3000" });
    const [rx, ry] = await Promise.all([x.done, y.done]);
    expect([rx.code, ry.code].sort()).toEqual([0, 3]);
    const [winner, loser] = rx.code === 0 ? [rx, ry] : [ry, rx];
    expect(loser.stderr).toContain(`Another bootstrap run is active (PID ${winner.pid})`);
    expect(mutating(sb)).toEqual([UP]);
    expect(runs(sb)).toHaveLength(2);
  });

  it("a dead PID's lock and two runs started together: exactly one recovers it and applies", async () => {
    const dead = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    await new Promise((r) => dead.on("close", r));
    fs.mkdirSync(sb.outDir, { recursive: true });
    fs.writeFileSync(path.join(sb.outDir, ".bootstrap.lock"), JSON.stringify({ pid: dead.pid, host: os.hostname(), mode: "apply", stack: "test", startedAt: "2026-01-01T00:00:00.000Z" }));
    const x = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "3000" });
    const y = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "3000" });
    const [rx, ry] = await Promise.all([x.done, y.done]);
    expect([rx.code, ry.code].sort()).toEqual([0, 3]);
    const [winner, loser] = rx.code === 0 ? [rx, ry] : [ry, rx];
    expect(winner.stderr).toContain(`warning: Recovered a stale run lock: PID ${dead.pid}`);
    expect(loser.stderr).toContain(`Another bootstrap run is active (PID ${winner.pid})`);
    expect(loser.stderr).not.toContain("Recovered a stale run lock");
    expect(mutating(sb)).toEqual([UP]);
    expect(fs.readdirSync(sb.outDir).filter((f) => f.startsWith(".bootstrap.lock"))).toEqual([]);
  });

  it.each([["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const)("%s aborts the operation, releases the lock, records the run", async (sig, code) => {
    const a = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "30000" });
    const lockFile = path.join(sb.outDir, ".bootstrap.lock");
    await waitFor(() => pulumiCalls(sb).some((c) => c.op === "up"), 20_000, "up");
    expect(fs.existsSync(lockFile)).toBe(true);
    a.child.kill(sig);
    const r = await a.done;
    expect(r.code).toBe(code);
    expect(r.ms).toBeLessThan(20_000);
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(runs(sb)).toHaveLength(1);
    expect(runs(sb)[0]).toMatchObject({ mode: "apply", status: "red", codes: ["E_ENV_INTERRUPTED"], exit_code: code });
  });

  it("a run that crashes (its run index cannot be written) still releases the lock", async () => {
    fs.mkdirSync(path.join(sb.outDir, "runs.jsonl"), { recursive: true });
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/E_INTERNAL \(\w+\): .*runs/);
    expect(pulumiCalls(sb).filter((c) => c.op === "up")).toHaveLength(1); // it held the lock and ran
    expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
  });

  it("recovers the lock of a dead PID with a warning", async () => {
    const dead = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    await new Promise((r) => dead.on("close", r));
    fs.mkdirSync(sb.outDir, { recursive: true });
    fs.writeFileSync(path.join(sb.outDir, ".bootstrap.lock"), JSON.stringify({ pid: dead.pid, host: os.hostname(), mode: "apply", stack: "test", startedAt: "2026-01-01T00:00:00.000Z" }));
    const r = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: Recovered a stale run lock: PID ${dead.pid}`);
    const dir = bundleDir(sb);
    expect(readJson(path.join(dir, "preflight.report.json")).warnings).toEqual([`Recovered a stale run lock: PID ${dead.pid} (mode apply, started 2026-01-01T00:00:00.000Z) is no longer running.`]);
    const first = JSON.parse(fs.readFileSync(path.join(dir, "events.jsonl"), "utf8").split("\n")[0]);
    expect(first.BootstrapPlanned.warnings).toEqual(readJson(path.join(dir, "preflight.report.json")).warnings);
  });
});

describe("usage", () => {
  it("--help documents modes and the one exit-code table; a bad mode is E_ENV_USAGE exit 2", async () => {
    const h = await runCli("bootstrap.ts", ["--help"], sb);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Exit codes (the same for every logging-bootstrap command):");
    for (const m of ["diagnose", "apply", "repair", "drift", "rollback", "destroy", "backup", "restore"]) expect(h.stdout).toContain(`  ${m} `);
    const bad = await runCli("bootstrap.ts", ["--mode", "nuke", "--stack", "test"], sb);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("E_ENV_USAGE");
    expect(runs(sb)).toEqual([]);
  });
});
