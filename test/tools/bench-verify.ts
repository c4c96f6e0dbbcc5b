// npm run bench:verify [-- --runs N] [--json] [--testenv F]
// Wall time of the full proof suite on the warm test stack: levels in parallel vs in sequence, and
// a naive baseline written the way a first shell script would (sequential; every wait a fixed
// `sleep 5`: before each retry, between consecutive successes, between ingestion polls). Prints the
// ratios, each level's median, the slowest level apart from L3 and L9 (which wait on ingestion and
// alert delivery) and whether the targets hold (each other level < 0.5 s; naive >= 8x parallel).
// A command, not a timed test: it asserts nothing and exits 0 unless it could not run.
import * as path from "path";
import { parseArgs } from "util";
import { LEVELS, LEVEL_NAMES, Level, Io } from "../../components/verify/types";
import { runSuite, SuiteOptions, SuiteReport } from "../../components/verify/suite";
import { contextFor } from "./faults/matrix";
import { runCli } from "../../scripts/lib/cli";

export const NAIVE_SLEEP_MS = 5000;
/** Levels that wait on the services' own clocks: ingestion (Alloy's poll, Loki's ingestion) and alert delivery. */
const SLOW_BY_NATURE: readonly Level[] = ["L3", "L9"];
const LEVEL_TARGET_MS = 500;
const RATIO_TARGET = 8;

