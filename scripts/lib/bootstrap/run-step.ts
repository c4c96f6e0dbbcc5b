// Running one planned step of a bootstrap run: a Pulumi operation through StackOps (live progress
// and the engine's events into the bundle as they arrive; a failure under the code of the error
// that caused it), an npm script (lint, policy:check, policy:build, verify), or a Docker-side data
// step (snapshot, restore, backup, restore-data, delete-data). Every step returns its StageRecord.
import fs from "node:fs";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ErrorRecord, errorRecord } from "../../../contracts/errors";
import { BUNDLE_FILES } from "../bundle";
import { dockerClient } from "../docker-images";
import type { StageRecord } from "../events";
import { parseJsonOutput, ProcResult, runProcess } from "../proc";
import { packFreshness } from "../policy-pack";
import { formatDuration } from "../progress";
import { redactor } from "../redact";
import { lintRecords, policyRecords } from "../steps";
import { restoreStep, snapshotStep, StepResult } from "../upgrade/steps";
import { absorb, changesOf, changeSummaryText, condense, failureFromTrack, inFlight, nameOfUrn, newTrack, EngineTrack } from "../pulumi/engine-events";
import { namingHosts } from "../pulumi/fleet";
import { commandFailure, OpResult } from "../pulumi/stack-ops";
import { absorbProof, newProofTrack } from "../pulumi/proof-events";
import type { Ctx } from "./context";
import { backupStep, deleteDataStep, keptLines, labelledDataVolumes, mergeVolumes, restoreDataStep, volumesOfState } from "./data";
import { guardNpmCall, guardStep, PlannedStep } from "./plan";
import { resolveHostScope } from "./host-scope";
import { prefetchVerifyModules, runVerifyStep } from "./verify-step";

// Kept importable from here (their home is verify-step.ts).
export { skippedOf, verifyInputs } from "./verify-step";

export function interruptedError(sig: string): ErrorRecord {
  return errorRecord("E_ENV_INTERRUPTED", `the run was interrupted by ${sig}`, { details: { signal: sig } });
}

/** Record a finished stage: into the run, the live events, and one progress line. */
export function stage(ctx: Ctx, s: StageRecord): StageRecord {
  ctx.stages.push(s);
  ctx.live?.stage(s);
  const mark = s.status === "success" ? "ok" : s.status;
  ctx.progress.line(`${s.step}: ${mark} (${formatDuration(s.durationMs)})${s.errors.length ? ` ${[...new Set(s.errors.map((e) => e.code))].join(", ")}` : ""}${s.detail && s.status !== "failed" ? `: ${s.detail}` : ""}`);
  return s;
}

/**
 * Learn the secrets a state export holds (`{sig, plaintext}`), for redaction: a secret scalar (a
 * generated password, a key) as it is; a secret structure (a container's whole `uploads` list is
 * secret when one file is) only by its secret-named and credential leaves, never every leaf (the
 * rendered files and dashboards in it are no secrets).
 */
export function learnStateSecrets(v: unknown): void {
  if (Array.isArray(v)) return v.forEach(learnStateSecrets);
  if (!v || typeof v !== "object") return;
  const o = v as Record<string, unknown>;
  if (typeof o.plaintext === "string" && "4dabf18193072939515e22adb298388d" in o) {
    let plain: unknown = o.plaintext;
    try {
      plain = JSON.parse(o.plaintext) as unknown;
    } catch {
      /* a bare string */
    }
    if (plain !== null && typeof plain === "object") redactor.learn(plain, false);
    else redactor.add(plain);
    return;
  }
  for (const x of Object.values(o)) learnStateSecrets(x);
}

/** The state's resources without inputs and outputs: what was deployed, as evidence. */
export function stateSummary(state: { resources?: Array<Record<string, unknown>> } | undefined): Array<Record<string, unknown>> {
  return (state?.resources ?? []).map((r) => ({ urn: r.urn, type: r.type, id: r.id ?? null, ...(r.protect ? { protect: true } : {}), ...(r.retainOnDelete ? { retainOnDelete: true } : {}) }));
}

