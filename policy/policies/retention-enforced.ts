import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import YAML from "yaml";
import { parseDuration } from "../../contracts/config/values";
import { MIN_RETENTION, MIN_RETENTION_MS } from "../../contracts/config/rules";
import { msg } from "../lib/report";
import { commandOf, displayName, findUpload, isObject, serviceOf } from "../lib/resources";

export interface RetentionConfig {
  /** Shortest accepted Loki retention_period (a duration). */
  minLogRetention: string;
  /** Shortest accepted Prometheus retention time (a duration). */
  minMetricRetention: string;
}
// Default minimum = the config lint's MIN_RETENTION, so a config the lint passes passes here.
export const RETENTION_DEFAULTS: RetentionConfig = { minLogRetention: MIN_RETENTION, minMetricRetention: MIN_RETENTION };

export const LOKI_CONFIG = "/etc/loki/config.yaml";
export const PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml";

function parseYaml(content: unknown): { doc?: Record<string, unknown>; error?: string } {
  if (typeof content !== "string") return { error: "its content is not readable text" };
  try {
    const doc = YAML.parse(content);
    return isObject(doc) ? { doc } : { error: "it is not a YAML mapping" };
  } catch (e) {
    return { error: `it is not valid YAML (${(e as Error).message.split("\n")[0]})` };
  }
}

/** Loki: compactor retention on, a delete request store, a positive retention_period >= min. */
export function lokiRetentionProblems(content: unknown, minMs: number, min: string): string[] {
  const { doc, error } = parseYaml(content);
  const fixAll = "render compactor.retention_enabled: true, compactor.delete_request_store: filesystem and limits_config.retention_period from retention.logs";
  if (!doc) return [msg(`Loki's ${LOKI_CONFIG} cannot be checked: ${error}.`, fixAll)];
  const out: string[] = [];
  const compactor = isObject(doc.compactor) ? doc.compactor : {};
  if (compactor.retention_enabled !== true) out.push(msg(`Loki's ${LOKI_CONFIG} does not set compactor.retention_enabled: true, so logs are kept forever.`, "set compactor.retention_enabled: true"));
  const store = compactor.delete_request_store;
  if (typeof store !== "string" || store.trim() === "") out.push(msg(`Loki's ${LOKI_CONFIG} has no compactor.delete_request_store, which Loki requires when retention is enabled.`, "set compactor.delete_request_store: filesystem (the object store Loki writes chunks to)"));
  const limits = isObject(doc.limits_config) ? doc.limits_config : {};
  const period = limits.retention_period;
  const ms = parseDuration(typeof period === "number" ? `${period}s` : period);
  if (ms === undefined || ms <= 0) {
    out.push(msg(`Loki's ${LOKI_CONFIG} has limits_config.retention_period ${JSON.stringify(period ?? null)}, not a positive duration (0 or unset keeps logs forever).`, "set retention.logs in Pulumi.<stack>.yaml (e.g. 30d) so the component renders limits_config.retention_period"));
  } else if (ms < minMs) {
    out.push(msg(`Loki's retention_period ${String(period)} is shorter than this policy's minLogRetention ${min}.`, `raise retention.logs to at least ${min}`));
  }
  return out;
}

/** Prometheus: `--storage.tsdb.retention.time|size=` flags, or storage.tsdb.retention in the config file. */
export function prometheusRetentionProblems(command: string[], configContent: unknown, minMs: number, min: string): string[] {
  let time: string | undefined;
  let size: string | undefined;
  for (const arg of command) {
    const m = /^--?storage\.tsdb\.retention\.(time|size)=(.*)$/.exec(arg);
    if (m && m[1] === "time") time = m[2];
    if (m && m[1] === "size") size = m[2];
  }
  // Prometheus >= 3.8 also reads storage.tsdb.retention.{time,size} from prometheus.yml.
  if (time === undefined && size === undefined && typeof configContent === "string") {
    const { doc } = parseYaml(configContent);
    const storage = doc && isObject(doc.storage) ? doc.storage : {};
    const tsdb = isObject(storage.tsdb) ? storage.tsdb : {};
    const ret = isObject(tsdb.retention) ? tsdb.retention : {};
    if (typeof ret.time === "string") time = ret.time;
    if (typeof ret.size === "string") size = ret.size;
  }
  if (time === undefined && size === undefined) {
    return [msg("Prometheus has no retention setting (no --storage.tsdb.retention.time/size flag, no storage.tsdb.retention in prometheus.yml), so it silently keeps the 15d default.", "pass --storage.tsdb.retention.time=<retention.metrics> in the container command")];
  }
  if (time !== undefined) {
    const ms = parseDuration(time);
    if (ms === undefined || ms <= 0) return [msg(`Prometheus retention time ${JSON.stringify(time)} is not a positive duration.`, "set retention.metrics in Pulumi.<stack>.yaml to a duration such as 15d")];
    if (ms < minMs) return [msg(`Prometheus retention time ${time} is shorter than this policy's minMetricRetention ${min}.`, `raise retention.metrics to at least ${min}`)];
  }
  return [];
}

// JSON Schema pattern for the CLI's config validation: RE2-compatible (no lookahead, unlike
// schema.ts's DURATION); the unit order is checked by parseDuration in the policy itself.
const DURATION_PATTERN = "^([0-9]+(ms|y|w|d|h|m|s))+$";

export const retentionEnforced: ResourceValidationPolicy = {
  name: "retention-enforced",
  description: "Loki's rendered config enables compactor retention with a delete request store and a positive retention period, and Prometheus runs with an explicit retention setting.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minLogRetention: { type: "string", pattern: DURATION_PATTERN, default: RETENTION_DEFAULTS.minLogRetention },
      minMetricRetention: { type: "string", pattern: DURATION_PATTERN, default: RETENTION_DEFAULTS.minMetricRetention },
    },
  },
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const given = { ...RETENTION_DEFAULTS, ...args.getConfig<Partial<RetentionConfig>>() };
    // The CLI validates the pattern; offline (policy:check) a minimum that does not parse must not
    // turn into "no minimum", so it falls back to the default.
    const minimum = (v: string) => (parseDuration(v) === undefined ? { text: MIN_RETENTION, ms: MIN_RETENTION_MS } : { text: v, ms: parseDuration(v)! });
    const minLog = minimum(given.minLogRetention);
    const minMetric = minimum(given.minMetricRetention);
    const service = serviceOf(c);
    const lokiUpload = findUpload(c, LOKI_CONFIG);
    const isLoki = service === "loki" || (service === undefined && lokiUpload !== undefined);
    const isPrometheus = service === "prometheus";
    if (!isLoki && !isPrometheus) return args.notApplicable("applies to the Loki and Prometheus containers only");
    const who = displayName(c, args.name);
    if (isLoki) {
      if (!lokiUpload) {
        report(msg(`Loki container ${who} has no ${LOKI_CONFIG} upload, so its retention cannot be shown.`, `deliver the rendered Loki config as Container.uploads file ${LOKI_CONFIG}`));
        return;
      }
      for (const m of lokiRetentionProblems(lokiUpload.content, minLog.ms, minLog.text)) report(m);
      return;
    }
    const promUpload = findUpload(c, PROMETHEUS_CONFIG);
    for (const m of prometheusRetentionProblems(commandOf(c), promUpload?.content, minMetric.ms, minMetric.text)) report(m);
  }),
};
