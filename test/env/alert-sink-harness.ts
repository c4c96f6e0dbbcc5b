// Shared by the alert sink's tests (test/env/doubles-alert-sink*.test.ts): starting the sink process
// on ephemeral 127.0.0.1 ports, reading /received, a scripted SMTP client that waits for each reply,
// and messages shaped as Alertmanager sends them. Every wait is bounded.
import * as path from "node:path";
import * as http from "node:http";
import * as net from "node:net";
import { spawn, ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";

export const SINK_SERVER = path.join(__dirname, "doubles", "alert-sink", "server.js");

/** A free port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export type Sink = { url: string; smtpPort: number; proc: ChildProcess; output: () => string };

/**
 * Spawn the sink: HTTP on a free 127.0.0.1 port, SMTP on `smtpAddress` (default an ephemeral
 * 127.0.0.1 port, read from the sink's "smtp listening" log line); resolves once /-/ready answers.
 */
export async function startSink(args: string[] = [], env: Record<string, string> = {}, smtpAddress = "127.0.0.1:0"): Promise<Sink> {
  const port = await freePort();
  const proc = spawn(process.execPath, [SINK_SERVER, `--listen-address=127.0.0.1:${port}`, `--smtp-address=${smtpAddress}`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const m = /"msg":"smtp listening","addr":"[^"]*:(\d+)"/.exec(out);
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(500) });
      if (r.status === 200 && m) return { url, smtpPort: Number(m[1]), proc, output: () => out };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill();
  throw new Error(`alert sink did not start within 10 s; its output: ${out}`);
}

export type Entry = {
  seq: number;
  kind: string;
  receivedAt: string;
  path?: string;
  payload?: Record<string, unknown>;
  name?: string;
  slack?: Record<string, unknown>;
  email?: { helo: string; authenticatedAs: string | null; from: string; to: string[]; size: number; subject?: string; headers: Record<string, string | undefined>; parts: { contentType: string; encoding: string; size: number; excerpt: string; truncated: boolean }[] };
};
export type Received = { now: string; capacity: number; total: number; dropped: number; totals: Record<string, number>; notifications: Entry[] };

export async function received(url: string, q = ""): Promise<Received> {
  return (await (await fetch(`${url}/received${q}`, { signal: AbortSignal.timeout(3000) })).json()) as Received;
}

export type Reply = { code: number; lines: string[] };

/** An SMTP client for scripted sessions: each reply is read whole (multi-line too), bounded in time. */
export class SmtpClient {
  private buf = "";
  private replies: Reply[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (d) => {
      this.buf += d.toString("utf8");
      let m: RegExpExecArray | null;
      // a reply ends with a line "NNN text" or "NNN" (continuation lines are "NNN-text")
      while ((m = /^((?:\d{3}-[^\r\n]*\r\n)*)(\d{3})(?: [^\r\n]*)?\r\n/.exec(this.buf))) {
        const text = m[0];
        this.buf = this.buf.slice(text.length);
        this.replies.push({ code: Number(m[2]), lines: text.split("\r\n").filter(Boolean).map((l) => l.slice(4)) });
      }
      this.waiter?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on("error", () => undefined);
  }

  static async connect(port: number, host = "127.0.0.1"): Promise<SmtpClient> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    return new SmtpClient(socket);
  }

  /** The next reply (or null when the server closed without one), within `ms`. */
  async read(ms = 3000): Promise<Reply | null> {
    const deadline = Date.now() + ms;
    while (this.replies.length === 0 && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SMTP reply within ${ms} ms (unparsed: ${JSON.stringify(this.buf)})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
      this.waiter = undefined;
    }
    return this.replies.shift() ?? null;
  }

  write(raw: string | Buffer): void {
    this.socket.write(raw);
  }

  /** Send one command line (CRLF added) and read its reply. */
  async cmd(line: string, ms?: number): Promise<Reply | null> {
    this.write(`${line}\r\n`);
    return this.read(ms);
  }

  /** Resolves when the server has closed the connection (within `ms`). */
  async closedWithin(ms = 3000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  end(): void {
    this.socket.destroy();
  }
}

/** A message as Go's textproto DotWriter puts it on the wire: CRLF lines, dot-stuffed, `.` line last. */
export function dotStuff(message: string): string {
  const lines = message.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
  return lines.map((l) => (l.startsWith(".") ? `.${l}` : l)).join("\r\n") + "\r\n.\r\n";
}

/** Base64 of a string (for AUTH). */
export const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/**
 * An e-mail as Alertmanager's email notifier writes it (notify/email/email.go v0.35.0): the headers
 * (Q-encoded when needed), Message-Id, Date, multipart/alternative with two spaces before boundary,
 * MIME-Version, then one quoted-printable text/html part (the default template) closed by the
 * boundary. The HTML holds a line starting with a dot (dot-stuffed on the wire).
 */
export function alertmanagerMail(subjectEncoded = "=?utf-8?q?[FIRING:1]_Watchdog_(lb_info_=E2=9C=93)?="): string {
  const boundary = "4f0c1b2d3e4a5b6c7d8e9f00112233445566778899aabbccddeeff001122";
  return [
    "To: oncall@example.test",
    "From: alertmanager@example.test",
    `Subject: ${subjectEncoded}`,
    "Message-Id: <1764964800000000000.42@alertmanager>",
    "Date: Fri, 05 Dec 2026 20:00:00 +0000",
    `Content-Type: multipart/alternative;  boundary=${boundary}`,
    "MIME-Version: 1.0",
    "",
    `--${boundary}`,
    "Content-Transfer-Encoding: quoted-printable",
    "Content-Type: text/html; charset=UTF-8",
    "",
    '<!DOCTYPE html><html><head><style type=3D"text/css">body { margin: 0 }</style=',
    "></head><body><h1>1 alert for alertname=3DWatchdog</h1>",
    ".Labels: severity=3Dinfo project=3Dlb</body></html>",
    `--${boundary}--`,
    "",
  ].join("\r\n");
}

/** A Slack message as Alertmanager 0.35.0 encodes it for a slack_configs entry with defaults. */
export function alertmanagerSlack(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    username: "Alertmanager",
    attachments: [
      {
        title: "[FIRING:1] Watchdog (lb info)",
        title_link: "http://alertmanager:9093/#/alerts?receiver=chat",
        text: "",
        fallback: "[FIRING:1] Watchdog (lb info) | http://alertmanager:9093/#/alerts?receiver=chat",
        callback_id: "",
        footer: "",
        color: "danger",
        mrkdwn_in: ["fallback", "pretext", "text"],
      },
    ],
    channel: "#alerts",
    ...over,
  };
}
