// recall and autoheal against fixtures: a recorded bundle (test/fixtures/ops/recorded), generated
// bundles, and a generated 100,000-run index (timed).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { errorRecord } from "../../contracts/errors";
import { SERVICES } from "../../contracts/config/schema";
import { Bundle, finalizeRun, RunOutcome } from "../../scripts/lib/bundle";
import { Redactor } from "../../scripts/lib/redact";
import { queryRuns, parseDateArg } from "../../scripts/lib/runs-index";
import { suggest } from "../../scripts/lib/advice";
import { bundleErrors } from "../../scripts/autoheal";
import { REPO, runCli } from "./helpers";

jest.setTimeout(120_000);

const RECORDED = path.join(REPO, "test", "fixtures", "ops", "recorded");
const RECORDED_ID = "2026-02-13T14-30-00.000Z";

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "recall-"));
  env = { PATH: process.env.PATH, LOGGING_BOOTSTRAP_OUT_DIR: path.join(dir, "out") };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function outcome(mode: string, started: string, errors: ReturnType<typeof errorRecord>[]): RunOutcome {
  const t = new Date(started);
  return {
    mode, stack: "test", startedAt: t, finishedAt: new Date(t.getTime() + 1000), exitCode: errors.length ? 1 : 0,
    configFile: null, configSha256: null, tools: {}, errors: [], argv: [],
    stages: [{ step: mode === "drift" ? "refresh" : "up", status: errors.length ? "failed" : "success", durationMs: 1000, errors }],
    events: { envKeys: [], warnings: [], services: SERVICES.map((s) => ({ service: s })) },
  };
}

async function seed(out: string) {
  const r = new Redactor();
  const mk = async (mode: string, started: string, errs: ReturnType<typeof errorRecord>[]) => finalizeRun(Bundle.create(out, new Date(started), r), outcome(mode, started, errs));
  await mk("apply", "2026-02-10T10:00:00.000Z", []);
  await mk("apply", "2026-02-11T12:00:00.000Z", [errorRecord("E_CONFIG_INVALID_PORT", "ports.loki is 80", { details: { path: "ports.loki" } })]);
  await mk("drift", "2026-02-12T08:00:00.000Z", [errorRecord("E_PROOF_DRIFT", "refresh found changes")]);
  await mk("apply", "2026-02-14T09:00:00.000Z", []);
}

