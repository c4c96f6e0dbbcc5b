// The evidence a proof leaves behind and reads back later: L3's marker line in Loki. The marker
// names the second it was written (`lbproof-<unix seconds>-<hex>`), so L4 and refresh query a
// narrow window around it (Loki refuses a query_range longer than max_query_length, 721h by
// default, and a window as long as the retention would be refused on every apply with 31d, 90d or
// 1y of logs), and a marker older than the logs retention is evidence Loki may have dropped: the
// proof is re-run on the next apply ("re-prove"), never reported red.
import { LOKI_MAX_QUERY_LENGTH } from "../render/loki";
import { parseDuration } from "../../contracts/config/values";

const MARKER_RE = /^lbproof-([0-9]{9,11})-([0-9a-f]+)$/;

/** Clock skew allowed between this host and Loki on either side of the marker's second. */
export const MARKER_SKEW_MS = 60_000;
/** A marker this close to the retention edge is treated as gone: the compactor runs every 10 min. */
export const RETENTION_MARGIN_MS = 3_600_000;

/** A new marker for the second `nowMs` falls in. */
export function newMarker(nowMs: number, hex: string): string {
  return `lbproof-${Math.floor(nowMs / 1000)}-${hex}`;
}

/** When the marker was written (ms since the epoch); undefined for a marker without a time (older releases). */
export function markerTimeMs(marker: string): number | undefined {
  const m = MARKER_RE.exec(marker);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** Loki's max_query_length as the stack renders it, in ms. */
export function maxQueryLengthMs(): number {
  return parseDuration(LOKI_MAX_QUERY_LENGTH)!;
}

/**
 * The query_range window that finds a marker: from its second minus the skew to the end of the
 * ingestion proof's wall clock plus the skew, never past now, never longer than Loki accepts. A
 * marker without a time is looked for over the retention, cut to what Loki accepts.
 */
export function markerWindow(marker: string, nowMs: number, o: { retentionSeconds: number; ingestionTimeoutSeconds: number }): { startMs: number; endMs: number } {
  const limit = maxQueryLengthMs() - 60_000;
  const endCap = nowMs + 1000;
  const t = markerTimeMs(marker);
  if (t === undefined) return { startMs: endCap - Math.min(o.retentionSeconds * 1000, limit), endMs: endCap };
  const endMs = Math.min(endCap, t + o.ingestionTimeoutSeconds * 1000 + MARKER_SKEW_MS);
  const startMs = Math.max(t - MARKER_SKEW_MS, endMs - limit);
  return { startMs: Math.min(startMs, endMs - 1000), endMs };
}

/**
 * Why the marker can no longer be expected in Loki (undefined while it can): older than the logs
 * retention less a margin, or from a release whose markers carry no time.
 */
export function markerExpired(marker: string | undefined, retentionSeconds: number | undefined, nowMs: number): string | undefined {
  if (!marker || retentionSeconds === undefined) return undefined;
  const t = markerTimeMs(marker);
  if (t === undefined) return `the marker ${marker} carries no time (written by an older release)`;
  if (nowMs - t < retentionSeconds * 1000 - RETENTION_MARGIN_MS) return undefined;
  return `the marker ${marker} was written ${new Date(t).toISOString()}, about as long ago as the logs retention (${Math.round(retentionSeconds / 86400)}d): Loki may have dropped it`;
}
