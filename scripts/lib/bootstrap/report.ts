// The end of every bootstrap run: evidence (desired state, provenance), the reports, the run's
// record (finalizeRun: summary, events, runs index), and the summary printed last.
import fs from "node:fs";
import path from "node:path";
import type { ErrorRecord } from "../../../contracts/errors";
import { SERVICES } from "../../../contracts/config/schema";
import { BUNDLE_FILES, finalizeRun, sha256File } from "../bundle";
import { servicesOf, ServicePlan } from "../events";
import { collectEvidence } from "../evidence-collect";
import { PULUMI_ENV_OVERRIDES, pulumiRunner } from "../pulumi-cli";
import { print, printErr, printJson } from "../redact";
import type { Ctx } from "./context";
import { summaryLines } from "./summary";

export async function writeBundle(
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