describe("recall", () => {
  it("list filters by status, bucket and dates; latest; show", async () => {
    const out = path.join(dir, "out");
    await seed(out);
    const sb = { dir, env };
    const ids = (stdout: string) => (JSON.parse(stdout) as Array<{ run_id: string }>).map((r) => r.run_id);
    expect(ids((await runCli("recall.ts", ["list", "--json"], sb)).stdout)).toEqual([
      "2026-02-10T10-00-00.000Z", "2026-02-11T12-00-00.000Z", "2026-02-12T08-00-00.000Z", "2026-02-14T09-00-00.000Z",
    ]);
    expect(ids((await runCli("recall.ts", ["list", "--status", "red", "--json"], sb)).stdout)).toEqual(["2026-02-11T12-00-00.000Z", "2026-02-12T08-00-00.000Z"]);
    expect(ids((await runCli("recall.ts", ["list", "--bucket", "config", "--json"], sb)).stdout)).toEqual(["2026-02-11T12-00-00.000Z"]);
    expect(ids((await runCli("recall.ts", ["list", "--since", "2026-02-11", "--until", "2026-02-12", "--json"], sb)).stdout)).toEqual(["2026-02-11T12-00-00.000Z", "2026-02-12T08-00-00.000Z"]);
    const text = await runCli("recall.ts", ["list", "--status", "green"], sb);
    expect(text.stdout.trim().split("\n")).toHaveLength(2);
    expect(text.stdout).toMatch(/^2026-02-10T10-00-00.000Z  green  apply +test/);
    // Durations as an operator reads them (s, min), never raw milliseconds.
    expect(text.stdout).toMatch(/ [0-9.]+ s  errors=| [0-9]+ min [0-9]{2} s  errors=/);
    expect(text.stdout).not.toMatch(/ ms  errors=/);
    const latest = await runCli("recall.ts", ["latest", "--json"], sb);
    expect(JSON.parse(latest.stdout)).toMatchObject({ run_id: "2026-02-14T09-00-00.000Z", status: "green", mode: "apply" });
    const show = await runCli("recall.ts", ["show", "2026-02-12", "--json"], sb);
    const shown = JSON.parse(show.stdout);
    expect(shown.record.codes).toEqual(["E_PROOF_DRIFT"]);
    expect(shown.summary.mode).toBe("drift");
    expect(shown.autoheal.active_buckets.map((b: any) => b.bucket)).toEqual(["proof"]);
    const missing = await runCli("recall.ts", ["show", "1999-01-01"], sb);
    expect(missing.code).toBe(2);
    const bad = await runCli("recall.ts", ["list", "--status", "blue"], sb);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("E_ENV_USAGE");
  });

  it("export writes a tar.gz of the whole bundle", async () => {
    fs.cpSync(RECORDED, path.join(dir, "out"), { recursive: true });
    const r = await runCli("recall.ts", ["export", RECORDED_ID], { dir, env });
    expect(r.code).toBe(0);
    const file = path.join(dir, "out", "exports", `${RECORDED_ID}.tar.gz`);
    expect(r.stdout.trim()).toBe(file);
    const entries: string[] = [];
    await tar.t({ file, onReadEntry: (e) => entries.push(e.path) });
    const expected = fs.readdirSync(path.join(RECORDED, "runs", RECORDED_ID), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(RECORDED_ID, path.relative(path.join(RECORDED, "runs", RECORDED_ID), path.join(e.parentPath, e.name))));
    expect(entries.filter((e) => !e.endsWith("/")).sort()).toEqual(expected.sort());
  });

  it("answers a 100,000-run index by streaming it (timed)", async () => {
    const out = path.join(dir, "out");
    fs.mkdirSync(out, { recursive: true });
    const file = path.join(out, "runs.jsonl");
    const N = 100_000;
    const base = Date.parse("2025-01-01T00:00:00.000Z");
    const ws = fs.createWriteStream(file);
    let expectedRed = 0;
    let expectedWindow = 0;
    for (let i = 0; i < N; i++) {
      const ts = new Date(base + i * 60_000).toISOString();
      const red = i % 7 === 0;
      if (red) expectedRed++;
      if (ts >= "2025-02-01" && ts < "2025-02-02T00:00:00.000Z" && red) expectedWindow++;
      ws.write(JSON.stringify({
        run_id: ts.replace(/:/g, "-"), ts, finished_at: ts, mode: i % 3 ? "apply" : "drift", stack: "test", status: red ? "red" : "green",
        exit_code: red ? 1 : 0, errors: red ? 1 : 0, warnings: 0, buckets: red ? ["proof"] : [], codes: red ? ["E_PROOF_DRIFT"] : [],
        duration_ms: 1000 + (i % 500), config: "Pulumi.test.yaml", config_sha256: "a".repeat(64), bundle: `runs/${i}`,
      }) + "\n");
    }
    await new Promise((r) => ws.end(r));
    const t0 = Date.now();
    const q = await queryRuns(file, { status: "red" });
    const inProcessMs = Date.now() - t0;
    expect(q.scanned).toBe(N);
    expect(q.runs).toHaveLength(expectedRed);
    const cli = await runCli("recall.ts", ["list", "--status", "red", "--since", "2025-02-01", "--until", "2025-02-01", "--json"], { dir, env });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toHaveLength(expectedWindow);
    const all = await runCli("recall.ts", ["list", "--json"], { dir, env });
    expect(JSON.parse(all.stdout)).toHaveLength(N);
    const latest = await runCli("recall.ts", ["latest", "--json"], { dir, env });
    expect(JSON.parse(latest.stdout).ts).toBe(new Date(base + (N - 1) * 60_000).toISOString());
    // "About a second" (measured here: ~0.2 s in-process, ~0.4-1.5 s through the CLI); the bounds leave
    // room for a loaded 2-core machine but fail an implementation that loads or re-parses the index per query.
    expect(inProcessMs).toBeLessThan(2_000);
    expect(cli.ms).toBeLessThan(4_000);
    expect(latest.ms).toBeLessThan(4_000);
    expect(parseDateArg("2025-02-01", true).toISOString()).toBe("2025-02-01T23:59:59.999Z");
  });
});

