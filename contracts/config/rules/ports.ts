// ports.<service>: published host ports.
import { finding, show, stackPatch } from "../findings";
import { suggestPort } from "../examples";
import { isRecord, isValidPort, MAX_PORT, MIN_PORT } from "../values";
import { empty, Raw, RuleResult } from "./types";

/** ports.<service>: integers in 1024-65535, unique across services. */
export function rulePorts(raw: Raw): RuleResult {
  const out = empty();
  const ports = raw.ports;
  if (!isRecord(ports)) return out;
  const used = new Set<number>();
  for (const v of Object.values(ports)) if (isValidPort(v)) used.add(v);
  const seen = new Map<number, string>();
  for (const [svc, v] of Object.entries(ports)) {
    if (v === undefined) continue;
    if (!isValidPort(v)) {
      const fix = suggestPort(svc, used);
      const what = typeof v === "string" ? `a string (${show(v, 40)}), not an integer` : show(v, 40);
      out.errors.push(
        finding("E_CONFIG_INVALID_PORT", ["ports", svc], `ports.${svc} is ${what}; published ports must be integers between ${MIN_PORT} and ${MAX_PORT}`, stackPatch(["ports", svc], fix)),
      );
      continue;
    }
    const prev = seen.get(v);
    if (prev !== undefined) {
      const fix = suggestPort(svc, used);
      used.add(fix);
      out.errors.push(
        finding("E_CONFIG_PORT_DUPLICATE", ["ports", svc], `ports.${svc} (${v}) is already published by ports.${prev}; every service needs its own host port`, stackPatch(["ports", svc], fix)),
      );
    } else {
      seen.set(v, svc);
    }
  }
  return out;
}
