// The whole suite against a deployed stack, outside Pulumi: `npm run verify`, the fault matrix and
// the benchmark. Same spec builders and check functions as the providers.
import type { ServiceName } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { bucketOf, ErrorCode } from "../../contracts/errors";
import * as checks from "./checks";
import type { RetryPolicy } from "./contract";
import { DesiredState, dashboardsSpec, driftSpec, enabledLevels, healthSpec, ingestionSpec, labelsSpec, provenanceTargets, reachabilitySpec, rulesSpec } from "./spec";
import type { Io, Level, ProofResult } from "./types";
import { LEVEL_NAMES, LEVELS } from "./types";

export type ImageRecord = Record<ServiceName, { imageId: string; repoDigest?: string }>;

export interface SuiteOverrides {
  /** L1 retry policy fields (e.g. a short deadline in the fault matrix). */
  health?: Partial<RetryPolicy>;
  /** L3 wall clock. */
  ingestionTimeoutSeconds?: number;
  pollIntervalMs?: number;
  /** L2/L5/L6 retry deadline. */
  deadlineSeconds?: number;
  lookbackSeconds?: number;
  /** L2 probe request timeout and attempts. */
  probeTimeoutMs?: number;
  probeAttempts?: number;
}

export interface SuiteOptions {
  levels?: Level[];
  /** Grafana admin password for L5 when Grafana's own secret file cannot be read (never printed). */
  password?: string;
  /** L7's expected images per service. */
  images?: ImageRecord;
  parallel?: boolean;
  overrides?: SuiteOverrides;
}

export interface LevelReport extends ProofResult {
  name: string;
  bucket?: string;
}

export interface SuiteReport {
  status: "green" | "warn" | "red";
  exitCode: 0 | 1 | 2;
  parallel: boolean;
  durationMs: number;
  levels: LevelReport[];
}

/** Merge per-service L1 results into one level result. */
export function mergeHealth(results: ProofResult[], durationMs: number): ProofResult {
  const red = results.filter((r) => r.status === "red");
  const out: ProofResult = {
    level: "L1",
    status: red.length ? "red" : "green",
    durationMs,
    findings: results.flatMap((r) => r.findings),
    diagnostics: Object.fromEntries(results.map((r) => [String(r.diagnostics.service), r.diagnostics])),
  };
  if (red.length) out.code = red[0].code;
  return out;
}

function timed(level: Level, io: Io, f: () => Promise<ProofResult>): Promise<ProofResult> {
  const t0 = io.clock.now();
  return f().catch((e: unknown) => {
    const err = e as { code?: string; message?: string };
    const code = (err?.code && /^E_[A-Z_]+$/.test(err.code) ? err.code : "E_INTERNAL") as ErrorCode;
    return { level, status: "red" as const, code, durationMs: io.clock.now() - t0, findings: [String(err?.message ?? e).split("\n")[0]], diagnostics: { error: String(err?.message ?? e) } };
  });
}

/** One runner per level, built from the desired state. */
export function levelRunners(d: DesiredState, opts: SuiteOptions): Record<Level, (io: Io) => Promise<ProofResult>> {
  const o = opts.overrides ?? {};
  return {
    L1: async (io) => {
      const t0 = io.clock.now();
      const results = await Promise.all(
        SERVICES.map((svc) => {
          const spec = healthSpec(d, svc);
          spec.policy = { ...spec.policy, ...o.health };
          return checks.checkHealth(spec, io);
        }),
      );
      return mergeHealth(results, io.clock.now() - t0);
    },
    L2: (io) => {
      const spec = reachabilitySpec(d);
      if (o.deadlineSeconds !== undefined) spec.deadlineSeconds = o.deadlineSeconds;
      if (o.probeTimeoutMs !== undefined) spec.timeoutMs = o.probeTimeoutMs;
      if (o.probeAttempts !== undefined) spec.attempts = o.probeAttempts;
      return checks.checkReachability(spec, io);
    },
    L3: (io) => {
      const spec = ingestionSpec(d);
      if (o.ingestionTimeoutSeconds !== undefined) spec.timeoutSeconds = o.ingestionTimeoutSeconds;
      if (o.pollIntervalMs !== undefined) spec.pollIntervalMs = o.pollIntervalMs;
      return checks.checkIngestion(spec, io);
    },
    L4: (io) => {
      const spec = labelsSpec(d);
      if (o.lookbackSeconds !== undefined) spec.lookbackSeconds = o.lookbackSeconds;
      return checks.checkLabels(spec, io);
    },
    L5: async (io) => {
      const spec = dashboardsSpec(d);
      // The file the running Grafana reads comes first; --secrets-file / GRAFANA_ADMIN_PASSWORD only without it.
      const password = (await checks.containerGrafanaPassword(io, spec.grafanaContainer, spec.passwordFile)) ?? opts.password;
      if (password === undefined) {
        return { level: "L5", status: "red", code: "E_PROOF_DASHBOARDS", durationMs: 0, findings: [`no Grafana admin password: ${spec.passwordFile} cannot be read from ${spec.grafanaContainer}, and neither --secrets-file nor GRAFANA_ADMIN_PASSWORD is set`], diagnostics: {} };
      }
      return checks.checkDashboards({ ...spec, password, deadlineSeconds: o.deadlineSeconds ?? spec.deadlineSeconds }, io);
    },
    L6: (io) => {
      const spec = rulesSpec(d);
      if (o.deadlineSeconds !== undefined) spec.deadlineSeconds = o.deadlineSeconds;
      return checks.checkRules(spec, io);
    },
    L7: async (io) => {
      if (!opts.images) return { level: "L7", status: "red", code: "E_PROOF_PROVENANCE_MISMATCH", durationMs: 0, findings: ["no recorded images to compare with"], diagnostics: {} };
      return checks.checkProvenance({ containers: provenanceTargets(d, opts.images) }, io);
    },
    L8: (io) => checks.checkConfigDrift(driftSpec(d), io),
  };
}