async function checkpoint(ctx: Ctx, p: PlannedStep, t0: number): Promise<StageRecord> {
  try {
    const state = (await ctx.ops!.exportState()) as { deployment?: { resources?: Array<Record<string, unknown>> } };
    learnStateSecrets(state);
    ctx.state = state.deployment ?? {};
    const file = p.file!;
    // The export holds the whole state, its secrets in plain text (the Automation API exports with
    // --show-secrets): owner-only, in an owner-only directory, never in a bundle.
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    const n = ctx.state.resources?.length ?? 0;
    return stage(ctx, { step: p.step, status: "success", durationMs: Date.now() - t0, errors: [], detail: `state before the change (${n} resources): ${file} (mode 0600, secrets in plain text; restore: pulumi stack import --file <it>, then pulumi up)` });
  } catch (err) {
    const e = commandFailure("stack export", err, "E_RUNTIME_DEPLOY_FAILED");
    if (e.bucket === "env") return stage(ctx, { step: p.step, status: "failed", durationMs: Date.now() - t0, errors: [e] });
    ctx.warnings.push(`no state checkpoint: ${e.message}`);
    return stage(ctx, { step: p.step, status: "skipped", durationMs: Date.now() - t0, errors: [], detail: e.message });
  }
}

/** The record of an operation that threw: changes found (drift, idempotency), else the engine's cause, else the CLI's. */
export function operationFailure(p: PlannedStep, t: EngineTrack, err: unknown): ErrorRecord {
  const changeStep = p.step === "refresh" || p.step === "idempotency";
  const fallback = changeStep ? "E_RUNTIME_DEPLOY_FAILED" : (p.fallback ?? "E_RUNTIME_DEPLOY_FAILED");
  if (changeStep && t.failed.length === 0 && !t.diagnostics.some((d) => d.severity === "error" && d.urn)) {
    const changed = [...t.changed.entries()].map(([urn, c]) => `${nameOfUrn(urn)} (${c.op}${c.diffs.length ? `: ${c.diffs.slice(0, 5).join(", ")}` : ""})`);
    const counts = changesOf(t.summary?.resourceChanges);
    if (changed.length || Object.keys(counts).length) {
      const what = p.step === "refresh" ? "refresh found the deployed stack drifted from state" : "a second up wanted changes";
      return errorRecord(p.fallback!, `${what}: ${changed.join(", ") || changeSummaryText(t.summary?.resourceChanges)}`, {
        details: { step: p.step, changesFound: true, resources: [...t.changed.keys()], changes: counts },
      });
    }
  }
  return failureFromTrack(p.step, t, fallback) ?? commandFailure(p.step, err, fallback);
}

