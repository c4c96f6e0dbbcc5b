// Redaction of secrets (P8): nothing secret may reach stdout, logs or run bundles.
// Three layers, because no single one is enough:
//  1. structure: values under secret-looking keys and Pulumi secret envelopes become ***REDACTED***;
//  2. known values: every secret value the run has seen (learned in layer 1, from the environment,
//     from `pulumi stack output --show-secrets`, from secrets.local.env) is scrubbed from any text;
//  3. patterns: `password=...`, `Bearer ...`, URL userinfo, for secrets nobody told us about.
// Every byte the operator CLIs print or write under out/ goes through one Redactor.
import fs from "node:fs";
import { ALERTING_SECRET_FIELDS, HOST_TLS_SECRET_FIELDS } from "../../contracts/config/rules/secrets";
import { isSecretSig, REDACTED } from "../../contracts/plan";

export { REDACTED };

/** Key names whose values are secrets. `key` alone is too broad (configKey, sortKey): only compounds. */
export const SECRET_KEY_RE = /(password|passwd|passphrase|secret|token|credential|private_?key|api_?key|access_?key|secret_?key|^auth$|authorization|cookie)/i;
/** Keys that merely talk *about* secrets and never hold one (redacting them would hide useful facts).
 *  (`secret: true` in `pulumi config --json` is a boolean: booleans are never redacted anyway.) */
const NOT_SECRET_KEYS = new Set(["secretKeys", "secrets_policy", "secretNames", "secretCount"]);

const MIN_SECRET_LEN = 4;
/** Longer "secrets" are whole documents (a file's content), not credentials: one regex of them all would not compile. */
const MAX_SECRET_LEN = 16 * 1024;

const PATTERNS: Array<[RegExp, string]> = [
  // key=value / key: value forms in free text (logs, error messages).
  [/((?:password|passwd|passphrase|secret|token|api[_-]?key)[A-Za-z0-9_]*["']?\s*[=:]\s*["']?)(?!\*\*\*REDACTED)([^\s"',;&}]+)/gi, `$1${REDACTED}`],
  [/(\bbearer\s+)(?!\*\*\*REDACTED)([A-Za-z0-9._~+/=-]+)/gi, `$1${REDACTED}`],
  [/(\bbasic\s+)(?!\*\*\*REDACTED)([A-Za-z0-9+/=]{8,})/gi, `$1${REDACTED}`],
  // URL userinfo: scheme://user:pass@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)(?!\*\*\*REDACTED)([^@\s/]+)(@)/gi, `$1${REDACTED}$3`],
];


export function isSecretKey(key: string): boolean {
  return !NOT_SECRET_KEYS.has(key) && SECRET_KEY_RE.test(key);
}

/**
 * A credential leaf by position (alerting receivers: webhook.url, slack.apiUrl, email.authPassword;
 * a host's Docker TLS: tls.caPem, tls.certPem, tls.keyPem): `url` alone is no secret, `url` under
 * `webhook` is (it may embed a token).
 */
