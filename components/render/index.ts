// Every non-secret file each service receives, rendered from the config by pure functions.
import { isFleet, remoteHosts } from "../../contracts/config/hosts";
import type { ServiceName, StackConfig } from "../../contracts/config/schema";
import { FILES } from "../defaults";
import { renderAlertmanagerConfig } from "./alertmanager";
import { renderAlloyConfig, renderRemoteAlloyConfig } from "./alloy";
import { GATEWAY_FILES, gatewayParams, renderGatewayConfig } from "./gateway";
import { renderGrafanaDashboardProvider, renderGrafanaDashboards, renderGrafanaDatasources } from "./grafana";
import { renderLokiConfig } from "./loki";
import { renderPrometheusConfig, renderPrometheusRules } from "./prometheus";
import { sha256 } from "./yaml";

export interface RenderedFile {
  /** Absolute path inside the container. */
  path: string;
  content: string;
  sha256: string;
}

function file(path: string, content: string): RenderedFile {
  return { path, content, sha256: sha256(content) };
}

/** service -> files (sorted by path). Secret files (Grafana's, Alertmanager's receiver credentials) are not here: they are Outputs. */
export function renderServiceFiles(cfg: StackConfig): Record<ServiceName, RenderedFile[]> {
  const grafana = [
    file(FILES.grafanaDatasources, renderGrafanaDatasources(cfg)),
    file(FILES.grafanaDashboardProvider, renderGrafanaDashboardProvider(cfg)),
    ...Object.entries(renderGrafanaDashboards(cfg)).map(([uid, text]) => file(`${FILES.grafanaDashboardsDir}/${uid}.json`, text)),
  ];
  const out: Record<ServiceName, RenderedFile[]> = {
    grafana,
    loki: [file(FILES.lokiConfig, renderLokiConfig(cfg))],
    alloy: [file(FILES.alloyConfig, renderAlloyConfig(cfg))],
    prometheus: [file(FILES.prometheusConfig, renderPrometheusConfig(cfg)), file(FILES.prometheusRules, renderPrometheusRules(cfg))],
    nodeExporter: [],
    cadvisor: [],
    alertmanager: [file(FILES.alertmanagerConfig, renderAlertmanagerConfig(cfg))],
  };
  for (const k of Object.keys(out) as ServiceName[]) out[k].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

/**
 * A fleet's other files (docs/FLEET.md): the gateway's Caddy config on the central host, and the
 * Alloy config of each non-central host (host name -> its Alloy's files; node-exporter and cAdvisor
 * get none). Empty for a fleet of one. Secret and generated files (the TLS key and certificates,
 * the password hashes, each host's password and the gateway's CA) are not here: they are Outputs.
 */
export function renderFleetFiles(cfg: StackConfig): { gateway: RenderedFile[]; hosts: Record<string, RenderedFile[]> } {
  if (!isFleet(cfg)) return { gateway: [], hosts: {} };
  return {
    gateway: [file(GATEWAY_FILES.config, renderGatewayConfig(gatewayParams(cfg)))],
    hosts: Object.fromEntries(remoteHosts(cfg).map((h) => [h.name, [file(FILES.alloyConfig, renderRemoteAlloyConfig(cfg, h.name))]])),
  };
}

/** service -> {path -> sha256}: the desired state of config files (P1). */
export function configShas(files: Record<ServiceName, RenderedFile[]>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [svc, list] of Object.entries(files)) {
    if (list.length === 0) continue;
    out[svc] = Object.fromEntries(list.map((f) => [f.path, f.sha256]));
  }
  return out;
}

export { sha256 };
