// Turning the CLI reports (config:lint, policy:check, verify) into ErrorRecords, and
// collecting evidence (desired state, provenance) from stack outputs and the engine. Pure where possible.
import { ErrorCode, ErrorRecord, errorRecord } from "../../contracts/errors";
import { LEVEL_DEFAULT_CODES as DEFAULT_CODES } from "../../components/verify/levels";

function knownCode(code: unknown): ErrorCode | undefined {
  if (typeof code !== "string") return undefined;
  try {
    return errorRecord(code as ErrorCode, "").code;
  } catch {
    return undefined;
  }
}

interface FindingLike {
  code?: string;
  path?: string;
  message?: string;
  examplePatch?: string;
}

function findingRecord(f: FindingLike, source: string): ErrorRecord {
  const code = knownCode(f.code);
  const details: Record<string, unknown> = { source };
  if (f.path !== undefined) details.path = f.path;
  if (f.examplePatch) details.examplePatch = f.examplePatch;
  if (!code) return errorRecord("E_INTERNAL", `${source} reported an unknown code ${String(f.code)}: ${f.message ?? ""}`, { details });
  return errorRecord(code, f.message ?? code, { details });
}

/** config:lint --json => {ok, errors, warnings} (findings with code, path, message, examplePatch). */
export function lintRecords(report: unknown, exitCode: number | null, stderr: string): { errors: ErrorRecord[]; warnings: ErrorRecord[] } {
  const r = report as { ok?: boolean; errors?: FindingLike[]; warnings?: FindingLike[]; error?: FindingLike } | undefined;
  if (!r || (typeof r.ok !== "boolean" && !r.error)) {
    return { errors: [errorRecord("E_INTERNAL", `config:lint exited ${exitCode} without a JSON report: ${stderr.trim().slice(-500)}`)], warnings: [] };
  }
  const errors = (r.errors ?? []).map((f) => findingRecord(f, "config:lint"));
  if (r.error) errors.push(findingRecord(r.error, "config:lint"));
  if (r.ok === false && errors.length === 0) errors.push(errorRecord("E_CONFIG_SCHEMA", "config:lint reported the stack file not ok"));
  return { errors, warnings: (r.warnings ?? []).map((f) => findingRecord(f, "config:lint")) };
}

/** Policies (policy/policies/*) -> the taxonomy code a violation of each stands for. */
export const POLICY_CODES: Record<string, ErrorCode> = {
  "images-pinned": "E_CONFIG_IMAGE_UNPINNED",
  "exposure-explicit": "E_CONFIG_EXPOSURE",
  "host-paths-absolute": "E_CONFIG_PATH_NOT_ABSOLUTE",
  "host-ports-valid": "E_CONFIG_INVALID_PORT",
  "names-dns-safe": "E_CONFIG_NAME_NOT_DNS_SAFE",
  "secrets-not-plaintext": "E_CONFIG_SECRET_PLAINTEXT",
  "alloy-allowlists": "E_PROOF_LABEL_MISSING",
};

/** policy:check --json => {violations: [{policy, enforcementLevel, resource, message}], errors?: [finding]}. */
export function policyRecords(report: unknown, exitCode: number | null, stderr: string): { errors: ErrorRecord[]; warnings: ErrorRecord[] } {
  const r = report as { violations?: Array<{ policy?: string; enforcementLevel?: string; resource?: string; message?: string }>; errors?: FindingLike[] } | undefined;
  if (!r || !Array.isArray(r.violations)) {
    return { errors: [errorRecord("E_INTERNAL", `policy:check exited ${exitCode} without a JSON report: ${stderr.trim().slice(-500)}`)], warnings: [] };
  }
  const errors: ErrorRecord[] = (r.errors ?? []).map((f) => findingRecord(f, "policy:check"));
  const warnings: ErrorRecord[] = [];
  for (const v of r.violations) {
    const code = POLICY_CODES[v.policy ?? ""] ?? "E_CONFIG_SCHEMA";
    const rec = errorRecord(code, `policy ${v.policy}: ${v.message ?? ""}`.trim(), {
      details: { source: "policy:check", policy: v.policy, enforcementLevel: v.enforcementLevel, resource: v.resource || undefined },
    });
    if (v.enforcementLevel === "mandatory") errors.push(rec);
    else warnings.push(rec);
  }
  if (exitCode === 1 && errors.length === 0) errors.push(errorRecord("E_CONFIG_SCHEMA", "policy:check exited 1 without naming a mandatory violation"));
  return { errors, warnings };
}

