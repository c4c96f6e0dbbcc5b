// The mode guard (P16) and the exact Pulumi operations and options of each mode's plan, as pure functions.
import { BootstrapError } from "../../contracts/errors";
import { ALLOWED_OPS, guardedOps, guardOp, OpName, StackOps } from "../../scripts/lib/pulumi/stack-ops";
import { guardDockerStep, guardNpmCall, guardStep, isContainerUrn, MODES, planFor } from "../../scripts/lib/bootstrap/plan";
import { fakeOps } from "./fake-ops";

function refusal(fn: () => unknown): BootstrapError {
  try {
    fn();
  } catch (err) {
    return err as BootstrapError;
  }
  throw new Error("expected a refusal");
}

const PACK = { policyPacks: ["policy"] };
const pulumiSteps = (mode: (typeof MODES)[number], o = {}) => planFor(mode, "test", o).filter((p) => p.kind === "pulumi").map((p) => [p.step, p.op, p.opts]);

describe("Pulumi operations per mode", () => {
  it("diagnose previews with the policy pack; apply checkpoints, then up; drift refreshes expecting no changes", () => {
    expect(pulumiSteps("diagnose")).toEqual([["preview", "preview", PACK]]);
    expect(pulumiSteps("apply", { checkpointFile: "/o/c.json", verifyIdempotency: true })).toEqual([
      ["checkpoint", "export", {}],
      ["up", "up", PACK],
      ["idempotency", "up", { ...PACK, expectNoChanges: true }],
    ]);
    expect(pulumiSteps("drift")).toEqual([["refresh", "refresh", { expectNoChanges: true }]]);
    expect(pulumiSteps("destroy", { checkpointFile: "/o/c.json" })).toEqual([["checkpoint", "export", {}], ["destroy", "destroy", { excludeProtected: true }]]);
    expect(pulumiSteps("backup")).toEqual([]);
    expect(pulumiSteps("restore")).toEqual([]);
  });
  it("repair targets the named resources; a container is replaced too (target + replace: a rebuild from the rendered files)", () => {
    const c = "urn:pulumi:prod::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$logging-bootstrap:services:Loki$docker:index/container:Container::p-loki";
    expect(isContainerUrn(c)).toBe(true);
    expect(isContainerUrn("urn:pulumi:prod::logging-bootstrap::docker:index/volume:Volume::p-loki-data")).toBe(false);
    const up = planFor("repair", "prod", { targets: [c, "urn:a"], packConfig: "policy/config/prod.json", configFile: "/tmp/Pulumi.prod.yaml" }).find((p) => p.step === "up")!;
    expect(up.opts).toEqual({ configFile: "/tmp/Pulumi.prod.yaml", policyPacks: ["policy"], policyPackConfigs: ["policy/config/prod.json"], target: [c, "urn:a"], replace: [c], targetDependents: true });
  });
  it("plans the steps of each mode in order", () => {
    expect(planFor("diagnose", "test").map((p) => p.step)).toEqual(["lint", "policy", "policy-build", "preview"]);
    expect(planFor("apply", "test", { verifyIdempotency: true }).map((p) => p.step)).toEqual(["policy-build", "snapshot", "up", "verify", "idempotency"]);
    expect(planFor("repair", "test", { targets: ["urn:x"] }).map((p) => p.step)).toEqual(["policy-build", "up", "verify"]);
    expect(planFor("drift", "test").map((p) => p.step)).toEqual(["refresh"]);
    expect(planFor("rollback", "test", { checkpointFile: "/o/c.json" }).map((p) => p.step)).toEqual(["policy-build", "checkpoint", "restore", "up", "verify"]);
    expect(planFor("destroy", "test", { checkpointFile: "/o/c.json" }).map((p) => p.step)).toEqual(["checkpoint", "destroy"]);
    expect(planFor("destroy", "test", { checkpointFile: "/o/c.json", deleteData: true }).map((p) => p.step)).toEqual(["checkpoint", "destroy", "delete-data"]);
    expect(planFor("backup", "test").map((p) => p.step)).toEqual(["backup"]);
    expect(planFor("restore", "test").map((p) => p.step)).toEqual(["restore-data", "verify"]);
    expect(planFor("diagnose", "test")[0].argv).toEqual(["run", "-s", "config:lint", "--", "Pulumi.test.yaml", "--json"]);
    expect(planFor("diagnose", "test", { configFile: "/t/P.yaml" })[1].argv).toEqual(["run", "-s", "policy:check", "--", "--stack", "test", "--config-file", "/t/P.yaml", "--json"]);
    expect(planFor("apply", "test")[3].argv).toEqual(["run", "-s", "verify", "--", "--stack", "test", "--json"]);
    // rollback applies the restored pins with a plain up, like apply; the pack config reaches preview and up
    expect(planFor("rollback", "test").find((p) => p.step === "up")!.opts).toEqual(planFor("apply", "test").find((p) => p.step === "up")!.opts);
    const prod = planFor("apply", "prod", { verifyIdempotency: true, packConfig: "policy/config/prod.json" }).filter((p) => p.op === "up");
    expect(prod.every((p) => p.opts!.policyPackConfigs![0] === "policy/config/prod.json")).toBe(true);
  });
});

