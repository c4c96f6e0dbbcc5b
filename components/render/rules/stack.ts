// The stack watching itself: scrapes, Prometheus, Loki, Alertmanager, Alloy. Expressions follow
// the upstream mixins, narrowed to this stack's scrape jobs; metric and label names checked at:
// - up: every scrape job (prometheus.ts scrapeTargets()).
// - prometheus_rule_evaluation_failures_total{rule_group}, prometheus_config_last_reload_successful:
//   Prometheus 3.14.0's own /metrics (prometheus-mixin: PrometheusRuleFailures, PrometheusBadConfig).
// - loki_request_duration_seconds_count{route,status_code}, loki_discarded_samples_total{reason,tenant}:
//   loki-mixin (grafana/loki production/loki-mixin/alerts.libsonnet, LokiRequestErrors) and Loki's
//   "Monitor Loki" docs; Loki rejects with reasons such as rate_limited, greater_than_max_sample_age.
// - alertmanager_notifications_failed_total{integration,reason}: Alertmanager 0.35.0's own /metrics
//   (alertmanager-mixin: AlertmanagerFailedToSendAlerts); needs the `alertmanager` scrape job.
// - alloy_component_controller_running_components{health_type}: Alloy docs, "Monitor the Grafana Alloy
//   component controller" (health_type: healthy, unhealthy, unknown, exited).
import type { StackConfig } from "../../../contracts/config/schema";
import { CONTAINER_PORT } from "../../defaults";
import { type AlertRule, JOB, type Severity, dedent, runbook } from "./types";

export const LOKI_ERROR_PERCENT = 10;

/** A counter of failures of one scrape job: the metric and the labels to tell the failures apart. */
interface FailureCounter {
  metric: string;
  job: string;
  by: string;
}

/** An alert on a failure counter that rose within the last 5 minutes (per `by`), for `forDuration`. */
function counterRose(alert: string, c: FailureCounter, forDuration: string, severity: Severity, annotations: AlertRule["annotations"]): AlertRule {
  return { alert, expr: `sum by (${c.by}) (increase(${c.metric}{job="${c.job}"}[5m])) > 0`, for: forDuration, labels: { severity }, annotations };
}

