// The Docker engine as the operator CLIs see it (dockerode; DOCKER_HOST is honoured by docker-modem):
// reachability (E_ENV_DOCKER_UNREACHABLE), image presence for offline mode (P11), save/load/verify.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import Docker from "dockerode";
import YAML from "yaml";
import { BootstrapError, ErrorRecord, errorRecord } from "../../contracts/errors";
import { BackupsSchema, SERVICES, ServiceName } from "../../contracts/config/schema";

export function dockerClient(): Docker {
  return new Docker();
}

function dockerHostLabel(): string {
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)))]);
  } finally {
    if (t) clearTimeout(t);
  }
}

export function dockerUnreachable(cause: unknown): BootstrapError {
  return new BootstrapError("E_ENV_DOCKER_UNREACHABLE", `the Docker engine at ${dockerHostLabel()} did not answer: ${(cause as Error)?.message ?? String(cause)}`, {
    action:
      "Start the Docker engine (systemctl start docker, or dockerd &) or point DOCKER_HOST at it; check your user may use the socket (`docker info`), then re-run.",
    details: { dockerHost: dockerHostLabel() },
  });
}

/** Ping the engine; returns its version string. Throws E_ENV_DOCKER_UNREACHABLE. */
export async function pingDocker(docker: Docker = dockerClient(), timeoutMs = 5000): Promise<string> {
  try {
    await withTimeout(docker.ping(), timeoutMs, "docker ping");
    const v = (await withTimeout(docker.version(), timeoutMs, "docker version")) as { Version?: string };
    return v.Version ?? "unknown";
  } catch (err) {
    throw dockerUnreachable(err);
  }
}

export interface LocalImage {
  id: string;
  repoDigests: string[];
  repoTags: string[];
}

export async function inspectImage(docker: Docker, ref: string): Promise<LocalImage | null> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, repoDigests: info.RepoDigests ?? [], repoTags: info.RepoTags ?? [] };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw dockerUnreachable(err);
  }
}

// ---- the stack file, as far as these tools need it ----
export interface StackInfo {
  file: string;
  projectName?: string;
  offlineMode: boolean;
  images: Partial<Record<ServiceName, string>>;
  /** backups.keep: how many upgrades of the stack keep their data snapshots. */
  backupsKeep: number;
}

const NS = "logging-bootstrap:";
const BACKUPS_KEEP_DEFAULT = BackupsSchema.parse({}).keep;

/** Read projectName, offlineMode and images from Pulumi.<stack>.yaml (the full lint is config:lint's job). */
export function readStackInfo(file: string): StackInfo {
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === "ENOENT" ? "E_CONFIG_FILE_MISSING" : "E_CONFIG_YAML_SYNTAX";
    throw new BootstrapError(code, `${file}: ${(err as Error).message}`, { details: { file } });
  }
  const cfg = ((doc as { config?: Record<string, unknown> })?.config ?? {}) as Record<string, unknown>;
  const images: Partial<Record<ServiceName, string>> = {};
  const raw = (cfg[`${NS}images`] ?? {}) as Record<string, unknown>;
  for (const s of SERVICES) if (typeof raw[s] === "string") images[s] = raw[s] as string;
  const offline = cfg[`${NS}offlineMode`];
  const keep = Number(((cfg[`${NS}backups`] ?? {}) as Record<string, unknown>).keep);
  return {
    backupsKeep: Number.isInteger(keep) && keep >= 1 ? keep : BACKUPS_KEEP_DEFAULT,
    file,
    projectName: typeof cfg[`${NS}projectName`] === "string" ? (cfg[`${NS}projectName`] as string) : undefined,
    offlineMode: offline === true || offline === "true",
    images,
  };
}

/** P11: with offlineMode every pinned image must already be local; one finding per absent image. */
export async function offlineImageFindings(docker: Docker, info: StackInfo): Promise<ErrorRecord[]> {
  if (!info.offlineMode) return [];
  const out: ErrorRecord[] = [];
  for (const s of SERVICES) {
    const ref = info.images[s];
    if (!ref) continue;
    if (!(await inspectImage(docker, ref))) {
      out.push(
        errorRecord("E_DEPS_IMAGE_MISSING_OFFLINE", `offlineMode is on and image ${ref} (service ${s}) is not present on the Docker host`, {
          action: `Import it: \`npm run images:import -- --in <dir>\` with a directory written by \`npm run images:export -- --stack <stack> --out <dir>\` on a connected host (or docker load), then re-run.`,
          details: { service: s, image: ref },
        }),
      );
    }
  }
  return out;
}

// ---- export / import ----
export interface ManifestEntry {
  service: ServiceName;
  ref: string;
  /** Image ID = digest of the image config: content-addressed, preserved by docker save/load. */
  id: string;
  repoDigests: string[];
  file: string;
  /** SHA-256 of the saved tar file. */
  sha256: string;
  size: number;
}

export interface ImageManifest {
  version: 1;
  stack: string;
  created_at: string;
  images: ManifestEntry[];
}

export const MANIFEST = "manifest.json";

export function tarNameFor(service: string): string {
  return `${service}.tar`;
}

async function sha256Of(file: string): Promise<string> {
  const h = crypto.createHash("sha256");
  await pipeline(fs.createReadStream(file), h);
  return h.digest("hex");
}

