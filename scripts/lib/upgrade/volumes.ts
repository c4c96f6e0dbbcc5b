// Data volume snapshots through the Docker engine API (works on any engine the CLIs reach, remote
// ones included, with no host path access): the container's data path is read as a tar archive
// while the service is stopped, gzipped into the run bundle (owner-only) with its sha256; a restore
// checks that sha256 first, empties the volume from a short-lived helper container and unpacks the
// archive into it with owners and modes as they were.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import zlib from "node:zlib";
import type Docker from "dockerode";
import { BootstrapError } from "../../../contracts/errors";
import { LABEL_PROJECT } from "../../../components/defaults";

/** Seconds Docker waits for a clean shutdown before SIGKILL (Prometheus and Loki flush their WAL). */
export const STOP_TIMEOUT_S = 60;

export async function fileSha256(file: string): Promise<string> {
  const h = crypto.createHash("sha256");
  await pipeline(fs.createReadStream(file), h);
  return h.digest("hex");
}

function httpStatus(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/**
 * Wait until a container started again is back: healthy by its healthcheck (running, for one
 * without). A bounded poll: every `stepMs`, at most `timeoutMs`; returns what it last saw.
 */
export async function waitHealthy(docker: Docker, name: string, timeoutMs = 180_000, stepMs = 1000): Promise<{ ok: boolean; state: string }> {
  const deadline = Date.now() + timeoutMs;
  let state = "unknown";
  for (;;) {
    try {
      const s = (await docker.getContainer(name).inspect()).State as { Running?: boolean; Health?: { Status?: string } } | undefined;
      state = s?.Health?.Status ?? (s?.Running ? "running" : "not running");
      if (state === "healthy" || (state === "running" && !s?.Health)) return { ok: true, state };
    } catch (err) {
      state = `inspect failed: ${(err as Error).message.split("\n")[0]}`;
    }
    if (Date.now() + stepMs > deadline) return { ok: false, state };
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Running state of a container, or undefined when it does not exist. */
export async function containerRunning(docker: Docker, name: string): Promise<boolean | undefined> {
  try {
    return Boolean((await docker.getContainer(name).inspect()).State?.Running);
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

export async function stopContainer(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getContainer(name).stop({ t: STOP_TIMEOUT_S });
  } catch (err) {
    // 304: already stopped.
    if (httpStatus(err) !== 304) throw err;
  }
}

/**
 * Archive `dataPath` of a stopped (or never started) container into `file` (gzip, created 0600,
 * never overwriting). Returns its sha256 and size.
 */
export async function archiveDataPath(docker: Docker, container: string, dataPath: string, file: string): Promise<{ sha256: string; bytes: number }> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tar = (await docker.getContainer(container).getArchive({ path: dataPath })) as unknown as NodeJS.ReadableStream;
  const hash = crypto.createHash("sha256");
  let bytes = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(tar, zlib.createGzip(), tee, fs.createWriteStream(file, { flags: "wx", mode: 0o600 }));
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * Snapshot a service's data: stop it (a consistent copy), archive its data path, start it again if
 * it was running. A missing container is read through a helper created from `image` with the
 * volume mounted at the same path.
 */
export async function snapshotVolume(
  docker: Docker,
  s: { container: string; volume: string; dataPath: string; image: string; project: string },
  file: string,
): Promise<{ sha256: string; bytes: number; wasRunning: boolean | undefined }> {
  const running = await containerRunning(docker, s.container);
  if (running === undefined) {
    await requireVolume(docker, s.volume, "E_RUNTIME_SNAPSHOT_FAILED");
    const helper = await createHelper(docker, s.image, s.volume, s.dataPath, s.project);
    try {
      return { ...(await archiveDataPath(docker, helper.id, s.dataPath, file)), wasRunning: undefined };
    } finally {
      await helper.remove({ force: true }).catch(() => undefined);
    }
  }
  if (running) await stopContainer(docker, s.container);
  try {
    return { ...(await archiveDataPath(docker, s.container, s.dataPath, file)), wasRunning: running };
  } finally {
    if (running) await docker.getContainer(s.container).start().catch(() => undefined);
  }
}

// Empties the mount point (dot-files included) with nothing but POSIX sh and rm.
const WIPE = 'for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do if [ -e "$f" ] || [ -L "$f" ]; then rm -rf -- "$f" || exit 1; fi; done';

/** Whether the engine has this volume (404 is "no"; any other error propagates). */
export async function volumeExists(docker: Docker, volume: string): Promise<boolean> {
  try {
    await docker.getVolume(volume).inspect();
    return true;
  } catch (err) {
    if (httpStatus(err) !== 404) throw err;
    return false;
  }
}

/** Refuse to bind a volume that does not exist: Docker would create an empty, unlabelled one. */
async function requireVolume(docker: Docker, volume: string, code: "E_RUNTIME_SNAPSHOT_FAILED" | "E_RUNTIME_RESTORE_FAILED"): Promise<void> {
  if (await volumeExists(docker, volume)) return;
  throw new BootstrapError(code, `volume ${volume} does not exist`, {
    action: "Run apply first to recreate the stack's volumes (nothing of this volume is left to snapshot or restore into), then retry.",
    details: { volume },
  });
}

/** A container with the volume at `dataPath`; with `shell` ([script, $0, $1...]) it runs that under /bin/sh when started. */
async function createHelper(docker: Docker, image: string, volume: string, dataPath: string, project: string, shell?: string[]): Promise<Docker.Container> {
  return docker.createContainer({
    Image: image,
    User: "0:0",
    ...(shell ? { Entrypoint: ["/bin/sh", "-c"], Cmd: shell } : {}),
    NetworkDisabled: true,
    Labels: { [LABEL_PROJECT]: project, "logging-bootstrap.role": "volume-helper" },
    HostConfig: { Binds: [`${volume}:${dataPath}`], AutoRemove: false },
  });
}

/**
 * Empty a volume from a short-lived helper container (root, no network, the first of `images` that
 * has /bin/sh). With `then`, the helper is kept until `then` ran (restore unpacks into it).
 */
export async function wipeVolume(
  docker: Docker,
  s: { volume: string; dataPath: string; project: string; images: readonly string[] },
  then?: (helper: Docker.Container, image: string) => Promise<void>,
): Promise<{ helperImage: string }> {
  const tried: string[] = [];
  for (const image of s.images) {
    let helper: Docker.Container;
    try {
      helper = await createHelper(docker, image, s.volume, s.dataPath, s.project, [WIPE, "sh", s.dataPath]);
    } catch (err) {
      tried.push(`${image}: ${(err as Error).message}`);
      continue;
    }
    try {
      try {
        await helper.start();
      } catch (err) {
        // No /bin/sh in this image (distroless Loki since 3.5.8): try the next one.
        tried.push(`${image}: ${(err as Error).message.split("\n")[0]}`);
        continue;
      }
      const res = (await helper.wait()) as { StatusCode?: number };
      if (res.StatusCode !== 0) throw new BootstrapError("E_RUNTIME_RESTORE_FAILED", `emptying volume ${s.volume} exited ${res.StatusCode} (helper image ${image})`, { details: { volume: s.volume, image } });
      if (then) await then(helper, image);
      return { helperImage: image };
    } finally {
      await helper.remove({ force: true }).catch(() => undefined);
    }
  }
  throw new BootstrapError("E_RUNTIME_RESTORE_FAILED", `no local image of the stack could run the volume helper for ${s.volume} (one with /bin/sh is needed): ${tried.join("; ")}`, {
    details: { volume: s.volume, tried },
  });
}

/**
 * Restore a snapshot into a volume: the sha256 is checked before anything is touched; the volume is
 * emptied by a helper container (wipeVolume), then the archive is unpacked into it through the
 * engine with owners and modes as they were. The service's container must be stopped.
 */
export async function restoreVolume(
  docker: Docker,
  s: { volume: string; dataPath: string; project: string; images: readonly string[] },
  file: string,
  sha256: string,
): Promise<{ helperImage: string }> {
  const actual = await fileSha256(file);
  if (actual !== sha256) {
    throw new BootstrapError("E_DEPS_SNAPSHOT_MISMATCH", `snapshot ${file} has sha256 ${actual}, its record says ${sha256}: refusing to restore it`, {
      details: { file, expected: sha256, actual },
    });
  }
  await requireVolume(docker, s.volume, "E_RUNTIME_RESTORE_FAILED");
  return wipeVolume(docker, s, async (helper) => {
    // The archive holds the data path's own directory (getArchive of /prometheus -> prometheus/...).
    const src = fs.createReadStream(file);
    const tar = src.pipe(zlib.createGunzip());
    const broken = new Promise<never>((_, reject) => {
      src.on("error", reject);
      tar.on("error", reject);
    });
    await Promise.race([helper.putArchive(tar, { path: path.posix.dirname(s.dataPath) }), broken]);
  });
}
