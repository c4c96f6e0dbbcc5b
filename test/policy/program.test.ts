// The whole program under Pulumi's mocks (scripts/lib/evaluate.ts, the same evaluation as render
// and policy:check) fed to the pack: both stacks are free of mandatory violations, and every
// mandatory policy fires on a config mutation (a stack file written to a temp dir) or, where the
// config lint already refuses every breaking config, on a program mutation of the evaluated resources.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { evaluateProgram, EvaluatedResource, Evaluation, PROJECT_ROOT } from "../../scripts/lib/evaluate";
import { defaultPolicyConfigFile, packConfigFor } from "../../scripts/policy-check";
import { POLICIES } from "../../policy/lib/catalog";
import { TYPES } from "../../policy/lib/resources";
import { mandatory, PackConfig, runPolicies, RunResult } from "../../policy/lib/runner";

jest.setTimeout(120_000);

const stackFile = (stack: string) => path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
const configFor = (stack: string, file = stackFile(stack)) => packConfigFor(file, defaultPolicyConfigFile(stack));
const run = (ev: Evaluation, config: PackConfig) => runPolicies(POLICIES, ev.resources, config);
const MANDATORY = POLICIES.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name);

let tmp: string;
const evals: Record<string, Evaluation> = {};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "policy-program-"));
  for (const s of ["test", "prod"]) evals[s] = await evaluateProgram({ stack: s });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(["test", "prod"])("stack %s as declared", (stack) => {
  let result: RunResult;
  beforeAll(async () => {
    result = await run(evals[stack], configFor(stack));
  });
  it("has no mandatory violation", () => {
    expect(mandatory(result)).toEqual([]);
  });
  it("gave every mandatory policy something to judge (no vacuous pass)", () => {
    const judged = (name: string) => {
      const p = POLICIES.find((x) => x.name === name)!;
      if ("validateStack" in p && !("validateResource" in p)) return !result.notApplicable.some((n) => n.policy === name && n.resource === "");
      const na = result.notApplicable.filter((n) => n.policy === name && n.resource !== "").length;
      return na < evals[stack].resources.length;
    };
    expect(MANDATORY.filter((n) => !judged(n))).toEqual([]);
    expect(MANDATORY).toHaveLength(10);
  });
  it("has only the expected advisory notes", () => {
    const byPolicy = new Set(result.violations.map((v) => v.policy));
    // Images are pinned by tag only (no digests in the stack files); every service has its HealthProof.
    expect([...byPolicy].filter((p) => p !== "images-pinned")).toEqual([]);
    expect(result.violations.filter((v) => v.policy === "images-pinned")).toHaveLength(6);
  });
  it("ships a policy config whose lanExposed mirrors the stack file", () => {
    const file = defaultPolicyConfigFile(stack)!;
    const shipped = JSON.parse(fs.readFileSync(file, "utf8"));
    const stackLan = YAML.parse(fs.readFileSync(stackFile(stack), "utf8")).config["logging-bootstrap:exposure"].lanExposed === true;
    expect(shipped["exposure-explicit"].lanExposed).toBe(stackLan);
    expect((configFor(stack)["exposure-explicit"] as { lanExposed: boolean }).lanExposed).toBe(stackLan);
  });
});

it("prod publishes on 0.0.0.0, so exposure-explicit blocks it without lanExposed", async () => {
  const r = await run(evals.prod, { ...configFor("prod"), "exposure-explicit": { lanExposed: false } });
  const fired = mandatory(r).filter((v) => v.policy === "exposure-explicit");
  expect(fired.map((v) => v.resource.split("::").pop())).toEqual(["infra-observability-grafana", "infra-observability-prometheus"]);
});

