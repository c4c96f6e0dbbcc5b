// The whole program under Pulumi's mocks (scripts/lib/evaluate.ts, the same evaluation as render
// and policy:check) fed to the pack: both stacks are free of mandatory violations, and every
// mandatory policy fires on a config mutation (a stack file written to a temp dir) or, where the
// config lint already refuses every breaking config, on a program mutation of the evaluated resources.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { evaluateProgram, EvaluatedResource, Evaluation, PROJECT_ROOT } from "../../scripts/lib/evaluate";
import { lintFile } from "../../scripts/lib/lint-file";
import { defaultPolicyConfigFile, isFailing, packConfigFor, policyCheck } from "../../scripts/policy-check";
import { DERIVED_NAME_SUFFIXES } from "../../contracts/config/values";
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
    expect(MANDATORY).toHaveLength(12);
  });
  it("declares Docker names only as <projectName><suffix> with the suffixes the lint's length limit assumes", () => {
    const project = stack === "test" ? "logging-test" : "infra-observability";
    const names = evals[stack].resources
      .filter((r) => [TYPES.container, TYPES.volume, TYPES.network].includes(r.type as never))
      .map((r) => r.inputs.name as string);
    expect(names.length).toBeGreaterThanOrEqual(6 + 4 + 1);
    for (const n of names) {
      expect(n.startsWith(project)).toBe(true);
      expect(DERIVED_NAME_SUFFIXES).toContain(n.slice(project.length));
    }
  });
  it("has only the expected advisory notes", () => {
    const byPolicy = new Set(result.violations.map((v) => v.policy));
    // Images are pinned by tag only (no digests in the stack files); every service has its HealthProof.
    expect([...byPolicy].filter((p) => p !== "images-pinned")).toEqual([]);
    expect(result.violations.filter((v) => v.policy === "images-pinned")).toHaveLength(7);
  });
  it("ships a policy config whose lanExposed mirrors the stack file", () => {
    const file = defaultPolicyConfigFile(stack)!;
    const shipped = JSON.parse(fs.readFileSync(file, "utf8"));
    const stackLan = YAML.parse(fs.readFileSync(stackFile(stack), "utf8")).config["logging-bootstrap:exposure"].lanExposed === true;
    expect(shipped["exposure-explicit"].lanExposed).toBe(stackLan);
    expect((configFor(stack)["exposure-explicit"] as { lanExposed: boolean }).lanExposed).toBe(stackLan);
  });
});

it("prod publishes Grafana on 0.0.0.0 (nothing else), so exposure-explicit blocks it without lanExposed", async () => {
  const r = await run(evals.prod, { ...configFor("prod"), "exposure-explicit": { lanExposed: false } });
  const fired = mandatory(r).filter((v) => v.policy === "exposure-explicit");
  expect(fired.map((v) => v.resource.split("::").pop())).toEqual(["infra-observability-grafana"]);
});

describe("config mutations (stack files in a temp dir, --config-file)", () => {
  function write(name: string, f: (config: Record<string, any>) => void): string {
    const doc = YAML.parse(fs.readFileSync(stackFile("test"), "utf8"));
    f(doc.config);
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
  }

  // A config that would break a mandatory policy must not lint clean: the lint (config:lint, and
  // loadStackConfig inside the program) refuses it with the same coded findings, so policy:check
  // reports config errors and never evaluates it. The policies themselves are shown firing on the
  // equivalent program mutation below.
  it.each<[string, (c: Record<string, any>) => void, [string, string][]]>([
    ["longname", (c) => (c["logging-bootstrap:projectName"] = "a".repeat(55)), [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]]],
    ["dotdot", (c) => (c["logging-bootstrap:paths"].logsRoot = "/tmp/bootstrap-test/../logs"), [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.logsRoot"]]],
    ["shortret", (c) => (c["logging-bootstrap:retention"] = { logs: "1h", metrics: "1h" }), [["E_CONFIG_DURATION", "retention.logs"], ["E_CONFIG_DURATION", "retention.metrics"]]],
    ["noallow", (c) => (c["logging-bootstrap:alloy"] = { dockerAllowlist: [], journaldUnits: [], redactions: [] }), [["E_CONFIG_MISSING_KEY", "alloy.dockerAllowlist"], ["E_CONFIG_MISSING_KEY", "alloy.journaldUnits"]]],
    ["lanprom", (c) => (c["logging-bootstrap:exposure"] = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "alloy", "nodeExporter", "cadvisor"] }), [["E_CONFIG_UNAUTHENTICATED_EXPOSURE", "ports.prometheus"]]],
  ])("%s: refused by the lint before any policy runs", async (name, f, expected) => {
    const file = write(name, f);
    expect(lintFile(file).errors.map((e) => [e.code, e.path])).toEqual(expected);
    const checked = await policyCheck({ stack: "test", configFile: file });
    expect({ errors: checked.errors?.map((e) => [e.code, e.path]), violations: checked.violations }).toEqual({ errors: expected, violations: [] });
    expect(isFailing(checked)).toBe(true);
    await expect(evaluateProgram({ stack: "test", configFile: file })).rejects.toMatchObject({ code: expected[0][0] });
  });

  it("a lint-clean variant (LAN exposure, other ports and paths) has no mandatory violation", async () => {
    const file = write("variant", (c) => {
      c["logging-bootstrap:exposure"] = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
      c["logging-bootstrap:ports"] = { grafana: 20001, loki: 20002, alloy: 20003, prometheus: 20004, nodeExporter: 20005, cadvisor: 20006, alertmanager: 20007 };
      c["logging-bootstrap:paths"] = { logsRoot: "/srv/x/logs/", telemetryRoot: "/srv/x/telemetry", dataRoot: "/srv/x/data" };
      c["logging-bootstrap:retention"] = { logs: "24h", metrics: "1d" };
    });
    expect(lintFile(file).errors).toEqual([]);
    const checked = await policyCheck({ stack: "test", configFile: file });
    expect(checked.errors).toBeUndefined();
    expect(mandatory({ violations: checked.violations, notApplicable: [] })).toEqual([]);
  });
});

