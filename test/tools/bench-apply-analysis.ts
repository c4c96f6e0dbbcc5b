// Where a bootstrap apply's time went, from its run bundle: the steps (summary.json), each
// resource's step in `pulumi up` (engine-events.jsonl: the engine's own start/done events, stamped
// with the local clock as they arrived), and the critical path through the resources' dependencies
// (the state export). Pure: bench-apply.ts reads the files and prints what these return.

export interface EngineEventLine {
  step?: string;
  at: string;
  event: string;
  op?: string;
  type?: string;
  urn?: string;
  message?: string;
}

/** One resource's step in an operation, in ms from the operation's first event. */
export interface ResourceStep {
  urn: string;
  name: string;
  type: string;
  op: string;
  startMs: number;
  endMs: number;
  failed: boolean;
}

export interface StepTime {
  step: string;
  status: string;
  ms: number;
}

export interface StateResource {
  urn: string;
  type?: string;
  dependencies?: string[];
  parent?: string;
}

/** `urn:pulumi:s::p::a$b:c:D::name` -> `name`. */
export function nameOfUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i < 0 ? urn : urn.slice(i + 2);
}

/** Steps that do work on a resource (not the stack, a component or a default provider). */
function isWork(type: string): boolean {
  return !type.startsWith("pulumi:pulumi:") && !type.startsWith("pulumi:providers:") && !/^logging-bootstrap:(stack|services|verify):/.test(type);
}

/**
 * Per-resource steps of one operation (`step`, e.g. "up") from engine-events.jsonl lines: a `start`
 * paired with the resource's `done` or `failed`. Times are relative to the operation's first event.
 */
export function resourceSteps(lines: EngineEventLine[], step = "up"): { t0: number; endMs: number; steps: ResourceStep[] } {
  const mine = lines.filter((l) => (l.step ?? step) === step);
  if (!mine.length) return { t0: NaN, endMs: 0, steps: [] };
  const t0 = Date.parse(mine[0].at);
  const rel = (l: EngineEventLine) => Date.parse(l.at) - t0;
  const open = new Map<string, { at: number; op: string; type: string }>();
  const steps: ResourceStep[] = [];
  for (const l of mine) {
    if (!l.urn || !l.type || !isWork(l.type)) continue;
    if (l.event === "start") open.set(l.urn, { at: rel(l), op: l.op ?? "?", type: l.type });
    else if (l.event === "done" || l.event === "failed") {
      const s = open.get(l.urn);
      if (!s) continue;
      open.delete(l.urn);
      steps.push({ urn: l.urn, name: nameOfUrn(l.urn), type: s.type, op: s.op, startMs: s.at, endMs: rel(l), failed: l.event === "failed" });
    }
  }
  steps.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  return { t0, endMs: rel(mine[mine.length - 1]), steps };
}

export interface PathLink {
  step: ResourceStep;
  /** What it started after (the dependency that finished last before it started), if any. */
  after?: { name: string; endMs: number };
}

/**
 * The critical path: from the step that finished last, back through the dependency that finished
 * last (the one it waited for), to a step that waited for no other step. First link first.
 */
export function criticalPath(steps: ResourceStep[], state: StateResource[]): PathLink[] {
  if (!steps.length) return [];
  const byUrn = new Map(steps.map((s) => [s.urn, s]));
  const deps = new Map(state.map((r) => [r.urn, r.dependencies ?? []]));
  let cur: ResourceStep | undefined = steps.reduce((a, b) => (b.endMs > a.endMs ? b : a));
  const chain: PathLink[] = [];
  const seen = new Set<string>();
  while (cur && !seen.has(cur.urn)) {
    seen.add(cur.urn);
    const before: ResourceStep[] = (deps.get(cur.urn) ?? []).map((u) => byUrn.get(u)).filter((s): s is ResourceStep => s !== undefined);
    const last: ResourceStep | undefined = before.length ? before.reduce((a, b) => (b.endMs > a.endMs ? b : a)) : undefined;
    chain.unshift({ step: cur, ...(last ? { after: { name: last.name, endMs: last.endMs } } : {}) });
    cur = last;
  }
  return chain;
}

export function stepTimes(summary: { steps?: { step: string; status: string; duration_ms: number }[] } | undefined): StepTime[] {
  return (summary?.steps ?? []).map((s) => ({ step: s.step, status: s.status, ms: s.duration_ms }));
}

/** Seconds with one decimal place... two where it matters (below 10 s). */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export interface ApplyBench {
  applyMs: number;
  floorMs: number;
  /** Per container: ms from `docker start` to healthy. */
  floorPerContainer: Record<string, number>;
  steps: StepTime[];
  up?: ReturnType<typeof resourceSteps>;
  path: PathLink[];
}

