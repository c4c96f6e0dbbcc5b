// A run-once container on an engine (engine.ts EngineOps.runOnce): created without network, its
// values passed as the environment (never inside the command), started, waited for within the
// request's bound (killed past it), its output read (bounded), and removed whatever happens. The
// fleet host's proof writes its marker on that host with it (checks/host.ts).
import type Docker from "dockerode";
import { BootstrapError } from "../../contracts/errors";
import { MAX_EXEC_OUTPUT_BYTES, readCapped } from "./bounded";
import { demux } from "./demux";
import type { RunOnceRequest } from "./engine";
import type { ProbeResult } from "./types";

/** How long creating and starting may take on top of the request's bound, and reading the output. */
export const RUN_ONCE_SETUP_MS = 15_000;
const OUTPUT_MS = 10_000;

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new BootstrapError("E_NETWORK_TIMEOUT", `${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The container's create body for `req` (pure: what the engine is asked for). */
export function runOnceBody(req: RunOnceRequest): Docker.ContainerCreateOptions {
  return {
    name: req.name,
    Image: req.image,
    Entrypoint: req.entrypoint,
    Cmd: req.cmd,
    Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
    ...(req.user !== undefined ? { User: req.user } : {}),
    Labels: req.labels,
    NetworkDisabled: true,
    HostConfig: { NetworkMode: "none", Mounts: req.mounts.map((m) => ({ Type: "bind" as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly })) },
  };
}

export async function runOnce(docker: Docker, req: RunOnceRequest): Promise<ProbeResult> {
  let created: Docker.Container | undefined;
  const run = async (): Promise<ProbeResult> => {
    const c = (created = await docker.createContainer(runOnceBody(req)));
    await c.start();
    let timedOut = false;
    let exitCode = -1;
    try {
      exitCode = ((await bounded(c.wait() as Promise<unknown>, req.timeoutMs, `container ${req.name}`)) as { StatusCode: number }).StatusCode;
    } catch (e) {
      if (!(e instanceof BootstrapError)) throw e;
      timedOut = true;
      await c.kill().catch(() => undefined);
    }
    // A stopped container's log stream ends; read as a bounded stream, never one buffer of anything.
    const stream = (await c.logs({ stdout: true, stderr: true, follow: true })) as unknown as NodeJS.ReadableStream & AsyncIterable<Buffer>;
    const out = await bounded(readCapped(stream, MAX_EXEC_OUTPUT_BYTES, `the output of ${req.name}`, "E_RUNTIME_OUTPUT_TOO_LARGE"), OUTPUT_MS, `the output of ${req.name}`);
    return { exitCode, timedOut, ...demux(out) };
  };
  const running = run();
  try {
    // Creating and starting are bounded too: an engine that stops answering half-way is a timeout.
    return await bounded(running, req.timeoutMs + RUN_ONCE_SETUP_MS + OUTPUT_MS, `container ${req.name}`);
  } finally {
    // A leftover would keep its name taken; one created after the bound is removed when it appears.
    const remove = () => created?.remove({ force: true });
    if (created) await Promise.resolve(remove()).catch(() => undefined);
    else void running.then(remove, remove).catch(() => undefined);
  }
}
