// The one error type of the product (P4). Codes are the keys of error_taxonomy.json, so a code
// that is not in the taxonomy does not compile, and `assertKnownCode` refuses it at run time too
// (for codes that arrive as strings, e.g. from a serialized dynamic provider or a run bundle).
import taxonomy from "./error_taxonomy.json";

export type ErrorCode = keyof typeof taxonomy.codes;
export type Bucket = "env" | "config" | "runtime" | "network" | "proof" | "deps";
export const BUCKETS: readonly Bucket[] = ["env", "config", "runtime", "network", "proof", "deps"];

export interface TaxonomyEntry {
  bucket: Bucket;
  description: string;
  action: string;
}

export function taxonomyEntry(code: string): TaxonomyEntry {
  const entry = (taxonomy.codes as Record<string, TaxonomyEntry>)[code];
  if (!entry) {
    throw new Error(`error code ${JSON.stringify(code)} is not defined in contracts/error_taxonomy.json`);
  }
  return entry;
}

export function assertKnownCode(code: string): asserts code is ErrorCode {
  taxonomyEntry(code);
}

export function allCodes(): ErrorCode[] {
  return Object.keys(taxonomy.codes) as ErrorCode[];
}

export function bucketOf(code: ErrorCode): Bucket {
  return taxonomyEntry(code).bucket;
}

/** A structured, serializable description of a failure. */
export interface ErrorRecord {
  code: ErrorCode;
  bucket: Bucket;
  message: string;
  /** What to do about it: the taxonomy's action unless the emitter knows better. */
  action: string;
  details?: Record<string, unknown>;
}

export class BootstrapError extends Error {
  readonly code: ErrorCode;
  readonly bucket: Bucket;
  readonly action: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: { action?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    const entry = taxonomyEntry(code);
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "BootstrapError";
    this.code = code;
    this.bucket = entry.bucket;
    this.action = opts.action ?? entry.action;
    this.details = opts.details;
  }

  toRecord(): ErrorRecord {
    const rec: ErrorRecord = { code: this.code, bucket: this.bucket, message: this.message.slice(this.code.length + 2), action: this.action };
    if (this.details) rec.details = this.details;
    return rec;
  }
}

/** Build an ErrorRecord without throwing (for reports that collect many findings). */
export function errorRecord(code: ErrorCode, message: string, opts: { action?: string; details?: Record<string, unknown> } = {}): ErrorRecord {
  return new BootstrapError(code, message, opts).toRecord();
}

/** Normalize anything thrown into a record; unknown errors become E_INTERNAL. */
export function toErrorRecord(err: unknown): ErrorRecord {
  if (err instanceof BootstrapError) return err.toRecord();
  const message = err instanceof Error ? err.message : String(err);
  return errorRecord("E_INTERNAL", message);
}
