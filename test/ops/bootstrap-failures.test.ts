// A failed operation is reported under the code of the error that failed it, taken from the
// engine's events (the failing resource's error diagnostic, the program's own error, a mandatory
// policy), never from a warning; and the run's progress and events are written as they happen.
import fs from "node:fs";
import path from "node:path";
import { makeSandbox, pulumiCalls, runCli, Sandbox, spawnCli, waitFor } from "./helpers";
import { bundleDir, events, readJson } from "./bundle-helpers";
import { CONTAINER_URN, diag, ev, failed, pre, PROOF_URN } from "./fake-ops";

jest.setTimeout(60_000);

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const STACK_URN = "urn:pulumi:test::logging-bootstrap::pulumi:pulumi:Stack::logging-bootstrap-test";
const INGESTION_URN = PROOF_URN.replace("LabelProof", "IngestionProof").replace("proof-L4", "proof-L3");
const NO_DIGEST_WARNING = diag("stack config: 1 warning(s): E_CONFIG_IMAGE_NO_DIGEST at images.grafana: pinned by tag only", "warning", STACK_URN);

async function failUp(step: "UP" | "PREVIEW", evs: unknown[], mode = step === "UP" ? "apply" : "diagnose") {
  const spec = path.join(sb.dir, `fail-${step}.json`);
  fs.writeFileSync(spec, JSON.stringify({ events: evs, stderr: "error: update failed" }));
  const r = await runCli("bootstrap.ts", ["--mode", mode, "--stack", "test", "--json"], sb, { [`STUB_FAIL_${step}`]: spec });
  return { r, summary: JSON.parse(r.stdout) };
}

describe("a failed up is reported under the code of the error that failed it", () => {
  it("a red proof: its own code from its error diagnostic, never the warning's (E_CONFIG_IMAGE_NO_DIGEST)", async () => {
    const { r, summary } = await failUp("UP", [
      NO_DIGEST_WARNING,
      pre(PROOF_URN, "pulumi-nodejs:dynamic/logging-bootstrap:LabelProof"),
      failed(PROOF_URN, "pulumi-nodejs:dynamic/logging-bootstrap:LabelProof"),
      diag("E_PROOF_LABEL_MISSING: L4 proof is red: loki query_range for the marker: HTTP 400\ndiagnostics: {}", "error", PROOF_URN),
      diag("update failed", "error"),
    ]);
    expect(r.code).toBe(1);
    expect(summary.errors.map((e: any) => e.code)).toEqual(["E_PROOF_LABEL_MISSING"]);
    expect(summary.errors[0]).toMatchObject({
      message: "pulumi up: proof L4 labels logging-test-proof-L4 failed: E_PROOF_LABEL_MISSING: L4 proof is red: loki query_range for the marker: HTTP 400",
      details: { step: "up", resource: "logging-test-proof-L4", level: "L4", resourceType: "pulumi-nodejs:dynamic/logging-bootstrap:LabelProof" },
    });
    expect(r.stderr).toContain("FAILED create proof L4 labels logging-test-proof-L4");
    expect(r.stderr).toContain("warning: stack config: 1 warning(s): E_CONFIG_IMAGE_NO_DIGEST");
    const ah = readJson(path.join(bundleDir(sb), "autoheal.suggestions.json"));
    expect(ah.active_buckets.map((b: any) => [b.bucket, b.error_codes])).toEqual([["proof", ["E_PROOF_LABEL_MISSING"]]]);
  });

  it("a proof whose error carries no code: its level's code", async () => {
    const type = "pulumi-nodejs:dynamic/logging-bootstrap:IngestionProof";
    const { summary } = await failUp("UP", [NO_DIGEST_WARNING, pre(INGESTION_URN, type), failed(INGESTION_URN, type), diag("loki query_range: connect ECONNREFUSED 127.0.0.1:9102", "error", INGESTION_URN)]);
    expect(summary.errors.map((e: any) => [e.code, e.details.level])).toEqual([["E_PROOF_INGESTION_TIMEOUT", "L3"]]);
  });

  it("a container the provider could not start: Docker's own wording on that resource names the cause", async () => {
    const type = "docker:index/container:Container";
    const { summary } = await failUp("UP", [NO_DIGEST_WARNING, failed(CONTAINER_URN, type), diag("Bind for 127.0.0.1:9102 failed: port is already allocated", "error", CONTAINER_URN)]);
    expect(summary.errors.map((e: any) => [e.code, e.details.resource])).toEqual([["E_RUNTIME_PORT_CONFLICT", "logging-test-loki"]]);
    // only loki's service fails in the events
    const fails = events(bundleDir(sb)).filter((e) => "BootstrapFailed" in e).map((e: any) => e.BootstrapFailed.service);
    expect(fails).toEqual(["loki"]);
  });

  it("the program refusing its config: the code it threw (the preview fails before any resource)", async () => {
    const { r, summary } = await failUp("PREVIEW", [NO_DIGEST_WARNING, diag("Error: E_CONFIG_INVALID_PORT: ports.grafana is 80: choose 1024-65535", "error", STACK_URN)]);
    expect(r.code).toBe(1);
    expect(summary.errors.map((e: any) => e.code)).toEqual(["E_CONFIG_INVALID_PORT"]);
  });

  it("a mandatory policy violation: the policy's code", async () => {
    const policy = ev({ policyEvent: { message: "grafana publishes on 0.0.0.0 without exposure.lanExposed", color: "never", policyName: "exposure-explicit", policyPackName: "logging-bootstrap", policyPackVersion: "0.1.0", policyPackVersionTag: "v0.1.0", enforcementLevel: "mandatory", resourceUrn: CONTAINER_URN } });
    const { summary } = await failUp("PREVIEW", [policy]);
    expect(summary.errors.map((e: any) => [e.code, e.details.policy])).toEqual([["E_CONFIG_EXPOSURE", "exposure-explicit"]]);
  });

  it("nothing from the engine: the CLI's own error line under the step's code", async () => {
    const { summary } = await failUp("UP", []);
    expect(summary.errors.map((e: any) => [e.code, e.message])).toEqual([["E_RUNTIME_DEPLOY_FAILED", "pulumi up: error: update failed"]]);
  });
});

