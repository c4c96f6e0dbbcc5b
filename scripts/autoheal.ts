// `npm run -s autoheal -- <bundle dir|run_id|latest>`: every error of a run bundle grouped by taxonomy
// bucket, one recommended next action per active bucket, an example patch for config (P4). It reads
// only; it never executes anything or changes the bundle (the advisor boundary, docs/ADVISOR.md).
import fs from "node:fs";
import path from "node:path";
import { BootstrapError, ErrorRecord } from "../contracts/errors";
import { parseCli, projectRoot, runCli } from "./lib/cli";
import { BUNDLE_FILES, outDirFrom } from "./lib/bundle";
import { suggest, Suggestions } from "./lib/advice";
import { print, printJson } from "./lib/redact";
import { findRun } from "./lib/runs-index";
import { lintRecords, policyRecords, verifyRecords } from "./lib/steps";
import { EXIT_CODES_HELP } from "./lib/exit-codes";

const HELP = `Usage: npm run -s autoheal -- <bundle dir | run_id | latest> [--json]

Reads summary.json and the reports of a run bundle, groups every error by bucket and prints exactly one
recommended next action per active bucket (plus an example patch for config). Never executes anything.

At least one active bucket is exit 1; a bundle that is not there is exit 2 (usage).

${EXIT_CODES_HELP}`;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function key(e: ErrorRecord): string {
  return `${e.code}\u0000${e.message}`;
}

/** Every error of a bundle: summary.json's list, plus anything the raw reports hold that it lacks. */
export function bundleErrors(dir: string): { runId: string; mode: string; stack: string; errors: ErrorRecord[] } {
  const summary = readJson(path.join(dir, BUNDLE_FILES.summary)) as { run_id?: string; mode?: string; stack?: string; errors?: ErrorRecord[] } | undefined;
  const meta = readJson(path.join(dir, BUNDLE_FILES.meta)) as { run_id?: string; mode?: string; stack?: string } | undefined;
  if (!summary && !meta) throw new BootstrapError("E_ENV_USAGE", `${dir} is not a run bundle (no summary.json or meta.json)`);
  const errors: ErrorRecord[] = [...(summary?.errors ?? [])];
  const seen = new Set(errors.map(key));
  const add = (list: ErrorRecord[]) => {
    for (const e of list) if (!seen.has(key(e))) (seen.add(key(e)), errors.push(e));
  };
  const preflight = readJson(path.join(dir, BUNDLE_FILES.preflight)) as { checks?: Array<{ error?: ErrorRecord }>; refusals?: ErrorRecord[] } | undefined;
  add(preflight?.refusals ?? []);
  add((preflight?.checks ?? []).flatMap((c) => (c.error ? [c.error] : [])));
  const lint = (readJson(path.join(dir, "lint.report.json")) as { report?: unknown } | undefined)?.report;
  if (lint) add(lintRecords(lint, null, "").errors.filter((e) => e.code !== "E_INTERNAL"));
  const policy = (readJson(path.join(dir, "policy.report.json")) as { report?: unknown } | undefined)?.report;
  if (policy) add(policyRecords(policy, null, "").errors.filter((e) => e.code !== "E_INTERNAL"));
  const verify = (readJson(path.join(dir, BUNDLE_FILES.verify)) as { report?: unknown } | undefined)?.report;
  if (verify) add(verifyRecords(verify, 0, "").errors.filter((e) => e.code !== "E_INTERNAL"));
  return { runId: summary?.run_id ?? meta?.run_id ?? path.basename(dir), mode: summary?.mode ?? meta?.mode ?? "unknown", stack: summary?.stack ?? meta?.stack ?? "unknown", errors };
}

export function formatSuggestions(s: Suggestions): string {
  if (!s.active_buckets.length) return `run ${s.run_id}: no active bucket (resolved: ${s.resolved_buckets.join(", ")})`;
  const lines = [`run ${s.run_id} (${s.mode}, stack ${s.stack}): ${s.active_buckets.length} active bucket(s)`];
  for (const b of s.active_buckets) {
    lines.push("", `[${b.bucket}] ${b.count} error(s): ${b.error_codes.join(", ")}`, `  next action: ${b.recommended_action}`, `  run: ${b.next_command}`);
    if (b.example_patch) lines.push("  example patch:", ...b.example_patch.trimEnd().split("\n").map((l) => `    ${l}`));
  }
  lines.push("", `resolved: ${s.resolved_buckets.join(", ") || "none"}`);
  return lines.join("\n");
}

async function resolveBundle(arg: string): Promise<string> {
  if (fs.existsSync(path.join(arg, BUNDLE_FILES.meta)) || fs.existsSync(path.join(arg, BUNDLE_FILES.summary))) return path.resolve(arg);
  const outDir = outDirFrom(process.env, projectRoot());
  const r = await findRun(path.join(outDir, "runs.jsonl"), arg);
  if (!r) throw new BootstrapError("E_ENV_USAGE", `no run bundle ${JSON.stringify(arg)} (neither a bundle directory nor a run in ${path.join(outDir, "runs.jsonl")})`);
  return path.join(outDir, r.bundle);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, true);
  if (values.help) {
    print(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new BootstrapError("E_ENV_USAGE", "pass exactly one bundle directory, run id or `latest`");
  const dir = await resolveBundle(positionals[0]);
  const b = bundleErrors(dir);
  const s = suggest({ runId: b.runId, mode: b.mode, stack: b.stack, errors: b.errors });
  if (values.json) printJson(s);
  else print(formatSuggestions(s));
  return s.active_buckets.length ? 1 : 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
