// `recall export`: one run bundle as a tar.gz. A bundle can hold data snapshots (backups/: owner-only
// archives of whole data volumes, written before an upgrade or by --mode backup), so the archive is
// created owner-only (0600, whatever the umask) under a temporary name and renamed into place, and
// backups/ stays out unless the operator asks for it (--with-backups); what was left out is named.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import * as tar from "tar";
import { BACKUPS_DIR } from "./upgrade/plan";

export interface ExportOptions {
  /** Include <run>/backups/ (data snapshots). Default: left out. */
  withBackups: boolean;
}

export interface ExportResult {
  file: string;
  /** Files under backups/ that were not archived (paths as in the archive). */
  leftOut: string[];
}

/** Is this archive path (`<run>/backups/...`) inside the bundle's backups/ directory? */
export function isBackupPath(runId: string, p: string): boolean {
  const rel = p.replace(/\\/g, "/").replace(/^\.\//, "");
  return rel === `${runId}/${BACKUPS_DIR}` || rel.startsWith(`${runId}/${BACKUPS_DIR}/`);
}

/** Write <runsDir>/<runId> as a gzipped tar at `dest` (0600), leaving backups/ out unless asked. */
export async function exportRun(runsDir: string, runId: string, dest: string, opts: ExportOptions): Promise<ExportResult> {
  const leftOut: string[] = [];
  const filter = (p: string, st: fs.Stats | tar.ReadEntry) => {
    if (opts.withBackups || !isBackupPath(runId, p)) return true;
    const rel = p.replace(/^\.\//, "");
    const isDir = st instanceof fs.Stats ? st.isDirectory() : st.type === "Directory";
    if (!isDir) leftOut.push(rel);
    // tar does not descend into a directory left out: name the files it holds.
    else for (const e of fs.readdirSync(path.join(runsDir, rel), { recursive: true, withFileTypes: true })) if (!e.isDirectory()) leftOut.push(path.relative(runsDir, path.join(e.parentPath, e.name)));
    return false;
  };
  fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  // wx: a fresh file of our own (never an existing one or a link's target), 0600 from the start.
  const out = fs.createWriteStream(tmp, { flags: "wx", mode: 0o600 });
  try {
    await pipeline(tar.c({ gzip: true, cwd: runsDir, portable: true, filter }, [runId]) as unknown as NodeJS.ReadableStream, out);
    fs.chmodSync(tmp, 0o600); // the umask can only have narrowed it; make it exact
    fs.renameSync(tmp, dest);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return { file: dest, leftOut: leftOut.sort() };
}
