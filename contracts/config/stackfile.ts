// Reading a Pulumi.<stack>.yaml (or an original JSON config, v0) without the Pulumi CLI, for config:lint
// and the scripts that run the program under mocks (render, policy:check, verify):
//   const f = readStackFile(stackFilePath("test"));
//   pulumi.runtime.setAllConfig(f.pulumiConfig, f.secretKeys);
// The map mirrors what the CLI hands a program: full keys (`logging-bootstrap:ports`), structured
// values as JSON strings, scalars as strings. `secure:` values cannot be decrypted without the CLI,
// so they become SECURE_PLACEHOLDER and their key is listed in secretKeys.
// Never throws: an unreadable, empty or malformed file yields a coded finding.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { Finding, PROJECT_NAMESPACE, finding, stackPatch } from "./findings";
import { decodeConfigValue, isRecord } from "./values";
import { detectVersion } from "../migrations";
import { CURRENT_SCHEMA_VERSION } from "./schema";

/** Stands in for a `secure:` value the CLI would decrypt. Looks like nothing a user would type. */
export const SECURE_PLACEHOLDER = "__logging-bootstrap:secure-value-not-decrypted__";

export type StackFileKind = "stack" | "v0-json" | "invalid";

export interface StackFile {
  findings: Finding[];
  /** Full key -> string, as `pulumi.runtime.setAllConfig` expects. Includes other namespaces' keys. */
  pulumiConfig: Record<string, string>;
  /** Full keys whose value is (or contains) a `secure:` value. */
  secretKeys: string[];
  /** The parsed document (undefined when it could not be parsed). */
  raw: unknown;
  /** The project namespace with typed values (secure values replaced by SECURE_PLACEHOLDER): what config:lint checks. */
  projectConfig: Record<string, unknown>;
  /** Short keys (inside the namespace) holding a secure value. */
  projectSecretKeys: string[];
  kind: StackFileKind;
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** `--stack test` -> <repo>/Pulumi.test.yaml (Pulumi's own stack-name charset). */
export function stackFilePath(stack: string, root: string = REPO_ROOT): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack) || stack.startsWith(".")) {
    throw new Error(`invalid stack name ${JSON.stringify(stack)}: use letters, digits, '-', '_' or '.'`);
  }
  return path.join(root, `Pulumi.${stack}.yaml`);
}

/** For CLIs taking `--stack <name>` or `--config-file <file>` (exactly one). */
export function resolveConfigFile(opts: { stack?: string; configFile?: string }, root: string = REPO_ROOT): string {
  if (opts.stack && opts.configFile) throw new Error("pass either --stack or --config-file, not both");
  if (opts.configFile) return path.resolve(opts.configFile);
  if (opts.stack) return stackFilePath(opts.stack, root);
  throw new Error("pass --stack <name> (reads Pulumi.<name>.yaml) or --config-file <file>");
}

function isSecure(v: unknown): v is { secure: string } {
  return isRecord(v) && Object.keys(v).length === 1 && typeof v.secure === "string";
}

/** Replace every nested `{secure: ...}` with the placeholder (as Pulumi hands it, decrypted); report whether one was found. */
export function stripSecure(v: unknown): { value: unknown; secret: boolean } {
  if (isSecure(v)) return { value: SECURE_PLACEHOLDER, secret: true };
  if (Array.isArray(v)) {
    let secret = false;
    const value = v.map((e) => {
      const r = stripSecure(e);
      secret ||= r.secret;
      return r.value;
    });
    return { value, secret };
  }
  if (isRecord(v)) {
    let secret = false;
    const value: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) {
      const r = stripSecure(e);
      secret ||= r.secret;
      // defineProperty, not assignment: a "__proto__" key stays an own key (the lint refuses it)
      // instead of becoming this object's prototype.
      Object.defineProperty(value, k, { value: r.value, enumerable: true, writable: true, configurable: true });
    }
    return { value, secret };
  }
  return { value: v, secret: false };
}

