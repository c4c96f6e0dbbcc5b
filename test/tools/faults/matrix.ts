// The fault matrix: for each level, a green baseline, its fault in, red with the expected code,
// restored, green again; an interrupted run restores the fault in flight before it exits.
import * as fs from "fs";
import Docker from "dockerode";
import type { ErrorCode } from "../../../contracts/errors";
import { makeIo } from "../../../components/verify/io";
import { driftRecordFrom, imagesFromRecord, runLevel, SuiteOptions, SuiteOverrides } from "../../../components/verify/suite";
import type { Level, ProofResult } from "../../../components/verify/types";
import { driftKeyFrom, grafanaPasswordFrom, loadDesired } from "../../../scripts/lib/verify-load";
import { EXPECTED, Fault, FaultContext, FAULT_OVERRIDES, RESTORE_OVERRIDES, TestEnv, waitDockerHealthy } from "./support";
import { faults } from "./catalog";

export interface FaultOutcome {
  level: Level;
  fault: string;
  expectedCode: ErrorCode;
  baseline: Pick<ProofResult, "status" | "code">;
  underFault: Pick<ProofResult, "status" | "code" | "findings"> & { seconds: number; runs: number };
  afterRestore: Pick<ProofResult, "status" | "code" | "findings"> & { seconds: number; runs: number };
  pass: boolean;
  error?: string;
}

/** The fault injected right now: an interrupted run (SIGINT/SIGTERM) restores it before exiting. */
let active: { fault: Fault; ctx: FaultContext } | undefined;

/** Restore the active fault (bounded), then exit: no exit path leaves the environment faulted. */
export async function restoreActiveAndExit(signal: string, code: number): Promise<never> {
  const a = active;
  active = undefined;
  if (a) {
    process.stderr.write(`[faults] ${signal}: restoring ${a.fault.level} before exit\n`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([a.fault.restore(a.ctx), new Promise((_, rej) => (timer = setTimeout(() => rej(new Error("restore took over 120 s")), 120_000)))])
      .catch((e) => process.stderr.write(`[faults] restore of ${a.fault.level} failed: ${(e as Error).message} (npm run testenv:down && npm run testenv:up rebuilds the environment)\n`))
      .finally(() => clearTimeout(timer));
  }
  process.exit(code);
}

async function until(run: () => Promise<ProofResult>, done: (r: ProofResult) => boolean, seconds: number): Promise<{ r: ProofResult; seconds: number; runs: number }> {
  const t0 = Date.now();
  let runs = 0;
  for (;;) {
    runs++;
    const r = await run();
    if (done(r) || Date.now() - t0 > seconds * 1000) return { r, seconds: (Date.now() - t0) / 1000, runs };
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** The matrix's seams (tests replace them): the faults, and how one level's proof is run. */
export interface MatrixDeps {
  faults: Fault[];
  run(level: Level, overrides: SuiteOverrides): Promise<ProofResult>;
  /** How long each phase re-runs the proof waiting for its verdict, seconds. */
  limits: { baseline: number; red: number; green: number };
}
export const MATRIX_LIMITS: MatrixDeps["limits"] = { baseline: 30, red: 45, green: 90 };

export async function runMatrix(ctx: FaultContext, base: SuiteOptions, levels: Level[], deps?: Partial<MatrixDeps>): Promise<FaultOutcome[]> {
  const out: FaultOutcome[] = [];
  const pick = (r: ProofResult) => ({ status: r.status, code: r.code, findings: r.findings });
  const lim = deps?.limits ?? MATRIX_LIMITS;
  const run = deps?.run ?? ((level: Level, o: SuiteOverrides) => runLevel(ctx.desired, ctx.io, { ...base, overrides: o }, level));
  for (const f of (deps?.faults ?? faults()).filter((x) => levels.includes(x.level))) {
    const runner = (o: SuiteOverrides) => () => run(f.level, o);
    const expectedCode = f.expectedCode ?? EXPECTED[f.level];
    ctx.log(`${f.level}: baseline`);
    const baseline = await until(runner(RESTORE_OVERRIDES), (r) => r.status === "green", lim.baseline);
    const o: FaultOutcome = {
      level: f.level,
      fault: f.title,
      expectedCode,
      baseline: { status: baseline.r.status, code: baseline.r.code },
      underFault: { status: "green", findings: [], seconds: 0, runs: 0 },
      afterRestore: { status: "red", findings: [], seconds: 0, runs: 0 },
      pass: false,
    };
    if (baseline.r.status !== "green") {
      o.error = `baseline is not green: ${baseline.r.findings.join("; ")}`;
      out.push(o);
      continue;
    }
    try {
      ctx.log(`${f.level}: inject: ${f.title}`);
      active = { fault: f, ctx };
      await f.inject(ctx);
      const red = await until(runner(FAULT_OVERRIDES), (r) => r.status === "red", lim.red);
      o.underFault = { ...pick(red.r), seconds: red.seconds, runs: red.runs };
    } catch (e) {
      o.error = `inject failed: ${(e as Error).message}`;
    }
    // Restore whatever happened: an inject that failed half-way may have changed the environment.
    try {
      ctx.log(`${f.level}: restore`);
      await f.restore(ctx);
      active = undefined;
      await Promise.all(Object.values(ctx.env.services).map((svc) => waitDockerHealthy(ctx.docker, svc.container, 90)));
      const green = await until(runner(RESTORE_OVERRIDES), (r) => r.status === "green", lim.green);
      o.afterRestore = { ...pick(green.r), seconds: green.seconds, runs: green.runs };
    } catch (e) {
      o.error = `${o.error ? o.error + "; " : ""}restore failed: ${(e as Error).message}`;
    }
    o.pass = !o.error && o.underFault.status === "red" && o.underFault.code === expectedCode && o.afterRestore.status === "green";
    ctx.log(`${f.level}: ${o.pass ? "PASS" : "FAIL"} (red ${o.underFault.code ?? "-"} in ${o.underFault.seconds.toFixed(1)} s, green again in ${o.afterRestore.seconds.toFixed(1)} s)`);
    out.push(o);
  }
  return out;
}

export function loadTestEnv(file: string): TestEnv {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run \`npm run testenv:up\` first`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as TestEnv;
}

export async function contextFor(envFile: string, log: (m: string) => void): Promise<{ ctx: FaultContext; base: SuiteOptions }> {
  const env = loadTestEnv(envFile);
  const desired = await loadDesired({ stack: env.stack, configFile: env.configFile, probeImage: env.probeImage });
  const io = await makeIo();
  const password = grafanaPasswordFrom(env.secretsFile, process.env);
  // L8's record: the keyed hashes testenv.json holds (configSecretDigests), the key from secrets.env.
  const drift = driftRecordFrom(env, driftKeyFrom(env.secretsFile, process.env));
  return { ctx: { docker: new Docker(), envFile, env, desired, io, log }, base: { password, images: imagesFromRecord(env), drift } };
}

