// The mode guard (P16) and the exact pulumi argv per mode (P17), as pure functions.
import { BootstrapError } from "../../contracts/errors";
import {
  ALLOWED_SUBCOMMANDS,
  classifyPulumiFailure,
  guardPulumiCall,
  idempotencyArgv,
  isContainerUrn,
  MODES,
  previewArgv,
  refreshArgv,
  repairArgv,
  subcommandOf,
  upArgv,
} from "../../scripts/lib/pulumi-cli";
import { guardDockerStep, guardNpmCall, guardStep, planFor } from "../../scripts/lib/bootstrap/plan";

function refusal(fn: () => void): BootstrapError {
  try {
    fn();
  } catch (err) {
    return err as BootstrapError;
  }
  throw new Error("expected a refusal");
}

describe("pulumi argv per mode", () => {
  it("diagnose previews with the policy pack, non-interactively", () => {
    expect(previewArgv("test")).toEqual(["preview", "--stack", "test", "--non-interactive", "--policy-pack", "policy"]);
  });
  it("apply is up --yes --non-interactive --policy-pack policy", () => {
    expect(upArgv("test")).toEqual(["up", "--stack", "test", "--yes", "--non-interactive", "--policy-pack", "policy"]);
  });
  it("repair adds one --target per URN, --target-replace for a container", () => {
    expect(upArgv("prod", ["urn:a", "urn:b"])).toEqual(["up", "--stack", "prod", "--yes", "--non-interactive", "--policy-pack", "policy", "--target", "urn:a", "--target", "urn:b"]);
    const c = "urn:pulumi:prod::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$logging-bootstrap:services:Loki$docker:index/container:Container::p-loki";
    expect(isContainerUrn(c)).toBe(true);
    expect(isContainerUrn("urn:pulumi:prod::logging-bootstrap::docker:index/volume:Volume::p-loki-data")).toBe(false);
    expect(repairArgv("prod", [c, "urn:a"], "policy/config/prod.json", "/tmp/Pulumi.prod.yaml")).toEqual([
      "up", "--stack", "prod", "--yes", "--non-interactive", "--config-file", "/tmp/Pulumi.prod.yaml", "--policy-pack", "policy", "--policy-pack-config", "policy/config/prod.json",
      "--target-dependents", "--target-replace", c, "--target", "urn:a",
    ]);
    expect(() => guardPulumiCall("repair", repairArgv("prod", [c]))).not.toThrow();
  });
  it("drift and idempotency expect no changes", () => {
    expect(refreshArgv("test")).toEqual(["refresh", "--stack", "test", "--preview-only", "--non-interactive", "--expect-no-changes"]);
    expect(idempotencyArgv("test")).toEqual(["up", "--stack", "test", "--yes", "--non-interactive", "--policy-pack", "policy", "--expect-no-changes"]);
  });
  it("plans the steps of each mode in order", () => {
    expect(planFor("diagnose", "test").map((p) => p.step)).toEqual(["lint", "policy", "policy-build", "preview"]);
    expect(planFor("apply", "test", { verifyIdempotency: true }).map((p) => p.step)).toEqual(["policy-build", "snapshot", "up", "verify", "idempotency"]);
    expect(planFor("repair", "test", { targets: ["urn:x"] }).map((p) => p.step)).toEqual(["policy-build", "up", "verify"]);
    expect(planFor("drift", "test").map((p) => p.step)).toEqual(["refresh"]);
    expect(planFor("rollback", "test", { checkpointFile: "/o/c.json" }).map((p) => p.step)).toEqual(["policy-build", "checkpoint", "restore", "up", "verify"]);
    expect(planFor("apply", "test", { checkpointFile: "/o/c.json" }).map((p) => p.step)).toEqual(["policy-build", "checkpoint", "snapshot", "up", "verify"]);
    expect(planFor("diagnose", "test")[0].argv).toEqual(["run", "-s", "config:lint", "--", "Pulumi.test.yaml", "--json"]);
    expect(planFor("diagnose", "test")[1].argv).toEqual(["run", "-s", "policy:check", "--", "--stack", "test", "--json"]);
    expect(planFor("apply", "test")[0].argv).toEqual(["run", "-s", "policy:build"]);
    expect(planFor("apply", "test")[3].argv).toEqual(["run", "-s", "verify", "--", "--stack", "test", "--json"]);
    // rollback applies the restored pins with a plain up, like apply
    expect(planFor("rollback", "test").find((p) => p.step === "up")!.argv).toEqual(upArgv("test"));
    // the stack's policy config reaches preview and up
    expect(planFor("diagnose", "prod", { packConfig: "policy/config/prod.json" })[3].argv).toEqual(["preview", "--stack", "prod", "--non-interactive", "--policy-pack", "policy", "--policy-pack-config", "policy/config/prod.json"]);
    expect(planFor("apply", "prod", { verifyIdempotency: true, packConfig: "policy/config/prod.json" }).filter((p) => p.kind === "pulumi").every((p) => p.argv.includes("--policy-pack-config"))).toBe(true);
  });
});

