// What the engine's event stream (Automation API `onEvent`) tells a run, as pure functions:
//   - live progress: one line as each resource starts and one as it ends, with its time, proofs
//     named by level; policy violations and error diagnostics as they arrive;
//   - the cause of a failed operation: the code of the error diagnostic of the resource that
//     failed (a proof's own taxonomy code, or its level's code), then the program's own error
//     (a config error), then a mandatory policy; warnings never name the failure;
//   - what a refresh or an `up --expect-no-changes` found changed.
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { ErrorCode, ErrorRecord, errorRecord, taxonomyEntry } from "../../../contracts/errors";
import { LEVEL_TABLE } from "../../../components/verify/levels";
import { POLICY_CODES } from "../steps";
import { formatDuration } from "../progress";

export interface DiagnosticRecord {
  urn?: string;
  severity: string;
  message: string;
}

export interface EngineTrack {
  /** When each resource's step started (local clock, ms), by URN. */
  started: Map<string, { at: number; op: OpType }>;
  /** Resources whose step failed, in order. */
  failed: string[];
  /** Error and warning diagnostics (cleaned, first 20 lines each). */
  diagnostics: DiagnosticRecord[];
  policy: Array<{ policy: string; level: string; urn?: string; message: string }>;
  /** Every step that was not `same`, by URN (a refresh's changes, a preview's plan). */
  changed: Map<string, { op: OpType; type: string; diffs: string[] }>;
  summary?: { resourceChanges: Record<string, number | undefined>; durationSeconds: number };
  /** Steps that ran (not `same`), with their durations. */
  steps: Array<{ urn: string; type: string; op: OpType; ms: number; failed: boolean }>;
  sameCount: number;
}

export function newTrack(): EngineTrack {
  return { started: new Map(), failed: [], diagnostics: [], policy: [], changed: new Map(), steps: [], sameCount: 0 };
}

const COLOR_TAG = /<\{%[^%]*%\}>/g;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** A provider's internal location in front of its message (`sdk-v2/provider2.go:572: sdk.helper_schema: `). */
const PROVIDER_PREFIX = /^(\s*)(?:\* )?(?:[\w-]+\/[\w./-]+\.go:\d+: )?(?:sdk\.helper_schema: )?/;

/** A diagnostic's text without colour tags, blank lines and "N error(s) occurred:" headers, at most `lines` lines. */
export function cleanMessage(m: string, lines = 20): string {
  return m
    .replace(COLOR_TAG, "")
    .replace(ANSI, "")
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() && !/^\s*\d+ errors? occurred:?$/.test(l))
    .map((l) => l.replace(PROVIDER_PREFIX, "$1"))
    .slice(0, lines)
    .join("\n");
}

/** `urn:pulumi:s::p::a$b:c:D::name` -> `name`. */
export function nameOfUrn(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i < 0 ? urn : urn.slice(i + 2);
}

const PROOF_TYPES = new Map(LEVEL_TABLE.map((d) => [`pulumi-nodejs:dynamic/logging-bootstrap:${d.proofType}`, d]));

/** The proof level a resource type is (L1-L9), if it is one. */
export function levelOfType(type: string): (typeof LEVEL_TABLE)[number] | undefined {
  return PROOF_TYPES.get(type);
}

/** A resource as an operator names it: `container logging-local-loki`, `proof L1 health logging-local-health-loki`. */
export function resourceLabel(type: string, urn: string): string {
  const level = levelOfType(type);
  if (level) return `proof ${level.level} ${level.name} ${nameOfUrn(urn)}`;
  const tail = type.split(":").pop() ?? type;
  const kind = tail.charAt(0).toLowerCase() + tail.slice(1);
  return `${kind} ${nameOfUrn(urn)}`;
}

const VERBS: Partial<Record<OpType, [string, string]>> = {
  create: ["creating", "created"],
  update: ["updating", "updated"],
  replace: ["replacing", "replaced"],
  "create-replacement": ["creating replacement", "created replacement"],
  delete: ["deleting", "deleted"],
  "delete-replaced": ["deleting replaced", "deleted replaced"],
  import: ["importing", "imported"],
  discard: ["forgetting", "forgot"],
};

