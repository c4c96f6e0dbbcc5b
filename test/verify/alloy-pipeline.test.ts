// L4's pipeline part reads the running Alloy (its component API), so a deployed Alloy that runs
// something else than the rendered config is red even while the rendered text is fine; without a
// published Alloy port it is a static check of the rendered config and the result says so.
import { checkLabels } from "../../components/verify/checks";
import { checkRunningAlloy, detailsWanted } from "../../components/verify/alloy-structure";
import { newMarker } from "../../components/verify/evidence";
import { alloyFixture } from "../util/alloy-fixture";
import { alloyApi, AlloyApiOptions, ComponentJson } from "../util/alloy-api";
import { makeTestIo, startServer, TestServer } from "./fakes";

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const CONFIG = alloyFixture({ containers: ["p-loki", "p-grafana"], units: ["docker.service"], redactions: [{ expression: "password=(\\S+)", replace: "***" }] });
const MARKER = newMarker(Date.now() - 60_000, "00aa");
const SELECTOR = '{filename="/l/logging-bootstrap-proof.log"}';
const LINE = `logging-bootstrap ingestion proof marker=${MARKER} | canary password_kv: password=***`;

/** Loki holding the marker's stream (labels APIs empty: a quiet host) and Alloy answering from `running`. */
async function stack(running: string, o: AlloyApiOptions = {}): Promise<TestServer> {
  const alloy = alloyApi(running, o);
  const s = await startServer((_r, url) => {
    const a = alloy(url.pathname);
    if (a) return a;
    if (url.pathname === "/loki/api/v1/query_range") {
      const q = url.searchParams.get("query") ?? "";
      const result = q.startsWith(SELECTOR) ? [{ stream: { job: "logs", filename: "/l/logging-bootstrap-proof.log", project: "p" }, values: [["1", LINE]] }] : [];
      return { status: 200, body: { status: "success", data: { resultType: "streams", result } } };
    }
    if (url.pathname === "/loki/api/v1/labels") return { status: 200, body: { status: "success", data: [] } };
    return { status: 404, body: "404 page not found\n" };
  });
  servers.push(s);
  return s;
}

const input = (s: TestServer, alloy = true) => ({
  lokiUrl: s.url,
  ...(alloy ? { alloyUrl: s.url } : {}),
  requiredLabels: ["job", "filename"],
  cardinalityLimit: 3,
  lookbackSeconds: 3600,
  alloyConfig: CONFIG,
  dockerAllowlist: ["p-loki", "p-grafana"],
  journaldUnits: ["docker.service"],
  redactionCount: 1,
  timeoutMs: 1000,
  projectName: "p",
  ingestionMarker: MARKER,
  markerSelector: SELECTOR,
  retentionSeconds: 7 * 86400,
  ingestionTimeoutSeconds: 120,
  redactions: [{ name: "password_kv", pattern: "password=(\\S+)", replacement: "***", canary: "password=canary-pw" }],
});

