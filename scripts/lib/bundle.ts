// Run bundles (P12): out/runs/<run_id>/ with every report of one run, written through the redactor
// (P8), then exactly one line in out/runs.jsonl. Files are written to a temp name and renamed, so a
// reader (recall, autoheal) never sees half a report.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BUCKETS, ErrorRecord } from "../../contracts/errors";
import { buildEvents, EventRunInfo, LiveEvents, StageRecord } from "./events";
import { Redactor, redactor as defaultRedactor } from "./redact";
import { appendRunRecord, RunRecord, RunStatus } from "./runs-index";
import { suggest } from "./advice";
import { formatDuration } from "./progress";

export const BUNDLE_FILES = {
  meta: "meta.json",
  desired: "desired_state.json",
  provenance: "provenance.json",
  preflight: "preflight.report.json",
  verify: "verify.report.json",
  autoheal: "autoheal.suggestions.json",
  summary: "summary.json",
  summaryMd: "summary.md",
  events: "events.jsonl",
  /** The engine's events, condensed (resource steps, diagnostics, policy, summary), as they happen. */
  engine: "engine-events.jsonl",
  /** The deployed resources (URN, type, id, protect) from the state export after a change. */
  resources: "resources.json",
  /** The progress lines the run printed, as it printed them. */
  progress: "logs/progress.log",
} as const;

/** `2026-11-21T23:55:33.123Z` -> `2026-11-21T23-55-33.123Z`: sortable, no ':' (portable file names). */
export function runIdFor(d: Date): string {
  return d.toISOString().replace(/:/g, "-");
}

export function outDirFrom(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(cwd, env.LOGGING_BOOTSTRAP_OUT_DIR || "out");
}

export function sha256File(file: string): string | null {
  try {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return null;
  }
}

export class Bundle {
  private constructor(
    readonly outDir: string,
    readonly runId: string,
    readonly dir: string,
    readonly redactor: Redactor,
  ) {}

  /** Create out/runs/<timestamp>/ (a suffix keeps two runs started in the same millisecond apart). */
  static create(outDir: string, started: Date, redactor: Redactor = defaultRedactor): Bundle {
    const runs = path.join(outDir, "runs");
    fs.mkdirSync(runs, { recursive: true });
    const base = runIdFor(started);
    for (let i = 0; i < 1000; i++) {
      const id = i === 0 ? base : `${base}-${i}`;
      try {
        fs.mkdirSync(path.join(runs, id));
        return new Bundle(outDir, id, path.join(runs, id), redactor);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    }
    throw new Error(`could not create a run directory under ${runs}`);
  }

  static open(outDir: string, runId: string, redactor: Redactor = defaultRedactor): Bundle {
    return new Bundle(outDir, runId, path.join(outDir, "runs", runId), redactor);
  }

  get relDir(): string {
    return path.join("runs", this.runId);
  }

  private write(name: string, data: string): void {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  }

  writeJson(name: string, value: unknown): void {
    this.write(name, this.redactor.json(value));
  }

  writeText(name: string, text: string): void {
    this.write(name, this.redactor.text(text));
  }

  writeJsonl(name: string, values: unknown[]): void {
    this.write(name, values.map((v) => this.redactor.line(v) + "\n").join(""));
  }

  /** Append one redacted JSON line now (one write(2): a reader tailing the file sees it at once). */
  appendJsonl(name: string, value: unknown): void {
    this.append(name, this.redactor.line(value) + "\n");
  }

  /** Append redacted text now. */
  appendText(name: string, text: string): void {
    this.append(name, this.redactor.text(text));
  }

  private append(name: string, data: string): void {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, data);
  }

  readJson<T = unknown>(name: string): T | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, name), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  files(): string[] {
    const out: string[] = [];
    const walk = (d: string, rel: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name), path.join(rel, e.name));
        else out.push(path.join(rel, e.name));
      }
    };
    walk(this.dir, "");
    return out.sort();
  }
}

export interface RunOutcome {
  mode: string;
  stack: string;
  startedAt: Date;
  finishedAt: Date;
  exitCode: number;
  configFile: string | null;
  configSha256: string | null;
  tools: Record<string, string | null>;
  stages: StageRecord[];
  /** Extra errors not tied to a stage (e.g. a refusal before any stage ran). */
  errors: ErrorRecord[];
  events: Omit<EventRunInfo, "runId" | "mode" | "stack" | "stages" | "baseHash">;
  argv: string[];
  options?: Record<string, unknown>;
  /** The run wrote its events as it went: only the closing events are left to write. */
  live?: LiveEvents;
}

export function allErrors(o: Pick<RunOutcome, "stages" | "errors">): ErrorRecord[] {
  return [...o.errors, ...o.stages.flatMap((s) => s.errors)];
}