/** Steps that change nothing: no progress line, not a change. */
const QUIET_OPS: ReadonlySet<string> = new Set(["same", "read", "refresh", "remove-pending-replace", "discard-replaced"]);

/** A resource that does work (not a component, the stack, or a default provider). */
function isCustom(m: { old?: { custom?: boolean }; new?: { custom?: boolean }; type: string }): boolean {
  // `custom` is left out of an event's state when false (components, the stack).
  const s = m.new ?? m.old;
  if (s && s.custom !== true) return false;
  return !m.type.startsWith("pulumi:pulumi:") && !m.type.startsWith("pulumi:providers:");
}

/**
 * Absorb one engine event; returns the progress lines it earns (none for most). `now` is the local
 * clock when the event arrived (events carry whole seconds only). `planning` marks a preview.
 */
export function absorb(t: EngineTrack, e: EngineEvent, now: number): string[] {
  const out: string[] = [];
  if (e.resourcePreEvent) {
    const m = e.resourcePreEvent.metadata;
    if (m.op === "same") t.sameCount++;
    const changed = !QUIET_OPS.has(m.op) || (m.diffs?.length ?? 0) > 0;
    if (changed && isCustom(m)) t.changed.set(m.urn, { op: m.op, type: m.type, diffs: m.diffs ?? Object.keys(m.detailedDiff ?? {}) });
    if (QUIET_OPS.has(m.op) || !isCustom(m)) return out;
    t.started.set(m.urn, { at: now, op: m.op });
    const verb = VERBS[m.op]?.[0] ?? m.op;
    out.push(e.resourcePreEvent.planning ? `plan: ${m.op} ${resourceLabel(m.type, m.urn)}` : `${verb} ${resourceLabel(m.type, m.urn)}`);
    return out;
  }
  if (e.resOutputsEvent) {
    const m = e.resOutputsEvent.metadata;
    // A refresh reports what it found here: the step's result (update: drifted, delete: gone).
    if (!QUIET_OPS.has(m.op) && isCustom(m) && !t.changed.has(m.urn)) t.changed.set(m.urn, { op: m.op, type: m.type, diffs: m.diffs ?? Object.keys(m.detailedDiff ?? {}) });
    const s = t.started.get(m.urn);
    if (!s || e.resOutputsEvent.planning) return out;
    t.started.delete(m.urn);
    const ms = Math.max(0, now - s.at);
    t.steps.push({ urn: m.urn, type: m.type, op: s.op, ms, failed: false });
    out.push(`${VERBS[s.op]?.[1] ?? s.op} ${resourceLabel(m.type, m.urn)} (${formatDuration(ms)})`);
    return out;
  }
  if (e.resOpFailedEvent) {
    const m = e.resOpFailedEvent.metadata;
    if (!t.failed.includes(m.urn)) t.failed.push(m.urn);
    const s = t.started.get(m.urn);
    t.started.delete(m.urn);
    const ms = s ? Math.max(0, now - s.at) : 0;
    t.steps.push({ urn: m.urn, type: m.type, op: s?.op ?? m.op, ms, failed: true });
    out.push(`FAILED ${m.op} ${resourceLabel(m.type, m.urn)}${s ? ` after ${formatDuration(ms)}` : ""}`);
    return out;
  }
  if (e.diagnosticEvent) {
    const d = e.diagnosticEvent;
    if (d.ephemeral || (d.severity !== "error" && d.severity !== "warning")) return out;
    const message = cleanMessage(d.message);
    if (!message) return out;
    const rec: DiagnosticRecord = { severity: d.severity, message, ...(d.urn ? { urn: d.urn } : {}) };
    if (t.diagnostics.some((x) => x.severity === rec.severity && x.message === rec.message && x.urn === rec.urn)) return out;
    t.diagnostics.push(rec);
    const where = d.urn && !d.urn.includes("pulumi:pulumi:Stack") ? `${nameOfUrn(d.urn)}: ` : "";
    out.push(`${d.severity}: ${where}${headline(message).slice(0, 300)}`);
    return out;
  }
  if (e.policyEvent) {
    const p = e.policyEvent;
    const message = cleanMessage(p.message, 5);
    t.policy.push({ policy: p.policyName, level: p.enforcementLevel, urn: p.resourceUrn, message });
    out.push(`policy ${p.policyName} (${p.enforcementLevel})${p.resourceUrn ? ` on ${nameOfUrn(p.resourceUrn)}` : ""}: ${message.split("\n")[0]}`);
    return out;
  }
  if (e.summaryEvent) {
    t.summary = { resourceChanges: e.summaryEvent.resourceChanges as Record<string, number | undefined>, durationSeconds: e.summaryEvent.durationSeconds };
  }
  return out;
}