describe("L4 reads the running Alloy", () => {
  test("green when the running Alloy runs the rendered pipeline; it asks the component API, not the file", async () => {
    const s = await stack(CONFIG);
    const r = await checkLabels(input(s), makeTestIo());
    expect(r).toMatchObject({ status: "green", findings: [] });
    expect(r.diagnostics.alloy).toMatchObject({ checked: "running Alloy (component API)", dockerSources: 1, journalSources: 1 });
    const paths = s.requests.map((q) => q.path).filter((p) => p.startsWith("/api/v0/web/components"));
    expect(paths).toEqual(["/api/v0/web/components", "/api/v0/web/components/discovery.relabel.docker_allowlist", "/api/v0/web/components/loki.process.redact", "/api/v0/web/components/loki.relabel.journal_allowlist"]);
  });

  test("the running keep rule admits every container while the rendered config is right: red", async () => {
    const s = await stack(CONFIG.replace("^(/p-loki|/p-grafana)$", ".*"));
    const r = await checkLabels(input(s), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_LABEL_MISSING" });
    expect(r.findings).toContain("alloy: the running loki.source.docker.containers is not limited to alloy.dockerAllowlist (keep rule admits names outside the allowlist)");
  });

  test("the running journal keep rule misses a unit: red", async () => {
    const s = await stack(CONFIG.replace("^(docker\\\\.service)$", "^(cron\\\\.service)$"));
    const r = await checkLabels(input(s), makeTestIo());
    expect(r.findings).toContain("alloy: the running loki.source.journal.journal is not limited to alloy.journaldUnits (keep rule does not admit docker.service)");
  });

  test("the running relabelling outputs a container outside the allowlist: E_PROOF_ALLOWLIST_BREACH", async () => {
    const intruder = { __meta_docker_container_name: "/intruder", __meta_docker_container_id: "x" };
    const s = await stack(CONFIG, {
      detail: (info) => (info.localID === "discovery.relabel.docker_allowlist" ? { ...info, exports: [{ name: "output", type: "attr", value: { type: "array", value: [{ type: "object", value: Object.entries(intruder).map(([key, v]) => ({ key, value: { type: "string", value: v } })) }] } }] } : info),
    });
    const r = await checkLabels(input(s), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALLOWLIST_BREACH", findings: ['container "intruder" passes the running discovery.relabel.docker_allowlist, but alloy.dockerAllowlist does not list it'] });
  });

  test("a component of the rendered config absent from the running Alloy, or not healthy: red, named", async () => {
    const gone = await stack(CONFIG, { list: (l) => l.filter((c) => c.localID !== "loki.source.journal.journal") });
    const r = await checkLabels(input(gone), makeTestIo());
    expect(r.code).toBe("E_PROOF_LABEL_MISSING");
    expect(r.findings).toEqual(expect.arrayContaining(["alloy: loki.source.journal.journal is in the rendered config but the running Alloy does not run it", "alloy: journaldUnits is set but the running Alloy has no loki.source.journal"]));
    const sick = await stack(CONFIG, { list: (l) => l.map((c): ComponentJson => (c.localID === "loki.write.loki" ? { ...c, health: { state: "unhealthy", message: "failed to build component" } } : c)) });
    expect((await checkLabels(input(sick), makeTestIo())).findings).toContain("alloy: loki.write.loki is unhealthy: failed to build component");
  });

  test("the running loki.process does not run alloy.redactions: E_PROOF_REDACTION_FAILED, naming the redaction", async () => {
    const s = await stack(CONFIG.replace('replace    = "***"', 'replace    = "{{ .Value }}"'));
    const r = await checkLabels(input(s), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_REDACTION_FAILED" });
    expect(r.findings).toEqual([
      "alloy: the loki.process stages the running loki.source.docker.containers forwards through are not alloy.redactions (not running as configured: password_kv)",
      "alloy: the loki.process stages the running loki.source.journal.journal forwards through are not alloy.redactions (not running as configured: password_kv)",
    ]);
  });

  test("Alloy's component API does not answer: red, not a silent pass", async () => {
    const s = await startServer((_r, url) => (url.pathname.startsWith("/api/") ? { status: 503, body: "down" } : { status: 200, body: { status: "success", data: { resultType: "streams", result: [{ stream: { job: "logs", filename: "/l/logging-bootstrap-proof.log" }, values: [["1", LINE]] }] } } }));
    servers.push(s);
    const r = await checkLabels(input(s), makeTestIo());
    expect(r.findings).toContain("alloy: Alloy component API /api/v0/web/components: HTTP 503");
  });

  test("without Alloy's port: the rendered config only, and the result says it is a static check", async () => {
    const s = await stack(CONFIG);
    const r = await checkLabels(input(s, false), makeTestIo());
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_PIPELINE_STATIC" });
    expect(r.findings).toEqual(["static check of the rendered config: ports.alloy is not published, so the allowlists and redaction stages were read from the rendered file, not from the running Alloy"]);
    expect(r.diagnostics.alloy).toMatchObject({ checked: "static check of the rendered config" });
    expect(s.requests.some((q) => q.path.startsWith("/api/"))).toBe(false);
  });
});

describe("checkRunningAlloy (pure)", () => {
  test("reads only the details it judges: the sources' relabel feeders and processes", () => {
    const list = [
      { localID: "loki.source.file.f", moduleID: "", name: "loki.source.file", referencesTo: ["local.file_match.f", "loki.process.p"], referencedBy: [], health: { state: "healthy", message: "" }, arguments: [], exports: [], debugInfo: [] },
      { localID: "loki.process.p", moduleID: "", name: "loki.process", referencesTo: ["loki.write.w"], referencedBy: [], health: { state: "healthy", message: "" }, arguments: [], exports: [], debugInfo: [] },
    ];
    expect(detailsWanted(list)).toEqual(["loki.process.p"]);
    const v = checkRunningAlloy({ alloyConfig: "", dockerAllowlist: [], journaldUnits: [], redactionCount: 0, redactions: [{ name: "r", pattern: "(x)", replacement: "*" }] }, list, new Map());
    expect(v.redaction).toEqual(["alloy: the running loki.source.file.f forwards to no loki.process, so alloy.redactions are not applied to it"]);
  });
});

describe("what verify must report for a config (expectedOutcome)", () => {
  const { expectedOutcome } = require("../../components/verify/expectations") as typeof import("../../components/verify/expectations");
  const { stackConfig } = require("../util/mocks") as typeof import("../util/mocks");
  test("a stack without Alloy's port: L4 warns that its pipeline part is a static check", () => {
    const cfg = stackConfig("test");
    expect(expectedOutcome(cfg, { registryDigests: true }).L4).toEqual({ status: "green" });
    delete (cfg.ports as Record<string, unknown>).alloy;
    expect(expectedOutcome(cfg, { registryDigests: true }).L4).toMatchObject({ status: "warn", code: "E_PROOF_PIPELINE_STATIC" });
  });
});
