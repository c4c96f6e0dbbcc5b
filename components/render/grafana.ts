// Grafana provisioning: datasources with fixed uids, a file dashboard provider, and the stack's
// dashboards (host, containers, logs, stack health; built in ./dashboards/ with the Grafana
// Foundation SDK).
import type { StackConfig } from "../../contracts/config/schema";
import { CONTAINER_PORT, FILES, KEBAB } from "../defaults";
import { DashboardContext, STACK_HEALTH_DASHBOARD_UID, renderDashboards } from "./dashboards";
import { GENERATED_HEADER, toYaml } from "./yaml";

export const DATASOURCE_UIDS = { loki: "loki", prometheus: "prometheus" } as const;
/** The stack health dashboard keeps the uid the first (hand-written) dashboard had. */
export const HEALTH_DASHBOARD_UID = STACK_HEALTH_DASHBOARD_UID;
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

/** The stack's dashboards (components/render/dashboards/), read from this config. */
export function dashboardContext(cfg: StackConfig): DashboardContext {
  return { projectName: cfg.projectName, logsRoot: cfg.paths.logsRoot, datasources: { prometheus: DATASOURCE_UIDS.prometheus, loki: DATASOURCE_UIDS.loki } };
}

/** Dashboards: uid -> JSON text, uploaded to /etc/grafana/dashboards/<uid>.json. */
export function renderGrafanaDashboards(cfg: StackConfig): Record<string, string> {
  return renderDashboards(dashboardContext(cfg));
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
