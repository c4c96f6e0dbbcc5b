// The data steps of destroy, backup and restore, on the upgrade snapshots' machinery
// (scripts/lib/upgrade/volumes.ts): archives through the engine's archive API with the service
// stopped, 0600 in the run bundle with their sha256, checked before a restore touches anything.
//   backup        every data volume of the deployed stack -> out/runs/<run>/backups/, backup.json
//   restore-data  a backup run's archives back into their volumes (services stopped, started again)
//   delete-data   after destroy, with --delete-data --confirm <stack>: the data volumes emptied and removed
import fs from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { BootstrapError, ErrorRecord, errorRecord, toErrorRecord } from "../../../contracts/errors";
import { DATA_PATH, LABEL_DATA, LABEL_PROJECT } from "../../../components/defaults";
import type { ServiceName } from "../../../contracts/config/schema";
import { BACKUPS_DIR, backupFileName, BackupEntry, deployedFromOutputs, secretInside } from "../upgrade/plan";
import type { StepResult } from "../upgrade/steps";
import { containerRunning, fileSha256, restoreVolume, snapshotVolume, stopContainer, volumeExists, waitHealthy, wipeVolume } from "../upgrade/volumes";

export const BACKUP_FILE = "backup.json";
export const RESTORE_FILE = "restore.json";