/** The code a red or warn level stands for when verify names none (components/verify/levels.ts). */
export const LEVEL_DEFAULT_CODES: Record<string, ErrorCode> = DEFAULT_CODES;

interface LevelLike {
  level?: string;
  status?: string;
  code?: string;
  durationMs?: number;
  findings?: string[];
  diagnostics?: Record<string, unknown>;
}

function verifyLevels(report: unknown): LevelLike[] {
  const levels = (report as { levels?: LevelLike[] } | undefined)?.levels;
  return Array.isArray(levels) ? levels : [];
}

/**
 * verify --json => {stack, status, levels: [{level, status, code, durationMs, findings, diagnostics}]}
 * with exit 0 green or warnings only, 1 a level red; or {status: "error", error: {code, message, ...}}
 * with exit 2/3 when it could not run (scripts/lib/exit-codes.ts). One error per finding of a red
 * level, so each names its service; an exit that is not 0 with nothing red named is E_INTERNAL.
 */
export function verifyRecords(report: unknown, exitCode: number | null, stderr: string): { errors: ErrorRecord[]; warnings: ErrorRecord[] } {
  const levels = verifyLevels(report);
  const errors: ErrorRecord[] = [];
  const warnings: ErrorRecord[] = [];
  const r = report as { errors?: Array<FindingLike & { details?: Record<string, unknown> }>; error?: FindingLike & { action?: string; details?: Record<string, unknown> } } | undefined;
  for (const l of levels) {
    // verify's ProofStatus: green | warn | red.
    const status = String(l.status ?? "");
    const red = status === "red";
    if (!red && status !== "warn") continue;
    const code = knownCode(l.code) ?? LEVEL_DEFAULT_CODES[l.level ?? ""] ?? "E_PROOF_HEALTH";
    const findings = Array.isArray(l.findings) && l.findings.length ? l.findings : Array.isArray(l.diagnostics?.findings) ? (l.diagnostics!.findings as string[]) : [];
    const recs = (findings.length ? findings : [`${l.level} is ${status}`]).map((f) =>
      errorRecord(code, `${l.level}: ${f}`, { details: { source: "verify", level: l.level, finding: f } }),
    );
    (red ? errors : warnings).push(...recs);
  }
  for (const e of [...(r?.errors ?? []), ...(r?.error ? [r.error] : [])]) {
    const code = knownCode(e.code) ?? "E_INTERNAL";
    errors.push(errorRecord(code, e.message ?? code, { details: { source: "verify", ...(e.details ?? {}) } }));
  }
  if (errors.length === 0 && (exitCode ?? 0) !== 0) {
    const why = levels.length ? "although no level is red" : "without a JSON report";
    errors.push(errorRecord("E_INTERNAL", `verify exited ${exitCode} ${why}: ${stderr.trim().slice(-500)}`, { details: { source: "verify" } }));
  }
  return { errors, warnings };
}

/** Leaves of a JSON value with their dotted paths. */
export function leaves(v: unknown, prefix = "", out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${prefix}[${i}]`, out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) leaves(x, prefix ? `${prefix}.${k}` : k, out);
  else out.push([prefix, v]);
  return out;
}

const SHA_RE = /^(sha256:)?[0-9a-f]{64}$/;

/** P1: the rendered SHA-256s the program exports (any output leaf that is a bare SHA-256 and not an image digest). */
export function desiredShasFromOutputs(outputs: unknown): Record<string, string> {
  const shas: Record<string, string> = {};
  for (const [p, v] of leaves(outputs)) {
    if (typeof v !== "string" || !SHA_RE.test(v)) continue;
    if (/digest|image|provenance/i.test(p) || v.startsWith("sha256:")) continue;
    shas[p] = v;
  }
  return shas;
}

/** P10: image digests the program exports (`sha256:...` or `<name>@sha256:...` leaves). */
export function digestsFromOutputs(outputs: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, v] of leaves(outputs)) {
    if (typeof v !== "string") continue;
    if (/@sha256:[0-9a-f]{64}$/.test(v) || (/^sha256:[0-9a-f]{64}$/.test(v) && /digest|image|provenance/i.test(p))) out[p] = v;
  }
  return out;
}
