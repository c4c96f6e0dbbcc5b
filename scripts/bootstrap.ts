// The run wrapper (P16, P17, P18, P12): one entry point with explicit modes over the Pulumi lifecycle.
// Every run: mode guard over the whole plan -> run lock (mutating modes) -> preflight -> steps -> bundle.
import fs from "node:fs";
import path from "node:path";
import { BootstrapError, ErrorRecord, errorRecord, toErrorRecord } from "../contracts/errors";
import { formatError, parseCli, projectRoot, requireStack, runCli } from "./lib/cli";
import { acquireRunLock, RunLock } from "./lib/lock";
import { activeChildren, parseJsonOutput, runProcess } from "./lib/proc";
import { print, printErr, redactor } from "./lib/redact";
import {
  classifyPulumiFailure,
  guardPulumiCall,
  LOCKED_MODES,
  MODES,
  policyPackConfigFile,
  pulumiRunner,
  readStackSecrets,
  RunMode,
  versionArgv,
} from "./lib/pulumi-cli";
import { guardNpmCall, guardStep, PlannedStep, planFor } from "./lib/bootstrap/plan";
import { restoreStep, snapshotStep } from "./lib/upgrade/steps";
import { HELP } from "./lib/bootstrap/help";
import type { Ctx } from "./lib/bootstrap/context";
import { writeBundle } from "./lib/bootstrap/report";
import { dockerClient, offlineImageFindings, pingDocker, readStackInfo } from "./lib/docker-images";
import { Bundle, outDirFrom } from "./lib/bundle";
import { StageRecord } from "./lib/events";
import { lintRecords, policyRecords, verifyRecords } from "./lib/steps";
import { checkSecretsFileMode, SECRETS_FILE } from "./lib/secrets-file";


// SIGHUP too: a closed terminal or SSH session must not leave the lock behind (SIGKILL cannot be
// caught: that lock is recovered by the next run, its PID being dead).
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };


/** Learn a stack's secrets for redaction; keep Grafana's admin password for the verify child's env. */
function absorbSecrets(ctx: Ctx, s: { outputs?: Record<string, unknown>; outputSecrets: Record<string, unknown>; configSecrets: Record<string, string> } | undefined): void {
  if (!s) return;
  ctx.outputs = s.outputs;
  redactor.learn([s.outputSecrets, s.configSecrets], true);
  const fromOutputs = Object.entries(s.outputSecrets).find(([k, v]) => /^grafanaAdminPassword$/i.test(k) && typeof v === "string")?.[1] as string | undefined;
  const fromConfig = Object.entries(s.configSecrets).find(([k]) => k.endsWith(":grafanaAdminPassword"))?.[1];
  ctx.grafanaPassword = fromOutputs ?? fromConfig ?? ctx.grafanaPassword;
}

function stage(ctx: Ctx, s: StageRecord): StageRecord {
  ctx.stages.push(s);
  const mark = s.status === "success" ? "ok" : s.status;
  printErr(`[bootstrap] ${s.step}: ${mark} (${s.durationMs} ms)${s.errors.length ? ` ${s.errors.map((e) => e.code).join(", ")}` : ""}`);
  return s;
}

function interruptedError(sig: string): ErrorRecord {
  return errorRecord("E_ENV_INTERRUPTED", `the run was interrupted by ${sig}`, { details: { signal: sig } });
}

