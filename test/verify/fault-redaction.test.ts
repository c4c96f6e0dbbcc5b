// The fault matrix's redaction fault: the running Alloy is given a config whose stage.replace
// stages put back what they capture, so the pipeline stops redacting (L3 red with
// E_PROOF_REDACTION_FAILED), and the matrix judges a fault by its own expected code.
import type { ErrorCode } from "../../contracts/errors";
import type { Level, ProofResult } from "../../components/verify/types";
import { renderAlloyConfig } from "../../components/render/alloy";
import { faults, unredactingAlloyConfig } from "../tools/faults/catalog";
import { runMatrix } from "../tools/faults/matrix";
import type { FaultContext } from "../tools/faults/support";
import { stackConfig } from "../util/mocks";

/* eslint-disable @typescript-eslint/no-require-imports */
const alloyCfg = require("../env/doubles/alloy/config.js");

test("the unredacting config still parses and runs its stages, and the double then ships every canary as written", () => {
  const cfg = stackConfig("test");
  const run = (text: string, line: string) => {
    const c = alloyCfg.extract(alloyCfg.parse(text));
    return alloyCfg.processLine(line, { job: "logs" }, c.stages, c.externalLabels).line;
  };
  const canaries = cfg.alloy.redactions.map((r) => r.canary!);
  expect(canaries).toHaveLength(2);
  for (const canary of canaries) {
    expect(run(renderAlloyConfig(cfg), canary)).not.toBe(canary);
    expect(run(unredactingAlloyConfig(cfg), canary)).toBe(canary);
  }
  // Only the replacements differ: the same components and expressions run.
  expect(unredactingAlloyConfig(cfg).split("\n").filter((l) => !l.includes("replace "))).toEqual(renderAlloyConfig(cfg).split("\n").filter((l) => !l.includes("replace ")));
});

test("the catalog's redaction fault is an L3 fault expecting E_PROOF_REDACTION_FAILED", () => {
  expect(faults().filter((f) => f.expectedCode === "E_PROOF_REDACTION_FAILED").map((f) => f.level)).toEqual(["L3"]);
});

describe("runMatrix judges a fault by its own expected code", () => {
  const healthy = { getContainer: () => ({ inspect: async () => ({ State: { Running: true, Status: "running", Health: { Status: "healthy" } } }) }) };
  const ctx = { docker: healthy, envFile: "/x/testenv.json", env: { services: { loki: { container: "p-loki" } } }, log: () => undefined } as unknown as FaultContext;
  const result = (level: Level, status: "green" | "red", code?: ErrorCode): ProofResult => ({ level, status, ...(code ? { code } : {}), durationMs: 1, findings: status === "red" ? ["broken"] : [], diagnostics: {} });
  const limits = { baseline: 1, red: 1, green: 1 };
  async function outcome(underFault: ProofResult) {
    let faulted = false;
    const fault = { level: "L3" as Level, title: "t", expectedCode: "E_PROOF_REDACTION_FAILED" as ErrorCode, inject: async () => void (faulted = true), restore: async () => void (faulted = false) };
    const [o] = await runMatrix(ctx, {}, ["L3"], { faults: [fault], run: async () => (faulted ? underFault : result("L3", "green")), limits });
    return o;
  }
  test("red with the fault's code, green after restore: pass", async () => {
    expect(await outcome(result("L3", "red", "E_PROOF_REDACTION_FAILED"))).toMatchObject({ pass: true, expectedCode: "E_PROOF_REDACTION_FAILED" });
  });
  test("red with the level's default code instead: fail", async () => {
    expect(await outcome(result("L3", "red", "E_PROOF_INGESTION_TIMEOUT"))).toMatchObject({ pass: false, expectedCode: "E_PROOF_REDACTION_FAILED" });
  });
});
