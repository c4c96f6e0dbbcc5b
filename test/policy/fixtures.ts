// Passing fixtures for every policy: containers shaped as components/ declares them (@pulumi/docker
// 5.2.0 inputs), written here by hand so policy tests do not depend on the program.
import { TYPES } from "../../policy/lib/resources";
import { alloyFixture } from "../util/alloy-fixture";
import { res } from "../util/policy";

export const LOKI_YAML = `auth_enabled: false
server:
  http_listen_port: 3100
common:
  path_prefix: /loki
compactor:
  working_directory: /loki/compactor
  retention_enabled: true
  delete_request_store: filesystem
limits_config:
  retention_period: 168h
`;

export const ALLOY_CONFIG = alloyFixture({
  containers: ["t-grafana", "t-loki"],
  units: ["docker.service", "ssh.service"],
  redactions: [{ expression: "(?i)password=([^\\s&]+)", replace: "***REDACTED***" }],
});

/** A rendered Alertmanager config: every receiver credential a *_file (components/render/alertmanager.ts). */
export const ALERTMANAGER_YAML = `receivers:
  - name: blackhole
  - name: oncall
    webhook_configs:
      - url_file: /etc/alertmanager/secrets/oncall-webhook-url
  - name: team-mail
    email_configs:
      - to: ops@example.com
        from: am@example.com
        smarthost: smtp.example.com:587
        auth_username: am
        auth_password_file: /etc/alertmanager/secrets/team-mail-email-auth-password
route:
  receiver: oncall
`;

const PORTS: Record<string, [number, number]> = { grafana: [3000, 9101], loki: [3100, 9102], alloy: [12345, 9103], prometheus: [9090, 9104], nodeExporter: [9100, 9105], cadvisor: [8080, 9106], alertmanager: [9093, 9107] };
const KEBAB: Record<string, string> = { nodeExporter: "node-exporter" };

/** Inputs of a hardened, policy-clean container for `service`. */
export function containerInputs(service: string): Record<string, any> {
  const name = `t-${KEBAB[service] ?? service}`;
  const [internal, external] = PORTS[service];
  const inputs: Record<string, any> = {
    name,
    image: "sha256:0123",
    labels: [
      { label: "logging-bootstrap.project", value: "t" },
      { label: "logging-bootstrap.service", value: service },
    ],
    ports: [{ internal, external, ip: "127.0.0.1", protocol: "tcp" }],
    restart: "unless-stopped",
    healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${internal}/ready`], interval: "5s", timeout: "3s", retries: 10 },
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    memory: 512,
    envs: [],
    volumes: [{ volumeName: `t-${KEBAB[service] ?? service}-data`, containerPath: "/data" }],
    networksAdvanced: [{ name: "t-net", aliases: [KEBAB[service] ?? service] }],
  };
  if (service === "grafana") {
    inputs.envs = ["GF_SECURITY_ADMIN_USER=admin", "GF_SECURITY_ADMIN_PASSWORD__FILE=/etc/grafana/secrets/admin_password", "GF_SECURITY_SECRET_KEY__FILE=/etc/grafana/secrets/secret_key"];
    inputs.uploads = [
      { file: "/etc/grafana/secrets/admin_password", content: "***REDACTED***" },
      { file: "/etc/grafana/secrets/secret_key", content: "***REDACTED***" },
    ];
  }
  if (service === "loki") inputs.uploads = [{ file: "/etc/loki/config.yaml", content: LOKI_YAML }];
  if (service === "prometheus") {
    inputs.command = ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.retention.time=7d"];
    inputs.uploads = [{ file: "/etc/prometheus/prometheus.yml", content: "global:\n  scrape_interval: 15s\n" }];
  }
  if (service === "alloy") {
    inputs.uploads = [{ file: "/etc/alloy/config.alloy", content: ALLOY_CONFIG }];
    inputs.volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true });
    inputs.volumes.push({ hostPath: "/tmp/t/logs", containerPath: "/tmp/t/logs", readOnly: true });
    inputs.labels.push({ label: "logging-bootstrap.exception", value: SOCKET_EXCEPTION });
  }
  if (service === "alertmanager") {
    inputs.user = "65534:0";
    inputs.uploads = [
      { file: "/etc/alertmanager/alertmanager.yml", content: ALERTMANAGER_YAML, permissions: "0444" },
      { file: "/etc/alertmanager/secrets/oncall-webhook-url", content: "***REDACTED***", permissions: "0440" },
      { file: "/etc/alertmanager/secrets/team-mail-email-auth-password", content: "***REDACTED***", permissions: "0440" },
    ];
  }
  if (service === "cadvisor") {
    inputs.privileged = true;
    inputs.mounts = [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }];
    inputs.labels.push({ label: "logging-bootstrap.exception", value: `privileged: host cgroups; ${SOCKET_EXCEPTION}` });
  }
  return inputs;
}

/** The risk a socket-holding container must record (components/services.ts DOCKER_SOCKET_EXCEPTION says the same). */
export const SOCKET_EXCEPTION = "docker-socket: the Docker socket gives full control of the engine (root on the host)";

export const container = (service: string, inputs = containerInputs(service)) => res(TYPES.container, `t-${KEBAB[service] ?? service}`, inputs);
export const image = (name: string) => res(TYPES.remoteImage, "t-image", { name, keepLocally: true });
export const volume = (name: string, labels: { label: string; value: string }[], options: { protect?: boolean; retainOnDelete?: boolean } = {}) =>
  res(TYPES.volume, name, { name, labels, driver: "local" }, { options });
export const network = (name: string) => res(TYPES.network, name, { name, driver: "bridge" });
export const other = () => res("random:index/randomPassword:RandomPassword", "t-pw", { length: 24 });

export const SERVICES = ["grafana", "loki", "alloy", "prometheus", "nodeExporter", "cadvisor", "alertmanager"];
