// Value checks of the config contract: pure predicates and parsers over raw values (never
// throwing). The config lint (rules.ts), the policy pack and the migrations share them, so a value
// the lint accepts cannot fail a policy for the same reason.
import path from "node:path";
import type { PathSeg } from "./findings";
import { DNS_LABEL, DOCKER_HOST_URL, STRUCTURED_KEYS } from "./schema";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export const MIN_PORT = 1024;
export const MAX_PORT = 65535;

export function isValidPort(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= MIN_PORT && v <= MAX_PORT;
}

/** Absolute POSIX host path (the stack runs on Linux Docker hosts). */
export function isAbsolutePath(v: unknown): boolean {
  return typeof v === "string" && v.startsWith("/") && !v.includes("\0");
}

/** `/srv//x/./y/` -> `/srv/x/y`: the spelling Docker reports back for a bind mount. */
export function normalizeHostPath(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
}

/**
 * Why a host path is not acceptable, or undefined: relative (depends on the daemon's working
 * directory), or absolute but not in normal form (`..`, `.`, `//`: what is mounted is not what the
 * file says). A trailing slash is harmless. The config lint (paths.*) and the host-paths-absolute
 * policy (every bind mount) both use this, so a config the lint passes cannot fail the policy.
 */
export function hostPathProblem(v: string): "relative" | "not-normal" | undefined {
  if (!isAbsolutePath(v)) return "relative";
  if (normalizeHostPath(v) !== (v.length > 1 ? v.replace(/\/+$/, "") : v)) return "not-normal";
  return undefined;
}

export function isDnsLabel(v: unknown): boolean {
  return typeof v === "string" && DNS_LABEL.test(v);
}

/**
 * Suffixes the program appends to projectName for Docker names (shared conventions: containers
 * `<project>-<kebab service>`, data volumes `<project>-<kebab service>-data`, network `<project>-net`).
 * Every such name must itself be a DNS label (names-dns-safe), so projectName must leave room for the
 * longest suffix. test/policy/program.test.ts checks this list against the names the program declares.
 */
export const DERIVED_NAME_SUFFIXES: readonly string[] = [
  "-net",
  ...["grafana", "loki", "alloy", "prometheus", "node-exporter", "cadvisor", "alertmanager"].map((k) => `-${k}`),
  ...["grafana", "loki", "alloy", "prometheus", "alertmanager"].map((k) => `-${k}-data`),
  // The fleet's gateway (docs/FLEET.md), on the central host.
  "-gateway",
];
export const MAX_PROJECT_NAME_LENGTH = 63 - Math.max(...DERIVED_NAME_SUFFIXES.map((x) => x.length));

/**
 * Suffixes after `<project>-<host>` in the names of a non-central host's resources (docs/FLEET.md:
 * `<project>-X-alloy`, `-X-node-exporter`, `-X-cadvisor`, `-X-net`, `-X-docker` the provider,
 * `-X-host` its proof, `-X-alloy-data` its data volume, `-X-host-dirs` the step that creates its
 * directories through its engine; an agent's image has its container's name). Each such name must be
 * a DNS label too, so a host name may be at most maxHostNameLength(project) long. The central host
 * keeps v2's names.
 */
export const HOST_DERIVED_NAME_SUFFIXES: readonly string[] = ["-alloy", "-node-exporter", "-cadvisor", "-net", "-docker", "-host", "-alloy-data", "-host-dirs"];

/** The longest name a non-central host may have in a project named `project` (at least 1 while projectName is within MAX_PROJECT_NAME_LENGTH). */
export function maxHostNameLength(project: string): number {
  return 63 - project.length - 1 - Math.max(...HOST_DERIVED_NAME_SUFFIXES.map((x) => x.length));
}

export type DockerHost =
  | { scheme: "unix"; path: string }
  | { scheme: "ssh"; user: string; host: string; port?: number }
  | { scheme: "tcp"; host: string; port: number };

/**
 * A host's docker.host (the docker.Provider's address) parsed, or undefined when it is not one of
 * unix:///<absolute path in normal form>, ssh://user@host[:port] or tcp://host:port (ports 1-65535).
 * The schema's pattern (DOCKER_HOST_URL) says the same for the JSON Schema twin; this adds the port
 * range and the socket path's normal form.
 */
