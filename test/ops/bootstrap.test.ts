// The run wrapper against a stub `pulumi` (and stub `npm`) first on PATH and a fake Docker API:
// exact argv per mode, non-interactivity (stdin /dev/null, no TTY, env), the mode guard, tool and
// engine checks, offline images, the run lock under concurrent runs and signals, and the bundle.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";

// The exact argv per mode, spelled out here (not built with the wrapper's own helpers, so a change
// to a flag fails these tests). The sandbox carries policy/config/test.json: every policy-pack call passes it.
const PACK = ["--policy-pack", "policy", "--policy-pack-config", "policy/config/test.json"];
const PREVIEW = ["preview", "--stack", "test", "--non-interactive", ...PACK];
const UP = ["up", "--stack", "test", "--yes", "--non-interactive", ...PACK];
const IDEMPOTENCY = ["up", "--stack", "test", "--yes", "--non-interactive", ...PACK, "--expect-no-changes"];
const REFRESH = ["refresh", "--stack", "test", "--preview-only", "--non-interactive", "--expect-no-changes"];
import { checkEventOrder, RunEvent } from "../../scripts/lib/events";
import { guardPulumiCall } from "../../scripts/lib/pulumi-cli";
import { FIXTURE_SECRET, makeSandbox, pulumiCalls, runCli, Sandbox, spawnCli, STUB_BIN, stubCalls, waitFor } from "./helpers";

jest.setTimeout(60_000);

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

