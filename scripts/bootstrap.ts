// The run wrapper (P16, P17, P18, P12): one entry point with explicit modes over the Pulumi lifecycle,
// driven through Pulumi's Automation API (scripts/lib/pulumi/). Every run: mode guard over the whole
// plan -> run lock (mutating modes) -> preflight (CLI, backend, stack, Docker) -> steps with live
// progress -> bundle (its events written as they happen) -> one line in runs.jsonl.
import fs from "node:fs";
import path from "node:path";
import { BootstrapError, ErrorRecord, errorRecord, toErrorRecord } from "../contracts/errors";
import { formatError, parseCli, projectRoot, runCli } from "./lib/cli";
import { acquireRunLock, RunLock } from "./lib/lock";
import { activeChildren } from "./lib/proc";
import { print, printErr, redactor } from "./lib/redact";
import { guardStep, LOCKED_MODES, MODES, planFor, policyPackConfigFile, RunMode } from "./lib/bootstrap/plan";
import { HELP } from "./lib/bootstrap/help";
import type { Ctx } from "./lib/bootstrap/context";
import { preflight } from "./lib/bootstrap/preflight";
import { startLiveEvents, writeBundle } from "./lib/bootstrap/report";
import { interruptedError, runStep, stage } from "./lib/bootstrap/run-step";
import { Bundle, BUNDLE_FILES, outDirFrom } from "./lib/bundle";
import { EXIT, exitForErrors, SIGNAL_EXIT } from "./lib/exit-codes";
import { Progress } from "./lib/progress";
import { SECRETS_FILE } from "./lib/secrets-file";
import { remoteHostsOfFile } from "./lib/pulumi/fleet";
import type { OpenOptions, Opened } from "./lib/pulumi/workspace";

export interface Deps {
  /** Opens the stack's Pulumi operations (tests hand in a fake; default: the Automation API). */
  open?: (o: OpenOptions) => Promise<Opened>;
  /** More of how the stack is opened (npm start: create the `local` stack from its template). */
  openOptions?: Partial<OpenOptions>;
}

export const OPTIONS = {
  mode: { type: "string" },
  stack: { type: "string" },
  target: { type: "string", multiple: true },
  host: { type: "string", multiple: true },
  "verify-idempotency": { type: "boolean" },
  "config-file": { type: "string" },
  "policy-config": { type: "string" },
  run: { type: "string" },
  "delete-data": { type: "boolean" },
  confirm: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Refusals that need nothing but the command line (before the lock, before any tool runs). */
export function argumentRefusals(mode: RunMode, v: { target?: string[]; host?: string[]; run?: string; "delete-data"?: boolean; confirm?: string; stack?: string }): ErrorRecord[] {
  const out: ErrorRecord[] = [];
  const refuse = (m: string, details: Record<string, unknown>) => out.push(errorRecord("E_ENV_MODE_VIOLATION", m, { details: { mode, ...details } }));
  if (v.target?.length && mode !== "repair") refuse(`--target names resources to change; only --mode repair takes it (got --mode ${mode})`, { targets: v.target });
  if (v.host?.length && mode !== "repair" && mode !== "drift") refuse(`--host limits drift and repair to one host's resources; only --mode drift and --mode repair take it (got --mode ${mode})`, { hosts: v.host });
  if (v.host?.length && v.target?.length) refuse("--host and --target both name what to change: give one of them", { hosts: v.host, targets: v.target });
  for (const h of v.host ?? []) if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(h)) refuse(`--host ${JSON.stringify(h)} is not a host name (lower-case letters, digits and '-', as in the stack file's hosts)`, { hosts: v.host });
  if (v.run !== undefined && mode !== "rollback" && mode !== "restore") refuse(`--run names the run to undo or restore; only --mode rollback and --mode restore take it (got --mode ${mode})`, { run: v.run });
  if ((v["delete-data"] || v.confirm !== undefined) && mode !== "destroy") refuse(`--delete-data and --confirm belong to --mode destroy (got --mode ${mode})`, {});
  if (mode === "destroy" && v.confirm !== undefined && !v["delete-data"]) refuse("--confirm confirms --delete-data; without --delete-data destroy keeps the data and needs no confirmation", {});
  return out;
}