describe("mode guard", () => {
  it("names subcommands of one or two words", () => {
    expect(subcommandOf(["stack", "output", "--json"])).toBe("stack output");
    expect(subcommandOf(["config", "--json"])).toBe("config");
    expect(subcommandOf(["config", "get", "k"])).toBe("config get");
    expect(subcommandOf(["up", "--yes"])).toBe("up");
  });
  it.each([
    ["diagnose", upArgv("test")],
    ["diagnose", refreshArgv("test")],
    ["diagnose", ["destroy", "--yes", "--non-interactive"]],
    ["diagnose", ["config", "set", "k", "v", "--non-interactive"]],
    ["diagnose", ["stack", "rm", "--yes", "--non-interactive"]],
    ["diagnose", ["state", "delete", "urn", "--non-interactive"]],
    ["apply", ["destroy", "--yes", "--non-interactive"]],
    ["apply", refreshArgv("test")],
    ["drift", upArgv("test")],
    ["repair", ["destroy", "--yes", "--non-interactive"]],
    ["rollback", ["destroy", "--yes", "--non-interactive"]],
    ["rollback", refreshArgv("test")],
    ["evidence", upArgv("test")],
  ] as const)("refuses %s: pulumi %s with E_ENV_MODE_VIOLATION", (mode, argv) => {
    const e = refusal(() => guardPulumiCall(mode, argv));
    expect(e.code).toBe("E_ENV_MODE_VIOLATION");
    expect(e.bucket).toBe("env");
  });
  it("allows exactly the read-only set in diagnose", () => {
    expect([...ALLOWED_SUBCOMMANDS.diagnose].sort()).toEqual(["config", "config get", "preview", "stack output", "version"]);
    expect(refusal(() => guardPulumiCall("diagnose", ["stack", "import", "--non-interactive"])).code).toBe("E_ENV_MODE_VIOLATION");
    expect(() => guardPulumiCall("diagnose", previewArgv("test"))).not.toThrow();
  });
  it("allows up in apply, targeted up in repair, refresh --expect-no-changes in drift", () => {
    expect(() => guardPulumiCall("apply", upArgv("test"))).not.toThrow();
    expect(() => guardPulumiCall("apply", idempotencyArgv("test"))).not.toThrow();
    expect(() => guardPulumiCall("repair", upArgv("test", ["urn:x"]))).not.toThrow();
    expect(() => guardPulumiCall("drift", refreshArgv("test"))).not.toThrow();
  });
  it("refuses repair without targets and refresh without --expect-no-changes", () => {
    expect(refusal(() => guardPulumiCall("repair", upArgv("test"))).message).toMatch(/--target/);
    expect(refusal(() => guardPulumiCall("drift", ["refresh", "--yes", "--non-interactive"])).code).toBe("E_ENV_MODE_VIOLATION");
    // a refresh that would write drift into state is refused too: drift detection is read-only
    expect(refusal(() => guardPulumiCall("drift", ["refresh", "--yes", "--non-interactive", "--expect-no-changes"])).code).toBe("E_ENV_MODE_VIOLATION");
  });
  it("refuses any call without --non-interactive (E_ENV_INTERACTIVE)", () => {
    expect(refusal(() => guardPulumiCall("apply", ["up", "--yes", "--stack", "test"])).code).toBe("E_ENV_INTERACTIVE");
  });
});

describe("npm half of the mode guard", () => {
  it("lets each mode run only its own read-only CLIs", () => {
    expect(() => guardNpmCall("diagnose", ["run", "-s", "config:lint", "--", "Pulumi.test.yaml", "--json"])).not.toThrow();
    expect(() => guardNpmCall("apply", ["run", "-s", "verify", "--", "--stack", "test", "--json"])).not.toThrow();
    expect(refusal(() => guardNpmCall("diagnose", ["run", "-s", "secrets:export", "--", "--stack", "test"])).code).toBe("E_ENV_MODE_VIOLATION");
    expect(refusal(() => guardNpmCall("drift", ["run", "-s", "verify"])).code).toBe("E_ENV_MODE_VIOLATION");
    expect(refusal(() => guardNpmCall("apply", ["install"])).code).toBe("E_ENV_MODE_VIOLATION");
    for (const mode of MODES) {
      for (const p of planFor(mode, "test", { targets: ["urn:x"] })) expect(() => guardStep(mode, p, guardPulumiCall)).not.toThrow();
    }
  });
  it("lets only apply snapshot and only rollback restore data volumes", () => {
    expect(() => guardDockerStep("apply", "snapshot")).not.toThrow();
    expect(() => guardDockerStep("rollback", "restore")).not.toThrow();
    for (const [mode, step] of [["diagnose", "snapshot"], ["drift", "restore"], ["repair", "snapshot"], ["apply", "restore"], ["rollback", "snapshot"]] as const) {
      expect(refusal(() => guardDockerStep(mode, step)).code).toBe("E_ENV_MODE_VIOLATION");
    }
  });
});

