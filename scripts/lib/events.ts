// The run's event stream and per-service durable logs, after seed 002's contract:
//   per service, in a stable order: Planned -> Started -> Step... -> Completed | Failed,
//   every step with duration_ms; a failure keeps the same envelope and adds a terminal `error` step.
// The pipeline runs stack-wide stages (preflight, lint, policy, preview/up/refresh, verify, ...); each
// stage is projected onto every service: an error that names a service (details.service, a container
// name, a URN) fails that service's step only; an error naming none fails the step for every service.
// Events are derived after the run from the recorded stages, so their order is stable and testable.
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
    case "evidence":
      return "collect";
    default:
      return mode;
  }
}

const MUTATING_MODES = new Set(["apply", "repair", "rollback"]);

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

export function buildEvents(run: EventRunInfo): BuiltEvents {
  const events: RunEvent[] = [];
  const logs: ServiceLog[] = [];
  // Attribute every stage's errors once.
  const attributed = run.stages.map((st) =>
    st.errors.map((e) => ({ err: e, services: servicesOf(e) })),
  );
  for (const plan of run.services) {
    const svc = plan.service;
    const artifact = plan.artifactHash ?? "";
    const action = plannedAction(run.mode, plan.targeted);
    events.push({
      BootstrapPlanned: {
        service: svc,
        run_id: run.runId,
        stack: run.stack,
        mode: run.mode,
        action,
        reason: plannedReason(run.mode, plan),
        trigger: run.mode,
        image: plan.image ?? null,
        env_keys: run.envKeys,
        artifact_hash: artifact || null,
        warnings: run.warnings,
      },
    });
    events.push({ BootstrapStarted: { service: svc, run_id: run.runId, base_hash: run.baseHash, artifact_hash: artifact, trigger: run.mode } });
    const steps: DurableStep[] = [];
    let firstError: ErrorRecord | undefined;
    run.stages.forEach((st, i) => {
      let status: StepStatus = st.status;
      let detail = st.detail;
      if (st.status === "failed") {
        const mine = attributed[i].filter((a) => a.services.length === 0 || a.services.includes(svc));
        if (mine.length === 0 && attributed[i].length > 0) {
          status = "success";
          detail = "no error for this service";
        } else {
          const e = mine[0]?.err;
          if (e) {
            detail = `${e.code}: ${e.message}`;
            firstError ??= e;
          }
        }
      }
      if (run.mode === "repair" && plan.targeted === false && (st.step === "up" || st.step === "verify")) {
        status = "skipped";
        detail = "not targeted";
      }
      const step: DurableStep = { step: st.step, status, duration_ms: Math.max(0, Math.round(st.durationMs)) };
      if (detail) step.detail = detail;
      steps.push(step);
      events.push({ BootstrapStep: { service: svc, run_id: run.runId, ...step } });
    });
    const failed = steps.some((s) => s.status === "failed");
    const duration = steps.reduce((a, s) => a + s.duration_ms, 0);
    if (failed) {
      const message = firstError ? `${firstError.code}: ${firstError.message}` : `step ${steps.find((s) => s.status === "failed")!.step} failed`;
      const errStep: DurableStep = { step: "error", status: "failed", duration_ms: 0, detail: message };
      steps.push(errStep);
      events.push({ BootstrapStep: { service: svc, run_id: run.runId, ...errStep } });
      events.push({ BootstrapFailed: { service: svc, run_id: run.runId, duration_ms: duration, error: message } });
    } else {
      const executed = MUTATING_MODES.has(run.mode) && plan.targeted !== false;
      events.push({
        BootstrapCompleted: { service: svc, run_id: run.runId, status: executed ? "Success" : "NoOp", duration_ms: duration, stamp: null },
      });
    }
    logs.push({
      service: svc,
      run_id: run.runId,
      mode: run.mode,
      artifact_hash: artifact,
      base_hash: run.baseHash,
      status: failed ? "failed" : MUTATING_MODES.has(run.mode) && plan.targeted !== false ? "success" : "noop",
      duration_ms: duration,
      steps,
    });
  }
  return { events, logs };
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
