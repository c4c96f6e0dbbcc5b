// The run wrapper against the fake Pulumi operations (the Automation API's place), a stub `npm` and
// a fake Docker API: the exact operation and options per mode, the mode guard, the state
// checkpoint, the bundle. Environment, lock and signals: bootstrap-env.test.ts; failures and live
// progress: bootstrap-failures.test.ts; destroy, backup and restore: bootstrap-data.test.ts.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { checkEventOrder } from "../../scripts/lib/events";
import { FIXTURE_SECRET, makeSandbox, pulumiCalls, runCli, Sandbox, stubCalls } from "./helpers";
import { bundleDir, events, expectModeEverywhere, mutating, readJson, runs } from "./bundle-helpers";
import { CONTAINER_URN } from "./fake-ops";

// The exact options per mode, spelled out here (not built with the wrapper's own helpers, so a
// change to an option fails these tests). The sandbox carries policy/config/test.json.
const PACK = { policyPacks: ["policy"], policyPackConfigs: ["policy/config/test.json"] };
const UP = ["up", PACK];
const IDEMPOTENCY = ["up", { ...PACK, expectNoChanges: true }];
const REFRESH = ["refresh", { expectNoChanges: true }];

jest.setTimeout(60_000);

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

function expectNoTerminal(s: Sandbox) {
  // Every npm child: stdin is /dev/null (nothing to read, nothing to prompt on), no TTY.
  for (const c of stubCalls(s).filter((x) => x.tool === "npm")) expect([c.stdinDevNull, c.stdinIsTTY, c.stdoutIsTTY]).toEqual([true, false, false]);
}

