// The run's event stream and per-service durable logs, after seed 002's contract:
//   per service, in a stable order: Planned -> Started -> Step... -> Completed | Failed,
//   every step with duration_ms; a failure keeps the same envelope and adds a terminal `error` step.
// The pipeline runs stack-wide stages (preflight, lint, policy, preview/up/refresh, verify, ...); each
// stage is projected onto every service: an error that names a service (details.service, a container
// name, a URN) fails that service's step only; an error naming none fails the step for every service.
// The bootstrap run writes them as it goes (LiveEvents); other runs derive them after the fact
// (buildEvents); both through the same per-stage projection, so the streams agree.
import type { ErrorRecord } from "../../contracts/errors";
import { KEBAB } from "../../components/defaults";
import { SERVICES, ServiceName } from "../../contracts/config/schema";

export type StepStatus = "success" | "skipped" | "failed";

export interface StageRecord {
  step: string;
  status: StepStatus;
  durationMs: number;
  detail?: string;
  errors: ErrorRecord[];
  warnings?: ErrorRecord[];
}

export interface ServicePlan {
  service: ServiceName;
  image?: string;
  /** SHA-256 of the service's desired config / artifact (desired_state), when known. */
  artifactHash?: string;
  /** Targeted in repair mode (undefined: not a repair run). */
  targeted?: boolean;
}

export interface EventRunInfo {
  runId: string;
  mode: string;
  stack: string;
  /** SHA-256 of the stack file: the base every service's run starts from. */
  baseHash: string;
  envKeys: string[];
  warnings: string[];
  services: ServicePlan[];
  stages: StageRecord[];
  projectName?: string;
}

export interface DurableStep {
  step: string;
  status: StepStatus;
  duration_ms: number;
  detail?: string;
}

export interface ServiceLog {
  service: string;
  run_id: string;
  mode: string;
  artifact_hash: string;
  base_hash: string;
  status: "success" | "noop" | "failed";
  duration_ms: number;
  steps: DurableStep[];
}

export type RunEvent =
  | { BootstrapPlanned: Record<string, unknown> }
  | { BootstrapStarted: Record<string, unknown> }
  | { BootstrapStep: Record<string, unknown> }
  | { BootstrapCompleted: Record<string, unknown> }
  | { BootstrapFailed: Record<string, unknown> };


/** What each mode does to a service (BootstrapPlanned.action). */
export function plannedAction(mode: string, targeted: boolean | undefined): string {
  switch (mode) {
    case "diagnose":
      return "preview";
    case "apply":
      return "up";
    case "repair":
      return targeted ? "up-targeted" : "skip";
    case "drift":
      return "refresh";
    case "rollback":
      return "restore-up";
    case "destroy":
      return "destroy";
    case "backup":
      return "backup";
    case "restore":
      return "restore";
    case "evidence":
      return "collect";
    default:
      return mode;
  }
}

const MUTATING_MODES = new Set(["apply", "repair", "rollback", "destroy", "restore"]);

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** Services an error names; [] when it names none (a stack-wide error). */
export function servicesOf(err: Pick<ErrorRecord, "message" | "details">): ServiceName[] {
  const d = err.details ?? {};
  if (typeof d.service === "string" && (SERVICES as readonly string[]).includes(d.service)) return [d.service as ServiceName];
  const hay = [err.message, ...strings([d.resource, d.urn, d.container, d.resources, d.findings, d.targets])].join("\n");
  const hits: ServiceName[] = [];
  for (const s of SERVICES) {
    // The kebab name as a word (`logging-test-loki`, `grafana/loki:3.0.0`, `loki-data`), a URN tail
    // (`::loki`) or `service loki`; service names share no words, so this cannot confuse two services.
    const re = new RegExp(`(^|[^a-z0-9])${KEBAB[s]}([^a-z0-9-]|-data|$)|::${s}\\b|\\bservice[ =:"]+${s}\\b`, "i");
    if (re.test(hay)) hits.push(s);
  }
  return hits;
}

export interface BuiltEvents {
  events: RunEvent[];
  logs: ServiceLog[];
}

/** What every event of a run carries, known when it starts. */
export type RunHead = Omit<EventRunInfo, "stages">;

