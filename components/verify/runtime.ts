// What a proof provider does when the engine calls it, as plain functions of the resource's
// properties. providers.ts loads this module lazily (inside each method), so the serialized
// provider captures no module and no client.
import * as crypto from "crypto";
import { BootstrapError, toErrorRecord } from "../../contracts/errors";
import * as checks from "./checks";
import { markerExpired } from "./evidence";
import { makeIo } from "./io";
import { HOST_ENGINE_SECRET_KEYS } from "./host-spec";
import { LEVEL, LEVEL_TABLE, REQUIRED_INPUTS } from "./levels";
import type { Io, Level, ProofResult } from "./types";

/** Properties the provider owns in its outputs (never compared as desired state). */
export const OUTPUT_KEYS: readonly string[] = ["status", "code", "findings", "level", ...LEVEL_TABLE.flatMap((d) => d.extraOutputs ?? [])];
/** Inputs that must never be stored in outputs. */
export const SECRET_KEYS = ["adminPassword"] as const;
/**
 * Secret inputs a proof keeps in its state because refresh needs them again: L8's drift key (the
 * HMAC key of the secret files' keyed hashes; no container holds it, since that is where drift
 * comes from), and a fleet host proof's TLS client certificate for its tcp:// engine (host-spec.ts).
 * The engine stores them encrypted (an output named as a secret input is a secret); they are never
 * part of an id or a diff.
 */
export const STATE_SECRET_KEYS = ["driftKey", ...HOST_ENGINE_SECRET_KEYS] as const;
const PROVIDER_KEY = "__provider";

export type Props = Record<string, unknown>;

/** JSON with sorted keys: the normal form diff and ids are computed on. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .filter((k) => (v as Props)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Props)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The desired-state part of a property bag: no provider text, no secret, no result fields. */
export function desired(props: Props): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === PROVIDER_KEY || [...SECRET_KEYS, ...STATE_SECRET_KEYS].includes(k as never) || OUTPUT_KEYS.includes(k)) continue;
    if (v === undefined || v === null) continue;
    out[k] = v;
  }
  return out;
}

export function proofId(level: Level, props: Props): string {
  return `${level}-${crypto.createHash("sha256").update(canonical(desired(props))).digest("hex").slice(0, 16)}`;
}

/**
 * Outputs: the desired inputs (minus secrets) plus the verdict. Nothing time-dependent: a healthy
 * stack read back gives exactly these again, so `pulumi refresh` shows no changes.
 */
export function proofOutputs(level: Level, props: Props, r: Pick<ProofResult, "status" | "code" | "findings" | "outputs">): Props {
  const kept = Object.fromEntries(STATE_SECRET_KEYS.filter((k) => typeof props[k] === "string").map((k) => [k, props[k]]));
  const out: Props = { ...desired(props), ...kept, ...(r.outputs ?? {}), level, status: r.status, findings: [...r.findings] };
  if (r.code) out.code = r.code;
  return out;
}

export function proofCheck(level: Level, news: Props): { inputs: Props; failures: { property: string; reason: string }[] } {
  const failures = REQUIRED_INPUTS[level].filter((k) => news[k] === undefined || news[k] === null).map((k) => ({ property: k, reason: `${level} proof needs ${k}` }));
  return { inputs: news, failures };
}

/** Warnings that ask for the proof to run again rather than record an accepted state. */
export const REPROVE_CODES: readonly string[] = ["E_PROOF_REPROVE_NEEDED"];

export function proofDiff(olds: Props, news: Props, nowMs: number = Date.now()): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const settled = (olds.status === "green" || olds.status === "warn") && !REPROVE_CODES.includes(String(olds.code ?? ""));
  // A proof whose evidence aged out of Loki (L3's marker past the logs retention) proves anew:
  // the one clock-dependent answer here, and it only ever turns a settled proof into a new run.
  const expired = markerExpired(typeof olds.marker === "string" ? olds.marker : undefined, typeof news.retentionSeconds === "number" ? news.retentionSeconds : undefined, nowMs) !== undefined;
  // A proof that was last seen red (refresh recorded drift) must run again on the next `up`.
  return { changes: !settled || expired || canonical(desired(olds)) !== canonical(desired(news)), replaces: [], deleteBeforeReplace: false };
}

/** The error `pulumi up` shows for a red proof: starts with the taxonomy code, carries diagnostics. */
export function proofError(level: Level, r: ProofResult): BootstrapError {
  const code = r.code ?? "E_INTERNAL";
  const diag = JSON.stringify(r.diagnostics);
  const clipped = diag.length > 6000 ? diag.slice(0, 6000) + "…(truncated)" : diag;
  return new BootstrapError(code, `${level} proof is red: ${r.findings.join("; ")}\ndiagnostics: ${clipped}`, { details: { level, findings: r.findings, diagnostics: r.diagnostics } });
}

export function num(v: unknown, d: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : d;
}

