// npm run -s e2e:fleet (test/e2e/fleet.sh sets the environment): the fleet act of issue 20 on the real
// Pulumi engine and Docker engines, three hosts (central = this machine's engine, b, c: network
// namespaces with their own dockerd, test/env/fleet/hosts.sh):
//   1. TESTENV_FLEET=1 testenv up (bootstrap --mode apply with the fleet's --policy-config), then
//      verify --json green with a green line for b and for c;
//   2. lan-probe.ts against the centre address: nothing on the LAN answers without credentials;
//   3. host c's dockerd stopped: verify exit 1, its report names c with an E_PROOF_HOST_* code, b green;
//      `bootstrap --mode drift --host b` judges b alone meanwhile: exit 0, no drift;
//   4. c's dockerd started again: verify green again (bounded poll); `bootstrap --mode repair --host c`
//      rebuilds c's agents (new container ids) and leaves b's alone;
//   5. c removed from the stack file, bootstrap apply: c's agent containers gone from c's engine, its
//      data volumes still there, b's containers the same ids as before;
//   6. c added back to the stack file, bootstrap apply: c's agents deployed again on its kept data
//      volume, c's proof green, b's and the central host's containers the same ids as before;
//   7. down (TESTENV_FLEET=1): no fleet host left, no container of the project on the central engine.
// Each step prints one line with its time and what it saw (a poll prints every try); the summary
// lists every step with pass/fail and seconds. Step 1 failing skips 2-6; 7 always runs. Tools are
// injected, so the order and the checks are unit-tested with a fake (test/e2e/fleet.test.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { centralHost } from "../../contracts/config/hosts";
import { loadConfigFile } from "../../contracts/config/load";
import { commandRunner, type Run } from "../util/run";
import type { DriverOptions, DriverTools } from "../util/stack-driver";
import { parseSummary } from "./e2e";
import { centralContainersChangedByFiles } from "./fleet/central";
import { Clock, describeVerify, formatSummary, hostNames, parseVerifyReport, poll, problemsAllGreen, problemsHostDown, sameSet, StepResult, withoutHost } from "./fleet/judge";

export type FleetTools = DriverTools & Clock;

export interface FleetOptions extends DriverOptions {
  project: string;
  /** The fleet's policy pack config (bootstrap --policy-config). */
  policyConfig: string;
  /** secrets.env and testenv.json that up wrote (verify --secrets-file, --recorded). */
  secretsFile: string;
  recorded: string;
  /** Where every command's output goes (one file per command). */
  logDir: string;
  /** A fleet host's engine socket on this machine. */
  socket(host: string): string;
  /** The host taken away (stopped, started, removed) and the hosts that stay. */
  away: string;
  stay: string[];
  /** The central containers a change from one stack file text to the other may replace (central.ts). */
  centralChangedBy(beforeText: string, afterText: string): string[];
  /** The centre address and `svc=port,...` for lan-probe.ts, read after up wrote the stack file. */
  probeTarget(): { address: string; ports: string };
  redTimeoutS: number;
  greenTimeoutS: number;
  intervalS: number;
}

export class FleetFailure extends Error {}

function fail(msg: string): never {
  throw new FleetFailure(msg);
}

