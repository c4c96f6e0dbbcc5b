// The whole suite against a deployed stack, outside Pulumi: `npm run verify`, the fault matrix and
// the benchmark. Same spec builders and check functions as the providers.
import type { ServiceName } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { bucketOf, ErrorCode } from "../../contracts/errors";
import * as checks from "./checks";
import type { HostInput, HostIo, HostResult } from "./checks/host";
import type { RetryPolicy } from "./contract";
import { alertDeliverySpec, DesiredState, dashboardsSpec, driftSpec, healthSpec, levelPlan, SkippedLevel, ingestionSpec, labelsSpec, provenanceTargets, reachabilitySpec, rulesSpec } from "./spec";
import type { Io, Level, ProofResult } from "./types";
import { LEVEL_NAMES, LEVELS } from "./types";
import { LEVEL_TABLE } from "./levels";

/** Levels that probe from inside the stack network (LEVEL_TABLE `probes`). */
const PROBING_LEVELS: ReadonlySet<Level> = new Set(LEVEL_TABLE.filter((d) => d.probes).map((d) => d.level));

/** Expected image per service; `unverified` says why no independent digest backs it (L7 warns). */
export type ImageRecord = Record<ServiceName, { imageId: string; repoDigest?: string; unverified?: string }>;

export interface SuiteOverrides {
  /** L1 retry policy fields (e.g. a short deadline in the fault matrix). */
  health?: Partial<RetryPolicy>;
  /** L3 wall clock. */
  ingestionTimeoutSeconds?: number;
  pollIntervalMs?: number;
  /** L2/L5/L6 retry deadline. */
  deadlineSeconds?: number;
  lookbackSeconds?: number;
  /** L9 wall clock and poll interval. */
  alertTimeoutMs?: number;
  alertPollMs?: number;
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
  /** L8's secrets: the drift key and the recorded keyed hashes (without them secret files are "not compared"). */
  drift?: DriftRecord;
  parallel?: boolean;
  overrides?: SuiteOverrides;
  /** The fleet's other hosts, one proof each (checks/host.ts), each with the I/O of its own engine. */
  hosts?: HostRun[];
}

/** One fleet host to prove: its input and its I/O (io.docker is that host's engine); budgetMs bounds the whole proof. */
export interface HostRun {
  input: HostInput;
  io: HostIo;
  budgetMs?: number;
}

/** A host's line of the report. */
export interface HostReport extends HostResult {
  bucket?: string;
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
  /** Levels that did not run, each with the reason (config toggle, a needed level off, not asked for). */
  skipped: SkippedLevel[];
  /** One proof per fleet host when hosts were given; their status counts in the report's. */
  hosts?: HostReport[];
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

/** A level's runner; `before` holds the results of the levels it runs after (LEVEL_AFTER). */
export type LevelRunner = (io: Io, before: Partial<Record<Level, ProofResult>>) => Promise<ProofResult>;

/**
 * The order the program declares (proofs.ts): L4 checks the stream of L3's marker, so it runs after
 * L3 and asking for L4 brings L3 along. L9 runs after L1: a service that is down is L1's finding,
 * and a minute-long wait for an alert through it would say less. Every other level is independent.
 */
export const LEVEL_AFTER: Partial<Record<Level, Level[]>> = { L4: ["L3"], L9: ["L1"] };

/** The levels to run for a request: the asked ones plus what they run after, in LEVELS order. */
export function withPrerequisites(levels: readonly Level[]): Level[] {
  const want = new Set(levels);
  for (const l of levels) for (const p of LEVEL_AFTER[l] ?? []) want.add(p);
  return LEVELS.filter((l) => want.has(l));
}

/** One runner per level, built from the desired state. */
export function levelRunners(d: DesiredState, opts: SuiteOptions): Record<Level, LevelRunner> {
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
      return checks.checkIngestionProof(spec, io);
    },
    L4: (io, before) => {
      const spec = labelsSpec(d);
      if (o.lookbackSeconds !== undefined) spec.lookbackSeconds = o.lookbackSeconds;
      // The stream L3 caused in this run (as in the program, where L4 takes L3's marker).
      const marker = before.L3?.outputs?.marker;
      return checks.checkLabels({ ...spec, ...(typeof marker === "string" ? { ingestionMarker: marker } : {}) }, io);
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
    L8: (io) => checks.checkConfigDrift({ ...driftSpec(d), ...(opts.drift?.key ? { driftKey: opts.drift.key } : {}), secretDigests: opts.drift?.secretDigests ?? {} }, io),
    L9: (io) => {
      const spec = alertDeliverySpec(d);
      if (o.alertTimeoutMs !== undefined) spec.timeoutMs = o.alertTimeoutMs;
      if (o.alertPollMs !== undefined) spec.pollMs = o.alertPollMs;
      return checks.checkAlertDelivery(spec, io);
    },
  };
}

