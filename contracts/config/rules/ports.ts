// ports.<service> and gateway.port: published host ports.
import { finding, show, stackPatch } from "../findings";
import { suggestPort } from "../examples";
import { isRecord, isValidPort, MAX_PORT, MIN_PORT } from "../values";
import { empty, Raw, RuleResult } from "./types";

/**
 * ports.<service> and gateway.port (schema v3): integers in 1024-65535, unique across everything the
 * stack publishes on its host.
 */
export function rulePorts(raw: Raw): RuleResult {
  const out = empty();
  const entries: [string[], unknown][] = [];
  if (isRecord(raw.ports)) for (const [svc, v] of Object.entries(raw.ports)) entries.push([["ports", svc], v]);
  if (isRecord(raw.gateway) && raw.gateway.port !== undefined) entries.push([["gateway", "port"], raw.gateway.port]);
  const used = new Set<number>();
  for (const [, v] of entries) if (isValidPort(v)) used.add(v);
  const seen = new Map<number, string>();
  for (const [at, v] of entries) {
    if (v === undefined) continue;
    const name = at.join(".");
    const svc = at[0] === "gateway" ? "gateway" : at[1];
    if (!isValidPort(v)) {
      const fix = suggestPort(svc, used);
      const what = typeof v === "string" ? `a string (${show(v, 40)}), not an integer` : show(v, 40);
      out.errors.push(finding("E_CONFIG_INVALID_PORT", at, `${name} is ${what}; published ports must be integers between ${MIN_PORT} and ${MAX_PORT}`, stackPatch(at, fix)));
      continue;
    }
    const prev = seen.get(v);
    if (prev !== undefined) {
      const fix = suggestPort(svc, used);
      used.add(fix);
      out.errors.push(finding("E_CONFIG_PORT_DUPLICATE", at, `${name} (${v}) is already published by ${prev}; every service needs its own host port`, stackPatch(at, fix)));
    } else {
      seen.set(v, name);
    }
  }
  return out;
}
