// test:variants' reading of a run: the bundle bootstrap wrote for it, held to what the config implies.
// Pure except for reading the bundle files, so the comparison is unit-tested on made-up bundles.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Expected } from "../../components/verify/expectations";

interface LevelLike {
  level: string;
  status: string;
  code?: string;
  findings?: string[];
}
export interface BundleRead {
  dir: string;
  verify?: { status?: string; levels?: LevelLike[]; skipped?: { level: string; reason: string }[] };
}

export interface VariantRow {
  name: string;
  apply: string;
  verify: string;
  levels: string;
  mismatches: string[];
  seconds: number;
}

/** The newest run bundle started at or after `sinceMs` (runs.jsonl: one line a run, scripts/lib/runs-index.ts RunRecord). */
export function latestBundle(outDir: string, sinceMs: number): BundleRead | undefined {
  const index = path.join(outDir, "runs.jsonl");
  if (!fs.existsSync(index)) return undefined;
  const lines = fs.readFileSync(index, "utf8").split("\n").filter((l) => l.trim() !== "");
  for (let i = lines.length - 1; i >= 0; i--) {
    let rec: { ts?: string; bundle?: string; mode?: string };
    try {
      rec = JSON.parse(lines[i]);
    } catch {
      continue;
    }
    // The run's clock and this process's are the same machine's: a second of slack is plenty.
    if (!(Date.parse(rec.ts ?? "") + 1000 >= sinceMs)) return undefined;
    if (!rec.bundle || rec.mode !== "apply") continue;
    const dir = path.join(outDir, rec.bundle);
    const file = path.join(dir, "verify.report.json");
    // The bundle wraps verify's own --json report: {mode, report}.
    const doc = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { report?: BundleRead["verify"] } & BundleRead["verify"]) : undefined;
    return { dir, verify: doc?.report ?? doc };
  }
  return undefined;
}

/** One variant's row: apply's exit, verify's status, the levels by verdict, and every difference from `expected`. */
export function compareOutcome(name: string, expected: Record<string, Expected>, apply: { code: number; ms: number }, bundle: BundleRead | undefined): VariantRow {
  const mismatches: string[] = [];
  if (apply.code !== 0) mismatches.push(`apply exited ${apply.code}`);
  const v = bundle?.verify;
  if (!v) return { name, apply: `exit ${apply.code}`, verify: "-", levels: "-", mismatches: [...mismatches, "no verify report in the run's bundle"], seconds: apply.ms / 1000 };
  const levels = new Map((v.levels ?? []).map((l) => [l.level, l]));
  const skipped = new Map((v.skipped ?? []).map((k) => [k.level, k.reason]));
  const tally = { green: [] as string[], warn: [] as string[], skipped: [] as string[], red: [] as string[] };
  for (const [level, want] of Object.entries(expected)) {
    const got = levels.get(level);
    if (want.status === "skipped") {
      if (got) mismatches.push(`${level} ran (${got.status}) but the config turns it off (${want.why})`);
      else if (!skipped.has(level)) mismatches.push(`${level} neither ran nor is listed as skipped`);
      else if (skipped.get(level) !== want.why) mismatches.push(`${level} skipped for "${skipped.get(level)}", expected "${want.why}"`);
      tally.skipped.push(level);
      continue;
    }
    if (!got) {
      mismatches.push(`${level} did not run (expected ${want.status})`);
      continue;
    }
    (tally[got.status as keyof typeof tally] ?? tally.red).push(level);
    if (got.status !== want.status) mismatches.push(`${level} ${got.status}${got.code ? ` ${got.code}` : ""}${got.findings?.length ? ` (${got.findings[0].slice(0, 160)})` : ""}, expected ${want.status}${want.status === "warn" ? ` ${want.code}` : ""}`);
    else if (want.status === "warn" && got.code !== want.code) mismatches.push(`${level} warns ${got.code}, expected ${want.code} (${want.why})`);
  }
  const fmt = (k: keyof typeof tally) => (tally[k].length ? `${k} ${tally[k].join(",")}` : "");
  return {
    name,
    apply: `exit ${apply.code}`,
    verify: v.status ?? "-",
    levels: (["green", "warn", "skipped", "red"] as const).map(fmt).filter(Boolean).join("; "),
    mismatches,
    seconds: apply.ms / 1000,
  };
}

export function formatTable(rows: readonly VariantRow[]): string {
  const head = ["variant", "apply", "verify", "time", "levels", "as expected"];
  const body = rows.map((r) => [r.name, r.apply, r.verify, `${r.seconds.toFixed(0)} s`, r.levels, r.mismatches.length ? `NO: ${r.mismatches.join("; ")}` : "yes"]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (i === 5 ? 0 : b[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(Math.max(w, 3)))), ...body.map(line)].join("\n");
}