async function preflight(ctx: Ctx, runner: ReturnType<typeof pulumiRunner>): Promise<{ fatal: boolean }> {
  const t0 = Date.now();
  const checks: Array<{ check: string; status: string; durationMs: number; detail?: string; error?: ErrorRecord }> = [];
  const errors: ErrorRecord[] = [];
  let fatal = false;
  const check = async (name: string, fn: () => Promise<string | ErrorRecord[] | void>) => {
    const c0 = Date.now();
    try {
      const r = await fn();
      if (Array.isArray(r) && r.length) {
        errors.push(...r);
        for (const e of r) checks.push({ check: name, status: "failed", durationMs: Date.now() - c0, error: e });
      } else checks.push({ check: name, status: "success", durationMs: Date.now() - c0, ...(typeof r === "string" ? { detail: r } : {}) });
    } catch (err) {
      const e = toErrorRecord(err);
      errors.push(e);
      checks.push({ check: name, status: "failed", durationMs: Date.now() - c0, error: e });
      if (e.code === "E_ENV_TOOL_MISSING" || e.code === "E_ENV_DOCKER_UNREACHABLE") fatal = true;
    }
  };
  await check("pulumi-cli", async () => {
    const r = await runner.run(versionArgv(), { timeoutMs: 30_000 });
    ctx.tools.pulumi = r.stdout.trim() || null;
    return ctx.tools.pulumi ?? undefined;
  });
  let dockerOk = false;
  await check("docker-engine", async () => {
    ctx.tools.docker = await pingDocker();
    dockerOk = true;
    return `Docker ${ctx.tools.docker}`;
  });
  await check("stack-file", async () => {
    ctx.stackInfo = readStackInfo(ctx.configFile);
    return `${path.basename(ctx.stackInfo.file)} offlineMode=${ctx.stackInfo.offlineMode}`;
  });
  if (dockerOk && ctx.stackInfo) {
    await check("offline-images", async () => {
      if (!ctx.stackInfo!.offlineMode) return "offlineMode is off: images are pulled by the program";
      return offlineImageFindings(dockerClient(), ctx.stackInfo!);
    });
  }
  await check("secrets-file", async () => {
    const c = checkSecretsFileMode(path.join(ctx.root, SECRETS_FILE));
    if (c.error) return [c.error];
    return c.exists ? `mode 0${c.mode!.toString(8)}` : "absent";
  });
  ctx.reports.preflight = { mode: ctx.mode, stack: ctx.stack, checks };
  stage(ctx, { step: "preflight", status: errors.length ? "failed" : "success", durationMs: Date.now() - t0, errors });
  return { fatal };
}

/** Exit code 2: the run was refused (nothing changed), not a step that went red. */
const REFUSAL_CODES = new Set(["E_ENV_TOOL_MISSING", "E_ENV_MODE_VIOLATION", "E_ENV_ROLLBACK_UNAVAILABLE", "E_DEPS_SNAPSHOT_MISMATCH"]);

async function runDockerStep(ctx: Ctx, p: PlannedStep): Promise<StageRecord> {
  const t0 = Date.now();
  const log = (m: string) => printErr(`[bootstrap] ${m}`);
  const base = { docker: dockerClient(), stack: ctx.stack, project: ctx.stackInfo?.projectName ?? ctx.stack, outDir: ctx.outDir, runId: ctx.bundle.runId, log };
  const r =
    p.step === "snapshot"
      ? await snapshotStep({ ...base, outputs: ctx.outputs, desiredImages: ctx.stackInfo?.images ?? {}, keep: ctx.stackInfo?.backupsKeep ?? 3 })
      : await restoreStep({ ...base, upgradeRun: ctx.upgradeRun, stackFile: ctx.configFile });
  ctx.warnings.push(...r.warnings);
  return stage(ctx, { step: p.step, status: r.status, durationMs: Date.now() - t0, errors: r.errors, detail: r.detail });
}

