// npm run -s bench:apply [-- --testenv F] [--json]
// On the running test environment (npm run testenv:up; run this under the test environment's lock):
//   1. removes the stack's seven containers (docker rm -f; data volumes, network, images, secrets and
//      the proofs' records stay) and refreshes those containers out of the state, so the next up
//      creates them: a first apply of the containers on cached images over the kept data;
//   2. runs `npm run -s bootstrap -- --mode apply` of the testenv stack and times it (wall clock);
//   3. measures the floor: the same seven containers stopped, then started all at once, until the
//      engine reports every healthcheck healthy (polled every 100 ms, bounded);
//   4. prints `apply-to-green A s, start floor F s, ratio R`, then where the apply's time went: per
//      step (the bundle's summary.json), per resource (the bundle's engine-events.jsonl) and the
//      critical path through the resources' dependencies (the state export);
//   5. writes testenv.json and secrets.env anew (container ids changed), as testenv:up does;
//   6. times a second apply (a no-op: nothing changed) and a diagnose, each with its steps' times
//      (--skip-noop leaves them out).
// A command that prints numbers, not a timed test: exit 0 printed; 1 the apply or the floor failed;
// 3 could not run (no test environment).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { runCli } from "../../scripts/lib/cli";
import { runProcess } from "../../scripts/lib/proc";
import { systemClock } from "../../components/verify/io";
import type { TestenvInfo } from "../env/describe";
import { containerUrns, pulumiEnv, runPulumi } from "../env/pulumi";
import { ApplyBench, criticalPath, EngineEventLine, formatApplyBench, formatTimedRuns, ratio, resourceSteps, StateResource, stepTimes, TimedRun, waitHealthy } from "./bench-apply-analysis";

const ROOT = path.resolve(__dirname, "..", "..");
const FLOOR_DEADLINE_MS = 180_000;

function readJsonl<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as T);
}

