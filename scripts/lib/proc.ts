// Child processes for the operator CLIs (P17): always async (a sync spawn would block timers and
// signal handlers), stdin always 'ignore' (no child can ever prompt), output captured, bounded in time.
import { spawn, ChildProcess } from "node:child_process";

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** ENOENT: the executable does not exist on PATH. */
  notFound: boolean;
  timedOut: boolean;
}

export interface ProcOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Called with every chunk of output (already a string) for live progress. */
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
}

/** Children currently running, so a signal handler can forward SIGINT/SIGTERM to them. */
export const activeChildren = new Set<ChildProcess>();

export function runProcess(cmd: string, args: readonly string[], opts: ProcOptions = {}): Promise<ProcResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    const child = spawn(cmd, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      // No detached/TTY: the child inherits no terminal, so nothing can prompt.
    });
    activeChildren.add(child);
    const finish = (r: Omit<ProcResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      activeChildren.delete(child);
      resolve({ ...r, durationMs: Date.now() - started });
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5000).unref();
        }, opts.timeoutMs)
      : undefined;
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (c: string) => {
      stdout += c;
      opts.onOutput?.("stdout", c);
    });
    child.stderr!.on("data", (c: string) => {
      stderr += c;
      opts.onOutput?.("stderr", c);
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      finish({ code: null, signal: null, stdout, stderr: stderr + String(err.message), notFound: err.code === "ENOENT", timedOut });
    });
    child.on("close", (code, signal) => {
      finish({ code, signal, stdout, stderr, notFound: false, timedOut });
    });
  });
}

/** Parse the first JSON value in a child's stdout (tools print one JSON document with --json). */
export function parseJsonOutput(stdout: string): unknown {
  const trimmed = stdout.trim();
  if (!trimmed) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    // npm may print a banner line before the JSON when -s is not honoured; take from the first brace.
    const i = trimmed.search(/[[{]/);
    if (i < 0) return undefined;
    try {
      return JSON.parse(trimmed.slice(i));
    } catch {
      return undefined;
    }
  }
}