function runs(s: Sandbox): Array<Record<string, unknown>> {
  const f = path.join(s.outDir, "runs.jsonl");
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}
function bundleDir(s: Sandbox, i = 0): string {
  return path.join(s.outDir, String(runs(s)[i].bundle));
}
function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
function events(dir: string): RunEvent[] {
  return fs.readFileSync(path.join(dir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
}
const mutating = (s: Sandbox) => pulumiCalls(s).filter((c) => ["up", "refresh", "destroy", "import", "state"].includes(c.argv[0]) || (c.argv[0] === "config" && c.argv[1] === "set")).map((c) => c.argv);

function expectNonInteractive(s: Sandbox, withNpm = true) {
  const calls = stubCalls(s);
  if (withNpm) expect(calls.filter((c) => c.tool === "npm").length).toBeGreaterThan(0);
  expect(pulumiCalls(s).length).toBeGreaterThan(0);
  for (const c of calls) {
    // Every child, pulumi and npm alike: stdin is /dev/null (nothing to read, nothing to prompt on), no TTY.
    expect([c.tool ?? "pulumi", c.stdinDevNull, c.stdinIsTTY, c.stdoutIsTTY]).toEqual([c.tool ?? "pulumi", true, false, false]);
    if (c.tool === "npm") continue;
    expect(c.argv).toContain("--non-interactive");
    expect(c.env).toMatchObject({ PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_SKIP_CONFIRMATIONS: "false", NO_COLOR: "1", TERM: "dumb" });
  }
}

function expectModeEverywhere(dir: string, mode: string) {
  expect(readJson(path.join(dir, "meta.json")).mode).toBe(mode);
  expect(readJson(path.join(dir, "summary.json")).mode).toBe(mode);
  expect(readJson(path.join(dir, "preflight.report.json")).mode).toBe(mode);
  expect(readJson(path.join(dir, "verify.report.json")).mode).toBe(mode);
  expect(readJson(path.join(dir, "autoheal.suggestions.json")).mode).toBe(mode);
  expect(readJson(path.join(dir, "desired_state.json")).mode).toBe(mode);
  expect(readJson(path.join(dir, "provenance.json")).mode).toBe(mode);
  for (const f of fs.readdirSync(path.join(dir, "services"))) expect(readJson(path.join(dir, "services", f)).mode).toBe(mode);
  expect(fs.readFileSync(path.join(dir, "summary.md"), "utf8")).toContain(`mode: \`${mode}\``);
  for (const e of events(dir)) expect(Object.values(e)[0]).toHaveProperty("run_id");
  expect(checkEventOrder(events(dir))).toEqual([]);
  expect(events(dir).filter((e) => "BootstrapPlanned" in e).every((e) => (e as any).BootstrapPlanned.mode === mode)).toBe(true);
}

describe("bootstrap modes against the stub CLI", () => {
  it("diagnose: lint, policy:check, preview --policy-pack policy; read-only, unlocked, complete bundle", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb);
    expect(r.code).toBe(0);
    const all = stubCalls(sb);
    expect(all.filter((c) => c.tool === "npm").map((c) => c.argv)).toEqual([
      ["run", "-s", "config:lint", "--", "Pulumi.test.yaml", "--json"],
      ["run", "-s", "policy:check", "--", "--stack", "test", "--json"],
      ["run", "-s", "policy:build"],
    ]);
    expect(pulumiCalls(sb).filter((c) => c.argv[0] === "preview").map((c) => c.argv)).toEqual([PREVIEW]);
    expect(mutating(sb)).toEqual([]);
    expectNonInteractive(sb);
    expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
    const dir = bundleDir(sb);
    expect(fs.readdirSync(dir).sort()).toEqual(
      ["autoheal.suggestions.json", "desired_state.json", "events.jsonl", "lint.report.json", "logs", "meta.json", "outputs.json", "policy.report.json", "preflight.report.json", "provenance.json", "services", "summary.json", "summary.md", "verify.report.json"],
    );
    expectModeEverywhere(dir, "diagnose");
    expect(checkEventOrder(events(dir))).toEqual([]);
    expect(runs(sb)).toHaveLength(1);
    expect(runs(sb)[0]).toMatchObject({ mode: "diagnose", stack: "test", status: "green", exit_code: 0, errors: 0, buckets: [] });
    const meta = readJson(path.join(dir, "meta.json"));
    expect(meta.config_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.tools).toMatchObject({ pulumi: "v3.270.0-stub", docker: "27.0-fake", node: process.version });
    expect(readJson(path.join(dir, "verify.report.json"))).toMatchObject({ status: "skipped" });
    // Desired state and provenance from the stack outputs; the secret output is redacted.
    const desired = readJson(path.join(dir, "desired_state.json"));
    expect(desired.source).toBe("stack outputs");
    expect(Object.keys(desired.files).sort()).toEqual([
      "configShas.alloy./etc/alloy/config.alloy",
      "configShas.grafana./etc/grafana/provisioning/datasources/datasources.yaml",
      "configShas.loki./etc/loki/config.yaml",
      "configShas.prometheus./etc/prometheus/prometheus.yml",
      "configShas.prometheus./etc/prometheus/rules/logging-bootstrap.rules.yml",
    ]);
    const prov = readJson(path.join(dir, "provenance.json"));
    expect(prov.images.map((i: any) => [i.service, i.ref, i.recorded ?? null, i.local])).toEqual([
      ["grafana", "grafana/grafana:11.1.0", expect.stringMatching(/^grafana\/grafana@sha256:[0-9a-f]{64}$/), null],
      ["loki", "grafana/loki:3.0.0", expect.stringMatching(/^grafana\/loki@sha256:/), null],
      ["alloy", "grafana/alloy:v1.2.1", null, null],
      ["prometheus", "prom/prometheus:v2.52.0", null, null],
      ["nodeExporter", "prom/node-exporter:v1.8.1", null, null],
      ["cadvisor", "gcr.io/cadvisor/cadvisor:v0.49.1", null, null],
      ["alertmanager", "prom/alertmanager:v0.27.0", null, null],
    ]);
    expect(readJson(path.join(dir, "outputs.json")).grafanaAdminPassword).toBe("[secret]");
    const started = events(dir).filter((e) => "BootstrapStarted" in e).map((e: any) => [e.BootstrapStarted.service, e.BootstrapStarted.artifact_hash.length]);
    expect(started).toEqual([["grafana", 64], ["loki", 64], ["alloy", 64], ["prometheus", 64], ["nodeExporter", 0], ["cadvisor", 0], ["alertmanager", 0]]);
  });

  it("apply --verify-idempotency: up, verify, up --expect-no-changes; lock held during, released after", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--verify-idempotency"], sb);
    expect(r.code).toBe(0);
    expect(mutating(sb)).toEqual([UP, IDEMPOTENCY]);
    expect(stubCalls(sb).filter((c) => c.tool === "npm").map((c) => c.argv)).toEqual([["run", "-s", "policy:build"], ["run", "-s", "verify", "--", "--stack", "test", "--json"]]);
    // verify gets Grafana's admin password (the stack's secret output) in its environment, not on argv.
    expect((stubCalls(sb).find((c) => c.tool === "npm" && c.argv.includes("verify")) as any).grafanaPasswordSha).toBe(crypto.createHash("sha256").update(FIXTURE_SECRET).digest("hex"));
    expectNonInteractive(sb);
    expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
    const dir = bundleDir(sb);
    expectModeEverywhere(dir, "apply");
    expect(readJson(path.join(dir, "summary.json")).steps.map((s: any) => [s.step, s.status])).toEqual([
      ["preflight", "success"], ["policy-build", "success"], ["checkpoint", "success"], ["snapshot", "skipped"], ["up", "success"], ["verify", "success"], ["idempotency", "success"], ["evidence", "success"],
    ]);
    expect(readJson(path.join(dir, "verify.report.json")).report.levels[0]).toMatchObject({ level: "L1", status: "green" });
  });

  it("apply: a change on the second up is an idempotency violation (E_PROOF_IDEMPOTENCY, exit 1)", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--verify-idempotency"], sb, { STUB_IDEM_EXIT: "255" });
    expect(r.code).toBe(1);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.errors.map((e: any) => [e.code, e.bucket])).toEqual([["E_PROOF_IDEMPOTENCY", "proof"]]);
    expect(runs(sb)[0]).toMatchObject({ status: "red", buckets: ["proof"], codes: ["E_PROOF_IDEMPOTENCY"] });
  });

  it("repair: up on the named resources only, a container rebuilt (--target-replace), others --target", async () => {
    const urn = "urn:pulumi:test::logging-bootstrap::logging-bootstrap:services:Loki$docker:index/container:Container::logging-test-loki";
    const r = await runCli("bootstrap.ts", ["--mode", "repair", "--stack", "test", "--target", urn, "--target", "urn:b"], sb);
    expect(r.code).toBe(0);
    expect(mutating(sb)).toEqual([[...UP, "--target-dependents", "--target-replace", urn, "--target", "urn:b"]]);
    expectNonInteractive(sb);
    const ev = events(bundleDir(sb));
    expect(ev.filter((e) => "BootstrapPlanned" in e).map((e: any) => [e.BootstrapPlanned.service, e.BootstrapPlanned.action])).toEqual([
      ["grafana", "skip"], ["loki", "up-targeted"], ["alloy", "skip"], ["prometheus", "skip"], ["nodeExporter", "skip"], ["cadvisor", "skip"], ["alertmanager", "skip"],
    ]);
  });

  it("repair without --target is refused before any pulumi call (E_ENV_MODE_VIOLATION, exit 2)", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "repair", "--stack", "test"], sb);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("E_ENV_MODE_VIOLATION (env): repair changes named resources only: pass --target <urn>");
    expect(pulumiCalls(sb)).toEqual([]);
    expect(runs(sb)[0]).toMatchObject({ mode: "repair", status: "red", codes: ["E_ENV_MODE_VIOLATION"] });
    expectModeEverywhere(bundleDir(sb), "repair");
  });

  it("diagnose never mutates: asking it for an idempotency up or for --target is E_ENV_MODE_VIOLATION", async () => {
    const a = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test", "--verify-idempotency"], sb);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/E_ENV_MODE_VIOLATION \(env\): mode diagnose does not allow `pulumi up` \(diagnose is read-only\)/);
    const b = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test", "--target", "urn:x"], sb);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("only --mode repair takes it");
    expect(pulumiCalls(sb)).toEqual([]);
    expect(stubCalls(sb)).toEqual([]);
  });

  it("drift: refresh --expect-no-changes; changes found are drift (E_PROOF_DRIFT, exit 1), another refresh failure is not", async () => {
    const ok = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb);
    expect(ok.code).toBe(0);
    expect(mutating(sb)).toEqual([REFRESH]);
    expect(stubCalls(sb).filter((c) => c.tool === "npm")).toEqual([]); // drift runs no other CLI
    expectNonInteractive(sb, false);
    const bad = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb, { STUB_REFRESH_EXIT: "255" });
    expect(bad.code).toBe(1);
    expect(runs(sb).map((x) => [x.mode, x.status, x.codes])).toEqual([["drift", "green", []], ["drift", "red", ["E_PROOF_DRIFT"]]]);
    expect(bad.stdout).toContain("next (proof): E_PROOF_DRIFT");
    // A refresh that fails for another reason is named as such, not reported as drift.
    const broken = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb, { STUB_REFRESH_EXIT: "255", STUB_REFRESH_ERROR: "error: could not load checkpoint: backend unreachable" });
    expect(broken.code).toBe(1);
    expect(runs(sb).map((x) => x.codes)).toEqual([[], ["E_PROOF_DRIFT"], ["E_RUNTIME_DEPLOY_FAILED"]]);
    expect(broken.stdout).not.toContain("E_PROOF_DRIFT");
  });

  it("without policy/config/<stack>.json the pack runs on its defaults: no --policy-pack-config", async () => {
    fs.rmSync(path.join(sb.dir, "policy"), { recursive: true });
    expect((await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb)).code).toBe(0);
    expect((await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--verify-idempotency"], sb)).code).toBe(0);
    expect(pulumiCalls(sb).filter((c) => ["preview", "up"].includes(c.argv[0])).map((c) => c.argv)).toEqual([
      ["preview", "--stack", "test", "--non-interactive", "--policy-pack", "policy"],
      ["up", "--stack", "test", "--yes", "--non-interactive", "--policy-pack", "policy"],
      ["up", "--stack", "test", "--yes", "--non-interactive", "--policy-pack", "policy", "--expect-no-changes"],
    ]);
  });

  it("a red verify level fails only the named service's events; autoheal names it", async () => {
    const report = path.join(sb.dir, "verify.json");
    fs.writeFileSync(report, JSON.stringify({ status: "red", levels: [
      { level: "L1", status: "red", code: "E_PROOF_HEALTH", durationMs: 9, findings: ["logging-test-loki GET /ready answered 503"], diagnostics: {} },
      { level: "L5", status: "green", durationMs: 3, findings: [], diagnostics: {} },
    ] }));
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_VERIFY_JSON: report, STUB_VERIFY_EXIT: "2" });
    expect(r.code).toBe(1);
    const dir = bundleDir(sb);
    const ev = events(dir);
    expect(ev.filter((e) => "BootstrapFailed" in e).map((e: any) => e.BootstrapFailed.service)).toEqual(["loki"]);
    expect(ev.filter((e) => "BootstrapCompleted" in e)).toHaveLength(6);
    expect(checkEventOrder(ev)).toEqual([]);
    // Seed 002: loki's stream keeps the envelope and ends with the terminal error step, then Failed.
    const loki = ev.map((e) => Object.entries(e)[0] as [string, any]).filter(([, b]) => b.service === "loki");
    expect(loki.map(([k, b]) => (k === "BootstrapStep" ? `${b.step}:${b.status}` : k))).toEqual([
      "BootstrapPlanned", "BootstrapStarted", "preflight:success", "policy-build:success", "checkpoint:success", "snapshot:skipped", "up:success", "verify:failed", "evidence:success", "error:failed", "BootstrapFailed",
    ]);
    const detail = "E_PROOF_HEALTH: L1: logging-test-loki GET /ready answered 503";
    expect(loki[9][1]).toEqual({ service: "loki", run_id: runs(sb)[0].run_id, step: "error", status: "failed", duration_ms: 0, detail });
    expect(loki[10][1]).toMatchObject({ service: "loki", error: detail });
    for (const [k, b] of loki) if (k === "BootstrapStep") expect(Number.isInteger(b.duration_ms)).toBe(true);
    const lokiLog = readJson(path.join(dir, "services", "loki.json"));
    expect(Object.keys(lokiLog).sort()).toEqual(Object.keys(readJson(path.join(dir, "services", "grafana.json"))).sort());
    expect(lokiLog.steps[lokiLog.steps.length - 1]).toEqual({ step: "error", status: "failed", duration_ms: 0, detail });
    const ah = readJson(path.join(dir, "autoheal.suggestions.json"));
    expect(ah.active_buckets).toHaveLength(1);
    expect(ah.active_buckets[0]).toMatchObject({ bucket: "proof", error_codes: ["E_PROOF_HEALTH"], primary: { level: "L1", service: "loki" } });
  });

  it("diagnose reports lint findings with their example patch and continues read-only", async () => {
    const lint = path.join(sb.dir, "lint.json");
    fs.writeFileSync(lint, JSON.stringify({ ok: false, warnings: [], errors: [
      { code: "E_CONFIG_INVALID_PORT", bucket: "config", path: "ports.grafana", message: "ports.grafana is 80", examplePatch: "config:\n  logging-bootstrap:ports:\n    grafana: 9101\n" },
    ] }));
    const r = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb, { STUB_LINT_JSON: lint, STUB_LINT_EXIT: "1" });
    expect(r.code).toBe(1);
    expect(pulumiCalls(sb).filter((c) => c.argv[0] === "preview")).toHaveLength(1); // diagnose reports everything
    const ah = readJson(path.join(bundleDir(sb), "autoheal.suggestions.json"));
    expect(ah.active_buckets.map((b: any) => b.bucket)).toEqual(["config"]);
    expect(ah.active_buckets[0].example_patch).toBe("config:\n  logging-bootstrap:ports:\n    grafana: 9101\n");
    expect(ah.active_buckets[0].recommended_action).toBe("E_CONFIG_INVALID_PORT (service grafana, key ports.grafana): Choose an unprivileged port between 1024 and 65535.");
  });
});

