// The verify step of apply, repair, rollback and restore: `npm run -s verify` against the running
// stack, given what `up` recorded (--recorded outputs, the drift key and Grafana's password in its
// environment). After an `up` that ran proof resources, the levels it proved are not proved again
// (proven.ts): verify runs the other levels of the config's plan (--levels), none at all when `up`
// proved every one, and the step's report lists every level either way.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { StageRecord } from "../events";
import { parseJsonOutput, runProcess } from "../proc";
import { formatDuration } from "../progress";
import { verifyRecords } from "../steps";
import type { Ctx } from "./context";
import type { PlannedStep } from "./plan";
import { npmFailure, stage } from "./run-step";
import type { ProvenByUp, RanReport } from "./proven";
import type { SkippedLevel } from "../../../components/verify/spec";
import type { Level } from "../../../components/verify/types";

/**
 * What verify needs from the stack to prove what `up` recorded, not what the images say of
 * themselves: the outputs as a recorded file (--recorded: the images' digests for L7, the secret
 * files' keyed hashes for L8; no secret value in it, owner-only, removed after) and, in its
 * environment only, the drift key (CONFIG_DRIFT_KEY) and Grafana's admin password.
 */
export async function verifyInputs(ctx: Pick<Ctx, "ops" | "grafanaPassword" | "lastOutputs">, dir: string): Promise<{ argv: string[]; env: Record<string, string> }> {
  const env: Record<string, string> = {};
  if (ctx.grafanaPassword && !process.env.GRAFANA_ADMIN_PASSWORD) env.GRAFANA_ADMIN_PASSWORD = ctx.grafanaPassword;
  if (!ctx.ops) return { argv: [], env };
  const outputs = await ctx.ops.outputs().catch(() => undefined);
  // Nothing changes the stack between here and the evidence unless another Pulumi operation runs (it clears this).
  if (outputs) ctx.lastOutputs = outputs;
  if (!outputs || !Object.keys(outputs).length) return { argv: [], env };
  const plain = Object.fromEntries(Object.entries(outputs).filter(([, v]) => !v.secret).map(([k, v]) => [k, v.value]));
  const key = outputs.configDriftKey;
  if (key?.secret && typeof key.value === "string" && !process.env.CONFIG_DRIFT_KEY) env.CONFIG_DRIFT_KEY = key.value;
  const file = path.join(dir, "recorded-outputs.json");
  fs.writeFileSync(file, JSON.stringify(plain), { mode: 0o600 });
  return { argv: ["--recorded", file], env };
}

/** The levels verify's report lists as skipped ({level, name, reason}). */
export function skippedOf(report: unknown): { level: string; name?: string; reason: string }[] {
  const list = (report as { skipped?: unknown } | undefined)?.skipped;
  return Array.isArray(list) ? list.filter((k): k is { level: string; name?: string; reason: string } => !!k && typeof k === "object" && typeof (k as { level?: unknown }).level === "string" && typeof (k as { reason?: unknown }).reason === "string") : [];
}

interface ProvenPlan {
  proven: ProvenByUp;
  /** The config's own plan (verify.* toggles): what runs, what is skipped and why. */
  skipped: SkippedLevel[];
  /** Levels of the plan `up` did not prove: verify runs these. */
  rest: Level[];
  /** How they ran: here, with the inputs up recorded for their proofs (state-verify.ts), or by the verify CLI. */
  how?: "recorded inputs" | "verify CLI";
}

/** The modules provenPlan needs, loaded while `up` runs (they take a moment to load; up takes longer). */
export function prefetchVerifyModules(): void {
  const modules = [
    () => import("./proven"),
    () => import("./state-verify"),
    () => import("../../../contracts/config/load"),
    () => import("../../../components/verify/spec"),
    () => import("../../../components/verify/runtime"),
    () => import("../../../components/verify/suite"),
  ];
  for (const load of modules) load().catch(() => undefined);
}

/** What this run's `up` proved (perhaps nothing), against the config's plan; undefined: verify runs as it always did. */
export async function provenPlan(ctx: Pick<Ctx, "proofs" | "configFile">): Promise<ProvenPlan | undefined> {
  if (!ctx.proofs?.size) return undefined;
  const { provenByUp, levelsToRun } = await import("./proven");
  const proven = provenByUp(ctx.proofs.values());
  try {
    const [{ loadConfigFile }, { levelPlan }] = await Promise.all([import("../../../contracts/config/load"), import("../../../components/verify/spec")]);
    const plan = levelPlan(loadConfigFile(ctx.configFile));
    return { proven, skipped: plan.skipped, rest: levelsToRun(plan.run, proven) };
  } catch {
    // The stack file cannot be judged here: verify runs every level and says why itself.
    return undefined;
  }
}

