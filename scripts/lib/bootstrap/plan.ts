// The steps of each bootstrap mode, in order, and the mode guard's lists for the steps that are not
// Pulumi operations (npm scripts and the Docker-side data steps). Pure: the tests assert these.
import { BootstrapError, ErrorCode } from "../../../contracts/errors";
import { guardOp, OpName, OpOptions } from "../pulumi/stack-ops";

export const MODES = ["diagnose", "apply", "repair", "drift", "rollback", "destroy", "backup", "restore"] as const;
export type RunMode = (typeof MODES)[number];

/** Modes that change the host or the state, hence hold out/.bootstrap.lock (P18). Drift reads only but refreshes through the engine. */
export const LOCKED_MODES: readonly RunMode[] = ["apply", "repair", "drift", "rollback", "destroy", "backup", "restore"];

type StepKind = "pulumi" | "npm" | "docker";
export interface PlannedStep {
  step: string;
  kind: StepKind;
  /** pulumi: the operation and its options. */
  op?: OpName;
  opts?: OpOptions;
  /** npm: the argv after `npm`. */
  argv: string[];
  /** checkpoint: where the state export goes. */
  file?: string;
  /** Code for a failure no more specific code explains. */
  fallback?: ErrorCode;
  /** up with continueOnError: the fleet's non-central hosts, named when their resources fail. */
  hosts?: string[];
  /**
   * --host: the operation is limited to these hosts' resources, read from the state when the step
   * runs (run-step.ts): their URNs become the targets (repair: the containers among them rebuilt).
   */
  hostScope?: string[];
  /**
   * Starts and runs beside the steps after it (the run waits for it before it ends): a read-only
   * step nothing after it needs (diagnose's lint and offline policy check beside the preview).
   */
  concurrent?: boolean;
}

export interface PlanOptions {
  targets?: string[];
  verifyIdempotency?: boolean;
  /** policy/config/<stack>.json when it exists (relative to the project). */
  packConfig?: string;
  checkpointFile?: string;
  /** --config-file (absolute) when the stack file is not Pulumi.<stack>.yaml. */
  configFile?: string;
  /** destroy --delete-data (confirmed). */
  deleteData?: boolean;
  /** The stack file's non-central hosts: `up` goes on past the ones it cannot reach and names them. */
  remoteHosts?: string[];
  /** --host: drift and repair limited to these hosts' resources. */
  hostScope?: string[];
}

/** The policy pack every preview and up runs (compiled into policy/bin by policy:build first). */
export const POLICY_PACK = "policy";

/** The per-stack policy config (enforcement levels, exposure-explicit.lanExposed), relative to the project root. */
export function policyPackConfigFile(stack: string): string {
  return `policy/config/${stack}.json`;
}

/** A Docker container's URN: `...$docker:index/container:Container::<name>`. */
export function isContainerUrn(urn: string): boolean {
  return /[$:]docker:index\/container:Container::[^:]+$/.test(urn);
}

