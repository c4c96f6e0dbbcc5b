// The two bootstrap steps of an upgrade's life: `snapshot` (apply: before `up`, when a stateful
// service's image changes) and `restore` (rollback: previous pins and data back, before `up`).
// Both record what they did in the run bundle (upgrade.json, rollback.json) and print progress.
import fs from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { BootstrapError, ErrorRecord, errorRecord, toErrorRecord } from "../../../contracts/errors";
import {
  BACKUPS_DIR,
  backupFileName,
  BackupEntry,
  deployedFromOutputs,
  imageChanges,
  pickUpgrade,
  ROLLBACK_FILE,
  RollbackIndexEntry,
  secretInside,
  snapshotsToPrune,
  UPGRADE_FILE,
  UpgradeIndexEntry,
  UpgradeRecord,
  withPreviousPins,
} from "./plan";
import { containerRunning, fileSha256, restoreVolume, snapshotVolume, stopContainer, volumeExists } from "./volumes";

export interface StepResult {
  status: "success" | "failed" | "skipped";
  detail: string;
  errors: ErrorRecord[];
  warnings: string[];
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** Upgrade and rollback records of every run bundle under <out>/runs. */
export function scanRuns(outDir: string): { upgrades: UpgradeIndexEntry[]; rollbacks: RollbackIndexEntry[] } {
  const runsDir = path.join(outDir, "runs");
  const upgrades: UpgradeIndexEntry[] = [];
  const rollbacks: RollbackIndexEntry[] = [];
  if (!fs.existsSync(runsDir)) return { upgrades, rollbacks };
  for (const run of fs.readdirSync(runsDir).sort()) {
    const u = readJson<UpgradeRecord>(path.join(runsDir, run, UPGRADE_FILE));
    if (u?.stack) upgrades.push({ run, stack: u.stack, hasBackups: u.backups.length > 0 && !u.prunedBy });
    const r = readJson<{ stack: string; upgradeRun: string }>(path.join(runsDir, run, ROLLBACK_FILE));
    // Only a rollback that finished green undid its upgrade; a failed one may be run again.
    const meta = readJson<{ status?: string }>(path.join(runsDir, run, "meta.json"));
    if (r?.stack && meta?.status === "green") rollbacks.push({ run, stack: r.stack, upgradeRun: r.upgradeRun });
  }
  return { upgrades, rollbacks };
}

export interface SnapshotInput {
  docker: Docker;
  stack: string;
  project: string;
  outDir: string;
  runId: string;
  /** `pulumi stack output --json` before `up` (undefined: the stack was never deployed). */
  outputs: unknown;
  /** images.<svc> of the stack file being applied. */
  desiredImages: Partial<Record<string, string>>;
  keep: number;
  log: (m: string) => void;
}

/** apply: snapshot the data of every stateful service whose image changes, then prune old snapshots. */
export async function snapshotStep(i: SnapshotInput): Promise<StepResult> {
  const deployed = deployedFromOutputs(i.outputs);
  const changes = imageChanges(deployed, i.desiredImages);
  if (!changes.length) return { status: "skipped", detail: Object.keys(deployed).length ? "no image changes" : "nothing deployed yet", errors: [], warnings: [] };
  const runDir = path.join(i.outDir, "runs", i.runId);
  const record: UpgradeRecord = {
    version: 1,
    stack: i.stack,
    run: i.runId,
    previousImages: Object.fromEntries(Object.entries(deployed).map(([s, d]) => [s, d.ref])),
    desiredImages: Object.fromEntries(Object.entries(i.desiredImages).filter((e): e is [string, string] => typeof e[1] === "string")),
    changes,
    backups: [],
    pruned: [],
  };
  for (const c of changes) i.log(`upgrade: ${c.service} ${c.from} -> ${c.to}${c.snapshot ? ` (snapshot of ${c.volume} first)` : ""}`);
  const absent: string[] = [];
  try {
    for (const c of changes.filter((x) => x.snapshot)) {
      const secret = secretInside(c.dataPath!);
      if (secret) throw new BootstrapError("E_RUNTIME_SNAPSHOT_FAILED", `${c.service}'s data path ${c.dataPath} holds the secret file ${secret}: not snapshotted`, { details: { service: c.service } });
      // No volume (removed by hand, or a host reset): no data to lose, and refusing would leave
      // apply, the only step that recreates it, unable to run.
      if (!(await volumeExists(i.docker, c.volume!))) {
        const m = `${c.service}: volume ${c.volume} does not exist: nothing to snapshot (up creates it empty)`;
        record.absent = [...(record.absent ?? []), { service: c.service, volume: c.volume! }];
        absent.push(m);
        i.log(`upgrade: ${m}`);
        continue;
      }
      const rel = backupFileName(c.volume!);
      const t0 = Date.now();
      const r = await snapshotVolume(i.docker, { container: c.container!, volume: c.volume!, dataPath: c.dataPath!, image: c.from, project: i.project }, path.join(runDir, rel));
      const entry: BackupEntry = { service: c.service, volume: c.volume!, container: c.container!, dataPath: c.dataPath!, file: rel, sha256: r.sha256, bytes: r.bytes };
      record.backups.push(entry);
      i.log(`upgrade: snapshot ${rel} (${r.bytes} bytes, sha256 ${r.sha256.slice(0, 12)}…, ${Date.now() - t0} ms)`);
    }
  } catch (err) {
    const e = err instanceof BootstrapError ? toErrorRecord(err) : errorRecord("E_RUNTIME_SNAPSHOT_FAILED", `snapshot before the upgrade failed: ${(err as Error).message}`, { details: { cause: String(err) } });
    fs.mkdirSync(runDir, { recursive: true });
    writeJsonAtomic(path.join(runDir, UPGRADE_FILE), { ...record, failed: e.message });
    return { status: "failed", detail: "snapshot failed: the upgrade did not start", errors: [e], warnings: [] };
  }
  fs.mkdirSync(runDir, { recursive: true });
  writeJsonAtomic(path.join(runDir, UPGRADE_FILE), record);
  const warnings = [...absent, ...pruneSnapshots(i.outDir, i.stack, i.runId, i.keep, record, i.log)];
  writeJsonAtomic(path.join(runDir, UPGRADE_FILE), record);
  const n = record.backups.length;
  return { status: "success", detail: `${changes.length} image change(s); ${n} snapshot(s) in ${path.join("runs", i.runId, BACKUPS_DIR)}; previous pins in ${UPGRADE_FILE}`, errors: [], warnings };
}

/** backups.keep: delete the snapshots of older upgrades beyond the newest `keep`, each one named. */
export function pruneSnapshots(outDir: string, stack: string, runId: string, keep: number, record: UpgradeRecord, log: (m: string) => void): string[] {
  const warnings: string[] = [];
  for (const run of snapshotsToPrune(scanRuns(outDir).upgrades, stack, keep)) {
    if (run === runId) continue;
    const file = path.join(outDir, "runs", run, UPGRADE_FILE);
    const old = readJson<UpgradeRecord>(file);
    if (!old) continue;
    const files = old.backups.map((b) => b.file);
    for (const f of files) fs.rmSync(path.join(outDir, "runs", run, f), { force: true });
    fs.rmSync(path.join(outDir, "runs", run, BACKUPS_DIR), { recursive: true, force: true });
    writeJsonAtomic(file, { ...old, prunedBy: runId });
    record.pruned.push({ run, files });
    const m = `backups.keep=${keep}: deleted the snapshots of upgrade run ${run} (${files.join(", ")})`;
    log(`upgrade: ${m}`);
    warnings.push(m);
  }
  return warnings;
}

export interface RestoreInput {
  docker: Docker;
  stack: string;
  project: string;
  outDir: string;
  runId: string;
  /** --run: the upgrade run to undo (default: the newest not yet rolled back). */
  upgradeRun?: string;
  /** The stack file whose images.* get the previous pins. */
  stackFile: string;
  log: (m: string) => void;
}

/**
 * rollback: check every snapshot's sha256 (any mismatch refuses the whole rollback before anything
 * changes), put the previous pins in the stack file, stop each snapshotted service and restore its
 * volume. The `up` that follows recreates the containers on the previous images.
 */
export async function restoreStep(i: RestoreInput): Promise<StepResult & { refused?: boolean }> {
  const { upgrades, rollbacks } = scanRuns(i.outDir);
  const run = pickUpgrade(upgrades, rollbacks, i.stack, i.upgradeRun);
  if (!run) {
    const why = i.upgradeRun ? `run ${i.upgradeRun} holds no upgrade record of stack ${i.stack}` : `no upgrade of stack ${i.stack} is left to roll back (${upgrades.filter((u) => u.stack === i.stack).length} upgrade run(s), all rolled back)`;
    return { status: "failed", refused: true, detail: why, errors: [errorRecord("E_ENV_ROLLBACK_UNAVAILABLE", why, { details: { stack: i.stack, run: i.upgradeRun ?? null } })], warnings: [] };
  }
  const runDir = path.join(i.outDir, "runs", run);
  const rec = readJson<UpgradeRecord>(path.join(runDir, UPGRADE_FILE))!;
  if (rec.prunedBy) {
    const why = `the snapshots of upgrade run ${run} were deleted by run ${rec.prunedBy} (backups.keep)`;
    return { status: "failed", refused: true, detail: why, errors: [errorRecord("E_ENV_ROLLBACK_UNAVAILABLE", why, { details: { run } })], warnings: [] };
  }
  for (const b of rec.backups) {
    const file = path.join(runDir, b.file);
    const actual = fs.existsSync(file) ? await fileSha256(file) : "absent";
    if (actual !== b.sha256) {
      const e = errorRecord("E_DEPS_SNAPSHOT_MISMATCH", `snapshot ${path.join("runs", run, b.file)} of ${b.service}: sha256 ${actual}, recorded ${b.sha256}; nothing was changed`, {
        details: { run, service: b.service, file: b.file, expected: b.sha256, actual },
      });
      return { status: "failed", refused: true, detail: "a snapshot does not match its record", errors: [e], warnings: [] };
    }
  }
  i.log(`rollback: undoing upgrade run ${run} (${rec.changes.map((c) => `${c.service} ${c.to} -> ${c.from}`).join(", ")})`);
  const warnings: string[] = [];
  const restored: Array<{ service: string; volume: string; file: string; sha256: string; helperImage: string }> = [];
  try {
    const before = fs.readFileSync(i.stackFile, "utf8");
    const after = withPreviousPins(before, rec.changes);
    if (after !== before) {
      const tmp = `${i.stackFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, after, { mode: fs.statSync(i.stackFile).mode & 0o777 });
      fs.renameSync(tmp, i.stackFile);
    }
    i.log(`rollback: ${path.basename(i.stackFile)} pins ${rec.changes.map((c) => `images.${c.service}=${c.from}`).join(", ")}`);
    for (const b of rec.backups) {
      if ((await containerRunning(i.docker, b.container)) === true) {
        i.log(`rollback: stopping ${b.container}`);
        await stopContainer(i.docker, b.container);
      }
      const helperImages = [...new Set([rec.changes.find((c) => c.service === b.service)?.from, ...Object.values(rec.previousImages)].filter((x): x is string => Boolean(x)))];
      const t0 = Date.now();
      const r = await restoreVolume(i.docker, { volume: b.volume, dataPath: b.dataPath, project: i.project, images: helperImages }, path.join(runDir, b.file), b.sha256);
      restored.push({ service: b.service, volume: b.volume, file: path.join("runs", run, b.file), sha256: b.sha256, helperImage: r.helperImage });
      i.log(`rollback: restored ${b.volume} from ${b.file} (${Date.now() - t0} ms)`);
    }
  } catch (err) {
    const e = err instanceof BootstrapError ? toErrorRecord(err) : errorRecord("E_RUNTIME_RESTORE_FAILED", `restoring the upgrade's snapshots failed: ${(err as Error).message}`, { details: { run } });
    writeRollback(i, run, rec, restored, e.message);
    return { status: "failed", detail: "restore failed", errors: [e], warnings };
  }
  writeRollback(i, run, rec, restored);
  return { status: "success", detail: `upgrade run ${run} undone: ${rec.changes.length} pin(s) back, ${restored.length} volume(s) restored`, errors: [], warnings };
}

function writeRollback(i: RestoreInput, upgradeRun: string, rec: UpgradeRecord, restored: unknown[], failed?: string): void {
  const dir = path.join(i.outDir, "runs", i.runId);
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path.join(dir, ROLLBACK_FILE), {
    version: 1,
    stack: i.stack,
    run: i.runId,
    upgradeRun,
    pins: rec.changes.map((c) => ({ service: c.service, from: c.to, to: c.from })),
    restored,
    stackFile: i.stackFile,
    ...(failed ? { failed } : {}),
  });
}
