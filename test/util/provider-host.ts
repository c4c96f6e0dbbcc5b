// Drive serialized dynamic providers through Pulumi's own dynamic-provider host over gRPC, the way
// the engine does (TESTING.md "Dynamic providers through the real host"):
// - serialize the provider exactly as pulumi.dynamic.Resource does (serializeFunction(() => p));
// - start `node node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js 127.0.0.1:1` with cwd at
//   the project root (the address is required, never dialled); it prints the port it bound;
// - call Check/Diff/Create/Read/Update/Delete with ResourceProviderClient over @grpc/grpc-js,
//   every request's properties carrying `__provider`.
// Only async child processes: a sync spawn would block the test's own HTTP servers.
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provproto = require("@pulumi/pulumi/proto/provider_pb");

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const HOST_SCRIPT = path.join("node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js");

/** The `__provider` text pulumi.dynamic.Resource would send (a CommonJS module exporting handler). */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return sf.text;
}

/** The same text, serialized in a fresh node process (test/util/serialize-provider.ts). */
export function serializeProviderFresh(spec: { kind: "proof"; level: string } | { kind: "admin" }): Promise<string> {
  const args = [path.join(PROJECT_ROOT, "test", "util", "serialize-provider.ts"), spec.kind, ...(spec.kind === "proof" ? [spec.level] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), args, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0 && out.startsWith("exports.handler")) resolve(out);
      else reject(new Error(`serialize-provider ${args.slice(1).join(" ")} exited ${code}: ${err.slice(0, 2000)}`));
    });
  });
}

/** Write the serialized text inside the project (test/.tmp/providers) so `require` resolves. */
export function writeProviderModule(text: string): string {
  const dir = path.join(PROJECT_ROOT, "test", ".tmp", "providers");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${crypto.createHash("sha256").update(text).digest("hex").slice(0, 16)}.js`);
  fs.writeFileSync(file, text);
  return file;
}

export type Props = Record<string, unknown>;

export interface GrpcError extends Error {
  code: number;
  details: string;
}

export interface ProviderHost {
  port: number;
  check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: "NONE" | "SOME" | "UNKNOWN"; replaces: string[] }>;
  create(urn: string, props: Props): Promise<{ id: string; properties: Props }>;
  read(urn: string, id: string, props: Props, inputs?: Props): Promise<{ id: string; properties: Props }>;
  update(urn: string, id: string, olds: Props, news: Props): Promise<{ properties: Props }>;
  delete(urn: string, id: string, props: Props): Promise<void>;
  /** What the host wrote to stderr so far (errors it logged). */
  stderr(): string;
  stop(): Promise<void>;
}

export function urnOf(type: string, name: string, stack = "test", project = "logging-bootstrap"): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

function struct(p: Props): unknown {
  // Struct cannot hold undefined: drop it the way the engine's marshalling does.
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(p)));
}

/** A provider request for `urn` carrying whichever of these fields the call takes (set in this order). */
function request(Req: new () => any, urn: string, f: { id?: string; olds?: Props; news?: Props; properties?: Props; inputs?: Props }): unknown {
  const req = new Req();
  req.setUrn(urn);
  if (f.id !== undefined) req.setId(f.id);
  if (f.olds) req.setOlds(struct(f.olds));
  if (f.news) req.setNews(struct(f.news));
  if (f.properties) req.setProperties(struct(f.properties));
  if (f.inputs) req.setInputs(struct(f.inputs));
  return req;
}

export async function startHost(opts: { env?: NodeJS.ProcessEnv; startTimeoutMs?: number } = {}): Promise<ProviderHost> {
  const child: ChildProcess = spawn(process.execPath, [HOST_SCRIPT, "127.0.0.1:1"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`dynamic-provider host printed no port within ${opts.startTimeoutMs ?? 20000} ms; stderr: ${err}`)), opts.startTimeoutMs ?? 20000);
    child.stdout!.on("data", (d) => {
      out += d.toString();
      const m = /^([0-9]+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dynamic-provider host exited with ${code}: ${err}`));
    });
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      client[method](req, { deadline: Date.now() + 300_000 }, (e: GrpcError | null, res: T) => (e ? reject(e) : resolve(res)));
    });

  return {
    port,
    async check(urn, olds, news) {
      const res = await call<any>("check", request(provproto.CheckRequest, urn, { olds, news }));
      return {
        inputs: res.getInputs().toJavaScript(),
        failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(urn, id, olds, news) {
      const res = await call<any>("diff", request(provproto.DiffRequest, urn, { id, olds, news }));
      const C = provproto.DiffResponse.DiffChanges;
      const ch = res.getChanges();
      return { changes: ch === C.DIFF_NONE ? "NONE" : ch === C.DIFF_SOME ? "SOME" : "UNKNOWN", replaces: res.getReplacesList() };
    },
    async create(urn, props) {
      const res = await call<any>("create", request(provproto.CreateRequest, urn, { properties: props }));
      return { id: res.getId(), properties: res.getProperties().toJavaScript() };
    },
    async read(urn, id, props, inputs) {
      const res = await call<any>("read", request(provproto.ReadRequest, urn, { id, properties: props, inputs }));
      return { id: res.getId(), properties: res.getProperties().toJavaScript() };
    },
    async update(urn, id, olds, news) {
      const res = await call<any>("update", request(provproto.UpdateRequest, urn, { id, olds, news }));
      return { properties: res.getProperties().toJavaScript() };
    },
    async delete(urn, id, props) {
      await call<any>("delete", request(provproto.DeleteRequest, urn, { id, properties: props }));
    },
    stderr: () => err,
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
  };
}

/** Run a TypeScript CLI of the project with tsx in an async child process (GRAFANA_ADMIN_PASSWORD cleared unless given in `env`). */
export function runTsx(args: string[], timeoutMs = 240_000, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, GRAFANA_ADMIN_PASSWORD: "", ...env },
      // non-interactive like every CLI run (P17): no stdin
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`timed out: ${args.join(" ")}\n${stderr}`));
    }, timeoutMs);
    // "close", not "exit": exit can fire before the last stdout chunk has been read.
    p.on("close", (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
