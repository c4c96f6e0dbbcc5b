// Stack-from-plan launcher: reads `render` output (<render>/plan.json) and creates on the local
// Docker engine exactly what the plan declares, the way @pulumi/docker's provider would: the
// network, labelled volumes, the host-dirs command, the pinned images (pulled from the local
// registry so RepoDigests are real), and each container with its declared name, command, envs,
// labels, ports, volumes, healthcheck, restart policy, log options, memory, user and uploads (put
// into the container with putArchive before it starts). Upload contents that are ***REDACTED***
// secrets get a testenv secret, generated once and kept (mode 0600) in the secrets file.
//
//   tsx test/env/launcher.ts up   --render <dir> --config-file <file> --tmp <dir> [--force] [--recreate svc,...]
//   tsx test/env/launcher.ts down --tmp <dir> [--project <name>]
// Exit codes: 0 done, 1 failure (message on stderr), 2 usage.
import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import YAML from "yaml";

export const REDACTED = "***REDACTED***";
export const LABEL_PROJECT = "logging-bootstrap.project";
export const LABEL_SERVICE = "logging-bootstrap.service";
const T_CONTAINER = "docker:index/container:Container";
const T_IMAGE = "docker:index/remoteImage:RemoteImage";
const T_VOLUME = "docker:index/volume:Volume";
const T_NETWORK = "docker:index/network:Network";
const T_COMMAND = "command:local:Command";

/** Resource types the launcher applies to the engine. */
export const LAUNCHED_TYPES = [T_NETWORK, T_VOLUME, T_COMMAND, T_IMAGE, T_CONTAINER];

/**
 * Resource types the launcher knows and deliberately does not create, with the reason. Anything
 * neither launched nor listed here is refused: an environment that silently dropped part of the
 * plan would prove a stack that was never declared.
 */
const ADMIN_SYNC_TYPE = "pulumi-nodejs:dynamic/logging-bootstrap:GrafanaAdminPassword";

export const SKIPPED_TYPES: { match: (type: string) => boolean; why: string }[] = [
  { match: (t) => t === ADMIN_SYNC_TYPE, why: "Grafana admin password sync (dynamic provider): the launcher starts Grafana on an empty volume with the testenv secret, so it is in sync; test/integration/grafana-admin.test.ts runs the sync against this environment" },
  { match: (t) => t.startsWith("pulumi-nodejs:dynamic/logging-bootstrap:"), why: "proof (dynamic provider): run against this environment by `npm run verify`, the fault matrix and the provider tests, never created here" },
  { match: (t) => /^logging-bootstrap:[a-z]+:[A-Za-z]+$/.test(t), why: "component: a grouping with no engine object of its own" },
  { match: (t) => t === "random:index/randomPassword:RandomPassword", why: "secret: its ***REDACTED*** uses get a testenv secret (secrets.env)" },
];

/** Every resource of the plan, by what the launcher does with it (exhaustive: unknown types are listed as such). */
export function classifyPlan(plan: Plan): { launched: Record<string, number>; skipped: Record<string, number>; unknown: string[] } {
  const out = { launched: {} as Record<string, number>, skipped: {} as Record<string, number>, unknown: [] as string[] };
  for (const r of plan.resources) {
    if (LAUNCHED_TYPES.includes(r.type)) out.launched[r.type] = (out.launched[r.type] ?? 0) + 1;
    else if (SKIPPED_TYPES.some((s) => s.match(r.type))) out.skipped[r.type] = (out.skipped[r.type] ?? 0) + 1;
    else out.unknown.push(`${r.type} ${r.name}`);
  }
  return out;
}

export interface PlanResource {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, any>;
  options: { protect?: boolean; retainOnDelete?: boolean; deleteBeforeReplace?: boolean; dependsOn?: string[]; parent?: string | null };
}
export interface Plan {
  project: string;
  stack: string;
  resources: PlanResource[];
  outputs: Record<string, unknown>;
}

export interface Upload {
  file: string;
  content: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface ContainerPlan {
  name: string;
  service: string;
  urn: string;
  imageRef: string;
  /** Container names this one waits for (healthy) before it is created. */
  after: string[];
  uploads: Upload[];
  /** Create options without Image (filled in once the image is pulled). */
  create: Docker.ContainerCreateOptions;
}

/** Go-style durations ("5s", "1m30s", "250ms") -> nanoseconds (Docker's healthcheck unit). */
export function durationNs(d: string | number | undefined): number | undefined {
  if (d === undefined || d === "") return undefined;
  if (typeof d === "number") return d;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let consumed = 0;
  for (const m of d.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== d.length) throw new Error(`invalid duration ${JSON.stringify(d)}`);
  return Math.round(total);
}

function labelsMap(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(list)) for (const l of list as { label: string; value: string }[]) out[l.label] = String(l.value);
  else if (list && typeof list === "object") Object.assign(out, list);
  return out;
}

