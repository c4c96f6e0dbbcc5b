// Grafana provisioning: datasources with fixed uids, a file dashboard provider, and a dashboard of
// the stack's own health.
import type { StackConfig } from "../../contracts/config/schema";
import { CONTAINER_PORT, FILES, KEBAB } from "../defaults";
import { GENERATED_HEADER, toSortedJson, toYaml } from "./yaml";

export const DATASOURCE_UIDS = { loki: "loki", prometheus: "prometheus" } as const;
export const HEALTH_DASHBOARD_UID = "logging-bootstrap-health";
export const DASHBOARD_FOLDER = "logging-bootstrap";

export function renderGrafanaDatasources(_cfg: StackConfig): string {
  return toYaml(
    {
      apiVersion: 1,
      datasources: [
        {
          name: "Loki",
          type: "loki",
          uid: DATASOURCE_UIDS.loki,
          access: "proxy",
          url: `http://${KEBAB.loki}:${CONTAINER_PORT.loki}`,
          isDefault: false,
          editable: false,
          jsonData: { maxLines: 1000 },
        },
        {
          name: "Prometheus",
          type: "prometheus",
          uid: DATASOURCE_UIDS.prometheus,
          access: "proxy",
          url: `http://${KEBAB.prometheus}:${CONTAINER_PORT.prometheus}`,
          isDefault: true,
          editable: false,
          jsonData: { httpMethod: "POST", timeInterval: "15s" },
        },
      ],
    },
    GENERATED_HEADER,
  );
}

export function renderGrafanaDashboardProvider(_cfg: StackConfig): string {
  return toYaml(
    {
      apiVersion: 1,
      providers: [
        {
          name: "logging-bootstrap",
          orgId: 1,
          folder: DASHBOARD_FOLDER,
          type: "file",
          disableDeletion: true,
          allowUiUpdates: false,
          updateIntervalSeconds: 30,
          options: { path: FILES.grafanaDashboardsDir, foldersFromFilesStructure: false },
        },
      ],
    },
    GENERATED_HEADER,
  );
}

function panel(id: number, title: string, type: string, gridPos: { x: number; y: number; w: number; h: number }, ds: "loki" | "prometheus", expr: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    title,
    type,
    gridPos,
    datasource: { type: ds, uid: DATASOURCE_UIDS[ds] },
    targets: [{ refId: "A", datasource: { type: ds, uid: DATASOURCE_UIDS[ds] }, expr }],
    ...extra,
  };
}

export function healthDashboardObject(cfg: StackConfig): Record<string, unknown> {
  return {
    uid: HEALTH_DASHBOARD_UID,
    title: `Stack health (${cfg.projectName})`,
    tags: ["logging-bootstrap", "health"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    panels: [
      panel(1, "Scrape targets up", "stat", { x: 0, y: 0, w: 12, h: 6 }, "prometheus", "sum by (job) (up)"),
      panel(2, "Targets down", "stat", { x: 12, y: 0, w: 12, h: 6 }, "prometheus", 'count(up == 0) or vector(0)'),
      panel(3, "Log lines per job (5m)", "timeseries", { x: 0, y: 6, w: 12, h: 8 }, "loki", 'sum by (job) (count_over_time({job=~".+"}[5m]))'),
      panel(4, "Container memory (MiB)", "timeseries", { x: 12, y: 6, w: 12, h: 8 }, "prometheus",
        `sum by (name) (container_memory_working_set_bytes{name=~"${cfg.projectName}-.*"}) / 1024 / 1024`),
      panel(5, "Loki ingested lines/s", "timeseries", { x: 0, y: 14, w: 12, h: 8 }, "prometheus", "sum(rate(loki_distributor_lines_received_total[5m]))"),
      panel(6, "Recent stack logs", "logs", { x: 12, y: 14, w: 12, h: 8 }, "loki", '{job=~".+"}'),
    ],
  };
}

/** Dashboards: uid -> JSON text, uploaded to /etc/grafana/dashboards/<uid>.json. */
export function renderGrafanaDashboards(cfg: StackConfig): Record<string, string> {
  return { [HEALTH_DASHBOARD_UID]: toSortedJson(healthDashboardObject(cfg)) };
}

/** Environment of the Grafana container: only paths and switches, never secret values. */
export function grafanaEnv(): string[] {
  return [
    "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
    "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
    "GF_ANALYTICS_REPORTING_ENABLED=false",
    "GF_AUTH_ANONYMOUS_ENABLED=false",
    "GF_PATHS_PROVISIONING=/etc/grafana/provisioning",
    "GF_SECURITY_ADMIN_PASSWORD__FILE=" + FILES.grafanaAdminPassword,
    "GF_SECURITY_ADMIN_USER=admin",
    "GF_SECURITY_SECRET_KEY__FILE=" + FILES.grafanaSecretKey,
    "GF_USERS_ALLOW_SIGN_UP=false",
  ];
}