/** The first two events of one service: BootstrapPlanned, BootstrapStarted. */
export function openingEvents(run: RunHead, plan: ServicePlan): RunEvent[] {
  const artifact = plan.artifactHash ?? "";
  return [
    {
      BootstrapPlanned: {
        service: plan.service,
        run_id: run.runId,
        stack: run.stack,
        mode: run.mode,
        action: plannedAction(run.mode, plan.targeted),
        reason: plannedReason(run.mode, plan),
        trigger: run.mode,
        image: plan.image ?? null,
        env_keys: run.envKeys,
        artifact_hash: artifact || null,
        warnings: run.warnings,
      },
    },
    { BootstrapStarted: { service: plan.service, run_id: run.runId, base_hash: run.baseHash, artifact_hash: artifact, trigger: run.mode } },
  ];
}

/**
 * One stage as one service's step: an error that names the service (or names none: stack-wide)
 * fails its step; a failed stage whose errors all name other services is a success for it.
 */
export function serviceStep(mode: string, plan: ServicePlan, st: StageRecord): { step: DurableStep; error?: ErrorRecord } {
  let status: StepStatus = st.status;
  let detail = st.detail;
  let error: ErrorRecord | undefined;
  if (st.status === "failed") {
    const attributed = st.errors.map((e) => ({ err: e, services: servicesOf(e) }));
    const mine = attributed.filter((a) => a.services.length === 0 || a.services.includes(plan.service));
    if (mine.length === 0 && attributed.length > 0) {
      status = "success";
      detail = "no error for this service";
    } else if (mine[0]) {
      error = mine[0].err;
      detail = `${error.code}: ${error.message}`;
    }
  }
  if (mode === "repair" && plan.targeted === false && (st.step === "up" || st.step === "verify")) {
    status = "skipped";
    detail = "not targeted";
  }
  const step: DurableStep = { step: st.step, status, duration_ms: Math.max(0, Math.round(st.durationMs)) };
  if (detail) step.detail = detail;
  return { step, error };
}

/** The last events of one service (the terminal error step and Failed, or Completed) and its durable log. */
export function closingEvents(run: RunHead, plan: ServicePlan, steps: DurableStep[], firstError: ErrorRecord | undefined): BuiltEvents {
  const svc = plan.service;
  const events: RunEvent[] = [];
  const all = [...steps];
  const failed = all.some((s) => s.status === "failed");
  const duration = all.reduce((a, s) => a + s.duration_ms, 0);
  if (failed) {
    const message = firstError ? `${firstError.code}: ${firstError.message}` : `step ${all.find((s) => s.status === "failed")!.step} failed`;
    const errStep: DurableStep = { step: "error", status: "failed", duration_ms: 0, detail: message };
    all.push(errStep);
    events.push({ BootstrapStep: { service: svc, run_id: run.runId, ...errStep } });
    events.push({ BootstrapFailed: { service: svc, run_id: run.runId, duration_ms: duration, error: message } });
  } else {
    const executed = MUTATING_MODES.has(run.mode) && plan.targeted !== false;
    events.push({ BootstrapCompleted: { service: svc, run_id: run.runId, status: executed ? "Success" : "NoOp", duration_ms: duration, stamp: null } });
  }
  const log: ServiceLog = {
    service: svc,
    run_id: run.runId,
    mode: run.mode,
    artifact_hash: plan.artifactHash ?? "",
    base_hash: run.baseHash,
    status: failed ? "failed" : MUTATING_MODES.has(run.mode) && plan.targeted !== false ? "success" : "noop",
    duration_ms: duration,
    steps: all,
  };
  return { events, logs: [log] };
}

/** Every event of a finished run, service by service (for runs that did not write them live). */
export function buildEvents(run: EventRunInfo): BuiltEvents {
  const events: RunEvent[] = [];
  const logs: ServiceLog[] = [];
  for (const plan of run.services) {
    events.push(...openingEvents(run, plan));
    const steps: DurableStep[] = [];
    let firstError: ErrorRecord | undefined;
    for (const st of run.stages) {
      const r = serviceStep(run.mode, plan, st);
      steps.push(r.step);
      firstError ??= r.error;
      events.push({ BootstrapStep: { service: plan.service, run_id: run.runId, ...r.step } });
    }
    const end = closingEvents(run, plan, steps, firstError);
    events.push(...end.events);
    logs.push(...end.logs);
  }
  return { events, logs };
}

