// Running a command the way the real-engine tests (e2e, the upgrade drill) do: no stdin, output
// captured, never throwing for a non-zero exit (127 when it cannot start).
import { spawn } from "node:child_process";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function commandRunner(cwd: string): (cmd: string, args: string[]) => Promise<Run> {
  return (cmd, args) =>
    new Promise((resolve) => {
      const p = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("error", (e) => resolve({ code: 127, stdout, stderr: String(e) }));
      p.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}
