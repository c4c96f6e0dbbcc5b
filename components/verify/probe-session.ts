// The in-network probe of one run: ONE container per (image, network), started on the first probe
// and removed when the run closes its Io, instead of a container per probe attempt. Its main process
// is a BusyBox shell reading one request per line on stdin (`<id> <url>`); for each it runs BusyBox
// wget and answers on stdout with a header line `@@ <id> <exit> <header bytes> <body bytes>` followed
// by wget's `-S` server response and the body, so each answer is framed by lengths, never by content.
// The container lives no longer than its attachment: stdin is closed when the attaching process
// ends or closes it (StdinOnce), the loop ends, the container exits and the engine removes it
// (AutoRemove). A request that does not answer in time ends the session (a new one starts next).
import type Docker from "dockerode";
import { BootstrapError } from "../../contracts/errors";
import { MAX_EXEC_OUTPUT_BYTES } from "./bounded";
import type { ProbeRequest, ProbeResult } from "./types";

/**
 * The session's loop. Every command is a BusyBox applet called through `busybox` (no PATH links
 * needed); `tmp` is a tmpfs the session mounts, so it is writable whatever user the image runs as.
 * No -T for wget: Debian's static BusyBox wget segfaults with it; the caller's timeout ends the session.
 */
export function sessionScript(tmp = "/tmp"): string {
  return [
    "while read -r id url; do",
    `  : >${tmp}/b; busybox wget -S -q -O ${tmp}/b "$url" 2>${tmp}/h; rc=$?`,
    `  echo "@@ $id $rc $(busybox wc -c <${tmp}/h) $(busybox wc -c <${tmp}/b)"`,
    `  busybox cat ${tmp}/h ${tmp}/b`,
    "done",
  ].join("\n");
}

export interface SessionAnswer {
  id: number;
  exitCode: number;
  stderr: string;
  stdout: string;
}

/** A URL as one word of a request line: printable ASCII without spaces. */
export function requestLine(id: number, url: string): string {
  if (!/^[!-~]+$/.test(url)) throw new BootstrapError("E_INTERNAL", `a probe URL must be printable ASCII without spaces: ${JSON.stringify(url)}`);
  return `${id} ${url}\n`;
}

/**
 * Incremental reader of the session's attach stream (Docker's multiplexed frames, no TTY): the
 * stdout bytes are parsed into answers as they complete; stderr (the shell's own complaints) is kept
 * for diagnostics. An answer larger than `maxBytes` is refused (E_RUNTIME_OUTPUT_TOO_LARGE).
 */
export class AnswerReader {
  private raw = Buffer.alloc(0);
  private out = Buffer.alloc(0);
  stderr = "";

  constructor(private readonly maxBytes = MAX_EXEC_OUTPUT_BYTES) {}

  /** Feed a chunk of the attach stream; returns the answers it completed. */
  push(chunk: Buffer): SessionAnswer[] {
    this.raw = Buffer.concat([this.raw, chunk]);
    while (this.raw.length >= 8) {
      const size = this.raw.readUInt32BE(4);
      if (this.raw.length < 8 + size) break;
      const payload = this.raw.subarray(8, 8 + size);
      if (this.raw[0] === 2) this.stderr = (this.stderr + payload.toString("utf8")).slice(-2000);
      else this.out = Buffer.concat([this.out, payload]);
      this.raw = this.raw.subarray(8 + size);
    }
    const answers: SessionAnswer[] = [];
    for (;;) {
      const nl = this.out.indexOf(10);
      if (nl < 0) break;
      const m = /^@@ (\d+) (\d+) +(\d+) +(\d+)$/.exec(this.out.subarray(0, nl).toString("utf8").trim());
      if (!m) throw new BootstrapError("E_INTERNAL", `probe session answered out of frame: ${JSON.stringify(this.out.subarray(0, Math.min(nl, 200)).toString("utf8"))}`);
      const [h, b] = [Number(m[3]), Number(m[4])];
      if (h + b > this.maxBytes) throw new BootstrapError("E_RUNTIME_OUTPUT_TOO_LARGE", `a probe's answer is larger than ${this.maxBytes} bytes; it was not read further`, { details: { maxBytes: this.maxBytes } });
      if (this.out.length < nl + 1 + h + b) break;
      const start = nl + 1;
      answers.push({ id: Number(m[1]), exitCode: Number(m[2]), stderr: this.out.subarray(start, start + h).toString("utf8"), stdout: this.out.subarray(start + h, start + h + b).toString("utf8") });
      this.out = this.out.subarray(start + h + b);
    }
    return answers;
  }
}

