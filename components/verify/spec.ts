// Desired state -> each level's check input. Pure: the Proofs component, `npm run verify`, the
// fault matrix and the benchmark all build their inputs here, so they prove the same things.
import * as YAML from "yaml";
import type { ServiceName, StackConfig } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { centralHost, hostAlloy, isFleet, remoteHosts } from "../../contracts/config/hosts";
import { CONTAINER_PORT, FILES, GRAFANA_RESET_COMMAND, KEBAB } from "../defaults";
import { endpointUrl } from "../naming";
import { ingestionSelector } from "./checks/ingestion";
import { DATASOURCE_UIDS } from "../render/grafana";
import { GATEWAY_SERVICE } from "../render/gateway";
import { LOKI_WRITE_BATCH_WAIT } from "../render/alloy";
import { WATCHDOG_TIMING, watchdogReceiverOf } from "../render/alertmanager";
import type { RedactionLike } from "../../contracts/config/redaction";
import { parseDuration } from "../../contracts/config/values";
import type { AlertDeliveryInput, DriftInput, ExpectedDashboard, HealthInput, IngestionInput, LabelsInput, ProbeSpec, ProvenanceTarget, ReachabilityInput, RulesInput } from "./checks";
import { endpointById, endpointsFor, HEALTH_CONTRACT, HealthContract } from "./contract";
import { configDirs, DeclaredUpload } from "./config-dirs";
import { LEVEL_TABLE } from "./levels";
import type { Level } from "./types";

export interface DesiredFile {
  /** Absolute path inside the container. */
  path: string;
  sha256: string;
  content: string;
}

/** Everything the proofs need that is known before anything runs. No secrets. */
export interface DesiredState {
  config: Omit<StackConfig, "grafanaAdminPassword">;
  network: string;
  /** Docker container names per service. */
  containers: Record<ServiceName, string>;
  /** Non-secret rendered files per service. */
  files: Record<ServiceName, DesiredFile[]>;
  /** Every upload per service, secret ones included (path, mode, owner; a secret's content never). */
  uploads: Record<ServiceName, DeclaredUpload[]>;
  /** An image on the engine whose BusyBox has wget (the stack's own Prometheus image). */
  probeImage: string;
  /** A fleet's gateway on the central host (docs/FLEET.md): its container and uploads; L8 compares its config directory. */
  gateway?: { container: string; files: DesiredFile[]; uploads: DeclaredUpload[] };
}

/** A level that does not run, and why (the report and the summary list it; nothing disappears). */
export interface SkippedLevel {
  level: Level;
  name: string;
  reason: string;
}

/**
 * Which levels run and which are skipped, with the reason: verify.enabled off, the level's own
 * toggle off, a level it checks the output of off (L4 needs L3's marker), or not asked for.
 */
export function levelPlan(cfg: Pick<StackConfig, "verify">, asked?: readonly Level[]): { run: Level[]; skipped: SkippedLevel[] } {
  const v = cfg.verify;
  const why = (d: (typeof LEVEL_TABLE)[number]): string | undefined => {
    if (asked) return asked.includes(d.level) ? undefined : "not asked for (--levels)";
    if (!v.enabled) return "verify.enabled is false";
    if (!v[d.toggle]) return `verify.${d.toggle} is false`;
    const need = d.needs ? LEVEL_TABLE.find((x) => x.level === d.needs) : undefined;
    if (need && !v[need.toggle]) return `it checks the output of ${need.level} ${need.name} and verify.${need.toggle} is false`;
    return undefined;
  };
  const run: Level[] = [];
  const skipped: SkippedLevel[] = [];
  for (const d of LEVEL_TABLE) {
    const r = why(d);
    if (r === undefined) run.push(d.level);
    else skipped.push({ level: d.level, name: d.name, reason: r });
  }
  return { run, skipped };
}

/** Which levels the config turns on (verify.enabled off: none). */
export function enabledLevels(cfg: Pick<StackConfig, "verify">): Level[] {
  return levelPlan(cfg).run;
}

export const PROBE_ENTRYPOINT = ["busybox"];
export const MARKER_FILE = "logging-bootstrap-proof.log";

