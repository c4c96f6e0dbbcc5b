// Container alerts from cAdvisor, in the spirit of kubernetes-mixin's container alerts but without
// kube-state-metrics. cAdvisor runs with --docker_only=true --store_container_labels=false
// (components/services.ts), so Docker labels such as logging-bootstrap.project are NOT exported;
// containers are selected by their Docker name (cAdvisor's `name` label), which is
// `<projectName>-<service>` for every container of this stack (rendered from the config).
//
// Sources (google/cadvisor):
// - container_start_time_seconds is the container's *creation* time (container/docker/handler.go
//   sets creationTime from `docker inspect`'s Created), so it does not move on an in-place restart
//   (restart policy, `docker restart`); a re-creation (pulumi up replacing it, repair) gives a new
//   container id, hence a new series. Docker's RestartCount is only a container label
//   (`restartcount`), which --store_container_labels=false drops.
// - An in-place restart recreates the container's cgroup: cAdvisor drops the container and adds it
//   again, so its cumulative counters (container_cpu_usage_seconds_total) restart from 0, a counter
//   reset that resets() counts.
// - container_oom_events_total: cAdvisor's oom_event metric set, on by default (container/factory.go
//   ignoreMetrics does not list it); fed from /dev/kmsg, so it needs the privileged cAdvisor
//   (cadvisor.privileged, the default).
// - container_last_seen: exported for every running container (also by the test-environment double).
// In a fleet every host's cAdvisor reports under job cadvisor (each other host's Alloy scrapes its
// own), and every host runs agents named like the central host's: per-container alerts keep `host`.
import { centralHost } from "../../../contracts/config/hosts";
import type { StackConfig } from "../../../contracts/config/schema";
import { type AlertRule, JOB, dedent, promRegexLiteral, runbook, stackContainerNames } from "./types";

/** Restarts plus re-creations in the window above which a container is flapping. */
export const RESTARTS_WINDOW = "30m";
export const RESTARTS_MAX = 2;

/**
 * Containers whose absence ContainerMissing reports. Not Prometheus (nothing would evaluate the
 * rule: Watchdog going silent is that alarm) and not cAdvisor (the rule needs cAdvisor up; its
 * absence is TargetDown{job="cadvisor"}).
 */
export function watchedContainers(cfg: StackConfig): string[] {
  const skip = new Set([`${cfg.projectName}-prometheus`, `${cfg.projectName}-cadvisor`]);
  return stackContainerNames(cfg).filter((n) => !skip.has(n));
}

export function containerAlerts(cfg: StackConfig): AlertRule[] {
  const sel = `job="${JOB.cadvisor}",name=~${promRegexLiteral(stackContainerNames(cfg))}`;
  // ContainerMissing watches the central host's containers: another host's agents going away is
  // HostNotReporting (its Alloy), NodeExporterDown or TargetDown (its exporters).
  const central = `job="${JOB.cadvisor}",host=${JSON.stringify(centralHost(cfg).name)}`;
  const missing = watchedContainers(cfg).map((n) => `absent(container_last_seen{${central},name="${n}"})`);
  return [
    {
      alert: "ContainerRestarting",
      expr: dedent(`
        (
          sum by (host, name) (max by (host, name, id) (resets(container_cpu_usage_seconds_total{${sel}}[${RESTARTS_WINDOW}])))
          +
          count by (host, name) (count_over_time(container_start_time_seconds{${sel}}[${RESTARTS_WINDOW}]))
          - 1
        ) > ${RESTARTS_MAX}
      `),
      labels: { severity: "warning" },
      annotations: {
        summary: `Container {{ $labels.name }} on {{ $labels.host }} restarted or was recreated {{ printf "%.0f" $value }} times in ${RESTARTS_WINDOW}`,
        description: runbook({
          means: `{{ $labels.name }} restarted in place (its CPU counter reset) or was replaced by a new container (a new container id) {{ printf "%.0f" $value }} times in the last ${RESTARTS_WINDOW}: it is crash-looping under its restart policy, or something keeps recreating it. One re-creation per pulumi up is normal and stays below this alert.`,
          causes: "the process exits on start (bad config, missing volume permissions, port in use), OOM kills (see ContainerOOMKilled), a failing dependency, an operator or script restarting it.",
          check: [
            "docker ps -a --filter name={{ $labels.name }} (STATUS, Restarting)",
            "docker inspect {{ $labels.name }} | grep -E '\"(RestartCount|ExitCode|OOMKilled|Error)\"'",
            "docker logs --tail 100 {{ $labels.name }}",
          ],
          fix: "fix what the logs show; a rendered config that drifted is found by npm run -s bootstrap -- --mode drift --stack <stack> and put back by --mode repair --stack <stack> --target <its urn>.",
        }),
      },
    },
    {
      alert: "ContainerOOMKilled",
      expr: `sum by (host, name) (increase(container_oom_events_total{${sel}}[15m])) > 0`,
      labels: { severity: "warning" },
      annotations: {
        summary: "Container {{ $labels.name }} on {{ $labels.host }} had a process killed for running out of memory",
        description: runbook({
          means: "The kernel OOM killer killed a process in {{ $labels.name }} within the last 15 minutes because the container reached its memory limit. cAdvisor only counts kills it sees while the container lives: when the main process dies and Docker restarts the container, ContainerRestarting fires instead and docker inspect shows OOMKilled.",
          causes: "the memory limit (limits.<service> in the stack config, or the default) too small for the load, a query or ingestion burst (Loki, Prometheus), a leak.",
          check: [
            "docker stats --no-stream {{ $labels.name }} (MEM USAGE / LIMIT)",
            "docker inspect {{ $labels.name }} | grep -E '\"(OOMKilled|Memory)\"'",
            'container_memory_working_set_bytes{name="{{ $labels.name }}"} against container_spec_memory_limit_bytes{name="{{ $labels.name }}"} in Prometheus',
          ],
          fix: "raise limits.<service> for it in the stack config and run pulumi up, or reduce what it holds (query limits, retention, cardinality).",
        }),
      },
    },
    {
      alert: "ContainerMissing",
      expr: ["(", missing.map((m) => `  ${m}`).join("\nor\n"), ")", "and on ()", `  up{${central}} == 1`].join("\n"),
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Container {{ $labels.name }} of this stack is not running",
        description: runbook({
          means: "cAdvisor on the central host ({{ $labels.host }}) is up but has not seen {{ $labels.name }} running for 5 minutes: that part of the logging stack is down (no log shipping, storage or dashboards, depending on which).",
          causes: "the container was stopped or removed behind Pulumi's back, exited and was not restarted (docker stop, a failed restart, the Docker daemon restarted without it), or its name changed.",
          check: [
            "docker ps -a --filter name={{ $labels.name }}",
            "docker logs --tail 100 {{ $labels.name }}",
            "npm run -s bootstrap -- --mode drift --stack <stack> (lists what differs from the Pulumi state)",
          ],
          fix: "docker start {{ $labels.name }} if it only stopped; otherwise recreate it with npm run -s bootstrap -- --mode repair --stack <stack> --target <its urn> (its data volume is kept).",
        }),
      },
    },
  ];
}
