// The end of every bootstrap run: evidence (desired state, provenance, the deployed resources from
// the state export), the reports, the run's record (finalizeRun: summary, closing events, runs
// index), and the summary printed last.
import fs from "node:fs";
import path from "node:path";
import type { ErrorRecord } from "../../../contracts/errors";
import { SERVICES } from "../../../contracts/config/schema";
import { BUNDLE_FILES, finalizeRun, sha256File } from "../bundle";
import { LiveEvents, RunHead, servicesOf, ServicePlan } from "../events";
import { artifactHashes, collectEvidence } from "../evidence-collect";
import { print, printJson } from "../redact";
import { desiredShasFromOutputs } from "../steps";
import { PULUMI_ENV_OVERRIDES } from "../pulumi/stack-ops";
import type { Ctx } from "./context";
import { learnStateSecrets, stateSummary } from "./run-step";
import { summaryLines } from "./summary";

const MUTATING = new Set(["apply", "repair", "rollback", "destroy", "restore"]);

/** The services of the run as events describe them (image, artifact hash, targeted in repair). */
export function servicePlans(ctx: Pick<Ctx, "mode" | "stackInfo" | "outputs">, targets: readonly string[], hashes?: Partial<Record<string, string>>): ServicePlan[] {
  const h = hashes ?? artifactHashes(desiredShasFromOutputs(ctx.outputs ?? {}));
  return SERVICES.map((s) => {
    const plan: ServicePlan = { service: s, image: ctx.stackInfo?.images[s], artifactHash: h[s] };
    if (ctx.mode === "repair") plan.targeted = targets.some((t) => servicesOf({ message: t, details: {} }).includes(s));
    return plan;
  });
}

/** Start the live event stream (after preflight: the stack and its outputs are known); replays the stages so far. */
export function startLiveEvents(ctx: Ctx, targets: readonly string[]): void {
  const head: RunHead = {
    runId: ctx.bundle.runId,
    mode: ctx.mode,
    stack: ctx.stack,
    baseHash: sha256File(ctx.configFile) ?? "",
    envKeys: Object.keys(PULUMI_ENV_OVERRIDES),
    warnings: [...ctx.warnings],
    services: servicePlans(ctx, targets),
    projectName: ctx.stackInfo?.projectName,
  };
  ctx.live = new LiveEvents(head, (e) => ctx.bundle.appendJsonl(BUNDLE_FILES.events, e));
  for (const s of ctx.stages) ctx.live.stage(s);
}

export async function writeBundle(ctx: Ctx, startedAt: Date, refusals: ErrorRecord[], targets: string[], argv: string[], json: boolean, exitCode: number): Promise<number> {
  const bundle = ctx.bundle;
  // Evidence: desired state and provenance. Read-only and best effort: it never turns a run red.
  const canCallTools = !refusals.length && ctx.ops !== undefined && !ctx.interrupted;
  const t0 = Date.now();
  // The outputs verify was given when no operation ran since (ctx.lastOutputs), else read now.
  const readOutputs = canCallTools
    ? async () => Object.fromEntries(Object.entries(ctx.lastOutputs ?? (await ctx.ops!.outputs())).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]))
    : undefined;
  // The state export (the deployed resources) is read beside the evidence.
  const exported = canCallTools && MUTATING.has(ctx.mode) ? ctx.ops!.exportState().then((s) => ({ s }), () => undefined) : Promise.resolve(undefined);
  const ev = await collectEvidence({
    stack: ctx.stack,
    root: ctx.root,
    configFile: ctx.configFile,
    stackInfo: ctx.stackInfo,
    readOutputs,
    docker: ctx.tools.docker !== null,
    // LOGGING_BOOTSTRAP_EVALUATE=0 skips evaluating the program in-process when outputs carry no SHAs.
    evaluate: canCallTools && process.env.LOGGING_BOOTSTRAP_EVALUATE !== "0",
  });
  const sources = [...ev.sources];
  const got = await exported;
  if (got) {
    // Evidence is best effort: an export that failed leaves no resources.json.
    const state = got.s as { deployment?: { resources?: Array<Record<string, unknown>> } };
    learnStateSecrets(state);
    bundle.writeJson(BUNDLE_FILES.resources, { mode: ctx.mode, stack: ctx.stack, resources: stateSummary(state.deployment) });
    sources.push("state export");
  }
  const evidence = { step: "evidence", status: "success" as const, durationMs: Date.now() - t0, errors: [], detail: sources.join(", ") };
  ctx.stages.push(evidence);
  ctx.live?.stage(evidence);
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
      : { mode: ctx.mode, status: "skipped", reason: ["apply", "repair", "rollback", "restore"].includes(ctx.mode) ? "an earlier step failed or the run was refused" : `verify does not run in ${ctx.mode} mode` },
  );
  for (const [name, text] of Object.entries(ctx.logs)) bundle.writeText(path.join("logs", name), text);
  if (!ctx.live) startLiveEvents(ctx, targets);
  const record = await finalizeRun(
    bundle,
    {
      mode: ctx.mode,
      stack: ctx.stack,
      startedAt,
      finishedAt: new Date(),
      exitCode,
      configFile: fs.existsSync(ctx.configFile) ? ctx.configFile : null,
      configSha256: sha256File(ctx.configFile),
      tools: { ...ctx.tools, "logging-bootstrap": readVersion(ctx.root) },
      stages: ctx.stages,
      errors: refusals,
      events: { envKeys: Object.keys(PULUMI_ENV_OVERRIDES), warnings: ctx.warnings, services: servicePlans(ctx, targets, ev.artifactHashes), projectName: ctx.stackInfo?.projectName },
      argv,
      options: { targets, ...(ctx.runArg ? { run: ctx.runArg } : {}), ...(ctx.deleteData ? { deleteData: true } : {}) },
      live: ctx.live,
    },
    (m) => ctx.progress.line(`warning: ${m}`),
  );
  const summary = bundle.readJson<Record<string, unknown>>(BUNDLE_FILES.summary);
  if (json) printJson(summary);
  else {
    const lines = summaryLines({
      status: record.status,
      mode: ctx.mode,
      stack: ctx.stack,
      exitCode,
      durationMs: record.duration_ms,
      stages: ctx.stages,
      nextActions: (summary?.next_actions ?? []) as Array<{ bucket: string; action: string }>,
      bundlePath: path.join(ctx.outDir, record.bundle),
    });
    for (const l of lines) print(l);
  }
  return exitCode;
}

function readVersion(root: string): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}