describe("state checkpoint before up (P5)", () => {
  it("apply exports the state to out/checkpoints/<stack>/<run>.json, owner-only, secrets not shown", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
    expect(r.code).toBe(0);
    const exports = pulumiCalls(sb).filter((c) => c.argv[0] === "stack" && c.argv[1] === "export").map((c) => c.argv);
    expect(exports).toHaveLength(1);
    const file = exports[0][exports[0].indexOf("--file") + 1];
    expect(exports[0]).toEqual(["stack", "export", "--stack", "test", "--file", file, "--non-interactive"]);
    expect(path.dirname(file)).toBe(path.join(sb.outDir, "checkpoints", "test"));
    expect(path.basename(file)).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toHaveProperty("deployment");
    // taken before up, never after
    const order = pulumiCalls(sb).map((c) => c.argv[0] === "stack" ? `stack ${c.argv[1]}` : c.argv[0]).filter((a) => a === "stack export" || a === "up");
    expect(order).toEqual(["stack export", "up"]);
  });
  it("a stack with nothing to export yet (first apply) goes on to up with a warning", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_EXPORT_EXIT: "255" });
    expect(r.code).toBe(0);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.steps.find((x: any) => x.step === "checkpoint")).toMatchObject({ status: "skipped" });
    expect(mutating(sb)).toEqual([UP]);
  });
  it("the mode guard refuses an export that would print secrets or go to stdout", () => {
    expect(() => guardPulumiCall("apply", ["stack", "export", "--stack", "test", "--show-secrets", "--file", "x", "--non-interactive"])).toThrow(/E_ENV_MODE_VIOLATION/);
    expect(() => guardPulumiCall("apply", ["stack", "export", "--stack", "test", "--non-interactive"])).toThrow(/E_ENV_MODE_VIOLATION/);
    expect(() => guardPulumiCall("diagnose", ["stack", "export", "--stack", "test", "--file", "x", "--non-interactive"])).toThrow(/E_ENV_MODE_VIOLATION/);
  });
});

