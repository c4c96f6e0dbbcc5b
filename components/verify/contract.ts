// Typed view of contracts/health_contract.json and the pure evaluation of its green criteria
// (P3, P13): HTTP status, JSON fields by path, whole trimmed text, metric names parsed from the
// Prometheus exposition format. No substring matching anywhere.
import contractJson from "../../contracts/health_contract.json";
import type { ServiceName } from "../../contracts/config/schema";

export interface JsonCriterion {
  path: string;
  equals?: string | number | boolean | null;
  type?: "string" | "number" | "boolean" | "object" | "array";
}
export interface GreenCriteria {
  json?: JsonCriterion[];
  text?: { equals: string };
  metrics?: { present: string[] };
}
export interface HealthEndpoint {
  id: string;
  service: ServiceName;
  containerPort: number;
  path: string;
  method: "GET";
  expectStatus: number;
  startupGraceSeconds?: number;
  timeoutMs?: number;
  green: GreenCriteria;
}
export interface RetryPolicy {
  timeoutMs: number;
  retries: number;
  backoff: { initialMs: number; factor: number; maxMs: number };
  consecutiveSuccesses: number;
  deadlineSeconds: number;
}
export interface HealthContract {
  version: number;
  defaults: RetryPolicy;
  endpoints: HealthEndpoint[];
}

export const HEALTH_CONTRACT = contractJson as unknown as HealthContract;

export function endpointsFor(service: ServiceName, contract: HealthContract = HEALTH_CONTRACT): HealthEndpoint[] {
  return contract.endpoints.filter((e) => e.service === service);
}

export function endpointById(id: string, contract: HealthContract = HEALTH_CONTRACT): HealthEndpoint {
  const e = contract.endpoints.find((x) => x.id === id);
  if (!e) throw new Error(`health contract has no endpoint ${id}`);
  return e;
}

/** `a.b.0.c` into a parsed JSON value; undefined when any step is missing. */
export function jsonPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (Array.isArray(cur)) {
      if (!/^[0-9]+$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
  }
  return cur;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Sample names in a Prometheus text exposition (comments and HELP/TYPE lines are not samples). */
export function metricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?=[{\s])/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/** The value of an unlabelled sample in a Prometheus text exposition (undefined when absent). */
export function metricValue(text: string, name: string): number | undefined {
  for (const raw of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\S+)/.exec(raw.trim());
    if (m && m[1] === name) return Number(m[2]);
  }
  return undefined;
}

/** Every way the answer falls short of the endpoint's contract; empty means green. */
export function evaluateGreen(ep: Pick<HealthEndpoint, "id" | "expectStatus" | "green">, status: number, body: string): string[] {
  const out: string[] = [];
  if (status !== ep.expectStatus) {
    out.push(`${ep.id}: HTTP ${status}, expected ${ep.expectStatus}`);
    return out;
  }
  const g = ep.green ?? {};
  if (g.json && g.json.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      out.push(`${ep.id}: body is not JSON`);
      return out;
    }
    for (const c of g.json) {
      const v = jsonPath(parsed, c.path);
      if (v === undefined) {
        out.push(`${ep.id}: JSON field ${c.path} is missing`);
        continue;
      }
      if (c.equals !== undefined && v !== c.equals) out.push(`${ep.id}: JSON field ${c.path} is ${JSON.stringify(v)}, expected ${JSON.stringify(c.equals)}`);
      if (c.type !== undefined && typeOf(v) !== c.type) out.push(`${ep.id}: JSON field ${c.path} is a ${typeOf(v)}, expected ${c.type}`);
    }
  }
  if (g.text && body.trim() !== g.text.equals) {
    out.push(`${ep.id}: body is ${JSON.stringify(body.trim().slice(0, 80))}, expected ${JSON.stringify(g.text.equals)}`);
  }
  if (g.metrics) {
    const names = metricNames(body);
    for (const m of g.metrics.present) if (!names.has(m)) out.push(`${ep.id}: metric ${m} is not exposed`);
  }
  return out;
}

/** Delay before retry `attempt` (1-based): initial * factor^(attempt-1), capped. */
export function backoffMs(policy: RetryPolicy["backoff"], attempt: number): number {
  return Math.min(policy.maxMs, Math.round(policy.initialMs * Math.pow(policy.factor, Math.max(0, attempt - 1))));
}
