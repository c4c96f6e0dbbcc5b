// Containers (cAdvisor): the stack's own containers (`<projectName>-<service>`) on the hosts picked
// in the `host` variable (every host runs agents of the same names, so series are per host and
// name): CPU and memory per container, restarts and OOM events, what runs and since when.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  DashboardContext,
  HOST_MATCHER,
  baseDashboard,
  hostVariable,
  promBarGauge,
  promStat,
  promTable,
  promTimeseries,
  row,
  stackContainerRegex,
  str,
  thresholds,
  units,
} from "./common";

export const CONTAINERS_DASHBOARD_UID = "logging-bootstrap-containers";

export function containersDashboard(ctx: DashboardContext): Dashboard {
  const c = `name=~${str(stackContainerRegex(ctx))}, ${HOST_MATCHER}`;
  const alarm = thresholds([[null, "green"], [1, "red"]]);
  return baseDashboard(
    CONTAINERS_DASHBOARD_UID,
    `Containers (${ctx.projectName})`,
    `The stack's containers (${ctx.projectName}-*) on the hosts picked in Host, from cAdvisor: CPU and memory per container, restarts (a restarted container's cgroup counters start again from zero) and OOM events.`,
    ["containers", "cadvisor"],
  )
    .withVariable(hostVariable(ctx, true))
    .withPanel(promStat(ctx, { title: "Containers reporting", description: "Stack containers cAdvisor saw in the last minute.", unit: units.Short, size: { w: 5, h: 4 } }, { expr: `count(time() - container_last_seen{${c}} < 60)` }))
    .withPanel(promStat(ctx, { title: "CPU (cores)", description: "CPU time per second of all stack containers (1 = one core busy).", unit: units.Short, size: { w: 5, h: 4 } }, { expr: `sum(rate(container_cpu_usage_seconds_total{${c}}[$__rate_interval]))` }))
    .withPanel(promStat(ctx, { title: "Memory working set", description: "Working set of all stack containers (what the kernel would not reclaim).", unit: units.BytesIEC, size: { w: 5, h: 4 } }, { expr: `sum(container_memory_working_set_bytes{${c}})` }))
    .withPanel(promStat(ctx, { title: "Restarts in range", description: "Restarts of stack containers in the dashboard's time range (resets of the cumulative CPU counter).", unit: units.Short, size: { w: 5, h: 4 }, thresholds: alarm }, { expr: `sum(resets(container_cpu_usage_seconds_total{${c}}[$__range]))` }))
    .withPanel(promStat(ctx, { title: "OOM events in range", description: "Out-of-memory events in stack containers in the dashboard's time range.", unit: units.Short, size: { w: 4, h: 4 }, thresholds: alarm }, { expr: `sum(increase(container_oom_events_total{${c}}[$__range]))` }))
    .withRow(row("CPU and memory"))
    .withPanel(
      promTimeseries(ctx, { title: "CPU per container", description: "CPU time per second per container (1 = one core busy).", unit: units.Short, size: { w: 12, h: 9 }, min: 0 }, [
        { expr: `sum by (host, name) (rate(container_cpu_usage_seconds_total{${c}}[$__rate_interval]))`, legend: "{{host}} {{name}}" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Memory working set per container", description: "container_memory_working_set_bytes: usage minus inactive file cache; the value the memory limit and the OOM killer act on.", unit: units.BytesIEC, size: { w: 12, h: 9 }, min: 0 }, [
        { expr: `sum by (host, name) (container_memory_working_set_bytes{${c}})`, legend: "{{host}} {{name}}" },
      ]),
    )
    .withRow(row("Restarts and OOM events"))
    .withPanel(promBarGauge(ctx, { title: "Restarts per container", description: "Restarts in the time range: resets of container_cpu_usage_seconds_total (the cgroup is new after a restart).", unit: units.Short, size: { w: 8, h: 8 }, min: 0, thresholds: alarm }, { expr: `sum by (host, name) (resets(container_cpu_usage_seconds_total{${c}}[$__range]))`, legend: "{{host}} {{name}}" }))
    .withPanel(promBarGauge(ctx, { title: "OOM events per container", description: "container_oom_events_total increase in the time range.", unit: units.Short, size: { w: 8, h: 8 }, min: 0, thresholds: alarm }, { expr: `sum by (host, name) (increase(container_oom_events_total{${c}}[$__range]))`, legend: "{{host}} {{name}}" }))
    .withPanel(
      promTable(ctx, { title: "Containers", description: "Each stack container, its image and the time since it was created (container_start_time_seconds is Docker's creation time: a Pulumi replacement starts it again).", unit: units.DurationSeconds, size: { w: 8, h: 8 } }, {
        expr: `max by (host, name, image) (time() - container_start_time_seconds{${c}})`,
        legend: "{{host}} {{name}}",
      }),
    )
    .build();
}