async function runPulumiStep(ctx: Ctx, planned: PlannedStep): Promise<StageRecord> {
  const t0 = Date.now();
  ctx.lastOutputs = undefined;
  if (planned.op === "export") return checkpoint(ctx, planned, t0);
  let p = planned;
  if (p.hostScope?.length) {
    const r = await resolveHostScope(ctx, p).catch((err: unknown) => commandFailure("stack export", err, p.fallback ?? "E_RUNTIME_DEPLOY_FAILED"));
    if (!("step" in r)) return stage(ctx, { step: p.step, status: "failed", durationMs: Date.now() - t0, errors: [r] });
    p = r;
    ctx.progress.line(`${p.step}: host ${p.hostScope!.join(", ")}: ${p.opts!.target!.length} resource(s) of the state`);
  }
  if (p.op === "destroy" && ctx.deleteData) {
    const protectedVols = volumesOfState(ctx.state).filter((v) => v.protect);
    if (protectedVols.length) {
      const e = errorRecord("E_ENV_DATA_PROTECTED", `stack ${ctx.stack} protects its data volumes (${protectedVols.map((v) => v.name).join(", ")}): --delete-data refuses to delete them; nothing was changed`, {
        details: { volumes: protectedVols.map((v) => v.name) },
      });
      return stage(ctx, { step: p.step, status: "failed", durationMs: Date.now() - t0, errors: [e] });
    }
  }
  const t = newTrack();
  const proofs = newProofTrack();
  const onEvent = (e: EngineEvent) => {
    const now = Date.now();
    for (const l of absorb(t, e, now)) ctx.progress.line(`  ${l}`);
    absorbProof(proofs, e, now);
    const c = condense(e, now);
    if (c) ctx.bundle.appendJsonl(BUNDLE_FILES.engine, { step: p.step, ...c });
  };
  if (p.op === "up" && p.step === "up") prefetchVerifyModules();
  ctx.progress.begin(p.step, `${p.step}: pulumi ${p.op}${p.opts?.target?.length ? ` on ${p.opts.target.length} named resource(s)` : ""}`, () => inFlight(t, Date.now()));
  let r: OpResult | undefined;
  let failure: ErrorRecord | undefined;
  try {
    const op = ctx.ops![p.op as "preview" | "up" | "refresh" | "destroy"];
    r = await op({ ...p.opts, onEvent, signal: ctx.abort.signal });
  } catch (err) {
    failure = ctx.interrupted ? interruptedError(ctx.interrupted) : operationFailure(p, t, err);
    // A fleet's up went on past what failed: the hosts those resources belong to lead the message.
    if (!ctx.interrupted && p.hosts?.length) failure = namingHosts(failure, t.failed, ctx.stackInfo?.projectName ?? ctx.stack, p.hosts);
    ctx.logs[`pulumi-${p.step}.log`] = `pulumi ${p.op} (${ctx.ops!.cli.version})\n${err instanceof Error ? err.message : String(err)}\n`;
  } finally {
    ctx.progress.end();
  }
  const ms = Date.now() - t0;
  if (failure) return stage(ctx, { step: p.step, status: "failed", durationMs: ms, errors: [failure] });
  const changes = r?.changes ?? {};
  // What this up proved (its proof resources' verdicts): apply's verify does not prove it again.
  if (p.op === "up" && p.step === "up") ctx.proofs = proofs;
  if (p.op === "refresh" && Object.keys(changesOf(changes)).length) {
    // expectNoChanges makes the CLI fail on changes; a summary that still shows some is drift too.
    return stage(ctx, { step: p.step, status: "failed", durationMs: ms, errors: [operationFailure(p, t, new Error("changes found"))] });
  }
  let detail = changeSummaryText(changes);
  if (p.op === "destroy") {
    const engine = await labelledDataVolumes(dockerClient(), ctx.stackInfo?.projectName ?? ctx.stack).catch(() => []);
    const kept = keptLines(mergeVolumes(volumesOfState(ctx.state), engine), false);
    for (const l of kept) ctx.progress.line(`  ${l}`);
    if (kept.length) detail += `; ${kept.length} data volume(s) kept${ctx.deleteData ? " until delete-data" : ""}`;
  }
  return stage(ctx, { step: p.step, status: "success", durationMs: ms, errors: [], detail });
}

async function runNpmStep(ctx: Ctx, p: PlannedStep): Promise<StageRecord> {
  const t0 = Date.now();
  guardNpmCall(ctx.mode, p.argv);
  if (p.step === "policy-build") {
    // The pack's inputs hashed against the record of its last build: no compiler start when current.
    const f = packFreshness(ctx.root);
    if (f.fresh) return stage(ctx, { step: p.step, status: "success", durationMs: Date.now() - t0, errors: [], detail: `policy/bin is current (inputs sha256 ${f.hash.slice(0, 12)}): not rebuilt` });
    ctx.progress.line(`policy-build: rebuilding, ${f.reason}`);
  }
  if (p.step === "verify") return runVerifyStep(ctx, p);
  ctx.progress.begin(p.step, `${p.step}: npm ${p.argv.join(" ")}`);
  const r = await runProcess("npm", p.argv, { cwd: ctx.root, env: process.env });
  ctx.progress.end();
  const early = npmFailure(ctx, p, r, t0);
  if (early) return early;
  if (p.step === "policy-build") {
    const errors = r.code === 0 ? [] : [errorRecord(p.fallback ?? "E_DEPS_POLICY_PACK_BUILD", `npm run policy:build exited ${r.code}`, { details: { stderr: r.stderr.slice(-2000), stdout: r.stdout.slice(-2000) } })];
    return stage(ctx, { step: p.step, status: errors.length ? "failed" : "success", durationMs: r.durationMs, errors });
  }
  const report = parseJsonOutput(r.stdout);
  ctx.reports[p.step] = report ?? { unparsable: true, exitCode: r.code };
  const recs = p.step === "lint" ? lintRecords(report, r.code, r.stderr) : policyRecords(report, r.code, r.stderr);
  return stage(ctx, { step: p.step, status: recs.errors.length ? "failed" : "success", durationMs: r.durationMs, errors: recs.errors, warnings: recs.warnings });
}

