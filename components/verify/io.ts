// Real I/O behind the checks: HTTP over undici, Docker over dockerode (the engine's socket or
// DOCKER_HOST), the system clock, the file system. Loaded lazily by runtime.ts so the dynamic
// providers capture no module or client.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BootstrapError } from "../../contracts/errors";
import { declaredTooLarge, MAX_EXEC_OUTPUT_BYTES, MAX_HTTP_BODY_BYTES, readCapped } from "./bounded";
import { dialFields, DockerEngine, EngineInfo, EngineOps, modemFields, RunOnceRequest } from "./engine";
import { appendNoFollow, mkdirpNoFollow } from "./nofollow";
import { runOnce } from "./run-once";
import { ProbeSessions } from "./probe-session";
import type { Clock, ContainerFile, ContainerInfo, DirEntry, DirLimits, DirListing, DockerIo, ExecResult, FileIo, HttpFn, ImageInfo, Io, ProbeRequest, ProbeResult } from "./types";

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms))),
};

export const realFiles: FileIo = {
  // No link followed at any level (nofollow.ts): a marker path, or any directory above it, that a
  // local user replaced by a link (logsRoot may sit in a world-writable directory) fails with ELOOP
  // instead of creating or appending through the link.
  appendFile: appendNoFollow,
  mkdirp: mkdirpNoFollow,
  isSymlink: async (p) => {
    try {
      return (await fs.promises.lstat(p)).isSymbolicLink();
    } catch {
      return false;
    }
  },
};

