// The seven services. Each *Spec function is pure (config in, container facts out); each class only
// wires its spec and rendered files into ServiceComponent.
//
// Healthchecks use what each real image ships, for every version of the supported range
// (contracts/config/versions.ts), checked against the upstream Dockerfiles:
// - grafana/grafana 11-13: Alpine base (busybox `wget`), user 472, group 0; entrypoint /run.sh.
// - grafana/loki 3.0-3.5.7: busybox `wget` (3.0.0 `FROM alpine`, later distroless/static:debug with
//   busybox on PATH); 3.7+: distroless without a shell, checked by the binary itself
//   (`loki -health`, grafana/loki#20313). 3.5.8-3.6.x has neither and is outside the range.
// - prom/prometheus, prom/node-exporter: quay.io/prometheus/busybox base (busybox `wget`), USER
//   nobody; Prometheus's VOLUME /prometheus is owned by nobody.
// - cAdvisor (gcr.io up to v0.52, ghcr.io/google/cadvisor after): deploy/Dockerfile is `FROM alpine`;
//   its own HEALTHCHECK is `wget --spider .../healthz`; runs as root; entrypoint
//   `/usr/bin/cadvisor -logtostderr`.
// - grafana/alloy: Ubuntu base installing only libsystemd, tzdata and ca-certificates (no wget, no
//   curl), root by default: bash's /dev/tcp speaks HTTP/1.0 to /-/ready and checks the status line
//   (a liveness gate only; the L1 proof parses responses).
// - prom/alertmanager 0.25-0.x: quay.io/prometheus/busybox base (busybox `wget`), USER nobody,
//   ENTRYPOINT /bin/alertmanager, VOLUME/WORKDIR /alertmanager; /-/ready answers 200 "OK".
import * as pulumi from "@pulumi/pulumi";
import type { ServiceName, StackConfig } from "../contracts/config/schema";
import { atLeast, imageVersion } from "../contracts/config/versions";
import {
  CONTAINER_PORT,
  DATA_PATH,
  DOCKER_SOCKET_IN_CONTAINER,
  FILES,
  HOST_SYSTEM_PATHS,
  JOURNAL_IN_CONTAINER,
} from "./defaults";
import { alertmanagerArgs, alertmanagerSecretPath } from "./render/alertmanager";
import { alloyArgs } from "./render/alloy";
import { grafanaEnv } from "./render/grafana";
import type { RenderedFile } from "./render";
import { prometheusArgs } from "./render/prometheus";
import { SecretFile, ServiceArgs, ServiceComponent, ServiceSpec } from "./service";

/**
 * Recorded on the containers that mount the Docker socket (Alloy for log discovery, cAdvisor for
 * container metadata). The mount is read-only, but that restricts nothing: the API behind the
 * socket is the whole engine. The containers-hardened policy requires this text.
 */
export const DOCKER_SOCKET_EXCEPTION = "docker-socket: the Docker socket gives full control of the engine (root on the host); a read-only mount does not restrict the API";

