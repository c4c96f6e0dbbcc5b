// scripts/e2e.sh: with pulumi, npm and docker replaced by one recording stub, the exact order of the
// five steps and the destroy checks (containers gone, data volumes unchanged); without the Pulumi CLI
// or without a Docker engine it must skip cleanly (exit 0, clear message).
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO } from "./helpers";

jest.setTimeout(30_000);

const E2E = path.join(REPO, "scripts", "e2e.sh");
const STUB = path.join(REPO, "test", "fixtures", "ops", "e2e-bin", "stub");
const SYSTEM_PATH = `${path.dirname(process.execPath)}:/usr/bin:/bin`;

function e2e(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = execFile("bash", [E2E], { env }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }));
    c.stdin?.end();
  });
}

let dir: string;
let log: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const tool of ["pulumi", "npm", "docker"]) fs.symlinkSync(STUB, path.join(bin, tool));
  log = path.join(dir, "calls.log");
  // A backend URL keeps the script from creating .pulumi/ in the repository.
  env = { PATH: `${bin}:${SYSTEM_PATH}`, HOME: dir, E2E_LOG: log, PULUMI_BACKEND_URL: `file://${dir}/backend`, E2E_VOLUMES_BEFORE: "logging-test-grafana-data\nlogging-test-loki-data" };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const calls = () => fs.readFileSync(log, "utf8").trim().split("\n");
const VOLUMES = "docker volume ls -q --filter label=logging-bootstrap.project=logging-test --filter label=logging-bootstrap.data=true";
const CONTAINERS = "docker ps -aq --filter label=logging-bootstrap.project=logging-test";

it("runs diagnose, apply, drift, idempotency, destroy in that order and checks containers and data volumes", async () => {
  const r = await e2e({ ...env, E2E_VOLUMES_AFTER: "logging-test-grafana-data\nlogging-test-loki-data" });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(calls()).toEqual([
    "docker info",
    "pulumi stack select test --create --non-interactive",
    "npm run -s bootstrap -- --mode diagnose --stack test",
    "npm run -s bootstrap -- --mode apply --stack test",
    "npm run -s bootstrap -- --mode drift --stack test",
    "pulumi preview --stack test --non-interactive --expect-no-changes",
    "npm run -s bootstrap -- --mode apply --stack test --verify-idempotency",
    VOLUMES,
    "pulumi destroy --stack test --yes --non-interactive --skip-preview",
    CONTAINERS,
    VOLUMES,
    "npm run -s recall -- list --stack test --limit 5",
  ]);
  expect(r.stdout).toContain("e2e: PASSED");
});

it.each([
  ["data volumes deleted by destroy", { E2E_VOLUMES_AFTER: "" }, "data volumes changed on destroy"],
  ["containers left by destroy", { E2E_VOLUMES_AFTER: "logging-test-grafana-data\nlogging-test-loki-data", E2E_CONTAINERS_AFTER: "0123456789ab" }, "containers labelled logging-bootstrap.project=logging-test survived destroy"],
  ["no data volumes after apply", { E2E_VOLUMES_BEFORE: "" }, "no data volumes labelled"],
  ["drift found", { E2E_FAIL: "npm run -s bootstrap -- --mode drift" }, "refresh found drift"],
  ["a second up would change the stack", { E2E_FAIL: "pulumi preview" }, "a second up would change the stack (idempotency violation)"],
] as const)("fails when %s", async (_what, extra, message) => {
  const r = await e2e({ ...env, ...extra });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`e2e: FAILED: ${message}`);
  expect(r.stdout).not.toContain("e2e: PASSED");
});

it("skips with a message and exit 0 when pulumi is not on PATH", async () => {
  const r = await e2e({ PATH: SYSTEM_PATH });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(
    "e2e: SKIPPED: the Pulumi CLI is not on PATH (install: https://www.pulumi.com/docs/install/).\n" +
      "e2e: everything else runs without it: npm test, npm run test:integration.\n",
  );
});

it("skips with a message and exit 0 when no Docker engine answers", async () => {
  const r = await e2e({ ...env, E2E_FAIL: "docker info" });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("e2e: SKIPPED: no Docker engine answers (docker info failed); start one (dockerd) or set DOCKER_HOST.\n");
  expect(calls()).toEqual(["docker info"]);
});
