// Upgrades and rollbacks as data (pure): which services change image, which data volumes are
// snapshotted first, what a run's upgrade record holds, which old snapshots retention prunes, which
// upgrade a rollback undoes, and the stack file with the previous pins put back.
import YAML from "yaml";
import type { ServiceName } from "../../../contracts/config/schema";
import { DATA_PATH } from "../../../components/defaults";
import secretsPolicy from "../../../contracts/secrets_policy.json";

/**
 * Services whose data a new image may rewrite one way (Prometheus 3 writes a TSDB only 2.55+ reads;
 * Grafana 13 migrates its database on first start; Loki rewrites its index and compactor state).
 * Alloy's volume holds positions and WAL only (rebuilt by re-reading): not snapshotted.
 */
export const STATEFUL_SERVICES: readonly string[] = ["grafana", "loki", "prometheus", "alertmanager"];

/** Upgrade record file in a run bundle, and the folder of its snapshots. */
export const UPGRADE_FILE = "upgrade.json";
export const ROLLBACK_FILE = "rollback.json";
export const BACKUPS_DIR = "backups";

export interface DeployedService {
  /** The image reference the deployed container was created from (stack output images.<svc>.ref). */
  ref: string;
  container?: string;
  volume?: string;
}

/** What the last `up` deployed, from the stack outputs (images, containers, volumes). */
export function deployedFromOutputs(outputs: unknown): Record<string, DeployedService> {
  const o = (outputs ?? {}) as { images?: Record<string, { ref?: unknown }>; containers?: Record<string, unknown>; volumes?: Record<string, unknown> };
  const out: Record<string, DeployedService> = {};
  for (const [svc, img] of Object.entries(o.images ?? {})) {
    if (typeof img?.ref !== "string") continue;
    const d: DeployedService = { ref: img.ref };
    if (typeof o.containers?.[svc] === "string") d.container = o.containers[svc] as string;
    if (typeof o.volumes?.[svc] === "string") d.volume = o.volumes[svc] as string;
    out[svc] = d;
  }
  return out;
}

export interface ImageChange {
  service: string;
  from: string;
  to: string;
  /** A stateful service with a data volume: its volume is snapshotted before `up`. */
  snapshot: boolean;
  container?: string;
  volume?: string;
  /** Where the container mounts the volume (the snapshot is taken and restored there). */
  dataPath?: string;
}

/** Every service whose desired image differs from the deployed one (added or removed services are not upgrades). */
export function imageChanges(deployed: Record<string, DeployedService>, desired: Partial<Record<string, string>>): ImageChange[] {
  const out: ImageChange[] = [];
  for (const svc of Object.keys(deployed).sort()) {
    const to = desired[svc];
    const d = deployed[svc];
    if (to === undefined || to === d.ref) continue;
    const dataPath = DATA_PATH[svc as ServiceName];
    const snapshot = STATEFUL_SERVICES.includes(svc) && Boolean(d.volume && d.container && dataPath);
    out.push({ service: svc, from: d.ref, to, snapshot, ...(d.container ? { container: d.container } : {}), ...(d.volume ? { volume: d.volume } : {}), ...(snapshot ? { dataPath } : {}) });
  }
  return out;
}

/**
 * Secrets are never part of a snapshot: they are delivered as files under their own paths
 * (contracts/secrets_policy.json), outside every data volume. A data path holding one is refused.
 */
export function secretInside(dataPath: string, secrets: readonly string[] = secretsPolicy.secrets.map((s) => s.delivery.containerPath)): string | undefined {
  const base = dataPath.replace(/\/+$/, "");
  return secrets.find((p) => p === base || p.startsWith(`${base}/`));
}

export interface BackupEntry {
  service: string;
  volume: string;
  container: string;
  dataPath: string;
  /** Relative to the run bundle: backups/<volume>.tar.gz. */
  file: string;
  sha256: string;
  bytes: number;
}

export interface UpgradeRecord {
  version: 1;
  stack: string;
  run: string;
  /** Every deployed pin before this run (what a rollback restores). */
  previousImages: Record<string, string>;
  /** The pins this run applied. */
  desiredImages: Record<string, string>;
  changes: ImageChange[];
  backups: BackupEntry[];
  /** Older snapshots this run deleted under backups.keep (run, files), never silently. */
  pruned: Array<{ run: string; files: string[] }>;
  /** Set on the record when retention later deleted its snapshots. */
  prunedBy?: string;
  /** Stateful services whose volume did not exist before up: nothing was snapshotted for them. */
  absent?: Array<{ service: string; volume: string }>;
}

export function backupFileName(volume: string): string {
  return `${BACKUPS_DIR}/${volume}.tar.gz`;
}

export interface UpgradeIndexEntry {
  run: string;
  stack: string;
  /** Snapshots still on disk. */
  hasBackups: boolean;
}

/** Runs whose snapshots retention deletes: all but the newest `keep` of the stack that still have them. */
export function snapshotsToPrune(entries: readonly UpgradeIndexEntry[], stack: string, keep: number): string[] {
  const withBackups = entries.filter((e) => e.stack === stack && e.hasBackups).map((e) => e.run).sort().reverse();
  return withBackups.slice(Math.max(1, keep));
}

export interface RollbackIndexEntry {
  run: string;
  stack: string;
  /** The upgrade run it rolled back. */
  upgradeRun: string;
}

/**
 * The upgrade a rollback undoes: the named run, or the newest upgrade of the stack not already
 * rolled back. Undefined when there is none.
 */
export function pickUpgrade(upgrades: readonly UpgradeIndexEntry[], rollbacks: readonly RollbackIndexEntry[], stack: string, run?: string): string | undefined {
  const mine = upgrades.filter((u) => u.stack === stack);
  if (run !== undefined) return mine.find((u) => u.run === run)?.run;
  const undone = new Set(rollbacks.filter((r) => r.stack === stack).map((r) => r.upgradeRun));
  return mine.map((u) => u.run).filter((r) => !undone.has(r)).sort().pop();
}

const NS = "logging-bootstrap:";

/**
 * The stack file with `images.<svc>` set back to the previous pins of the services the upgrade
 * changed, everything else (comments, order, secure values) untouched.
 */
export function withPreviousPins(stackFileText: string, changes: readonly Pick<ImageChange, "service" | "from">[]): string {
  const doc = YAML.parseDocument(stackFileText);
  for (const c of changes) doc.setIn(["config", `${NS}images`, c.service], c.from);
  return doc.toString();
}
