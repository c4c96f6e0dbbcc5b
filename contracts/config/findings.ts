// Findings: the one shape every config problem is reported in (config:lint, loadStackConfig,
// render/policy:check/verify). The bucket always comes from the taxonomy, so a finding cannot
// carry a code the taxonomy does not define (BootstrapError refuses it at construction).
import YAML from "yaml";
import { BootstrapError, Bucket, ErrorCode } from "../errors";

export const PROJECT_NAMESPACE = "logging-bootstrap";

export interface Finding {
  code: ErrorCode;
  bucket: Bucket;
  /** Dotted path inside the project namespace (`ports.grafana`, `alloy.redactions[0].name`); "" = the whole file. */
  path: string;
  message: string;
  /** A concrete YAML fragment, in Pulumi.<stack>.yaml form, that fixes the finding. */
  examplePatch: string;
}

export type PathSeg = string | number;

/** A short, never-throwing rendering of any value for messages (null-prototype objects, bigints, symbols...). */
export function show(v: unknown, max = 60): string {
  let s: string;
  try {
    s = typeof v === "bigint" ? `${v.toString()}n` : typeof v === "symbol" ? v.toString() : JSON.stringify(v) ?? typeof v;
  } catch {
    s = typeof v;
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

export function formatPath(segs: readonly PathSeg[]): string {
  let out = "";
  for (const s of segs) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? s : `.${s}`;
  }
  return out;
}

export function finding(code: ErrorCode, path: readonly PathSeg[] | string, message: string, examplePatch: string): Finding {
  // Constructing the error validates the code against the taxonomy at run time too.
  const err = new BootstrapError(code, message);
  return { code, bucket: err.bucket, path: typeof path === "string" ? path : formatPath(path), message, examplePatch };
}

/**
 * Render `value` placed at `path` (inside the project namespace) as a stack-file fragment:
 *   config:
 *     logging-bootstrap:ports:
 *       grafana: 9101
 * Array indices become a one-element list, which shows the element's shape.
 */
export function stackPatch(path: readonly PathSeg[], value: unknown, comment?: string): string {
  if (path.length === 0) return commentLines(comment) + YAML.stringify({ config: value });
  const [top, ...rest] = path;
  let v: unknown = value;
  for (let i = rest.length - 1; i >= 0; i--) {
    const seg = rest[i];
    v = typeof seg === "number" ? [v] : { [seg]: v };
  }
  const doc = { config: { [`${PROJECT_NAMESPACE}:${String(top)}`]: v } };
  try {
    return commentLines(comment) + YAML.stringify(doc, { lineWidth: 0 });
  } catch {
    // A value YAML cannot render (e.g. from a fuzzed input): show the key with a placeholder.
    return commentLines(comment ?? "replace <value> with a valid value") + YAML.stringify({ config: { [`${PROJECT_NAMESPACE}:${String(top)}`]: "<value>" } });
  }
}

/** Several whole top-level keys in one stack-file fragment (a fix that moves values from one key to another). */
export function stackPatchKeys(values: Readonly<Record<string, unknown>>, comment?: string): string {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) config[`${PROJECT_NAMESPACE}:${k}`] = v;
  try {
    return commentLines(comment) + YAML.stringify({ config }, { lineWidth: 0 });
  } catch {
    return commentLines(comment ?? "replace <value> with a valid value") + YAML.stringify({ config: Object.fromEntries(Object.keys(config).map((k) => [k, "<value>"])) });
  }
}

function commentLines(comment?: string): string {
  if (!comment) return "";
  return comment
    .split("\n")
    .map((l) => `# ${l}`)
    .join("\n") + "\n";
}

/** Order findings deterministically (by path, then code) so output is stable across runs. */
export function sortFindings(fs: Finding[]): Finding[] {
  return [...fs].sort((a, b) => (a.path === b.path ? a.code.localeCompare(b.code) : a.path.localeCompare(b.path)));
}

/** One human-readable block per finding (used by config:lint and by loadStackConfig's error). */
export function formatFinding(f: Finding, severity: "error" | "warning" = "error"): string {
  const patch = f.examplePatch.trimEnd().split("\n").map((l) => `      ${l}`).join("\n");
  return `  ${severity} ${f.code} [${f.bucket}] at ${f.path === "" ? "<file>" : f.path}: ${f.message}\n    example patch:\n${patch}`;
}