export function probeSpec(d: Pick<DesiredState, "config" | "network" | "probeImage">): ProbeSpec {
  return { image: d.probeImage, network: d.network, entrypoint: PROBE_ENTRYPOINT, project: d.config.projectName };
}

function requireUrl(cfg: DesiredState["config"], svc: ServiceName): string {
  const u = endpointUrl(cfg as StackConfig, svc);
  if (!u) throw new Error(`ports.${svc} is not set: the proofs reach ${svc} through its published port`);
  return u;
}

export function healthSpec(d: DesiredState, svc: ServiceName, contract: HealthContract = HEALTH_CONTRACT): HealthInput {
  const baseUrl = endpointUrl(d.config as StackConfig, svc);
  const input: HealthInput = {
    service: svc,
    container: d.containers[svc],
    endpoints: endpointsFor(svc, contract),
    policy: contract.defaults,
    successIntervalMs: 100,
  };
  // A service without a published port is checked from inside the stack network (contract text).
  if (baseUrl) input.baseUrl = baseUrl;
  else input.probe = { ...probeSpec(d), alias: KEBAB[svc] };
  return input;
}

export function reachabilitySpec(d: DesiredState): ReachabilityInput {
  const ep = endpointById("loki-ready");
  return {
    probe: probeSpec(d),
    url: `http://${KEBAB.loki}:${CONTAINER_PORT.loki}${ep.path}`,
    expectStatus: ep.expectStatus,
    green: ep.green,
    timeoutMs: 5000,
    attempts: 3,
    deadlineSeconds: 20,
  };
}

/** The configured redactions as the proofs use them (replacement defaulted, canary when given). */
function redactionsOf(d: DesiredState): RedactionLike[] {
  return d.config.alloy.redactions.map((r) => ({ name: r.name, pattern: r.pattern, replacement: r.replacement, ...(r.canary !== undefined ? { canary: r.canary } : {}) }));
}

/** The logs retention in seconds: how long L3's marker is evidence (evidence.ts). */
export function retentionSeconds(cfg: Pick<StackConfig, "retention">): number {
  return Math.floor((parseDuration(cfg.retention.logs) ?? 86_400_000) / 1000);
}

export function ingestionSpec(d: DesiredState): IngestionInput & { alloyUrl?: string; projectName: string; retentionSeconds: number; dockerAllowlist: string[]; journaldUnits: string[] } {
  const input: IngestionInput & { alloyUrl?: string; projectName: string; retentionSeconds: number; dockerAllowlist: string[]; journaldUnits: string[] } = {
    lokiUrl: requireUrl(d.config, "loki"),
    logsRoot: d.config.paths.logsRoot,
    markerFile: MARKER_FILE,
    timeoutSeconds: d.config.verify.timeoutSeconds,
    pollIntervalMs: 500,
    // Nothing can be in Loki before loki.write's batch_wait; from then on the marker is due.
    firstQueryAfterMs: LOKI_WRITE_BATCH_WAIT.ms,
    fastPollMs: 50,
    redactions: redactionsOf(d),
    projectName: d.config.projectName,
    // A marker older than this is re-proved on the next apply (runtime.ts proofDiff).
    retentionSeconds: retentionSeconds(d.config),
    // Refresh shows each configured source flowing (checks/sources.ts).
    dockerAllowlist: [...d.config.alloy.dockerAllowlist],
    journaldUnits: [...d.config.alloy.journaldUnits],
  };
  const alloyUrl = endpointUrl(d.config as StackConfig, "alloy");
  if (alloyUrl) input.alloyUrl = alloyUrl;
  return input;
}

function fileContent(d: DesiredState, svc: ServiceName, path: string): string {
  const f = d.files[svc].find((x) => x.path === path);
  if (!f) throw new Error(`no rendered file ${path} for ${svc}`);
  return f.content;
}

