// Shared shapes of the verification levels (ARCHITECTURE.md "Verification levels").
// Every check is a pure function of plain data plus injected I/O, so the same code runs inside
// the dynamic providers, in `npm run verify`, in the fault matrix and in unit tests.
import type { ErrorCode } from "../../contracts/errors";

export type Level = "L1" | "L2" | "L3" | "L4" | "L5" | "L6" | "L7" | "L8" | "L9";
export type ProofStatus = "green" | "warn" | "red";

// The per-level facts (names, proof types, codes, toggles, inputs) live in one table: levels.ts.
export { LEVELS, LEVEL_NAMES, PROOF_TYPES } from "./levels";

export interface ProofResult {
  level: Level;
  status: ProofStatus;
  /** Set when status is red (the level's taxonomy code) or warn (e.g. E_PROOF_REDACTION_ABSENT). */
  code?: ErrorCode;
  durationMs: number;
  /**
   * Deterministic one-line statements of what is wrong (empty when green). Derived from live
   * state only, never from timings, so they can live in Pulumi state without churning refresh.
   */
  findings: string[];
  /** Everything observed: requests, parsed answers, retry logs, timings. Never stored in state. */
  diagnostics: Record<string, unknown>;
  /**
   * Facts a later proof builds on, stored in state (stable between reads: never a timestamp):
   * L3's `marker`, the line whose stream L4 checks.
   */
  outputs?: Record<string, unknown>;
}

export interface HttpRequest {
  method?: "GET" | "POST" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}
export interface HttpResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}
/** Throws on transport errors (refused, timeout); any HTTP status is a response. */
export type HttpFn = (req: HttpRequest) => Promise<HttpResponse>;

export interface ContainerInfo {
  id: string;
  name: string;
  /** Image id the container runs (sha256:...). */
  imageId: string;
  /** The image reference the container was created with (Config.Image). */
  imageRef: string;
  state: string;
  running: boolean;
  health?: string;
  networks: string[];
}
export interface ImageInfo {
  id: string;
  repoDigests: string[];
  repoTags: string[];
}
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
/** A file read out of a container: its bytes, or why there are none. */
export type ContainerFile = { kind: "file"; content: Buffer } | { kind: "missing" } | { kind: "not-a-file"; type: string } | { kind: "too-large"; size: number };

/** One entry of a directory read out of a container (or an image) through the archive API. */
export interface DirEntry {
  /** Absolute path. */
  path: string;
  kind: "file" | "dir" | "symlink" | "other";
  /** Permission bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** A regular file's bytes; absent when it is larger than the per-file bound. */
  content?: Buffer;
  /** A symlink's (or hard link's) target. */
  linkname?: string;
  /** The archive's entry type of an "other" entry (Link, FIFO, CharacterDevice, ...). */
  type?: string;
}
/** A whole directory, recursively, or why there is none. */
export type DirListing = { kind: "dir"; entries: DirEntry[] } | { kind: "missing" } | { kind: "not-a-dir"; type: string } | { kind: "too-large"; reason: string };
/** Bounds of one directory read: entries, bytes of file content kept, bytes of one file kept. */
export interface DirLimits {
  maxEntries: number;
  maxBytes: number;
  maxFileBytes: number;
}

/** A GET from inside a Docker network, through the run's probe session (probe-session.ts). */
export interface ProbeRequest {
  image: string;
  network: string;
  /** The image's BusyBox, e.g. ["busybox"]: the session runs `sh` and `wget` through it. */
  entrypoint: string[];
  url: string;
  /** The session container's name and labels (taken from the request that opens it). */
  name: string;
  labels: Record<string, string>;
  timeoutMs: number;
}
export interface ProbeResult extends ExecResult {
  timedOut: boolean;
}

export interface DockerIo {
  /** null when no such container. */
  inspectContainer(name: string): Promise<ContainerInfo | null>;
  /** null when no such image. */
  inspectImage(ref: string): Promise<ImageInfo | null>;
  /** Run a command in a running container; `stdin` (if given) is written to it and then closed. */
  exec(container: string, cmd: string[], timeoutMs: number, stdin?: string): Promise<ExecResult>;
  /**
   * Read one file out of a container through the engine's archive API (GET /containers/{id}/archive):
   * works for any image (no shell or sha256sum needed inside) and for stopped containers.
   */
  readFile(container: string, path: string, maxBytes: number, timeoutMs: number): Promise<ContainerFile>;
  /** A whole directory of a container, recursively, through the archive API (bounded by limits and timeoutMs). */
  readDir(container: string, path: string, limits: DirLimits, timeoutMs: number): Promise<DirListing>;
  /**
   * The same directory as the image ships it: read from a container created from the image and
   * never started (removed with its anonymous volumes whatever happens), named and labelled as given.
   */
  readImageDir(image: string, path: string, limits: DirLimits, timeoutMs: number, scratch: { name: string; labels: Record<string, string> }): Promise<DirListing>;
  /** The registry's current manifest digest for a tag (engine's distribution API); null if unknown. */
  registryDigest?(ref: string): Promise<string | null>;
  /**
   * GET a URL with BusyBox wget from inside a network: `-S` server response in stderr, body in
   * stdout. One probe container per (image, network) serves every probe of the run; `closeProbes`
   * removes it.
   */
  probe(req: ProbeRequest): Promise<ProbeResult>;
  /** End the run's probe sessions and wait until their containers are removed. */
  closeProbes(): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface FileIo {
  /** Append to a file, creating it (0644); never through a symbolic link (O_NOFOLLOW). */
  appendFile(path: string, data: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  /** True when the path itself is a symbolic link (lstat); false when it is anything else or absent. */
  isSymlink(path: string): Promise<boolean>;
}

export interface Io {
  http: HttpFn;
  docker: DockerIo;
  clock: Clock;
  files: FileIo;
  /** Random hex for markers and probe names (injectable for deterministic tests). */
  randomHex(bytes: number): string;
}