/** The steps of a mode, in order. */
export function planFor(mode: RunMode, stack: string, o: PlanOptions = {}): PlannedStep[] {
  const { targets = [], verifyIdempotency = false, packConfig, checkpointFile, configFile } = o;
  const stackFile = configFile ?? `Pulumi.${stack}.yaml`;
  const cfgArgv = configFile ? ["--config-file", configFile] : [];
  const cfg: OpOptions = configFile ? { configFile } : {};
  // Without the stack's pack config the pack runs on its defaults (e.g. lanExposed=false, which
  // would block the prod stack's deliberate LAN exposure): pass it whenever it exists.
  const pack: OpOptions = { policyPacks: [POLICY_PACK], ...(packConfig ? { policyPackConfigs: [packConfig] } : {}) };
  const pulumi = (step: string, op: OpName, opts: OpOptions, fallback?: ErrorCode): PlannedStep => ({ step, kind: "pulumi", op, opts, argv: [], ...(fallback ? { fallback } : {}) });
  const docker = (step: string, fallback: ErrorCode): PlannedStep => ({ step, kind: "docker", argv: [], fallback });
  // Only where up runs anyway; any other mode asking for it is refused by the guard (plan-wide, before anything runs).
  const idem: PlannedStep[] = verifyIdempotency ? [pulumi("idempotency", "up", { ...cfg, ...pack, expectNoChanges: true }, "E_PROOF_IDEMPOTENCY")] : [];
  const build: PlannedStep = { step: "policy-build", kind: "npm", argv: ["run", "-s", "policy:build"], fallback: "E_DEPS_POLICY_PACK_BUILD" };
  // P5: the state before anything changes it, under out/checkpoints/ (a first run has none: best effort).
  const checkpoint: PlannedStep[] = checkpointFile ? [{ ...pulumi("checkpoint", "export", {}), file: checkpointFile }] : [];
  // A fleet: one host that cannot be reached does not stop the others' changes (Pulumi's
  // continue-on-error); the run names that host (run-step.ts, pulumi/fleet.ts).
  const fleet = o.remoteHosts?.length ? o.remoteHosts : undefined;
  const cont: OpOptions = fleet ? { continueOnError: true } : {};
  const fleetUp = (p: PlannedStep): PlannedStep => (fleet ? { ...p, hosts: fleet } : p);
  const up = fleetUp(pulumi("up", "up", { ...cfg, ...pack, ...cont }, "E_RUNTIME_DEPLOY_FAILED"));
  const scoped = (p: PlannedStep): PlannedStep => (o.hostScope?.length ? { ...p, hostScope: o.hostScope } : p);
  const verify: PlannedStep = { step: "verify", kind: "npm", argv: ["run", "-s", "verify", "--", "--stack", stack, ...cfgArgv, "--json"] };
  switch (mode) {
    case "diagnose":
      return [
        // Lint and the offline policy check read only the stack file and the program: they run
        // beside the build and the preview (diagnose reports every step, whatever the others say).
        { step: "lint", kind: "npm", argv: ["run", "-s", "config:lint", "--", stackFile, "--json"], concurrent: true },
        // policy:check finds policy/config/<stack>.json itself; any other pack config is named.
        { step: "policy", kind: "npm", argv: ["run", "-s", "policy:check", "--", "--stack", stack, ...cfgArgv, ...(packConfig && packConfig !== policyPackConfigFile(stack) ? ["--policy-config", packConfig] : []), "--json"], concurrent: true },
        build,
        pulumi("preview", "preview", { ...cfg, ...pack }, "E_RUNTIME_DEPLOY_FAILED"),
        // Asking diagnose for an idempotency check asks it to run `up`: the guard refuses the plan.
        ...idem,
      ];
    case "apply":
      // snapshot: the data volumes of stateful services whose image changes, before `up` replaces them.
      return [build, ...checkpoint, docker("snapshot", "E_RUNTIME_SNAPSHOT_FAILED"), up, verify, ...idem];
    case "repair":
      // A named container is rebuilt (target + replace): the provider cannot read back files
      // uploaded into it, so an edited config file is only undone by a new container from the
      // rendered files; its data volume is kept. targetDependents re-runs the proofs on it.
      return [
        build,
        ...checkpoint,
        scoped(fleetUp(pulumi("up", "up", { ...cfg, ...pack, ...cont, target: targets, replace: targets.filter(isContainerUrn), targetDependents: true }, "E_RUNTIME_DEPLOY_FAILED"))),
        verify,
        ...idem,
      ];
    case "drift":
      // A preview-only refresh: differences are reported, never written into state, so a drifted
      // stack stays drifted in state too and the next up (or a targeted repair) restores it.
      return [scoped(pulumi("refresh", "refresh", { ...cfg, expectNoChanges: true }, "E_PROOF_DRIFT")), ...idem];
    case "rollback":
      // restore: previous pins into the stack file, snapshots back into the volumes; `up` recreates the containers.
      return [build, ...checkpoint, docker("restore", "E_RUNTIME_RESTORE_FAILED"), up, verify, ...idem];
    case "destroy":
      // Protected resources (prod's data volumes) stay, with their state; every data volume is
      // retainOnDelete, so destroy keeps the data unless delete-data (confirmed) removes it after.
      return [
        ...checkpoint,
        pulumi("destroy", "destroy", { ...cfg, excludeProtected: true }, "E_RUNTIME_DESTROY_FAILED"),
        ...(o.deleteData ? [docker("delete-data", "E_RUNTIME_DESTROY_FAILED")] : []),
        ...idem,
      ];
    case "backup":
      return [docker("backup", "E_RUNTIME_BACKUP_FAILED"), ...idem];
    case "restore":
      return [docker("restore-data", "E_RUNTIME_RESTORE_FAILED"), verify, ...idem];
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
  destroy: [],
  backup: [],
  restore: ["verify"],
};

/** The Docker-side steps each mode may take (they stop, archive, restore or delete data volumes). */
export const ALLOWED_DOCKER_STEPS: Record<RunMode, readonly string[]> = {
  diagnose: [],
  apply: ["snapshot"],
  repair: [],
  drift: [],
  rollback: ["restore"],
  destroy: ["delete-data"],
  backup: ["backup"],
  restore: ["restore-data"],
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
export function guardStep(mode: RunMode, p: PlannedStep): void {
  // A host-scoped step gets its targets from the state when it runs; guarded again then (run-step.ts).
  if (p.kind === "pulumi") guardOp(mode, p.op!, p.hostScope?.length ? { ...p.opts, target: p.opts?.target?.length ? p.opts.target : [`(resources of host ${p.hostScope.join(", ")})`] } : p.opts);
  else if (p.kind === "npm") guardNpmCall(mode, p.argv);
  else guardDockerStep(mode, p.step);
}
