// npm run -s verify:faults [-- --json] [--testenv F] [--levels L1,..]
// The fault matrix: against the running test environment (test/.tmp/testenv.json), for each level
// inject its fault, show the proof goes red with the right code, restore, show it green again.
// A proof that stays green under its fault fails the matrix (exit 1).
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import Docker from "dockerode";
import * as YAML from "yaml";
import type { ErrorCode } from "../contracts/errors";
import type { ServiceName } from "../contracts/config/schema";
import { makeIo } from "../components/verify/io";
import type { DesiredState } from "../components/verify/spec";
import { imagesFromRecord, runLevel, SuiteOptions, SuiteOverrides } from "../components/verify/suite";
import type { Io, Level, ProofResult } from "../components/verify/types";
import { LEVEL_DEFAULT_CODES } from "../components/verify/levels";
import { LEVELS } from "../components/verify/types";
import { grafanaPasswordFrom, loadDesired } from "./verify";
import { runCli } from "./lib/cli";
import { repairContainers } from "../test/env/pulumi";

export const HELP = `Usage: npm run -s verify:faults [-- --json] [--testenv <file>] [--levels L1,L2,...]

For each verification level, inject its fault into the running test environment, show the proof
goes red with its code, restore, and show it green again:
  L1 stop a container (cadvisor)            -> E_PROOF_HEALTH
  L2 stop Loki's process (docker pause)     -> E_NETWORK_UNREACHABLE
  L3 stop ingestion (stop Alloy)            -> E_PROOF_INGESTION_TIMEOUT
  L4 push > limit values of one label       -> E_PROOF_CARDINALITY
  L5 remove a dashboard (its JSON in the container and Grafana's stored copy) -> E_PROOF_DASHBOARDS
  L6 drop a rule group + /-/reload          -> E_PROOF_RULES
  L7 re-tag node-exporter's image to other content and recreate the container -> E_PROOF_PROVENANCE_MISMATCH
     (restored as bootstrap --mode repair does: a pulumi up that rebuilds the container)
  L8 edit Loki's config file inside the running container -> E_PROOF_CONFIG_DRIFT
  L9 silence Watchdog through Alertmanager's API -> E_PROOF_ALERT_NOT_DELIVERED
     (restored by expiring the silence)

Options:
  --testenv <file>   test environment description (default test/.tmp/testenv.json)
  --levels L1,...    run only these faults
  --json             print the matrix as JSON
Exit codes: 0 every fault went red with its code and green after restore; 1 otherwise;
            3 could not run (no test environment, bad arguments).`;

/** The code each fault must turn its level red with: the level's default (levels.ts), except L4's fault, which pushes too many values of one label. */
export const EXPECTED: Record<Level, ErrorCode> = { ...LEVEL_DEFAULT_CODES, L4: "E_PROOF_CARDINALITY" };

/** Short deadlines while a fault is in: red must show quickly. */
export const FAULT_OVERRIDES: SuiteOverrides = {
  health: { retries: 2, deadlineSeconds: 3, backoff: { initialMs: 200, factor: 2, maxMs: 1000 } },
  ingestionTimeoutSeconds: 6,
  pollIntervalMs: 250,
  deadlineSeconds: 2,
  probeTimeoutMs: 2000,
  probeAttempts: 1,
  alertTimeoutMs: 5000,
  alertPollMs: 500,
};
/** Generous ones after restore: services may be starting again. */
export const RESTORE_OVERRIDES: SuiteOverrides = { health: { deadlineSeconds: 30 }, ingestionTimeoutSeconds: 30, deadlineSeconds: 20, pollIntervalMs: 250, alertTimeoutMs: 90_000, alertPollMs: 1000 };

interface TestEnv {
  engine?: { socket?: string };
  configFile: string;
  stack: string;
  pulumi: { backendUrl: string; passphraseFile: string; stackFile: string };
  renderDir: string;
  secretsFile: string;
  probeImage?: string;
  services: Record<ServiceName, { container: string; id?: string; imageRef: string; imageId: string; repoDigest: string; url?: string; kind?: string }>;
}

/** A one-file ustar archive (what PUT /containers/{id}/archive takes). */
export function tarOf(name: string, content: Buffer, mode = 0o444, uid = 0, gid = 0): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (s: string, off: number, len: number) => h.write(s, off, Math.min(len, Buffer.byteLength(s)), "utf8");
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
  put(name, 0, 100);
  put(oct(mode, 8), 100, 8);
  put(oct(uid, 8), 108, 8);
  put(oct(gid, 8), 116, 8);
  put(oct(content.length, 12), 124, 12);
  put(oct(Math.floor(Date.now() / 1000), 12), 136, 12);
  h.fill(0x20, 148, 156);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([h, content, pad, Buffer.alloc(1024, 0)]);
}

