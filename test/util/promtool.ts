// promtool for the tests that parse Prometheus files and queries with the real parser: the pinned
// Prometheus's own when the services build made it (.tools/services/bin), else Debian's.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const PROMTOOL = [path.join(__dirname, "..", "..", ".tools", "services", "bin", "promtool-v3.14.0"), "/usr/bin/promtool", "/usr/local/bin/promtool"].find((p) => fs.existsSync(p));

/** Runs promtool: its exit code and stdout followed by stderr. */
export function promtool(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(PROMTOOL!, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/**
 * Call inside a describe: true when promtool is there. Without it, CI gets a failing test (CI must
 * install it) and elsewhere the run warns and skips `skipped`, so a laptop without it is not silent.
 */
export function havePromtool(checks: string, skipped: string): boolean {
  if (PROMTOOL) return true;
  if (process.env.CI) {
    it("promtool is installed (CI requires it: apt-get install -y prometheus)", () => {
      throw new Error("promtool not found; CI must install Debian's prometheus package");
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(`\n*** SKIPPING ${checks}: promtool not found (apt-get install -y prometheus). In CI this fails. ***\n`);
    it.skip(skipped, () => undefined);
  }
  return false;
}
