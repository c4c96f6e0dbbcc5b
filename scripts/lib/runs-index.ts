// out/runs.jsonl: the append-only index of runs (P12), one JSON line per run.
//
// Never a torn line, with concurrent writers or a kill mid-write:
//  - each record is serialized first and written with ONE write(2) of one complete line, on an
//    O_APPEND descriptor, so the kernel places it at the end atomically with respect to other appends;
//  - writers take an exclusive lock (proper-lockfile: a mkdir lock, stale after a few seconds, so a
//    writer killed while holding it does not block the index for ever) around the append;
//  - under that lock a writer first checks the file ends with "\n": a tail left by a writer killed in
//    the middle of a (theoretically possible) short write is cut back to the last complete line.
// Readers stream the file with readline and ignore an unterminated last line, so they never see a
// fragment even while a write is in flight.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import lockfile from "proper-lockfile";
import { BootstrapError } from "../../contracts/errors";

export type RunStatus = "green" | "red";

export interface RunRecord {
  run_id: string;
  /** Start of the run, ISO 8601 UTC. */
  ts: string;
  finished_at: string;
  mode: string;
  stack: string;
  status: RunStatus;
  exit_code: number;
  errors: number;
  warnings: number;
  /** Buckets with at least one error (autoheal's active buckets). */
  buckets: string[];
  codes: string[];
  duration_ms: number;
  config: string | null;
  config_sha256: string | null;
  /** Bundle directory relative to the out dir (runs/<run_id>). */
  bundle: string;
}

const LOCK_OPTS = {
  realpath: false,
  stale: 3000,
  update: 1000,
  retries: { retries: 200, factor: 1.2, minTimeout: 5, maxTimeout: 100 },
};

/** Cut a torn (unterminated) tail back to the last complete line. Returns the bytes removed. */
export function repairTornTail(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return 0;
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return 0;
    // Scan backwards in chunks for the last newline.
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = fs.readSync(fd, chunk, 0, end - start, start);
      const i = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (i >= 0) {
        fs.ftruncateSync(fd, start + i + 1);
        return size - (start + i + 1);
      }
      end = start;
    }
    fs.ftruncateSync(fd, 0);
    return size;
  } finally {
    fs.closeSync(fd);
  }
}

/** Append one complete line (`line` must not contain a newline). */
export async function appendIndexLine(file: string, line: string, warn: (m: string) => void = () => {}): Promise<void> {
  if (line.includes("\n")) throw new Error("an index record must be a single line");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.closeSync(fs.openSync(file, "a")); // the lock needs nothing to exist, but readers like the file there
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, LOCK_OPTS);
  } catch (err) {
    throw new BootstrapError("E_ENV_LOCK_HELD", `could not lock ${file} to append the run record: ${(err as Error).message}`);
  }
  try {
    const cut = repairTornTail(file);
    if (cut > 0) warn(`${file}: removed a torn last line of ${cut} bytes left by an interrupted writer`);
    const buf = Buffer.from(line + "\n", "utf8");
    const fd = fs.openSync(file, "a");
    try {
      const n = fs.writeSync(fd, buf, 0, buf.length);
      if (n !== buf.length) throw new Error(`short write to ${file}: ${n} of ${buf.length} bytes`);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    await release().catch(() => undefined);
  }
}

export async function appendRunRecord(file: string, record: RunRecord, serialize: (r: RunRecord) => string = (r) => JSON.stringify(r), warn?: (m: string) => void): Promise<void> {
  await appendIndexLine(file, serialize(record), warn);
}

export interface RunFilter {
  status?: RunStatus;
  bucket?: string;
  since?: Date;
  until?: Date;
  stack?: string;
  mode?: string;
}

export function matchesFilter(r: RunRecord, f: RunFilter): boolean {
  if (f.status && r.status !== f.status) return false;
  if (f.bucket && !(r.buckets ?? []).includes(f.bucket)) return false;
  if (f.stack && r.stack !== f.stack) return false;
  if (f.mode && r.mode !== f.mode) return false;
  if (f.since || f.until) {
    const t = Date.parse(r.ts);
    if (Number.isNaN(t)) return false;
    if (f.since && t < f.since.getTime()) return false;
    if (f.until && t > f.until.getTime()) return false;
  }
  return true;
}

/** Stream every complete, parseable record (a line in flight or a foreign fragment is skipped). */
export async function* streamRuns(file: string): AsyncGenerator<RunRecord> {
  if (!fs.existsSync(file)) return;
  const input = fs.createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 20 });
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    try {
      const r = JSON.parse(line) as RunRecord;
      if (r && typeof r.run_id === "string") yield r;
    } catch {
      /* an unterminated last line (a write in flight) or a foreign fragment: not a record */
    }
  }
}

export async function queryRuns(file: string, filter: RunFilter = {}): Promise<{ runs: RunRecord[]; scanned: number }> {
  const runs: RunRecord[] = [];
  let scanned = 0;
  for await (const r of streamRuns(file)) {
    scanned++;
    if (matchesFilter(r, filter)) runs.push(r);
  }
  return { runs, scanned };
}

export async function latestRun(file: string, filter: RunFilter = {}): Promise<RunRecord | undefined> {
  let last: RunRecord | undefined;
  for await (const r of streamRuns(file)) if (matchesFilter(r, filter)) last = r;
  return last;
}

/** A run by id, or a unique id prefix; `latest` for the last run. */
export async function findRun(file: string, id: string): Promise<RunRecord | undefined> {
  if (id === "latest") return latestRun(file);
  let prefixHit: RunRecord | undefined;
  let prefixCount = 0;
  for await (const r of streamRuns(file)) {
    if (r.run_id === id) return r;
    if (r.run_id.startsWith(id)) {
      prefixHit = r;
      prefixCount++;
    }
  }
  return prefixCount === 1 ? prefixHit : undefined;
}

/** `2026-11-21` (start or, for --until, end of that UTC day) or a full ISO timestamp. */
export function parseDateArg(s: string, endOfDay: boolean): Date {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const d = new Date(dayOnly ? `${s}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z` : s);
  if (Number.isNaN(d.getTime())) {
    throw new BootstrapError("E_ENV_USAGE", `not a date: ${JSON.stringify(s)} (use YYYY-MM-DD or an ISO 8601 timestamp)`);
  }
  return d;
}
