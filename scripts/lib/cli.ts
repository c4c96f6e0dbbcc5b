// Shared plumbing of the operator CLIs: argument parsing errors as E_ENV_USAGE, coded error output
// (code, bucket, fix), everything printed through the redactor.
import path from "node:path";
import { parseArgs, ParseArgsConfig } from "node:util";
import { BootstrapError, ErrorRecord, toErrorRecord } from "../../contracts/errors";
import { exitForCode } from "./exit-codes";
import { printErr, printJson } from "./redact";

export function parseCli<T extends ParseArgsConfig["options"]>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new BootstrapError("E_ENV_USAGE", (err as Error).message);
  }
}

/** The project root the CLIs work in: LOGGING_BOOTSTRAP_ROOT (tests, wrappers) or the cwd. */
export function projectRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOGGING_BOOTSTRAP_ROOT ? path.resolve(env.LOGGING_BOOTSTRAP_ROOT) : process.cwd();
}

/** `--stack <name>`: required, and safe to put in a file name (Pulumi.<name>.yaml). */
export function requireStack(stack: string | undefined): string {
  if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) throw new BootstrapError("E_ENV_USAGE", "--stack <name> is required (letters, digits, '-', '_', '.')");
  return stack;
}

export function formatError(e: ErrorRecord): string {
  return `${e.code} (${e.bucket}): ${e.message}\n  fix: ${e.action}`;
}

/**
 * Run a CLI body. A thrown error is printed with its code, bucket and fix (never a stack trace);
 * its exit code is `failExit(rec)` (default: the exit-code table's, scripts/lib/exit-codes.ts).
 * `exit: true` ends the process with process.exit, for CLIs whose clients (sockets, timers) would
 * otherwise keep node alive after the answer is printed.
 */
export function runCli(
  body: () => Promise<number> | number,
  opts: { json?: () => boolean; failExit?: (rec: ErrorRecord) => number; exit?: boolean } = {},
): void {
  const done = (code: number) => {
    if (opts.exit) process.exit(code);
    process.exitCode = code;
  };
  Promise.resolve()
    .then(body)
    .then(done, (err) => {
      const rec = toErrorRecord(err);
      if (opts.json?.()) printJson({ ok: false, error: rec });
      printErr(formatError(rec));
      done(opts.failExit ? opts.failExit(rec) : exitForCode(rec.code));
    });
}