export function allWarnings(o: Pick<RunOutcome, "stages">): ErrorRecord[] {
  return o.stages.flatMap((s) => s.warnings ?? []);
}

export function activeBuckets(errors: ErrorRecord[]): string[] {
  const present = new Set(errors.map((e) => e.bucket));
  return BUCKETS.filter((b) => present.has(b));
}

/** Write meta, events, per-service logs, autoheal, summary; then append the run to runs.jsonl. */
export async function finalizeRun(bundle: Bundle, o: RunOutcome, warn?: (m: string) => void): Promise<RunRecord> {
  const errors = allErrors(o);
  const warnings = allWarnings(o);
  const status: RunStatus = o.exitCode === 0 && errors.length === 0 ? "green" : "red";
  const durationMs = o.finishedAt.getTime() - o.startedAt.getTime();
  bundle.writeJson(BUNDLE_FILES.meta, {
    run_id: bundle.runId,
    mode: o.mode,
    stack: o.stack,
    status,
    exit_code: o.exitCode,
    started_at: o.startedAt.toISOString(),
    finished_at: o.finishedAt.toISOString(),
    duration_ms: durationMs,
    config_file: o.configFile,
    config_sha256: o.configSha256,
    tools: o.tools,
    argv: o.argv,
    options: o.options ?? {},
    pid: process.pid,
  });
  let built;
  if (o.live) built = o.live.finish();
  else {
    built = buildEvents({ ...o.events, runId: bundle.runId, mode: o.mode, stack: o.stack, stages: o.stages, baseHash: o.configSha256 ?? "" });
    bundle.writeJsonl(BUNDLE_FILES.events, built.events);
  }
  for (const log of built.logs) bundle.writeJson(path.join("services", `${log.service}.json`), log);
  const suggestions = suggest({ runId: bundle.runId, mode: o.mode, stack: o.stack, errors });
  bundle.writeJson(BUNDLE_FILES.autoheal, suggestions);
  const summary = {
    run_id: bundle.runId,
    mode: o.mode,
    stack: o.stack,
    status,
    exit_code: o.exitCode,
    duration_ms: durationMs,
    steps: o.stages.map((s) => ({ step: s.step, status: s.status, duration_ms: s.durationMs, detail: s.detail ?? null, errors: s.errors.length })),
    errors,
    warnings,
    active_buckets: activeBuckets(errors),
    next_actions: suggestions.active_buckets.map((b) => ({ bucket: b.bucket, action: b.recommended_action })),
    files: [] as string[],
  };
  summary.files = [...new Set([...bundle.files(), BUNDLE_FILES.summary, BUNDLE_FILES.summaryMd])].sort();
  bundle.writeJson(BUNDLE_FILES.summary, summary);
  bundle.writeText(BUNDLE_FILES.summaryMd, summaryMarkdown(summary));
  const record: RunRecord = {
    run_id: bundle.runId,
    ts: o.startedAt.toISOString(),
    finished_at: o.finishedAt.toISOString(),
    mode: o.mode,
    stack: o.stack,
    status,
    exit_code: o.exitCode,
    errors: errors.length,
    warnings: warnings.length,
    buckets: summary.active_buckets,
    codes: [...new Set(errors.map((e) => e.code))],
    duration_ms: durationMs,
    config: o.configFile ? path.basename(o.configFile) : null,
    config_sha256: o.configSha256,
    bundle: bundle.relDir,
  };
  await appendRunRecord(path.join(bundle.outDir, "runs.jsonl"), record, (r) => bundle.redactor.line(r), warn);
  return record;
}

export function summaryMarkdown(s: {
  run_id: string;
  mode: string;
  stack: string;
  status: string;
  exit_code: number;
  duration_ms: number;
  steps: Array<{ step: string; status: string; duration_ms: number; detail: string | null }>;
  errors: ErrorRecord[];
  next_actions: Array<{ bucket: string; action: string }>;
}): string {
  const lines = [
    `# Run ${s.run_id}: ${s.status.toUpperCase()}`,
    "",
    `- mode: \`${s.mode}\`, stack: \`${s.stack}\`, exit code ${s.exit_code}, ${formatDuration(s.duration_ms)}`,
    "",
    "| step | status | duration | detail |",
    "| --- | --- | --- | --- |",
    ...s.steps.map((st) => `| ${st.step} | ${st.status} | ${formatDuration(st.duration_ms)} | ${(st.detail ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ")} |`),
    "",
  ];
  if (s.errors.length) {
    lines.push("## Errors", "");
    for (const e of s.errors) lines.push(`- \`${e.code}\` (${e.bucket}): ${e.message.replace(/\n/g, " ")}`);
    lines.push("");
  }
  if (s.next_actions.length) {
    lines.push("## Next action per bucket", "");
    for (const a of s.next_actions) lines.push(`- **${a.bucket}**: ${a.action}`);
    lines.push("");
  }
  return lines.join("\n");
}
