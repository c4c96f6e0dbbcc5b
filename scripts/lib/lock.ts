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
// The recovery mutex is held for the microseconds between a re-read and a rename; waiting on it is
// bounded (count x step) so a wedged file cannot hang a run.
const MUTEX_WAITS = 40;
const MUTEX_STEP_MS = 25;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Fault injection for the race test only: widens the recovery critical section so racing runs
 * really interleave inside it (the window is otherwise microseconds and a test could not fail).
 * Capped well below the mutex wait bound so it can never turn into a lock-held error.
 */
function recoveryPause(): void {
  const ms = Number(process.env.BOOTSTRAP_TEST_LOCK_RECOVERY_PAUSE_MS ?? 0);
  if (Number.isFinite(ms) && ms > 0) sleepSync(Math.min(ms, 500));
}

/** Write `info` complete to a fresh temp file next to `target` (so no reader sees half a PID). */
function writeTemp(target: string, info: LockInfo): string {
  const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(info) + "\n", { mode: 0o644 });
  return tmp;
}

/** Write `info` to a temp file and try to hard-link it into place (fails atomically with EEXIST). */
function linkExclusive(target: string, info: LockInfo): boolean {
  const tmp = writeTemp(target, info);
  try {
    fs.linkSync(tmp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return false;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function sameHolder(a: LockInfo | undefined, b: LockInfo | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;
}

export function acquireRunLock(
  lockPath: string,
  meta: { mode: string; stack: string },
  warn: (msg: string) => void,
): RunLock {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const info: LockInfo = { pid: process.pid, host: os.hostname(), mode: meta.mode, stack: meta.stack, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (linkExclusive(lockPath, info)) return makeLock(lockPath, info);
    const holder = readLock(lockPath);
    if (holder && holder.host === info.host && holder.pid === process.pid) {
      throw lockHeldError(holder, lockPath); // re-entry in one process is a bug, not a reason to share
    }
    // Another host's PID cannot be checked: treat it as alive (shared out/ over NFS is unusual).
    if (holder && (holder.host !== info.host || isPidAlive(holder.pid))) throw lockHeldError(holder, lockPath);
    if (!fs.existsSync(lockPath)) continue; // released between our link and our read
    if (replaceStale(lockPath, holder, info)) {
      warn(
        holder
          ? `Recovered a stale run lock: PID ${holder.pid} (mode ${holder.mode}, started ${holder.startedAt}) is no longer running.`
          : `Recovered an unreadable run lock at ${lockPath} (no PID in it).`,
      );
      return makeLock(lockPath, info);
    }
    // Someone else recovered it (or it changed under us): go round and judge the new holder.
  }
  const holder = readLock(lockPath);
  if (holder) throw lockHeldError(holder, lockPath);
  throw new BootstrapError("E_ENV_LOCK_HELD", `Could not acquire the run lock ${lockPath} after ${MAX_ATTEMPTS} attempts`);
}

/**
 * Replace the stale lock we judged with ours, atomically, under a short recovery mutex
 * (`<lock>.recover`, itself an exclusive link holding our PID).
 *
 * Why a mutex and not "remove, then link": removing first opens a window in which any run's plain
 * link wins, so the run that recovered the lock (and warned) could lose it to one that never saw it
 * stale. Under the mutex we re-read the lock and, if it is still the judged stale holder, rename our
 * file over it in one step: the path is never empty, a plain link keeps failing with EEXIST, and
 * no other recoverer can act between our re-read and our rename. So the run that warns is the run
 * that holds the lock. Returns true when we now hold it.
 */
function replaceStale(lockPath: string, judged: LockInfo | undefined, info: LockInfo): boolean {
  const mutex = `${lockPath}.recover`;
  for (let wait = 0; ; wait++) {
    if (linkExclusive(mutex, info)) break;
    const owner = readLock(mutex);
    if (wait >= MUTEX_WAITS) {
      throw new BootstrapError("E_ENV_LOCK_HELD", `Another bootstrap run${owner ? ` (PID ${owner.pid})` : ""} is recovering the stale run lock ${lockPath}`, {
        details: { lockPath, mutex, pid: owner?.pid },
      });
    }
    if (owner && owner.host === info.host && !isPidAlive(owner.pid)) {
      // A recoverer died inside its microsecond window: clear its mutex (only if it is still that one).
      if (sameHolder(readLock(mutex), owner)) fs.rmSync(mutex, { force: true });
      continue;
    }
    sleepSync(MUTEX_STEP_MS);
  }
  try {
    recoveryPause();
    if (!fs.existsSync(lockPath) || !sameHolder(readLock(lockPath), judged)) return false;
    const tmp = writeTemp(lockPath, info);
    try {
      fs.renameSync(tmp, lockPath); // atomic replace: the lock path is never absent
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    return true;
  } finally {
    if (sameHolder(readLock(mutex), info)) fs.rmSync(mutex, { force: true });
  }
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
      if (sameHolder(current, info)) fs.rmSync(lockPath, { force: true });
    },
  };
}
