// Apply's verify does not prove twice what `up` just proved: the proof resources `up` ran report
// their verdicts in the engine's resource-outputs events; verify runs the other levels of the
// config's plan (none when up proved them all; all of them after a no-op up), and the run's verify
// report still lists every level, naming the proof resource a level was proven by. Pure parts
// first, then the run wrapper against the fake Pulumi operations (fake-ops.ts STUB_UP_PROOFS).
import fs from "node:fs";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { composeReport, levelsToRun, provenByUp } from "../../scripts/lib/bootstrap/proven";
import { absorbProof, newProofTrack, ProofStep, verdictOf } from "../../scripts/lib/pulumi/proof-events";
import { LEVEL_TABLE, LEVELS } from "../../components/verify/levels";
import { SERVICES } from "../../contracts/config/schema";
import type { Level } from "../../components/verify/types";
import { makeSandbox, runCli, Sandbox, stubCalls, TEST_STACK_FILE } from "./helpers";
import { bundleDir, readJson } from "./bundle-helpers";
import { ev } from "./fake-ops";

jest.setTimeout(60_000);

const TYPE = (l: Level) => `pulumi-nodejs:dynamic/logging-bootstrap:${LEVEL_TABLE.find((d) => d.level === l)!.proofType}`;
const URN = (l: Level, svc?: string) => `urn:pulumi:test::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$logging-bootstrap:verify:Proofs$${TYPE(l)}::logging-test-${l}${svc ? `-${svc}` : ""}`;

interface ProofSpec {
  urn: string;
  type: string;
  op: string;
  outputs?: Record<string, unknown>;
}

/** Every proof of the test stack (L1: one per service) as up steps it; `over` changes some. */
function proofSpecs(over: (s: ProofSpec, level: Level, svc?: string) => ProofSpec = (s) => s): ProofSpec[] {
  const out: ProofSpec[] = [];
  for (const l of LEVELS) {
    const svcs: (string | undefined)[] = l === "L1" ? [...SERVICES] : [undefined];
    for (const svc of svcs) {
      const outputs: Record<string, unknown> = { level: l, status: "green", findings: [], ...(svc ? { service: svc } : {}), ...(l === "L3" ? { marker: "logging-bootstrap proof 1767225600 abc" } : {}) };
      out.push(over({ urn: URN(l, svc), type: TYPE(l), op: "update", outputs }, l, svc));
    }
  }
  return out;
}

function steps(specs: ProofSpec[], ms = 100): ProofStep[] {
  const t = newProofTrack();
  let now = 1000;
  for (const s of specs) {
    absorbProof(t, ev({ resourcePreEvent: { metadata: { op: s.op, urn: s.urn, type: s.type, provider: "" } as never } }), now);
    absorbProof(t, ev({ resOutputsEvent: { metadata: { op: s.op, urn: s.urn, type: s.type, provider: "", ...(s.outputs ? { new: { outputs: s.outputs } } : {}) } as never } }), (now += ms));
  }
  return [...t.values()];
}

