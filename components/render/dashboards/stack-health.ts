// Stack health (Prometheus): is the observability stack itself working? Scrape targets up per job
// and scrape durations, Loki / Alloy / Prometheus self-metrics, and the signals the proofs stand
// on: the log pipeline moving (L3), the rule groups evaluating (L6), alerts firing, versions.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { DashboardContext, JOB, baseDashboard, promStat, promTable, promTimeseries, row, str, thresholds, units, upDownMapping } from "./common";

/** The uid of the stack health dashboard (the stack's first dashboard kept its uid). */
export const STACK_HEALTH_DASHBOARD_UID = "logging-bootstrap-health";

export function stackHealthDashboard(ctx: DashboardContext): Dashboard {
  const job = (j: string) => `job=${str(j)}`;
  const alarm = thresholds([[null, "green"], [1, "red"]]);
  return baseDashboard(
    STACK_HEALTH_DASHBOARD_UID,
    `Stack health (${ctx.projectName})`,
    `Is ${ctx.projectName}'s observability stack working: scrape targets, Loki, Alloy and Prometheus self-metrics, and the signals the L1-L8 proofs stand on.`,
    ["health", "prometheus"],
  )
    .withPanel(promStat(ctx, { title: "Scrape targets up", description: "Per scrape job: UP when Prometheus's last scrape succeeded (up == 1).", unit: units.Short, size: { w: 16, h: 4 }, mappings: upDownMapping("UP", "DOWN"), thresholds: thresholds([[null, "red"], [1, "green"]]) }, { expr: "min by (job) (up)", legend: "{{job}}" }))
    .withPanel(promStat(ctx, { title: "Targets down", description: "Scrape targets whose last scrape failed.", unit: units.Short, size: { w: 4, h: 4 }, thresholds: alarm }, { expr: "count(up == 0) or vector(0)" }))
    .withPanel(promStat(ctx, { title: "Alerts firing", description: "Alerts of the stack's rules (e.g. TargetDown) currently firing.", unit: units.Short, size: { w: 4, h: 4 }, thresholds: alarm }, { expr: 'count(ALERTS{alertstate="firing"}) or vector(0)' }))
    .withRow(row("Scrapes"))
    .withPanel(
      promTimeseries(ctx, { title: "Up per job", description: "1 while the job's target answers its scrape, 0 while it does not.", unit: units.Short, size: { w: 8, h: 8 }, min: 0, max: 1 }, [
        { expr: "min by (job) (up)", legend: "{{job}}" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Scrape duration", description: "How long each job's scrape takes (scrape_duration_seconds); the timeout is 10 s.", unit: units.Seconds, size: { w: 8, h: 8 }, min: 0 }, [
        { expr: "max by (job) (scrape_duration_seconds)", legend: "{{job}}" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Samples per scrape", description: "Series each job exposes per scrape (scrape_samples_scraped): a jump is new cardinality.", unit: units.Short, size: { w: 8, h: 8 }, min: 0 }, [
        { expr: "sum by (job) (scrape_samples_scraped)", legend: "{{job}}" },
      ]),
    )
    .withRow(row("Log pipeline: Alloy -> Loki"))
    .withPanel(
      promTimeseries(ctx, { title: "Alloy lines read and sent", description: "Lines Alloy reads from the tailed files (logsRoot, telemetryRoot) and entries it sends to Loki, per second.", unit: units.Short, size: { w: 8, h: 8 }, min: 0 }, [
        { expr: `sum(rate(loki_source_file_read_lines_total{${job(JOB.alloy)}}[$__rate_interval]))`, legend: "file lines read" },
        { expr: `sum(rate(loki_write_sent_entries_total{${job(JOB.alloy)}}[$__rate_interval]))`, legend: "entries sent to Loki" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Loki lines received", description: "Lines Loki's distributor accepts per second (all tenants).", unit: units.Short, size: { w: 8, h: 8 }, min: 0 }, [
        { expr: `sum(rate(loki_distributor_lines_received_total{${job(JOB.loki)}}[$__rate_interval]))`, legend: "lines received" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Loki streams in memory", description: "Active streams in Loki's ingesters: label cardinality (L4 proves it stays under the limit).", unit: units.Short, size: { w: 8, h: 8 }, min: 0 }, [
        { expr: `sum(loki_ingester_memory_streams{${job(JOB.loki)}})`, legend: "streams" },
      ]),
    )
    .withRow(row("Prometheus"))
    .withPanel(
      promTimeseries(ctx, { title: "Head series", description: "Series in Prometheus's in-memory head block.", unit: units.Short, size: { w: 8, h: 8 }, min: 0 }, [
        { expr: `sum(prometheus_tsdb_head_series{${job(JOB.prometheus)}})`, legend: "series" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Samples appended", description: "Samples Prometheus appends to its head per second.", unit: units.Short, size: { w: 8, h: 8 }, min: 0 }, [
        { expr: `sum(rate(prometheus_tsdb_head_samples_appended_total{${job(JOB.prometheus)}}[$__rate_interval]))`, legend: "samples/s" },
      ]),
    )
    .withPanel(promStat(ctx, { title: "Config reload", description: "Whether Prometheus's last configuration (re)load succeeded.", unit: units.Short, size: { w: 8, h: 8 }, mappings: upDownMapping("OK", "FAILED"), thresholds: thresholds([[null, "red"], [1, "green"]]) }, { expr: `prometheus_config_last_reload_successful{${job(JOB.prometheus)}}` }))
    .withRow(row("Proof signals"))
    .withPanel(
      promTimeseries(ctx, { title: "Recording rule job:up:sum", description: "The stack's recording rule (group logging-bootstrap.recording, proven by L6): targets up per job as the rule records it.", unit: units.Short, size: { w: 6, h: 8 }, min: 0 }, [
        { expr: "job:up:sum", legend: "{{job}}" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Rule groups: time since evaluated", description: "Per rule group, seconds since Prometheus last evaluated it (a group that stops evaluating grows here).", unit: units.Seconds, size: { w: 6, h: 8 }, min: 0 }, [
        { expr: `max by (rule_group) (time() - prometheus_rule_group_last_evaluation_timestamp_seconds{${job(JOB.prometheus)}})`, legend: "{{rule_group}}" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Rule evaluation failures", description: "Failed rule evaluations per rule group in each interval (0 when the rules are healthy).", unit: units.Short, size: { w: 6, h: 8 }, min: 0 }, [
        { expr: `sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total{${job(JOB.prometheus)}}[$__rate_interval]))`, legend: "{{rule_group}}" },
      ]),
    )
    .withPanel(
      promTable(ctx, { title: "Versions running", description: "Version of each component as it reports it (build info metrics).", unit: units.Short, size: { w: 6, h: 8 } }, {
        expr: `max by (job, version) (prometheus_build_info or node_exporter_build_info or loki_build_info or alloy_build_info or grafana_build_info or label_replace(cadvisor_version_info, "version", "$1", "cadvisorVersion", "(.+)"))`,
      }),
    )
    .build();
}