/** The log of an npm child, and the stage of one that could not run (no npm) or was interrupted. */
export function npmFailure(ctx: Ctx, p: PlannedStep, r: ProcResult, t0: number, argv: readonly string[] = p.argv): StageRecord | undefined {
  ctx.logs[`${p.step}.log`] = `$ npm ${argv.join(" ")}\n# exit ${r.code}, ${formatDuration(r.durationMs)}\n--- stderr\n${r.stderr}\n`;
  if (r.notFound) {
    const e = errorRecord("E_ENV_TOOL_MISSING", "npm is not on PATH", { details: { tool: "npm" } });
    return stage(ctx, { step: p.step, status: "failed", durationMs: Date.now() - t0, errors: [e] });
  }
  if (ctx.interrupted) return stage(ctx, { step: p.step, status: "failed", durationMs: r.durationMs, errors: [interruptedError(ctx.interrupted)] });
  return undefined;
}

/** Images of the stack that may run a volume helper (deployed ones first, then the stack file's). */
function helperImages(ctx: Ctx): string[] {
  const deployed = Object.values(((ctx.outputs?.images ?? {}) as Record<string, { ref?: unknown }>)).map((i) => i?.ref).filter((x): x is string => typeof x === "string");
  return [...new Set([...deployed, ...Object.values(ctx.stackInfo?.images ?? {}).filter((x): x is string => typeof x === "string")])];
}

async function runDockerStep(ctx: Ctx, p: PlannedStep): Promise<StageRecord> {
  const t0 = Date.now();
  const log = (m: string) => ctx.progress.line(`  ${m}`);
  const base = { docker: dockerClient(), stack: ctx.stack, project: ctx.stackInfo?.projectName ?? ctx.stack, outDir: ctx.outDir, runId: ctx.bundle.runId, log };
  ctx.progress.begin(p.step, `${p.step}: data volumes through the Docker engine`);
  let r: StepResult;
  try {
    if (p.step === "snapshot") r = await snapshotStep({ ...base, outputs: ctx.outputs, desiredImages: ctx.stackInfo?.images ?? {}, keep: ctx.stackInfo?.backupsKeep ?? 3 });
    else if (p.step === "restore") r = await restoreStep({ ...base, upgradeRun: ctx.runArg, stackFile: ctx.configFile });
    else if (p.step === "backup") r = await backupStep({ ...base, outputs: ctx.outputs });
    else if (p.step === "restore-data") r = await restoreDataStep({ ...base, run: ctx.runArg, images: helperImages(ctx) });
    else r = await deleteDataStep({ ...base, volumes: mergeVolumes(volumesOfState(ctx.state), await labelledDataVolumes(base.docker, base.project)), images: helperImages(ctx) });
  } finally {
    ctx.progress.end();
  }
  ctx.warnings.push(...r.warnings);
  return stage(ctx, { step: p.step, status: r.status, durationMs: Date.now() - t0, errors: r.errors, detail: r.detail });
}

/** Run one step (the mode guard first, again: nothing runs that the plan's guard did not pass). */
export async function runStep(ctx: Ctx, p: PlannedStep): Promise<StageRecord> {
  guardStep(ctx.mode, p);
  if (p.kind === "pulumi") return runPulumiStep(ctx, p);
  if (p.kind === "docker") return runDockerStep(ctx, p);
  return runNpmStep(ctx, p);
}