/** One level with what it runs after (L4 after L3): the level's own result. */
export async function runLevel(d: DesiredState, io: Io, opts: SuiteOptions, level: Level): Promise<ProofResult> {
  const r = await runSuite(d, io, { ...opts, levels: [level], parallel: false });
  const mine = r.levels.find((x) => x.level === level)!;
  const { name: _n, bucket: _b, ...result } = mine;
  void _n;
  void _b;
  return result;
}

export function exitCodeOf(levels: readonly { status: ProofResult["status"] }[]): 0 | 1 | 2 {
  if (levels.some((l) => l.status === "red")) return 2;
  if (levels.some((l) => l.status === "warn")) return 1;
  return 0;
}

export async function runSuite(d: DesiredState, io: Io, opts: SuiteOptions = {}): Promise<SuiteReport> {
  // Asked-for levels bring what they run after; the config's own plan never runs a level it turns off.
  const plan = opts.levels ? levelPlan(d.config, withPrerequisites(opts.levels.filter((l) => LEVELS.includes(l)))) : levelPlan(d.config);
  const levels = plan.run;
  const runners = levelRunners(d, opts);
  const parallel = opts.parallel ?? true;
  const t0 = io.clock.now();
  const done: Partial<Record<Level, ProofResult>> = {};
  const started = new Map<Level, Promise<ProofResult>>();
  // Each level starts once the levels it runs after have finished; in parallel mode independent
  // levels overlap (L3 waits for ingestion, the rest finish meanwhile), in sequence they do not.
  const run = (l: Level): Promise<ProofResult> => {
    let p = started.get(l);
    if (!p) {
      p = Promise.all((LEVEL_AFTER[l] ?? []).filter((x) => levels.includes(x)).map(run))
        .then(() => timed(l, io, () => runners[l](io, done)))
        .then((r) => (done[l] = r));
      started.set(l, p);
    }
    return p;
  };
  // The hosts' proofs run beside the levels (each host on its own engine), or after them in sequence.
  const hostsRun = opts.hosts && parallel ? runHosts(opts.hosts, true) : undefined;
  let results: ProofResult[];
  // The probe session closes as soon as the last probing level is done (its removal overlaps the
  // levels still waiting on ingestion), and again at the end should anything have reopened it.
  const probing = levels.filter((l) => PROBING_LEVELS.has(l));
  let closing: Promise<void> | undefined;
  try {
    if (parallel) {
      closing = Promise.all(probing.map(run)).then(() => io.docker.closeProbes(), () => undefined);
      results = await Promise.all(levels.map(run));
    } else {
      results = [];
      for (const l of levels) results.push(await run(l));
    }
  } finally {
    // One probe session per run: its container is gone before the report is.
    await closing;
    await io.docker.closeProbes();
  }
  const reports: LevelReport[] = results.map((r) => ({ ...r, name: LEVEL_NAMES[r.level], ...(r.code ? { bucket: bucketOf(r.code) } : {}) }));
  const hosts = opts.hosts ? await (hostsRun ?? runHosts(opts.hosts, false)) : undefined;
  const exitCode = exitCodeOf([...results, ...(hosts ?? [])]);
  return { status: exitCode === 2 ? "red" : exitCode === 1 ? "warn" : "green", exitCode, parallel, durationMs: io.clock.now() - t0, levels: reports, skipped: plan.skipped, ...(hosts ? { hosts } : {}) };
}