/** The stack's resources with their dependencies (secrets stay encrypted in the export). */
async function stateResources(info: TestenvInfo): Promise<StateResource[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-bench-"));
  try {
    const file = path.join(dir, "state.json");
    const r = await runPulumi(info, ["stack", "export", "--stack", info.stack, "--non-interactive", "--file", file], 60_000);
    if (r.code !== 0) return [];
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { deployment: { resources?: StateResource[] } }).deployment.resources ?? [];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Step 1: the containers gone from the engine and from the state; everything else kept. */
async function removeContainers(docker: Docker, info: TestenvInfo, names: string[], log: (m: string) => void): Promise<void> {
  const urns = await containerUrns(info);
  await Promise.all(names.map((n) => docker.getContainer(n).remove({ force: true }).catch((e: { statusCode?: number }) => (e.statusCode === 404 ? undefined : Promise.reject(e)))));
  const targets = names.filter((n) => urns[n]).flatMap((n) => ["--target", urns[n]]);
  log(`removed ${names.length} containers; refreshing them out of the state`);
  const r = await runPulumi(info, ["refresh", "--stack", info.stack, "--config-file", info.pulumi.stackFile, "--yes", "--non-interactive", "--skip-preview", ...targets], 300_000);
  if (r.code !== 0) throw new Error(`pulumi refresh of the removed containers exited ${r.code}: ${`${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-6).join(" | ")}`);
}

/** Step 3: stop all, start all at once, poll the engine until every healthcheck says healthy. */
async function startFloor(docker: Docker, names: string[]): Promise<{ floorMs: number; perContainer: Record<string, number>; notHealthy: string[] }> {
  await Promise.all(names.map((n) => docker.getContainer(n).stop({ t: 10 }).catch((e: { statusCode?: number }) => (e.statusCode === 304 ? undefined : Promise.reject(e)))));
  const t0 = Date.now();
  await Promise.all(names.map((n) => docker.getContainer(n).start()));
  const health = async (n: string) => (await docker.getContainer(n).inspect()).State.Health?.Status;
  const { healthyAt, notHealthy } = await waitHealthy(names, health, systemClock, { t0, deadlineMs: FLOOR_DEADLINE_MS, pollMs: 100 });
  return { floorMs: Math.max(0, ...Object.values(healthyAt)), perContainer: healthyAt, notHealthy };
}

/** Step 5: testenv.json and secrets.env from the stack as it is now (what up.sh's hand-off does). */
async function describeAgain(info: TestenvInfo, tmp: string): Promise<void> {
  const out = await runPulumi(info, ["stack", "output", "--stack", info.stack, "--json", "--non-interactive"], 60_000);
  if (out.code !== 0) throw new Error(`pulumi stack output exited ${out.code}`);
  const outputs = path.join(tmp, "outputs.json");
  fs.writeFileSync(outputs, out.stdout);
  const f = info.pulumi.stackFile;
  // A three-host environment: its policy config and the client certificates of its tcp:// hosts, as up.sh passes them.
  const fleet = info.fleet ? ["--policy-config", info.fleet.policyConfig, ...info.fleet.hosts.flatMap((h) => (h.tlsDir ? ["--fleet-tls", `${h.name}=${h.tlsDir}`] : []))] : [];
  const args = ["test/env/describe.ts", "--outputs", outputs, "--config-file", f, "--stack-file", f, "--render", info.renderDir, "--tmp", tmp, "--socket", info.engine.socket, ...fleet];
  const r = await runProcess(path.join(ROOT, "node_modules", ".bin", "tsx"), args, { cwd: ROOT, env: pulumiEnv(info), timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`describe.ts exited ${r.code}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
}

/** `npm run -s bootstrap -- --mode <mode>` of the testenv stack, timed (wall clock), with its bundle's summary. */
async function timedBootstrap(info: TestenvInfo, outDir: string, mode: "apply" | "diagnose") {
  const started = Date.now();
  // A three-host environment declares its LAN exposure to the policy pack in its own config.
  const argv = ["run", "-s", "bootstrap", "--", "--mode", mode, "--stack", info.stack, "--config-file", info.pulumi.stackFile, ...(info.fleet ? ["--policy-config", info.fleet.policyConfig] : [])];
  const r = await runProcess("npm", argv, { cwd: ROOT, env: { ...pulumiEnv(info), LOGGING_BOOTSTRAP_OUT_DIR: outDir }, timeoutMs: 900_000 });
  const run = readJsonl<{ mode: string; ts: string; bundle: string }>(path.join(outDir, "runs.jsonl"))
    .filter((x) => x.mode === mode && Date.parse(x.ts) >= started - 1000)
    .pop();
  const bundle = run ? path.join(outDir, run.bundle) : undefined;
  const summary = bundle && fs.existsSync(path.join(bundle, "summary.json")) ? JSON.parse(fs.readFileSync(path.join(bundle, "summary.json"), "utf8")) : undefined;
  return { ms: r.durationMs, code: r.code, stderr: r.stderr, bundle, summary };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { testenv: { type: "string" }, json: { type: "boolean" }, "skip-noop": { type: "boolean" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    process.stdout.write(
      "Usage: npm run -s bench:apply [-- --testenv F] [--json] [--skip-noop]\nOn the running test environment (under its lock): removes the stack's containers (data kept), times a first apply, then the floor (the same containers started at once until healthy), and prints apply-to-green, the floor, the ratio and where the apply's time went; then a no-op apply and a diagnose with their steps' times (--skip-noop: not those).\nExit: 0 printed; 1 an apply, the diagnose or the floor failed; 3 could not run.\n",
    );
    return 0;
  }
  const envFile = path.resolve(values.testenv ?? path.join(ROOT, "test", ".tmp", "testenv.json"));
  if (!fs.existsSync(envFile)) throw new Error(`${envFile} does not exist: run \`npm run testenv:up\` first`);
  const info = JSON.parse(fs.readFileSync(envFile, "utf8")) as TestenvInfo;
  const tmp = path.dirname(envFile);
  const outDir = path.join(tmp, "out");
  const log = (m: string) => process.stderr.write(`[bench:apply] ${m}\n`);
  const docker = new Docker({ socketPath: info.engine.socket });
  const names = Object.values(info.services).map((s) => s.container).sort();

  await removeContainers(docker, info, names, log);
  log("bootstrap --mode apply (a first apply of the containers on cached images)");
  const apply = await timedBootstrap(info, outDir, "apply");
  const applyMs = apply.ms;
  if (apply.code !== 0) {
    process.stderr.write(apply.stderr.split("\n").slice(-40).join("\n") + "\n");
    log(`the apply exited ${apply.code} after ${(applyMs / 1000).toFixed(1)} s; the test environment needs \`npm run testenv:up\``);
    return 1;
  }
  const bundle = apply.bundle;
  const summary = apply.summary;
  const up = bundle ? resourceSteps(readJsonl<EngineEventLine>(path.join(bundle, "engine-events.jsonl")), "up") : undefined;
  const state = await stateResources(info);

  log("floor: stopping the seven containers, then starting them all at once");
  const floor = await startFloor(docker, names);
  const result: ApplyBench = { applyMs, floorMs: floor.floorMs, floorPerContainer: floor.perContainer, steps: stepTimes(summary), ...(up ? { up } : {}), path: up ? criticalPath(up.steps, state) : [] };
  await describeAgain(info, tmp);
  const again: TimedRun[] = [];
  if (!values["skip-noop"]) {
    for (const mode of ["apply", "diagnose"] as const) {
      log(`bootstrap --mode ${mode}${mode === "apply" ? " again (a no-op: nothing changed)" : ""}`);
      const r = await timedBootstrap(info, outDir, mode);
      again.push({ what: mode === "apply" ? "no-op apply" : "diagnose", ms: r.ms, code: r.code, steps: stepTimes(r.summary) });
    }
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({ applyMs, floorMs: floor.floorMs, ratio: ratio(result), bundle: bundle ?? null, notHealthy: floor.notHealthy, steps: result.steps, floorPerContainer: floor.perContainer, up: up?.steps ?? [], criticalPath: result.path, again }, null, 2) + "\n");
  } else {
    process.stdout.write(formatApplyBench(result) + "\n" + (bundle ? `\nbundle: ${path.relative(ROOT, bundle)}\n` : "") + (again.length ? `\n${formatTimedRuns(again)}\n` : ""));
  }
  if (again.some((r) => r.code !== 0)) {
    log(`not green: ${again.filter((r) => r.code !== 0).map((r) => `${r.what} exited ${r.code}`).join(", ")}`);
    return 1;
  }
  if (floor.notHealthy.length) {
    log(`not healthy within ${FLOOR_DEADLINE_MS / 1000} s of docker start: ${floor.notHealthy.join(", ")}`);
    return 1;
  }
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { failExit: () => 3, exit: true });
