// The run lock (P18) as a library: PID in the message, dead PID recovered with a warning, release
// only by its owner.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { acquireRunLock, isPidAlive, readLock } from "../../scripts/lib/lock";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lock-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((r) => c.on("close", r));
  return c.pid!;
}

describe("acquireRunLock", () => {
  it("writes the holder's PID and removes the file on release", () => {
    const file = path.join(dir, "out", ".bootstrap.lock");
    const lock = acquireRunLock(file, { mode: "apply", stack: "test" }, () => {});
    expect(readLock(file)).toMatchObject({ pid: process.pid, mode: "apply", stack: "test", host: os.hostname() });
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    lock.release(); // idempotent
  });

  it("refuses while a live PID holds it, with exactly the P18 message", () => {
    const file = path.join(dir, ".bootstrap.lock");
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), mode: "apply", stack: "test", startedAt: "2026-01-01T00:00:00.000Z" }));
      let err: { code?: string; message?: string; details?: Record<string, unknown> } = {};
      try {
        acquireRunLock(file, { mode: "drift", stack: "test" }, () => {});
      } catch (e) {
        err = e as typeof err;
      }
      expect(err.code).toBe("E_ENV_LOCK_HELD");
      expect(err.message).toBe(`E_ENV_LOCK_HELD: Another bootstrap run is active (PID ${sleeper.pid})`);
      expect(err.details).toMatchObject({ pid: sleeper.pid, mode: "apply" });
      expect(readLock(file)!.pid).toBe(sleeper.pid); // untouched
    } finally {
      sleeper.kill();
    }
  });

  it("recovers the lock of a dead PID with a warning naming it", async () => {
    const file = path.join(dir, ".bootstrap.lock");
    const pid = await deadPid();
    expect(isPidAlive(pid)).toBe(false);
    fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), mode: "apply", stack: "test", startedAt: "2026-01-01T00:00:00.000Z" }));
    const warnings: string[] = [];
    const lock = acquireRunLock(file, { mode: "apply", stack: "test" }, (m) => warnings.push(m));
    expect(warnings).toEqual([`Recovered a stale run lock: PID ${pid} (mode apply, started 2026-01-01T00:00:00.000Z) is no longer running.`]);
    expect(readLock(file)!.pid).toBe(process.pid);
    lock.release();
    expect(fs.readdirSync(dir)).toEqual([]); // no temp or stale files left behind
  });

  it("recovers an unreadable lock file with a warning", () => {
    const file = path.join(dir, ".bootstrap.lock");
    fs.writeFileSync(file, "garbage");
    const warnings: string[] = [];
    acquireRunLock(file, { mode: "apply", stack: "test" }, (m) => warnings.push(m)).release();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/unreadable run lock/);
  });

  it("does not remove a lock that another run took over", () => {
    const file = path.join(dir, ".bootstrap.lock");
    const lock = acquireRunLock(file, { mode: "apply", stack: "test" }, () => {});
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: os.hostname(), mode: "apply", stack: "x", startedAt: "other" }));
    lock.release();
    expect(readLock(file)!.pid).toBe(1);
  });
});
