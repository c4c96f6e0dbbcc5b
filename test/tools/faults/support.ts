// The fault matrix's building blocks: expected codes, deadlines under a fault and after restore,
// the test environment's description, and the Docker/HTTP moves the faults are made of.
import * as fs from "fs";
import * as path from "path";
import Docker from "dockerode";
import type { ErrorCode } from "../../../contracts/errors";
import type { ServiceName } from "../../../contracts/config/schema";
import type { DesiredState } from "../../../components/verify/spec";
import type { SuiteOverrides } from "../../../components/verify/suite";
import type { Io, Level } from "../../../components/verify/types";
import { LEVEL_DEFAULT_CODES } from "../../../components/verify/levels";
import { repairContainers } from "../../env/pulumi";

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

export interface TestEnv {
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
  /** The code this fault's red must carry when it is not the level's default (EXPECTED). */
  expectedCode?: ErrorCode;
  inject(ctx: FaultContext): Promise<void>;
  restore(ctx: FaultContext): Promise<void>;
}

export async function putFile(ctx: FaultContext, container: string, file: string, content: Buffer): Promise<void> {
  await ctx.docker.getContainer(container).putArchive(tarOf(path.posix.basename(file), content), { path: path.posix.dirname(file) });
}

export async function execRoot(ctx: FaultContext, container: string, cmd: string[]): Promise<number> {
  const ex = await ctx.docker.getContainer(container).exec({ Cmd: cmd, User: "0", AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  await new Promise<void>((r) => {
    stream.on("end", () => r());
    stream.on("close", () => r());
    stream.resume();
  });
  return (await ex.inspect()).ExitCode ?? -1;
}

export function rendered(ctx: FaultContext, svc: ServiceName, file: string): Buffer {
  return fs.readFileSync(path.join(ctx.env.renderDir, "files", svc, file.replace(/^\//, "")));
}

export async function waitHttp(ctx: FaultContext, url: string, seconds: number): Promise<void> {
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
export async function relaunch(ctx: FaultContext, names: string[]): Promise<void> {
  await repairContainers(ctx.env, names);
  for (const svc of Object.keys(ctx.env.services) as ServiceName[]) {
    const s = ctx.env.services[svc];
    if (names.includes(s.container)) s.id = (await ctx.docker.getContainer(s.container).inspect()).Id;
  }
}

export async function reloadPrometheus(ctx: FaultContext): Promise<void> {
  const base = ctx.env.services.prometheus.url ?? "";
  const r = await ctx.io.http({ method: "POST", url: `${base}/-/reload`, timeoutMs: 5000 }).catch(() => ({ status: 0 }));
  // Without --web.enable-lifecycle the endpoint is refused: SIGHUP is Prometheus' other reload.
  if (r.status !== 200) await ctx.docker.getContainer(ctx.env.services.prometheus.container).kill({ signal: "SIGHUP" });
}

/** Recreate a container with its own configuration but another image (L7's fault and its restore). */
export async function recreate(ctx: FaultContext, name: string, image: string): Promise<void> {
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

export function splitRef(ref: string): { repo: string; tag: string } {
  const noDigest = ref.replace(/@sha256:[0-9a-f]{64}$/, "");
  const i = noDigest.lastIndexOf(":");
  return i > noDigest.lastIndexOf("/") ? { repo: noDigest.slice(0, i), tag: noDigest.slice(i + 1) } : { repo: noDigest, tag: "latest" };
}
