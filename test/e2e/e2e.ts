// npm run e2e (after test/e2e/run.sh has the engine, registry, images and Pulumi ready): the
// operator workflow through the run wrapper (Pulumi's Automation API) on the real Pulumi engine and
// Docker engine, on the testenv stack:
//   diagnose -> apply (up, verify, evidence) -> drift (no changes) -> idempotency (preview and a
//   second up, no changes) -> faults behind Pulumi's back (a config file edited in a container, a
//   container stopped) show as drift -> repair brings them back -> drift clean -> backup, then
//   restore of that backup (verify green) -> destroy (containers gone, data volumes kept and
//   listed) -> the work tree is unchanged.
// Every command runs with no stdin. Tools are injected (`Tools`) so the order and the checks are
// unit-tested with a fake (test/ops/e2e.test.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { commandRunner, type Run } from "../util/run";
import type { DriverOptions, DriverTools } from "../util/stack-driver";

export type { Run };

export type Tools = DriverTools;

export interface E2EOptions extends DriverOptions {
  /** The project name the stack's containers and volumes are labelled with. */
  project: string;
}

export class E2EFailure extends Error {}

function fail(msg: string): never {
  throw new E2EFailure(msg);
}

const LABEL = "logging-bootstrap.project";

export async function e2e(t: Tools, o: E2EOptions): Promise<void> {
  const step = (s: string) => t.log(`\n=== e2e [${o.stack}] ${s}`);
  const boot = (mode: string, ...extra: string[]) => t.run("npm", ["run", "-s", "bootstrap", "--", "--mode", mode, "--stack", o.stack, "--config-file", o.stackFile, ...extra]);
  const pulumi = (...args: string[]) => t.run("pulumi", [...args, "--stack", o.stack, "--non-interactive"]);
  const lines = (r: Run) => r.stdout.split("\n").map((l) => l.trim()).filter(Boolean).sort();
  const containers = async () => lines(await t.run("docker", ["ps", "-aq", "--filter", `label=${LABEL}=${o.project}`]));
  const dataVolumes = async () => lines(await t.run("docker", ["volume", "ls", "-q", "--filter", `label=${LABEL}=${o.project}`, "--filter", "label=logging-bootstrap.data=true"]));
  const tree = async () => (await t.run("git", ["status", "--porcelain", "--untracked-files=all"])).stdout;
  const expectOk = (r: Run, what: string) => {
    if (r.code !== 0) fail(`${what} exited ${r.code}\n${(r.stdout + r.stderr).trim().split("\n").slice(-25).join("\n")}`);
  };
  /** Drift mode must fail with E_PROOF_DRIFT (exit 1), not with anything else. */
  const expectDrift = async (why: string) => {
    const r = await boot("drift", "--json");
    const s = parseSummary(r.stdout);
    const codes = (s?.errors ?? []).map((e) => e.code);
    if (r.code !== 1 || !codes.includes("E_PROOF_DRIFT")) fail(`${why}: drift mode should report E_PROOF_DRIFT (exit 1), got exit ${r.code} with ${JSON.stringify(codes)}`);
    t.log(`drift found as expected (${why})`);
  };

  const treeBefore = await tree();
  const version = await t.run("pulumi", ["version"]);
  expectOk(version, "pulumi version");
  t.log(`e2e: Pulumi CLI ${version.stdout.trim()}`);

  step("1. diagnose (read-only: lint, policy, preview with the policy pack)");
  expectOk(await boot("diagnose"), "diagnose");

  step("2. apply (state checkpoint, up, verify, evidence)");
  const apply = await boot("apply", "--json");
  expectOk(apply, "apply");
  const applied = parseSummary(apply.stdout);
  if (applied?.status !== "green") fail(`apply's bundle is ${applied?.status ?? "missing"}, not green`);
  const verify = readJson(path.join(o.outDir, "runs", applied.run_id, "verify.report.json")) as { report?: { status?: string; levels?: { level: string; status: string }[] } } | undefined;
  if (verify?.report?.status !== "green") fail(`verify straight after apply is ${verify?.report?.status ?? "missing"}: ${JSON.stringify(verify?.report?.levels?.map((l) => `${l.level}:${l.status}`))}`);

  step("3. drift (refresh --preview-only --expect-no-changes: none)");
  expectOk(await boot("drift"), "drift on a freshly applied stack");

  step("4. idempotency (preview and a second up: no changes)");
  expectOk(await pulumi("preview", "--config-file", o.stackFile, "--expect-no-changes"), "a second up would change the stack (preview --expect-no-changes)");
  expectOk(await boot("apply", "--verify-idempotency"), "the second apply (up --expect-no-changes)");

  step("5. faults behind Pulumi's back show as drift");
  const loki = `${o.project}-loki`;
  const prometheus = `${o.project}-prometheus`;
  const edited = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lb-e2e-")), "config.yaml");
  const cat = await t.run("docker", ["cp", `${loki}:/etc/loki/config.yaml`, edited]);
  expectOk(cat, `docker cp ${loki}:/etc/loki/config.yaml`);
  fs.appendFileSync(edited, "# edited behind Pulumi's back by the e2e test\n");
  expectOk(await t.run("docker", ["cp", edited, `${loki}:/etc/loki/config.yaml`]), "editing Loki's config file in its container");
  await expectDrift("a config file edited inside the Loki container");
  expectOk(await t.run("docker", ["stop", "-t", "2", prometheus]), `docker stop ${prometheus}`);
  await expectDrift("the Prometheus container stopped");

  step("6. repair the named containers, then drift is clean again");
  const urns = await containerUrns(t, o);
  for (const c of [loki, prometheus]) if (!urns[c]) fail(`no container ${c} in the stack's state`);
  expectOk(await boot("repair", "--target", urns[loki], "--target", urns[prometheus]), "repair");
  expectOk(await boot("drift"), "drift after repair");
  expectOk(await pulumi("preview", "--config-file", o.stackFile, "--expect-no-changes"), "preview after repair");

  step("7. backup of the data volumes, then restore of that backup (services stopped and started again, verify green)");
  const backup = await boot("backup", "--json");
  expectOk(backup, "backup");
  const backupRun = parseSummary(backup.stdout)?.run_id;
  if (!backupRun) fail("backup printed no summary");
  const restore = await boot("restore", "--run", backupRun, "--json");
  expectOk(restore, `restore --run ${backupRun}`);
  if (parseSummary(restore.stdout)?.status !== "green") fail(`restore of ${backupRun} is not green`);

  step("8. destroy: containers gone, data volumes kept and listed");
  const volumesBefore = await dataVolumes();
  if (volumesBefore.length === 0) fail(`no data volumes labelled ${LABEL}=${o.project} after apply`);
  t.log(`data volumes: ${volumesBefore.join(" ")}`);
  const destroyed = await boot("destroy");
  expectOk(destroyed, "destroy");
  for (const v of volumesBefore) if (!destroyed.stderr.includes(`kept: data volume ${v}`)) fail(`destroy did not say it kept ${v}`);
  const left = await containers();
  if (left.length) fail(`containers labelled ${LABEL}=${o.project} survived destroy: ${left.join(" ")}`);
  const volumesAfter = await dataVolumes();
  if (volumesAfter.join(" ") !== volumesBefore.join(" ")) fail(`data volumes changed on destroy: before [${volumesBefore.join(" ")}] after [${volumesAfter.join(" ")}]`);

  step("9. the work tree is as it was (no salt or state written into tracked files)");
  const treeAfter = await tree();
  if (treeAfter !== treeBefore) fail(`git status changed during the run:\nbefore:\n${treeBefore}\nafter:\n${treeAfter}`);
  await t.run("npm", ["run", "-s", "recall", "--", "list", "--stack", o.stack, "--limit", "10"]).then((r) => t.log(r.stdout.trimEnd()));
  t.log("\ne2e: PASSED (diagnose, apply + verify, drift, idempotency, faults -> drift -> repair, backup -> restore, destroy with data volumes kept, work tree unchanged)");
}