/**
 * The Grafana admin password for L5: the file the running Grafana reads
 * (GF_SECURITY_ADMIN_PASSWORD__FILE) first, then the secret input, then GRAFANA_ADMIN_PASSWORD.
 * State never holds it.
 */
export async function grafanaPassword(props: Props, io: Io): Promise<string | undefined> {
  if (typeof props.grafanaContainer === "string" && typeof props.passwordFile === "string") {
    const fromContainer = await checks.containerGrafanaPassword(io, props.grafanaContainer, props.passwordFile);
    if (fromContainer !== undefined) return fromContainer;
  }
  if (typeof props.adminPassword === "string" && props.adminPassword !== "") return props.adminPassword;
  return process.env.GRAFANA_ADMIN_PASSWORD || undefined;
}

/**
 * Run one level. mode "apply" is create/update (L3 writes its marker); mode "read" is refresh:
 * every level re-runs in full except L3, which only re-checks its non-mutating half (Loki and
 * Alloy ready), because writing markers on every refresh would mutate the host.
 */
export async function runProof(level: Level, props: Props, mode: "apply" | "read", io: Io): Promise<ProofResult> {
  try {
    const special = SPECIAL_RUNS[level];
    if (special) {
      const r = await special(props, mode, io);
      if (r) return r;
    }
    // Check validated the required inputs; each level's input is the property bag itself. L9 is
    // non-mutating (it only reads Alertmanager and the sink): refresh re-runs it in full.
    const check = checks[LEVEL[level].check] as (input: never, io: Io) => Promise<ProofResult>;
    return await check(props as never, io);
  } catch (e) {
    // Only environment failures (Docker unreachable) and bugs get here: still a verdict, never a hang.
    const rec = toErrorRecord(e);
    return { level, status: "red", code: rec.code, durationMs: 0, findings: [rec.message.split("\n")[0]], diagnostics: { error: rec } };
  }
}

/** Levels whose run is not just their check on the property bag (undefined: run the check). */
const SPECIAL_RUNS: Partial<Record<Level, (props: Props, mode: "apply" | "read", io: Io) => Promise<ProofResult | undefined>>> = {
  L3: async (props, mode, io) => {
    if (mode !== "read") return undefined;
    const str = (k: string) => (typeof props[k] === "string" ? (props[k] as string) : undefined);
    const r = await checks.checkIngestionPath(checks.ingestionReadInput(props), io);
    // The last apply's marker aged past the retention: a path that still works asks for a new proof, not red.
    const expired = markerExpired(str("marker"), typeof props.retentionSeconds === "number" ? props.retentionSeconds : undefined, io.clock.now());
    if (expired && r.status !== "red") return { ...r, status: "warn", code: "E_PROOF_REPROVE_NEEDED", findings: [`${expired}: the next apply proves ingestion anew`] };
    return r;
  },
  L5: async (props, _mode, io) => {
    const password = await grafanaPassword(props, io);
    if (password === undefined) {
      return { level: "L5", status: "red", code: "E_PROOF_DASHBOARDS", durationMs: 0, findings: ["no Grafana admin credential available (set GRAFANA_ADMIN_PASSWORD)"], diagnostics: {} };
    }
    return checks.checkDashboards(
      {
        grafanaUrl: String(props.grafanaUrl),
        user: String(props.user ?? "admin"),
        password,
        dashboards: (props.dashboards as checks.ExpectedDashboard[]) ?? [],
        datasources: Array.isArray(props.datasources) ? props.datasources.map(String) : [],
        deadlineSeconds: num(props.deadlineSeconds, 30),
        timeoutMs: num(props.timeoutMs, 3000),
      },
      io,
    );
  },
};

/** One proof run on a fresh Io, its probe session (if it opened one) closed before the answer. */
async function proofRun(level: Level, props: Props, mode: "apply" | "read"): Promise<ProofResult> {
  const io = await makeIo();
  try {
    return await runProof(level, props, mode, io);
  } finally {
    await io.docker.closeProbes();
  }
}

// The provider operations, one function each (providers.ts forwards to these).

export async function create(level: Level, inputs: Props): Promise<{ id: string; outs: Props }> {
  const r = await proofRun(level, inputs, "apply");
  if (r.status === "red") throw proofError(level, r);
  return { id: proofId(level, inputs), outs: proofOutputs(level, inputs, r) };
}

export async function update(level: Level, news: Props): Promise<{ outs: Props }> {
  const r = await proofRun(level, news, "apply");
  if (r.status === "red") throw proofError(level, r);
  return { outs: proofOutputs(level, news, r) };
}

export async function read(level: Level, id: string, props: Props): Promise<{ id: string; props: Props }> {
  const r = await proofRun(level, props, "read");
  // L3's read checks only the path: keep the verdict vocabulary the same as create's.
  return { id, props: proofOutputs(level, props, r) };
}
