// How verify reaches a Docker engine other than this machine's default one (a fleet host's,
// docs/FLEET.md): the engine's address as the config writes it -> docker-modem's options, pinned so
// that DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY and DOCKER_CLIENT_TIMEOUT in the environment
// change nothing, and the engine operations the host proof needs beyond DockerIo. io.ts builds the
// client from these fields (modemFields is pure; dialFields only builds an http.Agent).
//
// - unix:///<path>: the socket.
// - tcp://<host>:<port>: HTTPS with the TLS client certificate (ca, cert, key: PEM text), the server
//   certificate checked against the CA and the host name; tcp:// without TLS is refused (an engine
//   on TCP without TLS is root on that host for anyone who reaches the port).
// - ssh://<user>@<host>[:port]: docker-modem's own SSH transport (the ssh2 package, a dependency of
//   docker-modem): it runs `docker system dial-stdio` on the host, so the host needs the docker CLI
//   and the user access to its engine. Authentication: ssh-agent (SSH_AUTH_SOCK, or ssh.agent) or a
//   private key (ssh.privateKey). The host's key must be in known_hosts (~/.ssh/known_hosts, or
//   ssh.knownHosts): ssh2 accepts any host key unless told otherwise, so a verifier is always set.
import * as crypto from "crypto";
import * as http from "http";
import { BootstrapError } from "../../contracts/errors";
import type { ProbeResult } from "./types";

/** A Docker engine to talk to (a fleet host's docker.host and its TLS leaves). */
export interface DockerEngine {
  /** unix:///<absolute path>, tcp://<host>:<port> (with tls) or ssh://<user>@<host>[:port]. */
  host: string;
  /** TLS client certificate for tcp:// (PEM text; secrets: never printed). */
  tls?: { ca: string; cert: string; key: string };
  /** ssh:// only; defaults: agent = SSH_AUTH_SOCK, knownHosts = ~/.ssh/known_hosts (read by io.ts). */
  ssh?: { agent?: string; privateKey?: string; passphrase?: string; knownHosts?: string };
  /** Bound on connecting and on the engine's answer headers (default ENGINE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
}

export const ENGINE_CONNECT_TIMEOUT_MS = 10_000;

export type EngineAddress = { scheme: "unix"; path: string } | { scheme: "tcp"; host: string; port: number } | { scheme: "ssh"; user: string; host: string; port: number };

const HOST_PART = "[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?";
const ENGINE_RE = new RegExp(`^(?:unix://(/[^\\s]*)|tcp://(${HOST_PART}):([0-9]{1,5})|ssh://([A-Za-z_][A-Za-z0-9_.-]{0,31})@(${HOST_PART})(?::([0-9]{1,5}))?)$`);

function refuse(url: string, why: string): never {
  throw new BootstrapError("E_PROOF_HOST_UNREACHABLE", `the Docker engine at ${url} is not reached: ${why}`);
}

/** The engine's address; refused (E_PROOF_HOST_UNREACHABLE) when it is none of the three forms. */
export function parseEngineUrl(url: string): EngineAddress {
  const m = ENGINE_RE.exec(url);
  if (!m) return refuse(JSON.stringify(url), "the address is not unix:///<path>, tcp://<host>:<port> or ssh://<user>@<host>[:port]");
  const port = (p: string | undefined, dflt: number) => {
    const n = p === undefined ? dflt : Number(p);
    if (!(n >= 1 && n <= 65535)) refuse(url, `port ${p} is out of range`);
    return n;
  };
  if (m[1] !== undefined) return { scheme: "unix", path: m[1] };
  if (m[2] !== undefined) return { scheme: "tcp", host: m[2], port: port(m[3], 2376) };
  return { scheme: "ssh", user: m[4], host: m[5], port: port(m[6], 22) };
}

/** docker-modem's connection fields, every one set (an absent one would come from DOCKER_* in the environment). */
export interface ModemFields {
  socketPath: string | undefined;
  host: string | undefined;
  port: number | undefined;
  protocol: "http" | "https" | "ssh";
  pathPrefix: string;
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  username: string | undefined;
  password: undefined;
  version: undefined;
  timeout: undefined;
  connectionTimeout: number;
  sshOptions: SshOptions;
}

/** The ssh2 connect options docker-modem passes through (host, port and user it adds itself). */
export interface SshOptions {
  agent?: string;
  privateKey?: string;
  passphrase?: string;
  readyTimeout?: number;
  hostVerifier?: (key: Buffer) => boolean;
}

/**
 * The modem's fields for `engine`. `env` and `knownHosts` are injected (io.ts passes process.env and
 * the file's text): SSH without an agent or a key, or without a known_hosts entry source, is refused.
 */
export function modemFields(engine: DockerEngine, env: Record<string, string | undefined> = {}, knownHostsText?: string): ModemFields {
  const a = parseEngineUrl(engine.host);
  const connectionTimeout = engine.connectTimeoutMs ?? ENGINE_CONNECT_TIMEOUT_MS;
  const base = { socketPath: undefined, host: undefined, port: undefined, pathPrefix: "/", ca: undefined, cert: undefined, key: undefined, username: undefined, password: undefined, version: undefined, timeout: undefined, connectionTimeout, sshOptions: {} } as const;
  if (a.scheme === "unix") {
    if (engine.tls) refuse(engine.host, "TLS client certificates are used on tcp:// only");
    return { ...base, protocol: "http", socketPath: a.path };
  }
  if (a.scheme === "tcp") {
    if (!engine.tls) refuse(engine.host, "tcp:// without TLS client certificates is refused (anyone reaching the port would control the engine)");
    return { ...base, protocol: "https", host: a.host, port: a.port, ca: engine.tls.ca, cert: engine.tls.cert, key: engine.tls.key };
  }
  if (engine.tls) refuse(engine.host, "TLS client certificates are used on tcp:// only");
  const agent = engine.ssh?.agent ?? env.SSH_AUTH_SOCK;
  const privateKey = engine.ssh?.privateKey;
  if (!agent && !privateKey) refuse(engine.host, "ssh:// needs an ssh-agent (SSH_AUTH_SOCK) or a private key");
  const known = engine.ssh?.knownHosts ?? knownHostsText;
  if (known === undefined) refuse(engine.host, "ssh:// needs the host's key in known_hosts (~/.ssh/known_hosts is not readable)");
  const sshOptions: SshOptions = { readyTimeout: connectionTimeout, hostVerifier: knownHostsVerifier(known, a.host, a.port) };
  if (agent) sshOptions.agent = agent;
  if (privateKey) sshOptions.privateKey = privateKey;
  if (engine.ssh?.passphrase) sshOptions.passphrase = engine.ssh.passphrase;
  return { ...base, protocol: "ssh", host: a.host, port: a.port, username: a.user, sshOptions };
}

/** docker-modem's SSH transport (lib/ssh.js): an http.Agent over one ssh2 connection running `docker system dial-stdio`. */
type SshDial = (opt: Record<string, unknown>) => { createConnection(options: unknown, cb: (err: Error | null, socket?: unknown) => void): unknown };

/**
 * The fields the modem is given. SSH goes through docker-modem's own SSH transport (a connection
 * per request, as the modem does for protocol "ssh"), handed to the modem as its http.Agent: with
 * protocol "ssh" the modem builds `ssh:<host>:<port>...` request URLs, which Node reports as
 * invalid on every run (apocas/docker-modem#184); as http:// through the agent they are valid.
 */
export function dialFields(f: ModemFields): Omit<ModemFields, "protocol"> & { protocol: "http" | "https"; agent?: http.Agent } {
  if (f.protocol !== "ssh") return { ...f, protocol: f.protocol };
  const dial = require("docker-modem/lib/ssh") as SshDial;
  const agent = new http.Agent({ keepAlive: false });
  const ssh = { ...f.sshOptions, host: f.host, port: f.port, username: f.username };
  Object.assign(agent, { createConnection: (options: unknown, cb: (err: Error | null, socket?: unknown) => void) => dial(ssh).createConnection(options, cb) });
  return { ...f, protocol: "http", agent };
}

/** An engine address fit for findings and reports (a URL carries no secret; TLS leaves are never shown). */
export function engineLabel(engine: Pick<DockerEngine, "host">): string {
  return engine.host;
}

function globRe(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, (c) => `\\${c}`).replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
}

