// L8's drift key in a proof's state: kept for refresh (the engine encrypts it: its input was a
// secret), never part of the proof's id or diff.
import { desired, proofDiff, proofId, proofOutputs } from "../../components/verify/runtime";

describe("L8 drift key in proof state", () => {
  const props = { __provider: "exports.handler=...", project: "p", containers: [], timeoutMs: 1, driftKey: "K".repeat(64), secretDigests: { grafana: { "/etc/grafana/secrets/admin_password": "ab".repeat(32) } } };

  test("outputs keep the key (refresh re-proves the secret files with it); desired() does not", () => {
    const o = proofOutputs("L8", props, { status: "green", findings: [] });
    expect(o.driftKey).toBe(props.driftKey);
    expect(desired(props)).not.toHaveProperty("driftKey");
    expect(desired(props).secretDigests).toEqual(props.secretDigests);
  });
  test("the id and the diff ignore the key; a changed keyed hash is a change", () => {
    expect(proofId("L8", props)).toBe(proofId("L8", { ...props, driftKey: "other" }));
    const outs = proofOutputs("L8", props, { status: "green", findings: [] });
    expect(proofDiff(outs, { ...props, driftKey: "other" }).changes).toBe(false);
    expect(proofDiff(outs, { ...props, secretDigests: { grafana: { "/etc/grafana/secrets/admin_password": "cd".repeat(32) } } }).changes).toBe(true);
  });
  test("no key in the inputs, none in the outputs", () => {
    const { driftKey: _k, ...rest } = props;
    void _k;
    expect(proofOutputs("L8", rest, { status: "warn", findings: ["x"] })).not.toHaveProperty("driftKey");
  });
});
