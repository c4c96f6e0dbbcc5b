// Apply's verify of the levels `up` did not re-run, in this process: each of their proof resources
// that `up` left as it was (`same`) is proved again by its own check (runtime.ts runProof, what
// `up` runs on create and update, "apply" mode: L3 writes a new marker) on the inputs recorded for
// it in the state exported just before `up`. `same` means the engine found those inputs equal to
// what the program declares now, so they are the stack's desired inputs for that proof: no second
// evaluation of the program under mocks (what the verify CLI does), no second process. The levels
// run side by side in verify's order (LEVEL_AFTER: L4 after L3, with the marker L3 writes now; L9
// after L1); a level whose proofs partly ran in `up` (L1 after one container changed) re-runs only
// the others and merges. Nothing here is usable (no state, a proof without recorded inputs): the
// caller runs the verify CLI instead.
import { bucketOf } from "../../../contracts/errors";
import { SERVICES } from "../../../contracts/config/schema";
import type { LevelReport } from "../../../components/verify/suite";
import type { Io, Level, ProofResult } from "../../../components/verify/types";
import { LEVEL_NAMES } from "../../../components/verify/levels";
import { RAN_OPS, type ProofStep } from "../pulumi/proof-events";
import { plainStateValue } from "../pulumi/secrets";
import { provenNote } from "./proven";

export interface StateRun {
  level: Level;
  /** Proof resources to prove again, with the inputs the state recorded (secrets in plain). */
  rerun: Array<{ urn: string; inputs: Record<string, unknown> }>;
  /** Proof resources of the level that `up` ran (their verdicts count as they are). */
  proven: ProofStep[];
}

const SIG = "4dabf18193072939515e22adb298388d";

/** A state export's value with every secret ({sig, plaintext}) replaced by its plain value. */
export function plainDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainDeep);
  if (!v || typeof v !== "object") return v;
  if (SIG in (v as object)) return plainDeep(plainStateValue(v));
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plainDeep(x)]));
}

/**
 * What to prove again for `levels`, from `up`'s proof steps and the state before it; undefined
 * when a level's proof did not appear in `up`, or one to prove again has no recorded inputs.
 */
export function stateRunPlan(steps: readonly ProofStep[], state: { resources?: Array<Record<string, unknown>> } | undefined, levels: readonly Level[]): StateRun[] | undefined {
  if (!state?.resources) return undefined;
  const byUrn = new Map(state.resources.map((r) => [String(r.urn), r]));
  const out: StateRun[] = [];
  for (const level of levels) {
    const mine = steps.filter((s) => s.level === level);
    if (!mine.length) return undefined;
    const run: StateRun = { level, rerun: [], proven: [] };
    for (const s of mine) {
      if (RAN_OPS.has(s.op) && s.verdict && s.verdict.status !== "red" && s.ms !== undefined) {
        run.proven.push(s);
        continue;
      }
      // A proof `up` ran without a readable verdict has new inputs the earlier state does not hold.
      if (s.op !== "same") return undefined;
      const inputs = byUrn.get(s.urn)?.inputs;
      if (!inputs || typeof inputs !== "object") return undefined;
      run.rerun.push({ urn: s.urn, inputs: plainDeep(inputs) as Record<string, unknown> });
    }
    out.push(run);
  }
  return out;
}

/** A proof `up` ran, as the result of one proof (for merging with those proved again). */
function provenResult(s: ProofStep): ProofResult {
  const v = s.verdict!;
  return { level: s.level!, status: v.status, ...(v.code ? { code: v.code as ProofResult["code"] } : {}), durationMs: s.ms!, findings: v.findings, diagnostics: { ...(v.service ? { service: v.service } : {}), provenBy: "up", note: provenNote([s.urn]) } };
}

const serviceRank = (r: ProofResult) => {
  const i = SERVICES.indexOf(r.diagnostics.service as (typeof SERVICES)[number]);
  return i < 0 ? SERVICES.length : i;
};

/** What runFromState runs with (tests hand in a fake proof run and I/O). */
export interface StateRunDeps {
  runProof?: (level: Level, props: Record<string, unknown>, mode: "apply" | "read", io: Io) => Promise<ProofResult>;
  io?: Io;
}

/** Prove the plan's proofs again, side by side in verify's order; one report line per level. */
export async function runFromState(plan: readonly StateRun[], deps: StateRunDeps = {}): Promise<LevelReport[]> {
  const [rt, ioMod, suite] = await Promise.all([import("../../../components/verify/runtime"), import("../../../components/verify/io"), import("../../../components/verify/suite")]);
  const io = deps.io ?? (await ioMod.makeIo());
  const runProof = deps.runProof ?? rt.runProof;
  const byLevel = new Map(plan.map((p) => [p.level, p]));
  const done: Partial<Record<Level, ProofResult>> = {};
  const started = new Map<Level, Promise<ProofResult>>();
  const run = (p: StateRun): Promise<ProofResult> => {
    let r = started.get(p.level);
    if (r) return r;
    r = (async () => {
      await Promise.all((suite.LEVEL_AFTER[p.level] ?? []).flatMap((l) => (byLevel.has(l) ? [run(byLevel.get(l)!)] : [])));
      const t0 = io.clock.now();
      // L4 checks the stream of the marker L3 wrote in this run, as verify does.
      const marker = done.L3?.outputs?.marker;
      const again = await Promise.all(p.rerun.map((x) => runProof(p.level, p.level === "L4" && typeof marker === "string" ? { ...x.inputs, ingestionMarker: marker } : x.inputs, "apply", io)));
      const all = [...again, ...p.proven.map(provenResult)];
      const result = p.level === "L1" ? suite.mergeHealth([...all].sort((a, b) => serviceRank(a) - serviceRank(b)), io.clock.now() - t0) : all[0];
      const recorded = p.rerun.map((x) => x.urn);
      const withNote: ProofResult = { ...result, level: p.level, diagnostics: { ...result.diagnostics, recordedInputs: `proved again with the inputs up recorded for ${recorded.join(", ")} (unchanged in this up)` } };
      done[p.level] = withNote;
      return withNote;
    })();
    started.set(p.level, r);
    return r;
  };
  try {
    const results = await Promise.all(plan.map(run));
    return results.map((r) => ({ ...r, name: LEVEL_NAMES[r.level], ...(r.code ? { bucket: bucketOf(r.code) } : {}) }));
  } finally {
    // One probe session for the run: its container is gone before the report is.
    await io.docker.closeProbes();
  }
}