/**
 * One host's proof within its bound (default hostBudgetMs): a proof that does not finish in time,
 * or throws, is red with the host's name instead of holding up or failing the others.
 */
export async function runHost(h: HostRun): Promise<HostResult> {
  const t0 = h.io.clock.now();
  const budgetMs = h.budgetMs ?? checks.hostBudgetMs(h.input);
  const X = h.input.host;
  const red = (code: ErrorCode, finding: string, diagnostics: Record<string, unknown>): HostResult => ({ host: X, status: "red", code, durationMs: h.io.clock.now() - t0, findings: [finding], diagnostics: { host: X, docker: h.input.dockerUrl, ...diagnostics } });
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<HostResult>((resolve) => {
    timer = setTimeout(() => resolve(red("E_PROOF_HOST_UNREACHABLE", `${X}: the host's proof did not finish within ${budgetMs / 1000} s`, { budgetMs })), budgetMs);
  });
  const proof = checks.checkHost(h.input, h.io).catch((e: unknown) => {
    const c = (e as { code?: string })?.code;
    return red((c && /^E_[A-Z_]+$/.test(c) ? c : "E_INTERNAL") as ErrorCode, `${X}: ${String((e as Error)?.message ?? e).split("\n")[0]}`, { error: String((e as Error)?.message ?? e) });
  });
  try {
    return await Promise.race([proof, over]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every host's proof: all at once (parallel) or one after another; a host that is down stops no other. */
export async function runHosts(hosts: readonly HostRun[], parallel: boolean): Promise<HostReport[]> {
  let results: HostResult[];
  if (parallel) results = await Promise.all(hosts.map(runHost));
  else {
    results = [];
    for (const h of hosts) results.push(await runHost(h));
  }
  return results.map((r) => ({ ...r, ...(r.code ? { bucket: bucketOf(r.code) } : {}) }));
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
      // offlineMode: nothing may reach a registry. Without the registry's answer there is nothing
      // independent to compare with: the image's own RepoDigests would vouch for itself, so the
      // digest stays empty and L7 reports the image as unverified, never green.
      const remote = io.docker.registryDigest && !d.config.offlineMode ? await io.docker.registryDigest(ref) : null;
      const why = d.config.offlineMode ? "offlineMode: no registry is asked" : "the registry did not answer for this tag";
      out[svc] = { imageId: img?.id ?? "<image not on the engine>", repoDigest: remote ? `${repo}@${remote}` : "", ...(remote ? {} : { unverified: why }) };
    }),
  );
  return out;
}

/** Recorded images from a stack-outputs JSON (`images.<svc>`) or a testenv.json (`services.<svc>`). */
/** L8's record of a deployed stack: the drift key (a secret) and the keyed hashes of its secret files. */
export interface DriftRecord {
  key?: string;
  secretDigests: Record<string, Record<string, string>>;
}

/**
 * L8's record from a stack-outputs JSON or a testenv.json (`configSecretDigests`, plain) and the
 * drift key: `key` when given (a secrets file or CONFIG_DRIFT_KEY), else `configDriftKey` when the
 * document holds it in clear (`pulumi stack output --json --show-secrets`; "[secret]" otherwise).
 */
export function driftRecordFrom(doc: unknown, key?: string): DriftRecord {
  const d = (doc ?? {}) as { configSecretDigests?: unknown; configDriftKey?: unknown };
  const secretDigests: DriftRecord["secretDigests"] = {};
  if (d.configSecretDigests && typeof d.configSecretDigests === "object") {
    for (const [svc, files] of Object.entries(d.configSecretDigests as Record<string, unknown>)) {
      if (!files || typeof files !== "object") continue;
      const ok = Object.entries(files as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string" && /^[0-9a-f]{64}$/.test(e[1]));
      if (ok.length) secretDigests[svc] = Object.fromEntries(ok);
    }
  }
  const shown = typeof d.configDriftKey === "string" && d.configDriftKey !== "[secret]" && d.configDriftKey !== "" ? d.configDriftKey : undefined;
  const k = key || shown;
  return k ? { key: k, secretDigests } : { secretDigests };
}

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
