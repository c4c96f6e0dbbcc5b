// What the real-engine drivers (test/e2e/e2e.ts, test/upgrade/drill.ts) share: the tools they are
// handed (fakes in their unit tests) and the stack they drive.
import type { Run } from "./run";

export interface DriverTools {
  /** Run a command (no stdin); never throws for a non-zero exit. */
  run(cmd: string, args: string[]): Promise<Run>;
  log(line: string): void;
}

export interface DriverOptions {
  stack: string;
  /** The generated stack file (tracked file + this backend's salt). */
  stackFile: string;
  /** Where bootstrap writes its bundles (LOGGING_BOOTSTRAP_OUT_DIR). */
  outDir: string;
}
