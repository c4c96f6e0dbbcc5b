// Example patches for the hosts list: YAML replaces a list whole, so a patch carries the whole list
// with one entry changed, shown as plain data with every TLS leaf masked (never a value).
import { show, stackPatch } from "../findings";
import { getAt, isRecord } from "../values";
import type { Raw } from "./types";

/** A copy of any parsed value with plain data only (depth-bounded; other values shown as text). */
export function plainCopy(v: unknown, depth = 0): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) return v;
  if (depth > 12) return "<value>";
  if (Array.isArray(v)) return v.map((e) => plainCopy(e, depth + 1));
  if (isRecord(v)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) Object.defineProperty(o, k, { value: plainCopy(v[k], depth + 1), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return show(v, 40);
}

/** What a patch shows for a TLS leaf the operator already has: never the value itself. */
const KEEP_SECURE = { secure: "v1:<keep the secure: value your stack file has>" };

/** The hosts list as a patch shows it: plain data, every TLS leaf masked. */
export function hostsForPatch(raw: Raw): unknown[] {
  const list = Array.isArray(raw.hosts) ? (plainCopy(raw.hosts) as unknown[]) : [];
  for (const h of list) {
    const tls = getAt(h, ["docker", "tls"]);
    if (isRecord(tls)) for (const k of Object.keys(tls)) tls[k] = { ...KEEP_SECURE }; // a fresh object each: YAML would alias a shared one
  }
  return list;
}

/** A patch of the whole hosts list (YAML replaces a list whole) with host `i` changed by `fix`. */
export function hostsPatch(raw: Raw, i: number, fix: (h: Record<string, unknown>) => void, comment?: string): string {
  const list = hostsForPatch(raw);
  if (!isRecord(list[i])) list[i] = {};
  fix(list[i] as Record<string, unknown>);
  return stackPatch(["hosts"], list, comment);
}