export interface FaultContext {
  docker: Docker;
  /** testenv.json: its directory is the launcher's --tmp. */
  envFile: string;
  env: TestEnv;
  desired: DesiredState;
  io: Io;
  log: (msg: string) => void;
}

export interface Fault {
  level: Level;
  title: string;
  inject(ctx: FaultContext): Promise<void>;
  restore(ctx: FaultContext): Promise<void>;
}

async function putFile(ctx: FaultContext, container: string, file: string, content: Buffer): Promise<void> {
  await ctx.docker.getContainer(container).putArchive(tarOf(path.posix.basename(file), content), { path: path.posix.dirname(file) });
}

async function execRoot(ctx: FaultContext, container: string, cmd: string[]): Promise<number> {
  const ex = await ctx.docker.getContainer(container).exec({ Cmd: cmd, User: "0", AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  await new Promise<void>((r) => {
    stream.on("end", () => r());
    stream.on("close", () => r());
    stream.resume();
  });
  return (await ex.inspect()).ExitCode ?? -1;
}

function rendered(ctx: FaultContext, svc: ServiceName, file: string): Buffer {
  return fs.readFileSync(path.join(ctx.env.renderDir, "files", svc, file.replace(/^\//, "")));
}

async function waitHttp(ctx: FaultContext, url: string, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    try {
      const r = await ctx.io.http({ url, timeoutMs: 1000 });
      if (r.status === 200) return;
    } catch {
      /* not up yet */
    }
    await sleep(250);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait (bounded) until Docker reports the container healthy (running, when it has no healthcheck).
 * A restore hands the environment back as it found it: the next proof, test or `testenv:up` must
 * not meet a container still "starting".
 */
export async function waitDockerHealthy(docker: Docker, container: string, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const st = (await docker.getContainer(container).inspect()).State;
    const status = st.Health?.Status ?? (st.Running ? "healthy" : st.Status);
    if (status === "healthy") return;
    if (Date.now() > end) throw new Error(`${container} is still ${status} ${seconds} s after the restore`);
    await sleep(250);
  }
}

/**
 * Rebuild containers the way `bootstrap --mode repair` does (a refreshed `pulumi up` that replaces
 * them from the program's desired state), then record their new ids in the loaded testenv.json.
 */
async function relaunch(ctx: FaultContext, names: string[]): Promise<void> {
  await repairContainers(ctx.env, names);
  for (const svc of Object.keys(ctx.env.services) as ServiceName[]) {
    const s = ctx.env.services[svc];
    if (names.includes(s.container)) s.id = (await ctx.docker.getContainer(s.container).inspect()).Id;
  }
}

async function reloadPrometheus(ctx: FaultContext): Promise<void> {
  const base = ctx.env.services.prometheus.url ?? "";
  const r = await ctx.io.http({ method: "POST", url: `${base}/-/reload`, timeoutMs: 5000 }).catch(() => ({ status: 0 }));
  // Without --web.enable-lifecycle the endpoint is refused: SIGHUP is Prometheus' other reload.
  if (r.status !== 200) await ctx.docker.getContainer(ctx.env.services.prometheus.container).kill({ signal: "SIGHUP" });
}

/** Recreate a container with its own configuration but another image (L7's fault and its restore). */
async function recreate(ctx: FaultContext, name: string, image: string): Promise<void> {
  const c = ctx.docker.getContainer(name);
  const info = await c.inspect();
  const endpoints: Record<string, { Aliases?: string[] }> = {};
  for (const [net, cfg] of Object.entries(info.NetworkSettings.Networks ?? {})) {
    // Docker adds the short container id as an alias; it must not be carried over.
    endpoints[net] = { Aliases: (cfg.Aliases ?? []).filter((a: string) => !info.Id.startsWith(a)) };
  }
  await c.remove({ force: true });
  const created = await ctx.docker.createContainer({
    name,
    Image: image,
    Cmd: info.Config.Cmd,
    Entrypoint: info.Config.Entrypoint as string[] | undefined,
    Env: info.Config.Env,
    User: info.Config.User,
    Labels: info.Config.Labels,
    ExposedPorts: info.Config.ExposedPorts,
    Healthcheck: info.Config.Healthcheck,
    WorkingDir: info.Config.WorkingDir,
    HostConfig: info.HostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints },
  });
  await created.start();
}

function splitRef(ref: string): { repo: string; tag: string } {
  const noDigest = ref.replace(/@sha256:[0-9a-f]{64}$/, "");
  const i = noDigest.lastIndexOf(":");
  return i > noDigest.lastIndexOf("/") ? { repo: noDigest.slice(0, i), tag: noDigest.slice(i + 1) } : { repo: noDigest, tag: "latest" };
}

const FAULT_LABEL = "fault_cardinality";

/** The silence L9's fault creates (its id, to expire it on restore). */
let watchdogSilence: string | undefined;

function alertmanagerUrl(ctx: FaultContext): string {
  const u = ctx.env.services.alertmanager?.url;
  if (!u) throw new Error("testenv.json has no services.alertmanager.url (its published port)");
  return u;
}

export function faults(): Fault[] {
  return [
    {
      level: "L1",
      title: "stop a container (cadvisor)",
      inject: async (ctx) => ctx.docker.getContainer(ctx.env.services.cadvisor.container).stop({ t: 2 }),
      restore: async (ctx) => ctx.docker.getContainer(ctx.env.services.cadvisor.container).start(),
    },
    {
      level: "L2",
      title: "stop Loki's process (docker pause): its health endpoint no longer answers inside the network",
      inject: async (ctx) => ctx.docker.getContainer(ctx.env.services.loki.container).pause(),
      restore: async (ctx) => ctx.docker.getContainer(ctx.env.services.loki.container).unpause(),
    },
    {
      level: "L3",
      title: "stop ingestion (stop Alloy)",
      inject: async (ctx) => ctx.docker.getContainer(ctx.env.services.alloy.container).stop({ t: 2 }),
      restore: async (ctx) => {
        await ctx.docker.getContainer(ctx.env.services.alloy.container).start();
        if (ctx.env.services.alloy.url) await waitHttp(ctx, `${ctx.env.services.alloy.url}/-/ready`, 30);
      },
    },
    {
      level: "L4",
      title: `push more than verify.cardinalityLimit distinct values of label ${FAULT_LABEL} to Loki's push API`,
      inject: async (ctx) => {
        const n = ctx.desired.config.verify.cardinalityLimit + 5;
        const now = BigInt(Date.now()) * 1_000_000n;
        const streams = Array.from({ length: n }, (_, i) => ({ stream: { job: "verify-faults", project: ctx.desired.config.projectName, [FAULT_LABEL]: `v${i}` }, values: [[(now + BigInt(i)).toString(), `fault ${i}`]] }));
        const r = await ctx.io.http({ method: "POST", url: `${ctx.env.services.loki.url}/loki/api/v1/push`, headers: { "content-type": "application/json" }, body: JSON.stringify({ streams }), timeoutMs: 10000 });
        if (r.status !== 204) throw new Error(`loki push answered ${r.status}`);
        // Pushed lines become queryable after Loki's ingestion delay.
        await new Promise((res) => setTimeout(res, 1500));
      },
      restore: async (ctx) => {
        // Loki has no cheap "forget these streams" (the delete API needs the compactor and time).
        // In the test environment the Loki double keeps its data in one JSONL file: drop the fault's
        // streams (parsed, by label) and restart it, as an operator would purge a bad tenant.
        if (ctx.env.services.loki.kind !== "double") throw new Error("restoring L4 is implemented for the test environment's Loki double only");
        const script = `const fs=require("fs"),p=require("path");const d=process.env.LOKI_DOUBLE_DATA_DIR||"/loki/double";const f=p.join(d,"entries.jsonl");const keep=fs.readFileSync(f,"utf8").split("\\n").filter(l=>{if(!l)return false;try{return !(${JSON.stringify(FAULT_LABEL)} in JSON.parse(l).labels)}catch{return false}});fs.writeFileSync(f,keep.join("\\n")+(keep.length?"\\n":""));`;
        const code = await execRoot(ctx, ctx.env.services.loki.container, ["node", "-e", script]);
        if (code !== 0) throw new Error(`purging the Loki double's store exited ${code}`);
        await ctx.docker.getContainer(ctx.env.services.loki.container).restart({ t: 2 });
        await waitHttp(ctx, `${ctx.env.services.loki.url}/ready`, 30);
      },
    },
    {
      level: "L5",
      title: "remove the provisioned dashboard: delete its JSON inside the Grafana container and Grafana's stored copy, restart Grafana",
      inject: async (ctx) => {
        // B's provider sets disableDeletion: true, so Grafana (and the double) keep a dashboard whose
        // file vanished: deleting the file alone is not a lost dashboard. It is lost when the file and
        // Grafana's database copy are both gone (e.g. a recreated data volume): do both.
        if (ctx.env.services.grafana.kind !== "double") throw new Error("L5's fault is implemented for the test environment's Grafana double only");
        const f = ctx.desired.files.grafana.find((x) => x.path.endsWith(".json"))!;
        const script = `const fs=require("fs");for(const p of [${JSON.stringify(f.path)},"/var/lib/grafana/grafana-double-dashboards.json"]){try{fs.unlinkSync(p)}catch(e){if(e.code!=="ENOENT")throw e}}`;
        const code = await execRoot(ctx, ctx.env.services.grafana.container, ["node", "-e", script]);
        if (code !== 0) throw new Error(`could not delete ${f.path} (exit ${code})`);
        await ctx.docker.getContainer(ctx.env.services.grafana.container).restart({ t: 2 });
        await waitHttp(ctx, `${ctx.env.services.grafana.url}/api/health`, 30);
      },
      restore: async (ctx) => {
        const f = ctx.desired.files.grafana.find((x) => x.path.endsWith(".json"))!;
        await putFile(ctx, ctx.env.services.grafana.container, f.path, rendered(ctx, "grafana", f.path));
        // Grafana's own provisioning reload API (admin basic auth), instead of waiting for the rescan.
        const pw = grafanaPasswordFrom(ctx.env.secretsFile, process.env) ?? "";
        const r = await ctx.io.http({ method: "POST", url: `${ctx.env.services.grafana.url}/api/admin/provisioning/dashboards/reload`, headers: { Authorization: `Basic ${Buffer.from(`admin:${pw}`).toString("base64")}` }, timeoutMs: 5000 });
        if (r.status !== 200) throw new Error(`provisioning reload answered ${r.status}`);
      },
    },
    {
      level: "L6",
      title: "drop a rule group from the rules file inside Prometheus and reload",
      inject: async (ctx) => {
        const f = ctx.desired.files.prometheus.find((x) => x.path.includes("/rules/"))!;
        const doc = YAML.parse(f.content) as { groups: { name: string }[] };
        doc.groups = doc.groups.slice(1);
        await putFile(ctx, ctx.env.services.prometheus.container, f.path, Buffer.from(YAML.stringify(doc)));
        await reloadPrometheus(ctx);
      },
      restore: async (ctx) => {
        const f = ctx.desired.files.prometheus.find((x) => x.path.includes("/rules/"))!;
        await putFile(ctx, ctx.env.services.prometheus.container, f.path, rendered(ctx, "prometheus", f.path));
        await reloadPrometheus(ctx);
      },
    },
    {
      level: "L7",
      title: "re-tag node-exporter's image reference to other content and recreate the container from it",
      inject: async (ctx) => {
        const s = ctx.env.services.nodeExporter;
        const c = ctx.docker.getContainer(s.container);
        const { repo, tag } = splitRef(s.imageRef);
        // Other content under the same tag: the container's filesystem committed with a new label.
        await c.commit({ repo, tag, changes: 'LABEL logging-bootstrap.fault="retag"' });
        await recreate(ctx, s.container, s.imageRef);
      },
      restore: async (ctx) => {
        const s = ctx.env.services.nodeExporter;
        const faulty = await ctx.docker.getImage(s.imageRef).inspect();
        // Back to what the stack declares: the tag names the registry's content again (pull), the
        // container recreated outside Pulumi goes, and a repair rebuilds it from the state's image.
        await ctx.docker.getContainer(s.container).remove({ force: true });
        await new Promise<void>((resolve, reject) =>
          ctx.docker.pull(s.imageRef, (err: Error | null, stream: NodeJS.ReadableStream) => (err ? reject(err) : ctx.docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())))),
        );
        await relaunch(ctx, [s.container]);
        if (faulty.Id !== s.imageId) await ctx.docker.getImage(faulty.Id).remove({ force: true }).catch(() => undefined);
      },
    },
    {
      level: "L8",
      title: "edit Loki's config file inside the running container",
      inject: async (ctx) => {
        const f = ctx.desired.files.loki[0];
        await putFile(ctx, ctx.env.services.loki.container, f.path, Buffer.concat([rendered(ctx, "loki", f.path), Buffer.from("# edited by verify:faults\n")]));
      },
      restore: async (ctx) => {
        const f = ctx.desired.files.loki[0];
        await putFile(ctx, ctx.env.services.loki.container, f.path, rendered(ctx, "loki", f.path));
      },
    },
    {
      level: "L9",
      title: "silence Watchdog through Alertmanager's API (POST /api/v2/silences): it is suppressed and never delivered",
      inject: async (ctx) => {
        const now = Date.now();
        const silence = {
          matchers: [{ name: "alertname", value: "Watchdog", isRegex: false, isEqual: true }],
          startsAt: new Date(now - 1000).toISOString(),
          endsAt: new Date(now + 15 * 60_000).toISOString(),
          createdBy: "verify:faults",
          comment: "L9 fault: Watchdog silenced; expired again by the restore",
        };
        const r = await ctx.io.http({ method: "POST", url: `${alertmanagerUrl(ctx)}/api/v2/silences`, headers: { "content-type": "application/json" }, body: JSON.stringify(silence), timeoutMs: 5000 });
        const id = r.status === 200 ? (JSON.parse(r.body) as { silenceID?: unknown }).silenceID : undefined;
        if (typeof id !== "string") throw new Error(`creating the silence answered HTTP ${r.status}`);
        watchdogSilence = id;
      },
      restore: async (ctx) => {
        if (!watchdogSilence) return;
        // DELETE expires the silence (api/v2/openapi.yaml deleteSilence); the alert is active again.
        const r = await ctx.io.http({ method: "DELETE", url: `${alertmanagerUrl(ctx)}/api/v2/silence/${encodeURIComponent(watchdogSilence)}`, timeoutMs: 5000 });
        if (r.status !== 200) throw new Error(`expiring silence ${watchdogSilence} answered HTTP ${r.status}`);
        watchdogSilence = undefined;
      },
    },
  ];
}

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
    const expectedCode = EXPECTED[f.level];
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
  return { ctx: { docker: new Docker(), envFile, env, desired, io, log }, base: { password, images: imagesFromRecord(env) } };
}

async function main(argv: string[]): Promise<number> {
  let values: { json?: boolean; testenv?: string; levels?: string; help?: boolean };
  try {
    values = parseArgs({ args: argv, options: { json: { type: "boolean" }, testenv: { type: "string" }, levels: { type: "string" }, help: { type: "boolean" } }, strict: true }).values;
  } catch (e) {
    process.stderr.write(`E_ENV_USAGE: ${(e as Error).message}\n${HELP}\n`);
    return 3;
  }
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const levels = values.levels ? (values.levels.split(",").map((s) => s.trim().toUpperCase()) as Level[]) : [...LEVELS];
  if (levels.some((l) => !LEVELS.includes(l))) {
    process.stderr.write("E_ENV_USAGE: --levels takes L1..L9\n");
    return 3;
  }
  const envFile = path.resolve(values.testenv ?? path.join(__dirname, "..", "test", ".tmp", "testenv.json"));
  let setup;
  try {
    setup = await contextFor(envFile, (m) => process.stderr.write(`[faults] ${m}\n`));
  } catch (e) {
    process.stderr.write(`E_ENV_TOOL_MISSING: ${(e as Error).message}\n`);
    return 3;
  }
  process.once("SIGINT", () => void restoreActiveAndExit("SIGINT", 130));
  process.once("SIGTERM", () => void restoreActiveAndExit("SIGTERM", 143));
  const t0 = Date.now();
  const outcomes = await runMatrix(setup.ctx, setup.base, levels);
  const passed = outcomes.filter((o) => o.pass).length;
  const summary = { passed, total: outcomes.length, seconds: (Date.now() - t0) / 1000, outcomes };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else {
    process.stdout.write(`fault matrix: ${passed}/${outcomes.length} proofs went red under their fault and green after restore (${summary.seconds.toFixed(1)} s)\n`);
    for (const o of outcomes) {
      process.stdout.write(`  ${o.pass ? "PASS" : "FAIL"} ${o.level} ${o.fault}\n      under fault: ${o.underFault.status} ${o.underFault.code ?? ""} (${o.underFault.seconds.toFixed(1)} s) ${o.underFault.findings.slice(0, 2).join("; ")}\n      after restore: ${o.afterRestore.status} (${o.afterRestore.seconds.toFixed(1)} s)${o.error ? `\n      error: ${o.error}` : ""}\n`);
    }
  }
  return passed === outcomes.length ? 0 : 1;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { failExit: () => 3, exit: true });