export function wgetHealth(svc: ServiceName, path: string): string[] {
  return ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${CONTAINER_PORT[svc]}${path}`];
}

export function bashHttpHealth(port: number, path: string): string[] {
  return [
    "CMD",
    "/bin/bash",
    "-c",
    `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET ${path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`,
  ];
}

export function grafanaSpec(_cfg: StackConfig): ServiceSpec {
  return {
    service: "grafana",
    // The image's entrypoint /run.sh resolves the GF_*__FILE variables and appends these arguments
    // to `grafana server`; this one repeats a default that GF_ANALYTICS_REPORTING_ENABLED also sets.
    command: ["cfg:default.analytics.reporting_enabled=false"],
    envs: grafanaEnv(),
    healthTest: wgetHealth("grafana", "/api/health"),
    mounts: [],
    dataPath: DATA_PATH.grafana,
  };
}

/** Loki's container healthcheck for its version (see the header: 3.7+ checks itself). */
export function lokiHealthTest(cfg: Pick<StackConfig, "images">): string[] {
  const v = imageVersion(cfg.images.loki);
  return v && atLeast(v, "3.7.0") ? ["CMD", "/usr/bin/loki", "-health"] : wgetHealth("loki", "/ready");
}

export function lokiSpec(cfg: StackConfig): ServiceSpec {
  return {
    service: "loki",
    command: [`-config.file=${FILES.lokiConfig}`],
    envs: [],
    healthTest: lokiHealthTest(cfg),
    mounts: [],
    dataPath: DATA_PATH.loki,
  };
}

export function prometheusSpec(cfg: StackConfig): ServiceSpec {
  return {
    service: "prometheus",
    command: prometheusArgs(cfg),
    envs: [],
    healthTest: wgetHealth("prometheus", "/-/ready"),
    mounts: [],
    dataPath: DATA_PATH.prometheus,
  };
}

export function alloySpec(cfg: StackConfig): ServiceSpec {
  return {
    service: "alloy",
    command: alloyArgs(),
    envs: [],
    healthTest: bashHttpHealth(CONTAINER_PORT.alloy, "/-/ready"),
    mounts: [
      // Tailed directories at the same paths as on the host, so `filename` labels name host files.
      { hostPath: cfg.paths.logsRoot, containerPath: cfg.paths.logsRoot, readOnly: true },
      { hostPath: cfg.paths.telemetryRoot, containerPath: cfg.paths.telemetryRoot, readOnly: true },
      { hostPath: cfg.paths.dockerSocket, containerPath: DOCKER_SOCKET_IN_CONTAINER, readOnly: true },
      { hostPath: cfg.paths.journalDir, containerPath: JOURNAL_IN_CONTAINER, readOnly: true },
    ],
    dataPath: DATA_PATH.alloy,
    exceptions: [
      "runs-as-root: reads the host journal and the Docker socket, whose group ids differ per host",
      DOCKER_SOCKET_EXCEPTION,
    ],
  };
}

export function nodeExporterSpec(_cfg: StackConfig): ServiceSpec {
  return {
    service: "nodeExporter",
    command: ["--path.rootfs=/host", `--web.listen-address=:${CONTAINER_PORT.nodeExporter}`],
    envs: [],
    healthTest: wgetHealth("nodeExporter", "/metrics"),
    mounts: [{ hostPath: HOST_SYSTEM_PATHS.root, containerPath: "/host", readOnly: true }],
  };
}

/**
 * cAdvisor runs privileged by default: a documented, named exception. It needs the host's cgroup
 * hierarchy, /dev/kmsg and the container runtime's state to report every per-container metric.
 * `cadvisor.privileged: false` is for engines that refuse privileged containers (rootless Docker,
 * sandboxes without CAP_SYS_RESOURCE: "unable to apply caps"); cAdvisor then still reports CPU and
 * memory per container from the read-only cgroup mounts, but not every disk metric.
 * All its host mounts are read-only.
 */
export function cadvisorSpec(cfg: StackConfig): ServiceSpec {
  return {
    service: "cadvisor",
    command: [`--port=${CONTAINER_PORT.cadvisor}`, "--docker_only=true", "--housekeeping_interval=30s", "--store_container_labels=false"],
    envs: [],
    healthTest: wgetHealth("cadvisor", "/healthz"),
    mounts: [
      { hostPath: HOST_SYSTEM_PATHS.root, containerPath: "/rootfs", readOnly: true },
      { hostPath: cfg.paths.dockerSocket, containerPath: DOCKER_SOCKET_IN_CONTAINER, readOnly: true },
      { hostPath: HOST_SYSTEM_PATHS.sys, containerPath: "/sys", readOnly: true },
      { hostPath: HOST_SYSTEM_PATHS.dockerLib, containerPath: "/var/lib/docker", readOnly: true },
      { hostPath: HOST_SYSTEM_PATHS.devDisk, containerPath: "/dev/disk", readOnly: true },
    ],
    ...(cfg.cadvisor.privileged ? { privileged: true } : {}),
    exceptions: [...(cfg.cadvisor.privileged ? ["privileged: cAdvisor reads host cgroups, /dev/kmsg and container runtime state"] : []), DOCKER_SOCKET_EXCEPTION],
  };
}

export function alertmanagerSpec(cfg: StackConfig): ServiceSpec {
  return {
    service: "alertmanager",
    command: alertmanagerArgs(cfg.images.alertmanager),
    envs: [],
    healthTest: wgetHealth("alertmanager", "/-/ready"),
    mounts: [],
    // Silences and the notification log live here; losing them re-sends or un-silences alerts.
    dataPath: DATA_PATH.alertmanager,
  };
}

export const SPECS: Record<ServiceName, (cfg: StackConfig) => ServiceSpec> = {
  grafana: grafanaSpec,
  loki: lokiSpec,
  alloy: alloySpec,
  prometheus: prometheusSpec,
  nodeExporter: nodeExporterSpec,
  cadvisor: cadvisorSpec,
  alertmanager: alertmanagerSpec,
};

export interface FilesArgs extends ServiceArgs {
  files: RenderedFile[];
  /** Secret files (0440): a non-central host's Alloy gets its gateway password and the gateway's CA this way. */
  secrets?: SecretFile[];
}

export class Loki extends ServiceComponent {
  constructor(name: string, args: FilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(name, { ...args, service: "loki", spec: lokiSpec(args.config), files: args.files }, opts);
  }
}

export class Prometheus extends ServiceComponent {
  constructor(name: string, args: FilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(name, { ...args, service: "prometheus", spec: prometheusSpec(args.config), files: args.files }, opts);
  }
}

export class Alloy extends ServiceComponent {
  constructor(name: string, args: FilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(name, { ...args, service: "alloy", spec: alloySpec(args.config), files: args.files }, opts);
  }
}

export class NodeExporter extends ServiceComponent {
  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(name, { ...args, service: "nodeExporter", spec: nodeExporterSpec(args.config), files: [] }, opts);
  }
}

export class Cadvisor extends ServiceComponent {
  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(name, { ...args, service: "cadvisor", spec: cadvisorSpec(args.config), files: [] }, opts);
  }
}

export interface GrafanaArgs extends FilesArgs {
  /** Admin password (secret Output): config grafanaAdminPassword or a RandomPassword result. */
  adminPassword: pulumi.Output<string>;
  /** Secret key for Grafana's encryption of stored secrets (RandomPassword result). */
  secretKey: pulumi.Output<string>;
}

/**
 * Grafana reads its admin password and secret key from uploaded files (GF_..._FILE env vars hold
 * only paths), so the values never appear in `docker inspect`. Only the __FILE form is set:
 * Grafana exits when both forms of one setting are present.
 */
export class Grafana extends ServiceComponent {
  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super(name, { ...args, service: "grafana", spec: grafanaSpec(args.config), files: args.files, secrets: grafanaSecretFiles(args.adminPassword, args.secretKey) }, opts);
  }
}

export function grafanaSecretFiles(adminPassword: pulumi.Output<string>, secretKey: pulumi.Output<string>): SecretFile[] {
  return [
    { path: FILES.grafanaAdminPassword, content: pulumi.secret(adminPassword) },
    { path: FILES.grafanaSecretKey, content: pulumi.secret(secretKey) },
  ];
}

/** A receiver credential (a secret Output) and the receiver it belongs to (contracts/config/pulumi.ts). */
export interface AlertmanagerCredential {
  receiver: string;
  kind: string;
  field: string;
  value: pulumi.Output<string>;
}

export interface AlertmanagerArgs extends FilesArgs {
  credentials: AlertmanagerCredential[];
}

/**
 * Receiver credentials are uploaded files (0440, root:0; the container runs as 65534:0) named by
 * the rendered config's *_file fields, so neither the config file, the environment nor
 * `docker inspect` holds a credential.
 */
export class Alertmanager extends ServiceComponent {
  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(name, { ...args, service: "alertmanager", spec: alertmanagerSpec(args.config), files: args.files, secrets: alertmanagerSecretFiles(args.credentials) }, opts);
  }
}

export function alertmanagerSecretFiles(credentials: AlertmanagerCredential[]): SecretFile[] {
  return credentials.map((c) => ({ path: alertmanagerSecretPath(c.receiver, c.kind, c.field), content: pulumi.secret(c.value) }));
}