describe("classifyPulumiFailure", () => {
  it("takes the resource from the line above the error and a known message's code", () => {
    const e = classifyPulumiFailure("up", { code: 255, stderr: "", stdout: "Updating (test):\n  docker:index/container:Container (logging-test-loki):\n    error: Bind for 127.0.0.1:9102 failed: port is already allocated\n" }, "E_RUNTIME_DEPLOY_FAILED");
    expect(e.code).toBe("E_RUNTIME_PORT_CONFLICT");
    expect(e.details).toMatchObject({ resource: "logging-test-loki", resourceType: "docker:index/container:Container", exitCode: 255 });
  });
  it("prefers a taxonomy code the program printed, else the step's fallback", () => {
    expect(classifyPulumiFailure("up", { code: 1, stdout: "error: E_CONFIG_INVALID_PORT: ports.grafana 80", stderr: "" }, "E_RUNTIME_DEPLOY_FAILED").code).toBe("E_CONFIG_INVALID_PORT");
    // Drift and idempotency only on Pulumi's own "changes found" message (each CLI wording).
    for (const msg of ["error: no changes were expected but changes occurred", "error: no changes were expected but changes were proposed", "error: no changes were expected for refresh but changes were proposed"]) {
      const e = classifyPulumiFailure("refresh", { code: 255, stdout: "", stderr: msg }, "E_PROOF_DRIFT");
      expect([e.code, e.details?.changesFound]).toEqual(["E_PROOF_DRIFT", true]);
      expect(classifyPulumiFailure("idempotency", { code: 255, stdout: "", stderr: msg }, "E_PROOF_IDEMPOTENCY").code).toBe("E_PROOF_IDEMPOTENCY");
    }
    // Any other failure of those steps is not a drift.
    const locked = classifyPulumiFailure("refresh", { code: 255, stdout: "", stderr: "error: the stack is currently locked by 1 lock(s)" }, "E_PROOF_DRIFT");
    expect([locked.code, locked.details?.changesFound, locked.message]).toEqual(["E_RUNTIME_DEPLOY_FAILED", undefined, "pulumi refresh exited with 255: error: the stack is currently locked by 1 lock(s)"]);
    expect(classifyPulumiFailure("refresh", { code: 255, stdout: "", stderr: "error: no changes were expected" }, "E_PROOF_DRIFT").code).toBe("E_RUNTIME_DEPLOY_FAILED");
    expect(classifyPulumiFailure("refresh", { code: 255, stdout: "", stderr: "error during connect: docker.sock" }, "E_PROOF_DRIFT").code).toBe("E_ENV_DOCKER_UNREACHABLE");
    expect(classifyPulumiFailure("up", { code: 1, stdout: "", stderr: "E_NOT_A_CODE_AT_ALL" }, "E_RUNTIME_DEPLOY_FAILED").code).toBe("E_RUNTIME_DEPLOY_FAILED");
  });

  it("never takes its code from a warning: the config warnings print codes on every run", () => {
    const out = [
      "Diagnostics:",
      "  pulumi:pulumi:Stack (logging-bootstrap-testenv):",
      "    warning: stack config: 1 warning(s): E_CONFIG_IMAGE_NO_DIGEST at images.grafana",
      "  docker:index/container:Container (logging-testenv-loki):",
      "    error: Bind for 127.0.0.1:3100 failed: port is already allocated",
    ].join("\n");
    const e = classifyPulumiFailure("up", { code: 255, stdout: out, stderr: "" }, "E_RUNTIME_DEPLOY_FAILED");
    expect(e.code).toBe("E_RUNTIME_PORT_CONFLICT");
    expect(e.message).toContain("port is already allocated");
    const other = classifyPulumiFailure("up", { code: 255, stdout: out.replace(/port is already allocated/, "unexpected EOF"), stderr: "" }, "E_RUNTIME_DEPLOY_FAILED");
    expect(other.code).toBe("E_RUNTIME_DEPLOY_FAILED");
  });
});
