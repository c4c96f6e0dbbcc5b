// The one exit-code table of every operator CLI (bootstrap, start, verify, config:lint, render,
// policy:check, ...): each number means one thing everywhere, so a script can branch on it without
// knowing which CLI it ran. README "Exit codes" is this table (a test keeps them equal).
import { ErrorCode, ErrorRecord, taxonomyEntry } from "../../contracts/errors";

export const EXIT = {
  /** Finished; nothing is red (warnings are printed, never fail). */
  OK: 0,
  /** Finished, and what it checked or changed is red: a lint or policy error, a red proof level, a failed preview/up/refresh/destroy, drift found. */
  RED: 1,
  /** The command line is wrong (unknown option, missing argument); nothing ran. */
  USAGE: 2,
  /** Could not run: a tool, Docker, the Pulumi backend, passphrase or stack, an input file, the run lock. */
  ENV: 3,
  /** Refused before changing anything: the mode guard, a missing confirmation, nothing to roll back or restore, a damaged snapshot. */
  REFUSED: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Signals end a run with 128 + their number (the lock is released, the bundle written). */
export const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** Codes that mean "refused, nothing changed". */
export const REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "E_ENV_MODE_VIOLATION",
  "E_ENV_INTERACTIVE",
  "E_ENV_ROLLBACK_UNAVAILABLE",
  "E_ENV_BACKUP_UNAVAILABLE",
  "E_ENV_CONFIRMATION_REQUIRED",
  "E_ENV_DATA_PROTECTED",
  "E_DEPS_SNAPSHOT_MISMATCH",
]);

/** Codes outside the env bucket that still mean "could not run" (an input file that is not there). */
const ENV_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["E_CONFIG_FILE_MISSING"]);

/** The exit code one error stands for. */
export function exitForCode(code: ErrorCode): ExitCode {
  if (code === "E_ENV_USAGE") return EXIT.USAGE;
  if (REFUSAL_CODES.has(code)) return EXIT.REFUSED;
  if (code === "E_ENV_INTERRUPTED") return EXIT.RED;
  if (ENV_CODES.has(code) || taxonomyEntry(code).bucket === "env") return EXIT.ENV;
  return EXIT.RED;
}

/**
 * The exit code of a run from all its errors: usage wins over a refusal, a refusal over an
 * environment problem, that over a red step; no error is OK.
 */
export function exitForErrors(errors: readonly Pick<ErrorRecord, "code">[]): ExitCode {
  const codes = errors.map((e) => exitForCode(e.code));
  for (const c of [EXIT.USAGE, EXIT.REFUSED, EXIT.ENV, EXIT.RED] as const) if (codes.includes(c)) return c;
  return EXIT.OK;
}

/** The table as the CLIs' --help and the README print it. */
export const EXIT_CODES_HELP = [
  "Exit codes (the same for every logging-bootstrap command):",
  "  0  ok: finished, nothing red (warnings are printed, they never fail)",
  "  1  red: what was checked or changed is red (lint/policy error, red proof, failed preview/up/refresh/destroy, drift)",
  "  2  usage: the command line is wrong; nothing ran",
  "  3  environment: could not run (Pulumi CLI, Docker, backend login, passphrase, stack, input file, run lock)",
  "  4  refused: nothing changed (mode guard, missing --confirm, nothing to roll back or restore, damaged snapshot)",
  "  129/130/143  SIGHUP/SIGINT/SIGTERM: stopped; the lock is released and the bundle written",
].join("\n");
