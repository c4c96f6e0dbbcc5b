// `npm run -s verify` against the running test environment (test/env, brought up by
// test/env/integration.sh; described by test/.tmp/testenv.json): every level green, the report's
// shape, exit codes, and no secret in the output.
import * as fs from "fs";
import * as path from "path";
import Docker from "dockerode";
import { parseEnvFile } from "../../scripts/verify";
import { runTsx } from "../util/provider-host";

const ROOT = path.resolve(__dirname, "..", "..");
const ENV_FILE = path.join(ROOT, "test", ".tmp", "testenv.json");

const envAll = JSON.parse(fs.readFileSync(ENV_FILE, "utf8")) as { stack: string; configFile: string; secretsFile: string; probeImage: string; services: Record<string, { container: string }> };
const env = envAll;
const password = parseEnvFile(fs.readFileSync(env.secretsFile, "utf8")).GRAFANA_ADMIN_PASSWORD;
const base = ["scripts/verify.ts", "--stack", env.stack, "--config-file", env.configFile];
// Each test starts a CLI (tsx, the program under mocks, the proofs): seconds when idle, far more on
// a loaded 2-core CI machine. Bounded generously; the CLI's own deadlines keep it from hanging.
jest.setTimeout(250_000);

describe("npm run verify on the test environment", () => {
  test("every level is green, exit 0, JSON report with status, code, duration and diagnostics per level", async () => {
    const r = await runTsx([...base, "--secrets-file", env.secretsFile, "--recorded", ENV_FILE, "--json"]);
    const report = JSON.parse(r.stdout);
    expect(report.levels.map((l: { level: string; status: string }) => `${l.level}:${l.status}`)).toEqual(["L1:green", "L2:green", "L3:green", "L4:green", "L5:green", "L6:green", "L7:green", "L8:green", "L9:green"]);
    expect(r.code).toBe(0);
    expect(report).toMatchObject({ stack: env.stack, status: "green", exitCode: 0, parallel: true });
    for (const l of report.levels) {
      expect(typeof l.durationMs).toBe("number");
      expect(l.findings).toEqual([]);
      expect(typeof l.diagnostics).toBe("object");
    }
    const l3 = report.levels.find((l: { level: string }) => l.level === "L3");
    expect(l3.diagnostics.attempts[0]).toEqual(expect.objectContaining({ attempt: 1, start_ns: expect.any(String), end_ns: expect.any(String), result_count: expect.any(Number), wall_clock_s: expect.any(Number) }));
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  test("without recorded images L7 resolves the pinned references and the registry digests: still green (human report)", async () => {
    const r = await runTsx([...base, "--secrets-file", env.secretsFile, "--levels", "L7"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^verify testenv: GREEN in [0-9.]+ s \(parallel\)$/m);
    expect(r.stdout).toMatch(/^  L7 provenance   green /m);
  });

  test("L8 without the stack's record (no keyed hashes, no key): secret files 'not compared', a warning, never green; the key never printed", async () => {
    const r = await runTsx([...base, "--levels", "L8", "--json"], 240_000, { CONFIG_DRIFT_KEY: "" });
    expect(JSON.parse(r.stdout).status).toBe("warn");
    const l8 = JSON.parse(r.stdout).levels[0];
    expect(l8).toMatchObject({ level: "L8", status: "warn", code: "E_PROOF_CONFIG_SECRETS_UNCHECKED" });
    expect(l8.findings).toEqual(expect.arrayContaining([expect.stringMatching(/^grafana: secret file \/etc\/grafana\/secrets\/admin_password in \S+ not compared \(no key for its keyed hash\)$/)]));
    const key = parseEnvFile(fs.readFileSync(env.secretsFile, "utf8")).CONFIG_DRIFT_KEY;
    expect(key).toMatch(/^[A-Za-z0-9]{64}$/);
    const full = await runTsx([...base, "--levels", "L8", "--secrets-file", env.secretsFile, "--recorded", ENV_FILE, "--json"]);
    expect(JSON.parse(full.stdout).levels[0]).toMatchObject({ level: "L8", status: "green", findings: [] });
    expect(full.stdout + full.stderr).not.toContain(key);
  });

  test("no password given: L5 reads the one Grafana was given (its container's secret file) and is green", async () => {
    const r = await runTsx([...base, "--levels", "L5", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).levels[0]).toMatchObject({ level: "L5", status: "green" });
  });

  test("a stale GRAFANA_ADMIN_PASSWORD does not win over the container's file (no failed login, no lockout)", async () => {
    const r = await runTsx([...base, "--levels", "L5", "--json"], 240_000, { GRAFANA_ADMIN_PASSWORD: "stale-and-wrong" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).levels[0]).toMatchObject({ level: "L5", status: "green" });
    expect(r.stdout).not.toContain("stale-and-wrong");
  });

  test("Alertmanager stopped: L9 is red with E_PROOF_ALERT_MANAGER_DOWN and its fix; started again: green", async () => {
    const am = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? "/var/run/docker.sock" }).getContainer(envAll.services.alertmanager.container);
    await am.stop({ t: 5 });
    try {
      const red = await runTsx([...base, "--levels", "L9", "--alert-timeout", "10", "--json"]);
      expect(red.code).toBe(1);
      // L9 runs after L1 (it depends on Alertmanager's health), which is red too, with its own code.
      const levels = JSON.parse(red.stdout).levels as Array<{ level: string; status: string; code?: string }>;
      expect(levels.find((l) => l.level === "L9")).toMatchObject({ level: "L9", status: "red", code: "E_PROOF_ALERT_MANAGER_DOWN" });
      expect(levels.find((l) => l.level === "L1")).toMatchObject({ status: "red", code: "E_PROOF_HEALTH" });
      const human = await runTsx([...base, "--levels", "L9", "--alert-timeout", "10"]);
      expect(human.stdout).toMatch(/^\s+fix: .+/m);
    } finally {
      await am.start().catch(() => undefined);
    }
    // Back: ready again, the Watchdog re-sent by Prometheus, and the sink's recent notification counts.
    const deadline = Date.now() + 120_000;
    let last = "";
    for (;;) {
      const g = await runTsx([...base, "--levels", "L9", "--json"]);
      last = g.stdout;
      if (g.code === 0) break;
      if (Date.now() > deadline) throw new Error(`L9 not green again after Alertmanager restarted: ${last.slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect((JSON.parse(last).levels as Array<{ level: string }>).find((l) => l.level === "L9")).toMatchObject({ level: "L9", status: "green" });
  });

  test("bad arguments: exit 2 with E_ENV_USAGE", async () => {
    const r = await runTsx(["scripts/verify.ts", "--levels", "L10", "--stack", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^E_ENV_USAGE \(env\): unknown level\(s\) L10/m);
  });
});
