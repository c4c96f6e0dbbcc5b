// L8 config drift: every directory a service reads its config from (config-dirs.ts) holds exactly
// what the image ships there plus what the program uploaded: no extra, no missing entry, the same
// content, mode, owner and link targets. Secret files are compared by a keyed hash.
//
// Both sides are read through the engine's archive API, never by exec (distroless images have no
// shell): the container's directory, and the same directory of its image (a container created
// from it and never started). The image's own files are what L7 vouches for; anything else is drift.
import { createHash } from "crypto";
import { LABEL_PROJECT } from "../../../contracts/plan";
import { ConfigDir, formatMode, keyedHash } from "../config-dirs";
import type { DirEntry, DirLimits, DirListing, Io, ProofResult } from "../types";
import { finish, transportReason } from "./common";

export interface DriftTarget {
  service: string;
  container: string;
  /** The directories compared in full, with the entries the uploads create in them. */
  dirs: ConfigDir[];
}
export interface DriftInput {
  project: string;
  containers: DriftTarget[];
  timeoutMs: number;
  /**
   * The stack's drift key (a secret input: HMAC key of the keyed hashes). The program passes it;
   * `npm run verify` takes it from its secrets file or CONFIG_DRIFT_KEY, and without it reports the
   * secret files "not compared" (a warning, never green by omission).
   */
  driftKey?: string;
  /** service -> path -> keyed hash of each secret upload, as the program computed it. */
  secretDigests?: Record<string, Record<string, string>>;
}

/** Bounds of one directory read (rendered configs are kilobytes; beyond these the directory is itself a finding). */
export const DRIFT_LIMITS: DirLimits = { maxEntries: 2000, maxBytes: 32 * 1024 * 1024, maxFileBytes: 8 * 1024 * 1024 };
/** Differences listed per directory before the rest is counted. */
const MAX_FINDINGS_PER_DIR = 20;

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const KIND_NAME: Record<DirEntry["kind"], string> = { file: "file", dir: "directory", symlink: "symlink", other: "special file" };

/** What L8 expects at one path: the image's entry, or the upload's (which replaced it). */
interface Want {
  path: string;
  kind: DirEntry["kind"];
  mode: number;
  uid: number;
  gid: number;
  /** The image's entry (compared with the image's bytes) or an upload (with the rendered sha or a keyed hash). */
  from: "image" | "upload";
  sha256?: string;
  secret?: boolean;
  linkname?: string;
  size?: number;
}

/** The expected tree: the image's entries, the uploads over them, the directories made for the uploads where the image has none. */
export function expectedTree(dir: ConfigDir, image: DirEntry[]): Want[] {
  const want = new Map<string, Want>();
  for (const e of image) {
    const w: Want = { path: e.path, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, from: "image", size: e.size };
    if (e.content) w.sha256 = sha256(e.content);
    if (e.linkname !== undefined) w.linkname = e.linkname;
    want.set(e.path, w);
  }
  for (const e of dir.entries) {
    if (e.kind === "dir" && want.has(e.path)) continue;
    const w: Want = { path: e.path, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, from: "upload" };
    if (e.sha256) w.sha256 = e.sha256;
    if (e.secret) w.secret = true;
    want.set(e.path, w);
  }
  return [...want.values()].sort(byPath);
}

export interface DirComparison {
  findings: string[];
  /** Secret files whose content could not be compared (no key or no recorded hash). */
  notCompared: string[];
  /** Per secret file: "same", "changed", "not compared" (never a value or a hash). */
  secrets: Record<string, string>;
  /** Per rendered file: the sha256 seen. */
  seen: Record<string, string>;
}

/**
 * Compare one directory as the container holds it with the expected tree. Findings name each
 * difference; a secret file's content is only ever said to be the same or changed.
 */
export function compareDir(o: { service: string; container: string; want: Want[]; actual: DirEntry[]; key?: string; digests: Record<string, string> }): DirComparison {
  const out: DirComparison = { findings: [], notCompared: [], secrets: {}, seen: {} };
  const want = new Map(o.want.map((w) => [w.path, w]));
  const actual = new Map(o.actual.map((a) => [a.path, a]));
  for (const p of [...new Set([...want.keys(), ...actual.keys()])].sort()) {
    const w = want.get(p);
    const a = actual.get(p);
    const at = `${o.service}: ${p} in ${o.container}`;
    if (!a || !w) {
      out.findings.push(`${o.service}: ${a ? "extra" : "missing"} ${KIND_NAME[(a ?? w)!.kind]} ${p} in ${o.container}`);
      continue;
    }
    if (a.kind !== w.kind) {
      out.findings.push(`${at} is a ${KIND_NAME[a.kind]}, expected a ${KIND_NAME[w.kind]}`);
      continue;
    }
    if (a.kind === "file") {
      const f = w.secret ? compareSecret(o, w, a, out) : compareContent(w, a, at, out);
      if (f) out.findings.push(f);
    }
    if (a.kind === "symlink" && a.linkname !== w.linkname) out.findings.push(`${at}: symlink target changed ${w.linkname ?? ""} -> ${a.linkname ?? ""}`);
    // A symlink's own mode means nothing (always 0777 on Linux).
    if (a.kind !== "symlink" && a.mode !== w.mode) out.findings.push(`${at}: mode changed ${formatMode(w.mode)} -> ${formatMode(a.mode)}`);
    if (a.uid !== w.uid || a.gid !== w.gid) out.findings.push(`${at}: owner changed ${w.uid}:${w.gid} -> ${a.uid}:${a.gid}`);
  }
  return out;
}