export function isCredentialLeaf(parentKey: string | undefined, key: string): boolean {
  if (parentKey === undefined) return false;
  if (parentKey === "tls" && (HOST_TLS_SECRET_FIELDS as readonly string[]).includes(key)) return true;
  return ALERTING_SECRET_FIELDS.some(([kind, field]) => kind === parentKey && field === key);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class Redactor {
  private readonly values = new Set<string>();
  private compiled: RegExp | undefined;

  /** Remember a secret value so it is scrubbed from every later text. */
  add(value: unknown): void {
    if (typeof value === "number") value = String(value);
    if (typeof value !== "string") return;
    const v = value.trim();
    if (v.length < MIN_SECRET_LEN || v.length > MAX_SECRET_LEN || v === REDACTED || v === "[secret]") return;
    if (!this.values.has(v)) {
      this.values.add(v);
      this.compiled = undefined;
      // JSON-escaped form too, for secrets with quotes/backslashes embedded in serialized text.
      const esc = JSON.stringify(v).slice(1, -1);
      if (esc !== v) this.values.add(esc);
    }
  }

  /**
   * Learn every string leaf of a value that is a secret (envelope, secret-named key, or a credential
   * leaf such as alerting.receivers[].webhook.url). A secret string holding a JSON document (a
   * structured config key with `secure:` leaves, as `pulumi config get` prints it) also teaches its
   * credential leaves, so each one is scrubbed on its own wherever it shows up.
   */
  learn(value: unknown, underSecretKey = false, parentKey?: string): void {
    if (isSecretSig(value)) {
      this.learn((value as Record<string, unknown>).value, true);
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) this.learn(v, underSecretKey, parentKey);
      return;
    }
    if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) this.learn(v, underSecretKey || isSecretKey(k) || isCredentialLeaf(parentKey, k), k);
      return;
    }
    if (underSecretKey && typeof value === "string" && /^\s*[{[]/.test(value)) {
      try {
        this.learn(JSON.parse(value) as unknown, false);
      } catch {
        // not JSON: learned as one value below
      }
    }
    if (underSecretKey) this.add(value);
  }

  /** Secret values from the environment (PULUMI_CONFIG_PASSPHRASE, *_PASSWORD, *_TOKEN ...). */
  learnEnv(env: NodeJS.ProcessEnv = process.env): void {
    for (const [k, v] of Object.entries(env)) if (v && isSecretKey(k)) this.add(v);
  }

  /** Every value of a KEY=VALUE file (secrets.local.env holds nothing but secrets). */
  learnEnvFile(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      return;
    }
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/.exec(line);
      if (m) this.add(m[1].replace(/^["']|["']$/g, ""));
    }
  }

  get size(): number {
    return this.values.size;
  }

  /** Scrub known secret values only (safe on serialized JSON: the result stays valid JSON). */
  known(s: string): string {
    if (this.values.size === 0) return s;
    if (!this.compiled) {
      const alts = [...this.values].sort((a, b) => b.length - a.length).map(escapeRe);
      this.compiled = new RegExp(alts.join("|"), "g");
    }
    return s.replace(this.compiled, REDACTED);
  }

  /** Scrub known values and secret-looking patterns from free text. */
  text(s: string): string {
    s = this.known(s);
    for (const [re, rep] of PATTERNS) s = s.replace(re, rep);
    return s;
  }

  /** Deep copy with secrets redacted (learns what it redacts, so later text is scrubbed too). */
  value<T>(v: T): T {
    this.learn(v);
    return this.walk(v, false) as T;
  }

  private walk(v: unknown, secret: boolean, parentKey?: string): unknown {
    if (isSecretSig(v)) return REDACTED;
    if (Array.isArray(v)) return v.map((x) => this.walk(x, secret, parentKey));
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.walk(x, secret || isSecretKey(k) || isCredentialLeaf(parentKey, k), k);
      return out;
    }
    if (secret && (typeof v === "string" || typeof v === "number")) return v === "[secret]" ? v : REDACTED;
    if (typeof v === "string") return this.text(v);
    return v;
  }

  /** One JSON line (no trailing newline), redacted: for events.jsonl and runs.jsonl. */
  line(v: unknown): string {
    return this.known(JSON.stringify(this.value(v)));
  }

  /** JSON text of a value, redacted, pretty-printed with a final newline. */
  json(v: unknown): string {
    // Leaves were pattern-scrubbed by value(); on the serialized text only known values are replaced
    // (patterns could match `"passwordSet": true` and break the JSON).
    return this.known(JSON.stringify(this.value(v), null, 2)) + "\n";
  }
}

/** The process-wide redactor: CLIs learn into it and print through it. */
export const redactor = new Redactor();
redactor.learnEnv();

/**
 * Print a value as JSON. Not through print(): its free-text patterns would turn `"passwordSet": true`
 * into `"passwordSet": ***REDACTED***` (invalid JSON); json() already scrubbed every string leaf.
 */
export function printJson(v: unknown): void {
  process.stdout.write(redactor.json(v));
}

export function print(s: string): void {
  process.stdout.write(redactor.text(s.endsWith("\n") ? s : s + "\n"));
}

export function printErr(s: string): void {
  process.stderr.write(redactor.text(s.endsWith("\n") ? s : s + "\n"));
}