describe("live progress and events", () => {
  it("events.jsonl, engine-events.jsonl and logs/progress.log are written while up still runs (tail -f works)", async () => {
    const a = spawnCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { STUB_UP_SLEEP_MS: "4000" });
    await waitFor(() => pulumiCalls(sb).some((c) => c.op === "up"), 20_000, "up");
    const runsDir = path.join(sb.outDir, "runs");
    const dir = path.join(runsDir, fs.readdirSync(runsDir)[0]);
    await waitFor(() => fs.existsSync(path.join(dir, "logs", "progress.log")) && fs.readFileSync(path.join(dir, "logs", "progress.log"), "utf8").includes("creating container logging-test-loki"), 10_000, "the progress line");
    const mid = fs.readFileSync(path.join(dir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(mid.filter((e) => "BootstrapPlanned" in e)).toHaveLength(7);
    expect(mid.filter((e) => "BootstrapStep" in e && e.BootstrapStep.step === "checkpoint")).toHaveLength(7);
    expect(mid.some((e) => "BootstrapCompleted" in e)).toBe(false);
    expect(fs.readFileSync(path.join(dir, "engine-events.jsonl"), "utf8")).toContain('"event":"start"');
    expect(fs.existsSync(path.join(dir, "summary.json"))).toBe(false);
    const r = await a.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\] {3}created container logging-test-loki \(\d+\.\d s\)/);
    expect(r.stderr).toMatch(/\] {3}created proof L4 labels logging-test-proof-L4 \(\d+\.\d s\)/);
    expect(r.stderr).toMatch(/up: ok \(\d+\.\d s\): 2 create, 39 unchanged/);
    expect(r.stderr).toContain("verify: proving L1-L9 against the running stack");
    expect(r.stderr).toContain("L1: green");
    // durations in s/min, never ms
    expect(r.stderr + r.stdout).not.toMatch(/\d ms\b/);
    expect(readJson(path.join(dir, "summary.json")).status).toBe("green");
  });
});