/** A secret file: its keyed hash against the recorded one; the result says only same or changed. */
function compareSecret(o: { service: string; container: string; key?: string; digests: Record<string, string> }, w: Want, a: DirEntry, out: DirComparison): string | undefined {
  const name = `${o.service}: secret file ${w.path} in ${o.container}`;
  if (a.content === undefined) return `${name} is ${a.size} bytes, larger than L8 reads`;
  const recorded = o.digests[w.path];
  if (!o.key || !recorded) {
    out.secrets[w.path] = "not compared";
    out.notCompared.push(`${name} not compared (${!o.key ? "no key for its keyed hash" : "no recorded keyed hash"})`);
    return undefined;
  }
  const same = keyedHash(o.key, a.content) === recorded;
  out.secrets[w.path] = same ? "same" : "changed";
  return same ? undefined : `${name} changed`;
}

/** A rendered file against its rendered sha256, an image's file against the image's bytes. */
function compareContent(w: Want, a: DirEntry, at: string, out: DirComparison): string | undefined {
  if (a.content === undefined) return `${at} is ${a.size} bytes, larger than L8 reads`;
  const seen = sha256(a.content);
  if (w.from === "upload") out.seen[w.path] = seen;
  // An image file too large to read on the image side: its size is all there is to compare.
  if (w.sha256 === undefined) return w.size !== a.size ? `${at} changed from the image's (${w.size ?? "?"} -> ${a.size} bytes)` : undefined;
  if (seen === w.sha256) return undefined;
  return `${at} has sha256 ${seen}, ${w.from === "upload" ? "rendered" : "the image ships"} ${w.sha256}`;
}

function listingProblem(l: DirListing, service: string, container: string, root: string, whose: string): string | undefined {
  if (l.kind === "dir") return undefined;
  if (l.kind === "missing") return whose === "container" ? `${service}: config directory ${root} is missing in ${container}` : undefined;
  if (l.kind === "not-a-dir") return `${service}: ${root} in ${whose === "container" ? container : `the image of ${container}`} is a ${l.type}, not a directory`;
  return `${service}: ${root} in ${whose === "container" ? container : `the image of ${container}`} cannot be compared: ${l.reason}`;
}

export async function checkConfigDrift(input: DriftInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const per = await Promise.all(
    input.containers.map(async (t) => {
      const digests = input.secretDigests?.[t.service] ?? {};
      const diag: Record<string, unknown> = { service: t.service, container: t.container, via: "docker archive API", dirs: t.dirs.map((d) => d.root) };
      const findings: string[] = [];
      const notCompared: string[] = [];
      try {
        const c = await io.docker.inspectContainer(t.container);
        if (!c) return { findings: [`${t.service}: container ${t.container} does not exist`], notCompared, diag };
        if (!c.running) return { findings: [`${t.service}: container ${t.container} is ${c.state}`], notCompared, diag };
        diag.image = c.imageId;
        const scratch = { name: `${input.project}-l8-image-${io.randomHex(6)}`, labels: { [LABEL_PROJECT]: input.project, "logging-bootstrap.probe": "true" } };
        const rendered: Record<string, string> = {};
        const seen: Record<string, string> = {};
        const secrets: Record<string, string> = {};
        for (const dir of t.dirs) {
          for (const e of dir.entries) if (e.sha256) rendered[e.path] = e.sha256;
          const [actual, image] = await Promise.all([
            io.docker.readDir(t.container, dir.root, DRIFT_LIMITS, input.timeoutMs),
            io.docker.readImageDir(c.imageId, dir.root, DRIFT_LIMITS, input.timeoutMs, { ...scratch, name: `${scratch.name}-${t.dirs.indexOf(dir)}` }),
          ]);
          const problem = listingProblem(actual, t.service, t.container, dir.root, "container") ?? listingProblem(image, t.service, t.container, dir.root, "image");
          if (problem) {
            findings.push(problem);
            continue;
          }
          const r = compareDir({
            service: t.service,
            container: t.container,
            want: expectedTree(dir, image.kind === "dir" ? image.entries : []),
            actual: actual.kind === "dir" ? actual.entries : [],
            key: input.driftKey,
            digests,
          });
          const listed = r.findings.slice(0, MAX_FINDINGS_PER_DIR);
          if (r.findings.length > listed.length) listed.push(`${t.service}: ${dir.root} in ${t.container}: ${r.findings.length - listed.length} more differences`);
          findings.push(...listed);
          notCompared.push(...r.notCompared);
          Object.assign(seen, r.seen);
          Object.assign(secrets, r.secrets);
        }
        Object.assign(diag, { rendered, seen, secrets });
        return { findings, notCompared, diag };
      } catch (e) {
        return { findings: [`${t.service}: container ${t.container} cannot be read (${transportReason(e)})`], notCompared, diag };
      }
    }),
  );
  const notCompared = per.flatMap((p) => p.notCompared);
  return finish("L8", t0, io.clock, {
    findings: per.flatMap((p) => p.findings),
    diagnostics: { containers: per.map((p) => p.diag), ...(notCompared.length ? { notCompared } : {}) },
    redCode: "E_PROOF_CONFIG_DRIFT",
    ...(notCompared.length ? { warn: { code: "E_PROOF_CONFIG_SECRETS_UNCHECKED" as const, findings: notCompared } } : {}),
  });
}
