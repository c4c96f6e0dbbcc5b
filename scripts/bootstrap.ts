// The run wrapper (P16, P17, P18, P12): one entry point with explicit modes over the Pulumi lifecycle.
// Every run: mode guard over the whole plan -> run lock (mutating modes) -> preflight -> steps -> bundle.
import fs from "node:fs";
import path from "node:path";
import { BootstrapError, ErrorRecord, errorRecord, toErrorRecord } from "../contracts/errors";
import { SERVICES } from "../contracts/config/schema";
import { formatError, parseCli, projectRoot, requireStack, runCli } from "./lib/cli";
import { acquireRunLock, RunLock } from "./lib/lock";
import { activeChildren, parseJsonOutput, runProcess } from "./lib/proc";
import { print, printErr, printJson, redactor } from "./lib/redact";
import {
  classifyPulumiFailure,
  guardPulumiCall,
  LOCKED_MODES,
  MODES,
  policyPackConfigFile,
  PULUMI_ENV_OVERRIDES,
  pulumiRunner,
  readStackSecrets,
  RunMode,
  versionArgv,
} from "./lib/pulumi-cli";
import { guardNpmCall, guardStep, PlannedStep, planFor } from "./lib/bootstrap/plan";
import { restoreStep, snapshotStep } from "./lib/upgrade/steps";
import { summaryLines } from "./lib/bootstrap/summary";
import { dockerClient, offlineImageFindings, pingDocker, readStackInfo, StackInfo } from "./lib/docker-images";
import { Bundle, BUNDLE_FILES, finalizeRun, outDirFrom, sha256File } from "./lib/bundle";
import { StageRecord, servicesOf, ServicePlan } from "./lib/events";
import { lintRecords, policyRecords, verifyRecords } from "./lib/steps";
import { collectEvidence } from "./lib/evidence-collect";
import { checkSecretsFileMode, SECRETS_FILE } from "./lib/secrets-file";

const HELP = `Usage: npm run -s bootstrap -- --mode <diagnose|apply|repair|drift|rollback> --stack <name>
                              [--target <urn>...] [--run <id>] [--config-file <file>] [--verify-idempotency] [--json]

Modes (every pulumi call: --non-interactive, stdin closed, no TTY, PULUMI_SKIP_UPDATE_CHECK=true;
--policy-pack policy is compiled first with npm run policy:build and gets
--policy-pack-config policy/config/<stack>.json when that file exists):
  diagnose  read-only: config:lint, policy:check, pulumi preview --policy-pack policy; with offlineMode
            also E_DEPS_IMAGE_MISSING_OFFLINE for each absent image. A mutating call is E_ENV_MODE_VIOLATION.
  apply     pulumi stack export to out/checkpoints/<stack>/<run>.json (mode 0600, secrets stay encrypted;
            restore with pulumi stack import --file <it> then pulumi up); when a pinned image changes, the
            previous pins go to the bundle's upgrade.json and the data volume of each stateful service
            whose image changes (Grafana, Loki, Prometheus, Alertmanager) is snapshotted first (service
            stopped, archived to backups/<volume>.tar.gz with its sha256, owner-only, started again;
            the stack's backups.keep newest upgrades keep theirs, older ones are deleted and named);
            then pulumi up --yes --policy-pack policy, then verify; with --verify-idempotency then
            pulumi up --expect-no-changes (a change is E_PROOF_IDEMPOTENCY).
  repair    checkpoint as apply, then pulumi up --yes --policy-pack policy --target-dependents on
            the named resources only (--target <urn>; a container is rebuilt from the rendered files with
            --target-replace, its data volume kept), then verify. Refused without --target.
  drift     pulumi refresh --preview-only --expect-no-changes (read-only: state is not written);
            changes found ("no changes were expected but changes ...") are drift, E_PROOF_DRIFT;
            any other failure of the refresh is E_RUNTIME_DEPLOY_FAILED.
  rollback  undo an upgrade (--run <id>: that apply run; default: the newest not yet rolled back):
            every snapshot's sha256 is checked first (a mismatch refuses: E_DEPS_SNAPSHOT_MISMATCH);
            the previous pins are written back into the stack file, each snapshotted service is
            stopped and its volume restored; then checkpoint, pulumi up, verify. Record: rollback.json.
apply, repair, drift and rollback hold out/.bootstrap.lock; a second run fails with
"Another bootstrap run is active (PID N)" (E_ENV_LOCK_HELD); a dead PID's lock is recovered with a warning.
Every run writes out/runs/<run_id>/ (meta, desired_state, provenance, preflight/verify reports, events.jsonl,
autoheal.suggestions.json, summary.json/.md) and one line in out/runs.jsonl. LOGGING_BOOTSTRAP_OUT_DIR moves out/.

Options:
  --run <id>            rollback only: the apply run (out/runs/<id>) whose upgrade to undo
  --config-file <file>  the stack's config file when it is not Pulumi.<stack>.yaml (passed to every
                        pulumi call as --config-file, and to config:lint, policy:check and verify)
  --json                print summary.json on stdout instead of the text summary

Exit codes: 0 green; 1 a step went red (lint, policy, preview, up, verify, drift, idempotency, offline images);
2 refused or environment (usage, E_ENV_MODE_VIOLATION, E_ENV_LOCK_HELD, E_ENV_TOOL_MISSING,
E_ENV_DOCKER_UNREACHABLE, E_ENV_ROLLBACK_UNAVAILABLE, E_DEPS_SNAPSHOT_MISMATCH); 129 SIGHUP, 130 SIGINT, 143 SIGTERM (the lock is released, the bundle written).`;