describe("config mutations (stack files in a temp dir, --config-file)", () => {
  async function mutated(name: string, f: (config: Record<string, any>) => void): Promise<RunResult> {
    const doc = YAML.parse(fs.readFileSync(stackFile("test"), "utf8"));
    f(doc.config);
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(doc));
    const ev = await evaluateProgram({ stack: "test", configFile: file });
    return run(ev, configFor("test", file));
  }
  const fired = (r: RunResult, policy: string) => mandatory(r).filter((v) => v.policy === policy);

  it("names-dns-safe: a 55-character projectName makes <project>-node-exporter longer than a DNS label", async () => {
    const r = await mutated("longname", (c) => (c["logging-bootstrap:projectName"] = "a".repeat(55)));
    expect(fired(r, "names-dns-safe").map((v) => v.resource.split("::").pop()).sort()).toEqual(
      ["alloy-data", "cadvisor", "grafana-data", "loki-data", "node-exporter", "prometheus", "prometheus-data"].map((s) => `${"a".repeat(55)}-${s}`).sort(),
    );
    expect(mandatory(r).every((v) => v.policy === "names-dns-safe")).toBe(true);
  });
  it("host-paths-absolute: a logsRoot with '..' (absolute, so the lint lets it through)", async () => {
    const r = await mutated("dotdot", (c) => (c["logging-bootstrap:paths"].logsRoot = "/tmp/bootstrap-test/../logs"));
    expect(fired(r, "host-paths-absolute").map((v) => v.message)).toEqual([expect.stringMatching(/logging-test-alloy volumes\[\d\]\.hostPath "\/tmp\/bootstrap-test\/\.\.\/logs" is not in normal form/)]);
    expect(mandatory(r)).toHaveLength(1);
  });
  it("retention-enforced: 1h retention is below the 24h minimum for Loki and Prometheus", async () => {
    const r = await mutated("shortret", (c) => (c["logging-bootstrap:retention"] = { logs: "1h", metrics: "1h" }));
    expect(fired(r, "retention-enforced").map((v) => v.message)).toEqual([expect.stringMatching(/^Loki's retention_period 1h is shorter/), expect.stringMatching(/^Prometheus retention time 1h is shorter/)]);
    expect(mandatory(r)).toHaveLength(2);
  });
  it("alloy-allowlists: empty allowlists leave Alloy without docker and journald allowlists", async () => {
    const r = await mutated("noallow", (c) => (c["logging-bootstrap:alloy"] = { dockerAllowlist: [], journaldUnits: [], redactions: [] }));
    expect(fired(r, "alloy-allowlists").map((v) => v.message)).toEqual([expect.stringMatching(/no loki.source.docker component/), expect.stringMatching(/no loki.source.journal component/)]);
    expect(r.violations.filter((v) => v.policy === "alloy-allowlists" && v.enforcementLevel === "advisory").map((v) => v.message)).toEqual([expect.stringMatching(/stage.replace/)]);
  });
});

describe("program mutations (a program bug the config lint cannot see)", () => {
  function mutateProgram(stack: string, pick: (r: EvaluatedResource) => boolean, f: (r: EvaluatedResource) => void): Evaluation {
    const ev = structuredClone(evals[stack]);
    const hits = ev.resources.filter(pick);
    expect(hits.length).toBeGreaterThan(0);
    hits.forEach(f);
    return ev;
  }
  const isContainer = (svc: string) => (r: EvaluatedResource) =>
    r.type === TYPES.container && (r.inputs.labels as { label: string; value: string }[]).some((l) => l.label === "logging-bootstrap.service" && l.value === svc);
  const only = async (ev: Evaluation, stack: string) => {
    const m = mandatory(await run(ev, configFor(stack)));
    return { policies: [...new Set(m.map((v) => v.policy))], messages: m.map((v) => v.message) };
  };

  it("images-pinned: a RemoteImage pulled as :latest", async () => {
    const ev = mutateProgram("test", (r) => r.type === TYPES.remoteImage && r.name.endsWith("loki-image"), (r) => (r.inputs.name = "grafana/loki:latest"));
    expect(await only(ev, "test")).toEqual({ policies: ["images-pinned"], messages: [expect.stringMatching(/"grafana\/loki:latest" uses the moving tag :latest/)] });
  });
  it("host-ports-valid: two containers on one host port", async () => {
    const ev = mutateProgram("test", isContainer("loki"), (r) => ((r.inputs.ports as any[])[0].external = 9101, (r.outputs.ports as any[])[0].external = 9101));
    expect(await only(ev, "test")).toEqual({ policies: ["host-ports-valid"], messages: [expect.stringMatching(/logging-test-loki publishes host port 9101\/tcp, already published by logging-test-grafana/)] });
  });
  it("secrets-not-plaintext: Grafana's password in the environment", async () => {
    const ev = mutateProgram("test", isContainer("grafana"), (r) => (r.inputs.envs as string[]).push("GF_SECURITY_ADMIN_PASSWORD=***REDACTED***"));
    expect(await only(ev, "test")).toEqual({ policies: ["secrets-not-plaintext"], messages: [expect.stringMatching(/sets GF_SECURITY_ADMIN_PASSWORD in its environment/)] });
  });
  it("exposure-explicit: the test stack's Loki bound to 0.0.0.0", async () => {
    const ev = mutateProgram("test", isContainer("loki"), (r) => ((r.inputs.ports as any[])[0].ip = "0.0.0.0"));
    expect(await only(ev, "test")).toEqual({ policies: ["exposure-explicit"], messages: [expect.stringMatching(/logging-test-loki publishes host port 9102 on 0\.0\.0\.0/)] });
  });
  it("data-retained: a prod data volume neither protected nor retainOnDelete", async () => {
    const ev = mutateProgram("prod", (r) => r.type === TYPES.volume && r.name === "infra-observability-loki-data", (r) => ((r.options.retainOnDelete = false), (r.options.protect = false)));
    expect(await only(ev, "prod")).toEqual({ policies: ["data-retained"], messages: [expect.stringMatching(/Data volume infra-observability-loki-data is labelled logging-bootstrap.retain=true but is neither retainOnDelete nor protected/)] });
  });
  it("data-retained is advisory on the test stack (policy/config/test.json)", async () => {
    const ev = mutateProgram("test", (r) => r.type === TYPES.volume && r.name === "logging-test-loki-data", (r) => (r.options.retainOnDelete = false));
    const res = await run(ev, configFor("test"));
    expect(res.violations.filter((v) => v.policy === "data-retained").map((v) => v.enforcementLevel)).toEqual(["advisory"]);
  });
  it("every-service-verified: Loki's HealthProof no longer depends on Loki's container", async () => {
    const ev = mutateProgram(
      "test",
      (r) => r.type === "pulumi-nodejs:dynamic/logging-bootstrap:HealthProof" && r.name === "logging-test-health-loki",
      (r) => ((r.dependencies = []), (r.propertyDependencies = {}), (r.options.dependsOn = [])),
    );
    expect(await only(ev, "test")).toEqual({ policies: ["every-service-verified"], messages: [expect.stringMatching(/^Container logging-test-loki \(service loki\) has no .*HealthProof depending on it/)] });
  });
});