describe("policy pack build", () => {
  it("a pack that does not compile stops apply before `up` with E_DEPS_POLICY_PACK_BUILD", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_POLICY_BUILD_EXIT: "2" });
    expect(r.code).toBe(1);
    expect(mutating(sb)).toEqual([]);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.steps.map((x: any) => [x.step, x.status])).toEqual([["preflight", "success"], ["policy-build", "failed"], ["checkpoint", "skipped"], ["snapshot", "skipped"], ["up", "skipped"], ["verify", "skipped"], ["evidence", "success"]]);
    const ah = readJson(path.join(bundleDir(sb), "autoheal.suggestions.json"));
    expect(ah.active_buckets.map((b: any) => [b.bucket, b.error_codes])).toEqual([["deps", ["E_DEPS_POLICY_PACK_BUILD"]]]);
  });
});

describe("environment checks", () => {
  it("no pulumi on PATH: E_ENV_TOOL_MISSING with the install hint, exit 2", async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "nopulumi-"));
    fs.symlinkSync(path.join(STUB_BIN, "npm"), path.join(bin, "npm"));
    try {
      const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` });
      expect(r.code).toBe(2);
      expect(r.stdout).toContain("E_ENV_TOOL_MISSING");
      const s = readJson(path.join(bundleDir(sb), "summary.json"));
      expect(s.errors[0]).toMatchObject({ code: "E_ENV_TOOL_MISSING", bucket: "env" });
      expect(s.errors[0].action).toContain("https://www.pulumi.com/docs/install/");
      expect(s.steps.map((x: any) => [x.step, x.status])).toEqual([["preflight", "failed"], ["policy-build", "skipped"], ["checkpoint", "skipped"], ["snapshot", "skipped"], ["up", "skipped"], ["verify", "skipped"], ["evidence", "success"]]);
      expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
      // diagnose still lints and checks policy without the CLI, skips preview, and stays exit 2.
      const d = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb, { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` });
      expect(d.code).toBe(2);
      expect(readJson(path.join(bundleDir(sb, 1), "summary.json")).steps.map((x: any) => [x.step, x.status])).toEqual([
        ["preflight", "failed"], ["lint", "success"], ["policy", "success"], ["policy-build", "success"], ["preview", "skipped"], ["evidence", "success"],
      ]);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it("Docker unreachable: E_ENV_DOCKER_UNREACHABLE with the fix, exit 2, nothing mutated", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { DOCKER_HOST: `unix://${path.join(sb.dir, "absent.sock")}` });
    expect(r.code).toBe(2);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.errors.map((e: any) => e.code)).toEqual(["E_ENV_DOCKER_UNREACHABLE"]);
    expect(s.errors[0].action).toMatch(/Start the Docker engine/);
    expect(mutating(sb)).toEqual([]);
  });

  it("a secrets.local.env readable by others stops apply in preflight (E_ENV_SECRETS_FILE_MODE); 0600 passes", async () => {
    const file = path.join(sb.dir, "secrets.local.env");
    fs.writeFileSync(file, "GRAFANA_ADMIN_PASSWORD=x-not-used-1\n", { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
    expect(r.code).toBe(1);
    expect(mutating(sb)).toEqual([]);
    const pf = readJson(path.join(bundleDir(sb), "preflight.report.json"));
    expect(pf.checks.find((c: any) => c.check === "secrets-file")).toMatchObject({ status: "failed", error: { code: "E_ENV_SECRETS_FILE_MODE", action: `chmod 600 ${file}` } });
    fs.chmodSync(file, 0o600);
    expect((await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb)).code).toBe(0);
    expect(readJson(path.join(bundleDir(sb, 1), "preflight.report.json")).checks.find((c: any) => c.check === "secrets-file")).toMatchObject({ status: "success", detail: "mode 0600" });
  });

  it("offlineMode: diagnose reports E_DEPS_IMAGE_MISSING_OFFLINE for each absent image", async () => {
    fs.copyFileSync(path.join(__dirname, "..", "fixtures", "ops", "Pulumi.offline.yaml"), path.join(sb.dir, "Pulumi.test.yaml"));
    sb.docker.images.set("grafana/grafana:11.1.0", { Id: "sha256:" + "1".repeat(64), RepoDigests: [], RepoTags: ["grafana/grafana:11.1.0"] });
    sb.docker.images.set("grafana/loki:3.0.0", { Id: "sha256:" + "2".repeat(64), RepoDigests: [], RepoTags: ["grafana/loki:3.0.0"] });
    const r = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb);
    expect(r.code).toBe(1);
    const pf = readJson(path.join(bundleDir(sb), "preflight.report.json"));
    const missing = pf.checks.filter((c: any) => c.error?.code === "E_DEPS_IMAGE_MISSING_OFFLINE").map((c: any) => c.error.details);
    expect(missing).toEqual([
      { service: "alloy", image: "grafana/alloy:v1.2.1" },
      { service: "prometheus", image: "prom/prometheus:v2.52.0" },
      { service: "nodeExporter", image: "prom/node-exporter:v1.8.1" },
      { service: "cadvisor", image: "gcr.io/cadvisor/cadvisor:v0.49.1" },
      { service: "alertmanager", image: "prom/alertmanager:v0.27.0" },
    ]);
    const ah = readJson(path.join(bundleDir(sb), "autoheal.suggestions.json"));
    expect(ah.active_buckets).toHaveLength(1);
    expect(ah.active_buckets[0]).toMatchObject({ bucket: "deps", count: 5 });
    expect(ah.active_buckets[0].next_command).toMatch(/images:import/);
  });
});