/** Stages in the plan's order (preflight first; anything the plan does not name keeps its place at the end). */
export function inPlanOrder<T extends { step: string }>(stages: readonly T[], plan: readonly { step: string }[]): T[] {
  const rank = (s: T) => (s.step === "preflight" ? -1 : plan.findIndex((p) => p.step === s.step) + 1 || Number.MAX_SAFE_INTEGER);
  return stages.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i).map((x) => x.s);
}

/** --delete-data needs the stack's name typed back (--confirm <stack>), the way a prompt would ask for it. */
export function confirmationRefusal(stack: string, deleteData: boolean, confirm: string | undefined): ErrorRecord | undefined {
  if (!deleteData || confirm === stack) return undefined;
  return errorRecord(
    "E_ENV_CONFIRMATION_REQUIRED",
    confirm === undefined ? `--delete-data deletes the data volumes of stack ${stack}: type the stack's name back with --confirm ${stack}` : `--confirm ${confirm} does not name stack ${stack}: nothing was deleted`,
    { details: { stack, confirm: confirm ?? null } },
  );
}

export async function main(argv: string[], deps: Deps = {}): Promise<number> {
  const { values } = parseCli(argv, OPTIONS);
  if (values.help) {
    print(HELP);
    return EXIT.OK;
  }
  const mode = values.mode as RunMode;
  if (!mode || !(MODES as readonly string[]).includes(mode)) throw new BootstrapError("E_ENV_USAGE", `--mode must be one of ${MODES.join(", ")} (got ${JSON.stringify(values.mode ?? null)})`);
  if (values.stack !== undefined && !/^[A-Za-z0-9_./-]+$/.test(values.stack)) throw new BootstrapError("E_ENV_USAGE", "--stack <name>: letters, digits, '-', '_', '.', '/'");
  const targets = values.target ?? [];
  const root = projectRoot();
  const outDir = outDirFrom(process.env, root);
  const startedAt = new Date();
  const configFileArg = values["config-file"] ? path.resolve(values["config-file"]) : undefined;
  redactor.learnEnvFile(path.join(root, SECRETS_FILE));
  // The bundle exists from the start: snapshots are written into it, events appended to it.
  const bundle = Bundle.create(outDir, startedAt);
  // Progress goes to stderr and, as printed, into the bundle (logs/progress.log: tail -f works).
  const progress = new Progress((l) => {
    printErr(`[bootstrap] ${l}`);
    bundle.appendText(BUNDLE_FILES.progress, `${l}\n`);
  });
  const firstStack = values.stack?.split("/").pop() ?? "";
  const ctx: Ctx = {
    mode, stack: firstStack, root, configFile: configFileArg ?? path.join(root, `Pulumi.${firstStack}.yaml`), configFileArg, stages: [], logs: {}, reports: {}, warnings: [],
    tools: { node: process.version, pulumi: null, docker: null }, bundle, outDir, progress, abort: new AbortController(), runArg: values.run, deleteData: Boolean(values["delete-data"]),
  };
  const planOpts = (stack: string) => ({
    targets,
    verifyIdempotency: Boolean(values["verify-idempotency"]),
    // --policy-config names the pack's config for a stack whose file lives elsewhere; else policy/config/<stack>.json.
    packConfig: values["policy-config"] ? path.resolve(values["policy-config"]) : fs.existsSync(path.join(root, policyPackConfigFile(stack))) ? policyPackConfigFile(stack) : undefined,
    checkpointFile: path.join(outDir, "checkpoints", stack, `${bundle.runId}.json`),
    configFile: configFileArg,
    deleteData: ctx.deleteData,
    remoteHosts: remoteHostsOfFile(ctx.configFile),
    ...(values.host?.length ? { hostScope: values.host } : {}),
  });
  // The mode guard, over the whole plan before anything runs (and again before every step).
  const refusals: ErrorRecord[] = argumentRefusals(mode, values);
  const early = values.stack ? confirmationRefusal(firstStack, ctx.deleteData, values.confirm) : undefined;
  if (early) refusals.push(early);
  if (!refusals.length) {
    try {
      for (const p of planFor(mode, firstStack || "stack", planOpts(firstStack || "stack"))) guardStep(mode, p);
    } catch (err) {
      refusals.push(toErrorRecord(err));
    }
  }

  let lock: RunLock | undefined;
  if (!refusals.length && LOCKED_MODES.includes(mode)) {
    try {
      lock = acquireRunLock(path.join(outDir, ".bootstrap.lock"), { mode, stack: firstStack || "(selected)" }, (m) => {
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
    // The Pulumi CLI cancels gracefully on SIGINT (the Automation API sends it on abort).
    ctx.abort.abort();
    for (const child of activeChildren) child.kill(sig === "SIGHUP" ? "SIGINT" : sig);
    // Bounded: if a child ignores the signal, give up waiting and leave with the lock released.
    setTimeout(() => {
      lock?.release();
      process.exit(SIGNAL_EXIT[sig] ?? 1);
    }, 15_000).unref();
  };
  const signals = Object.keys(SIGNAL_EXIT) as NodeJS.Signals[];
  for (const sig of signals) process.on(sig, onSignal);

  try {
    if (refusals.length) {
      for (const e of refusals) printErr(formatError(e));
    } else {
      // The Automation API is loaded only when it is used (it takes seconds to load).
      const open = deps.open ?? (await import("./lib/pulumi/workspace")).openStack;
      await preflight(ctx, () =>
        open({ root, stack: values.stack, env: process.env, log: (m) => ctx.progress.line(m), stackFile: (s) => configFileArg ?? path.join(root, `Pulumi.${s.split("/").pop()}.yaml`), ...deps.openOptions }),
      );
      const late = confirmationRefusal(ctx.stack, ctx.deleteData, values.confirm);
      if (late && !early) refusals.push(late);
      startLiveEvents(ctx, targets);
      const plan = planFor(mode, ctx.stack, planOpts(ctx.stack));
      // Diagnose is read-only: it reports everything it can (lint and policy without the CLI too).
      let stop = refusals.length > 0 || (ctx.stages[0].status === "failed" && mode !== "diagnose");
      if (late) printErr(formatError(late));
      const beside: Promise<unknown>[] = [];
      for (const p of plan) {
        if (stop || ctx.interrupted || (p.kind === "pulumi" && !ctx.ops)) {
          stage(ctx, { step: p.step, status: "skipped", durationMs: 0, errors: [] });
          continue;
        }
        const run = runStep(ctx, p).then((s) => {
          if (s.status === "failed" && mode !== "diagnose") stop = true;
        });
        if (p.concurrent) {
          beside.push(run);
          run.catch(() => undefined); // awaited below, with the others
        } else await run;
      }
      await Promise.all(beside);
      // Steps that ran side by side finish in any order: the record lists them in the plan's.
      ctx.stages = inPlanOrder(ctx.stages, plan);
    }
    const errors = [...refusals, ...ctx.stages.flatMap((s) => s.errors)];
    if (ctx.interrupted && !errors.some((e) => e.code === "E_ENV_INTERRUPTED")) stage(ctx, { step: "interrupted", status: "failed", durationMs: 0, errors: [interruptedError(ctx.interrupted)] });
    const exitCode = ctx.interrupted ? (SIGNAL_EXIT[ctx.interrupted] ?? 1) : exitForErrors(errors);
    return await writeBundle(ctx, startedAt, refusals, targets, argv, Boolean(values.json), exitCode);
  } finally {
    ctx.progress.end();
    lock?.release();
    process.off("exit", releaseOnExit);
    for (const sig of signals) process.off(sig, onSignal);
  }
}

if (require.main === module) {
  // A thrown error (bad usage, an unexpected failure) is printed with its code, bucket and fix.
  runCli(() => main(process.argv.slice(2)), { json: () => process.argv.includes("--json") });
}