export function stackAlerts(cfg: StackConfig): AlertRule[] {
  const c = (svc: string) => `${cfg.projectName}-${svc}`;
  return [
    {
      alert: "TargetDown",
      expr: `up{job!="${JOB.nodeExporter}"} == 0`,
      for: "5m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Scrape target {{ $labels.job }} ({{ $labels.instance }}) on {{ $labels.host }} is down",
        description: runbook({
          means: "The scrapes of {{ $labels.instance }} of job {{ $labels.job }} on {{ $labels.host }} have failed for 5 minutes (Prometheus scrapes the central host's targets, each other host's Alloy its cAdvisor): that service is down or unreachable, and its own alerts cannot fire. (node-exporter has NodeExporterDown instead.)",
          causes: "the container stopped, is restarting or unhealthy; it left its network; it answers /metrics with an error or too slowly (scrape timeout 10s).",
          check: [
            `docker ps -a --filter name=${cfg.projectName}- on {{ $labels.host }} (is the {{ $labels.job }} container up and healthy?)`,
            `docker logs --tail 100 ${cfg.projectName}-{{ $labels.job }} on {{ $labels.host }}`,
            'up{job="{{ $labels.job }}",host="{{ $labels.host }}"}; on the central host also the lastError of the target in Prometheus /api/v1/targets',
          ],
          fix: "start or repair the container (npm run -s bootstrap -- --mode repair --stack <stack> --target <its urn>); if it runs, fix what its logs say.",
        }),
      },
    },
    counterRose("PrometheusRuleFailures", { metric: "prometheus_rule_evaluation_failures_total", job: JOB.prometheus, by: "rule_group" }, "15m", "critical", {
      summary: "Prometheus fails to evaluate rules of group {{ $labels.rule_group }}",
      description: runbook({
        means: "Rule evaluations in {{ $labels.rule_group }} have kept failing for 15 minutes: the alerts and records of that group are not computed, so alerts may silently not fire.",
        causes: "a query error at evaluation time (many-to-many matching, a label clash after a relabel), query timeouts or an overloaded Prometheus.",
        check: [
          `docker logs --since 30m ${c("prometheus")} 2>&1 | grep -i 'evaluating rule'`,
          "the health and lastError of each rule in Prometheus /api/v1/rules (the L6 proof reads the same)",
        ],
        fix: "fix the failing expression in components/render/rules/ (promtool check rules and npm run -s rules:test must pass) and run pulumi up.",
      }),
    }),
    {
      alert: "PrometheusConfigReloadFailed",
      expr: `max_over_time(prometheus_config_last_reload_successful{job="${JOB.prometheus}"}[5m]) == 0`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Prometheus' last configuration reload failed",
        description: runbook({
          means: "Prometheus rejected its configuration or rule files on the last reload and keeps running the previous ones; a restart with the current files would fail to start.",
          causes: "the files in the container were edited by hand (not rendered by Pulumi), a reload was triggered on a broken file, a rule file does not parse.",
          check: [
            `docker logs --since 1h ${c("prometheus")} 2>&1 | grep -iE 'error.*config|config.*error'`,
            `docker exec ${c("prometheus")} promtool check config /etc/prometheus/prometheus.yml`,
            "npm run -s bootstrap -- --mode drift --stack <stack> (the L8 proof compares the files with the rendered ones)",
          ],
          fix: "put the rendered files back with npm run -s bootstrap -- --mode repair --stack <stack> --target <the prometheus container's urn>, or fix the config in the stack and run pulumi up.",
        }),
      },
    },
    {
      alert: "LokiRequestErrors",
      expr: dedent(`
        100 * sum by (route) (rate(loki_request_duration_seconds_count{job="${JOB.loki}",status_code=~"5.."}[5m]))
          /
        sum by (route) (rate(loki_request_duration_seconds_count{job="${JOB.loki}"}[5m]))
          > ${LOKI_ERROR_PERCENT}
      `),
      for: "15m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Loki answers {{ $labels.route }} with server errors ({{ printf \"%.1f\" $value }}% of requests)",
        description: runbook({
          means: `For 15 minutes more than ${LOKI_ERROR_PERCENT}% of Loki's {{ $labels.route }} requests ended in a 5xx. On the push route, logs Alloy cannot deliver are retried and then dropped; on query routes, dashboards and the ingestion proof fail.`,
          causes: "storage full or not writable (/loki on its data volume), Loki out of memory, the ingester not ready after a restart, queries too large for the limits.",
          check: [
            `docker logs --since 30m ${c("loki")} 2>&1 | grep -E 'level=(error|warn)'`,
            `sum by (route, status_code) (rate(loki_request_duration_seconds_count{job="${JOB.loki}",status_code=~"5.."}[5m]))`,
            "NodeFilesystemFillingUp and ContainerOOMKilled for the same time",
          ],
          fix: "free the storage or raise limits.loki, restart or repair the container, then check Alloy catches up (loki_write_ metrics of job alloy).",
        }),
      },
    },
    counterRose("LokiDiscardingSamples", { metric: "loki_discarded_samples_total", job: JOB.loki, by: "reason, tenant" }, "10m", "warning", {
      summary: "Loki keeps discarding log lines (reason {{ $labels.reason }})",
      description: runbook({
        means: "For 10 minutes Loki has been rejecting incoming log lines of tenant {{ $labels.tenant }} for the reason {{ $labels.reason }}. Rejected lines are not retried: they are lost.",
        causes: "greater_than_max_sample_age: lines older than reject_old_samples_max_age (168h), e.g. Alloy replaying old files; rate_limited or per_stream_rate_limit: a burst over the ingestion limits; line_too_long; too_far_behind / out of order: clock skew (NodeClockSkew).",
        check: [
          `sum by (reason) (increase(loki_discarded_samples_total{job="${JOB.loki}"}[1h]))`,
          `docker logs --since 30m ${c("loki")} 2>&1 | grep -i discard`,
          `docker logs --since 30m ${c("alloy")} 2>&1 | grep -iE 'error|429|400'`,
        ],
        fix: "remove the source of the burst or old lines, fix the clock, or raise Loki's limits_config in the rendered config (components/render/loki.ts) and run pulumi up.",
      }),
    }),
    counterRose("AlertmanagerNotificationsFailing", { metric: "alertmanager_notifications_failed_total", job: JOB.alertmanager, by: "integration" }, "10m", "critical", {
      summary: "Alertmanager fails to send notifications through {{ $labels.integration }}",
      description: runbook({
        means: "For 10 minutes Alertmanager's {{ $labels.integration }} notifications have kept failing: alerts routed there reach nobody. This alert itself may only show in the Alertmanager and Grafana UIs if every receiver is broken.",
        causes: "the receiver endpoint down or unreachable from the container, an expired or wrong credential, a bad receiver configuration, TLS or proxy problems.",
        check: [
          `docker logs --since 30m ${c("alertmanager")} 2>&1 | grep -i 'notify'`,
          `sum by (integration, reason) (increase(alertmanager_notifications_failed_total{job="${JOB.alertmanager}"}[1h]))`,
        ],
        fix: "repair the receiver or its credential in the Alertmanager configuration and redeploy; once it works, Alertmanager sends the still-active alerts on its next flush.",
      }),
    }),
    {
      alert: "AlloyComponentsUnhealthy",
      expr: `sum by (job, instance) (alloy_component_controller_running_components{job="${JOB.alloy}",health_type!="healthy"}) > 0`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Alloy has {{ printf \"%.0f\" $value }} components that are not healthy",
        description: runbook({
          means: "For 15 minutes some of Alloy's pipeline components have not been healthy (unhealthy, unknown or exited): a log source (Docker, files, journal) or the write to Loki is not working, so logs are missing.",
          causes: "the Docker socket or journal not readable, a tailed path gone, Loki unreachable, a config value that does not evaluate.",
          check: [
            `Alloy's UI on port ${CONTAINER_PORT.alloy} of ${c("alloy")} (published as ports.alloy when set): the health and error of every component`,
            `docker logs --since 30m ${c("alloy")} 2>&1 | grep -E 'level=(error|warn)'`,
            `sum by (health_type) (alloy_component_controller_running_components{job="${JOB.alloy}"})`,
          ],
          fix: "fix what the unhealthy component reports (mount, permission, endpoint) and redeploy; the L4 proof re-checks Alloy's sources.",
        }),
      },
    },
  ];
}