describe("autoheal", () => {
  it("the recorded bundle: one action per active bucket, an example patch for config only", async () => {
    const r = await runCli("autoheal.ts", [path.join(RECORDED, "runs", RECORDED_ID), "--json"], { dir, env });
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.active_buckets.map((b: any) => b.bucket)).toEqual(["config", "proof", "deps"]);
    expect(s.resolved_buckets).toEqual(["env", "runtime", "network"]);
    for (const b of s.active_buckets) {
      expect(typeof b.recommended_action).toBe("string");
      expect(Array.isArray(b.recommended_action)).toBe(false);
      expect(b.recommended_action.startsWith(b.primary.code)).toBe(true);
    }
    const [config, proof, deps] = s.active_buckets;
    expect(config).toMatchObject({ count: 2, error_codes: ["E_CONFIG_PATH_NOT_ABSOLUTE", "E_CONFIG_INVALID_PORT"], example_patch: "config:\n  logging-bootstrap:paths:\n    logsRoot: /var/log/logging-test\n" });
    expect(proof.example_patch).toBeUndefined();
    expect(deps.example_patch).toBeUndefined();
    expect(proof.recommended_action).toContain("level L8, service loki, resource urn:pulumi:test::logging-bootstrap::logging-bootstrap:services:Loki$docker:index/container:Container::logging-test-loki");
    expect(proof.next_command).toBe("npm run -s bootstrap -- --mode repair --stack test --target 'urn:pulumi:test::logging-bootstrap::logging-bootstrap:services:Loki$docker:index/container:Container::logging-test-loki'");
    expect(deps).toMatchObject({ count: 1, primary: { service: "prometheus" } });
    // The bundle's own autoheal.suggestions.json agrees with the CLI.
    expect(JSON.parse(fs.readFileSync(path.join(RECORDED, "runs", RECORDED_ID, "autoheal.suggestions.json"), "utf8"))).toEqual(s);
    const text = await runCli("autoheal.ts", [path.join(RECORDED, "runs", RECORDED_ID)], { dir, env });
    expect(text.stdout).toContain("[config] 2 error(s): E_CONFIG_PATH_NOT_ABSOLUTE, E_CONFIG_INVALID_PORT");
    expect(text.stdout).toContain("    config:\n      logging-bootstrap:paths:\n        logsRoot: /var/log/logging-test");
  });

  it("reads errors from raw verify reports that summary.json lacks; latest resolves through runs.jsonl", async () => {
    const out = path.join(dir, "out");
    const b = Bundle.create(out, new Date("2026-03-01T00:00:00.000Z"), new Redactor());
    await finalizeRun(b, outcome("apply", "2026-03-01T00:00:00.000Z", []));
    b.writeJson("verify.report.json", { mode: "apply", report: { levels: [
      { level: "L2", status: "red", durationMs: 1, findings: ["loki unreachable from logging-test-net"], diagnostics: {} },
      { level: "L3", status: "red", code: "E_PROOF_INGESTION_TIMEOUT", durationMs: 1, findings: ["marker not found after 120 s"], diagnostics: {} },
      { level: "L4", status: "warn", code: "E_PROOF_REDACTION_ABSENT", durationMs: 1, findings: ["no redaction stage"], diagnostics: {} },
    ] } });
    const errs = bundleErrors(b.dir).errors;
    expect(errs.map((e) => e.code)).toEqual(["E_NETWORK_UNREACHABLE", "E_PROOF_INGESTION_TIMEOUT"]);
    const r = await runCli("autoheal.ts", ["latest", "--json"], { dir, env });
    const s = JSON.parse(r.stdout);
    expect(s.active_buckets.map((x: any) => [x.bucket, x.error_codes])).toEqual([["network", ["E_NETWORK_UNREACHABLE"]], ["proof", ["E_PROOF_INGESTION_TIMEOUT"]]]);
    const green = suggest({ runId: "x", mode: "apply", stack: "test", errors: [] });
    expect(green.active_buckets).toEqual([]);
    expect(green.resolved_buckets).toHaveLength(6);
  });

  it("builds a config patch from the finding's key when the finding carries none", () => {
    const s = suggest({ runId: "x", mode: "diagnose", stack: "prod", errors: [errorRecord("E_CONFIG_IMAGE_UNPINNED", "images.loki is grafana/loki:latest", { details: { path: "images.loki" } })] });
    expect(s.active_buckets[0].example_patch).toBe("config:\n  logging-bootstrap:images:\n    loki: grafana/loki:3.7.8\n");
  });
});