function progressLines(ctx: Ctx, report: unknown): void {
  const levels = (report as { levels?: Array<{ level?: string; name?: string; status?: string; durationMs?: number; code?: string; provenBy?: string }> } | undefined)?.levels ?? [];
  for (const l of levels) {
    ctx.progress.line(`  ${l.level}${l.name ? ` ${l.name}` : ""}: ${l.status}${typeof l.durationMs === "number" ? ` (${formatDuration(l.durationMs)}${l.provenBy ? `, proven by up` : ""})` : ""}${l.code && l.status !== "green" ? ` ${l.code}` : ""}`);
  }
  // A level the config turns off is named, with why: nothing disappears from the run's output.
  for (const k of skippedOf(report)) ctx.progress.line(`  ${k.level}${k.name ? ` ${k.name}` : ""}: skipped (${k.reason})`);
}

function finish(ctx: Ctx, p: PlannedStep, report: unknown, exitCode: number | null, stderr: string, durationMs: number, pv: ProvenPlan | undefined): StageRecord {
  ctx.reports[p.step] = report ?? { unparsable: true, exitCode };
  progressLines(ctx, report);
  const recs = verifyRecords(report, exitCode, stderr);
  const skipped = skippedOf(report);
  const fromUp = ((report as { provenByUp?: string[] } | undefined)?.provenByUp ?? []).filter((x) => typeof x === "string");
  const ran = !pv?.rest.length ? "verify ran none" : pv.how === "recorded inputs" ? `proved again here with the inputs up recorded: ${pv.rest.join(", ")}` : `verify ran ${pv.rest.join(", ")}`;
  const parts = [
    ...(pv ? [`${fromUp.length ? `proven by up in this run: ${fromUp.join(", ")}` : "up proved no level in this run"}; ${ran}`] : []),
    ...(skipped.length ? [`skipped ${skipped.map((k) => `${k.level} (${k.reason})`).join(", ")}`] : []),
  ].filter(Boolean);
  return stage(ctx, { step: p.step, status: recs.errors.length ? "failed" : "success", durationMs, errors: recs.errors, warnings: recs.warnings, ...(parts.length ? { detail: parts.join("; ") } : {}) });
}

export async function runVerifyStep(ctx: Ctx, p: PlannedStep): Promise<StageRecord> {
  const t0 = Date.now();
  const pv = await provenPlan(ctx);
  const compose = async (ran: RanReport | undefined) => (await import("./proven")).composeReport({ stack: ctx.stack, proven: pv!.proven, ran, skipped: pv!.skipped, durationMs: Date.now() - t0 });
  if (pv && !pv.rest.length) {
    // Every level of the plan was proven by this run's up: nothing to prove again.
    ctx.progress.line("verify: every level was proven by up in this run (its proof resources' outputs); nothing to prove again");
    return finish(ctx, p, await compose(undefined), 0, "", Date.now() - t0, pv);
  }
  if (pv) {
    const { runFromState, stateRunPlan } = await import("./state-verify");
    const plan = stateRunPlan([...ctx.proofs!.values()], ctx.state, pv.rest);
    if (plan) {
      pv.how = "recorded inputs";
      ctx.progress.begin(p.step, `verify: proving ${pv.rest.join(", ")} again with the inputs up recorded for their proofs${Object.keys(pv.proven.levels).length ? " (the rest was proven by up in this run)" : ""}`);
      try {
        const levels = await runFromState(plan);
        return finish(ctx, p, await compose({ levels, parallel: true }), 0, "", Date.now() - t0, pv);
      } catch (err) {
        // It could not run here (the Docker engine, say): the verify CLI runs and reports why.
        ctx.progress.line(`verify: could not prove here (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); running the verify CLI`);
      } finally {
        ctx.progress.end();
      }
    }
    pv.how = "verify CLI";
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lb-verify-"));
  let r;
  let argv: string[];
  try {
    const extra = await verifyInputs(ctx, scratch);
    // Only the levels up did not prove (all of them when it proved none: plain verify).
    const levels = pv && Object.keys(pv.proven.levels).length ? ["--levels", pv.rest.join(",")] : [];
    // `... -- --stack s --json` -> `... -- --stack s --recorded F [--levels ...] --json`: the options go before the last one.
    argv = [...p.argv.slice(0, -1), ...extra.argv, ...levels, ...p.argv.slice(-1)];
    ctx.progress.begin(p.step, pv ? `verify: proving ${pv.rest.join(", ")} (the rest was proven by up in this run)` : "verify: proving L1-L9 against the running stack");
    r = await runProcess("npm", argv, { cwd: ctx.root, env: { ...process.env, ...extra.env } });
  } finally {
    ctx.progress.end();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const early = npmFailure(ctx, p, r, t0, argv);
  if (early) return early;
  let report = parseJsonOutput(r.stdout);
  // Verify's own levels, then what up proved; an error report (it could not run) stays as it is.
  if (pv && Array.isArray((report as { levels?: unknown } | undefined)?.levels)) report = await compose(report as RanReport);
  return finish(ctx, p, report, r.code, r.stderr, pv ? Date.now() - t0 : r.durationMs, pv);
}