function toConfigString(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const fileFix = stackPatch(["schemaVersion"], CURRENT_SCHEMA_VERSION, "a stack file starts like this; copy Pulumi.test.yaml and adapt it");

export function readStackFile(file: string): StackFile {
  const result: StackFile = { findings: [], pulumiConfig: {}, secretKeys: [], raw: undefined, projectConfig: {}, projectSecretKeys: [], kind: "invalid" };
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "EISDIR" });
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown";
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable (permission denied)" : code === "EISDIR" ? "is not a regular file" : `cannot be read (${code})`;
    result.findings.push(finding("E_CONFIG_FILE_MISSING", "", `${file} ${why}`, fileFix));
    return result;
  }
  if (text.trim() === "") {
    result.findings.push(finding("E_CONFIG_FILE_EMPTY", "", `${file} is empty`, fileFix));
    return result;
  }
  // merge: Pulumi reads stack files with go-yaml v3, which applies `<<` merge keys; so must we.
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      const at = pos ? `line ${pos.line}, column ${pos.col}` : "unknown position";
      const first = e.message.split("\n")[0];
      result.findings.push(finding("E_CONFIG_YAML_SYNTAX", "", `${file}: ${at}: ${first}`, fileFix));
    }
    return result;
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    result.findings.push(finding("E_CONFIG_YAML_SYNTAX", "", `${file}: ${err instanceof Error ? err.message : String(err)}`, fileFix));
    return result;
  }
  result.raw = raw;
  if (raw === null || raw === undefined) {
    result.findings.push(finding("E_CONFIG_FILE_EMPTY", "", `${file} holds no document (only comments)`, fileFix));
    return result;
  }
  if (!isRecord(raw)) {
    result.findings.push(finding("E_CONFIG_SCHEMA", "", `${file} must be a mapping with a config: block, got ${Array.isArray(raw) ? "a list" : typeof raw}`, fileFix));
    return result;
  }

  let entries: [string, unknown][];
  if (isRecord(raw.config)) {
    result.kind = "stack";
    entries = Object.entries(raw.config);
  } else if (!("config" in raw) && detectVersion(raw).kind === "version" && !("schemaVersion" in raw)) {
    // The original JSON config (v0): its top level is the namespace object; lint reports it as needing migration
    // and loadStackConfig migrates it.
    result.kind = "v0-json";
    entries = Object.entries(raw).map(([k, v]) => [`${PROJECT_NAMESPACE}:${k}`, v]);
  } else {
    result.findings.push(
      finding("E_CONFIG_SCHEMA", "", `${file} has no config: mapping; stack files keep every key under config: as logging-bootstrap:<key>`, fileFix),
    );
    return result;
  }

  for (const [key, value] of entries) {
    // Pulumi reads an un-namespaced key as belonging to the project.
    const full = key.includes(":") ? key : `${PROJECT_NAMESPACE}:${key}`;
    if (Object.prototype.hasOwnProperty.call(result.pulumiConfig, full)) {
      result.findings.push(finding("E_CONFIG_SCHEMA", full.slice(PROJECT_NAMESPACE.length + 1), `${key} is given twice (with and without the ${PROJECT_NAMESPACE}: namespace)`, stackPatch([full.slice(full.indexOf(":") + 1)], "<one value>", "keep only the namespaced key")));
      continue;
    }
    const { value: plain, secret } = stripSecure(value);
    result.pulumiConfig[full] = toConfigString(plain);
    if (secret) result.secretKeys.push(full);
    if (full.startsWith(`${PROJECT_NAMESPACE}:`)) {
      const short = full.slice(PROJECT_NAMESPACE.length + 1);
      // Pulumi hands the program every top-level value as a string, and its own `pulumi config set`
      // writes scalars quoted (offlineMode: "false"): a quoted scalar means what the runtime makes of it.
      const typed = typeof plain === "string" && !secret ? decodeConfigValue(short, plain) : plain;
      Object.defineProperty(result.projectConfig, short, { value: typed, enumerable: true, writable: true, configurable: true });
      if (secret) result.projectSecretKeys.push(short);
    }
  }
  return result;
}