/**
 * The same events written as the run goes (tail -f works): every service's opening events at the
 * start, one step per service as each stage ends, the closing events at the end. Per service the
 * order is the contract's; across services the lines follow time.
 */
export class LiveEvents {
  private readonly steps = new Map<ServiceName, DurableStep[]>();
  private readonly firstError = new Map<ServiceName, ErrorRecord>();
  private finished?: BuiltEvents;

  constructor(
    private readonly run: RunHead,
    private readonly write: (e: RunEvent) => void,
  ) {
    for (const plan of run.services) {
      this.steps.set(plan.service, []);
      for (const e of openingEvents(run, plan)) write(e);
    }
  }

  stage(st: StageRecord): void {
    if (this.finished) return;
    for (const plan of this.run.services) {
      const r = serviceStep(this.run.mode, plan, st);
      this.steps.get(plan.service)!.push(r.step);
      if (r.error && !this.firstError.has(plan.service)) this.firstError.set(plan.service, r.error);
      this.write({ BootstrapStep: { service: plan.service, run_id: this.run.runId, ...r.step } });
    }
  }

  /** Write the closing events once; returns the per-service logs. */
  finish(): BuiltEvents {
    if (this.finished) return this.finished;
    const out: BuiltEvents = { events: [], logs: [] };
    for (const plan of this.run.services) {
      const end = closingEvents(this.run, plan, this.steps.get(plan.service)!, this.firstError.get(plan.service));
      for (const e of end.events) this.write(e);
      out.events.push(...end.events);
      out.logs.push(...end.logs);
    }
    this.finished = out;
    return out;
  }
}

function plannedReason(mode: string, plan: ServicePlan): string {
  switch (mode) {
    case "diagnose":
      return "read-only preview of the desired state";
    case "apply":
      return "converge to the desired state, then prove it";
    case "repair":
      return plan.targeted ? "named in --target" : "not named in --target: left untouched";
    case "drift":
      return "compare deployed resources with the recorded state";
    case "rollback":
      return "previous pins and data back, then prove it";
    case "destroy":
      return "remove the stack's containers; data volumes and host data kept unless --delete-data";
    case "backup":
      return "archive the data volume";
    case "restore":
      return "data volume back from a backup, then prove it";
    case "evidence":
      return "collect outputs and provenance";
    default:
      return mode;
  }
}

/**
 * Validate an event stream against the contract (tests use it on every bundle they read): per service
 * Planned -> Started -> Step... -> Completed | Failed, an integer duration_ms >= 0 on every step, and a
 * failure's last step is the terminal `error` step (which nothing but BootstrapFailed may follow).
 */
export function checkEventOrder(events: RunEvent[]): string[] {
  const problems: string[] = [];
  const state = new Map<string, { kind: string; step?: string }>();
  for (const ev of events) {
    const [kind, body] = Object.entries(ev)[0] as [string, Record<string, unknown>];
    const svc = String(body.service);
    const prev = state.get(svc);
    const afterStart = prev?.kind === "BootstrapStarted" || prev?.kind === "BootstrapStep";
    const ok =
      (kind === "BootstrapPlanned" && prev === undefined) ||
      (kind === "BootstrapStarted" && prev?.kind === "BootstrapPlanned") ||
      ((kind === "BootstrapStep" || kind === "BootstrapCompleted") && afterStart && prev?.step !== "error") ||
      (kind === "BootstrapFailed" && prev?.step === "error");
    if (!ok) problems.push(`${svc}: ${kind}${body.step ? ` ${String(body.step)}` : ""} after ${prev ? `${prev.kind}${prev.step ? ` ${prev.step}` : ""}` : "nothing"}`);
    if (kind === "BootstrapStep" && !(Number.isInteger(body.duration_ms) && (body.duration_ms as number) >= 0)) problems.push(`${svc}: step ${String(body.step)} without duration_ms`);
    if (kind === "BootstrapStep" && body.step === "error" && body.status !== "failed") problems.push(`${svc}: error step with status ${String(body.status)}`);
    state.set(svc, { kind, step: kind === "BootstrapStep" ? String(body.step) : undefined });
  }
  for (const [svc, last] of state) if (last.kind !== "BootstrapCompleted" && last.kind !== "BootstrapFailed") problems.push(`${svc}: ends with ${last.kind}`);
  return problems;
}