export function makeHttp(maxBodyBytes = MAX_HTTP_BODY_BYTES): HttpFn {
  return async (req) => {
    const { request } = await import("undici");
    const res = await request(req.url, {
      method: req.method ?? "GET",
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    // Bounded: a declared length over the cap is refused unread, an undeclared one past the cap
    // is cut off (the connection closed) and refused; never buffered whole.
    const declared = declaredTooLarge(res.headers, maxBodyBytes);
    if (declared !== undefined) {
      res.body.destroy();
      throw new BootstrapError("E_NETWORK_BODY_TOO_LARGE", `${req.url} answered with a body of ${declared} bytes, more than the ${maxBodyBytes} read`);
    }
    const body = (await readCapped(res.body, maxBodyBytes, `the body of ${req.url}`, "E_NETWORK_BODY_TOO_LARGE")).toString("utf8");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : String(v ?? "");
    return { status: res.statusCode, body, headers };
  };
}

// Docker's multiplexed stream: ./demux (run-once.ts needs it without importing this module).
export { demux } from "./demux";
import { demux } from "./demux";

/**
 * The first entry of a tar stream (what the archive API sends for one path): a regular file's bytes
 * (bounded: a config file larger than maxBytes is reported, not buffered), else its entry type.
 */
export async function fileFromTar(stream: NodeJS.ReadableStream, maxBytes: number): Promise<ContainerFile> {
  const { Parser } = await import("tar");
  return await new Promise<ContainerFile>((resolve, reject) => {
    let result: ContainerFile | undefined;
    // A regular file's bytes, collected as they stream; the result is built when the archive ends.
    let chunks: Buffer[] | undefined;
    const parser = new Parser({
      onReadEntry: (entry) => {
        if (result || chunks) {
          entry.resume();
          return;
        }
        if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "ContiguousFile") {
          result = { kind: "not-a-file", type: entry.type };
          entry.resume();
          return;
        }
        if ((entry.size ?? 0) > maxBytes) {
          result = { kind: "too-large", size: entry.size ?? 0 };
          entry.resume();
          return;
        }
        const collected: Buffer[] = [];
        chunks = collected;
        entry.on("data", (c: Buffer) => collected.push(c));
      },
    });
    parser.on("end", () => resolve(chunks ? { kind: "file", content: Buffer.concat(chunks) } : (result ?? { kind: "missing" })));
    parser.on("error", reject);
    stream.on("error", reject);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

const TAR_KIND: Record<string, DirEntry["kind"]> = { File: "file", OldFile: "file", ContiguousFile: "file", Directory: "dir", SymbolicLink: "symlink" };

/**
 * A whole directory from the tar stream the archive API sends for it (its entries are named from
 * the directory's own basename): every entry with its absolute path, kind, mode, owner, a regular
 * file's bytes and a link's target. Bounded: more than maxEntries entries or maxBytes of file
 * content stops reading (too-large); a file over maxFileBytes is listed without its bytes.
 */
export async function dirFromTar(stream: NodeJS.ReadableStream, dir: string, limits: DirLimits): Promise<DirListing> {
  const { Parser } = await import("tar");
  const parent = path.posix.dirname(dir);
  return await new Promise<DirListing>((resolve, reject) => {
    const entries: DirEntry[] = [];
    let bytes = 0;
    let done = false;
    const finish = (r: DirListing) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    const stop = (reason: string) => {
      finish({ kind: "too-large", reason });
      stream.unpipe(parser as unknown as NodeJS.WritableStream);
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    };
    const parser = new Parser({
      onReadEntry: (entry) => {
        if (done) {
          entry.resume();
          return;
        }
        const abs = path.posix.join(parent, entry.path).replace(/\/+$/, "");
        const kind = TAR_KIND[entry.type] ?? "other";
        if (entries.length === 0 && (abs !== dir || kind !== "dir")) {
          finish({ kind: "not-a-dir", type: entry.type });
          entry.resume();
          return;
        }
        if (abs !== dir && !abs.startsWith(`${dir}/`)) {
          entry.resume(); // outside the directory asked for: never part of the listing
          return;
        }
        if (entries.length >= limits.maxEntries) {
          entry.resume();
          stop(`more than ${limits.maxEntries} entries`);
          return;
        }
        const size = entry.size ?? 0;
        const e: DirEntry = { path: abs, kind, mode: (entry.mode ?? 0) & 0o7777, uid: entry.uid ?? -1, gid: entry.gid ?? -1, size };
        if (entry.linkpath) e.linkname = entry.linkpath;
        if (kind === "other") e.type = entry.type;
        entries.push(e);
        if (kind !== "file" || size > limits.maxFileBytes) {
          entry.resume();
          return;
        }
        bytes += size;
        if (bytes > limits.maxBytes) {
          entry.resume();
          stop(`more than ${limits.maxBytes} bytes of files`);
          return;
        }
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => (e.content = Buffer.concat(chunks)));
      },
    });
    parser.on("end", () => finish(entries.length ? { kind: "dir", entries: entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) } : { kind: "missing" }));
    parser.on("error", (err: Error) => (done ? undefined : reject(err)));
    stream.on("error", (err: Error) => (done ? undefined : reject(err)));
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new BootstrapError("E_NETWORK_TIMEOUT", `${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { statusCode?: number }).statusCode === 404;
}

function dockerUnreachable(e: unknown): never {
  const code = (e as { code?: string })?.code;
  if (code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES") {
    throw new BootstrapError("E_ENV_DOCKER_UNREACHABLE", `Docker engine API not reachable (${code})`, { cause: e });
  }
  throw e;
}

/** ~/.ssh/known_hosts, or undefined when it cannot be read (an ssh:// engine is then refused). */
function knownHostsFile(): string | undefined {
  try {
    return fs.readFileSync(path.join(os.homedir(), ".ssh", "known_hosts"), "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Docker over dockerode: this machine's engine (the socket, or DOCKER_HOST), or `engine` (a fleet
 * host's: unix://, tcp:// with TLS, ssh://; engine.ts), whose connection fields are all set so the
 * DOCKER_* environment changes nothing, and whose connect and answer headers are bounded.
 */
export async function makeDocker(engine?: DockerEngine): Promise<DockerIo & EngineOps> {
  const Docker = (await import("dockerode")).default;
  const docker = new Docker();
  if (engine) Object.assign(docker.modem, dialFields(modemFields(engine, process.env, engine.host.startsWith("ssh://") && engine.ssh?.knownHosts === undefined ? knownHostsFile() : undefined)));

  const imageDirs = new Map<string, DirListing>();
  const probes = new ProbeSessions(docker);

  async function archiveDir(c: { getArchive(o: { path: string }): Promise<NodeJS.ReadableStream> }, dirPath: string, limits: DirLimits): Promise<DirListing> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await c.getArchive({ path: dirPath });
    } catch (e) {
      if (isNotFound(e)) return { kind: "missing" };
      throw e;
    }
    return await dirFromTar(stream, dirPath, limits);
  }

  /** A command's output, bounded (E_RUNTIME_OUTPUT_TOO_LARGE past the cap). */
  function collect(stream: NodeJS.ReadableStream, what: string): Promise<Buffer> {
    return readCapped(stream as NodeJS.ReadableStream & AsyncIterable<Buffer>, MAX_EXEC_OUTPUT_BYTES, what, "E_RUNTIME_OUTPUT_TOO_LARGE");
  }

  return {
    async inspectContainer(name): Promise<ContainerInfo | null> {
      try {
        const c = await docker.getContainer(name).inspect();
        return {
          id: c.Id,
          name: c.Name.replace(/^\//, ""),
          imageId: c.Image,
          imageRef: c.Config.Image,
          state: c.State.Status,
          running: c.State.Running === true,
          health: c.State.Health?.Status,
          networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
        };
      } catch (e) {
        if (isNotFound(e)) return null;
        return dockerUnreachable(e);
      }
    },
    async inspectImage(ref): Promise<ImageInfo | null> {
      try {
        const i = await docker.getImage(ref).inspect();
        return { id: i.Id, repoDigests: [...(i.RepoDigests ?? [])].sort(), repoTags: [...(i.RepoTags ?? [])].sort() };
      } catch (e) {
        if (isNotFound(e)) return null;
        return dockerUnreachable(e);
      }
    },
    async registryDigest(ref): Promise<string | null> {
      try {
        const info = await withTimeout(docker.getImage(ref).distribution(), 5000, `registry lookup of ${ref}`);
        return info?.Descriptor?.digest ?? null;
      } catch {
        return null; // offline or no registry: the caller falls back to the local record
      }
    },
    async exec(container, cmd, timeoutMs, stdin): Promise<ExecResult> {
      const run = async (): Promise<ExecResult> => {
        const withStdin = stdin !== undefined;
        const ex = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdin: withStdin, AttachStdout: true, AttachStderr: true });
        const stream = await ex.start({ hijack: true, stdin: withStdin });
        const output = collect(stream, `the output of docker exec ${container} ${cmd[0] ?? ""}`.trimEnd());
        output.catch(() => undefined); // awaited below; a refusal must not surface as unhandled first
        // A secret travels on stdin, never in Cmd (which `docker inspect` and /proc show); end() half-
        // closes the hijacked connection so the command sees EOF while its output still streams back.
        if (withStdin) (stream as NodeJS.ReadWriteStream).end(stdin);
        const { stdout, stderr } = demux(await output);
        const info = await ex.inspect();
        return { exitCode: info.ExitCode ?? -1, stdout, stderr };
      };
      try {
        return await withTimeout(run(), timeoutMs, `docker exec ${container}`);
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        return dockerUnreachable(e);
      }
    },
    async readFile(container, filePath, maxBytes, timeoutMs): Promise<ContainerFile> {
      const run = async (): Promise<ContainerFile> => {
        let stream: NodeJS.ReadableStream;
        try {
          stream = (await docker.getContainer(container).getArchive({ path: filePath })) as NodeJS.ReadableStream;
        } catch (e) {
          // 404 is "no such container" or "no such path"; the caller inspected the container first.
          if (isNotFound(e)) return { kind: "missing" };
          throw e;
        }
        return await fileFromTar(stream, maxBytes);
      };
      try {
        return await withTimeout(run(), timeoutMs, `read ${filePath} from ${container}`);
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        return dockerUnreachable(e);
      }
    },
    async readDir(container, dirPath, limits, timeoutMs): Promise<DirListing> {
      try {
        return await withTimeout(archiveDir(docker.getContainer(container), dirPath, limits), timeoutMs, `read ${dirPath} from ${container}`);
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        return dockerUnreachable(e);
      }
    },
    async readImageDir(image, dirPath, limits, timeoutMs, scratch): Promise<DirListing> {
      // An image is immutable by id: one read per process is enough.
      const key = `${image}\n${dirPath}`;
      const cached = imageDirs.get(key);
      if (cached) return cached;
      const run = async (): Promise<DirListing> => {
        let created: Awaited<ReturnType<typeof docker.createContainer>> | undefined;
        try {
          // Created, never started: no process, no network; the archive API reads its filesystem.
          created = await docker.createContainer({ name: scratch.name, Image: image, Cmd: ["l8-image-baseline"], Labels: scratch.labels, NetworkDisabled: true, HostConfig: { NetworkMode: "none" } });
          return await archiveDir(created, dirPath, limits);
        } finally {
          if (created) await created.remove({ force: true, v: true }).catch(() => undefined);
        }
      };
      try {
        const r = await withTimeout(run(), timeoutMs, `read ${dirPath} from image ${image}`);
        imageDirs.set(key, r);
        return r;
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        return dockerUnreachable(e);
      }
    },
    async probe(req: ProbeRequest): Promise<ProbeResult> {
      try {
        return await probes.get(req);
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        return dockerUnreachable(e);
      }
    },
    closeProbes: () => probes.close(),
    async ping(timeoutMs): Promise<EngineInfo> {
      try {
        const v = (await withTimeout(docker.version(), timeoutMs, "the Docker engine's /version")) as { Version?: unknown; ApiVersion?: unknown; Os?: unknown };
        return { version: String(v?.Version ?? ""), apiVersion: String(v?.ApiVersion ?? ""), os: String(v?.Os ?? "") };
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        return dockerUnreachable(e);
      }
    },
    async runOnce(req: RunOnceRequest): Promise<ProbeResult> {
      try {
        return await runOnce(docker, req);
      } catch (e) {
        if (e instanceof BootstrapError) throw e;
        return dockerUnreachable(e);
      }
    },
  };
}

/** Options of makeIo: `docker` is another engine than this machine's (a fleet host's, engine.ts). */
export interface IoOptions {
  docker?: DockerEngine;
}

export async function makeIo(opts: IoOptions = {}): Promise<Io & { docker: DockerIo & EngineOps }> {
  return {
    http: makeHttp(),
    docker: await makeDocker(opts.docker),
    clock: systemClock,
    files: realFiles,
    randomHex: (n) => crypto.randomBytes(n).toString("hex"),
  };
}
