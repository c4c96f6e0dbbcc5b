// Writing on the host without following a symbolic link at any level. The proof's marker (L3) is
// appended as root into logsRoot, which may sit in a directory other users can write; O_NOFOLLOW
// alone guards only the last component. Node has no openat(2), so every directory from / down is
// lstat'ed (a link is refused), opened with O_DIRECTORY|O_NOFOLLOW and fstat'ed (the opened inode
// must be the one lstat saw), and after the file is opened the whole chain is checked again: a link
// swapped in while the walk ran is caught before a byte is written.
import * as fs from "node:fs";
import * as path from "node:path";

const C = fs.constants;

/** A directory of the walked path as it was seen: its inode. */
interface Seen {
  dir: string;
  dev: number;
  ino: number;
}

function refused(code: "ELOOP" | "ENOTDIR", p: string, why: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${p} ${why}: nothing is created or written through it`), { code, path: p });
}

/** `/a/b/c` -> `/`, `/a`, `/a/b`, `/a/b/c` (an absolute, normalized path). */
export function prefixes(p: string): string[] {
  const abs = path.resolve(p);
  const parts = abs.split("/").filter(Boolean);
  return ["/", ...parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`)];
}

async function lstatOrMissing(p: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** One directory, never through a link: lstat, (create), open O_DIRECTORY|O_NOFOLLOW, fstat = lstat. */
async function enterDir(dir: string, create: boolean): Promise<Seen> {
  let st = await lstatOrMissing(dir);
  if (!st && create) {
    await fs.promises.mkdir(dir, 0o755).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
    st = await lstatOrMissing(dir);
  }
  if (!st) throw Object.assign(new Error(`${dir} does not exist`), { code: "ENOENT", path: dir });
  if (st.isSymbolicLink()) throw refused("ELOOP", dir, "is a symbolic link");
  if (!st.isDirectory()) throw refused("ENOTDIR", dir, "is not a directory");
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(dir, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP" || (e as NodeJS.ErrnoException).code === "ENOTDIR") throw refused("ELOOP", dir, "became a symbolic link while it was entered");
    throw e;
  }
  try {
    const fst = await fh.stat();
    if (fst.dev !== st.dev || fst.ino !== st.ino) throw refused("ELOOP", dir, "changed while it was entered");
  } finally {
    await fh.close();
  }
  return { dir, dev: st.dev, ino: st.ino };
}

/** Walk `dir` from / without following a link at any level; `create` makes what is missing. */
export async function walkNoFollow(dir: string, create: boolean): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (const p of prefixes(dir)) seen.push(await enterDir(p, create));
  return seen;
}

/** Every directory of the chain is still the inode the walk saw (no link swapped in since). */
async function recheck(seen: readonly Seen[]): Promise<void> {
  for (const s of seen) {
    const st = await lstatOrMissing(s.dir);
    if (!st || st.isSymbolicLink() || st.dev !== s.dev || st.ino !== s.ino) throw refused("ELOOP", s.dir, "changed while the file was opened");
  }
}

/**
 * mkdir -p that never creates through a link: a link above the last component is ELOOP. A link AS
 * the last component is left as it is (nothing is created through it): the caller reports it by its
 * own name (FileIo.isSymlink), and appendNoFollow refuses to write under it.
 */
export async function mkdirpNoFollow(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const last = await lstatOrMissing(abs).catch(() => undefined);
  if (last?.isSymbolicLink()) {
    await walkNoFollow(path.dirname(abs), false);
    return;
  }
  await walkNoFollow(abs, true);
}

/**
 * Append to a regular file (created 0644 if missing) without following a link at any level: the
 * directory chain is walked and re-checked, the file is opened O_NOFOLLOW|O_NONBLOCK (a FIFO planted
 * there cannot block the proof), and must be a regular file with one link (a hard link to another
 * file, e.g. in /etc on the same file system, is refused as ELOOP).
 */
export async function appendNoFollow(file: string, data: string): Promise<void> {
  const abs = path.resolve(file);
  const seen = await walkNoFollow(path.dirname(abs), false);
  const fh = await fs.promises.open(abs, C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK, 0o644);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw refused("ELOOP", abs, "is not a regular file");
    if (st.nlink > 1) throw refused("ELOOP", abs, `has ${st.nlink} hard links (another name for the same file)`);
    await recheck(seen);
    await fh.appendFile(data);
  } finally {
    await fh.close();
  }
}