async function runStep(ctx: Ctx, p: PlannedStep, runner: ReturnType<typeof pulumiRunner>): Promise<StageRecord> {
  const t0 = Date.now();
  if (p.kind === "docker") return runDockerStep(ctx, p);
  if (p.kind === "pulumi") {
    const checkpointFile = p.step === "checkpoint" ? p.argv[p.argv.indexOf("--file") + 1] : undefined;
    // Only a run that reaches the checkpoint creates out/checkpoints/<stack>/.
    if (checkpointFile) fs.mkdirSync(path.dirname(checkpointFile), { recursive: true, mode: 0o700 });
    const r = await runner.run(p.argv);
    ctx.logs[`pulumi-${p.step}.log`] = `$ pulumi ${p.argv.join(" ")}\n# exit ${r.code}${r.signal ? ` (${r.signal})` : ""}, ${r.durationMs} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`;
    if (ctx.interrupted) return stage(ctx, { step: p.step, status: "failed", durationMs: r.durationMs, errors: [interruptedError(ctx.interrupted)] });
    if (checkpointFile) {
      if (r.code !== 0) {
        // A stack with no state yet (first apply) has nothing to export: note it, go on.
        ctx.warnings.push(`no state checkpoint before up: pulumi stack export exited ${r.code}`);
        return stage(ctx, { step: p.step, status: "skipped", durationMs: r.durationMs, errors: [], detail: `pulumi stack export exited ${r.code}` });
      }
      // The export keeps secrets encrypted, but it is still the whole state: owner-only.
      if (fs.existsSync(checkpointFile)) fs.chmodSync(checkpointFile, 0o600);
      return stage(ctx, { step: p.step, status: "success", durationMs: r.durationMs, errors: [], detail: `state before up: ${checkpointFile} (restore: pulumi stack import --file <it>, then pulumi up)` });
    }
    if (r.code === 0) return stage(ctx, { step: p.step, status: "success", durationMs: r.durationMs, errors: [] });
    const err = classifyPulumiFailure(p.step, r, p.fallback ?? "E_RUNTIME_DEPLOY_FAILED");
    if ((p.step === "refresh" || p.step === "idempotency") && err.details?.changesFound === true) {
      err.details = { ...err.details, hint: p.step === "refresh" ? "refresh found changes: the deployed stack drifted from state" : "a second up wanted changes" };
    }
    return stage(ctx, { step: p.step, status: "failed", durationMs: r.durationMs, errors: [err] });
  }
  guardNpmCall(ctx.mode, p.argv);
  // verify logs in to Grafana: it reads GRAFANA_ADMIN_PASSWORD from its environment (never argv, never printed).
  const env = p.step === "verify" && ctx.grafanaPassword && !process.env.GRAFANA_ADMIN_PASSWORD ? { ...process.env, GRAFANA_ADMIN_PASSWORD: ctx.grafanaPassword } : process.env;
  const r = await runProcess("npm", p.argv, { cwd: ctx.root, env });
  ctx.logs[`${p.step}.log`] = `$ npm ${p.argv.join(" ")}\n# exit ${r.code}, ${r.durationMs} ms\n--- stderr\n${r.stderr}\n`;
  if (r.notFound) {
    const e = errorRecord("E_ENV_TOOL_MISSING", "npm is not on PATH", { details: { tool: "npm" } });
    return stage(ctx, { step: p.step, status: "failed", durationMs: Date.now() - t0, errors: [e] });
  }
  if (ctx.interrupted) return stage(ctx, { step: p.step, status: "failed", durationMs: r.durationMs, errors: [interruptedError(ctx.interrupted)] });
  if (p.step === "policy-build") {
    const errors = r.code === 0 ? [] : [errorRecord(p.fallback ?? "E_DEPS_POLICY_PACK_BUILD", `npm run policy:build exited ${r.code}`, { details: { stderr: r.stderr.slice(-2000), stdout: r.stdout.slice(-2000) } })];
    return stage(ctx, { step: p.step, status: errors.length ? "failed" : "success", durationMs: r.durationMs, errors });
  }
  const report = parseJsonOutput(r.stdout);
  ctx.reports[p.step] = report ?? { unparsable: true, exitCode: r.code };
  const recs = p.step === "lint" ? lintRecords(report, r.code, r.stderr) : p.step === "policy" ? policyRecords(report, r.code, r.stderr) : verifyRecords(report, r.code, r.stderr);
  return stage(ctx, { step: p.step, status: recs.errors.length ? "failed" : "success", durationMs: r.durationMs, errors: recs.errors, warnings: recs.warnings });
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, {
    mode: { type: "string" },
    stack: { type: "string" },
    target: { type: "string", multiple: true },
    "verify-idempotency": { type: "boolean" },
    "config-file": { type: "string" },
    run: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    print(HELP);
    return 0;
  }
  const mode = values.mode as RunMode;
  if (!mode || !(MODES as readonly string[]).includes(mode)) throw new BootstrapError("E_ENV_USAGE", `--mode must be one of ${MODES.join(", ")} (got ${JSON.stringify(values.mode ?? null)})`);
  const stack = requireStack(values.stack);
  const targets = values.target ?? [];
  const root = projectRoot();
  const outDir = outDirFrom(process.env, root);
  const startedAt = new Date();
  const configFileArg = values["config-file"];
  const configFile = configFileArg ? path.resolve(configFileArg) : path.join(root, `Pulumi.${stack}.yaml`);
  redactor.learnEnvFile(path.join(root, SECRETS_FILE));
  // The bundle directory exists from the start: an upgrade's snapshots are written into it.
  const bundle = Bundle.create(outDir, startedAt);
  const ctx: Ctx = {
    mode, stack, root, configFile, configFileArg: configFileArg ? configFile : undefined, stages: [], logs: {}, reports: {}, exitCode: 0, warnings: [],
    tools: { node: process.version, pulumi: null, docker: null }, bundle, outDir, upgradeRun: values.run,
  };

  const packConfig = fs.existsSync(path.join(root, policyPackConfigFile(stack))) ? policyPackConfigFile(stack) : undefined;
  const checkpointFile = path.join(outDir, "checkpoints", stack, `${bundle.runId}.json`);
  const plan = planFor(mode, stack, { targets, verifyIdempotency: Boolean(values["verify-idempotency"]), packConfig, checkpointFile, configFile: ctx.configFileArg });
  const refusals: ErrorRecord[] = [];
  // The mode guard, over the whole plan before anything runs (and again before every spawn).
  try {
    if (targets.length && mode !== "repair") {
      throw new BootstrapError("E_ENV_MODE_VIOLATION", `--target names resources to change; only --mode repair takes it (got --mode ${mode})`, { details: { mode, targets } });
    }
    if (values.run !== undefined && mode !== "rollback") {
      throw new BootstrapError("E_ENV_MODE_VIOLATION", `--run names the upgrade to undo; only --mode rollback takes it (got --mode ${mode})`, { details: { mode, run: values.run } });
    }
    for (const p of plan) guardStep(mode, p, guardPulumiCall);
  } catch (err) {
    refusals.push(toErrorRecord(err));
  }

  let lock: RunLock | undefined;
  if (!refusals.length && (LOCKED_MODES as readonly string[]).includes(mode)) {
    try {
      lock = acquireRunLock(path.join(outDir, ".bootstrap.lock"), { mode, stack }, (m) => {
        ctx.warnings.push(m);
        printErr(`warning: ${m}`);
      });
    } catch (err) {
      refusals.push(toErrorRecord(err));
    }
  }
  const releaseOnExit = () => lock?.release();
  process.on("exit", releaseOnExit);
  const onSignal = (sig: NodeJS.Signals) => {
    if (ctx.interrupted) return;
    ctx.interrupted = sig;
    printErr(`[bootstrap] ${sig}: stopping the current step, writing the bundle, releasing the lock`);
    // pulumi cancels gracefully on SIGINT; a hang-up is forwarded as one (SIGHUP would just kill it).
    for (const child of activeChildren) child.kill(sig === "SIGHUP" ? "SIGINT" : sig);
    // Bounded: if the child ignores the signal, give up waiting and leave with the lock released.
    setTimeout(() => {
      lock?.release();
      process.exit(SIGNAL_EXIT[sig] ?? 1);
    }, 15_000).unref();
  };
  for (const sig of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) process.on(sig, onSignal);

  try {
    const runner = pulumiRunner(mode, root);
    let stop = refusals.length > 0;
    // No pulumi or no engine: no pulumi step can run; diagnose still runs lint and policy:check.
    let noPulumi = false;
    if (refusals.length) {
      for (const e of refusals) printErr(formatError(e));
      ctx.exitCode = 2;
    } else {
      const pf = await preflight(ctx, runner);
      if (pf.fatal) {
        ctx.exitCode = 2;
        noPulumi = true;
        stop = mode !== "diagnose";
      } else if (ctx.stages[0].status === "failed") {
        ctx.exitCode = 1;
        stop = mode !== "diagnose"; // diagnose is read-only: it reports everything it can
      }
      if (!pf.fatal) {
        // No stack yet: nothing secret to learn.
        absorbSecrets(ctx, await readStackSecrets(runner, stack, ctx.configFileArg).catch(() => undefined));
      }
    }
    for (const p of plan) {
      if (stop || ctx.interrupted || (noPulumi && p.kind === "pulumi")) {
        const why = ctx.interrupted ? `interrupted by ${ctx.interrupted}` : noPulumi && !stop ? "the Pulumi CLI or the Docker engine is unavailable" : "an earlier step failed or the run was refused";
        ctx.stages.push({ step: p.step, status: "skipped", durationMs: 0, errors: [], detail: why });
        continue;
      }
      const st = await runStep(ctx, p, runner);
      if (p.kind === "pulumi" && p.step !== "preview" && st.status === "success") {
        // A first `up` creates secrets (random passwords): learn them before anything else is written.
        absorbSecrets(ctx, await readStackSecrets(runner, stack, ctx.configFileArg).catch(() => undefined));
      }
      if (st.status === "failed") {
        ctx.exitCode = Math.max(ctx.exitCode, st.errors.some((e) => REFUSAL_CODES.has(e.code)) ? 2 : 1);
        if (mode !== "diagnose") stop = true;
      }
    }
    if (ctx.interrupted) ctx.exitCode = SIGNAL_EXIT[ctx.interrupted] ?? 1;
    return await writeBundle(ctx, outDir, startedAt, configFile, refusals, targets, argv, Boolean(values.json), runner);
  } finally {
    lock?.release();
    process.off("exit", releaseOnExit);
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { exit: true });