/** Secret key name for a redacted upload: grafana + /etc/grafana/secrets/admin_password -> GRAFANA_ADMIN_PASSWORD. */
export function secretKey(service: string, file: string): string {
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
  return `${snake(service)}_${snake(path.posix.basename(file))}`;
}

/** Alphanumeric secret (what random.RandomPassword with special:false produces). */
export function generateSecret(length = 32): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.randomBytes(length * 2);
  let out = "";
  for (const b of bytes) {
    if (b < 248) out += alphabet[b % 62]; // 248 = 4*62: no modulo bias
    if (out.length === length) break;
  }
  return out;
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The Docker-side specification of every container in the plan (pure; secrets resolved by `secrets`). */
export function planContainers(plan: Plan, secrets: Record<string, string>): ContainerPlan[] {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const images = plan.resources.filter((r) => r.type === T_IMAGE);
  const containers = plan.resources.filter((r) => r.type === T_CONTAINER);
  const containerOfComponent = new Map<string, string>();
  for (const c of containers) if (c.options.parent) containerOfComponent.set(c.options.parent, c.inputs.name);
  return containers.map((r) => {
    const i = r.inputs;
    const labels = labelsMap(i.labels);
    const service = labels[LABEL_SERVICE];
    if (!service) throw new Error(`container ${r.name} has no ${LABEL_SERVICE} label`);
    // The image input is the RemoteImage's imageId (unknown offline): use the sibling RemoteImage.
    const img = images.find((m) => m.options.parent && m.options.parent === r.options.parent);
    const imageRef = img ? String(img.inputs.name) : String(i.image);
    // Dependencies: the container's own dependsOn plus its parent component's dependsOn.
    const deps = new Set<string>([...(r.options.dependsOn ?? [])]);
    const parent = r.options.parent ? byUrn.get(r.options.parent) : undefined;
    for (const d of parent?.options.dependsOn ?? []) deps.add(d);
    const after = [...deps].map((u) => containerOfComponent.get(u) ?? (byUrn.get(u)?.type === T_CONTAINER ? byUrn.get(u)!.inputs.name : undefined)).filter((n): n is string => !!n);

    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of (i.ports ?? []) as { internal: number; external?: number; ip?: string; protocol?: string }[]) {
      const key = `${p.internal}/${p.protocol ?? "tcp"}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external !== undefined ? String(p.external) : "" });
    }
    const binds: string[] = [];
    for (const v of (i.volumes ?? []) as { containerPath: string; hostPath?: string; volumeName?: string; readOnly?: boolean }[]) {
      const src = v.hostPath ?? v.volumeName;
      binds.push(src ? `${src}:${v.containerPath}${v.readOnly ? ":ro" : ""}` : v.containerPath);
    }
    const mounts = ((i.mounts ?? []) as { target: string; source?: string; type: string; readOnly?: boolean }[]).map((m) => ({
      Target: m.target,
      Source: m.source ?? "",
      Type: m.type as "bind" | "volume" | "tmpfs",
      ReadOnly: !!m.readOnly,
    }));
    const env = ((i.envs ?? []) as string[]).map((e) => {
      const eq = e.indexOf("=");
      if (eq > 0 && e.slice(eq + 1) === REDACTED) {
        const key = `${secretKey(service, "env")}_${e.slice(0, eq)}`;
        return `${e.slice(0, eq)}=${secrets[key] ?? (secrets[key] = generateSecret())}`;
      }
      return e;
    });
    const uploads: Upload[] = ((i.uploads ?? []) as { file: string; content?: string; contentBase64?: string; permissions?: string; executable?: boolean; owner?: string; group?: string }[]).map((u) => {
      let content = u.content ?? (u.contentBase64 ? Buffer.from(u.contentBase64, "base64").toString("utf8") : "");
      if (content === REDACTED) {
        const key = secretKey(service, u.file);
        content = secrets[key] ?? (secrets[key] = generateSecret());
      }
      const mode = u.permissions ? parseInt(u.permissions, 8) : u.executable ? 0o755 : 0o644;
      return { file: u.file, content, mode, uid: Number(u.owner ?? 0) || 0, gid: Number(u.group ?? 0) || 0 };
    });
    const networks = (i.networksAdvanced ?? []) as { name: string; aliases?: string[] }[];
    const hc = i.healthcheck as { tests: string[]; interval?: string; timeout?: string; retries?: number; startPeriod?: string } | undefined;
    const create: Docker.ContainerCreateOptions = {
      name: i.name,
      Cmd: i.command,
      Entrypoint: i.entrypoints,
      Env: env,
      Labels: labels,
      User: i.user,
      WorkingDir: i.workingDir,
      Hostname: i.hostname,
      ExposedPorts: exposed,
      Healthcheck: hc
        ? { Test: hc.tests, Interval: durationNs(hc.interval), Timeout: durationNs(hc.timeout), Retries: hc.retries, StartPeriod: durationNs(hc.startPeriod) }
        : undefined,
      HostConfig: {
        Binds: binds,
        Mounts: mounts.length ? mounts : undefined,
        PortBindings: bindings,
        RestartPolicy: i.restart ? { Name: i.restart, MaximumRetryCount: i.maxRetryCount ?? 0 } : undefined,
        LogConfig: { Type: i.logDriver ?? "json-file", Config: i.logOpts ?? {} },
        Memory: i.memory ? Number(i.memory) * 1024 * 1024 : undefined,
        MemorySwap: i.memorySwap ? Number(i.memorySwap) * 1024 * 1024 : undefined,
        Privileged: !!i.privileged,
        ReadonlyRootfs: !!i.readOnly,
        CapAdd: i.capabilities?.adds,
        CapDrop: i.capabilities?.drops,
        NetworkMode: networks[0]?.name ?? i.networkMode,
      },
      NetworkingConfig: networks.length ? { EndpointsConfig: { [networks[0].name]: { Aliases: networks[0].aliases ?? [] } } } : undefined,
    };
    return { name: i.name, service, urn: r.urn, imageRef, after, uploads, create: stripUndefined(create) };
  });
}

function stripUndefined<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

/** Minimal POSIX ustar archive of in-memory files (Docker's putArchive format). */
export function tarFiles(files: Upload[]): Buffer {
  const blocks: Buffer[] = [];
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
  for (const f of files) {
    const data = Buffer.from(f.content, "utf8");
    let name = f.file.replace(/^\/+/, "");
    let prefix = "";
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf("/", 155);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
    const h = Buffer.alloc(512, 0);
    h.write(name, 0, 100, "utf8");
    h.write(octal(f.mode & 0o7777, 8), 100, 8, "ascii");
    h.write(octal(f.uid, 8), 108, 8, "ascii");
    h.write(octal(f.gid, 8), 116, 8, "ascii");
    h.write(octal(data.length, 12), 124, 12, "ascii");
    h.write(octal(0, 12), 136, 12, "ascii");
    h.write("        ", 148, 8, "ascii");
    h.write("0", 156, 1, "ascii");
    h.write("ustar\0", 257, 6, "ascii");
    h.write("00", 263, 2, "ascii");
    h.write(prefix, 345, 155, "utf8");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + " ", 148, 8, "ascii");
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

/** Identity of what a container was created from: unchanged hash + running => nothing to do. */
export function specHash(c: ContainerPlan, imageId: string): string {
  return crypto.createHash("sha256").update(JSON.stringify({ create: c.create, uploads: c.uploads, imageId })).digest("hex");
}

/** Containers in waves: each wave depends only on earlier waves. */
export function waves(containers: ContainerPlan[]): ContainerPlan[][] {
  const done = new Set<string>();
  const left = [...containers];
  const out: ContainerPlan[][] = [];
  const names = new Set(containers.map((c) => c.name));
  while (left.length) {
    const wave = left.filter((c) => c.after.every((a) => done.has(a) || !names.has(a)));
    if (wave.length === 0) throw new Error(`dependency cycle among ${left.map((c) => c.name).join(", ")}`);
    for (const c of wave) {
      done.add(c.name);
      left.splice(left.indexOf(c), 1);
    }
    out.push(wave);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Effects against the engine

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function log(msg: string): void {
  process.stderr.write(`[testenv ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function pull(docker: Docker, ref: string): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

function runCommand(script: string, interpreter: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(interpreter[0], [...interpreter.slice(1), script], { timeout: timeoutMs }, (err, _out, stderr) => {
      if (err) reject(new Error(`host command failed: ${err.message} ${stderr}`));
      else resolve();
    });
  });
}

export const PROBE_IMAGE = "127.0.0.1:5000/testenv/busybox:1.35";

/** undefined when the engine runs a privileged container, else the engine's error message. */
async function privilegedRefusal(docker: Docker, image: string): Promise<string | undefined> {
  await pull(docker, image);
  const c = await docker.createContainer({ Image: image, Cmd: ["true"], Labels: { "logging-testenv.probe": "privileged" }, HostConfig: { Privileged: true } });
  try {
    await c.start();
    await c.wait();
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

async function waitHealthy(docker: Docker, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(names);
  for (let i = 0; pending.size > 0; i++) {
    for (const n of [...pending]) {
      const info = await docker.getContainer(n).inspect();
      const status = info.State.Health?.Status ?? (info.State.Running ? "healthy" : "exited");
      if (status === "healthy") pending.delete(n);
      else if (!info.State.Running && !info.State.Restarting) {
        const logs = (await docker.getContainer(n).logs({ stdout: true, stderr: true, tail: 30 })).toString("utf8");
        throw new Error(`container ${n} is not running (exit ${info.State.ExitCode}); last log lines:\n${logs}`);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline || i > 2000) {
      const details: string[] = [];
      for (const n of pending) {
        const info = await docker.getContainer(n).inspect();
        const last = info.State.Health?.Log?.slice(-1)[0];
        details.push(`${n}: ${info.State.Health?.Status} ${last ? `(last check exit ${last.ExitCode}: ${String(last.Output).trim().slice(0, 200)})` : ""}`);
      }
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for healthy containers:\n  ${details.join("\n  ")}`);
    }
    await sleep(500);
  }
}

interface State {
  containers: Record<string, { id: string; hash: string }>;
}

export interface TestenvInfo {
  version: 1;
  engine: { socket: string; host: string; serverVersion: string; startedByTestenv: boolean };
  registry: string;
  project: string;
  stack: string;
  configFile: string;
  renderDir: string;
  planFile: string;
  secretsFile: string;
  secretKeys: string[];
  network: string;
  volumes: string[];
  paths: Record<string, string>;
  probeImage: string;
  /** Where the environment could not apply the plan as declared (and why). */
  deviations: { container: string; declared: string; applied: string; reason: string }[];
  services: Record<
    string,
    { container: string; id: string; imageRef: string; imageId: string; repoDigest: string; kind: "real" | "double"; containerPort?: number; hostIp?: string; hostPort?: number; url?: string }
  >;
  upAt: string;
}

async function up(opts: { render: string; configFile: string; tmp: string; socket: string; force: boolean; recreate: string[]; healthTimeoutS: number }): Promise<void> {
  const t0 = Date.now();
  const planFile = path.resolve(opts.render, "plan.json");
  const plan = JSON.parse(fs.readFileSync(planFile, "utf8")) as Plan;
  const kinds = classifyPlan(plan);
  if (kinds.unknown.length) throw new Error(`plan.json declares resources the test environment cannot reproduce: ${kinds.unknown.join(", ")}`);
  const proofs = Object.entries(kinds.skipped).filter(([t]) => t.startsWith("pulumi-nodejs:dynamic/") && t !== ADMIN_SYNC_TYPE).reduce((n, [, c]) => n + c, 0);
  log(`plan: ${Object.values(kinds.launched).reduce((a, b) => a + b, 0)} resources to launch; ${proofs} proof resources left to verify`);
  const docker = new Docker({ socketPath: opts.socket });
  const secretsFile = path.resolve(opts.tmp, "secrets.env");
  const secrets = fs.existsSync(secretsFile) ? parseEnvFile(fs.readFileSync(secretsFile, "utf8")) : {};
  const containers = planContainers(plan, secrets);
  fs.writeFileSync(secretsFile, Object.keys(secrets).sort().map((k) => `${k}=${secrets[k]}`).join("\n") + "\n", { mode: 0o600 });
  fs.chmodSync(secretsFile, 0o600);
  const project = containers[0] ? labelsMap(containers[0].create.Labels)[LABEL_PROJECT] : undefined;
  if (!project) throw new Error("plan has no containers with a project label");

  // Network
  const netRes = plan.resources.find((r) => r.type === T_NETWORK);
  if (!netRes) throw new Error("plan declares no docker network");
  const netName = String(netRes.inputs.name);
  const nets = await docker.listNetworks({ filters: { name: [netName] } });
  if (!nets.some((n) => n.Name === netName)) {
    await docker.createNetwork({ Name: netName, Driver: netRes.inputs.driver ?? "bridge", Labels: labelsMap(netRes.inputs.labels), CheckDuplicate: true });
    log(`network ${netName} created`);
  }
  // Volumes (labels as declared)
  const volumes: string[] = [];
  for (const v of plan.resources.filter((r) => r.type === T_VOLUME)) {
    const name = String(v.inputs.name);
    volumes.push(name);
    try {
      await docker.getVolume(name).inspect();
    } catch {
      await docker.createVolume({ Name: name, Driver: v.inputs.driver ?? "local", DriverOpts: v.inputs.driverOpts ?? {}, Labels: labelsMap(v.inputs.labels) });
      log(`volume ${name} created`);
    }
  }
  // Host preparation commands (local.Command create scripts), as the engine would run them.
  for (const c of plan.resources.filter((r) => r.type === T_COMMAND)) {
    if (typeof c.inputs.create === "string") await runCommand(c.inputs.create, c.inputs.interpreter ?? ["/bin/sh", "-c"], 30000);
  }
  // Images: pull every pinned ref from the local registry (RepoDigests become real).
  const imageIds = new Map<string, string>();
  for (const ref of [...new Set(containers.map((c) => c.imageRef))]) {
    await pull(docker, ref);
    imageIds.set(ref, (await docker.getImage(ref).inspect()).Id);
  }
  // Some engines (e.g. inside a sandbox whose bounding set lacks a capability) cannot run
  // privileged containers at all. Probe once; if refused, run those containers unprivileged and
  // record the deviation in testenv.json (the doubles need no privileges).
  const deviations: { container: string; declared: string; applied: string; reason: string }[] = [];
  if (containers.some((c) => c.create.HostConfig?.Privileged)) {
    const refusal = await privilegedRefusal(docker, PROBE_IMAGE);
    if (refusal) {
      for (const c of containers.filter((x) => x.create.HostConfig?.Privileged)) {
        c.create.HostConfig!.Privileged = false;
        deviations.push({ container: c.name, declared: "privileged: true", applied: "privileged: false", reason: `this engine refuses privileged containers: ${refusal}` });
        log(`WARNING: ${c.name} runs unprivileged: the engine refuses privileged containers (${refusal})`);
      }
    }
  }
  // Containers, wave by wave (a wave waits for the previous one to be healthy).
  const stateFile = path.resolve(opts.tmp, "launcher-state.json");
  const state: State = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, "utf8")) : { containers: {} };
  for (const wave of waves(containers)) {
    for (const c of wave) {
      const imageId = imageIds.get(c.imageRef)!;
      const hash = specHash(c, imageId);
      const existing = await docker
        .getContainer(c.name)
        .inspect()
        .catch(() => undefined);
      const known = state.containers[c.name];
      const recreate = opts.force || opts.recreate.includes(c.service) || opts.recreate.includes(c.name);
      if (existing && !recreate && known && known.id === existing.Id && known.hash === hash) {
        if (!existing.State.Running) {
          await docker.getContainer(c.name).start();
          log(`container ${c.name} unchanged, started`);
        }
        continue;
      }
      if (existing) {
        await docker.getContainer(c.name).remove({ force: true });
        log(`container ${c.name} replaced (spec changed or unknown)`);
      }
      const created = await docker.createContainer({ ...c.create, Image: imageId });
      if (c.uploads.length) await created.putArchive(tarFiles(c.uploads), { path: "/" });
      await created.start();
      state.containers[c.name] = { id: created.id, hash };
      fs.writeFileSync(stateFile, JSON.stringify(state, null, 2) + "\n");
      log(`container ${c.name} created from ${c.imageRef}`);
    }
    await waitHealthy(docker, wave.map((c) => c.name), opts.healthTimeoutS * 1000);
  }
  log(`all ${containers.length} containers healthy`);

  // testenv.json for the verify engineer
  const version = await docker.version();
  const info: TestenvInfo = {
    version: 1,
    engine: { socket: opts.socket, host: `unix://${opts.socket}`, serverVersion: version.Version, startedByTestenv: fs.existsSync(path.join(opts.tmp, "dockerd.pid")) },
    registry: "127.0.0.1:5000",
    project,
    stack: plan.stack,
    configFile: path.resolve(opts.configFile),
    renderDir: path.resolve(opts.render),
    planFile,
    secretsFile,
    secretKeys: Object.keys(secrets).sort(),
    network: netName,
    volumes,
    paths: hostPaths(fs.readFileSync(opts.configFile, "utf8")),
    probeImage: PROBE_IMAGE,
    deviations,
    services: {},
    upAt: new Date().toISOString(),
  };
  for (const c of containers) {
    const ci = await docker.getContainer(c.name).inspect();
    const ii = await docker.getImage(ci.Image).inspect();
    const repo = c.imageRef.replace(/:[^:/]+$/, "");
    const binding = Object.entries(c.create.HostConfig?.PortBindings ?? {})[0];
    const hostPort = binding ? Number((binding[1] as { HostPort: string }[])[0].HostPort) : undefined;
    const hostIp = binding ? (binding[1] as { HostIp: string }[])[0].HostIp : undefined;
    info.services[c.service] = {
      container: c.name,
      id: ci.Id,
      imageRef: c.imageRef,
      imageId: ii.Id,
      repoDigest: (ii.RepoDigests ?? []).find((d) => d.startsWith(`${repo}@`)) ?? "",
      kind: c.imageRef.includes("/doubles/") ? "double" : "real",
      ...(binding ? { containerPort: Number(binding[0].split("/")[0]), hostIp, hostPort, url: `http://${hostIp === "0.0.0.0" ? "127.0.0.1" : hostIp}:${hostPort}` } : {}),
    };
  }
  fs.writeFileSync(path.resolve(opts.tmp, "testenv.json"), JSON.stringify(info, null, 2) + "\n");
  log(`testenv.json written (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
}

/** paths.* of the stack config file (what the containers mount and the proofs write into). */
export function hostPaths(configText: string): Record<string, string> {
  const doc = YAML.parse(configText) as { config?: Record<string, unknown> };
  const paths = (doc?.config?.["logging-bootstrap:paths"] ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(paths)) if (typeof v === "string") out[k] = v;
  return out;
}

async function down(opts: { tmp: string; socket: string; project: string }): Promise<void> {
  const docker = new Docker({ socketPath: opts.socket });
  const filter = { label: [`${LABEL_PROJECT}=${opts.project}`] };
  const containers = await docker.listContainers({ all: true, filters: filter });
  // Also containers named <project>-* without the label (e.g. a probe left by a crashed run).
  const named = await docker.listContainers({ all: true, filters: { name: [`^/${opts.project}-`] } });
  const ids = new Set([...containers, ...named].map((c) => c.Id));
  for (const id of ids) await docker.getContainer(id).remove({ force: true, v: true });
  for (const n of await docker.listNetworks({ filters: filter })) await docker.getNetwork(n.Id).remove();
  const vols = (await docker.listVolumes({ filters: filter })).Volumes ?? [];
  for (const v of vols) await docker.getVolume(v.Name).remove();
  for (const f of ["launcher-state.json", "testenv.json", "secrets.env"]) fs.rmSync(path.join(opts.tmp, f), { force: true });
  log(`removed ${ids.size} container(s), the network and ${vols.length} volume(s) of ${opts.project}`);
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      render: { type: "string" },
      "config-file": { type: "string" },
      tmp: { type: "string" },
      socket: { type: "string", default: "/var/run/docker.sock" },
      project: { type: "string", default: "logging-testenv" },
      force: { type: "boolean", default: false },
      recreate: { type: "string", default: "" },
      "health-timeout": { type: "string", default: "120" },
    },
  });
  const cmd = positionals[0];
  if ((cmd !== "up" && cmd !== "down") || !values.tmp) {
    process.stderr.write("usage: launcher.ts up --render <dir> --config-file <file> --tmp <dir> [--force] | down --tmp <dir> [--project <name>]\n");
    return 2;
  }
  try {
    if (cmd === "up") {
      if (!values.render || !values["config-file"]) throw new Error("up needs --render and --config-file");
      await up({ render: values.render, configFile: values["config-file"], tmp: values.tmp, socket: values.socket!, force: !!values.force, recreate: values.recreate!.split(",").filter(Boolean), healthTimeoutS: Number(values["health-timeout"]) });
    } else await down({ tmp: values.tmp, socket: values.socket!, project: values.project! });
    return 0;
  } catch (e) {
    process.stderr.write(`[testenv] ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
