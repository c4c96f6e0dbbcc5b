// The embedded defaults every mode runs with, each overridable the usual Pulumi way:
//   backend     PULUMI_BACKEND_URL, else the `pulumi login` in PULUMI_HOME, else the project's own
//               file backend (.pulumi-state/, gitignored, created 0700);
//   passphrase  PULUMI_CONFIG_PASSPHRASE / ..._FILE, else (default backend only) a generated file
//               .pulumi-state/passphrase, mode 0600;
//   stack       --stack, else the stack selected in the workspace (`pulumi stack select`).
// The decisions are pure functions of the environment and a few file facts (tested directly);
// `applyDefaults` does the two writes (the state directory, the passphrase file).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { BootstrapError } from "../../../contracts/errors";

/** The project's own state directory (file backend) and its generated passphrase file. */
export const STATE_DIR = ".pulumi-state";
export const PASSPHRASE_FILE = "passphrase";

export type BackendSource = "PULUMI_BACKEND_URL" | "pulumi login" | "default";
export interface Backend {
  url?: string;
  source: BackendSource;
}

/** Where the CLI keeps its login: $PULUMI_HOME/credentials.json, else ~/.pulumi/credentials.json. */
export function credentialsFile(env: NodeJS.ProcessEnv, home = os.homedir()): string {
  return path.join(env.PULUMI_HOME || path.join(home, ".pulumi"), "credentials.json");
}

/** The backend `pulumi login` chose (credentials.json `current`), if any. */
export function loggedInBackend(credentialsText: string | undefined): string | undefined {
  if (!credentialsText) return undefined;
  try {
    const c = JSON.parse(credentialsText) as { current?: unknown };
    return typeof c.current === "string" && c.current ? c.current : undefined;
  } catch {
    return undefined;
  }
}

export function defaultBackendUrl(root: string): string {
  return `file://${path.join(root, STATE_DIR)}`;
}

export function resolveBackend(env: NodeJS.ProcessEnv, root: string, credentialsText: string | undefined): Backend {
  if (env.PULUMI_BACKEND_URL) return { url: env.PULUMI_BACKEND_URL, source: "PULUMI_BACKEND_URL" };
  const current = loggedInBackend(credentialsText);
  if (current) return { url: current, source: "pulumi login" };
  return { url: defaultBackendUrl(root), source: "default" };
}

/** A Pulumi Cloud (service) backend keeps secrets with its own key; every other one defaults to a passphrase. */
export function isServiceBackend(url: string | undefined): boolean {
  return !!url && /^https?:\/\//.test(url);
}

/**
 * Whether the stack encrypts with a passphrase: its stack file holds an `encryptionsalt` (passphrase
 * provider), or names no other `secretsprovider` on a non-service backend (Pulumi's default there).
 */
export function stackUsesPassphrase(stackFileText: string | undefined, backendUrl: string | undefined): boolean {
  let doc: { encryptionsalt?: unknown; secretsprovider?: unknown } = {};
  try {
    doc = (stackFileText ? YAML.parse(stackFileText) : {}) ?? {};
  } catch {
    doc = {};
  }
  if (typeof doc.encryptionsalt === "string") return true;
  if (typeof doc.secretsprovider === "string") return doc.secretsprovider === "passphrase";
  return !isServiceBackend(backendUrl);
}

export type PassphraseSource = "PULUMI_CONFIG_PASSPHRASE" | "PULUMI_CONFIG_PASSPHRASE_FILE" | "generated" | "not needed";

export interface Defaults {
  backend: Backend;
  passphrase: PassphraseSource;
  /** Environment the CLI runs with on top of the process's own. */
  env: Record<string, string>;
  /** The state directory and passphrase file to create (default backend only). */
  stateDir?: string;
  passphraseFile?: string;
  /** One line per default in effect, for the run's output. */
  notes: string[];
}

/**
 * Decide backend and passphrase. Throws E_ENV_NO_PASSPHRASE when the stack needs a passphrase the
 * operator has not given and the backend is not the project's own (whose passphrase it generates).
 */
export function resolveDefaults(o: { env: NodeJS.ProcessEnv; root: string; credentialsText?: string; stackFileText?: string }): Defaults {
  const backend = resolveBackend(o.env, o.root, o.credentialsText);
  const env: Record<string, string> = {};
  const notes: string[] = [];
  const out: Defaults = { backend, passphrase: "not needed", env, notes };
  if (backend.source === "default") {
    out.stateDir = path.join(o.root, STATE_DIR);
    env.PULUMI_BACKEND_URL = backend.url!;
    notes.push(`backend: ${backend.url} (the project's own; override with PULUMI_BACKEND_URL or \`pulumi login\`)`);
  } else notes.push(`backend: ${backend.url} (from ${backend.source})`);
  if (o.env.PULUMI_CONFIG_PASSPHRASE !== undefined) out.passphrase = "PULUMI_CONFIG_PASSPHRASE";
  else if (o.env.PULUMI_CONFIG_PASSPHRASE_FILE) out.passphrase = "PULUMI_CONFIG_PASSPHRASE_FILE";
  else if (backend.source === "default") {
    out.passphrase = "generated";
    out.passphraseFile = path.join(o.root, STATE_DIR, PASSPHRASE_FILE);
    env.PULUMI_CONFIG_PASSPHRASE_FILE = out.passphraseFile;
    notes.push(`passphrase file ${out.passphraseFile} (generated once, mode 0600; override with PULUMI_CONFIG_PASSPHRASE_FILE)`);
  } else if (stackUsesPassphrase(o.stackFileText, backend.url)) {
    throw new BootstrapError("E_ENV_NO_PASSPHRASE", `the stack's secrets are encrypted with a passphrase and neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set (backend ${backend.url}, from ${backend.source})`, {
      details: { backend: backend.url, backendSource: backend.source },
    });
  }
  return out;
}

/** Create the default backend's directory (0700) and passphrase file (0600, 32 random bytes) when absent. */
export function applyDefaults(d: Defaults): void {
  if (d.stateDir) fs.mkdirSync(d.stateDir, { recursive: true, mode: 0o700 });
  if (d.passphraseFile && !fs.existsSync(d.passphraseFile)) {
    // wx: never overwrite a passphrase that appeared meanwhile (it encrypts existing stacks).
    try {
      fs.writeFileSync(d.passphraseFile, `${crypto.randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  if (d.passphraseFile) {
    const mode = fs.statSync(d.passphraseFile).mode & 0o777;
    if (mode & 0o077) {
      throw new BootstrapError("E_ENV_SECRETS_FILE_MODE", `${d.passphraseFile} is mode 0${mode.toString(8)}: the stack's passphrase must be readable by its owner only`, {
        action: `chmod 600 ${d.passphraseFile}`,
        details: { file: d.passphraseFile, mode: `0${mode.toString(8)}` },
      });
    }
  }
}

/** The stack to run: --stack, else the workspace's selected one; otherwise E_ENV_NO_STACK. */
export function chooseStack(flag: string | undefined, selected: string | undefined): string {
  const name = flag ?? selected;
  if (!name) throw new BootstrapError("E_ENV_NO_STACK", "no --stack given and no stack is selected in this workspace");
  if (!/^[A-Za-z0-9_./-]+$/.test(name)) throw new BootstrapError("E_ENV_USAGE", `--stack ${JSON.stringify(name)}: letters, digits, '-', '_', '.', '/' only`);
  return name;
}

/** The short stack name (`org/project/dev` -> `dev`): the part Pulumi.<stack>.yaml and out/ use. */
export function shortStackName(name: string): string {
  return name.split("/").pop()!;
}