describe("program mutations (a program bug the config lint cannot see)", () => {
  /** A copy of the stack's evaluation (or `ev` itself, to stack mutations) with `f` applied to every resource `pick` selects (at least one). */
  function mutateProgram(stack: string | Evaluation, pick: (r: EvaluatedResource) => boolean, f: (r: EvaluatedResource) => void): Evaluation {
    const ev = typeof stack === "string" ? structuredClone(evals[stack]) : stack;
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

  const upload = (r: EvaluatedResource, file: string) => (r.inputs.uploads as { file: string; content: string }[]).find((u) => u.file === file)!;

  it("names-dns-safe: a container name longer than a DNS label", async () => {
    const ev = mutateProgram("test", isContainer("cadvisor"), (r) => (r.inputs.name = "a".repeat(64)));
    expect(await only(ev, "test")).toEqual({ policies: ["names-dns-safe"], messages: [expect.stringMatching(/^Container name "a{64}" is not a DNS label/)] });
  });
  it("host-paths-absolute: a bind mount with '..'", async () => {
    const ev = mutateProgram("test", isContainer("alloy"), (r) => ((r.inputs.volumes as { hostPath?: string }[]).find((v) => v.hostPath === "/tmp/bootstrap-test/logs")!.hostPath = "/tmp/bootstrap-test/../logs"));
    expect(await only(ev, "test")).toEqual({ policies: ["host-paths-absolute"], messages: [expect.stringMatching(/logging-test-alloy volumes\[\d\]\.hostPath "\/tmp\/bootstrap-test\/\.\.\/logs" is not in normal form/)] });
  });
  it("retention-enforced: Loki and Prometheus rendered with 1h retention", async () => {
    let ev = mutateProgram("test", isContainer("loki"), (r) => {
      const u = upload(r, "/etc/loki/config.yaml");
      expect(u.content).toMatch(/retention_period: 7d/);
      u.content = u.content.replace(/retention_period: 7d/, "retention_period: 1h");
    });
    // Prometheus 3.14 (the test stack's pin) keeps its retention in prometheus.yml (3.8+).
    ev = mutateProgram(ev, isContainer("prometheus"), (r) => {
      const u = upload(r, "/etc/prometheus/prometheus.yml");
      expect(u.content).toMatch(/retention:\n\s+time: 7d/);
      u.content = u.content.replace(/(retention:\n\s+time:) 7d/, "$1 1h");
    });
    expect(await only(ev, "test")).toEqual({
      policies: ["retention-enforced"],
      messages: [expect.stringMatching(/^Loki's retention_period 1h is shorter/), expect.stringMatching(/^Prometheus retention time 1h is shorter/)],
    });
  });
  it("alloy-allowlists: an Alloy config without docker and journald sources", async () => {
    const ev = mutateProgram("test", isContainer("alloy"), (r) => (upload(r, "/etc/alloy/config.alloy").content = 'loki.write "default" {\n  endpoint {\n    url = "http://loki:3100/loki/api/v1/push"\n  }\n}\n'));
    const res = await run(ev, configFor("test"));
    expect(mandatory(res).map((v) => [v.policy, v.message])).toEqual([
      ["alloy-allowlists", expect.stringMatching(/no loki.source.docker component/)],
      ["alloy-allowlists", expect.stringMatching(/no loki.source.journal component/)],
    ]);
    expect(res.violations.filter((v) => v.policy === "alloy-allowlists" && v.enforcementLevel === "advisory").map((v) => v.message)).toEqual([expect.stringMatching(/stage.replace/)]);
  });
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
  it("exposure-explicit and unauthenticated-exposure: the test stack's Loki bound to 0.0.0.0", async () => {
    const ev = mutateProgram("test", isContainer("loki"), (r) => ((r.inputs.ports as any[])[0].ip = "0.0.0.0"));
    expect(await only(ev, "test")).toEqual({
      policies: ["exposure-explicit", "unauthenticated-exposure"],
      messages: [expect.stringMatching(/logging-test-loki publishes host port 9102 on 0\.0\.0\.0/), expect.stringMatching(/logging-test-loki \(service loki\) publishes 0\.0\.0\.0:9102 beyond loopback/)],
    });
  });
  it("unauthenticated-exposure: prod's Prometheus on 0.0.0.0 (prod is LAN-exposed, so nothing else objects)", async () => {
    const ev = mutateProgram("prod", isContainer("prometheus"), (r) => ((r.inputs.ports as any[])[0].ip = "0.0.0.0"));
    expect(await only(ev, "prod")).toEqual({ policies: ["unauthenticated-exposure"], messages: [expect.stringMatching(/infra-observability-prometheus \(service prometheus\) publishes 0\.0\.0\.0:9004 beyond loopback/)] });
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
