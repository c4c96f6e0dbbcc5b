// The operator secrets file (P8): secrets.local.env, mode 0600, gitignored. Shared by
// `secrets:export` (writes it), the run wrapper's preflight and `verify` (check its mode when it exists).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BootstrapError, ErrorRecord, errorRecord } from "../../contracts/errors";

export const SECRETS_FILE = "secrets.local.env";

export interface SecretsFileCheck {
  path: string;
  exists: boolean;
  /** Permission bits, e.g. 0o600; null when absent. */
  mode: number | null;
  ok: boolean;
  /** E_ENV_SECRETS_FILE_MODE when group/others have any access, or the path is not a regular file. */
  error?: ErrorRecord;
}

/**
 * Check the secrets file without reading it. Absent is ok (nothing to protect); present must be a
 * regular file (not a symlink: writing through one could land anywhere) with no group/other bits.
 */
export function checkSecretsFileMode(file: string = path.resolve(SECRETS_FILE)): SecretsFileCheck {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { path: file, exists: false, mode: null, ok: true };
    throw err;
  }
  const mode = st.mode & 0o777;
  if (!st.isFile()) {
    return {
      path: file,
      exists: true,
      mode,
      ok: false,
      error: errorRecord("E_ENV_SECRETS_FILE_MODE", `${file} is not a regular file (a symlink or directory); refusing to use it`, {
        action: `Remove ${file} and re-run \`npm run secrets:export -- --stack <name>\`.`,
        details: { path: file },
      }),
    };
  }
  if ((mode & 0o077) !== 0) {
    return {
      path: file,
      exists: true,
      mode,
      ok: false,
      error: errorRecord("E_ENV_SECRETS_FILE_MODE", `${file} has mode ${mode.toString(8).padStart(4, "0")}; it must be 0600 (no group or other access)`, {
        action: `chmod 600 ${file}`,
        details: { path: file, mode: `0${mode.toString(8)}` },
      }),
    };
  }
  return { path: file, exists: true, mode, ok: true };
}

/** checkSecretsFileMode, throwing its E_ENV_SECRETS_FILE_MODE (for verify, secrets:export). */
export function assertSecretsFileMode(file: string = path.resolve(SECRETS_FILE)): SecretsFileCheck {
  const check = checkSecretsFileMode(file);
  if (check.error) throw new BootstrapError(check.error.code, check.error.message, { action: check.error.action, details: check.error.details });
  return check;
}

/** KEY=VALUE lines; values are written verbatim when safe, otherwise single-quoted. */
export function renderEnvFile(values: Record<string, string>, header: string): string {
  const lines = [header.trimEnd(), ""];
  for (const k of Object.keys(values).sort()) {
    const v = values[k];
    lines.push(/^[A-Za-z0-9_./:@+-]*$/.test(v) ? `${k}=${v}` : `${k}='${v.replace(/'/g, `'\\''`)}'`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Write the file with mode 0600 from the first byte: a temp file created O_EXCL with mode 0600 in the
 * same directory, fsynced, renamed over the target. Refuses when an existing target is looser or not a
 * regular file (never writes through it).
 */
export function writeSecretsFile(file: string, content: string): void {
  assertSecretsFileMode(file);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.fchmodSync(fd, 0o600); // umask cannot loosen 0600, but make the intent explicit
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** `grafanaAdminPassword` / `logging-bootstrap:grafanaAdminPassword` -> GRAFANA_ADMIN_PASSWORD. */
export function envNameFor(key: string): string {
  const short = key.includes(":") ? key.slice(key.lastIndexOf(":") + 1) : key;
  return short
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();
}
