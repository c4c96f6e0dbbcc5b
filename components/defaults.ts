// Fixed facts of the product (COMMON.md conventions) and defaults the config may override.
import type { ServiceName } from "../contracts/config/schema";

/** Docker names use kebab-case; config keys and labels use the camelCase service key. */
export const KEBAB: Record<ServiceName, string> = {
  grafana: "grafana",
  loki: "loki",
  alloy: "alloy",
  prometheus: "prometheus",
  nodeExporter: "node-exporter",
  cadvisor: "cadvisor",
  alertmanager: "alertmanager",
};

/** Component type tokens: logging-bootstrap:services:<Class>. */
export const COMPONENT_CLASS: Record<ServiceName, string> = {
  grafana: "Grafana",
  loki: "Loki",
  alloy: "Alloy",
  prometheus: "Prometheus",
  nodeExporter: "NodeExporter",
  cadvisor: "Cadvisor",
  alertmanager: "Alertmanager",
};

export const CONTAINER_PORT: Record<ServiceName, number> = {
  grafana: 3000,
  loki: 3100,
  prometheus: 9090,
  alloy: 12345,
  nodeExporter: 9100,
  cadvisor: 8080,
  alertmanager: 9093,
};

/** Memory limits in MiB when `limits.<service>` is not set. */
export const DEFAULT_MEMORY_MB: Record<ServiceName, number> = {
  grafana: 512,
  loki: 1024,
  alloy: 512,
  prometheus: 1024,
  nodeExporter: 128,
  cadvisor: 256,
  alertmanager: 128,
};

/** json-file rotation for every container: at most 3 x 10 MB of container logs per service. */
export const LOG_OPTS = { "max-size": "10m", "max-file": "3" } as const;

/**
 * Users the real images run as (non-root where the image allows it):
 * - loki: the image's `loki` user 10001; prometheus and node-exporter: `nobody` (65534);
 * - grafana: 472 with gid 0 (the image's grafana user is in group root, so group-readable
 *   uploaded secret files (0440, owned by root) are readable and nothing else is);
 * - alloy: root (named exception): it reads the Docker socket and the host journal, whose group
 *   ids differ per host; both are mounted read-only;
 * - cadvisor: root + privileged (named exception, see components/services.ts);
 * - alertmanager: the image's `nobody` (65534) with gid 0, so it reads its uploaded secret files
 *   (0440, root:0) and nothing else can.
 */
export const CONTAINER_USER: Record<ServiceName, string | undefined> = {
  grafana: "472:0",
  loki: "10001:10001",
  prometheus: "65534:65534",
  nodeExporter: "65534:65534",
  alloy: undefined,
  cadvisor: undefined,
  alertmanager: "65534:0",
};

/** Owner to give a bind-backed data directory under paths.dataRoot (matches CONTAINER_USER). */
export const DATA_OWNER: Partial<Record<ServiceName, string>> = {
  grafana: "472:0",
  loki: "10001:10001",
  prometheus: "65534:65534",
  alloy: "0:0",
  alertmanager: "65534:0",
};

/** Where each service keeps its data (the volume mount point). */
export const DATA_PATH: Partial<Record<ServiceName, string>> = {
  grafana: "/var/lib/grafana",
  loki: "/loki",
  prometheus: "/prometheus",
  alloy: "/var/lib/alloy/data",
  // Silences and the notification log: without them a restart re-sends every active alert.
  alertmanager: "/alertmanager",
};

/** Inside-container locations (COMMON.md). */
export const FILES = {
  lokiConfig: "/etc/loki/config.yaml",
  prometheusConfig: "/etc/prometheus/prometheus.yml",
  prometheusRules: "/etc/prometheus/rules/logging-bootstrap.rules.yml",
  alloyConfig: "/etc/alloy/config.alloy",
  grafanaDatasources: "/etc/grafana/provisioning/datasources/datasources.yaml",
  grafanaDashboardProvider: "/etc/grafana/provisioning/dashboards/dashboards.yaml",
  // Not under /var/lib/grafana: that is the data volume, where an uploaded file outlives the
  // container, so a dashboard dropped from the renderer would linger. Here a replaced container
  // holds exactly the rendered set.
  grafanaDashboardsDir: "/etc/grafana/dashboards",
  grafanaAdminPassword: "/etc/grafana/secrets/admin_password",
  grafanaSecretKey: "/etc/grafana/secrets/secret_key",
  alertmanagerConfig: "/etc/alertmanager/alertmanager.yml",
  /** One 0440 file per receiver credential: <dir>/<receiver>-<kind>-<field>. */
  alertmanagerSecretsDir: "/etc/alertmanager/secrets",
} as const;

/** The Docker socket path inside the containers that read it. */
export const DOCKER_SOCKET_IN_CONTAINER = "/var/run/docker.sock";
/** The journal path inside the Alloy container. */
export const JOURNAL_IN_CONTAINER = "/var/log/journal";

/**
 * Host system paths node-exporter and cAdvisor read. These are properties of a Linux Docker host,
 * not operator choices, so they are not config keys (P9 covers operator paths: paths.*).
 */
export const HOST_SYSTEM_PATHS = {
  root: "/",
  sys: "/sys",
  dockerLib: "/var/lib/docker",
  devDisk: "/dev/disk",
} as const;

/**
 * Health: wait for healthy on create; Loki needs ~15 s to become ready (ring, compactor).
 * Docker runs the first check one `interval` after start. `startInterval` (Docker 25+, API 1.44;
 * @pulumi/docker 5.2.0 has `healthcheck.startInterval`) would check faster during the start period
 * only, but older engines drop it (seen on the test engine, Docker 20.10: the created container has
 * no StartInterval) and the provider reads back 0s, which would plan a replacement on every up. A
 * permanently shorter interval was measured (2 s, bench:apply): Loki healthy 2-3 s sooner after a
 * docker start and under 1 s sooner in up (its min_ready_duration, 15 s from its first /ready,
 * dominates), at the price of a process started in every container every 2 s for as long as the
 * stack runs; not taken.
 */
export const HEALTH = {
  interval: "5s",
  timeout: "3s",
  retries: 10,
  startPeriod: { default: "10s", loki: "30s", grafana: "20s" } as Record<string, string>,
  /** Seconds `pulumi up` waits for a container to report healthy. */
  waitTimeout: 180,
};

/** Alloy's glob for files tailed under paths.logsRoot / paths.telemetryRoot. */
export const TAIL_GLOB = "**/*.log";

/** Label names: defined with the plan model (contracts/plan/tokens.ts), which its readers share. */
export { LABEL_PROJECT, LABEL_SERVICE, LABEL_DATA, LABEL_RETAIN, LABEL_HOST } from "../contracts/plan";

/**
 * Grafana's own admin password reset, run inside the Grafana container with the password on stdin
 * (Grafana >= 9.1). The paths are the ones the official image's run.sh gives the server, so the
 * CLI opens the same database (GF_PATHS_DATA comes from the container's environment).
 */
export const GRAFANA_RESET_COMMAND: readonly string[] = [
  "/usr/share/grafana/bin/grafana",
  "cli",
  "--homepath",
  "/usr/share/grafana",
  "--config",
  "/etc/grafana/grafana.ini",
  "admin",
  "reset-admin-password",
  "--password-from-stdin",
];