describe("bootstrap modes against the fake Pulumi operations", () => {
  it("diagnose: lint, policy:check, preview with the policy pack; read-only, unlocked, complete bundle", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb);
    expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
    // Lint and policy:check run beside the build and the preview: their calls come in any order,
    // their stages in the plan's.
    expect(stubCalls(sb).filter((c) => c.tool === "npm").map((c) => c.argv).sort((a, b) => a[2].localeCompare(b[2]))).toEqual([
      ["run", "-s", "config:lint", "--", "Pulumi.test.yaml", "--json"],
      ["run", "-s", "policy:build"],
      ["run", "-s", "policy:check", "--", "--stack", "test", "--json"],
    ]);
    expect(readJson(path.join(bundleDir(sb), "summary.json")).steps.map((s: any) => s.step)).toEqual(["preflight", "lint", "policy", "policy-build", "preview", "evidence"]);
    expect(pulumiCalls(sb).map((c) => c.op)).toEqual(["open", "outputs", "config", "preview", "outputs"]);
    expect(pulumiCalls(sb).find((c) => c.op === "preview")!.opts).toEqual(PACK);
    expect(mutating(sb)).toEqual([]);
    expectNoTerminal(sb);
    expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
    const dir = bundleDir(sb);
    expect(fs.readdirSync(dir).sort()).toEqual([
      "autoheal.suggestions.json", "desired_state.json", "engine-events.jsonl", "events.jsonl", "lint.report.json", "logs", "meta.json", "outputs.json", "policy.report.json", "preflight.report.json", "provenance.json", "services", "summary.json", "summary.md", "verify.report.json",
    ]);
    expectModeEverywhere(dir, "diagnose");
    expect(runs(sb)).toHaveLength(1);
    expect(runs(sb)[0]).toMatchObject({ mode: "diagnose", stack: "test", status: "green", exit_code: 0, errors: 0, buckets: [] });
    const meta = readJson(path.join(dir, "meta.json"));
    expect(meta.config_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.tools).toMatchObject({ pulumi: "3.274.1-fake", docker: "27.0-fake", node: process.version });
    expect(readJson(path.join(dir, "verify.report.json"))).toMatchObject({ status: "skipped" });
    const desired = readJson(path.join(dir, "desired_state.json"));
    expect(desired.source).toBe("stack outputs");
    expect(Object.keys(desired.files)).toHaveLength(5);
    const prov = readJson(path.join(dir, "provenance.json"));
    expect(prov.images.map((i: any) => [i.service, i.ref, i.recorded ?? null])).toEqual([
      ["grafana", "grafana/grafana:11.1.0", expect.stringMatching(/^grafana\/grafana@sha256:[0-9a-f]{64}$/)],
      ["loki", "grafana/loki:3.0.0", expect.stringMatching(/^grafana\/loki@sha256:/)],
      ["alloy", "grafana/alloy:v1.2.1", null],
      ["prometheus", "prom/prometheus:v2.52.0", null],
      ["nodeExporter", "prom/node-exporter:v1.8.1", null],
      ["cadvisor", "gcr.io/cadvisor/cadvisor:v0.49.1", null],
      ["alertmanager", "prom/alertmanager:v0.27.0", null],
    ]);
    // The secret output keeps its flag: "[secret]" in the bundle, never the value.
    expect(readJson(path.join(dir, "outputs.json")).grafanaAdminPassword).toBe("[secret]");
    const started = events(dir).filter((e) => "BootstrapStarted" in e).map((e: any) => [e.BootstrapStarted.service, e.BootstrapStarted.artifact_hash.length]);
    expect(started).toEqual([["grafana", 64], ["loki", 64], ["alloy", 64], ["prometheus", 64], ["nodeExporter", 0], ["cadvisor", 0], ["alertmanager", 0]]);
  });

  it("apply --verify-idempotency: checkpoint, up, verify, up with expectNoChanges; lock held during, released after", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--verify-idempotency"], sb);
    expect(r.code).toBe(0);
    expect(mutating(sb)).toEqual([UP, IDEMPOTENCY]);
    expect(stubCalls(sb).filter((c) => c.tool === "npm").map((c) => c.argv)).toEqual([
      ["run", "-s", "policy:build"],
      ["run", "-s", "verify", "--", "--stack", "test", "--recorded", expect.stringMatching(/\/lb-verify-[^/]+\/recorded-outputs\.json$/), "--json"],
    ]);
    // verify gets Grafana's admin password (the stack's secret output) in its environment, not on
    // argv, and proves against what up recorded: the outputs without their secrets, owner-only.
    const verify = stubCalls(sb).find((c) => c.tool === "npm" && c.argv.includes("verify")) as any;
    expect(verify.grafanaPasswordSha).toBe(crypto.createHash("sha256").update(FIXTURE_SECRET).digest("hex"));
    expect(verify.recorded).toEqual({ keys: ["configShas", "endpoints", "imageDigests", "projectName"], mode: "600" });
    expect(fs.existsSync(path.dirname(verify.argv[verify.argv.indexOf("--recorded") + 1]))).toBe(false); // removed after
    expectNoTerminal(sb);
    expect(fs.existsSync(path.join(sb.outDir, ".bootstrap.lock"))).toBe(false);
    const dir = bundleDir(sb);
    expectModeEverywhere(dir, "apply");
    expect(readJson(path.join(dir, "summary.json")).steps.map((s: any) => [s.step, s.status])).toEqual([
      ["preflight", "success"], ["policy-build", "success"], ["checkpoint", "success"], ["snapshot", "skipped"], ["up", "success"], ["verify", "success"], ["idempotency", "success"], ["evidence", "success"],
    ]);
    expect(readJson(path.join(dir, "summary.json")).steps.find((s: any) => s.step === "up").detail).toBe("2 create, 39 unchanged");
    expect(readJson(path.join(dir, "verify.report.json")).report.levels[0]).toMatchObject({ level: "L1", status: "green" });
    // Evidence from the state export after the change.
    expect(readJson(path.join(dir, "resources.json"))).toMatchObject({ mode: "apply", stack: "test", resources: [] });
  });

  it("verify gets the drift key (the stack's secret output) in its environment only, never in the recorded file", async () => {
    const base = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "ops", "outputs.json"), "utf8"));
    const outputs = path.join(sb.dir, "outputs.json");
    fs.writeFileSync(outputs, JSON.stringify({ outputs: { ...base.outputs, configDriftKey: "drift-key-5Tq9x", configSecretDigests: { grafana: { "/etc/grafana/secrets/admin_password": "h1" } } }, secretKeys: [...base.secretKeys, "configDriftKey"] }));
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_OUTPUTS: outputs });
    expect(r.code).toBe(0);
    const verify = stubCalls(sb).find((c) => c.tool === "npm" && c.argv.includes("verify")) as any;
    expect(verify.configDriftKeySha).toBe(crypto.createHash("sha256").update("drift-key-5Tq9x").digest("hex"));
    expect(verify.recorded.keys).toEqual(["configSecretDigests", "configShas", "endpoints", "imageDigests", "projectName"]);
    expect(verify.argv.join(" ")).not.toContain("drift-key");
  });

  it("apply: a change on the second up is an idempotency violation naming the resource (E_PROOF_IDEMPOTENCY, exit 1)", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--verify-idempotency"], sb, { STUB_IDEM_CHANGES: "1" });
    expect(r.code).toBe(1);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.errors.map((e: any) => [e.code, e.bucket])).toEqual([["E_PROOF_IDEMPOTENCY", "proof"]]);
    expect(s.errors[0].message).toBe("a second up wanted changes: logging-test-loki (update: envs)");
    expect(runs(sb)[0]).toMatchObject({ status: "red", buckets: ["proof"], codes: ["E_PROOF_IDEMPOTENCY"] });
  });

  it("repair: up on the named resources only; a container is also replaced; what depends on them re-runs", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "repair", "--stack", "test", "--target", CONTAINER_URN, "--target", "urn:b"], sb);
    expect(r.code).toBe(0);
    expect(mutating(sb)).toEqual([["up", { ...PACK, target: [CONTAINER_URN, "urn:b"], replace: [CONTAINER_URN], targetDependents: true }]]);
    const ev = events(bundleDir(sb));
    expect(ev.filter((e) => "BootstrapPlanned" in e).map((e: any) => [e.BootstrapPlanned.service, e.BootstrapPlanned.action])).toEqual([
      ["grafana", "skip"], ["loki", "up-targeted"], ["alloy", "skip"], ["prometheus", "skip"], ["nodeExporter", "skip"], ["cadvisor", "skip"], ["alertmanager", "skip"],
    ]);
  });

  it("repair without --target is refused before any Pulumi call (E_ENV_MODE_VIOLATION, exit 4)", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "repair", "--stack", "test"], sb);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("E_ENV_MODE_VIOLATION (env): repair changes named resources only: pass --target <urn>");
    expect(pulumiCalls(sb)).toEqual([]);
    expect(runs(sb)[0]).toMatchObject({ mode: "repair", status: "red", codes: ["E_ENV_MODE_VIOLATION"] });
    expectModeEverywhere(bundleDir(sb), "repair");
  });

  it("diagnose never mutates: asking it for an idempotency up or for --target is E_ENV_MODE_VIOLATION (exit 4)", async () => {
    const a = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test", "--verify-idempotency"], sb);
    expect(a.code).toBe(4);
    expect(a.stderr).toMatch(/E_ENV_MODE_VIOLATION \(env\): mode diagnose does not run `pulumi up` \(diagnose is read-only\)/);
    const b = await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test", "--target", "urn:x"], sb);
    expect(b.code).toBe(4);
    expect(b.stderr).toContain("only --mode repair takes it");
    expect(stubCalls(sb)).toEqual([]);
  });

  it("drift: a preview-only refresh expecting no changes; changes found are drift naming the resource (exit 1), another failure is not", async () => {
    const ok = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb);
    expect(ok.code).toBe(0);
    expect(mutating(sb)).toEqual([REFRESH]);
    expect(stubCalls(sb).filter((c) => c.tool === "npm")).toEqual([]); // drift runs no other CLI
    const bad = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test", "--json"], sb, { STUB_REFRESH_CHANGES: "1" });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).errors[0]).toMatchObject({ code: "E_PROOF_DRIFT", message: "refresh found the deployed stack drifted from state: logging-test-loki (update: uploads)" });
    expect(runs(sb).map((x) => [x.mode, x.status, x.codes])).toEqual([["drift", "green", []], ["drift", "red", ["E_PROOF_DRIFT"]]]);
    // A refresh that fails for another reason (the engine named nothing) is named as such, not reported as drift.
    const spec = path.join(sb.dir, "refresh-fail.json");
    fs.writeFileSync(spec, JSON.stringify({ events: [], stderr: "error: could not load checkpoint: backend unreachable" }));
    const broken = await runCli("bootstrap.ts", ["--mode", "drift", "--stack", "test"], sb, { STUB_FAIL_REFRESH: spec });
    expect(broken.code).toBe(1);
    expect(runs(sb).map((x) => x.codes)).toEqual([[], ["E_PROOF_DRIFT"], ["E_RUNTIME_DEPLOY_FAILED"]]);
    expect(broken.stdout).toContain("E_RUNTIME_DEPLOY_FAILED: pulumi refresh: error: could not load checkpoint: backend unreachable");
    expect(broken.stdout).not.toContain("E_PROOF_DRIFT");
  });

  it("without policy/config/<stack>.json the pack runs on its defaults: no policyPackConfigs", async () => {
    fs.rmSync(path.join(sb.dir, "policy"), { recursive: true });
    expect((await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test"], sb)).code).toBe(0);
    expect((await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--verify-idempotency"], sb)).code).toBe(0);
    expect(pulumiCalls(sb).filter((c) => ["preview", "up"].includes(c.op)).map((c) => [c.op, c.opts])).toEqual([
      ["preview", { policyPacks: ["policy"] }],
      ["up", { policyPacks: ["policy"] }],
      ["up", { policyPacks: ["policy"], expectNoChanges: true }],
    ]);
  });

  it("--policy-config names the pack's config (a stack file elsewhere): preview and up get it, and policy:check", async () => {
    const pc = path.join(sb.dir, "elsewhere-policy.json");
    fs.writeFileSync(pc, JSON.stringify({ "exposure-explicit": { lanExposed: true, alertmanagerLanExposed: false } }));
    expect((await runCli("bootstrap.ts", ["--mode", "diagnose", "--stack", "test", "--policy-config", pc], sb)).code).toBe(0);
    expect(pulumiCalls(sb).find((c) => c.op === "preview")!.opts).toEqual({ policyPacks: ["policy"], policyPackConfigs: [pc] });
    expect(stubCalls(sb).filter((c) => c.tool === "npm").map((c) => c.argv)).toContainEqual(["run", "-s", "policy:check", "--", "--stack", "test", "--policy-config", pc, "--json"]);
  });

  it("--config-file reaches every operation and the config read, and the other CLIs", async () => {
    const file = path.join(sb.dir, "elsewhere.yaml");
    fs.copyFileSync(path.join(sb.dir, "Pulumi.test.yaml"), file);
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--config-file", file], sb);
    expect(r.code).toBe(0);
    expect(pulumiCalls(sb).filter((c) => c.op === "up" || c.op === "config").map((c) => c.opts)).toEqual([{ configFile: file }, { ...PACK, configFile: file }]);
    expect(stubCalls(sb).find((c) => c.tool === "npm" && c.argv.includes("verify"))!.argv).toEqual(["run", "-s", "verify", "--", "--stack", "test", "--config-file", file, "--recorded", expect.any(String), "--json"]);
  });

  it("a red verify level fails only the named service's events; autoheal names it", async () => {
    const report = path.join(sb.dir, "verify.json");
    fs.writeFileSync(report, JSON.stringify({ status: "red", levels: [
      { level: "L1", status: "red", code: "E_PROOF_HEALTH", durationMs: 9, findings: ["logging-test-loki GET /ready answered 503"], diagnostics: {} },
      { level: "L5", status: "green", durationMs: 3, findings: [], diagnostics: {} },
    ] }));
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_VERIFY_JSON: report, STUB_VERIFY_EXIT: "1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("L1: red (0.0 s) E_PROOF_HEALTH");
    const dir = bundleDir(sb);
    const ev = events(dir);
    expect(ev.filter((e) => "BootstrapFailed" in e).map((e: any) => e.BootstrapFailed.service)).toEqual(["loki"]);
    expect(ev.filter((e) => "BootstrapCompleted" in e)).toHaveLength(6);
    expect(checkEventOrder(ev)).toEqual([]);
    const loki = ev.map((e) => Object.entries(e)[0] as [string, any]).filter(([, b]) => b.service === "loki");
    expect(loki.map(([k, b]) => (k === "BootstrapStep" ? `${b.step}:${b.status}` : k))).toEqual([
      "BootstrapPlanned", "BootstrapStarted", "preflight:success", "policy-build:success", "checkpoint:success", "snapshot:skipped", "up:success", "verify:failed", "evidence:success", "error:failed", "BootstrapFailed",
    ]);
    const detail = "E_PROOF_HEALTH: L1: logging-test-loki GET /ready answered 503";
    expect(loki[9][1]).toEqual({ service: "loki", run_id: runs(sb)[0].run_id, step: "error", status: "failed", duration_ms: 0, detail });
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
    expect(pulumiCalls(sb).filter((c) => c.op === "preview")).toHaveLength(1); // diagnose reports everything
    const ah = readJson(path.join(bundleDir(sb), "autoheal.suggestions.json"));
    expect(ah.active_buckets.map((b: any) => b.bucket)).toEqual(["config"]);
    expect(ah.active_buckets[0].example_patch).toBe("config:\n  logging-bootstrap:ports:\n    grafana: 9101\n");
  });
});

describe("state checkpoint before a change (P5)", () => {
  it("apply exports the state to out/checkpoints/<stack>/<run>.json, owner-only, before up", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
    expect(r.code).toBe(0);
    const ops = pulumiCalls(sb).map((c) => c.op).filter((o) => o === "export" || o === "up");
    expect(ops).toEqual(["export", "up", "export"]); // before up, and the evidence after it
    const run = runs(sb)[0].run_id as string;
    const file = path.join(sb.outDir, "checkpoints", "test", `${run}.json`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toHaveProperty("deployment");
    expect(readJson(path.join(bundleDir(sb), "summary.json")).steps.find((s: any) => s.step === "checkpoint").detail).toContain("mode 0600");
  });
  it("an export that fails for a reason other than the environment is noted and up goes on", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_EXPORT_FAIL: "error: could not read the checkpoint" });
    expect(r.code).toBe(0);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.steps.find((x: any) => x.step === "checkpoint")).toMatchObject({ status: "skipped" });
    expect(mutating(sb)).toEqual([UP]);
  });
  it("an export that fails on the passphrase stops the run before up (E_ENV_PASSPHRASE_WRONG, exit 3)", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--json"], sb, { STUB_EXPORT_FAIL: "error: getting secrets manager: incorrect passphrase" });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).errors.map((e: any) => e.code)).toEqual(["E_ENV_PASSPHRASE_WRONG"]);
    expect(mutating(sb)).toEqual([]);
  });
});

describe("policy pack build", () => {
  it("a pack that does not compile stops apply before up with E_DEPS_POLICY_PACK_BUILD", async () => {
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_POLICY_BUILD_EXIT: "2" });
    expect(r.code).toBe(1);
    expect(mutating(sb)).toEqual([]);
    const s = readJson(path.join(bundleDir(sb), "summary.json"));
    expect(s.steps.map((x: any) => [x.step, x.status])).toEqual([["preflight", "success"], ["policy-build", "failed"], ["checkpoint", "skipped"], ["snapshot", "skipped"], ["up", "skipped"], ["verify", "skipped"], ["evidence", "success"]]);
  });
});