export interface BackupRecord {
  version: 1;
  stack: string;
  run: string;
  backups: BackupEntry[];
  /** Images deployed when the backup was taken (a restore's helper candidates). */
  images: Record<string, string>;
  absent?: Array<{ service: string; volume: string }>;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** Every data volume the deployed stack has, with its container and mount path (from the outputs). */
export function dataVolumesOf(outputs: unknown): Array<{ service: string; volume: string; container: string; dataPath: string; image: string }> {
  const out = [];
  for (const [svc, d] of Object.entries(deployedFromOutputs(outputs)).sort()) {
    const dataPath = DATA_PATH[svc as ServiceName];
    if (d.volume && d.container && dataPath) out.push({ service: svc, volume: d.volume, container: d.container, dataPath, image: d.ref });
  }
  return out;
}

/** The backup a restore uses: the named run (if it is a backup of this stack), else the newest of the stack. */
export function pickBackup(backups: ReadonlyArray<{ run: string; stack: string }>, stack: string, run?: string): string | undefined {
  const mine = backups.filter((b) => b.stack === stack).map((b) => b.run).sort();
  return run !== undefined ? mine.find((r) => r === run) : mine.pop();
}

/** Backup records of every run bundle under <out>/runs. */
export function scanBackups(outDir: string): Array<{ run: string; stack: string }> {
  const runs = path.join(outDir, "runs");
  if (!fs.existsSync(runs)) return [];
  const out: Array<{ run: string; stack: string }> = [];
  for (const run of fs.readdirSync(runs).sort()) {
    const b = readJson<BackupRecord>(path.join(runs, run, BACKUP_FILE));
    if (b?.stack && b.backups.length) out.push({ run, stack: b.stack });
  }
  return out;
}

interface DataInput {
  docker: Docker;
  stack: string;
  project: string;
  outDir: string;
  runId: string;
  log: (m: string) => void;
}

/** --mode backup: archive every data volume (each service stopped for its copy, started again). */
export async function backupStep(i: DataInput & { outputs: unknown }): Promise<StepResult> {
  const vols = dataVolumesOf(i.outputs);
  if (!vols.length) {
    const e = errorRecord("E_RUNTIME_BACKUP_FAILED", `stack ${i.stack} has no deployed data volume to back up (its outputs name none: apply first)`, { details: { stack: i.stack } });
    return { status: "failed", detail: "nothing deployed", errors: [e], warnings: [] };
  }
  const runDir = path.join(i.outDir, "runs", i.runId);
  const record: BackupRecord = { version: 1, stack: i.stack, run: i.runId, backups: [], images: Object.fromEntries(vols.map((v) => [v.service, v.image])) };
  const warnings: string[] = [];
  try {
    for (const v of vols) {
      const secret = secretInside(v.dataPath);
      if (secret) throw new BootstrapError("E_RUNTIME_BACKUP_FAILED", `${v.service}'s data path ${v.dataPath} holds the secret file ${secret}: not archived`, { details: { service: v.service } });
      if (!(await volumeExists(i.docker, v.volume))) {
        (record.absent ??= []).push({ service: v.service, volume: v.volume });
        warnings.push(`${v.service}: volume ${v.volume} does not exist: nothing to back up`);
        continue;
      }
      const t0 = Date.now();
      const rel = backupFileName(v.volume);
      const r = await snapshotVolume(i.docker, { container: v.container, volume: v.volume, dataPath: v.dataPath, image: v.image, project: i.project }, path.join(runDir, rel));
      record.backups.push({ service: v.service, volume: v.volume, container: v.container, dataPath: v.dataPath, file: rel, sha256: r.sha256, bytes: r.bytes });
      i.log(`backup: ${v.volume} -> ${rel} (${r.bytes} bytes, sha256 ${r.sha256.slice(0, 12)}..., ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } catch (err) {
    const e = err instanceof BootstrapError ? toErrorRecord(err) : errorRecord("E_RUNTIME_BACKUP_FAILED", `backup failed: ${(err as Error).message}`, { details: { cause: String(err) } });
    writeJson(path.join(runDir, BACKUP_FILE), { ...record, failed: e.message });
    return { status: "failed", detail: "backup failed", errors: [e], warnings };
  }
  writeJson(path.join(runDir, BACKUP_FILE), record);
  warnings.push(...(await waitRestarted(i, record.backups.map((b) => b.container))));
  return { status: "success", detail: `${record.backups.length} volume(s) archived in ${path.join("runs", i.runId, BACKUPS_DIR)} (${BACKUP_FILE}); restore: --mode restore --run ${i.runId}`, errors: [], warnings };
}

/** --mode restore [--run <id>]: every archive's sha256 first, then each volume back (service stopped, started again). */
export async function restoreDataStep(i: DataInput & { run?: string; images: readonly string[] }): Promise<StepResult & { refused?: boolean }> {
  const run = pickBackup(scanBackups(i.outDir), i.stack, i.run);
  if (!run) {
    const why = i.run ? `run ${i.run} holds no backup of stack ${i.stack}` : `no backup of stack ${i.stack} (take one with --mode backup)`;
    return { status: "failed", refused: true, detail: why, errors: [errorRecord("E_ENV_BACKUP_UNAVAILABLE", why, { details: { stack: i.stack, run: i.run ?? null } })], warnings: [] };
  }
  const runDir = path.join(i.outDir, "runs", run);
  const rec = readJson<BackupRecord>(path.join(runDir, BACKUP_FILE))!;
  for (const b of rec.backups) {
    const file = path.join(runDir, b.file);
    const actual = fs.existsSync(file) ? await fileSha256(file) : "absent";
    if (actual !== b.sha256) {
      const e = errorRecord("E_DEPS_SNAPSHOT_MISMATCH", `backup ${path.join("runs", run, b.file)} of ${b.service}: sha256 ${actual}, recorded ${b.sha256}; nothing was changed`, {
        details: { run, service: b.service, file: b.file, expected: b.sha256, actual },
      });
      return { status: "failed", refused: true, detail: "a backup does not match its record", errors: [e], warnings: [] };
    }
  }
  const restored: Array<{ service: string; volume: string; file: string; helperImage: string }> = [];
  const images = [...new Set([...Object.values(rec.images ?? {}), ...i.images])];
  const restarted: string[] = [];
  let error: ErrorRecord | undefined;
  for (const b of rec.backups) {
    const wasRunning = await containerRunning(i.docker, b.container);
    if (wasRunning) restarted.push(b.container);
    try {
      if (wasRunning) {
        i.log(`restore: stopping ${b.container}`);
        await stopContainer(i.docker, b.container);
      }
      const t0 = Date.now();
      const r = await restoreVolume(i.docker, { volume: b.volume, dataPath: b.dataPath, project: i.project, images }, path.join(runDir, b.file), b.sha256);
      restored.push({ service: b.service, volume: b.volume, file: path.join("runs", run, b.file), helperImage: r.helperImage });
      i.log(`restore: ${b.volume} from ${b.file} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      error = err instanceof BootstrapError ? toErrorRecord(err) : errorRecord("E_RUNTIME_RESTORE_FAILED", `restoring ${b.volume} failed: ${(err as Error).message}`, { details: { run, volume: b.volume } });
      break;
    } finally {
      if (wasRunning) await i.docker.getContainer(b.container).start().catch(() => undefined);
    }
  }
  // The proofs that follow need the services back: wait for each restarted one (bounded).
  const warnings = await waitRestarted(i, restarted);
  writeJson(path.join(i.outDir, "runs", i.runId, RESTORE_FILE), { version: 1, stack: i.stack, run: i.runId, backupRun: run, restored, ...(error ? { failed: error.message } : {}) });
  if (error) return { status: "failed", detail: "restore failed", errors: [error], warnings };
  return { status: "success", detail: `backup run ${run}: ${restored.length} volume(s) restored`, errors: [], warnings };
}

/** Wait (bounded) for containers started again to be healthy; one warning per one that is not. */
async function waitRestarted(i: Pick<DataInput, "docker" | "log">, containers: readonly string[]): Promise<string[]> {
  if (!containers.length) return [];
  const t0 = Date.now();
  const seen = await Promise.all(containers.map(async (c) => ({ c, ...(await waitHealthy(i.docker, c)) })));
  const late = seen.filter((x) => !x.ok).map((x) => `${x.c} is not healthy after its restart (last seen: ${x.state})`);
  i.log(late.length ? `started again; ${late.join("; ")}` : `${containers.length} service(s) started again and healthy (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return late;
}

/** A data volume as the state records it: its name, whether it is protected, the host directory it binds. */
export interface StateVolume {
  urn: string;
  name: string;
  protect: boolean;
  hostDir?: string;
}

/** The data volumes in a state export (docker:index/volume:Volume resources). */
export function volumesOfState(state: { resources?: Array<Record<string, unknown>> } | undefined): StateVolume[] {
  const out: StateVolume[] = [];
  for (const r of state?.resources ?? []) {
    if (r.type !== "docker:index/volume:Volume") continue;
    const o = (r.outputs ?? {}) as { name?: unknown; driverOpts?: Record<string, unknown> };
    if (typeof o.name !== "string") continue;
    const dev = o.driverOpts?.device;
    out.push({ urn: String(r.urn), name: o.name, protect: r.protect === true, ...(typeof dev === "string" ? { hostDir: dev } : {}) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The stack's data volumes as the Docker engine labels them (logging-bootstrap.project=<project>,
 * logging-bootstrap.data=true): after a destroy they are no longer in the state (retained on
 * delete), so a later --delete-data finds them here.
 */
export async function labelledDataVolumes(docker: Docker, project: string): Promise<StateVolume[]> {
  const r = (await docker.listVolumes({ filters: JSON.stringify({ label: [`${LABEL_PROJECT}=${project}`, `${LABEL_DATA}=true`] }) })) as unknown as { Volumes?: Array<{ Name: string; Options?: Record<string, string> | null }> };
  return (r.Volumes ?? []).map((v) => ({ urn: "", name: v.Name, protect: false, ...(v.Options?.device ? { hostDir: v.Options.device } : {}) }));
}

/** The state's volumes first (they know about protection), then those only the engine still has. */
export function mergeVolumes(fromState: readonly StateVolume[], fromEngine: readonly StateVolume[]): StateVolume[] {
  const names = new Set(fromState.map((v) => v.name));
  return [...fromState, ...fromEngine.filter((v) => !names.has(v.name))].sort((a, b) => a.name.localeCompare(b.name));
}

/** What destroy leaves behind, one line each, for the operator. */
export function keptLines(vols: readonly StateVolume[], deleted: boolean): string[] {
  const lines: string[] = [];
  for (const v of vols) {
    if (deleted && !v.protect) continue;
    const where = v.hostDir ? ` (host data in ${v.hostDir})` : "";
    lines.push(v.protect ? `kept (protected, still in state): volume ${v.name}${where}` : `kept: data volume ${v.name}${where}`);
  }
  return lines;
}

/** destroy --delete-data: each (unprotected) data volume emptied (bound host directories too) and removed. */
export async function deleteDataStep(i: DataInput & { volumes: readonly StateVolume[]; images: readonly string[] }): Promise<StepResult> {
  const removed: string[] = [];
  try {
    for (const v of i.volumes.filter((x) => !x.protect)) {
      if (!(await volumeExists(i.docker, v.name))) continue;
      // A volume bound to a host directory keeps its files when removed: empty it first.
      if (v.hostDir) await wipeVolume(i.docker, { volume: v.name, dataPath: "/data", project: i.project, images: i.images });
      await i.docker.getVolume(v.name).remove();
      removed.push(v.name);
      i.log(`deleted: data volume ${v.name}${v.hostDir ? ` and the files under ${v.hostDir}` : ""}`);
    }
  } catch (err) {
    const e = errorRecord("E_RUNTIME_DESTROY_FAILED", `deleting the data failed after ${removed.length} volume(s): ${(err as Error).message.split("\n")[0]}`, { details: { removed } });
    return { status: "failed", detail: "delete-data failed", errors: [e], warnings: [] };
  }
  return { status: "success", detail: `deleted ${removed.length} data volume(s): ${removed.join(", ") || "none left"}`, errors: [], warnings: [] };
}
