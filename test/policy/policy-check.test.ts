// `npm run -s policy:check` as a process: table and --json output, exit codes, --config-file with
// stack files written to a temp dir, config errors.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PROJECT_ROOT } from "../../scripts/lib/evaluate";
import { runTsx } from "../util/provider-host";

jest.setTimeout(120_000);

function policyCheck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runTsx(["scripts/policy-check.ts", ...args], 90_000);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function stackVariant(name: string, f: (c: Record<string, any>) => void): string {
  const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.test.yaml"), "utf8"));
  f(doc.config);
  const file = path.join(tmp, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

it.each(["test", "prod"])("passes the %s stack: exit 0, JSON with advisory notes only", async (stack) => {
  const r = await policyCheck(["--stack", stack, "--json"]);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(Object.keys(out)).toEqual(["violations"]);
  expect(out.violations.length).toBeGreaterThan(0);
  for (const v of out.violations) {
    expect(Object.keys(v)).toEqual(["policy", "enforcementLevel", "resource", "message"]);
    expect(v.enforcementLevel).toBe("advisory");
    expect(v.message).toMatch(/ Fix: /);
  }
});

it("prints a table by default", async () => {
  const r = await policyCheck(["--stack", "test"]);
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^LEVEL\s+POLICY\s+RESOURCE\s+MESSAGE$/);
  expect(lines[lines.length - 1]).toMatch(/^policy:check: 0 mandatory, \d+ advisory violation\(s\): OK$/);
  expect(lines.some((l) => /^advisory\s+images-pinned\s+logging-test-loki-image\s+Image "grafana\/loki:3\.7\.8" is pinned by tag only/.test(l))).toBe(true);
});

it("exits 1 on a mandatory violation (a lint-clean stack, a stricter --policy-config)", async () => {
  // Every config that breaks a default policy is refused by the lint first (test/policy/program.test.ts),
  // so the mandatory path is reached through policy config, as an operator tightening a threshold would.
  const policyConfig = path.join(tmp, "strict.json");
  fs.writeFileSync(policyConfig, JSON.stringify({ "retention-enforced": { minLogRetention: "30d" } }));
  const r = await policyCheck(["--stack", "test", "--policy-config", policyConfig, "--json"]);
  expect(r.code).toBe(1);
  const mandatory = JSON.parse(r.stdout).violations.filter((v: { enforcementLevel: string }) => v.enforcementLevel === "mandatory");
  expect(mandatory).toEqual([
    {
      policy: "retention-enforced",
      enforcementLevel: "mandatory",
      resource: expect.stringMatching(/::logging-test-loki$/),
      message: "Loki's retention_period 7d is shorter than this policy's minLogRetention 30d. Fix: raise retention.logs to at least 30d.",
    },
  ]);
});

it("reads lanExposed from the stack file: 0.0.0.0 with lanExposed true passes, the lint refuses it without", async () => {
  // LAN-exposed as schema v3 allows it: Grafana on the LAN, everything unauthenticated on loopback.
  const lan = stackVariant("lan", (c) => (c["logging-bootstrap:exposure"] = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] }));
  expect((await policyCheck(["--stack", "test", "--config-file", lan, "--json"])).code).toBe(0);
  const closed = stackVariant("closed", (c) => (c["logging-bootstrap:exposure"] = { bindAddress: "0.0.0.0", lanExposed: false }));
  const r = await policyCheck(["--stack", "test", "--config-file", closed, "--json"]);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout).errors.map((e: { code: string }) => e.code)).toEqual(["E_CONFIG_EXPOSURE"]);
});

it("exits 1 on a config error (the lint guards the inputs), without evaluating", async () => {
  const file = stackVariant("latest", (c) => (c["logging-bootstrap:images"].loki = "grafana/loki:latest"));
  const json = await policyCheck(["--stack", "test", "--config-file", file, "--json"]);
  expect(json.code).toBe(1);
  expect(JSON.parse(json.stdout)).toEqual({ violations: [], errors: [expect.objectContaining({ code: "E_CONFIG_IMAGE_UNPINNED", bucket: "config", path: "images.loki" })] });
  const table = await policyCheck(["--stack", "test", "--config-file", file]);
  expect(table.code).toBe(1);
  expect(table.stdout).toMatch(/^E_CONFIG_IMAGE_UNPINNED \[config\] images.loki: /);
  expect(table.stdout).toMatch(/policy:check: 1 config error\(s\); the program was not evaluated/);
});

it("exits 2 on usage errors and 0 on --help", async () => {
  const none = await policyCheck([]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^E_ENV_USAGE \[env\]: missing --stack <name>/);
  const help = await policyCheck(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: npm run -s policy:check -- --stack <name>/);
  expect(help.stdout).toContain("Exit codes (the same for every logging-bootstrap command):");
});