interface Summary {
  run_id: string;
  status: string;
  errors?: { code: string }[];
}

/** bootstrap --json prints summary.json; anything else on stdout is ignored. */
export function parseSummary(stdout: string): Summary | undefined {
  const i = stdout.indexOf("{");
  if (i < 0) return undefined;
  try {
    return JSON.parse(stdout.slice(i)) as Summary;
  } catch {
    return undefined;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** Container name -> URN from the stack's state (secrets stay encrypted in the export). */
async function containerUrns(t: Tools, o: E2EOptions): Promise<Record<string, string>> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lb-e2e-")), "state.json");
  const r = await t.run("pulumi", ["stack", "export", "--stack", o.stack, "--non-interactive", "--file", file]);
  if (r.code !== 0) fail(`pulumi stack export exited ${r.code}`);
  const doc = readJson(file) as { deployment?: { resources?: { urn: string; type: string; outputs?: { name?: string } }[] } } | undefined;
  const out: Record<string, string> = {};
  for (const res of doc?.deployment?.resources ?? []) if (res.type === "docker:index/container:Container" && res.outputs?.name) out[res.outputs.name] = res.urn;
  return out;
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, "..", "..");
  const tools: Tools = {
    run: commandRunner(root),
    log: (l) => process.stdout.write(l + "\n"),
  };
  const env = (k: string) => process.env[k] || fail(`${k} is not set (run npm run e2e, which sets it)`);
  try {
    await e2e(tools, { stack: env("E2E_STACK"), stackFile: env("E2E_STACK_FILE"), project: env("E2E_PROJECT"), outDir: env("LOGGING_BOOTSTRAP_OUT_DIR") });
    return 0;
  } catch (e) {
    process.stderr.write(`e2e: FAILED: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) main().then((c) => process.exit(c));