describe("what up proved, from its engine events", () => {
  test("every proof ran and returned a verdict: every level proven, each naming its resource(s); L1 merged in the services' order", () => {
    const specs = proofSpecs((s, l, svc) => (l === "L1" && svc === "loki" ? { ...s, outputs: { ...s.outputs, status: "warn", code: "E_PROOF_HEALTH", findings: ["loki: slow"] } } : s));
    const p = provenByUp(steps(specs.reverse()));
    expect(Object.keys(p.levels)).toEqual([...LEVELS]);
    expect(levelsToRun([...LEVELS], p)).toEqual([]);
    const l1 = p.levels.L1!;
    expect(l1).toMatchObject({ level: "L1", name: "health", status: "warn", code: "E_PROOF_HEALTH", bucket: "proof", findings: ["loki: slow"], provenBy: "up" });
    expect((l1.diagnostics.resources as Array<{ service: string }>).map((r) => r.service)).toEqual([...SERVICES]);
    expect(l1.diagnostics.note).toMatch(/^proven by up's proof resources urn:.*logging-test-L1-grafana, .* in this run: status, code and findings are its outputs .*; its diagnostics are not kept in state$/);
    expect(p.levels.L6!.diagnostics.note).toBe(`proven by up's proof resource ${URN("L6")} in this run: status, code and findings are its outputs (the engine's resource-outputs event); its diagnostics are not kept in state`);
    expect(p.levels.L3!.outputs).toEqual({ marker: "logging-bootstrap proof 1767225600 abc" });
    expect(p.levels.L2!.durationMs).toBe(100);
  });

  test("a level counts only when every one of its proofs ran in this up with a verdict in its outputs", () => {
    const p = provenByUp(
      steps(
        proofSpecs((s, l, svc) => {
          if (l === "L1" && svc === "cadvisor") return { ...s, op: "same" }; // one service's proof did not run
          if (l === "L5") return { ...s, outputs: { ...s.outputs, status: "[secret]" } }; // no readable verdict
          if (l === "L7") return { ...s, outputs: undefined }; // no outputs in the event
          if (l === "L9") return { ...s, op: "same" };
          return s;
        }),
      ),
    );
    expect(levelsToRun([...LEVELS], p)).toEqual(["L1", "L5", "L7", "L9"]);
    // A no-op up: nothing proven, verify runs every level.
    expect(levelsToRun([...LEVELS], provenByUp(steps(proofSpecs((s) => ({ ...s, op: "same" })))))).toEqual([...LEVELS]);
  });

  test("verdictOf reads status, code, findings (and a marker, a service) and refuses anything else", () => {
    expect(verdictOf({ status: "green", findings: [], level: "L2", url: "x" })).toEqual({ status: "green", findings: [] });
    expect(verdictOf({ status: "warn", code: "E_PROOF_PIPELINE_STATIC", findings: ["a"], marker: "m" })).toEqual({ status: "warn", code: "E_PROOF_PIPELINE_STATIC", findings: ["a"], marker: "m" });
    for (const bad of [undefined, "[secret]", { status: "ok", findings: [] }, { status: "green" }, { status: "green", findings: [1] }, { status: "green", findings: [], code: 3 }]) expect(verdictOf(bad)).toBeUndefined();
  });

  test("planning events (a preview) and non-proof resources are not proofs; a host proof is reported by its host", () => {
    const t = newProofTrack();
    const host = { urn: "urn:pulumi:s::p::x$pulumi-nodejs:dynamic/logging-bootstrap:HostProof::logging-test-web1-host", type: "pulumi-nodejs:dynamic/logging-bootstrap:HostProof" };
    const e = (x: Partial<EngineEvent>) => ev(x as never);
    absorbProof(t, e({ resourcePreEvent: { planning: true, metadata: { op: "update", urn: URN("L2"), type: TYPE("L2") } as never } }), 0);
    absorbProof(t, e({ resourcePreEvent: { metadata: { op: "create", urn: "urn:c", type: "docker:index/container:Container" } as never } }), 0);
    absorbProof(t, e({ resourcePreEvent: { metadata: { op: "update", ...host } as never } }), 0);
    absorbProof(t, e({ resOutputsEvent: { metadata: { op: "update", ...host, new: { outputs: { status: "green", findings: [], host: "web1" } } } as never } }), 7);
    expect([...t.keys()]).toEqual([host.urn]);
    expect(provenByUp(t.values()).hosts).toEqual([{ host: "web1", status: "green", durationMs: 7, findings: [], diagnostics: { provenBy: "up", note: expect.stringContaining(host.urn) }, provenBy: "up" }]);
  });

  test("composeReport: verify's own levels win, the config's plan gives skipped, the status counts both", () => {
    const p = provenByUp(steps(proofSpecs()));
    const ran = { levels: [{ level: "L9" as const, name: "alertDelivery", status: "red" as const, code: "E_PROOF_ALERT_NOT_RECEIVED" as const, bucket: "proof", durationMs: 5, findings: ["no"], diagnostics: {} }], parallel: true };
    const r = composeReport({ stack: "test", proven: p, ran, skipped: [{ level: "L4", name: "labels", reason: "verify.labels is false" }], durationMs: 12 });
    expect(r.levels.map((l) => l.level)).toEqual([...LEVELS]);
    expect(r.levels.find((l) => l.level === "L9")).toBe(ran.levels[0]);
    expect(r).toMatchObject({ stack: "test", status: "red", exitCode: 2, parallel: true, durationMs: 12, skipped: [{ level: "L4", reason: "verify.labels is false" }], provenByUp: ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"] });
    expect(composeReport({ stack: "test", proven: p, skipped: [], durationMs: 1 }).status).toBe("green");
  });
});

describe("the run wrapper: apply's verify after up", () => {
  let sb: Sandbox;
  const stack = (labels = true) => {
    // The fixture stack with Alertmanager's port, so it lints clean (the wrapper plans the levels from it).
    const text = fs.readFileSync(TEST_STACK_FILE, "utf8").replace("    cadvisor: 9106\n", "    cadvisor: 9106\n    alertmanager: 9107\n").replace("    labels: true", `    labels: ${labels}`);
    const f = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "proven-")), "Pulumi.test.yaml");
    fs.writeFileSync(f, text);
    return f;
  };
  const withProofs = (specs: ProofSpec[]) => {
    const f = path.join(sb.dir, "proofs.json");
    fs.writeFileSync(f, JSON.stringify(specs));
    return { STUB_UP_PROOFS: f };
  };
  const verifyCalls = () => stubCalls(sb).filter((c) => c.tool === "npm" && c.argv.includes("verify")).map((c) => c.argv);
  const report = () => readJson(path.join(bundleDir(sb), "verify.report.json"));
  const verifyStage = () => readJson(path.join(bundleDir(sb), "summary.json")).steps.find((s: { step: string }) => s.step === "verify");
  afterEach(async () => sb?.cleanup());

  test("up ran every proof: verify proves nothing again, and its report lists all nine levels from up's outputs", async () => {
    sb = await makeSandbox({ stackFile: stack() });
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, withProofs(proofSpecs()));
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining("nothing to prove again")]);
    expect(verifyCalls()).toEqual([]);
    const rep = report();
    expect(rep.mode).toBe("apply");
    expect(rep.report).toMatchObject({ stack: "test", status: "green", exitCode: 0, skipped: [], provenByUp: [...LEVELS] });
    expect(rep.report.levels.map((l: { level: string; status: string; provenBy: string }) => [l.level, l.status, l.provenBy])).toEqual(LEVELS.map((l) => [l, "green", "up"]));
    expect(rep.report.levels[5].diagnostics.note).toContain(`proven by up's proof resource ${URN("L6")}`);
    expect(verifyStage()).toMatchObject({ status: "success", detail: "proven by up in this run: L1, L2, L3, L4, L5, L6, L7, L8, L9; verify ran none" });
  });

  test("up ran some proofs: verify runs only the others (--levels), the report merges both and keeps the config's skipped list", async () => {
    sb = await makeSandbox({ stackFile: stack() });
    const specs = proofSpecs((s, l) => (l === "L5" || l === "L9" ? { ...s, op: "same", outputs: undefined } : s));
    const ran = path.join(sb.dir, "verify.json");
    const lvl = (level: string, name: string) => ({ level, name, status: "green", durationMs: 3, findings: [], diagnostics: { fresh: true } });
    fs.writeFileSync(ran, JSON.stringify({ stack: "test", status: "green", exitCode: 0, parallel: true, durationMs: 9, levels: [lvl("L1", "health"), lvl("L5", "dashboards"), lvl("L9", "alertDelivery")], skipped: [{ level: "L2", name: "reachability", reason: "not asked for (--levels)" }] }));
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { ...withProofs(specs), STUB_VERIFY_JSON: ran });
    expect(r.code).toBe(0);
    expect(verifyCalls()).toEqual([["run", "-s", "verify", "--", "--stack", "test", "--recorded", expect.any(String), "--levels", "L5,L9", "--json"]]);
    const rep = report().report;
    expect(rep.levels.map((l: { level: string; provenBy?: string; diagnostics: { fresh?: boolean } }) => [l.level, l.provenBy ?? (l.diagnostics.fresh ? "verify" : "?")])).toEqual([
      // L1 ran in verify too (here: L9 runs after it), so verify's fresh result is the one reported.
      ["L1", "verify"], ["L2", "up"], ["L3", "up"], ["L4", "up"], ["L5", "verify"], ["L6", "up"], ["L7", "up"], ["L8", "up"], ["L9", "verify"],
    ]);
    expect(rep.skipped).toEqual([]);
    expect(rep.provenByUp).toEqual(["L2", "L3", "L4", "L6", "L7", "L8"]);
    expect(verifyStage().detail).toBe("proven by up in this run: L2, L3, L4, L6, L7, L8; verify ran L5, L9");
  });

  test("a no-op up (every proof `same`): verify runs every level, as a drift check does", async () => {
    sb = await makeSandbox({ stackFile: stack() });
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, withProofs(proofSpecs((s) => ({ ...s, op: "same", outputs: undefined }))));
    expect(r.code).toBe(0);
    expect(verifyCalls()).toEqual([["run", "-s", "verify", "--", "--stack", "test", "--recorded", expect.any(String), "--json"]]);
    expect(report().report.provenByUp).toEqual([]);
    // The sandbox's state export holds no proof resources: nothing to prove here, the verify CLI runs them.
    expect(verifyStage().detail).toBe("up proved no level in this run; verify ran L1, L2, L3, L4, L5, L6, L7, L8, L9");
  });

  test("a level the config turns off is listed as skipped with the config's reason; a red level from verify turns the run red", async () => {
    sb = await makeSandbox({ stackFile: stack(false) });
    const specs = proofSpecs((s, l) => (l === "L8" ? { ...s, op: "same", outputs: undefined } : s)).filter((s) => !s.urn.includes("-L4"));
    const ran = path.join(sb.dir, "verify.json");
    fs.writeFileSync(ran, JSON.stringify({ stack: "test", status: "red", exitCode: 2, levels: [{ level: "L8", name: "configDrift", status: "red", code: "E_PROOF_CONFIG_DRIFT", durationMs: 3, findings: ["loki: /etc/loki/config.yaml changed"], diagnostics: {} }], skipped: [] }));
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, { ...withProofs(specs), STUB_VERIFY_JSON: ran, STUB_VERIFY_EXIT: "1" });
    expect(r.code).toBe(1);
    expect(verifyCalls()[0]).toContain("L8");
    const rep = report().report;
    expect(rep.skipped).toEqual([{ level: "L4", name: "labels", reason: "verify.labels is false" }]);
    expect(rep.status).toBe("red");
    expect(readJson(path.join(bundleDir(sb), "summary.json")).errors.map((e: { code: string }) => e.code)).toEqual(["E_PROOF_CONFIG_DRIFT"]);
  });

  test("a stack file the wrapper cannot judge: verify runs every level and reports for itself", async () => {
    sb = await makeSandbox(); // the fixture lacks ports.alertmanager: the lint refuses it
    const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb, withProofs(proofSpecs()));
    expect(r.code).toBe(0);
    expect(verifyCalls()).toEqual([["run", "-s", "verify", "--", "--stack", "test", "--recorded", expect.any(String), "--json"]]);
  });
});
