import { canonical, desired, proofDiff, proofError, proofId, proofOutputs } from "../../components/verify/runtime";

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
  test("a red proof's error starts with its taxonomy code and carries diagnostics", () => {
    const e = proofError("L8", { level: "L8", status: "red", code: "E_PROOF_CONFIG_DRIFT", durationMs: 3, findings: ["a", "b"], diagnostics: { x: 1 } });
    expect(e.message).toBe('E_PROOF_CONFIG_DRIFT: L8 proof is red: a; b\ndiagnostics: {"x":1}');
    expect(e.code).toBe("E_PROOF_CONFIG_DRIFT");
    expect(e.bucket).toBe("proof");
  });
});
