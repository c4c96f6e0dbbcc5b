// The run lock (P18): out/.bootstrap.lock around apply, repair and drift.
//
// Why a PID file created with an exclusive link and not proper-lockfile: proper-lockfile decides that
// a lock is stale by its mtime (a lock not touched for `stale` ms is stolen, whatever its holder is
// doing), it records no PID, so it can neither print "Another bootstrap run is active (PID N)" nor
// recover the lock of a dead holder at once. Here the lock holds the holder's PID; a live PID means
// "held", a dead PID means "stale, recover with a warning". The file is written complete to a temp
// name and then hard-linked into place (link(2) fails atomically with EEXIST, like O_EXCL), so no
// reader ever sees a half-written PID. proper-lockfile *is* used for the runs.jsonl append lock
// (runs-index.ts), where holders are short and no PID needs reporting.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { BootstrapError } from "../../contracts/errors";

export interface LockInfo {
  pid: number;
  host: string;
  mode: string;
  stack: string;
  startedAt: string;
}

export interface RunLock {
  path: string;
  info: LockInfo;
  /** Remove the lock if it is still ours; idempotent and synchronous (safe in an 'exit' handler). */
  release(): void;
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else: alive.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readLock(lockPath: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(lockPath, "utf8")) as LockInfo;
    return typeof info?.pid === "number" ? info : undefined;
  } catch {
    return undefined;
  }
}

export function lockHeldError(info: LockInfo, lockPath: string): BootstrapError {
  return new BootstrapError("E_ENV_LOCK_HELD", `Another bootstrap run is active (PID ${info.pid})`, {
    details: { pid: info.pid, host: info.host, mode: info.mode, stack: info.stack, startedAt: info.startedAt, lockPath },
  });
}

const MAX_ATTEMPTS = 5;

export function acquireRunLock(
  lockPath: string,
  meta: { mode: string; stack: string },
  warn: (msg: string) => void,
): RunLock {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const info: LockInfo = { pid: process.pid, host: os.hostname(), mode: meta.mode, stack: meta.stack, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const tmp = `${lockPath}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(info) + "\n", { mode: 0o644 });
    try {
      fs.linkSync(tmp, lockPath);
      return makeLock(lockPath, info);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const holder = readLock(lockPath);
    if (holder && holder.host === info.host && holder.pid === process.pid) {
      throw lockHeldError(holder, lockPath); // re-entry in one process is a bug, not a reason to share
    }
    // Another host's PID cannot be checked: treat it as alive (shared out/ over NFS is unusual).
    if (holder && (holder.host !== info.host || isPidAlive(holder.pid))) throw lockHeldError(holder, lockPath);
    if (!fs.existsSync(lockPath)) continue; // released between our link and our read
    // Warn only when it was us who removed the stale lock (a racing run may have recovered it first).
    if (recoverStale(lockPath, holder)) {
      warn(
        holder
          ? `Recovered a stale run lock: PID ${holder.pid} (mode ${holder.mode}, started ${holder.startedAt}) is no longer running.`
          : `Recovered an unreadable run lock at ${lockPath} (no PID in it).`,
      );
    }
  }
  const holder = readLock(lockPath);
  if (holder) throw lockHeldError(holder, lockPath);
  throw new BootstrapError("E_ENV_LOCK_HELD", `Could not acquire the run lock ${lockPath} after ${MAX_ATTEMPTS} attempts`);
}

/**
 * Move the stale lock aside, then check that what we moved is the stale lock we judged: if another
 * run recovered it first and created its own fresh lock, we put that one back instead of deleting it.
 * Returns true when we removed the judged stale lock.
 * Known limit: a third run creating a lock in the instant between that move and the put-back would
 * leave two holders; it needs three runs racing on a stale lock within microseconds.
 */
function recoverStale(lockPath: string, judged: LockInfo | undefined): boolean {
  const aside = `${lockPath}.stale.${process.pid}.${crypto.randomBytes(4).toString("hex")}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  const moved = readLock(aside);
  const same = judged ? moved?.pid === judged.pid && moved?.startedAt === judged.startedAt : moved === undefined;
  if (!same) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      /* someone else holds the path now; the loop re-reads it */
    }
  }
  fs.rmSync(aside, { force: true });
  return same;
}

function makeLock(lockPath: string, info: LockInfo): RunLock {
  let released = false;
  return {
    path: lockPath,
    info,
    release() {
      if (released) return;
      released = true;
      const current = readLock(lockPath);
      if (current && current.pid === info.pid && current.startedAt === info.startedAt) fs.rmSync(lockPath, { force: true });
    },
  };
}