/** Does one known_hosts host field (`a,b,[c]:2222,!d` or `|1|salt|hash`) name `name` (`host` or `[host]:port`)? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    if (!salt || !hash) return false;
    const mac = crypto.createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  let hit = false;
  for (const p of field.split(",")) {
    if (p.startsWith("!")) {
      if (globRe(p.slice(1)).test(name)) return false;
    } else if (globRe(p).test(name)) hit = true;
  }
  return hit;
}

/**
 * ssh2's hostVerifier from known_hosts text: the raw key the host offers must be listed for the host
 * (port 22: `host`; another port: `[host]:port`), and not @revoked. @cert-authority lines are not
 * used (no host certificates). Anything else: the connection is refused.
 */
export function knownHostsVerifier(text: string, host: string, port: number): (key: Buffer) => boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const keys: string[] = [];
  const revoked: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(/\s+/);
    const marker = f[0].startsWith("@") ? f.shift() : undefined;
    if (f.length < 3 || marker === "@cert-authority") continue;
    if (!hostFieldMatches(f[0], name)) continue;
    (marker === "@revoked" ? revoked : keys).push(f[2]);
  }
  return (key) => {
    const b64 = key.toString("base64");
    return !revoked.includes(b64) && keys.includes(b64);
  };
}

/** What the engine says about itself (GET /version). */
export interface EngineInfo {
  version: string;
  apiVersion: string;
  os: string;
}

/** A bind mount of a host directory into a run-once container. */
export interface RunMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** A short-lived container: created, started, waited for (bounded), its output read, removed. */
export interface RunOnceRequest {
  image: string;
  entrypoint: string[];
  cmd: string[];
  /** Passed as the container's environment, never put into the command. */
  env: Record<string, string>;
  mounts: RunMount[];
  user?: string;
  name: string;
  labels: Record<string, string>;
  timeoutMs: number;
}

/** The engine operations a fleet host's proof needs beyond DockerIo. */
export interface EngineOps {
  /** The engine answers (GET /version), bounded by timeoutMs. */
  ping(timeoutMs: number): Promise<EngineInfo>;
  /** A run-once container without network; removed whatever happens. */
  runOnce(req: RunOnceRequest): Promise<ProbeResult>;
}
