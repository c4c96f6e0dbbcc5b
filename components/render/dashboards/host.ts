// Host (node-exporter): is the machine under the stack healthy? CPU, memory, filesystems,
// network, load and uptime of a Docker host of the stack, as node_exporter (--path.rootfs=/host)
// reports it. One host at a time (the `host` variable): its totals and per-device series.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  DashboardContext,
  JOB,
  HOST_MATCHER,
  baseDashboard,
  hostVariable,
  promBarGauge,
  promGauge,
  promStat,
  promTimeseries,
  row,
  str,
  units,
  usageThresholds,
} from "./common";

export const HOST_DASHBOARD_UID = "logging-bootstrap-host";

/** Pseudo and per-container filesystems are not host disks. */
const FS_EXCLUDE = "tmpfs|ramfs|devtmpfs|squashfs|overlay|nsfs|fuse.lxcfs|autofs|proc|sysfs|cgroup2?";
/** The files Docker bind-mounts into every container (node-exporter's own) are not host mounts. */
const MOUNT_EXCLUDE = "/etc/(hostname|hosts|resolv\\.conf)";

export function hostDashboard(ctx: DashboardContext): Dashboard {
  const n = `job=${str(JOB.nodeExporter)}, ${HOST_MATCHER}`;
  const fs = `${n}, fstype!~${str(FS_EXCLUDE)}, mountpoint!~${str(MOUNT_EXCLUDE)}`;
  const cores = `count(node_cpu_seconds_total{${n}, mode="idle"})`;
  return baseDashboard(HOST_DASHBOARD_UID, `Host (${ctx.projectName})`, "A Docker host of the stack (pick it in Host), from node-exporter: CPU, memory, filesystems, disks, network, load and uptime.", ["host", "node-exporter"])
    .withVariable(hostVariable(ctx, false))
    .withPanel(promStat(ctx, { title: "Uptime", description: "Time since the host booted (node_boot_time_seconds).", unit: units.DurationSeconds, size: { w: 4, h: 4 } }, { expr: `time() - node_boot_time_seconds{${n}}` }))
    .withPanel(promStat(ctx, { title: "CPU cores", description: "Logical CPUs node-exporter sees.", unit: units.Short, size: { w: 4, h: 4 } }, { expr: cores }))
    .withPanel(promStat(ctx, { title: "Memory total", description: "node_memory_MemTotal_bytes.", unit: units.BytesIEC, size: { w: 4, h: 4 } }, { expr: `node_memory_MemTotal_bytes{${n}}` }))
    .withPanel(promGauge(ctx, { title: "CPU busy", description: "Share of CPU time not idle, all cores.", unit: units.PercentUnit, size: { w: 4, h: 4 } }, { expr: `1 - avg(rate(node_cpu_seconds_total{${n}, mode="idle"}[$__rate_interval]))` }))
    .withPanel(promGauge(ctx, { title: "Memory used", description: "1 - MemAvailable / MemTotal.", unit: units.PercentUnit, size: { w: 4, h: 4 } }, { expr: `1 - node_memory_MemAvailable_bytes{${n}} / node_memory_MemTotal_bytes{${n}}` }))
    .withPanel(promGauge(ctx, { title: "Fullest filesystem", description: "The highest used share of any host filesystem (pseudo filesystems excluded).", unit: units.PercentUnit, size: { w: 4, h: 4 }, thresholds: usageThresholds(0.8, 0.9) }, { expr: `max(1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}})` }))
    .withRow(row("CPU and load"))
    .withPanel(
      promTimeseries(ctx, { title: "CPU usage by mode", description: "Share of all cores per CPU mode (idle left out); stacked, 100% = every core busy.", unit: units.PercentUnit, size: { w: 12, h: 8 }, stacked: true, min: 0 }, [
        { expr: `sum by (mode) (rate(node_cpu_seconds_total{${n}, mode!="idle"}[$__rate_interval])) / on() group_left() ${cores}`, legend: "{{mode}}" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Load average", description: "Run-queue load over 1, 5 and 15 minutes against the number of cores.", unit: units.Short, size: { w: 12, h: 8 }, min: 0 }, [
        { expr: `node_load1{${n}}`, legend: "1m" },
        { expr: `node_load5{${n}}`, legend: "5m" },
        { expr: `node_load15{${n}}`, legend: "15m" },
        { expr: cores, legend: "cores" },
      ]),
    )
    .withRow(row("Memory"))
    .withPanel(
      promTimeseries(ctx, { title: "Memory", description: "Used (total - available), available, page cache + buffers, and swap in use.", unit: units.BytesIEC, size: { w: 24, h: 8 }, min: 0 }, [
        { expr: `node_memory_MemTotal_bytes{${n}} - node_memory_MemAvailable_bytes{${n}}`, legend: "used" },
        { expr: `node_memory_MemAvailable_bytes{${n}}`, legend: "available" },
        { expr: `node_memory_Cached_bytes{${n}} + node_memory_Buffers_bytes{${n}}`, legend: "cache + buffers" },
        { expr: `node_memory_SwapTotal_bytes{${n}} - node_memory_SwapFree_bytes{${n}}`, legend: "swap used" },
      ]),
    )
    .withRow(row("Filesystems"))
    .withPanel(promBarGauge(ctx, { title: "Filesystem used", description: "Used share per mount point (host paths).", unit: units.PercentUnit, size: { w: 12, h: 8 }, min: 0, max: 1 }, { expr: `1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}}`, legend: "{{mountpoint}}" }))
    .withPanel(
      promTimeseries(ctx, { title: "Filesystem free space", description: "Bytes available to unprivileged users per mount point.", unit: units.BytesIEC, size: { w: 12, h: 8 }, min: 0 }, [
        { expr: `node_filesystem_avail_bytes{${fs}}`, legend: "{{mountpoint}}" },
      ]),
    )
    .withRow(row("Disks"))
    .withPanel(
      promTimeseries(ctx, { title: "Disk throughput", description: "Bytes read and written per second per block device.", unit: units.BytesPerSecondSI, size: { w: 12, h: 8 }, min: 0 }, [
        { expr: `sum by (device) (rate(node_disk_read_bytes_total{${n}}[$__rate_interval]))`, legend: "{{device}} read" },
        { expr: `sum by (device) (rate(node_disk_written_bytes_total{${n}}[$__rate_interval]))`, legend: "{{device}} written" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Disk busy", description: "Share of time each block device had I/O in progress (node_disk_io_time_seconds_total).", unit: units.PercentUnit, size: { w: 12, h: 8 }, min: 0, max: 1 }, [
        { expr: `sum by (device) (rate(node_disk_io_time_seconds_total{${n}}[$__rate_interval]))`, legend: "{{device}}" },
      ]),
    )
    .withRow(row("Network"))
    .withPanel(
      promTimeseries(ctx, { title: "Network traffic", description: "Bytes per second received and sent per interface (loopback left out).", unit: units.BytesPerSecondSI, size: { w: 12, h: 8 }, min: 0 }, [
        { expr: `sum by (device) (rate(node_network_receive_bytes_total{${n}, device!="lo"}[$__rate_interval]))`, legend: "{{device}} received" },
        { expr: `sum by (device) (rate(node_network_transmit_bytes_total{${n}, device!="lo"}[$__rate_interval]))`, legend: "{{device}} sent" },
      ]),
    )
    .withPanel(
      promTimeseries(ctx, { title: "Network errors and drops", description: "Receive + transmit errors and dropped packets per second per interface.", unit: units.PacketsPerSecond, size: { w: 12, h: 8 }, min: 0 }, [
        { expr: `sum by (device) (rate(node_network_receive_errs_total{${n}, device!="lo"}[$__rate_interval]) + rate(node_network_transmit_errs_total{${n}, device!="lo"}[$__rate_interval]))`, legend: "{{device}} errors" },
        { expr: `sum by (device) (rate(node_network_receive_drop_total{${n}, device!="lo"}[$__rate_interval]) + rate(node_network_transmit_drop_total{${n}, device!="lo"}[$__rate_interval]))`, legend: "{{device}} drops" },
      ]),
    )
    .build();
}
