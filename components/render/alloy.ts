// Grafana Alloy pipeline of one host's agent: allowlisted Docker containers, tailed files under
// the host's logsRoot and telemetryRoot, allowlisted journald units -> redaction stages -> Loki.
// The central host's Alloy pushes to Loki on the stack network; every other host's Alloy pushes
// through the gateway (HTTPS, its own basic-auth credentials) and also scrapes its host's
// node-exporter and cAdvisor, sending the series with prometheus.remote_write (docs/FLEET.md).
// Every stream carries `project` and `host`; every remote-written series carries `host`.
import { centralHost, findHost, hostAlloy, hostPaths } from "../../contracts/config/hosts";
import type { StackConfig } from "../../contracts/config/schema";
import { BootstrapError } from "../../contracts/errors";
import { CONTAINER_PORT, DOCKER_SOCKET_IN_CONTAINER, JOURNAL_IN_CONTAINER, KEBAB, TAIL_GLOB } from "../defaults";
import { GATEWAY_PATHS } from "./gateway";
import { AGENT_SCRAPE_JOBS, scrapeTargets } from "./prometheus";
import { ref, RiverBlock, riverFile, RiverValue } from "./river";
import { GENERATED_HEADER } from "./yaml";

export const LOKI_PUSH_URL = `http://${KEBAB.loki}:${CONTAINER_PORT.loki}/loki/api/v1/push`;

/**
 * loki.write's `batch_wait` (Alloy's default, written out): a batch leaves at most this long after
 * its first line. The ingestion proof reads it to know the earliest moment its marker can be in Loki.
 */
export const LOKI_WRITE_BATCH_WAIT = { text: "1s", ms: 1000 } as const;

/** Files a non-central host's Alloy container receives besides its config: the gateway credential and CA. */
export const ALLOY_GATEWAY_FILES = {
  /** The host's gateway password (plain text, random.RandomPassword's result): a secret upload, 0440. */
  password: "/etc/alloy/secrets/gateway-password",
  /** The CA certificate the gateway's server certificate chains to, PEM. */
  ca: "/etc/alloy/gateway-ca.pem",
} as const;

/** How often a non-central host's Alloy scrapes node-exporter and cAdvisor: Prometheus' own scrape_interval. */
export const AGENT_SCRAPE_INTERVAL = "15s";

/** Where a non-central host's agents reach the central host: its address and the gateway's published port. */
export interface GatewayEndpoint {
  address: string;
  port: number;
}

/** Everything one host's Alloy config is rendered from. */
export interface AlloyAgent {
  projectName: string;
  /** The host's name: the `host` label of everything it ships, and its gateway username. */
  host: string;
  paths: { logsRoot: string; telemetryRoot: string };
  /** The Alloy lists this host runs with (contracts/config/hosts.ts hostAlloy). */
  alloy: StackConfig["alloy"];
  /** Absent on the central host (Loki over the stack network); else the gateway this host pushes through. */
  gateway?: GatewayEndpoint;
}

