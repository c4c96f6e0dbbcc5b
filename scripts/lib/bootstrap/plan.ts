// The steps of each bootstrap mode, in order, and the mode guard's lists for the steps that are not
// pulumi calls (npm scripts and the Docker-side upgrade steps). Pure: the tests assert these.
import { BootstrapError, ErrorCode } from "../../../contracts/errors";
import { idempotencyArgv, previewArgv, refreshArgv, repairArgv, RunMode, stackExportArgv, upArgv } from "../pulumi-cli";

type StepKind = "pulumi" | "npm" | "docker";
export interface PlannedStep {
  step: string;
  kind: StepKind;
  argv: string[];
  /** Code for a failure no more specific code explains. */
  fallback?: ErrorCode;
}

export interface PlanOptions {
  targets?: string[];
  verifyIdempotency?: boolean;
  packConfig?: string;
  checkpointFile?: string;
  configFile?: string;
}

/** The steps of a mode, in order; pulumi argv exactly as the tests assert. */
export function planFor(mode: RunMode, stack: string, o: PlanOptions = {}): PlannedStep[] {
  const { targets = [], verifyIdempotency = false, packConfig, checkpointFile, configFile } = o;
  const stackFile = configFile ?? `Pulumi.${stack}.yaml`;
  const cfg = configFile ? ["--config-file", configFile] : [];
  const idem: PlannedStep[] = verifyIdempotency ? [{ step: "idempotency", kind: "pulumi", argv: idempotencyArgv(stack, packConfig, configFile), fallback: "E_PROOF_IDEMPOTENCY" }] : [];
  // `--policy-pack policy` loads the compiled pack (policy/bin): compile it from the sources first.
  const build: PlannedStep = { step: "policy-build", kind: "npm", argv: ["run", "-s", "policy:build"], fallback: "E_DEPS_POLICY_PACK_BUILD" };
  // P5: the state before `up`, kept under out/checkpoints/ (a first run has nothing to keep: best effort).
  const checkpoint: PlannedStep[] = checkpointFile ? [{ step: "checkpoint", kind: "pulumi", argv: stackExportArgv(stack, checkpointFile) }] : [];
  const up: PlannedStep = { step: "up", kind: "pulumi", argv: upArgv(stack, [], packConfig, configFile), fallback: "E_RUNTIME_DEPLOY_FAILED" };
  const verify: PlannedStep = { step: "verify", kind: "npm", argv: ["run", "-s", "verify", "--", "--stack", stack, ...cfg, "--json"] };
  switch (mode) {
    case "diagnose":
      return [
        { step: "lint", kind: "npm", argv: ["run", "-s", "config:lint", "--", stackFile, "--json"] },
        { step: "policy", kind: "npm", argv: ["run", "-s", "policy:check", "--", "--stack", stack, ...cfg, "--json"] },
        build,
        { step: "preview", kind: "pulumi", argv: previewArgv(stack, packConfig, configFile), fallback: "E_RUNTIME_DEPLOY_FAILED" },
        // Asking diagnose for an idempotency check asks it to run `up`: the guard refuses the plan.
        ...idem,
      ];
    case "apply":
      // snapshot: the data volumes of stateful services whose image changes, before `up` replaces them.
      return [build, ...checkpoint, { step: "snapshot", kind: "docker", argv: [], fallback: "E_RUNTIME_SNAPSHOT_FAILED" }, up, verify, ...idem];
    case "repair":
      return [build, ...checkpoint, { step: "up", kind: "pulumi", argv: repairArgv(stack, targets, packConfig, configFile), fallback: "E_RUNTIME_DEPLOY_FAILED" }, verify, ...idem];
    case "drift":
      return [{ step: "refresh", kind: "pulumi", argv: refreshArgv(stack, configFile), fallback: "E_PROOF_DRIFT" }, ...idem];
    case "rollback":
      // restore: previous pins into the stack file, snapshots back into the volumes; `up` recreates the containers.
      return [build, ...checkpoint, { step: "restore", kind: "docker", argv: [], fallback: "E_RUNTIME_RESTORE_FAILED" }, up, verify, ...idem];
  }
}

/** The other CLIs each mode may run (the npm half of the mode guard): all of them read only. */
export const ALLOWED_NPM_SCRIPTS: Record<RunMode, readonly string[]> = {
  // policy:build writes only policy/bin (the compiled pack), never the host or the stack.
  diagnose: ["config:lint", "policy:check", "policy:build"],
  apply: ["policy:build", "verify"],
  repair: ["policy:build", "verify"],
  drift: [],
  rollback: ["policy:build", "verify"],
};

/** The Docker-side steps each mode may take (they stop, archive and restore data volumes). */
export const ALLOWED_DOCKER_STEPS: Record<RunMode, readonly string[]> = {
  diagnose: [],
  apply: ["snapshot"],
  repair: [],
  drift: [],
  rollback: ["restore"],
};

export function guardNpmCall(mode: RunMode, argv: readonly string[]): void {
  const script = argv[0] === "run" ? argv.filter((a) => !a.startsWith("-"))[1] : undefined;
  if (!script || !ALLOWED_NPM_SCRIPTS[mode].includes(script)) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", `mode ${mode} does not run \`npm ${argv.join(" ")}\`; allowed: ${ALLOWED_NPM_SCRIPTS[mode].join(", ") || "none"}`, {
      details: { mode, argv: [...argv] },
    });
  }
}

export function guardDockerStep(mode: RunMode, step: string): void {
  if (!ALLOWED_DOCKER_STEPS[mode].includes(step)) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", `mode ${mode} does not take the ${step} step; allowed: ${ALLOWED_DOCKER_STEPS[mode].join(", ") || "none"}`, { details: { mode, step } });
  }
}

/** Guard any planned step by its kind (before anything runs, and again before each step). */
export function guardStep(mode: RunMode, p: PlannedStep, pulumiGuard: (mode: RunMode, argv: readonly string[]) => void): void {
  if (p.kind === "pulumi") pulumiGuard(mode, p.argv);
  else if (p.kind === "npm") guardNpmCall(mode, p.argv);
  else guardDockerStep(mode, p.step);
}
