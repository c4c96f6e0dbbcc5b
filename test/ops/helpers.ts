// Sandbox for the operator CLIs: a temp project dir (stack file), the fake Pulumi operations
// (fake-ops.ts, in place of the Automation API), a stub `npm` first on PATH, and a fake Docker
// engine API on a unix socket (DOCKER_HOST), so the wrapper runs end to end without the Pulumi CLI
// or a Docker daemon. CLIs run as real child processes (async spawn).
import { spawn, ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");
export const STUB_BIN = path.join(REPO, "test", "fixtures", "ops", "stub-bin");
/** The CLIs that drive Pulumi: run through run-fake.ts with the fake operations. */
const WITH_FAKE_OPS = new Set(["bootstrap.ts", "start.ts", "password.ts", "evidence.ts", "secrets-export.ts"]);
const RUN_FAKE = path.join(REPO, "test", "fixtures", "ops", "run-fake.ts");
export const TSX_LOADER = path.join(REPO, "node_modules", "tsx", "dist", "loader.mjs");

export interface FakeContainer {
  running: boolean;
  /** Image the container runs (helpers: the image they were created from). */
  image: string;
  /** Volume mounted at mountPath (the data path). */
  volume?: string;
  mountPath?: string;
  /** Create config of a helper container (as posted). */
  config?: Record<string, any>;
}

export interface FakeDocker {
  socket: string;
  /** image ref -> inspect answer; absent refs answer 404. */
  images: Map<string, { Id: string; RepoDigests: string[]; RepoTags: string[] }>;
  /** name or id -> container; the archive API reads and writes `volumes` through its mount. */
  containers: Map<string, FakeContainer>;
  /** volume name -> its content as a tar archive rooted at the data path's base name. */
  volumes: Map<string, Buffer>;
  requests: string[];
  /** "METHOD /path" requests answered 500, as an engine error would be. */
  failing: Set<string>;
  close(): Promise<void>;
}

export async function startFakeDocker(dir: string): Promise<FakeDocker> {
  const socket = path.join(dir, "docker.sock");
  const images = new Map<string, { Id: string; RepoDigests: string[]; RepoTags: string[] }>();
  const containers = new Map<string, FakeContainer>();
  const volumes = new Map<string, Buffer>();
  const requests: string[] = [];
  const failing = new Set<string>();
  let nextId = 1;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = decodeURIComponent((req.url ?? "").split("?")[0]).replace(/^\/v[0-9.]+/, "");
    requests.push(`${req.method} ${url}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (failing.has(`${req.method} ${url}`)) return json(500, { message: `fake engine error on ${url}` });
    if (url === "/_ping") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("OK");
      return;
    }
    if (url === "/version") return json(200, { Version: "27.0-fake", ApiVersion: "1.46" });
    const m = /^\/images\/(.+)\/json$/.exec(url);
    if (m) {
      const img = images.get(m[1]);
      return img ? json(200, img) : json(404, { message: `No such image: ${m[1]}` });
    }
    // The volume list (its label filter is not applied: a sandbox holds only the stack's volumes).
    if (url === "/volumes" && req.method === "GET") return json(200, { Volumes: [...volumes.keys()].map((Name) => ({ Name, Driver: "local", Labels: {}, Options: null })), Warnings: [] });
    const vol = /^\/volumes\/([^/]+)$/.exec(url);
    if (vol && req.method === "GET") return volumes.has(vol[1]) ? json(200, { Name: vol[1], Driver: "local", Labels: {} }) : json(404, { message: `get ${vol[1]}: no such volume` });
    if (vol && req.method === "DELETE") {
      if (!volumes.delete(vol[1])) return json(404, { message: `get ${vol[1]}: no such volume` });
      return void res.writeHead(204).end();
    }
    if (req.method === "POST" && url === "/containers/create") {
      const cfg = JSON.parse(body.toString("utf8"));
      const [volume, mountPath] = String(cfg.HostConfig?.Binds?.[0] ?? "").split(":");
      const id = `helper${nextId++}`;
      containers.set(id, { running: false, image: cfg.Image, volume, mountPath, config: cfg });
      return json(201, { Id: id, Warnings: [] });
    }
    const c = /^\/containers\/([^/]+)(?:\/(\w+))?$/.exec(url);
    const ct = c ? containers.get(c[1]) : undefined;
    if (c && !ct) return json(404, { message: `No such container: ${c[1]}` });
    if (c && ct) {
      const op = `${req.method} ${c[2] ?? ""}`;
      if (op === "GET json") return json(200, { Id: c[1], State: { Running: ct.running, Status: ct.running ? "running" : "exited" } });
      if (op === "POST stop") {
        if (!ct.running) return void res.writeHead(304).end();
        ct.running = false;
        return void res.writeHead(204).end();
      }
      if (op === "POST start") {
        ct.running = true;
        return void res.writeHead(204).end();
      }
      if (op === "POST wait") {
        // A helper's shell command ran: the fake takes it as the wipe of its volume.
        ct.running = false;
        if (ct.volume) volumes.set(ct.volume, Buffer.alloc(0));
        return json(200, { StatusCode: 0 });
      }
      if (op === "GET archive") {
        const v = ct.volume ? volumes.get(ct.volume) : undefined;
        if (!v) return json(404, { message: "Could not find the file in container" });
        res.writeHead(200, { "content-type": "application/x-tar" });
        return void res.end(v);
      }
      if (op === "PUT archive") {
        if (ct.volume) volumes.set(ct.volume, body);
        return void res.writeHead(200).end();
      }
      if (op === "DELETE ") {
        containers.delete(c[1]);
        return void res.writeHead(204).end();
      }
    }
    json(404, { message: `fake docker: ${url}` });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    images,
    containers,
    volumes,
    requests,
    failing,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Sandbox {
  dir: string;
  outDir: string;
  stubLog: string;
  docker: FakeDocker;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** {outputs, secretKeys} for the stub's `stack output`; grafanaAdminPassword is secret. */
export const FIXTURE_OUTPUTS = path.join(REPO, "test", "fixtures", "ops", "outputs.json");
export const FIXTURE_SECRET = "fixture-Secret-Value-7Q2";

export const TEST_STACK_FILE = path.join(REPO, "test", "fixtures", "ops", "Pulumi.test.yaml");

export async function makeSandbox(opts: { stackFile?: string; docker?: boolean } = {}): Promise<Sandbox> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-"));
  fs.copyFileSync(opts.stackFile ?? TEST_STACK_FILE, path.join(dir, "Pulumi.test.yaml"));
  // The stack's policy config: the wrapper passes it as --policy-pack-config when it exists.
  fs.mkdirSync(path.join(dir, "policy", "config"), { recursive: true });
  fs.copyFileSync(path.join(REPO, "policy", "config", "test.json"), path.join(dir, "policy", "config", "test.json"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "sandbox", version: "0.0.0-test" }));
  const docker = await startFakeDocker(dir);
  const stubLog = path.join(dir, "stub.log");
  const env: NodeJS.ProcessEnv = {
    PATH: `${STUB_BIN}:${process.env.PATH}`,
    HOME: dir,
    DOCKER_HOST: opts.docker === false ? `unix://${path.join(dir, "nothing.sock")}` : `unix://${docker.socket}`,
    STUB_LOG: stubLog,
    LOGGING_BOOTSTRAP_EVALUATE: "0",
    STUB_OUTPUTS: FIXTURE_OUTPUTS,
  };
  return {
    dir,
    outDir: path.join(dir, "out"),
    stubLog,
    docker,
    env,
    async cleanup() {
      await docker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  ms: number;
}

/** Spawn a CLI of scripts/ with node + the tsx loader (one process: its PID is the run's PID). */
export function spawnCli(script: string, args: string[], sb: { dir: string; env: NodeJS.ProcessEnv }, extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const t0 = Date.now();
  const entry = WITH_FAKE_OPS.has(script) ? [RUN_FAKE, script] : [path.join(REPO, "scripts", script)];
  const child = spawn(process.execPath, ["--import", TSX_LOADER, ...entry, ...args], {
    cwd: sb.dir,
    env: { ...sb.env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c) => (stdout += c));
  child.stderr!.on("data", (c) => (stderr += c));
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid!, ms: Date.now() - t0 }));
  });
  return { child, done };
}

export function runCli(script: string, args: string[], sb: { dir: string; env: NodeJS.ProcessEnv }, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return spawnCli(script, args, sb, extraEnv).done;
}

export interface StubCall {
  tool?: string;
  argv: string[];
  env?: Record<string, string | null>;
  stdinDevNull?: boolean;
  stdinKind?: string;
  stdinIsTTY?: boolean;
  stdoutIsTTY?: boolean;
  ppid?: number;
}

export function stubCalls(sb: Sandbox): StubCall[] {
  if (!fs.existsSync(sb.stubLog)) return [];
  return fs
    .readFileSync(sb.stubLog, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StubCall);
}

/** A Pulumi operation the fake recorded: `open`, `preview`, `up`, `refresh`, `destroy`, `outputs`, `export`, `config`. */
export interface OpCall {
  tool: "pulumi";
  op: string;
  opts: Record<string, unknown>;
  stack: string;
}

export function pulumiCalls(sb: Sandbox): OpCall[] {
  return stubCalls(sb).filter((c) => c.tool === "pulumi") as unknown as OpCall[];
}

export async function waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every file under a directory, recursively (for the redaction scan). */
export function allFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}