/** L4's inputs without the marker, which comes from L3's result (the program wires L3's output in). */
export function labelsSpec(d: DesiredState): Omit<LabelsInput, "ingestionMarker"> {
  const a = d.config.alloy;
  // The pipeline is read from the running Alloy's component API through its published port.
  const alloyUrl = endpointUrl(d.config as StackConfig, "alloy");
  return {
    ...(alloyUrl ? { alloyUrl } : {}),
    lokiUrl: requireUrl(d.config, "loki"),
    requiredLabels: [...d.config.verify.requiredLabels],
    cardinalityLimit: d.config.verify.cardinalityLimit,
    lookbackSeconds: 3600,
    alloyConfig: fileContent(d, "alloy", FILES.alloyConfig),
    dockerAllowlist: [...a.dockerAllowlist],
    journaldUnits: [...a.journaldUnits],
    redactionCount: a.redactions.length,
    timeoutMs: 5000,
    projectName: d.config.projectName,
    markerSelector: ingestionSelector({ logsRoot: d.config.paths.logsRoot, markerFile: MARKER_FILE }),
    // The marker is looked for around its own second, and re-proved once the retention may have dropped it.
    retentionSeconds: retentionSeconds(d.config),
    ingestionTimeoutSeconds: d.config.verify.timeoutSeconds,
    redactions: redactionsOf(d),
    // The central lists judge the central host's streams only (a host removed from the config leaves
    // its streams in Loki for the lookback); in a fleet each other host's against its Alloy's lists.
    ...(Array.isArray(d.config.hosts) ? { centralHost: centralHost(d.config).name } : {}),
    ...(Array.isArray(d.config.hosts) && isFleet(d.config)
      ? { hostAllowlists: remoteHosts(d.config).map((h) => ({ host: h.name, dockerAllowlist: [...hostAlloy(d.config, h).dockerAllowlist], journaldUnits: [...hostAlloy(d.config, h).journaldUnits] })) }
      : {}),
  };
}

/** Provisioned dashboards: the `uid` and `title` of every dashboard JSON Grafana receives. */
export function expectedDashboards(files: DesiredFile[]): ExpectedDashboard[] {
  const dir = `${FILES.grafanaDashboardsDir}/`;
  return files
    .filter((f) => f.path.startsWith(dir) && f.path.endsWith(".json"))
    .map((f) => {
      const { uid, title } = JSON.parse(f.content) as { uid?: unknown; title?: unknown };
      if (typeof uid !== "string" || typeof title !== "string") throw new Error(`dashboard ${f.path} has no uid or title`);
      return { uid, title };
    })
    .sort((a, b) => a.uid.localeCompare(b.uid));
}

/** The rendered rules file: group name -> the names (alert or record) of its rules. */
export function expectedRules(files: DesiredFile[]): Record<string, string[]> {
  const f = files.find((x) => x.path === FILES.prometheusRules);
  if (!f) return {};
  const doc = YAML.parse(f.content) as { groups?: { name?: unknown; rules?: { alert?: unknown; record?: unknown }[] }[] };
  return Object.fromEntries((doc.groups ?? []).map((g) => [String(g.name), (g.rules ?? []).map((r) => String(r.alert ?? r.record)).sort()]));
}

export function dashboardsSpec(d: DesiredState): { grafanaUrl: string; user: string; dashboards: ExpectedDashboard[]; datasources: string[]; deadlineSeconds: number; timeoutMs: number; grafanaContainer: string; passwordFile: string } {
  return {
    grafanaUrl: requireUrl(d.config, "grafana"),
    user: "admin",
    dashboards: expectedDashboards(d.files.grafana),
    datasources: Object.values(DATASOURCE_UIDS).sort(),
    deadlineSeconds: 30,
    timeoutMs: 3000,
    grafanaContainer: d.containers.grafana,
    passwordFile: FILES.grafanaAdminPassword,
  };
}

/** GrafanaAdminPassword's inputs (no secret: the password is added by the caller as a secret). */
export interface GrafanaAdminSpec {
  grafanaUrl: string;
  user: string;
  container: string;
  passwordFile: string;
  resetCommand: string[];
  deadlineSeconds: number;
  timeoutMs: number;
}