export async function saveImage(docker: Docker, ref: string, file: string): Promise<void> {
  const stream = (await docker.getImage(ref).get()) as NodeJS.ReadableStream;
  const tmp = `${file}.partial`;
  await pipeline(stream, fs.createWriteStream(tmp));
  fs.renameSync(tmp, file);
}

export async function exportImages(docker: Docker, stack: string, info: StackInfo, outDir: string, log: (m: string) => void): Promise<ImageManifest> {
  fs.mkdirSync(outDir, { recursive: true });
  const entries: ManifestEntry[] = [];
  for (const s of SERVICES) {
    const ref = info.images[s];
    if (!ref) continue;
    let img = await inspectImage(docker, ref);
    if (!img) {
      if (info.offlineMode) {
        throw new BootstrapError("E_DEPS_IMAGE_MISSING_OFFLINE", `image ${ref} (service ${s}) is not present and offlineMode forbids pulling`, { details: { service: s, image: ref } });
      }
      log(`pulling ${ref} ...`);
      try {
        const stream = await docker.pull(ref);
        await new Promise<void>((res, rej) => docker.modem.followProgress(stream, (err) => (err ? rej(err) : res())));
      } catch (err) {
        throw new BootstrapError("E_DEPS_IMAGE_PULL_FAILED", `could not pull ${ref}: ${(err as Error).message}`, { details: { service: s, image: ref } });
      }
      img = await inspectImage(docker, ref);
      if (!img) throw new BootstrapError("E_DEPS_IMAGE_PULL_FAILED", `${ref} is still absent after the pull`, { details: { service: s, image: ref } });
    }
    const file = tarNameFor(s);
    log(`saving ${ref} (${img.id}) -> ${file}`);
    await saveImage(docker, ref, path.join(outDir, file));
    const st = fs.statSync(path.join(outDir, file));
    entries.push({ service: s, ref, id: img.id, repoDigests: img.repoDigests, file, sha256: await sha256Of(path.join(outDir, file)), size: st.size });
  }
  const manifest: ImageManifest = { version: 1, stack, created_at: new Date().toISOString(), images: entries };
  fs.writeFileSync(path.join(outDir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

export function readManifest(dir: string): ImageManifest {
  const file = path.join(dir, MANIFEST);
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as ImageManifest;
    if (m.version !== 1 || !Array.isArray(m.images)) throw new Error("not a version 1 image manifest");
    return m;
  } catch (err) {
    throw new BootstrapError("E_CONFIG_FILE_MISSING", `${file}: ${(err as Error).message}`, {
      action: "Pass --in a directory written by `npm run images:export`.",
      details: { file },
    });
  }
}

export interface ImportResult {
  service: string;
  ref: string;
  expectedId: string;
  actualId: string | null;
  ok: boolean;
}

/**
 * Load every tar of a manifest and verify: the tar's SHA-256 before loading (a tampered or truncated
 * file is refused without touching the engine), then the loaded image's ID (the config digest).
 * RepoDigests are not restored by `docker load` (they belong to a registry), so the ID is what is compared.
 */
export async function importImages(docker: Docker, dir: string, log: (m: string) => void): Promise<{ results: ImportResult[]; errors: ErrorRecord[] }> {
  const m = readManifest(dir);
  const results: ImportResult[] = [];
  const errors: ErrorRecord[] = [];
  for (const e of m.images) {
    const file = path.join(dir, path.basename(e.file));
    let sum: string;
    try {
      sum = await sha256Of(file);
    } catch (err) {
      errors.push(errorRecord("E_CONFIG_FILE_MISSING", `${file}: ${(err as Error).message}`, { details: { service: e.service, file } }));
      results.push({ service: e.service, ref: e.ref, expectedId: e.id, actualId: null, ok: false });
      continue;
    }
    if (sum !== e.sha256) {
      errors.push(
        errorRecord("E_DEPS_IMAGE_DIGEST_MISMATCH", `${e.file} (${e.ref}) has SHA-256 ${sum}, the manifest says ${e.sha256}; not loaded`, {
          details: { service: e.service, image: e.ref, expected: e.sha256, actual: sum, what: "tar sha256" },
        }),
      );
      results.push({ service: e.service, ref: e.ref, expectedId: e.id, actualId: null, ok: false });
      continue;
    }
    log(`loading ${e.file} (${e.ref})`);
    const stream = await docker.loadImage(fs.createReadStream(file));
    await new Promise<void>((res, rej) => docker.modem.followProgress(stream as NodeJS.ReadableStream, (err) => (err ? rej(err) : res())));
    const img = await inspectImage(docker, e.ref);
    const ok = img?.id === e.id;
    if (!ok) {
      errors.push(
        errorRecord("E_DEPS_IMAGE_DIGEST_MISMATCH", `${e.ref} loaded as ${img?.id ?? "nothing"}, the manifest says ${e.id}`, {
          details: { service: e.service, image: e.ref, expected: e.id, actual: img?.id ?? null, what: "image id" },
        }),
      );
    }
    results.push({ service: e.service, ref: e.ref, expectedId: e.id, actualId: img?.id ?? null, ok });
  }
  return { results, errors };
}
