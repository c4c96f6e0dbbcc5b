// Test doubles for the checks' injected I/O: a scripted Docker, a real HTTP getter (undici) against
// small in-process servers on 127.0.0.1, the real clock (timings in tests are kept short).
import * as http from "http";
import * as os from "os";
import * as fs from "fs";
import * as path from "path";
import { makeHttp, realFiles, systemClock } from "../../components/verify/io";
import type { ContainerFile, ContainerInfo, DirLimits, DirListing, DockerIo, ExecResult, ImageInfo, Io, ProbeRequest, ProbeResult } from "../../components/verify/types";

export type Handler = (req: http.IncomingMessage, url: URL, body: string) => { status: number; body: unknown; headers?: Record<string, string> };

export interface TestServer {
  url: string;
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1:<random>; object bodies are sent as JSON, strings as text. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const srv = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      requests.push({ method: req.method ?? "GET", path: url.pathname + url.search, headers: req.headers });
      const r = handler(req, url, body);
      const text = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
      res.writeHead(r.status, { "content-type": typeof r.body === "string" ? "text/plain" : "application/json", ...r.headers });
      res.end(text);
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

export class FakeDocker implements DockerIo {
  containers = new Map<string, ContainerInfo>();
  images = new Map<string, ImageInfo>();
  execs: { container: string; cmd: string[]; stdin?: string }[] = [];
  probes: ProbeRequest[] = [];
  registryDigest?: (ref: string) => Promise<string | null>;
  execImpl: (container: string, cmd: string[], stdin?: string) => ExecResult | Promise<ExecResult> = () => ({ exitCode: 0, stdout: "", stderr: "" });
  probeImpl: (req: ProbeRequest) => ProbeResult | Promise<ProbeResult> = () => ({ exitCode: 0, stdout: "", stderr: "", timedOut: false });

  addContainer(name: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
    const c: ContainerInfo = { id: `id-${name}`, name, imageId: `sha256:${"a".repeat(64)}`, imageRef: "img", state: "running", running: true, networks: ["net"], ...over };
    this.containers.set(name, c);
    return c;
  }
  async inspectContainer(name: string) {
    return this.containers.get(name) ?? null;
  }
  async inspectImage(ref: string) {
    return this.images.get(ref) ?? null;
  }
  async exec(container: string, cmd: string[], _timeoutMs?: number, stdin?: string) {
    this.execs.push(stdin === undefined ? { container, cmd } : { container, cmd, stdin });
    if (!this.containers.get(container)?.running) throw Object.assign(new Error(`container ${container} is not running`), { statusCode: 409 });
    return this.execImpl(container, cmd, stdin);
  }
  /** `<container>:<path>` -> file text (or a ContainerFile); absent: missing. */
  files = new Map<string, string | ContainerFile>();
  reads: { container: string; path: string }[] = [];
  async readFile(container: string, p: string): Promise<ContainerFile> {
    this.reads.push({ container, path: p });
    if (!this.containers.has(container)) throw Object.assign(new Error(`no such container ${container}`), { statusCode: 404 });
    const f = this.files.get(`${container}:${p}`);
    if (f === undefined) return { kind: "missing" };
    return typeof f === "string" ? { kind: "file", content: Buffer.from(f) } : f;
  }
  /** `<container>:<dir>` -> listing (absent: missing); `<image>:<dir>` -> what the image ships there. */
  dirs = new Map<string, DirListing>();
  imageDirs = new Map<string, DirListing>();
  dirReads: ({ container: string; path: string } | { image: string; path: string })[] = [];
  async readDir(container: string, p: string, _limits?: DirLimits, _timeoutMs?: number): Promise<DirListing> {
    this.dirReads.push({ container, path: p });
    if (!this.containers.has(container)) throw Object.assign(new Error(`no such container ${container}`), { statusCode: 404 });
    return this.dirs.get(`${container}:${p}`) ?? { kind: "missing" };
  }
  async readImageDir(image: string, p: string, _limits?: DirLimits, _timeoutMs?: number, _scratch?: { name: string; labels: Record<string, string> }): Promise<DirListing> {
    this.dirReads.push({ image, path: p });
    return this.imageDirs.get(`${image}:${p}`) ?? { kind: "missing" };
  }
  async probe(req: ProbeRequest) {
    this.probes.push(req);
    return this.probeImpl(req);
  }
  /** How many times a run closed its probe sessions. */
  probeCloses = 0;
  async closeProbes() {
    this.probeCloses++;
  }
}

export function tmpDir(prefix = "lb-verify-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function makeTestIo(docker: DockerIo = new FakeDocker()): Io {
  let n = 0;
  return { http: makeHttp(), docker, clock: systemClock, files: realFiles, randomHex: (b) => (++n).toString(16).padStart(b * 2, "0") };
}

export const FAST_POLICY = { timeoutMs: 1000, retries: 3, backoff: { initialMs: 20, factor: 2, maxMs: 100 }, consecutiveSuccesses: 2, deadlineSeconds: 2 };
