// How the stack names and reaches things, from the config alone: container, network and volume
// names, the host address a published port binds to, its URL, the bind-backed data directory.
// Pure (no Pulumi, no Docker provider): the program, verify and the CLIs share it.
import type { ServiceName, StackConfig } from "../contracts/config/schema";
import { KEBAB } from "./defaults";

export const containerName = (cfg: StackConfig, svc: ServiceName): string => `${cfg.projectName}-${KEBAB[svc]}`;
export const networkName = (cfg: StackConfig): string => `${cfg.projectName}-net`;
export const dataVolumeName = (cfg: StackConfig, svc: ServiceName): string => `${cfg.projectName}-${KEBAB[svc]}-data`;

/**
 * Host address a service's published port binds to (loopbackOnly wins over bindAddress).
 * Alertmanager stays on loopback unless alerting.lanExposed: its API silences and deletes alerts
 * without authentication.
 */
export function bindIp(cfg: StackConfig, svc: ServiceName): string {
  if (svc === "alertmanager" && !cfg.alerting.lanExposed) return "127.0.0.1";
  return cfg.exposure.loopbackOnly.includes(svc) ? "127.0.0.1" : cfg.exposure.bindAddress;
}

/** URL on the host for a published service (0.0.0.0 is reached through 127.0.0.1 locally). */
export function endpointUrl(cfg: StackConfig, svc: ServiceName): string | undefined {
  const port = cfg.ports[svc];
  if (port === undefined) return undefined;
  const ip = bindIp(cfg, svc);
  return `http://${ip === "0.0.0.0" ? "127.0.0.1" : ip}:${port}`;
}

export function dataDir(cfg: StackConfig, svc: ServiceName): string | undefined {
  return cfg.paths.dataRoot ? `${cfg.paths.dataRoot.replace(/\/+$/, "")}/${KEBAB[svc]}` : undefined;
}
