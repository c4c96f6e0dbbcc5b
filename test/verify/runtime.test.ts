import { canonical, desired, proofDiff, proofError, proofId, proofOutputs } from "../../components/verify/runtime";
import { newMarker } from "../../components/verify/evidence";

describe("proof state shape", () => {
  const props = { __provider: "exports.handler=...", lokiUrl: "http://x", adminPassword: "pw", b: [2, 1], a: { z: 1, y: 2 } };

  test("desired() drops the provider text, secrets and verdict fields", () => {
    expect(desired({ ...props, status: "red", code: "E", findings: ["f"], level: "L1" })).toEqual({ lokiUrl: "http://x", b: [2, 1], a: { z: 1, y: 2 } });
  });
  test("canonical JSON sorts keys (stable diffs) but keeps array order", () => {
    expect(canonical({ b: 1, a: [2, 1], c: undefined })).toBe('{"a":[2,1],"b":1}');
  });
  test("outputs carry the verdict and never the password", () => {
    const o = proofOutputs("L5", props, { status: "green", findings: [] });
    expect(o).toEqual({ lokiUrl: "http://x", b: [2, 1], a: { z: 1, y: 2 }, level: "L5", status: "green", findings: [] });
    expect(JSON.stringify(o)).not.toContain("pw");
  });
  test("id depends on desired inputs only", () => {
    expect(proofId("L1", props)).toBe(proofId("L1", { ...props, adminPassword: "other", __provider: "y" }));
    expect(proofId("L1", props)).not.toBe(proofId("L1", { ...props, lokiUrl: "http://y" }));
  });
  test("diff: settled + same inputs = no change; red olds or changed inputs = change", () => {
    const outs = proofOutputs("L1", props, { status: "green", findings: [] });
    expect(proofDiff(outs, props).changes).toBe(false);
    expect(proofDiff({ ...outs, status: "warn" }, props).changes).toBe(false);
    expect(proofDiff({ ...outs, status: "red" }, props).changes).toBe(true);
    expect(proofDiff(outs, { ...props, lokiUrl: "http://z" }).changes).toBe(true);
  });
  test("diff: evidence that aged past the logs retention (L3's marker) or a re-prove warning runs the proof again", () => {
    const day = 86_400_000;
    const now = 1_800_000_000_000;
    const l3 = { lokiUrl: "http://x", retentionSeconds: 7 * 86400 };
    const fresh = proofOutputs("L3", l3, { status: "green", findings: [], outputs: { marker: newMarker(now - day, "aa") } });
    expect(proofDiff(fresh, l3, now).changes).toBe(false);
    const aged = proofOutputs("L3", l3, { status: "green", findings: [], outputs: { marker: newMarker(now - 7 * day, "aa") } });
    expect(proofDiff(aged, l3, now).changes).toBe(true);
    // 90 days of logs: a week-old marker is still evidence.
    expect(proofDiff(aged, { ...l3, retentionSeconds: 90 * 86400 }, now).changes).toBe(true); // inputs changed too
    const aged90 = proofOutputs("L3", { ...l3, retentionSeconds: 90 * 86400 }, { status: "green", findings: [], outputs: { marker: newMarker(now - 7 * day, "aa") } });
    expect(proofDiff(aged90, { ...l3, retentionSeconds: 90 * 86400 }, now).changes).toBe(false);
    const reprove = proofOutputs("L4", props, { status: "warn", code: "E_PROOF_REPROVE_NEEDED", findings: ["x"] });
    expect(proofDiff(reprove, props, now).changes).toBe(true);
  });
  test("a red proof's error starts with its taxonomy code and carries diagnostics", () => {
    const e = proofError("L8", { level: "L8", status: "red", code: "E_PROOF_CONFIG_DRIFT", durationMs: 3, findings: ["a", "b"], diagnostics: { x: 1 } });
    expect(e.message).toBe('E_PROOF_CONFIG_DRIFT: L8 proof is red: a; b\ndiagnostics: {"x":1}');
    expect(e.code).toBe("E_PROOF_CONFIG_DRIFT");
    expect(e.bucket).toBe("proof");
  });
});