/** The line of a diagnostic that says what happened (not the runtime's "Running program ... failed" preamble). */
export function headline(message: string): string {
  const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => !/^Running program '.*' failed with an unhandled exception:$/.test(l)) ?? lines[0] ?? "").slice(0, 400);
}

/** Resources still running (for the heartbeat): their labels and how long each has run. */
export function inFlight(t: EngineTrack, now: number): string[] {
  return [...t.started.entries()].map(([urn, s]) => `${nameOfUrn(urn)} ${formatDuration(now - s.at)}`);
}

/** `{same: 40, update: 2}` -> the ops other than `same` with a count. */
export function changesOf(resourceChanges: Record<string, number | undefined> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(resourceChanges ?? {})) if (op !== "same" && (n ?? 0) > 0) out[op] = n!;
  return out;
}

/** The summary line of an operation: `2 updated, 46 unchanged`. */
export function changeSummaryText(resourceChanges: Record<string, number | undefined> | undefined): string {
  const parts = Object.entries(resourceChanges ?? {}).filter(([, n]) => (n ?? 0) > 0).map(([op, n]) => `${n} ${op === "same" ? "unchanged" : op}`);
  return parts.length ? parts.join(", ") : "no resources";
}

const CODE_RE = /\b(E_[A-Z]+(?:_[A-Z0-9]+)+)\b/g;

/** The first taxonomy code in a text (a code-shaped word that is not in the taxonomy is skipped). */
export function firstTaxonomyCode(text: string): ErrorCode | undefined {
  for (const m of text.matchAll(CODE_RE)) {
    try {
      taxonomyEntry(m[1]);
      return m[1] as ErrorCode;
    } catch {
      /* not a code */
    }
  }
  return undefined;
}

/** What a provider's own error text means, where it carries no code of ours (Docker's wording). */
const PROVIDER_CAUSES: Array<[RegExp, ErrorCode]> = [
  [/port is already allocated|address already in use/i, "E_RUNTIME_PORT_CONFLICT"],
  [/pull access denied|manifest unknown|error pulling image|failed to pull|not found: manifest/i, "E_DEPS_IMAGE_PULL_FAILED"],
  [/Cannot connect to the Docker daemon|docker\.sock: connect|error during connect/i, "E_ENV_DOCKER_UNREACHABLE"],
];

function causeOf(message: string, type: string | undefined): ErrorCode | undefined {
  const own = firstTaxonomyCode(message);
  if (own) return own;
  for (const [re, code] of PROVIDER_CAUSES) if (re.test(message)) return code;
  return type ? levelOfType(type)?.defaultCode : undefined;
}

/**
 * The error record of a failed operation, from the events it produced: the error diagnostics of
 * the first resource that failed (its code, else its level's code), then the program's own error
 * diagnostics (no resource, or the stack), then a mandatory policy violation. `fallback` when the
 * engine named nothing (the caller classifies errors that come before the engine runs).
 */