/** How long opening a session (create, attach, start) or removing one may take. */
const OPEN_MS = 20_000;
const CLOSE_WAIT_MS = 10_000;

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new BootstrapError("E_NETWORK_TIMEOUT", `${what} did not finish within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

type Pending = { resolve: (a: SessionAnswer) => void; reject: (e: Error) => void };

/** One running session container and the requests waiting for its answers. */
class Session {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  closed = false;

  constructor(
    readonly container: Docker.Container,
    private readonly stream: NodeJS.ReadWriteStream,
  ) {
    const reader = new AnswerReader();
    stream.on("data", (c: Buffer) => {
      try {
        for (const a of reader.push(c)) {
          this.pending.get(a.id)?.resolve(a);
          this.pending.delete(a.id);
        }
      } catch (e) {
        this.fail(e as Error);
      }
    });
    const gone = () => this.fail(new Error(`probe session ended${reader.stderr ? `: ${reader.stderr.trim().split("\n").pop()}` : ""}`));
    stream.on("end", gone);
    stream.on("close", gone);
    stream.on("error", (e: Error) => this.fail(e));
  }

  private fail(e: Error): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** One request at a time (one shell): the next waits for the answer before it is written. */
  get(url: string, timeoutMs: number): Promise<SessionAnswer | "timeout"> {
    const run = async (): Promise<SessionAnswer | "timeout"> => {
      if (this.closed) throw new Error("probe session ended");
      const id = this.next++;
      const answer = new Promise<SessionAnswer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      this.stream.write(requestLine(id, url));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
      try {
        return await Promise.race([answer, timedOut]);
      } finally {
        clearTimeout(timer);
        this.pending.delete(id);
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Close stdin (the loop ends, the engine removes the container), then make sure it is gone. */
  async close(): Promise<void> {
    this.closed = true;
    this.stream.end();
    await this.container.remove({ force: true }).catch(() => undefined);
    // Removed by now, or being removed (AutoRemove): wait for that, bounded.
    await bounded(this.container.wait({ condition: "removed" }) as Promise<unknown>, CLOSE_WAIT_MS, "probe session removal").catch(() => undefined);
  }
}

/** The probe sessions of one Io: one per (image, network, entrypoint), opened on first use. */
export class ProbeSessions {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(private readonly docker: Docker) {}

  private async open(req: ProbeRequest): Promise<Session> {
    const c = await this.docker.createContainer({
      name: req.name,
      Image: req.image,
      Entrypoint: req.entrypoint,
      Cmd: ["sh", "-c", sessionScript()],
      Labels: req.labels,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: { NetworkMode: req.network, AutoRemove: true, Tmpfs: { "/tmp": "rw,size=20m,mode=1777" } },
    });
    try {
      const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
      await c.start();
      return new Session(c, stream);
    } catch (e) {
      await c.remove({ force: true }).catch(() => undefined);
      throw e;
    }
  }

  private session(req: ProbeRequest): Promise<Session> {
    const key = `${req.image}\n${req.network}\n${req.entrypoint.join(" ")}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = bounded(this.open(req), OPEN_MS, `starting the probe session on ${req.network}`);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  /** GET `req.url` with BusyBox wget inside the run's session on `req.network`. */
  async get(req: ProbeRequest): Promise<ProbeResult> {
    const key = `${req.image}\n${req.network}\n${req.entrypoint.join(" ")}`;
    let s = await this.session(req);
    if (s.closed) {
      // Ended (a timeout before, or the container went away): a new session for this request.
      this.sessions.delete(key);
      s = await this.session(req);
    }
    const a = await s.get(req.url, req.timeoutMs);
    if (a === "timeout") {
      this.sessions.delete(key);
      await s.close();
      return { exitCode: -1, stdout: "", stderr: "", timedOut: true };
    }
    return { exitCode: a.exitCode, stdout: a.stdout, stderr: a.stderr, timedOut: false };
  }

  /** End every session and wait until its container is removed (a network can then be deleted). */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((p) => p.then((s) => s.close(), () => undefined)));
  }
}
