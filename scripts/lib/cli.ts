// Shared plumbing of the operator CLIs: argument parsing errors as E_ENV_USAGE, coded error output
// (code, bucket, fix), everything printed through the redactor.
import { parseArgs, ParseArgsConfig } from "node:util";
import { BootstrapError, ErrorRecord, toErrorRecord } from "../../contracts/errors";
import { print, printErr, redactor } from "./redact";

export function parseCli<T extends ParseArgsConfig["options"]>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new BootstrapError("E_ENV_USAGE", (err as Error).message);
  }
}

export function formatError(e: ErrorRecord): string {
  return `${e.code} (${e.bucket}): ${e.message}\n  fix: ${e.action}`;
}

/** Run a CLI body; a thrown error is printed with its code and fix, exit 2 for env, 1 otherwise. */
export function runCli(body: () => Promise<number>, opts: { json?: () => boolean } = {}): void {
  body().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      const rec = toErrorRecord(err);
      if (opts.json?.()) print(redactor.json({ ok: false, error: rec }));
      printErr(formatError(rec));
      process.exitCode = rec.bucket === "env" || rec.code === "E_CONFIG_FILE_MISSING" ? 2 : 1;
    },
  );
}
