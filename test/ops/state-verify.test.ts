// Apply's verify of the levels up did not re-run, with the inputs up recorded for their proofs:
// what is proved again (only proofs up left as they were, with their recorded inputs, secrets in
// plain), in verify's order (L4 after L3 with L3's new marker, L9 after L1), merged with what up
// proved (L1 partly re-run), and when the plan cannot be made (no state, a proof without inputs).
import { plainDeep, runFromState, stateRunPlan } from "../../scripts/lib/bootstrap/state-verify";
import type { ProofStep } from "../../scripts/lib/pulumi/proof-events";
import { LEVEL_TABLE } from "../../components/verify/levels";
import type { Io, Level, ProofResult } from "../../components/verify/types";
import { systemClock } from "../../components/verify/io";

const SIG = "4dabf18193072939515e22adb298388d";
const TYPE = (l: Level) => `pulumi-nodejs:dynamic/logging-bootstrap:${LEVEL_TABLE.find((d) => d.level === l)!.proofType}`;
const URN = (l: Level, svc?: string) => `urn:pulumi:test::p::x$${TYPE(l)}::logging-test-${l}${svc ? `-${svc}` : ""}`;
const step = (l: Level, op: string, svc?: string, verdict?: ProofStep["verdict"]): ProofStep => ({ urn: URN(l, svc), type: TYPE(l), level: l, op, startedAt: 0, ms: 40, ...(verdict ? { verdict } : {}) });
const secret = (v: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
const res = (l: Level, inputs: Record<string, unknown>, svc?: string) => ({ urn: URN(l, svc), type: TYPE(l), inputs: { __provider: "exports.handler = ...", ...inputs } });

describe("the plan: which proofs to prove again, with which inputs", () => {
  const state = {
    resources: [
      res("L1", { service: "grafana", baseUrl: "http://g" }, "grafana"),
      res("L1", { service: "loki", baseUrl: "http://l" }, "loki"),
      res("L3", { lokiUrl: "http://l" }),
      res("L4", { lokiUrl: "http://l", ingestionMarker: "old marker" }),
      res("L8", { driftKey: secret("k3y"), secretDigests: { grafana: { "/etc/x": "h" } } }),
    ],
  };
  test("same proofs get their recorded inputs (secrets in plain); a proof up ran keeps its verdict; L1 can be part of each", () => {
    const steps = [
      step("L1", "update", "grafana", { status: "green", findings: [], service: "grafana" }),
      step("L1", "same", "loki"),
      step("L3", "same"),
      step("L4", "same"),
      step("L8", "same"),
    ];
    const plan = stateRunPlan(steps, state, ["L1", "L3", "L4", "L8"])!;
    expect(plan.map((p) => [p.level, p.rerun.map((r) => r.urn), p.proven.map((s) => s.urn)])).toEqual([
      ["L1", [URN("L1", "loki")], [URN("L1", "grafana")]],
      ["L3", [URN("L3")], []],
      ["L4", [URN("L4")], []],
      ["L8", [URN("L8")], []],
    ]);
    expect(plan[3].rerun[0].inputs.driftKey).toBe("k3y");
  });
  test("no state, a level up never showed, a proof without recorded inputs, or one up ran without a verdict: no plan", () => {
    expect(stateRunPlan([step("L3", "same")], undefined, ["L3"])).toBeUndefined();
    expect(stateRunPlan([step("L3", "same")], state, ["L3", "L6"])).toBeUndefined();
    expect(stateRunPlan([step("L6", "same")], state, ["L6"])).toBeUndefined();
    expect(stateRunPlan([step("L3", "update")], state, ["L3"])).toBeUndefined();
  });
  test("plainDeep opens every secret of a state export, at any depth", () => {
    expect(plainDeep({ a: secret({ b: 1 }), c: [secret("x"), { d: secret("y") }], e: 2 })).toEqual({ a: { b: 1 }, c: ["x", { d: "y" }], e: 2 });
  });
});

describe("proving the plan again", () => {
  function fakeIo(): Io & { closed: number } {
    const io = { closed: 0, clock: systemClock, docker: { closeProbes: async () => void io.closed++ } } as unknown as Io & { closed: number };
    return io;
  }
  const result = (level: Level, extra: Partial<ProofResult> = {}): ProofResult => ({ level, status: "green", durationMs: 5, findings: [], diagnostics: {}, ...extra });

  test("verify's order: L4 after L3 with the marker L3 wrote now, L9 after L1; L1 merged with what up proved; the probe session closed", async () => {
    const calls: Array<[Level, Record<string, unknown>, string]> = [];
    const finished: Level[] = [];
    const runProof = async (level: Level, props: Record<string, unknown>, mode: "apply" | "read") => {
      calls.push([level, props, mode]);
      await new Promise((r) => setTimeout(r, level === "L3" ? 30 : level === "L1" ? 20 : 1));
      finished.push(level);
      if (level === "L3") return result("L3", { outputs: { marker: "new marker" } });
      if (level === "L1") return result("L1", { status: "red", code: "E_PROOF_HEALTH", findings: ["loki: down"], diagnostics: { service: "loki" } });
      return result(level);
    };
    const io = fakeIo();
    const plan = [
      { level: "L1" as const, rerun: [{ urn: URN("L1", "loki"), inputs: { service: "loki" } }], proven: [step("L1", "update", "grafana", { status: "green", findings: [], service: "grafana" })] },
      { level: "L3" as const, rerun: [{ urn: URN("L3"), inputs: { lokiUrl: "u" } }], proven: [] },
      { level: "L4" as const, rerun: [{ urn: URN("L4"), inputs: { ingestionMarker: "old marker" } }], proven: [] },
      { level: "L9" as const, rerun: [{ urn: URN("L9"), inputs: {} }], proven: [] },
    ];
    const levels = await runFromState(plan, { runProof, io });
    expect(calls.every(([, , mode]) => mode === "apply")).toBe(true);
    expect(calls.find(([l]) => l === "L4")![1].ingestionMarker).toBe("new marker");
    expect(finished.indexOf("L4")).toBeGreaterThan(finished.indexOf("L3"));
    expect(finished.indexOf("L9")).toBeGreaterThan(finished.indexOf("L1"));
    expect(levels.map((l) => [l.level, l.name, l.status, l.bucket])).toEqual([["L1", "health", "red", "proof"], ["L3", "ingestion", "green", undefined], ["L4", "labels", "green", undefined], ["L9", "alertDelivery", "green", undefined]]);
    // L1: grafana from up (first, the services' order), loki proved again now.
    expect(levels[0].findings).toEqual(["loki: down"]);
    expect(Object.keys(levels[0].diagnostics)).toEqual(["grafana", "loki", "recordedInputs"]);
    expect(levels[0].diagnostics.recordedInputs).toBe(`proved again with the inputs up recorded for ${URN("L1", "loki")} (unchanged in this up)`);
    expect(io.closed).toBe(1);
  });
});
