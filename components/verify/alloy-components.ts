// Reading a running Alloy through its component API (the API Alloy's own UI uses; stable in
// shape since Alloy 1.0): GET /api/v0/web/components lists every component with its health and
// graph edges, GET /api/v0/web/components/{id} adds the evaluated `arguments`, `exports` and
// `debugInfo`, each an Alloy body encoded as JSON (syntax/encoding/alloyjson: statements
// {name, type:"attr", value:{type, value}} or {name, type:"block", label?, body}). Pure decoders
// plus one bounded reader; L3 (refresh) and L4 use them.
import type { Io } from "./types";
import { isObj, joinUrl, parseJson, transportReason } from "./checks/common";

export interface AlloyValue {
  type: string;
  value?: unknown;
}
export type AlloyStatement = { name: string; type: "attr"; value: AlloyValue } | { name: string; type: "block"; label?: string; body: AlloyStatement[] };

export interface AlloyComponent {
  localID: string;
  moduleID: string;
  name: string;
  label?: string;
  referencesTo: string[];
  referencedBy: string[];
  health: { state: string; message: string };
  arguments: AlloyStatement[];
  exports: AlloyStatement[];
  debugInfo: AlloyStatement[];
}

export const COMPONENTS_PATH = "/api/v0/web/components";

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const body = (v: unknown): AlloyStatement[] => (Array.isArray(v) ? (v.filter((s) => isObj(s) && typeof s.name === "string") as AlloyStatement[]) : []);

/** One ComponentInfo object, or why it is not one. */
export function toComponent(v: unknown): AlloyComponent | string {
  if (!isObj(v) || typeof v.localID !== "string" || typeof v.name !== "string") return "a component without localID/name";
  const h = isObj(v.health) ? v.health : {};
  return {
    localID: v.localID,
    moduleID: typeof v.moduleID === "string" ? v.moduleID : "",
    name: v.name,
    ...(typeof v.label === "string" ? { label: v.label } : {}),
    referencesTo: strings(v.referencesTo),
    referencedBy: strings(v.referencedBy),
    health: { state: typeof h.state === "string" ? h.state : "unknown", message: typeof h.message === "string" ? h.message : "" },
    arguments: body(v.arguments),
    exports: body(v.exports),
    debugInfo: body(v.debugInfo),
  };
}

/** An alloyjson value as plain data: objects become records, capsules `{capsule: text}`. */
export function plain(v: AlloyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.type === "array" && Array.isArray(v.value)) return v.value.map((x) => plain(x as AlloyValue));
  if (v.type === "object" && Array.isArray(v.value)) {
    return Object.fromEntries((v.value as { key: string; value: AlloyValue }[]).filter((f) => isObj(f) && typeof f.key === "string").map((f) => [f.key, plain(f.value)]));
  }
  if (v.type === "capsule") return { capsule: v.value };
  if (v.type === "null") return null;
  return v.value;
}

/** The attributes of a body as plain data. */
export function attrsOf(b: AlloyStatement[]): Record<string, unknown> {
  return Object.fromEntries(b.filter((s) => s.type === "attr").map((s) => [s.name, plain((s as { value: AlloyValue }).value)]));
}

/** The bodies of the blocks named `name`, in order. */
export function blocksOf(b: AlloyStatement[], name: string): AlloyStatement[][] {
  return b.filter((s): s is Extract<AlloyStatement, { type: "block" }> => s.type === "block" && s.name === name).map((s) => (Array.isArray(s.body) ? s.body : []));
}

/** Top-level (module "") components by id. */
export function byLocalId(list: AlloyComponent[]): Map<string, AlloyComponent> {
  return new Map(list.filter((c) => c.moduleID === "").map((c) => [c.localID, c]));
}

export type AlloyRead = { ok: true; list: AlloyComponent[]; details: Map<string, AlloyComponent> } | { ok: false; problem: string };

async function getJson(io: Io, url: string, timeoutMs: number): Promise<{ ok: true; value: unknown } | { ok: false; problem: string }> {
  try {
    const res = await io.http({ url, timeoutMs });
    if (res.status !== 200) return { ok: false, problem: `HTTP ${res.status}` };
    const p = parseJson(res.body);
    return p.ok ? p : { ok: false, problem: "body is not JSON" };
  } catch (e) {
    return { ok: false, problem: `no answer (${transportReason(e)})` };
  }
}

/**
 * The component list, then the detail of the components `wanted(list)` names (bounded: one request
 * each, at most 32). A detail that cannot be read is a problem, not a silent gap.
 */
export async function readAlloy(alloyUrl: string, io: Io, timeoutMs: number, wanted: (list: AlloyComponent[]) => string[]): Promise<AlloyRead> {
  const base = joinUrl(alloyUrl, COMPONENTS_PATH);
  const l = await getJson(io, base, timeoutMs);
  if (!l.ok) return { ok: false, problem: `Alloy component API ${COMPONENTS_PATH}: ${l.problem}` };
  if (!Array.isArray(l.value)) return { ok: false, problem: `Alloy component API ${COMPONENTS_PATH}: not a list` };
  const list: AlloyComponent[] = [];
  for (const v of l.value) {
    const c = toComponent(v);
    if (typeof c === "string") return { ok: false, problem: `Alloy component API ${COMPONENTS_PATH}: ${c}` };
    list.push(c);
  }
  const details = new Map<string, AlloyComponent>();
  for (const id of [...new Set(wanted(list))].slice(0, 32)) {
    const d = await getJson(io, `${base}/${id.split("/").map(encodeURIComponent).join("/")}`, timeoutMs);
    const c = d.ok ? toComponent(d.value) : d.problem;
    if (typeof c === "string") return { ok: false, problem: `Alloy component API ${COMPONENTS_PATH}/${id}: ${c}` };
    details.set(id, c);
  }
  return { ok: true, list, details };
}