/** The same checks with the seed's habits: every wait is a fixed sleep. */
export function naiveIo(io: Io): Io {
  return { ...io, clock: { now: io.clock.now, sleep: () => io.clock.sleep(NAIVE_SLEEP_MS) } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

interface Series {
  name: string;
  runs: number[];
  perLevel: Record<string, number[]>;
  allGreen: boolean;
  ingestion: { visibleAfterMs: number; attempts: number; lastGapMs: number; pollMs: number; fastPollMs: number | null; firstQueryAfterMs: number }[];
}

function record(s: Series, r: SuiteReport) {
  s.runs.push(r.durationMs);
  if (r.status === "red") s.allGreen = false;
  for (const l of r.levels) {
    (s.perLevel[l.level] ??= []).push(l.durationMs);
    if (l.level === "L3" && l.status === "green") {
      const a = (l.diagnostics.attempts as { wall_clock_s: number }[]) ?? [];
      const gap = a.length >= 2 ? (a[a.length - 1].wall_clock_s - a[a.length - 2].wall_clock_s) * 1000 : 0;
      s.ingestion.push({ visibleAfterMs: Number(l.diagnostics.visibleAfterMs), attempts: a.length, lastGapMs: Math.round(gap), pollMs: Number(l.diagnostics.pollIntervalMs), fastPollMs: typeof l.diagnostics.fastPollMs === "number" ? l.diagnostics.fastPollMs : null, firstQueryAfterMs: Number(l.diagnostics.firstQueryAfterMs ?? 0) });
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { runs: { type: "string" }, json: { type: "boolean" }, testenv: { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    process.stdout.write("Usage: npm run bench:verify [-- --runs N] [--json] [--testenv F]\nPrints suite wall time parallel vs sequential vs a naive fixed-sleep baseline on the warm test stack, and the ratios.\nExit: 0 printed; 3 could not run.\n");
    return 0;
  }
  const runs = Number(values.runs ?? 3);
  const envFile = path.resolve(values.testenv ?? path.join(__dirname, "..", ".tmp", "testenv.json"));
  const { ctx, base } = await contextFor(envFile, () => undefined);
  const levels: Level[] = [...LEVELS];
  const opts: SuiteOptions = { ...base, levels };
  const mk = (name: string): Series => ({ name, runs: [], perLevel: {}, allGreen: true, ingestion: [] });
  const par = mk("parallel");
  const seq = mk("sequential");
  const naive = mk("naive (seed-style: sequential, fixed sleeps)");
  // Warm-up: first requests pay connection set-up and module loading.
  await runSuite(ctx.desired, ctx.io, { ...opts, parallel: true });
  for (let i = 0; i < runs; i++) {
    record(par, await runSuite(ctx.desired, ctx.io, { ...opts, parallel: true }));
    record(seq, await runSuite(ctx.desired, ctx.io, { ...opts, parallel: false }));
  }
  const naiveRuns = Math.max(1, Math.min(runs, 2));
  for (let i = 0; i < naiveRuns; i++) {
    record(naive, await runSuite(ctx.desired, naiveIo(ctx.io), { ...opts, parallel: false }));
  }
  const m = (s: Series) => median(s.runs);
  // Every level but the two that wait on the services' own clocks (L3: ingestion, L9: delivery).
  const timed = levels.filter((l) => !SLOW_BY_NATURE.includes(l)).map((l) => ({ level: l, ms: median(par.perLevel[l] ?? [NaN]) }));
  const slowest = timed.reduce((a, b) => (b.ms > a.ms ? b : a));
  const summary = {
    runs,
    naiveRuns,
    wallMs: { parallel: Math.round(m(par)), sequential: Math.round(m(seq)), naive: Math.round(m(naive)) },
    ratios: {
      sequentialOverParallel: +(m(seq) / m(par)).toFixed(2),
      naiveOverParallel: +(m(naive) / m(par)).toFixed(2),
      naiveOverSequential: +(m(naive) / m(seq)).toFixed(2),
    },
    perLevelMedianMs: Object.fromEntries(levels.map((l) => [l, { parallel: Math.round(median(par.perLevel[l] ?? [])), sequential: Math.round(median(seq.perLevel[l] ?? [])), naive: Math.round(median(naive.perLevel[l] ?? [])) }])),
    targets: {
      everyLevelExceptL3L9Under500ms: slowest.ms < LEVEL_TARGET_MS,
      slowestLevel: { level: slowest.level, name: LEVEL_NAMES[slowest.level], ms: Math.round(slowest.ms) },
      naiveOverParallelAtLeast8: m(naive) / m(par) >= RATIO_TARGET,
      // Found on the first attempt after the marker became queryable: the gap between the last
      // two attempts is at most one poll interval plus one query.
      ingestion: par.ingestion,
    },
    allGreen: par.allGreen && seq.allGreen && naive.allGreen,
  };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else {
    const p = (n: number) => `${(n / 1000).toFixed(2)} s`;
    const out = [
      `bench:verify on the warm test stack (${runs} runs each; naive ${naiveRuns}; medians)${summary.allGreen ? "" : "  WARNING: some run was red"}`,
      `  parallel    ${p(summary.wallMs.parallel)}`,
      `  sequential  ${p(summary.wallMs.sequential)}   x${summary.ratios.sequentialOverParallel} of parallel`,
      `  naive       ${p(summary.wallMs.naive)}   x${summary.ratios.naiveOverParallel} of parallel, x${summary.ratios.naiveOverSequential} of sequential`,
      `  per level (parallel / sequential / naive):`,
      ...levels.map((l) => `    ${l} ${p(summary.perLevelMedianMs[l].parallel)} / ${p(summary.perLevelMedianMs[l].sequential)} / ${p(summary.perLevelMedianMs[l].naive)}`),
      `  slowest level (L3 and L9 aside): ${slowest.level} ${LEVEL_NAMES[slowest.level]} ${p(slowest.ms)}`,
      `  target: every level except L3 and L9 < 0.5 s: ${summary.targets.everyLevelExceptL3L9Under500ms ? "yes" : "NO"}; naive >= ${RATIO_TARGET}x parallel: ${summary.targets.naiveOverParallelAtLeast8 ? "yes" : "NO"} (x${summary.ratios.naiveOverParallel})`,
      `  ingestion: ${par.ingestion.map((x) => `visible after ${x.visibleAfterMs} ms in ${x.attempts} attempts, last gap ${x.lastGapMs} ms`).join("; ")}`,
      `  ingestion polling: first query ${par.ingestion[0]?.firstQueryAfterMs ?? "?"} ms after the write (loki.write batch_wait), then every ${par.ingestion[0]?.fastPollMs ?? "?"} ms, later every ${par.ingestion[0]?.pollMs ?? "?"} ms`,
    ];
    process.stdout.write(out.join("\n") + "\n");
  }
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { failExit: () => 3, exit: true });