describe("mode guard", () => {
  it.each([
    ["diagnose", "up"],
    ["diagnose", "refresh"],
    ["diagnose", "destroy"],
    ["diagnose", "export"],
    ["apply", "destroy"],
    ["apply", "refresh"],
    ["drift", "up"],
    ["repair", "destroy"],
    ["rollback", "destroy"],
    ["rollback", "refresh"],
    ["destroy", "up"],
    ["backup", "up"],
    ["backup", "destroy"],
    ["restore", "up"],
    ["evidence", "up"],
    ["evidence", "export"],
    ["password", "up"],
  ] as const)("refuses %s: pulumi %s with E_ENV_MODE_VIOLATION", (mode, op) => {
    const e = refusal(() => guardOp(mode, op, { target: ["urn:x"], expectNoChanges: true }));
    expect([e.code, e.bucket]).toEqual(["E_ENV_MODE_VIOLATION", "env"]);
  });
  it("refuses an idempotency up outside apply, repair and rollback", () => {
    for (const mode of ["diagnose", "drift", "destroy", "backup", "restore"] as const) {
      const idem = planFor(mode, "t", { verifyIdempotency: true }).find((p) => p.step === "idempotency");
      if (idem) expect(refusal(() => guardStep(mode, idem)).code).toBe("E_ENV_MODE_VIOLATION");
    }
  });
  it("allows exactly the read-only set in diagnose", () => {
    expect([...ALLOWED_OPS.diagnose].sort()).toEqual(["config", "outputs", "preview"]);
    expect(() => guardOp("diagnose", "preview")).not.toThrow();
  });
  it("refuses repair without targets and a refresh that does not expect no changes", () => {
    expect(refusal(() => guardOp("repair", "up", {})).message).toMatch(/--target/);
    expect(() => guardOp("repair", "up", { target: ["urn:x"] })).not.toThrow();
    expect(refusal(() => guardOp("drift", "refresh", {})).code).toBe("E_ENV_MODE_VIOLATION");
    expect(() => guardOp("drift", "refresh", { expectNoChanges: true })).not.toThrow();
  });
  it("guardedOps passes every call through the guard before it reaches the operations", async () => {
    const calls: string[] = [];
    const inner = fakeOps("test", {});
    const spy = Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, typeof v === "function" ? (...a: unknown[]) => (calls.push(k), (v as (...x: unknown[]) => unknown)(...a)) : v])) as unknown as StackOps;
    const ops = guardedOps("diagnose", spy);
    await ops.preview({});
    await expect(ops.up({})).rejects.toMatchObject({ code: "E_ENV_MODE_VIOLATION" });
    await expect(ops.destroy({})).rejects.toMatchObject({ code: "E_ENV_MODE_VIOLATION" });
    await expect(ops.exportState()).rejects.toMatchObject({ code: "E_ENV_MODE_VIOLATION" });
    expect(calls).toEqual(["preview"]);
  });
});

describe("npm and Docker halves of the mode guard", () => {
  it("lets each mode run only its own read-only CLIs", () => {
    expect(() => guardNpmCall("diagnose", ["run", "-s", "config:lint", "--", "Pulumi.test.yaml", "--json"])).not.toThrow();
    expect(() => guardNpmCall("apply", ["run", "-s", "verify", "--", "--stack", "test", "--json"])).not.toThrow();
    expect(refusal(() => guardNpmCall("diagnose", ["run", "-s", "secrets:export", "--", "--stack", "test"])).code).toBe("E_ENV_MODE_VIOLATION");
    expect(refusal(() => guardNpmCall("drift", ["run", "-s", "verify"])).code).toBe("E_ENV_MODE_VIOLATION");
    expect(refusal(() => guardNpmCall("destroy", ["run", "-s", "verify"])).code).toBe("E_ENV_MODE_VIOLATION");
    expect(refusal(() => guardNpmCall("apply", ["install"])).code).toBe("E_ENV_MODE_VIOLATION");
    for (const mode of MODES) {
      for (const p of planFor(mode, "test", { targets: ["urn:x"], checkpointFile: "/o/c.json", deleteData: true })) expect(() => guardStep(mode, p)).not.toThrow();
    }
  });
  it("lets each mode take only its own data steps", () => {
    const allowed: Array<[(typeof MODES)[number], string]> = [["apply", "snapshot"], ["rollback", "restore"], ["destroy", "delete-data"], ["backup", "backup"], ["restore", "restore-data"]];
    for (const [mode, step] of allowed) expect(() => guardDockerStep(mode, step)).not.toThrow();
    for (const mode of MODES) {
      for (const step of ["snapshot", "restore", "delete-data", "backup", "restore-data"]) {
        if (allowed.some(([m, s]) => m === mode && s === step)) continue;
        expect([mode, step, refusal(() => guardDockerStep(mode, step)).code]).toEqual([mode, step, "E_ENV_MODE_VIOLATION"]);
      }
    }
  });
  it("every operation a plan holds is one its mode allows (an idempotency up only where up runs anyway)", () => {
    for (const mode of MODES) {
      for (const p of planFor(mode, "t", { targets: ["urn:x"], checkpointFile: "/c", verifyIdempotency: ["apply", "repair", "rollback"].includes(mode) })) {
        if (p.kind === "pulumi") expect(ALLOWED_OPS[mode]).toContain(p.op as OpName);
      }
    }
  });
});