export function failureFromTrack(step: string, t: EngineTrack, fallback: ErrorCode): ErrorRecord | undefined {
  const errors = t.diagnostics.filter((d) => d.severity === "error");
  for (const urn of t.failed) {
    const mine = errors.filter((d) => d.urn === urn);
    const step0 = t.steps.find((s) => s.urn === urn);
    const type = step0?.type ?? t.changed.get(urn)?.type;
    const text = mine.map((d) => d.message).join("\n");
    const code = causeOf(text, type) ?? fallback;
    const level = type ? levelOfType(type) : undefined;
    const label = type ? resourceLabel(type, urn) : nameOfUrn(urn);
    return errorRecord(code, `pulumi ${step}: ${label} failed${text ? `: ${headline(text)}` : ""}`, {
      details: { step, urn, resource: nameOfUrn(urn), resourceType: type, ...(level ? { level: level.level } : {}), engineMessage: text.slice(0, 4000) },
    });
  }
  const program = errors.filter((d) => !d.urn || d.urn.includes("pulumi:pulumi:Stack") || !t.failed.length);
  for (const d of program) {
    const code = causeOf(d.message, undefined);
    if (!code) continue;
    return errorRecord(code, `pulumi ${step}: ${headline(d.message)}`, { details: { step, ...(d.urn ? { urn: d.urn } : {}), engineMessage: d.message.slice(0, 4000) } });
  }
  const mandatory = t.policy.find((p) => p.level === "mandatory");
  if (mandatory) {
    return errorRecord(POLICY_CODES[mandatory.policy] ?? "E_CONFIG_SCHEMA", `pulumi ${step}: policy ${mandatory.policy}: ${mandatory.message.split("\n")[0]}`, {
      details: { step, policy: mandatory.policy, enforcementLevel: "mandatory", ...(mandatory.urn ? { resource: nameOfUrn(mandatory.urn), urn: mandatory.urn } : {}) },
    });
  }
  if (errors.length) {
    return errorRecord(fallback, `pulumi ${step}: ${headline(errors[0].message)}`, { details: { step, engineMessage: errors.map((d) => d.message).join("\n").slice(0, 4000) } });
  }
  return undefined;
}

/** One engine event as a bundle line (engine-events.jsonl): what happened to which resource, no inputs or outputs. */
export function condense(e: EngineEvent, now: number): Record<string, unknown> | undefined {
  const at = new Date(now).toISOString();
  if (e.resourcePreEvent) {
    const m = e.resourcePreEvent.metadata;
    return { at, event: e.resourcePreEvent.planning ? "plan" : "start", op: m.op, type: m.type, urn: m.urn, ...(m.diffs?.length ? { diffs: m.diffs } : {}) };
  }
  if (e.resOutputsEvent) {
    const m = e.resOutputsEvent.metadata;
    return { at, event: "done", op: m.op, type: m.type, urn: m.urn };
  }
  if (e.resOpFailedEvent) {
    const m = e.resOpFailedEvent.metadata;
    return { at, event: "failed", op: m.op, type: m.type, urn: m.urn, status: e.resOpFailedEvent.status };
  }
  if (e.diagnosticEvent) {
    const d = e.diagnosticEvent;
    if (d.ephemeral) return undefined;
    return { at, event: "diagnostic", severity: d.severity, ...(d.urn ? { urn: d.urn } : {}), message: cleanMessage(d.message, 50) };
  }
  if (e.policyEvent) {
    const p = e.policyEvent;
    return { at, event: "policy", policy: p.policyName, pack: p.policyPackName, enforcementLevel: p.enforcementLevel, ...(p.resourceUrn ? { urn: p.resourceUrn } : {}), message: cleanMessage(p.message, 10) };
  }
  if (e.summaryEvent) return { at, event: "summary", resourceChanges: e.summaryEvent.resourceChanges, durationSeconds: e.summaryEvent.durationSeconds, maybeCorrupt: e.summaryEvent.maybeCorrupt };
  if (e.cancelEvent) return { at, event: "cancel" };
  return undefined;
}