export function parseDockerHost(v: unknown): DockerHost | undefined {
  if (typeof v !== "string" || v.length > 300 || !DOCKER_HOST_URL.test(v)) return undefined;
  if (v.startsWith("unix://")) {
    const p = v.slice("unix://".length);
    return hostPathProblem(p) === undefined && unsafePathChars(p) === undefined && p !== "/" ? { scheme: "unix", path: p } : undefined;
  }
  const m = /^(ssh|tcp):\/\/(?:([^@]+)@)?([^:]+)(?::([0-9]+))?$/.exec(v);
  if (!m) return undefined;
  const port = m[4] === undefined ? undefined : Number(m[4]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  if (m[1] === "ssh") return { scheme: "ssh", user: m[2], host: m[3], ...(port !== undefined ? { port } : {}) };
  return port === undefined ? undefined : { scheme: "tcp", host: m[3], port };
}

/** Best-effort DNS-safe spelling of a name (for example patches): `logging_test` -> `logging-test`. */
export function toDnsLabel(v: string): string {
  const s = v
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/g, "");
  return s === "" ? "logging-bootstrap" : s;
}

const IPV4_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4_RE = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);

export function isIPv4(v: unknown): v is string {
  return typeof v === "string" && IPV4_RE.test(v);
}

export function isLoopbackIPv4(v: unknown): boolean {
  return isIPv4(v) && v.startsWith("127.");
}

// Prometheus' model.ParseDuration grammar (Loki's retention_period uses the same type): units
// from largest to smallest, each at most once. "2d1w" and "30 days" do not parse there, so they
// must not pass here either.
const DURATION_RE = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const UNIT_MS = [365 * 86400e3, 7 * 86400e3, 86400e3, 3600e3, 60e3, 1e3, 1];

/** Milliseconds of a Prometheus-style duration (`30d`, `720h`, `1w2d`), or undefined if it does not parse. */
export function parseDuration(s: unknown): number | undefined {
  if (typeof s !== "string" || s === "") return undefined;
  const m = DURATION_RE.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const g = m[i + 1];
    if (g !== undefined) total += Number(g) * UNIT_MS[i];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

export type ImagePinVerdict =
  | { pinned: true; ref: ImageRef; hasDigest: boolean }
  | { pinned: false; reason: "invalid" | "untagged" | "latest" | "moving-tag"; ref?: ImageRef };

// Docker reference grammar (distribution/reference): components of lowercase alphanumerics
// separated by `.`, `_`, `__` or dashes; an optional registry host[:port] first.
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)";
const REPO_RE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** Tags that move by design: pinning to them pins nothing. */
export const MOVING_TAGS = ["latest", "stable", "edge", "main", "master", "nightly", "dev"] as const;

export function parseImageRef(ref: unknown): ImageRef | undefined {
  if (typeof ref !== "string" || ref.length === 0 || ref.length > 512) return undefined;
  const at = ref.indexOf("@");
  const left = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  if (digest !== undefined && !DIGEST_RE.test(digest)) return undefined;
  const slash = left.lastIndexOf("/");
  const colon = left.lastIndexOf(":");
  const hasTag = colon > slash;
  const repository = hasTag ? left.slice(0, colon) : left;
  const tag = hasTag ? left.slice(colon + 1) : undefined;
  if (!REPO_RE.test(repository)) return undefined;
  if (tag !== undefined && !TAG_RE.test(tag)) return undefined;
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** P10: an exact tag (never `latest` or another moving tag, never untagged); a `@sha256:` digest is optional and kept. */
export function isPinnedImage(ref: unknown): ImagePinVerdict {
  const parsed = parseImageRef(ref);
  if (!parsed) return { pinned: false, reason: "invalid" };
  if (parsed.tag === undefined) return { pinned: false, reason: "untagged", ref: parsed };
  const lower = parsed.tag.toLowerCase();
  if (lower === "latest") return { pinned: false, reason: "latest", ref: parsed };
  if ((MOVING_TAGS as readonly string[]).includes(lower)) return { pinned: false, reason: "moving-tag", ref: parsed };
  return { pinned: true, ref: parsed, hasDigest: parsed.digest !== undefined };
}


export function getAt(raw: unknown, segs: readonly PathSeg[]): unknown {
  let cur: unknown = raw;
  for (const s of segs) {
    if (typeof s === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s];
    } else {
      if (!isRecord(cur) || !Object.prototype.hasOwnProperty.call(cur, s)) return undefined;
      cur = cur[s];
    }
  }
  return cur;
}

