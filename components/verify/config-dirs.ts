// The config directories of each service, derived from the uploads the program declares (the
// container's `uploads`, as the program builds them in components/service.ts or as the plan holds
// them): one model for the Proofs component, verify's desired state and L8. Pure.
//
// A service reads its config from the tree its uploads sit in (/etc/<dir>/...): Grafana from
// /etc/grafana (grafana.ini, provisioning/{datasources,dashboards,alerting,plugins,notifiers,
// access-control}, the dashboards folder the provider points at, secrets/), Alertmanager from
// /etc/alertmanager (its config and secrets/), Prometheus, Loki and Alloy from theirs. L8 compares
// each tree in full: what the image itself ships there (read from the image, see checks/drift.ts)
// plus what the uploads create; anything else is drift.
import { createHash, createHmac } from "crypto";
import * as path from "path";
import { isObject, isSecretUpload, unwrap } from "../../contracts/plan";

/** One upload as L8 expects to find it in the container. */
export interface DeclaredUpload {
  /** Absolute path in the container. */
  path: string;
  /** Permission bits (the upload's `permissions`, octal). */
  mode: number;
  uid: number;
  gid: number;
  /** Secret content (a Pulumi secret, REDACTED in a plan, or a file under secrets/): compared by keyed hash only. */
  secret: boolean;
  /** SHA-256 (hex) of the content; non-secret uploads only. */
  sha256?: string;
}

/** An entry the program puts into a config directory. */
export interface ExpectedEntry {
  path: string;
  kind: "file" | "dir";
  mode: number;
  uid: number;
  gid: number;
  sha256?: string;
  secret?: boolean;
}

/** A directory compared in full (every entry under it, recursively) and the entries the uploads create in it. */
export interface ConfigDir {
  root: string;
  entries: ExpectedEntry[];
}

/**
 * What the engine makes of an upload: the Docker provider writes one tar entry per upload with the
 * upload's permissions (0644, or 0744 when `executable`, without them) and owner 0:0 (no upload of
 * this program sets `owner`/`group`: components/service.ts uploadsFor), and the engine creates each
 * missing parent directory 0755, owned by root.
 */
export const UPLOAD_OWNER = { uid: 0, gid: 0 } as const;
export const IMPLIED_DIR = { mode: 0o755, uid: 0, gid: 0 } as const;

function modeOf(permissions: unknown, executable: unknown): number {
  if (typeof permissions === "string" && /^0?[0-7]{3,4}$/.test(permissions)) return parseInt(permissions, 8);
  return executable === true ? 0o744 : 0o644;
}

/** The uploads of a container (plan inputs or the program's own list), in declaration order; junk skipped. */
export function declaredUploads(uploads: unknown): DeclaredUpload[] {
  const list = unwrap(uploads);
  const out: DeclaredUpload[] = [];
  for (const raw of Array.isArray(list) ? list : []) {
    const u = unwrap(raw);
    if (!isObject(u)) continue;
    const file = unwrap(u.file);
    if (typeof file !== "string" || file === "") continue;
    const secret = isSecretUpload(file, u.content);
    const d: DeclaredUpload = { path: file, mode: modeOf(unwrap(u.permissions), unwrap(u.executable)), ...UPLOAD_OWNER, secret };
    if (!secret) d.sha256 = createHash("sha256").update(u.content as string).digest("hex");
    out.push(d);
  }
  return out;
}

/** The directory a file's service reads its config from: /etc/<dir> for files under /etc, else its own folder. */
export function configRoot(file: string): string {
  const parts = file.split("/");
  return parts[1] === "etc" && parts.length > 3 ? `/etc/${parts[2]}` : path.posix.dirname(file);
}

/** The config directories of one container: each root with its uploads and the directories made for them. */
export function configDirs(uploads: readonly DeclaredUpload[]): ConfigDir[] {
  const byRoot = new Map<string, Map<string, ExpectedEntry>>();
  for (const u of uploads) {
    const root = configRoot(u.path);
    const entries = byRoot.get(root) ?? new Map<string, ExpectedEntry>();
    byRoot.set(root, entries);
    for (let d = path.posix.dirname(u.path); d.length >= root.length; d = path.posix.dirname(d)) {
      if (!entries.has(d)) entries.set(d, { path: d, kind: "dir", ...IMPLIED_DIR });
      if (d === root) break;
    }
    const e: ExpectedEntry = { path: u.path, kind: "file", mode: u.mode, uid: u.uid, gid: u.gid };
    if (u.secret) e.secret = true;
    else if (u.sha256) e.sha256 = u.sha256;
    entries.set(u.path, e);
  }
  return [...byRoot.keys()].sort().map((root) => ({ root, entries: [...byRoot.get(root)!.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) }));
}

/**
 * The keyed hash of a secret file: HMAC-SHA256 (hex) with the stack's drift key, a random value
 * (random.RandomPassword in the Proofs component) that never leaves Pulumi's secrets. Without the
 * key the hash cannot be recomputed from a guessed value, so state and outputs may hold it.
 */
export function keyedHash(key: string, content: string | Buffer): string {
  if (!key) throw new Error("keyedHash needs a non-empty key");
  return createHmac("sha256", key).update(content).digest("hex");
}

/** Permission bits as ls -l's octal form: 0444. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}