const LABEL = "logging-bootstrap.project";
const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export async function fleetAct(t: FleetTools, o: FleetOptions): Promise<{ ok: boolean; steps: StepResult[]; summary: string }> {
  const t0 = t.now();
  const say = (line: string) => t.log(`[e2e:fleet ${hhmmss(t.now())} +${Math.round((t.now() - t0) / 1000)}s] ${line}`);
  let seq = 0;
  /** Run a command under `timeout`, its output in its own file under logDir. */
  const run = async (label: string, cmd: string, args: string[], timeoutS: number): Promise<Run> => {
    const r = await t.run("timeout", [String(timeoutS), cmd, ...args]);
    seq++;
    fs.writeFileSync(path.join(o.logDir, `${String(seq).padStart(2, "0")}-${label}.log`), `$ ${cmd} ${args.join(" ")}\nexit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`);
    return r;
  };
  const tail = (r: Run, n = 15) => (r.stdout + "\n" + r.stderr).trim().split("\n").slice(-n).map((l) => `    ${l}`).join("\n");
  /** The last line of a command's output that names an error code: what the summary line shows of a failure. */
  const keyLine = (r: Run) => (r.stdout + "\n" + r.stderr).split("\n").map((l) => l.trim()).filter((l) => /\bE_[A-Z_]{3,}\b/.test(l)).pop()?.slice(0, 240);
  const expectOk = (r: Run, what: string) => {
    if (r.code !== 0) fail(`${what} exited ${r.code}${r.code === 124 ? " (timed out)" : ""}${keyLine(r) ? `: ${keyLine(r)}` : ""}; the end of its output:\n${tail(r)}`);
  };
  const cfgArgs = ["--stack", o.stack, "--config-file", o.stackFile];
  /** bootstrap --json in a mode; its summary must be `want` (exit 0 for green). */
  const bootstrap = async (label: string, args: string[], what: string, want: "green" = "green") => {
    const r = await run(label, "npm", ["run", "-s", "bootstrap", "--", ...args, ...cfgArgs, "--policy-config", o.policyConfig, "--json"], 1200);
    expectOk(r, what);
    const summary = parseSummary(r.stdout);
    if (summary?.status !== want) fail(`${what}: the summary is ${summary?.status ?? "missing"}, not ${want}`);
    return summary;
  };
  /** The project's containers on the central engine: name -> id. */
  const centralContainers = async (): Promise<Record<string, string>> => {
    const r = await run("docker-central", "docker", ["ps", "-a", "--no-trunc", "--filter", `label=${LABEL}=${o.project}`, "--format", "{{.Names}} {{.ID}}"], 60);
    expectOk(r, "docker ps on the central engine");
    return Object.fromEntries(r.stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 2));
  };
  // What verify compares L7 and L8 with: the outputs up recorded, then those of the last apply that
  // changed them (adding a host back makes its gateway credential anew: a new secret file's hash).
  let recorded = o.recorded;
  const verify = (label: string) => run(label, "npm", ["run", "-s", "verify", "--", ...cfgArgs, "--secrets-file", o.secretsFile, "--recorded", recorded, "--json"], 600);
  const record = async (label: string) => {
    const r = await run(label, "pulumi", ["stack", "output", "--stack", o.stack, "--json", "--non-interactive"], 120);
    expectOk(r, "pulumi stack output");
    recorded = path.join(o.outDir, `${label}.json`);
    fs.writeFileSync(recorded, r.stdout);
  };
  const onHost = (host: string, args: string[]) => run(`docker-${host}`, "docker", ["-H", `unix://${o.socket(host)}`, ...args], 60);
  const ids = (r: Run) => r.stdout.split("\n").map((l) => l.trim()).filter(Boolean).sort();
  const hostContainers = async (host: string) => {
    const byLabel = await onHost(host, ["ps", "-aq", "--no-trunc", "--filter", `label=${LABEL}=${o.project}`]);
    const byName = await onHost(host, ["ps", "-aq", "--no-trunc", "--filter", `name=^${o.project}-`]);
    expectOk(byLabel, `docker ps on host ${host}`);
    expectOk(byName, `docker ps on host ${host}`);
    return [...new Set([...ids(byLabel), ...ids(byName)])].sort();
  };
  const hostDataVolumes = async (host: string) => {
    const r = await onHost(host, ["volume", "ls", "-q", "--filter", `label=${LABEL}=${o.project}`, "--filter", "label=logging-bootstrap.data=true"]);
    expectOk(r, `docker volume ls on host ${host}`);
    return ids(r);
  };
  /** Verify until `problems` is empty, within `maxS`; every try printed. */
  const verifyUntil = async (n: number, want: string, maxS: number, problems: (exit: number, out: string) => string[]) => {
    const p = await poll(
      t,
      maxS * 1000,
      o.intervalS * 1000,
      async (i) => {
        const r = await verify(`verify-step${n}-try${i}`);
        const left = problems(r.code, r.stdout);
        const seen = describeVerify(r.code, parseVerifyReport(r.stdout));
        return { done: left.length === 0, seen: left.length ? `${seen} | not yet ${want}: ${left.join("; ")}` : seen };
      },
      (i, s, seen) => say(`  step ${n} verify try ${i} (+${s} s in this wait): ${seen}`),
    );
    if (!p.done) fail(`verify was not ${want} within ${maxS} s (${p.tries} tries); the last: ${p.last.seen}`);
    return `${p.tries} verify run(s): ${p.last.seen}`;
  };

  const steps: StepResult[] = [];
  let gateFailed = false;
  const step = async (n: number, title: string, body: () => Promise<string>, opts: { gate?: boolean; always?: boolean } = {}) => {
    if (gateFailed && !opts.always) {
      steps.push({ n, title, status: "skipped", seconds: 0, saw: "not run: step 1 failed" });
      say(`step ${n} ${title}: SKIPPED (step 1 failed)`);
      return;
    }
    say(`step ${n} ${title}: start`);
    const s0 = t.now();
    let status: StepResult["status"] = "pass";
    let saw: string;
    try {
      saw = await body();
    } catch (e) {
      status = "fail";
      saw = e instanceof Error ? e.message : String(e);
      if (opts.gate) gateFailed = true;
    }
    const seconds = Math.round((t.now() - s0) / 1000);
    steps.push({ n, title, status, seconds, saw: saw.split("\n")[0] });
    say(`step ${n} ${title}: ${status.toUpperCase()} in ${seconds} s: ${saw}`);
  };
  const everyHost = [...o.stay, o.away];
  /** The stack file as up wrote it (with the host taken away), kept by step 5 for step 6. */
  let withAway: string | undefined;

  await step(
    1,
    "three hosts up, applied, verify green",
    async () => {
      // A fresh start: whatever an earlier run left (one host or a fleet) is taken down first. The
      // one-host stack file serves its destroy (the program does not run; the state has the providers).
      const fresh = await run("down-fresh", "env", ["TESTENV_FLEET=0", "TESTENV_KEEP_ENGINE=1", "bash", "test/env/down.sh"], 900);
      say(`  step 1 fresh start: down.sh exit ${fresh.code}`);
      const u0 = t.now();
      const up = await run("up", "bash", ["test/env/up.sh"], 1800);
      expectOk(up, "TESTENV_FLEET=1 test/env/up.sh (bootstrap --mode apply with the fleet's --policy-config)");
      say(`  step 1 testenv up (apply green) in ${Math.round((t.now() - u0) / 1000)} s`);
      const hosts = hostNames(fs.readFileSync(o.stackFile, "utf8"));
      for (const h of everyHost) if (!hosts.includes(h)) fail(`host ${h} is not in the stack file's hosts (${hosts.join(", ")})`);
      return `hosts ${hosts.join(", ")}; ` + (await verifyUntil(1, "green with b and c green", o.greenTimeoutS, (c, out) => problemsAllGreen(c, parseVerifyReport(out), everyHost)));
    },
    { gate: true },
  );

  await step(2, "LAN probe: nothing answers without credentials", async () => {
    const target = o.probeTarget();
    const r = await run("lan-probe", "node_modules/.bin/tsx", ["test/e2e/lan-probe.ts", "--project", o.project, "--address", target.address, "--ports", target.ports, "--json"], 120);
    let doc: { ok?: boolean; checks?: { what: string; ok: boolean; detail: string }[] } | undefined;
    try {
      doc = JSON.parse(r.stdout) as typeof doc;
    } catch {
      doc = undefined;
    }
    const checks = doc?.checks ?? [];
    const bad = checks.filter((c) => !c.ok);
    if (r.code !== 0 || !doc?.ok) fail(`lan-probe exited ${r.code} against ${target.address}: ${bad.length ? bad.map((c) => `${c.what}: ${c.detail}`).join("; ") : `no report\n${tail(r)}`}`);
    const published = checks.filter((c) => / published on /.test(c.what)).map((c) => c.what.split(" ")[0]);
    return `exit 0 against ${target.address}: ${checks.length} checks held (published off loopback: ${published.join(", ") || "none"}; ${checks.filter((c) => /without credentials/.test(c.what)).length} requests without credentials refused)`;
  });

  await step(3, `host ${o.away}'s dockerd stopped: verify red naming ${o.away}`, async () => {
    expectOk(await run(`stop-${o.away}`, "bash", ["test/env/fleet/hosts.sh", "stop", o.away], 180), `hosts.sh stop ${o.away}`);
    say(`  step 3 hosts.sh stop ${o.away}: exit 0`);
    const red = await verifyUntil(3, `red naming ${o.away} only`, o.redTimeoutS, (c, out) => problemsHostDown(c, parseVerifyReport(out), o.away, o.stay));
    // Drift of the hosts that stay, judged while this one cannot be reached.
    const drift: string[] = [];
    for (const h of o.stay) {
      const d = await bootstrap(`drift-${h}`, ["--mode", "drift", "--host", h], `bootstrap --mode drift --host ${h} while ${o.away} is down`);
      drift.push(`drift --host ${h}: green (run ${d.run_id})`);
    }
    return `${red}; ${drift.join("; ")}`;
  });

  await step(4, `host ${o.away}'s dockerd started again: verify green`, async () => {
    expectOk(await run(`start-${o.away}`, "bash", ["test/env/fleet/hosts.sh", "start", o.away], 180), `hosts.sh start ${o.away}`);
    say(`  step 4 hosts.sh start ${o.away}: exit 0`);
    const green = await verifyUntil(4, "green", o.greenTimeoutS, (c, out) => problemsAllGreen(c, parseVerifyReport(out), everyHost));
    // Repair of the host that came back: its agents rebuilt, nothing else touched.
    const awayBefore = await hostContainers(o.away);
    const stayBefore: Record<string, string[]> = {};
    for (const h of o.stay) stayBefore[h] = await hostContainers(h);
    const rep = await bootstrap(`repair-${o.away}`, ["--mode", "repair", "--host", o.away], `bootstrap --mode repair --host ${o.away}`);
    const awayAfter = await hostContainers(o.away);
    if (!awayAfter.length || awayAfter.some((i) => awayBefore.includes(i))) fail(`repair --host ${o.away} did not rebuild its containers: before [${awayBefore.map((i) => i.slice(0, 12)).join(" ")}] after [${awayAfter.map((i) => i.slice(0, 12)).join(" ")}]`);
    for (const h of o.stay) {
      const after = await hostContainers(h);
      if (!sameSet(after, stayBefore[h])) fail(`repair --host ${o.away} changed host ${h}'s containers: before [${stayBefore[h].map((i) => i.slice(0, 12)).join(" ")}] after [${after.map((i) => i.slice(0, 12)).join(" ")}]`);
    }
    return `${green}; repair --host ${o.away} green (run ${rep.run_id}): ${awayAfter.length} new container ids on ${o.away}, ${o.stay.join(", ")} unchanged`;
  });

  await step(5, `host ${o.away} removed from the config, apply`, async () => {
    const stayBefore: Record<string, string[]> = {};
    for (const h of o.stay) stayBefore[h] = await hostContainers(h);
    const awayBefore = await hostContainers(o.away);
    const volumesBefore = await hostDataVolumes(o.away);
    if (!awayBefore.length) fail(`host ${o.away} has no container of ${o.project} before its removal`);
    if (!volumesBefore.length) fail(`host ${o.away} has no data volume of ${o.project} before its removal`);
    withAway = fs.readFileSync(o.stackFile, "utf8");
    fs.writeFileSync(o.stackFile, withoutHost(withAway, o.away));
    say(`  step 5 stack file without host ${o.away}: hosts ${hostNames(fs.readFileSync(o.stackFile, "utf8")).join(", ")}; before: ${o.away} ${awayBefore.length} containers, data volumes ${volumesBefore.join(" ")}`);
    const summary = await bootstrap("apply-without-" + o.away, ["--mode", "apply"], `bootstrap --mode apply without host ${o.away}`);
    await record(`outputs-without-${o.away}`);
    const awayAfter = await hostContainers(o.away);
    if (awayAfter.length) fail(`host ${o.away} still has ${awayAfter.length} container(s) of ${o.project}: ${awayAfter.map((i) => i.slice(0, 12)).join(" ")}`);
    const volumesAfter = await hostDataVolumes(o.away);
    if (!sameSet(volumesAfter, volumesBefore)) fail(`host ${o.away}'s data volumes changed: before [${volumesBefore.join(" ")}] after [${volumesAfter.join(" ")}]`);
    const untouched: string[] = [];
    for (const h of o.stay) {
      const after = await hostContainers(h);
      if (!sameSet(after, stayBefore[h])) fail(`host ${h}'s containers changed: before [${stayBefore[h].map((i) => i.slice(0, 12)).join(" ")}] after [${after.map((i) => i.slice(0, 12)).join(" ")}]`);
      untouched.push(`${h} ${after.length} containers, same ids`);
    }
    return `apply green (run ${summary.run_id}); ${o.away}: 0 containers (were ${awayBefore.length}), data volumes kept: ${volumesAfter.join(" ")}; ${untouched.join("; ")}`;
  });

  await step(6, `host ${o.away} added back to the config, apply`, async () => {
    if (withAway === undefined) fail(`step 5 did not remove host ${o.away}: nothing to add back`);
    const stayBefore: Record<string, string[]> = {};
    for (const h of o.stay) stayBefore[h] = await hostContainers(h);
    const centralBefore = await centralContainers();
    const volumesBefore = await hostDataVolumes(o.away);
    const withoutAwayText = fs.readFileSync(o.stackFile, "utf8");
    fs.writeFileSync(o.stackFile, withAway);
    say(`  step 6 stack file with host ${o.away} again: hosts ${hostNames(withAway).join(", ")}`);
    const summary = await bootstrap("apply-with-" + o.away, ["--mode", "apply"], `bootstrap --mode apply with host ${o.away} added back`);
    await record(`outputs-with-${o.away}`);
    const awayAfter = await hostContainers(o.away);
    if (!awayAfter.length) fail(`host ${o.away} has no container of ${o.project} after it was added back`);
    const volumesAfter = await hostDataVolumes(o.away);
    if (!sameSet(volumesAfter, volumesBefore)) fail(`host ${o.away}'s data volumes: before [${volumesBefore.join(" ")}] after [${volumesAfter.join(" ")}] (the kept one is used again)`);
    for (const h of o.stay) {
      const after = await hostContainers(h);
      if (!sameSet(after, stayBefore[h])) fail(`adding host ${o.away} changed host ${h}'s containers: before [${stayBefore[h].map((i) => i.slice(0, 12)).join(" ")}] after [${after.map((i) => i.slice(0, 12)).join(" ")}]`);
    }
    // The central containers whose config names the hosts (the gateway's credentials, Prometheus's
    // per-host rules) are new; every other one is the same container.
    const centralAfter = await centralContainers();
    const mayChange = o.centralChangedBy(withoutAwayText, withAway);
    if (!sameSet(Object.keys(centralAfter), Object.keys(centralBefore))) fail(`adding host ${o.away} changed the central host's container set: before [${Object.keys(centralBefore).join(" ")}] after [${Object.keys(centralAfter).join(" ")}]`);
    const replaced = Object.keys(centralAfter).filter((n) => centralAfter[n] !== centralBefore[n]).sort();
    if (!sameSet(replaced, mayChange)) fail(`adding host ${o.away} replaced central containers [${replaced.join(" ")}]; their rendered config changes only for [${mayChange.join(" ")}]`);
    const green = await verifyUntil(6, `green with ${o.away} green`, o.greenTimeoutS, (c, out) => problemsAllGreen(c, parseVerifyReport(out), everyHost));
    const same = Object.keys(centralAfter).length - replaced.length;
    return `apply green (run ${summary.run_id}); ${o.away}: ${awayAfter.length} containers on its kept data volume ${volumesAfter.join(" ")}; ${o.stay.join(", ")} the same ids; central: ${same} containers the same, replaced only those whose config names the hosts: ${replaced.join(", ") || "none"}; ${green}`;
  });

  await step(
    7,
    "down (TESTENV_FLEET=1)",
    async () => {
      const down = await run("down", "env", ["TESTENV_FLEET=1", "TESTENV_KEEP_ENGINE=1", "bash", "test/env/down.sh"], 900);
      expectOk(down, "TESTENV_FLEET=1 test/env/down.sh");
      const ns = await run("netns", "ip", ["netns", "list"], 10);
      const left = ns.stdout.split("\n").map((l) => l.split(" ")[0]).filter((n) => /^fleet-/.test(n));
      if (left.length) fail(`fleet hosts left after down: ${left.join(" ")}`);
      const central = Object.keys(await centralContainers());
      if (central.length) fail(`${central.length} container(s) of ${o.project} left on the central engine: ${central.join(" ")}`);
      return `down.sh exit 0; no fleet host namespace left; no container of ${o.project} on the central engine`;
    },
    { always: true },
  );

  const summary = formatSummary(steps, Math.round((t.now() - t0) / 1000));
  return { ok: steps.every((s) => s.status === "pass"), steps, summary };
}