export function exitCodeOf(levels: ProofResult[]): 0 | 1 | 2 {
  if (levels.some((l) => l.status === "red")) return 2;
  if (levels.some((l) => l.status === "warn")) return 1;
  return 0;
}

export async function runSuite(d: DesiredState, io: Io, opts: SuiteOptions = {}): Promise<SuiteReport> {
  const levels = (opts.levels ?? enabledLevels(d.config)).filter((l) => LEVELS.includes(l));
  const runners = levelRunners(d, opts);
  const parallel = opts.parallel ?? true;
  const t0 = io.clock.now();
  let results: ProofResult[];
  if (parallel) {
    // L3 takes longest (it waits for ingestion): everything else finishes meanwhile.
    results = await Promise.all(levels.map((l) => timed(l, io, () => runners[l](io))));
  } else {
    results = [];
    for (const l of levels) results.push(await timed(l, io, () => runners[l](io)));
  }
  const reports: LevelReport[] = results.map((r) => ({ ...r, name: LEVEL_NAMES[r.level], ...(r.code ? { bucket: bucketOf(r.code) } : {}) }));
  const exitCode = exitCodeOf(results);
  return { status: exitCode === 2 ? "red" : exitCode === 1 ? "warn" : "green", exitCode, parallel, durationMs: io.clock.now() - t0, levels: reports };
}

/**
 * L7 expectations when no recorded state is at hand: the image the pinned reference names on the
 * engine, and the registry's digest for it (so a re-tagged local image does not vouch for itself).
 */
export async function resolveImages(d: DesiredState, io: Io): Promise<ImageRecord> {
  const out = {} as ImageRecord;
  await Promise.all(
    SERVICES.map(async (svc) => {
      const ref = d.config.images[svc];
      const img = await io.docker.inspectImage(ref);
      const repo = ref.replace(/@sha256:[0-9a-f]{64}$/, "").replace(/:[^/:]+$/, "");
      // offlineMode: nothing may reach a registry; the local record is all there is.
      const remote = io.docker.registryDigest && !d.config.offlineMode ? await io.docker.registryDigest(ref) : null;
      const local = img?.repoDigests.find((x) => x.startsWith(`${repo}@`));
      out[svc] = { imageId: img?.id ?? "<image not on the engine>", repoDigest: remote ? `${repo}@${remote}` : local ?? "" };
    }),
  );
  return out;
}

/** Recorded images from a stack-outputs JSON (`images.<svc>`) or a testenv.json (`services.<svc>`). */
export function imagesFromRecord(doc: unknown): ImageRecord {
  const d = doc as { images?: Record<string, { imageId?: string; repoDigest?: string }>; services?: Record<string, { imageId?: string; repoDigest?: string }> };
  const src = d.images ?? d.services;
  if (!src) throw new Error("record has neither images.<service> nor services.<service>");
  const out = {} as ImageRecord;
  for (const svc of SERVICES) {
    const e = src[svc];
    if (!e || typeof e.imageId !== "string") throw new Error(`record has no imageId for ${svc}`);
    out[svc] = { imageId: e.imageId, repoDigest: e.repoDigest ?? "" };
  }
  return out;
}