describe("run lock", () => {
  it("a second run fails at once with the holder's PID while the first holds the lock", async () => {
    const a = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "6000" });
    const lockFile = path.join(sb.outDir, ".bootstrap.lock");
    await waitFor(() => pulumiCalls(sb).some((c) => c.argv[0] === "up"), 20_000, "the first run's pulumi up");
    expect(readJson(lockFile).pid).toBe(a.child.pid);
    const b = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb);
    expect(b.code).toBe(2);
    expect(b.ms).toBeLessThan(10_000); // at once: no waiting for the lock (the bound is process start-up)
    expect(b.stderr).toContain(`Another bootstrap run is active (PID ${a.child.pid})`);
    expect(b.stderr).toContain("E_ENV_LOCK_HELD");
    expect(fs.existsSync(lockFile)).toBe(true); // still A's
    // diagnose is read-only and takes no lock: it runs while A holds it.
    const d = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb);
    expect(d.code).toBe(0);
    expect(readJson(lockFile).pid).toBe(a.child.pid);
    const ra = await a.done;
    expect(ra.code).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false);
    expect(mutating(sb)).toEqual([UP]); // B never reached pulumi refresh
    expect(runs(sb).map((x) => [x.mode, x.status, x.codes])).toEqual([["drift", "red", ["E_ENV_LOCK_HELD"]], ["diagnose", "green", []], ["apply", "green", []]]);
  });

  it("two runs started together: exactly one applies, the other names the winner's PID", async () => {
    const x = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "3000" });
    const y = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "3000" });
    const [rx, ry] = await Promise.all([x.done, y.done]);
    const codes = [rx.code, ry.code].sort();
    expect(codes).toEqual([0, 2]);
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
    expect([rx.code, ry.code].sort()).toEqual([0, 2]);
    const [winner, loser] = rx.code === 0 ? [rx, ry] : [ry, rx];
    expect(winner.stderr).toContain(`warning: Recovered a stale run lock: PID ${dead.pid}`);
    expect(loser.stderr).toContain(`Another bootstrap run is active (PID ${winner.pid})`);
    expect(loser.stderr).not.toContain("Recovered a stale run lock");
    expect(mutating(sb)).toEqual([UP]);
    expect(fs.readdirSync(sb.outDir).filter((f) => f.startsWith(".bootstrap.lock"))).toEqual([]); // no aside/temp files left
  });

  it.each([["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const)("%s releases the lock, stops pulumi, records the run", async (sig, code) => {
    const a = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "30000" });
    const lockFile = path.join(sb.outDir, ".bootstrap.lock");
    await waitFor(() => pulumiCalls(sb).some((c) => c.argv[0] === "up"), 20_000, "pulumi up");
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
    expect(pulumiCalls(sb).filter((c) => c.argv[0] === "up")).toHaveLength(1); // it held the lock and ran
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
    expect((events(dir)[0] as any).BootstrapPlanned.warnings).toEqual(readJson(path.join(dir, "preflight.report.json")).warnings);
    expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
  });
});

describe("usage", () => {
  it("--help documents modes and exit codes; a bad mode is E_ENV_USAGE exit 2", async () => {
    const h = await runCli("bootstrap.ts", ["--help"], sb);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Exit codes: 0 green; 1 .*\n2 refused/);
    const bad = await runCli("bootstrap.ts", ["--mode", "destroy", "--stack", "test"], sb);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("E_ENV_USAGE");
    expect(runs(sb)).toEqual([]);
  });
});