/** lan-probe's target from the stack file: the central host's address, every published port and the gateway's. */
export function probeTargetFrom(stackFile: string): { address: string; ports: string } {
  const cfg = loadConfigFile(stackFile);
  const ports: Record<string, number> = { ...(cfg.ports as Record<string, number>) };
  if (cfg.gateway?.port) ports.gateway = cfg.gateway.port;
  return { address: centralHost(cfg).address, ports: Object.entries(ports).map(([k, v]) => `${k}=${v}`).join(",") };
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, "..", "..");
  const env = (k: string) => process.env[k] || fail(`${k} is not set (run npm run -s e2e:fleet, which sets it)`);
  const logDir = env("E2E_FLEET_LOG_DIR");
  fs.mkdirSync(logDir, { recursive: true });
  const tools: FleetTools = {
    run: commandRunner(root),
    log: (l) => process.stdout.write(l + "\n"),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
  const stackFile = env("E2E_STACK_FILE");
  const fleetRun = env("E2E_FLEET_RUN");
  const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
  const r = await fleetAct(tools, {
    stack: env("E2E_STACK"),
    stackFile,
    outDir: env("LOGGING_BOOTSTRAP_OUT_DIR"),
    project: env("E2E_PROJECT"),
    policyConfig: env("E2E_POLICY_CONFIG"),
    secretsFile: env("E2E_SECRETS_FILE"),
    recorded: env("E2E_RECORDED"),
    logDir,
    socket: (h) => path.join(fleetRun, h, "docker.sock"),
    away: "c",
    stay: ["b"],
    probeTarget: () => probeTargetFrom(stackFile),
    centralChangedBy: centralContainersChangedByFiles,
    redTimeoutS: num("E2E_FLEET_RED_TIMEOUT", 120),
    greenTimeoutS: num("E2E_FLEET_GREEN_TIMEOUT", 120),
    intervalS: 5,
  });
  process.stdout.write("\n" + r.summary + `\n(every command's output: ${logDir})\n`);
  return r.ok ? 0 : 1;
}

if (require.main === module)
  main().then(
    (c) => process.exit(c),
    (e: unknown) => {
      process.stderr.write(`e2e:fleet: could not run: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(3);
    },
  );
