// Prometheus: scrape config for the stack's own services and one rules file. In a fleet it also
// receives the other hosts' node-exporter and cAdvisor series through the gateway (remote write).
import { centralHost, isFleet } from "../../contracts/config/hosts";
import type { StackConfig } from "../../contracts/config/schema";
import { CONTAINER_PORT, FILES, KEBAB } from "../defaults";
import { JOB } from "./jobs";
import { RULE_GROUPS, ruleGroups } from "./rules";
import { GENERATED_HEADER, toYaml } from "./yaml";

/** Rule groups the L6 proof expects to find loaded (the rule library's, ./rules/). */
export { RULE_GROUPS };

/** Scrape jobs: job name -> target on the stack network (aliases = kebab service names). */
export function scrapeTargets(): Record<string, string> {
  return {
    prometheus: `localhost:${CONTAINER_PORT.prometheus}`,
    "node-exporter": `${KEBAB.nodeExporter}:${CONTAINER_PORT.nodeExporter}`,
    cadvisor: `${KEBAB.cadvisor}:${CONTAINER_PORT.cadvisor}`,
    loki: `${KEBAB.loki}:${CONTAINER_PORT.loki}`,
    alloy: `${KEBAB.alloy}:${CONTAINER_PORT.alloy}`,
    grafana: `${KEBAB.grafana}:${CONTAINER_PORT.grafana}`,
    // The rule library's AlertmanagerNotificationsFailing reads job="alertmanager" (render/jobs.ts JOB).
    alertmanager: `${KEBAB.alertmanager}:${CONTAINER_PORT.alertmanager}`,
  };
}

/**
 * The scrape jobs of the agents every host runs. On the central host Prometheus scrapes them; on
 * every other host that host's Alloy does, under the same job names and targets (render/alloy.ts),
 * so rules and dashboards select every host's series alike and tell them apart by `host`.
 */
export const AGENT_SCRAPE_JOBS: readonly string[] = [JOB.nodeExporter, JOB.cadvisor];

/** Parse a tag like v2.52.0 / 3.8.1 into [major, minor]; undefined when it is not semver-like. */
export function prometheusVersion(imageRef: string): [number, number] | undefined {
  const tag = imageRef.split("@")[0].split(":").pop() ?? "";
  const m = /^v?(\d+)\.(\d+)/.exec(tag);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Where retention goes: `--storage.tsdb.retention.time` is deprecated from 3.8 on, where the
 * config file's `storage.tsdb.retention.time` applies (v3.8.0: config.TSDBRetentionConfig, and the
 * flag's help reads "[DEPRECATED] ... use the storage.tsdb.retention.time field in the config file";
 * v3.7 has no such field and would reject the key). Unknown tags keep the flag (works everywhere).
 */
export function retentionInConfigFile(imageRef: string): boolean {
  const v = prometheusVersion(imageRef);
  return v !== undefined && (v[0] > 3 || (v[0] === 3 && v[1] >= 8));
}

export function prometheusConfigObject(cfg: StackConfig): Record<string, unknown> {
  const targets = scrapeTargets();
  const obj: Record<string, unknown> = {
    global: {
      scrape_interval: "15s",
      evaluation_interval: "15s",
      external_labels: { project: cfg.projectName },
    },
    // Alerts go to the stack's Alertmanager over the stack network (alias = kebab service name).
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`${KEBAB.alertmanager}:${CONTAINER_PORT.alertmanager}`] }] }] },
    rule_files: [FILES.prometheusRules],
    // Everything scraped here runs on the central host: its series carry that host's name, as
    // every other host's carry theirs (Alloy's external_labels there).
    scrape_configs: Object.entries(targets).map(([job, target]) => ({
      job_name: job,
      static_configs: [{ targets: [target], labels: { host: centralHost(cfg).name } }],
    })),
  };
  if (retentionInConfigFile(cfg.images.prometheus)) {
    obj.storage = { tsdb: { retention: { time: cfg.retention.metrics } } };
  }
  return obj;
}

export function renderPrometheusConfig(cfg: StackConfig): string {
  return toYaml(prometheusConfigObject(cfg), GENERATED_HEADER);
}

/** The rules file: the recording group and the alert library (./rules/), rendered for this config. */
export function prometheusRulesObject(cfg: StackConfig): Record<string, unknown> {
  return { groups: ruleGroups(cfg) };
}

export function renderPrometheusRules(cfg: StackConfig): string {
  return toYaml(prometheusRulesObject(cfg), GENERATED_HEADER);
}

/** The Prometheus command line (the image's entrypoint is the prometheus binary). */
export function prometheusArgs(cfg: StackConfig): string[] {
  const args = [`--config.file=${FILES.prometheusConfig}`, "--storage.tsdb.path=/prometheus"];
  if (!retentionInConfigFile(cfg.images.prometheus)) args.push(`--storage.tsdb.retention.time=${cfg.retention.metrics}`);
  // The lifecycle API (POST /-/reload, /-/quit) has no authentication: only when asked for, and the
  // lint and the lifecycle-api-local policy keep it off a LAN-published port.
  if (cfg.prometheus.webLifecycle) args.push("--web.enable-lifecycle");
  // The other hosts' Alloy remote-writes through the gateway (the flag exists from 2.33 on, and in
  // every 3.x). Only in a fleet: the receiver takes writes without authentication, and the gateway
  // is what authenticates them.
  if (isFleet(cfg)) args.push("--web.enable-remote-write-receiver");
  args.push(`--web.listen-address=0.0.0.0:${CONTAINER_PORT.prometheus}`);
  return args;
}
