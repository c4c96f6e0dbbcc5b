// npm run -s drill:upgrade (test/upgrade/run.sh prepares the engine, images and a fresh testenv
// stack pinned to Prometheus 2.x): an upgrade and its rollback on the real Pulumi engine and real
// Prometheus binaries.
//   1. apply on Prometheus 2.x: up + verify green;
//   2. series written by 2.x: samples of prometheus_build_info{version="<2.x>"} counted at a fixed time;
//   3. upgrade to 3.x through apply: the snapshot step archives the data volume (sha256, 0600),
//      verify green, 3.x answers and still reads the 2.x samples;
//   4. a rollback of a tampered copy of that upgrade is refused (E_DEPS_SNAPSHOT_MISMATCH) and
//      changes nothing;
//   5. rollback: the stack file has the 2.x pin again, verify green, 2.x answers, the same 2.x
//      samples are queryable and nothing written by 3.x is (the volume is the snapshot).
// Tools are injected so the checks themselves are unit-tested with a fake (test/ops/drill.test.ts).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { commandRunner, type Run } from "../util/run";
import type { DriverOptions, DriverTools } from "../util/stack-driver";

export type { Run };

export interface Tools extends DriverTools {
  /** GET a URL; never throws (status 0 when unreachable). */
  get(url: string): Promise<{ status: number; body: string }>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface DrillOptions extends DriverOptions {
  prometheusUrl: string;
  /** Image refs: the 2.x the stack starts on, the 3.x it upgrades to. */
  from: string;
  to: string;
}

export class DrillFailure extends Error {}
function fail(msg: string): never {
  throw new DrillFailure(msg);
}

/** Samples of Prometheus 2.x's own build info written before the upgrade, the data the drill follows. */
export const SAMPLES_BEFORE = 2;

const tagOf = (ref: string) => ref.slice(ref.lastIndexOf(":") + 1).replace(/^v/, "");

interface Summary {
  run_id?: string;
  status?: string;
  errors?: Array<{ code: string; message?: string }>;
  steps?: Array<{ step: string; status: string; duration_ms?: number }>;
}
function parseSummary(stdout: string): Summary {
  const i = stdout.indexOf("{");
  try {
    return i < 0 ? {} : (JSON.parse(stdout.slice(i)) as Summary);
  } catch {
    return {};
  }
}

export async function drill(t: Tools, o: DrillOptions): Promise<string> {
  const total = 5;
  let n = 0;
  const t0 = t.now();
  const at = () => `${Math.round((t.now() - t0) / 1000)} s`;
  const step = (s: string) => t.log(`[drill] ${++n}/${total} ${s} (at ${at()})`);
  const boot = async (mode: string, ...extra: string[]) => {
    const b0 = t.now();
    const r = await t.run("npm", ["run", "-s", "bootstrap", "--", "--mode", mode, "--stack", o.stack, "--config-file", o.stackFile, "--json", ...extra]);
    const summary = parseSummary(r.stdout);
    // Where the drill's time goes: each bootstrap run with its steps' times.
    const steps = (summary.steps ?? []).map((x) => `${x.step} ${typeof x.duration_ms === "number" ? `${(x.duration_ms / 1000).toFixed(1)} s` : "?"}`);
    t.log(`[drill]   bootstrap --mode ${mode}${extra.length ? ` ${extra.join(" ")}` : ""}: ${((t.now() - b0) / 1000).toFixed(1)} s${steps.length ? ` (${steps.join(", ")})` : ""}`);
    return { ...r, summary };
  };
  const expectGreen = (r: Run & { summary: Summary }, what: string) => {
    if (r.code !== 0) fail(`${what} exited ${r.code}: ${(r.summary.errors ?? []).map((e) => `${e.code} ${e.message ?? ""}`).join("; ") || r.stderr.trim().split("\n").slice(-15).join("\n")}`);
    const verify = r.summary.steps?.find((s) => s.step === "verify");
    if (verify?.status !== "success") fail(`${what}: verify did not run green (${verify?.status ?? "absent"})`);
  };
  const query = async (q: string, at: number): Promise<number | undefined> => {
    const r = await t.get(`${o.prometheusUrl}/api/v1/query?query=${encodeURIComponent(q)}&time=${(at / 1000).toFixed(3)}`);
    if (r.status !== 200) fail(`Prometheus query ${q} answered ${r.status}: ${r.body.slice(0, 200)}`);
    const res = (JSON.parse(r.body) as { data?: { result?: Array<{ value: [number, string] }> } }).data?.result ?? [];
    return res.length ? Number(res[0].value[1]) : undefined;
  };
  const version = async (): Promise<string | undefined> => {
    const r = await t.get(`${o.prometheusUrl}/api/v1/status/buildinfo`);
    return r.status === 200 ? (JSON.parse(r.body) as { data?: { version?: string } }).data?.version : undefined;
  };
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> => {
    const deadline = t.now() + timeoutMs;
    let last: T | undefined;
    for (;;) {
      last = await fn().catch(() => undefined);
      if (last !== undefined && ok(last)) return last;
      if (t.now() > deadline) fail(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${JSON.stringify(last ?? null)})`);
      await t.sleep(2000);
    }
  };
  const vFrom = tagOf(o.from);
  const vTo = tagOf(o.to);
  // One number over every series of the version (instance or job labels never split the count).
  const samples = (v: string) => `sum(count_over_time(prometheus_build_info{version="${v}"}[1h]))`;

  step(`apply on Prometheus ${vFrom}`);
  expectGreen(await boot("apply"), `apply (Prometheus ${vFrom})`);
  await waitFor(`Prometheus ${vFrom} to answer`, version, (v) => v === vFrom, 60_000);

  step(`series written by Prometheus ${vFrom}`);
  // Prometheus scrapes itself every 15 s: two samples of its build info (a series, not a lone
  // point), counted at a fixed time. Each is in the TSDB's WAL, which the snapshot carries and 3.x
  // replays: the count proves the data survived, whatever its size.
  const firstAt = t.now();
  await waitFor(`${SAMPLES_BEFORE} samples of prometheus_build_info{version="${vFrom}"}`, () => query(samples(vFrom), t.now()), (c) => c >= SAMPLES_BEFORE, 150_000);
  const tPre = t.now();
  const before = (await query(samples(vFrom), tPre)) ?? 0;
  // A fresh TSDB, or the rollback check below proves nothing.
  const stale = await query(samples(vTo), tPre);
  if (stale !== undefined) fail(`the environment is not fresh: ${stale} samples written by ${vTo} exist before the upgrade (a data volume left from an earlier run?)`);
  t.log(`[drill]   ${before} samples of prometheus_build_info{version="${vFrom}"} in the hour up to ${new Date(tPre).toISOString()} (after ${Math.round((tPre - firstAt) / 1000)} s)`);

  step(`upgrade to Prometheus ${vTo} through apply`);
  const pinned = fs.readFileSync(o.stackFile, "utf8");
  if (!pinned.includes(o.from)) fail(`the stack file does not pin ${o.from}`);
  fs.writeFileSync(o.stackFile, pinned.split(o.from).join(o.to));
  const up = await boot("apply");
  expectGreen(up, `apply (upgrade to ${vTo})`);
  if (up.summary.steps?.find((s) => s.step === "snapshot")?.status !== "success") fail("the upgrade ran without a snapshot step");
  const upgradeRun = up.summary.run_id ?? fail("apply printed no run id");
  const recFile = path.join(o.outDir, "runs", upgradeRun, "upgrade.json");
  const rec = JSON.parse(fs.readFileSync(recFile, "utf8")) as { previousImages: Record<string, string>; backups: Array<{ service: string; file: string; sha256: string }> };
  const backup = rec.backups.find((b) => b.service === "prometheus") ?? fail(`${recFile} has no Prometheus snapshot`);
  if (rec.previousImages.prometheus !== o.from) fail(`upgrade.json records the previous Prometheus pin as ${rec.previousImages.prometheus}, not ${o.from}`);
  const snapFile = path.join(o.outDir, "runs", upgradeRun, backup.file);
  const bytes = fs.readFileSync(snapFile);
  if (crypto.createHash("sha256").update(bytes).digest("hex") !== backup.sha256) fail(`${snapFile} does not match its recorded sha256`);
  if ((fs.statSync(snapFile).mode & 0o077) !== 0) fail(`${snapFile} is readable by others (mode ${(fs.statSync(snapFile).mode & 0o777).toString(8)})`);
  t.log(`[drill]   snapshot ${path.join("runs", upgradeRun, backup.file)}: ${bytes.length} bytes, sha256 ${backup.sha256.slice(0, 16)}…, owner-only`);
  await waitFor(`Prometheus ${vTo} to answer`, version, (v) => v === vTo, 60_000);
  const onNew = await query(samples(vFrom), tPre);
  if (onNew !== before) fail(`Prometheus ${vTo} reads ${onNew ?? 0} of the ${before} samples written by ${vFrom}`);
  await waitFor(`a sample written by Prometheus ${vTo}`, () => query(samples(vTo), t.now()), (c) => c >= 1, 60_000);
  t.log(`[drill]   Prometheus ${vTo} answers, reads all ${before} samples written by ${vFrom}, and writes its own`);

  step("a tampered snapshot is refused");
  const tampered = `${upgradeRun}-tampered`;
  const tDir = path.join(o.outDir, "runs", tampered);
  fs.cpSync(path.join(o.outDir, "runs", upgradeRun), tDir, { recursive: true });
  try {
    const f = path.join(tDir, backup.file);
    const b = fs.readFileSync(f);
    b[Math.floor(b.length / 2)] ^= 0xff;
    fs.writeFileSync(f, b);
    const stackBefore = fs.readFileSync(o.stackFile, "utf8");
    const r = await boot("rollback", "--run", tampered);
    const codes = (r.summary.errors ?? []).map((e) => e.code);
    if (r.code !== 4 || !codes.includes("E_DEPS_SNAPSHOT_MISMATCH")) fail(`rollback of a tampered snapshot: exit ${r.code} with ${JSON.stringify(codes)}, expected exit 4 (refused) with E_DEPS_SNAPSHOT_MISMATCH`);
    if (fs.readFileSync(o.stackFile, "utf8") !== stackBefore) fail("the refused rollback changed the stack file");
    if ((await version()) !== vTo) fail(`after the refused rollback Prometheus is not ${vTo} any more`);
    t.log(`[drill]   refused with E_DEPS_SNAPSHOT_MISMATCH (exit 4); stack file and Prometheus ${vTo} untouched`);
  } finally {
    fs.rmSync(tDir, { recursive: true, force: true });
  }

  step(`rollback to Prometheus ${vFrom}`);
  const rb = await boot("rollback");
  expectGreen(rb, "rollback");
  if (rb.summary.steps?.find((s) => s.step === "restore")?.status !== "success") fail("rollback ran without a restore step");
  if (!fs.readFileSync(o.stackFile, "utf8").includes(o.from) || fs.readFileSync(o.stackFile, "utf8").includes(o.to)) fail(`the stack file does not pin ${o.from} again`);
  await waitFor(`Prometheus ${vFrom} to answer again`, version, (v) => v === vFrom, 60_000);
  const after = await query(samples(vFrom), tPre);
  if (after !== before) fail(`after the rollback ${after ?? 0} of the ${before} samples written by ${vFrom} are queryable`);
  const fromNew = await query(samples(vTo), t.now());
  if (fromNew !== undefined) {
    const series = await t.get(`${o.prometheusUrl}/api/v1/series?match[]=${encodeURIComponent(`prometheus_build_info{version="${vTo}"}`)}`);
    fail(`after the rollback ${fromNew} samples written by ${vTo} are still there: the volume was not restored from the snapshot (series: ${series.body.slice(0, 600)})`);
  }
  const line = `drill:upgrade PASSED: Prometheus ${vFrom} -> ${vTo} by apply (run ${upgradeRun}, snapshot sha256 ${backup.sha256.slice(0, 12)}) -> rollback (run ${rb.summary.run_id}) back on ${vFrom}: all ${before} samples written before the upgrade queryable, none written by ${vTo}, verify green`;
  t.log(line);
  t.log(`[drill] finished in ${at()}`);
  return line;
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, "..", "..");
  const tools: Tools = {
    run: commandRunner(root),
    get: async (url) => {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        return { status: r.status, body: await r.text() };
      } catch {
        return { status: 0, body: "" };
      }
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    log: (l) => process.stdout.write(l + "\n"),
  };
  const env = (k: string) => process.env[k] || fail(`${k} is not set (run npm run -s drill:upgrade, which sets it)`);
  try {
    await drill(tools, {
      stack: env("DRILL_STACK"),
      stackFile: env("DRILL_STACK_FILE"),
      outDir: env("LOGGING_BOOTSTRAP_OUT_DIR"),
      prometheusUrl: env("DRILL_PROMETHEUS_URL"),
      from: env("DRILL_FROM"),
      to: env("DRILL_TO"),
    });
    return 0;
  } catch (e) {
    process.stderr.write(`drill:upgrade FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) main().then((c) => process.exit(c));