/** undefined when Grafana publishes no port: the login it proves goes through the published port. */
export function grafanaAdminSpec(cfg: DesiredState["config"], container: string): GrafanaAdminSpec | undefined {
  const grafanaUrl = endpointUrl(cfg as StackConfig, "grafana");
  if (!grafanaUrl) return undefined;
  return { grafanaUrl, user: "admin", container, passwordFile: FILES.grafanaAdminPassword, resetCommand: [...GRAFANA_RESET_COMMAND], deadlineSeconds: 90, timeoutMs: 3000 };
}

export function rulesSpec(d: DesiredState): RulesInput {
  return { prometheusUrl: requireUrl(d.config, "prometheus"), expectedRules: expectedRules(d.files.prometheus), deadlineSeconds: 60, timeoutMs: 3000 };
}

/** L7 targets; imageId/repoDigest are the recorded RemoteImage values (or what the caller resolved). */
export function provenanceTargets(d: DesiredState, images: Record<ServiceName, { imageId: string; repoDigest?: string; unverified?: string }>): ProvenanceTarget[] {
  return SERVICES.map((svc) => {
    const i = images[svc];
    return { service: svc, container: d.containers[svc], imageRef: d.config.images[svc], imageId: i.imageId, repoDigest: i.repoDigest ?? "", ...(i.unverified ? { unverified: i.unverified } : {}) };
  });
}

/** L8's input without the drift key and the recorded keyed hashes (the caller adds them: secrets). */
export function driftSpec(d: DesiredState): DriftInput {
  return {
    project: d.config.projectName,
    containers: [
      ...SERVICES.filter((svc) => d.uploads[svc].length > 0).map((svc) => ({ service: svc as string, container: d.containers[svc], dirs: configDirs(d.uploads[svc]) })),
      // The gateway's key is its service label, as in configSecretDigests.
      ...(d.gateway && d.gateway.uploads.length > 0 ? [{ service: GATEWAY_SERVICE, container: d.gateway.container, dirs: configDirs(d.gateway.uploads) }] : []),
    ],
    timeoutMs: 10000,
  };
}

/** The alert L9 follows: always firing (components/render/rules/watchdog.ts). */
export const WATCHDOG_ALERT = "Watchdog";
/**
 * How recent a sink's notification must be: Watchdog's route repeats every minute, checked every
 * 10 s (WATCHDOG_TIMING in components/render/alertmanager.ts), so one arrives at least every ~70 s;
 * twice that leaves room for one missed post without accepting a path that broke long ago.
 */
export const ALERT_MAX_AGE_MS = 150_000;

/** How long L9 watches Alertmanager's counters for a delivery: one repeat of the Watchdog's route plus its group interval and a margin. */
export function deliveryWindowMs(): number {
  const ms = (d: string) => parseDuration(d) ?? 0;
  return ms(WATCHDOG_TIMING.repeat_interval) + ms(WATCHDOG_TIMING.group_interval) + 10_000;
}

/**
 * L9's input: Alertmanager through its published port; the sink (test environment) when
 * verify.alertSinkUrl is set, else Alertmanager's own counters for the receiver. The receiver is
 * the one the rendered route sends Watchdog to (watchdogReceiverOf, shared with the renderer); a
 * wall clock of verify.timeoutSeconds covers Prometheus' first evaluation, group_wait and the post.
 */
export function alertDeliverySpec(d: DesiredState): AlertDeliveryInput {
  const cfg = d.config;
  const input: AlertDeliveryInput = {
    alertmanagerUrl: requireUrl(cfg, "alertmanager"),
    receiver: watchdogReceiverOf(cfg.alerting),
    expectedLabels: { alertname: WATCHDOG_ALERT, project: cfg.projectName },
    timeoutMs: cfg.verify.timeoutSeconds * 1000,
    pollMs: 1000,
    requestTimeoutMs: 3000,
    deliveryWindowMs: deliveryWindowMs(),
  };
  if (cfg.verify.alertSinkUrl) {
    input.sinkUrl = cfg.verify.alertSinkUrl;
    input.maxAgeMs = ALERT_MAX_AGE_MS;
  }
  return input;
}