export function ratio(b: Pick<ApplyBench, "applyMs" | "floorMs">): number {
  return +(b.applyMs / b.floorMs).toFixed(2);
}

/** The printed report: the headline line first, then where the time went. */
export function formatApplyBench(b: ApplyBench): string {
  const out = [`apply-to-green ${(b.applyMs / 1000).toFixed(1)} s, start floor ${(b.floorMs / 1000).toFixed(1)} s, ratio ${ratio(b)}`];
  out.push("", "floor, docker start -> healthy per container:");
  for (const [c, ms] of Object.entries(b.floorPerContainer).sort((x, y) => y[1] - x[1])) out.push(`  ${secs(ms).padStart(8)}  ${c}`);
  const inSteps = b.steps.reduce((a, s) => a + s.ms, 0);
  out.push("", "apply, per step (the bundle's summary):");
  for (const s of b.steps) out.push(`  ${secs(s.ms).padStart(8)}  ${s.step}${s.status === "success" ? "" : ` (${s.status})`}`);
  out.push(`  ${secs(Math.max(0, b.applyMs - inSteps)).padStart(8)}  outside the steps (npm, tsx, loading the wrapper, writing the bundle)`);
  if (b.up && b.up.steps.length) {
    const u = b.up;
    const first = u.steps[0].startMs;
    const last = Math.max(...u.steps.map((s) => s.endMs));
    const upStep = b.steps.find((s) => s.step === "up");
    out.push("", "up, per resource (start -> end, from the engine's first event; `same` steps left out):");
    if (upStep) out.push(`  ${secs(Math.max(0, upStep.ms - u.endMs)).padStart(8)}  before the engine's first event (the CLI, its plugins, the policy pack's analyzer, the program's start)`);
    out.push(`  ${secs(first).padStart(8)}  until the first resource step (the program registering its resources)`);
    for (const s of u.steps.filter((x) => x.op !== "same")) {
      out.push(`  ${secs(s.startMs).padStart(8)} -> ${secs(s.endMs).padStart(8)}  ${secs(s.endMs - s.startMs).padStart(8)}  ${s.op} ${s.name}${s.failed ? " FAILED" : ""}`);
    }
    out.push(`  ${secs(Math.max(0, u.endMs - last)).padStart(8)}  after the last resource step (outputs, state, summary)`);
  }
  if (b.path.length) {
    out.push("", "critical path (each step started after the dependency that finished last):");
    for (const l of b.path) {
      const wait = l.after ? `, ${secs(Math.max(0, l.step.startMs - l.after.endMs))} after ${l.after.name}` : "";
      out.push(`  ${secs(l.step.startMs).padStart(8)} -> ${secs(l.step.endMs).padStart(8)}  ${secs(l.step.endMs - l.step.startMs).padStart(8)}  ${l.step.op} ${l.step.name}${wait}`);
    }
  }
  return out.join("\n");
}

/**
 * Poll until every container is healthy (bounded): `health(name)` is the engine's health status.
 * Returns ms from `t0` to healthy per container; a container not healthy by the deadline is missing
 * from the result and named in `notHealthy`.
 */
export async function waitHealthy(
  names: string[],
  health: (name: string) => Promise<string | undefined>,
  clock: { now(): number; sleep(ms: number): Promise<void> },
  o: { t0: number; deadlineMs: number; pollMs: number },
): Promise<{ healthyAt: Record<string, number>; notHealthy: string[] }> {
  const healthyAt: Record<string, number> = {};
  for (;;) {
    const pending = names.filter((n) => healthyAt[n] === undefined);
    const states = await Promise.all(pending.map(async (n) => [n, await health(n)] as const));
    const now = clock.now();
    for (const [n, s] of states) if (s === "healthy") healthyAt[n] = now - o.t0;
    const left = names.filter((n) => healthyAt[n] === undefined);
    if (!left.length || now - o.t0 >= o.deadlineMs) return { healthyAt, notHealthy: left };
    await clock.sleep(o.pollMs);
  }
}

/** A bootstrap run timed on the wall clock, with its steps (the no-op apply, the diagnose). */
export interface TimedRun {
  what: string;
  ms: number;
  code: number | null;
  steps: StepTime[];
}

/** One line per run: its wall time, then each step's. */
export function formatTimedRuns(runs: readonly TimedRun[]): string {
  return runs
    .map((r) => {
      const inSteps = r.steps.reduce((a, s) => a + s.ms, 0);
      const steps = r.steps.map((s) => `${s.step} ${secs(s.ms)}${s.status === "success" ? "" : ` (${s.status})`}`);
      return `${r.what} ${(r.ms / 1000).toFixed(1)} s${r.code === 0 ? "" : ` (exit ${r.code})`}: ${[...steps, `outside the steps ${secs(Math.max(0, r.ms - inSteps))}`].join(", ")}`;
    })
    .join("\n");
}
