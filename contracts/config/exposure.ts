// Where a service's published port binds, and which services may never leave loopback. Tolerant
// of unvalidated input (the lint reads raw values) and exact on a validated StackConfig; the
// program's ports (components/naming.ts bindIp), the lint and the policy pack follow this rule.
import type { ServiceName } from "./schema";
import { isIPv4, isRecord } from "./values";

/**
 * Services that accept pushes or answer queries without any authentication (Loki's push and query
 * API, Prometheus' API and remote-write receiver, Alertmanager's silences, Alloy's and the
 * exporters' HTTP endpoints). They are never published on a LAN address
 * (E_CONFIG_UNAUTHENTICATED_EXPOSURE, policy unauthenticated-exposure): remote agents reach Loki
 * and Prometheus through the gateway, which authenticates; Grafana has its own login.
 */
export const UNAUTHENTICATED_SERVICES: readonly ServiceName[] = ["loki", "prometheus", "alertmanager", "alloy", "nodeExporter", "cadvisor"];

export function isUnauthenticatedService(svc: unknown): svc is ServiceName {
  return typeof svc === "string" && (UNAUTHENTICATED_SERVICES as readonly string[]).includes(svc);
}

/**
 * The host address `svc`'s published port binds to: 127.0.0.1 for a service in
 * exposure.loopbackOnly, and for Alertmanager unless alerting.lanExposed; else exposure.bindAddress.
 * Undefined when bindAddress is not an IPv4 address (the schema reports it).
 */
export function serviceBindAddress(cfg: { exposure?: unknown; alerting?: unknown }, svc: ServiceName): string | undefined {
  const exp = isRecord(cfg.exposure) ? cfg.exposure : {};
  if (svc === "alertmanager" && !(isRecord(cfg.alerting) && cfg.alerting.lanExposed === true)) return "127.0.0.1";
  if (Array.isArray(exp.loopbackOnly) && exp.loopbackOnly.includes(svc)) return "127.0.0.1";
  return isIPv4(exp.bindAddress) ? exp.bindAddress : undefined;
}