// SIGHUP too: a closed terminal or SSH session must not leave the lock behind (SIGKILL cannot be
// caught: that lock is recovered by the next run, its PID being dead).
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

interface Ctx {
  mode: RunMode;
  stack: string;
  root: string;
  /** The stack's config file (Pulumi.<stack>.yaml unless --config-file). */
  configFile: string;
  /** --config-file as given (passed on to pulumi); undefined for Pulumi.<stack>.yaml. */
  configFileArg?: string;
  stages: StageRecord[];
  logs: Record<string, string>;
  reports: Record<string, unknown>;
  interrupted?: NodeJS.Signals;
  stackInfo?: StackInfo;
  exitCode: number;
  tools: Record<string, string | null>;
  /** Run-level warnings (e.g. a recovered stale lock): BootstrapPlanned.warnings and the preflight report. */
  warnings: string[];
  /** Grafana's admin password from the stack (secret output or secret config), for verify's env only. */
  grafanaPassword?: string;
  /** The stack's outputs as last read (what is deployed): the snapshot step compares images with them. */
  outputs?: Record<string, unknown>;
  bundle: Bundle;
  outDir: string;
  /** --run (rollback). */
  upgradeRun?: string;
}

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

async function writeBundle(
  ctx: Ctx,
  outDir: string,
  startedAt: Date,
  configFile: string,
  refusals: ErrorRecord[],
  targets: string[],
  argv: string[],
  json: boolean,
  runner: ReturnType<typeof pulumiRunner>,
): Promise<number> {
  const bundle = ctx.bundle;
  // Evidence: desired state and provenance. Read-only and best effort: it never turns a run red.
  const canCallTools = !refusals.length && ctx.tools.pulumi !== null && !ctx.interrupted;
  const t0 = Date.now();
  const ev = await collectEvidence({
    stack: ctx.stack,
    root: ctx.root,
    configFile,
    stackInfo: ctx.stackInfo,
    runner: canCallTools ? runner : undefined,
    docker: ctx.tools.docker !== null,
    // LOGGING_BOOTSTRAP_EVALUATE=0 skips evaluating the program in-process when outputs carry no SHAs.
    evaluate: canCallTools && process.env.LOGGING_BOOTSTRAP_EVALUATE !== "0",
  });
  ctx.stages.push({ step: "evidence", status: "success", durationMs: Date.now() - t0, errors: [], detail: ev.sources.join(", ") });
  bundle.writeJson(BUNDLE_FILES.desired, { mode: ctx.mode, ...ev.desired });
  bundle.writeJson(BUNDLE_FILES.provenance, { mode: ctx.mode, ...ev.provenance });
  if (ev.outputs) bundle.writeJson("outputs.json", ev.outputs);
  bundle.writeJson(BUNDLE_FILES.preflight, {
    mode: ctx.mode,
    stack: ctx.stack,
    refused: refusals.length > 0,
    refusals,
    warnings: ctx.warnings,
    checks: (ctx.reports.preflight as { checks?: unknown[] } | undefined)?.checks ?? [],
    lint: ctx.reports.lint ?? null,
    policy: ctx.reports.policy ?? null,
  });
  if (ctx.reports.lint) bundle.writeJson("lint.report.json", { mode: ctx.mode, report: ctx.reports.lint });
  if (ctx.reports.policy) bundle.writeJson("policy.report.json", { mode: ctx.mode, report: ctx.reports.policy });
  bundle.writeJson(
    BUNDLE_FILES.verify,
    ctx.reports.verify !== undefined
      ? { mode: ctx.mode, report: ctx.reports.verify }
      : { mode: ctx.mode, status: "skipped", reason: ctx.mode === "apply" || ctx.mode === "repair" ? "an earlier step failed or the run was refused" : `verify does not run in ${ctx.mode} mode` },
  );
  for (const [name, text] of Object.entries(ctx.logs)) bundle.writeText(path.join("logs", name), text);
  const services: ServicePlan[] = SERVICES.map((s) => {
    const plan: ServicePlan = { service: s, image: ctx.stackInfo?.images[s], artifactHash: ev.artifactHashes[s] };
    if (ctx.mode === "repair") plan.targeted = targets.some((t) => servicesOf({ message: t, details: {} }).includes(s));
    return plan;
  });
  const finishedAt = new Date();
  const record = await finalizeRun(
    bundle,
    {
      mode: ctx.mode,
      stack: ctx.stack,
      startedAt,
      finishedAt,
      exitCode: ctx.exitCode,
      configFile: fs.existsSync(configFile) ? configFile : null,
      configSha256: sha256File(configFile),
      tools: { ...ctx.tools, "logging-bootstrap": readVersion(ctx.root) },
      stages: ctx.stages,
      errors: refusals,
      events: { envKeys: Object.keys(PULUMI_ENV_OVERRIDES), warnings: ctx.warnings, services, projectName: ctx.stackInfo?.projectName },
      argv,
      options: { targets },
    },
    (m) => printErr(`warning: ${m}`),
  );
  const summary = bundle.readJson<Record<string, unknown>>(BUNDLE_FILES.summary);
  if (json) printJson(summary);
  else {
    const lines = summaryLines({
      status: record.status,
      mode: ctx.mode,
      stack: ctx.stack,
      exitCode: ctx.exitCode,
      durationMs: record.duration_ms,
      stages: ctx.stages,
      nextActions: (summary?.next_actions ?? []) as Array<{ bucket: string; action: string }>,
      bundlePath: path.join(outDir, record.bundle),
    });
    for (const l of lines) print(l);
  }
  return ctx.exitCode;
}

function readVersion(root: string): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { exit: true });