/** RE2-safe alternation of literal names: `^(a|b\.c)$`. */
export function literalAlternation(names: readonly string[]): string {
  const esc = names.map((n) => n.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`));
  return `^(${esc.join("|")})$`;
}

/** Join a host directory and the tail glob without doubling the slash. */
function glob(dir: string): string {
  return `${dir.replace(/\/+$/, "")}/${TAIL_GLOB}`;
}

/** The central host's agent: the top-level paths and Alloy lists, Loki on the stack network. */
export function centralAgent(cfg: StackConfig): AlloyAgent {
  return { projectName: cfg.projectName, host: centralHost(cfg).name, paths: cfg.paths, alloy: cfg.alloy };
}

/** A non-central host's agent: its paths and lists (overrides merged), pushing through the gateway. */
export function remoteAgent(cfg: StackConfig, hostName: string): AlloyAgent {
  const host = findHost(cfg, hostName);
  if (!host || host.central) throw new BootstrapError("E_INTERNAL", `${JSON.stringify(hostName)} is not a non-central host of the config`);
  if (!cfg.gateway) throw new BootstrapError("E_INTERNAL", "a fleet's config has gateway.port (the lint requires it)");
  return {
    projectName: cfg.projectName,
    host: host.name,
    paths: hostPaths(cfg, host),
    alloy: hostAlloy(cfg, host),
    gateway: { address: centralHost(cfg).address, port: cfg.gateway.port },
  };
}

/** `https://<central address>:<gateway port><path>`. */
export function gatewayUrl(g: GatewayEndpoint, path: string): string {
  return `https://${g.address}:${g.port}${path}`;
}

/** An endpoint block through the gateway: the host's username and password file, the gateway's CA. */
function gatewayEndpoint(agent: AlloyAgent, g: GatewayEndpoint, path: string, extra: [string, RiverValue][] = []): RiverBlock {
  return {
    name: "endpoint",
    attrs: [["url", gatewayUrl(g, path)], ...extra],
    blocks: [
      { name: "basic_auth", attrs: [["username", agent.host], ["password_file", ALLOY_GATEWAY_FILES.password]] },
      { name: "tls_config", attrs: [["ca_file", ALLOY_GATEWAY_FILES.ca]] },
    ],
  };
}

/**
 * A non-central host's metrics: Alloy scrapes the host's node-exporter and cAdvisor (container
 * aliases on that host's agent network) under the jobs Prometheus uses on the central host, so
 * the rule library and the dashboards read every host alike, and remote-writes them with `host`.
 */
function metricsBlocks(agent: AlloyAgent, g: GatewayEndpoint): RiverBlock[] {
  const targets = scrapeTargets();
  const scrapes: RiverBlock[] = AGENT_SCRAPE_JOBS.map((job) => ({
    name: "prometheus.scrape",
    label: job.replace(/-/g, "_"),
    attrs: [
      ["targets", [{ __address__: targets[job] }]],
      ["job_name", job],
      ["scrape_interval", AGENT_SCRAPE_INTERVAL],
      ["forward_to", [ref("prometheus.remote_write.central.receiver")]],
    ],
  }));
  return [
    ...scrapes,
    {
      name: "prometheus.remote_write",
      label: "central",
      attrs: [["external_labels", { host: agent.host }]],
      blocks: [gatewayEndpoint(agent, g, GATEWAY_PATHS.remoteWrite)],
    },
  ];
}

/** The central host's pipeline. */
export function alloyBlocks(cfg: StackConfig): RiverBlock[] {
  return agentBlocks(centralAgent(cfg));
}

/** One host's pipeline. */
export function agentBlocks(agent: AlloyAgent): RiverBlock[] {
  const a = agent.alloy;
  const blocks: RiverBlock[] = [{ name: "logging", attrs: [["level", "info"], ["format", "logfmt"]] }];
  const sink = ref("loki.process.redact.receiver");

  // Docker: discovery sees every container; the relabel keep rule is the allowlist (exact names;
  // Docker reports names with a leading slash). Nothing else reaches loki.source.docker.
  if (a.dockerAllowlist.length > 0) {
    blocks.push(
      { name: "discovery.docker", label: "containers", attrs: [["host", `unix://${DOCKER_SOCKET_IN_CONTAINER}`], ["refresh_interval", "15s"]] },
      {
        name: "discovery.relabel",
        label: "docker_allowlist",
        attrs: [["targets", ref("discovery.docker.containers.targets")]],
        blocks: [
          {
            name: "rule",
            attrs: [
              ["source_labels", ["__meta_docker_container_name"]],
              ["regex", literalAlternation(a.dockerAllowlist.map((n) => `/${n}`))],
              ["action", "keep"],
            ],
          },
          {
            name: "rule",
            attrs: [["source_labels", ["__meta_docker_container_name"]], ["regex", "^/(.*)$"], ["target_label", "container"]],
          },
          { name: "rule", attrs: [["target_label", "job"], ["replacement", "docker"]] },
        ],
      },
      {
        name: "loki.source.docker",
        label: "containers",
        attrs: [
          ["host", `unix://${DOCKER_SOCKET_IN_CONTAINER}`],
          ["targets", ref("discovery.relabel.docker_allowlist.output")],
          ["forward_to", [sink]],
        ],
      },
    );
  }

  // Files: the logs root (the ingestion proof writes its marker there) and the telemetry root,
  // mounted read-only at the same paths inside the container. loki.source.file adds `filename`.
  blocks.push(
    {
      name: "local.file_match",
      label: "files",
      attrs: [
        ["path_targets", [
          { __path__: glob(agent.paths.logsRoot), job: "logs" },
          { __path__: glob(agent.paths.telemetryRoot), job: "telemetry" },
        ]],
        ["sync_period", "5s"],
      ],
    },
    {
      name: "loki.source.file",
      label: "files",
      attrs: [["targets", ref("local.file_match.files.targets")], ["forward_to", [sink]]],
    },
  );

  // Journald: `matches` can only AND/OR field=value pairs per query, not express "only these units"
  // robustly, so the allowlist is a relabel keep rule on __journal__systemd_unit. (Alloy v1.2.1's
  // journal target merges the static `labels` first, then relabels, and drops an entry left with no
  // label: a non-allowlisted unit is never shipped.) `path` is set, so the journal is opened as a
  // directory (systemd sd_journal_open_directory also enumerates the machine-id subdirectories; only
  // the default search, without `path`, needs /etc/machine-id for its local-only filter).
  if (a.journaldUnits.length > 0) {
    blocks.push(
      {
        name: "loki.relabel",
        label: "journal_allowlist",
        attrs: [["forward_to", []]],
        blocks: [
          {
            name: "rule",
            attrs: [["source_labels", ["__journal__systemd_unit"]], ["regex", literalAlternation(a.journaldUnits)], ["action", "keep"]],
          },
          { name: "rule", attrs: [["source_labels", ["__journal__systemd_unit"]], ["target_label", "unit"]] },
        ],
      },
      {
        name: "loki.source.journal",
        label: "journal",
        attrs: [
          ["path", JOURNAL_IN_CONTAINER],
          ["max_age", "12h"],
          ["relabel_rules", ref("loki.relabel.journal_allowlist.rules")],
          ["labels", { job: "journal" }],
          ["forward_to", [sink]],
        ],
      },
    );
  }

  // Redaction: one stage.replace per configured pattern (the first capture group is replaced).
  blocks.push({
    name: "loki.process",
    label: "redact",
    attrs: [["forward_to", [ref("loki.write.loki.receiver")]]],
    blocks: a.redactions.map((r) => ({ name: "stage.replace", attrs: [["expression", r.pattern], ["replace", r.replacement]] })),
  });

  const g = agent.gateway;
  const batchWait: [string, RiverValue][] = [["batch_wait", LOKI_WRITE_BATCH_WAIT.text]];
  blocks.push({
    name: "loki.write",
    label: "loki",
    attrs: [["external_labels", { host: agent.host, project: agent.projectName }]],
    blocks: [g ? gatewayEndpoint(agent, g, GATEWAY_PATHS.lokiPush, batchWait) : { name: "endpoint", attrs: [["url", LOKI_PUSH_URL], ...batchWait] }],
  });
  if (g) blocks.push(...metricsBlocks(agent, g));
  return blocks;
}

/** One host's config file. */
export function renderAgentAlloyConfig(agent: AlloyAgent): string {
  return riverFile(agentBlocks(agent), GENERATED_HEADER);
}

/** The central host's config file (the `alloy` service's /etc/alloy/config.alloy). */
export function renderAlloyConfig(cfg: StackConfig): string {
  return renderAgentAlloyConfig(centralAgent(cfg));
}

/** The config file of the non-central host `hostName`. */
export function renderRemoteAlloyConfig(cfg: StackConfig, hostName: string): string {
  return renderAgentAlloyConfig(remoteAgent(cfg, hostName));
}

/** The Alloy command line (the image's entrypoint is /bin/alloy). */
export function alloyArgs(): string[] {
  return [
    "run",
    "/etc/alloy/config.alloy",
    `--server.http.listen-addr=0.0.0.0:${CONTAINER_PORT.alloy}`,
    "--storage.path=/var/lib/alloy/data",
  ];
}
