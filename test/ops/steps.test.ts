// Reading the other CLIs' JSON reports (config:lint, policy:check, verify) into taxonomy records.
import { lintRecords, policyRecords, verifyRecords, desiredShasFromOutputs, digestsFromOutputs } from "../../scripts/lib/steps";

describe("verifyRecords (verify exit 0 green or warnings, 1 red, 3 could not run)", () => {
  const level = (l: string, status: string, extra: object = {}) => ({ level: l, status, durationMs: 1, findings: [], diagnostics: {}, ...extra });
  it("one error per finding of a red level, with the level's code; warnings separate", () => {
    const r = verifyRecords({ status: "red", levels: [
      level("L1", "red", { code: "E_PROOF_HEALTH", findings: ["grafana: 503", "loki: refused"] }),
      level("L4", "warn", { code: "E_PROOF_REDACTION_ABSENT", findings: ["no redaction stage"] }),
      level("L6", "red", { findings: ["group logging-bootstrap missing"] }),
      level("L7", "green"),
    ] }, 1, "");
    expect(r.errors.map((e) => [e.code, e.message, e.details?.level])).toEqual([
      ["E_PROOF_HEALTH", "L1: grafana: 503", "L1"],
      ["E_PROOF_HEALTH", "L1: loki: refused", "L1"],
      ["E_PROOF_RULES", "L6: group logging-bootstrap missing", "L6"],
    ]);
    expect(r.warnings.map((e) => e.code)).toEqual(["E_PROOF_REDACTION_ABSENT"]);
  });
  it("warnings only (exit 1) is not an error", () => {
    expect(verifyRecords({ status: "warn", levels: [level("L4", "warn", { code: "E_PROOF_REDACTION_ABSENT" })] }, 0, "").errors).toEqual([]);
  });
  it("could not run (exit 3): the report's error, or E_INTERNAL with stderr when there is no report", () => {
    expect(verifyRecords({ stack: "t", status: "error", error: { code: "E_ENV_DOCKER_UNREACHABLE", bucket: "env", message: "no engine" } }, 3, "").errors.map((e) => e.code)).toEqual(["E_ENV_DOCKER_UNREACHABLE"]);
    const none = verifyRecords(undefined, 3, "boom\n");
    expect(none.errors.map((e) => [e.code, e.message])).toEqual([["E_INTERNAL", "verify exited 3 without a JSON report: boom"]]);
  });
});

describe("lintRecords / policyRecords", () => {
  it("keeps the finding's key path and example patch", () => {
    const r = lintRecords({ ok: false, errors: [{ code: "E_CONFIG_INVALID_PORT", bucket: "config", path: "ports.loki", message: "80", examplePatch: "p" }], warnings: [] }, 1, "");
    expect(r.errors).toEqual([{ code: "E_CONFIG_INVALID_PORT", bucket: "config", message: "80", action: "Choose an unprivileged port between 1024 and 65535.", details: { source: "config:lint", path: "ports.loki", examplePatch: "p" } }]);
    expect(lintRecords("not json", 1, "trace").errors[0].code).toBe("E_INTERNAL");
  });
  it("maps mandatory violations to errors by policy, advisory ones to warnings", () => {
    const r = policyRecords({ violations: [
      { policy: "images-pinned", enforcementLevel: "mandatory", resource: "urn:x::logging-test-loki", message: "loki uses :latest" },
      { policy: "retention-enforced", enforcementLevel: "advisory", resource: "", message: "short" },
    ] }, 1, "");
    expect(r.errors.map((e) => [e.code, e.details?.resource])).toEqual([["E_CONFIG_IMAGE_UNPINNED", "urn:x::logging-test-loki"]]);
    expect(r.warnings.map((e) => e.code)).toEqual(["E_CONFIG_SCHEMA"]);
  });
});

describe("outputs -> evidence", () => {
  it("separates rendered SHAs from image digests", () => {
    const sha = "a".repeat(64);
    const o = { configShas: { loki: { "/etc/loki/config.yaml": sha } }, imageDigests: { loki: `grafana/loki@sha256:${sha}` }, images: { loki: { imageId: `sha256:${sha}` } }, url: "http://x" };
    expect(desiredShasFromOutputs(o)).toEqual({ "configShas.loki./etc/loki/config.yaml": sha });
    expect(digestsFromOutputs(o)).toEqual({ "imageDigests.loki": `grafana/loki@sha256:${sha}`, "images.loki.imageId": `sha256:${sha}` });
  });
});