/** Keys that would reach an object's prototype when a parsed document is copied key by key. */
export const FORBIDDEN_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];

/** Every path at which a forbidden key occurs in a parsed document (own properties only). */
export function forbiddenKeyPaths(v: unknown, at: PathSeg[] = []): PathSeg[][] {
  if (Array.isArray(v)) return v.flatMap((e, i) => forbiddenKeyPaths(e, [...at, i]));
  if (!isRecord(v)) return [];
  return Object.keys(v).flatMap((k) => (FORBIDDEN_KEYS.includes(k) ? [[...at, k]] : forbiddenKeyPaths(v[k], [...at, k])));
}

/**
 * Host directories that must never be a paths.* root: the filesystem root and the system trees.
 * Alloy tails `<root>/**\/*.log` and the host-dirs step chowns data directories, so `/` or `/etc`
 * as a root would ship or re-own the host's own files.
 */
export const SYSTEM_DIRS: readonly string[] = [
  "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt",
  "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log", "/var/run",
];
/** Trees no log or data root belongs under (system state, kernel interfaces, software). */
export const SYSTEM_TREES: readonly string[] = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin", "/sys", "/usr"];

/**
 * Why a path is unsafe as a host path of this stack, or undefined. Checked characters: control and
 * invisible format characters (bidi overrides, zero-width), line/paragraph separators, the glob
 * characters Alloy would expand, and ':' (Docker's bind-mount separator).
 */
export function unsafePathChars(p: string): string | undefined {
  if (/[\p{Cc}]/u.test(p)) return "a control character (newline, tab, ...)";
  if (/[\p{Cf}\p{Zl}\p{Zp}]/u.test(p)) return "an invisible or bidirectional formatting character";
  if (/[*?[\]{}]/.test(p)) return "a glob character (* ? [ ] { })";
  if (p.includes(":")) return "':' (Docker's bind-mount separator)";
  return undefined;
}

/** A root directory (logsRoot, telemetryRoot, dataRoot) that is a system directory or lies in a system tree. */
export function systemDirProblem(p: string): string | undefined {
  const n = normalizeHostPath(p);
  if (SYSTEM_DIRS.includes(n)) return `${n} is a system directory`;
  const tree = SYSTEM_TREES.find((t) => n.startsWith(`${t}/`));
  return tree ? `${n} lies in the system tree ${tree}` : undefined;
}

/** Docker's container name grammar (daemon: [a-zA-Z0-9][a-zA-Z0-9_.-]+). */
export function isContainerName(v: unknown): boolean {
  return typeof v === "string" && v.length <= 255 && /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(v);
}

/** A systemd unit name with its type suffix (docker.service), as journald's _SYSTEMD_UNIT holds it. */
export function isUnitName(v: unknown): boolean {
  return typeof v === "string" && v.length <= 255 && /^[A-Za-z0-9:_.\\@-]+\.(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/.test(v);
}

/** A Loki/Prometheus label name (names starting with __ are reserved for internal use). */
export function isLabelName(v: unknown): boolean {
  return typeof v === "string" && /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(v) && !v.startsWith("__");
}

/**
 * Turn the runtime's string values back into what the stack file held: structured keys are JSON,
 * schemaVersion an integer, offlineMode a boolean. A value that does not convert is passed on as the
 * string, so the lint reports it (e.g. offlineMode "yes" -> E_CONFIG_NOT_BOOLEAN).
 */
export function decodeConfigValue(key: string, v: string): unknown {
  if (STRUCTURED_KEYS.has(key)) {
    try {
      return JSON.parse(v);
    } catch {
      return v; // the schema reports "expected object, got string"
    }
  }
  if (key === "schemaVersion") return /^-?[0-9]{1,9}$/.test(v.trim()) ? Number(v.trim()) : v;
  if (key === "offlineMode") return v === "true" ? true : v === "false" ? false : v;
  if (key === "projectName") return v;
  // Keys outside schema v1 (e.g. a v0 config set through Pulumi): JSON if it parses, else the string.
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
