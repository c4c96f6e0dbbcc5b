// The few lines a bootstrap run prints last: status, one line per step, the error behind each
// failed step (its code and Pulumi's own error line, so a CI log names the cause without the
// bundle), the next actions, and where the bundle is.
import type { StageRecord } from "../events";
import { formatDuration } from "../progress";

export interface RunSummaryInput {
  status: string;
  mode: string;
  stack: string;
  exitCode: number;
  durationMs: number;
  stages: readonly StageRecord[];
  nextActions: ReadonlyArray<{ bucket: string; action: string }>;
  bundlePath: string;
}

/** Text lines of the summary; the caller prints them through the redactor. */
export function summaryLines(s: RunSummaryInput): string[] {
  const lines = [`${s.status.toUpperCase()}: bootstrap --mode ${s.mode} --stack ${s.stack} (exit ${s.exitCode}, ${formatDuration(s.durationMs)})`];
  for (const st of s.stages) {
    lines.push(`  ${st.step.padEnd(12)} ${st.status.padEnd(8)} ${formatDuration(st.durationMs).padStart(10)}${st.errors.length ? `  ${st.errors.map((e) => e.code).join(", ")}` : ""}${st.step === "verify" && st.detail ? `  ${st.detail}` : ""}`);
  }
  for (const st of s.stages) {
    if (st.status !== "failed") continue;
    for (const e of st.errors) lines.push(`  error (${st.step}): ${e.code}: ${e.message.split("\n")[0].slice(0, 400)}`);
  }
  for (const a of s.nextActions) lines.push(`  next (${a.bucket}): ${a.action}`);
  lines.push(`  bundle: ${s.bundlePath}`);
  return lines;
}
