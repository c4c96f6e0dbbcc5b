// Host alerts from node-exporter (which reads the host through --path.rootfs=/host), after the
// node-mixin (prometheus/node_exporter docs/node-mixin/alerts/alerts.libsonnet): the filesystem
// prediction, clock skew and clock sync expressions are the mixin's, narrowed to this stack's job.
// Metric and label names checked against node_exporter 1.12.1's /metrics (the binary the test
// environment builds): node_filesystem_{avail,size}_bytes and node_filesystem_readonly carry
// device, device_error, fstype, mountpoint; node_memory_MemAvailable_bytes / MemTotal_bytes;
// node_cpu_seconds_total{cpu,mode}; node_timex_offset_seconds, node_timex_sync_status,
// node_timex_maxerror_seconds (timex collector, on by default).
// Every host of a fleet runs a node-exporter under the same job (Prometheus scrapes the central
// host's, each other host's Alloy its own): the alerts keep `host` and name it.
import type { StackConfig } from "../../../contracts/config/schema";
import { type AlertRule, JOB, dedent, runbook } from "./types";

const NE = `job="${JOB.nodeExporter}"`;
/**
 * Real filesystems only: memory-backed (tmpfs, ramfs, devtmpfs), container layers (overlay),
 * read-only images (squashfs, erofs, iso9660), FUSE and kernel pseudo filesystems are never "full"
 * in a way an operator fixes. node-exporter already drops most pseudo filesystems by default.
 */
const FS = `${NE},fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|erofs|iso9660|nsfs|autofs|fuse.*",mountpoint!=""`;

/** Percent free below which a filling filesystem is worth a warning (node-mixin uses 15 at 24 h). */
export const FS_FILLING_FREE_PERCENT = 20;
export const MEMORY_AVAILABLE_PERCENT = 10;
export const CPU_BUSY_PERCENT = 90;
/** node-mixin's skew threshold: 50 ms, and still drifting away. */
export const CLOCK_SKEW_SECONDS = 0.05;

export function hostAlerts(cfg: StackConfig): AlertRule[] {
  const ne = `${cfg.projectName}-node-exporter`;
  return [
    {
      alert: "NodeExporterDown",
      expr: `up{${NE}} == 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "node-exporter on {{ $labels.host }} cannot be scraped: host metrics are blind",
        description: runbook({
          means:
            "node-exporter on {{ $labels.host }} has failed its scrapes for 5 minutes (Prometheus scrapes the central host's, each other host's Alloy its own), so no host alert (disk, memory, CPU, clock) can fire for that host. TargetDown leaves this job to this alert.",
          causes: `the ${ne} container on {{ $labels.host }} stopped, crashed or was removed; it lost its network.`,
          check: [
            `docker ps -a --filter name=${ne} on {{ $labels.host }}`,
            `docker logs --tail 50 ${ne} on {{ $labels.host }}`,
            'the query up{job="node-exporter",host="{{ $labels.host }}"}; on the central host also the lastError of job node-exporter in Prometheus /api/v1/targets',
          ],
          fix: `docker start ${ne} on {{ $labels.host }}; if it is gone or changed, npm run -s bootstrap -- --mode drift --stack <stack> shows it and --mode repair --stack <stack> --target <its urn> recreates it.`,
        }),
      },
    },
    {
      alert: "NodeFilesystemFillingUp",
      expr: dedent(`
        (
          node_filesystem_avail_bytes{${FS}} / node_filesystem_size_bytes{${FS}} * 100 < ${FS_FILLING_FREE_PERCENT}
        and
          predict_linear(node_filesystem_avail_bytes{${FS}}[6h], 24 * 3600) < 0
        and
          node_filesystem_readonly{${FS}} == 0
        )
      `),
      for: "1h",
      labels: { severity: "warning" },
      annotations: {
        summary: "Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.host }} is predicted to be full within 24 hours",
        description: runbook({
          means: `{{ $labels.mountpoint }} has {{ printf "%.1f" $value }}% space left and, at the rate of the last 6 hours, runs out within 24 hours. When it holds Docker's data, Loki and Prometheus stop writing and logs are lost.`,
          causes: "log or metric volume grew (a chatty container, a new label), a retention change, container logs or images piling up under /var/lib/docker, something outside the stack writing there.",
          check: [
            "df -h {{ $labels.mountpoint }} on the host, then du -xh --max-depth=2 {{ $labels.mountpoint }} | sort -h | tail",
            "docker system df -v (volumes, images, build cache)",
            `the trend: predict_linear(node_filesystem_avail_bytes{mountpoint="{{ $labels.mountpoint }}",host="{{ $labels.host }}",${NE}}[6h], 24 * 3600)`,
          ],
          fix: "free or grow the filesystem (docker image prune, remove what is not the stack's), or lower retention.logs / retention.metrics in the stack config and run pulumi up.",
        }),
      },
    },
    {
      alert: "NodeMemoryPressure",
      expr: `node_memory_MemAvailable_bytes{${NE}} / node_memory_MemTotal_bytes{${NE}} * 100 < ${MEMORY_AVAILABLE_PERCENT}`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Host memory available is below ${MEMORY_AVAILABLE_PERCENT}% on {{ $labels.host }}`,
        description: runbook({
          means: `Only {{ printf "%.1f" $value }}% of the host's memory has been available for 15 minutes (MemAvailable / MemTotal). The kernel will soon reclaim hard or OOM-kill processes, the stack's containers included.`,
          causes: "a process or container outgrowing its share, too many services for the host, a memory leak, heavy Loki or Prometheus queries.",
          check: [
            "free -m and ps aux --sort=-rss | head on the host",
            "docker stats --no-stream",
            `topk(5, container_memory_working_set_bytes{job="${JOB.cadvisor}",name!=""}) in Prometheus`,
          ],
          fix: "stop or limit what grew (the stack's containers have limits.<service>), add memory, or move workloads off the host.",
        }),
      },
    },
    {
      alert: "NodeCPUSaturated",
      expr: `100 * (1 - avg by (host, job, instance) (rate(node_cpu_seconds_total{${NE},mode="idle"}[5m]))) > ${CPU_BUSY_PERCENT}`,
      for: "30m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Host CPU has been over ${CPU_BUSY_PERCENT}% busy for 30 minutes on {{ $labels.host }}`,
        description: runbook({
          means: `The CPUs have been {{ printf "%.0f" $value }}% non-idle (all modes but idle, averaged over every CPU) for 30 minutes. Scrapes, rule evaluations, log ingestion and queries slow down and can time out.`,
          causes: "a busy container, heavy Loki or Prometheus queries, log bursts through Alloy, disk I/O wait (counted as non-idle), another workload on the host.",
          check: [
            "top or htop on the host; docker stats --no-stream",
            `sum by (mode) (rate(node_cpu_seconds_total{${NE},mode!="idle"}[5m])) (iowait means the disk, not the CPUs)`,
            `topk(5, rate(container_cpu_usage_seconds_total{job="${JOB.cadvisor}",name!=""}[5m]))`,
          ],
          fix: "reduce or limit the busy workload, fix the slow disk if it is iowait, or give the host more CPUs.",
        }),
      },
    },
    {
      alert: "NodeClockSkew",
      expr: dedent(`
        (
          node_timex_offset_seconds{${NE}} > ${CLOCK_SKEW_SECONDS}
        and
          deriv(node_timex_offset_seconds{${NE}}[5m]) >= 0
        )
        or
        (
          node_timex_offset_seconds{${NE}} < -${CLOCK_SKEW_SECONDS}
        and
          deriv(node_timex_offset_seconds{${NE}}[5m]) <= 0
        )
      `),
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Host clock on {{ $labels.host }} is off by more than 50ms and drifting",
        description: runbook({
          means: `The kernel reports the clock {{ printf "%.3f" $value }}s away from its time source, and not converging, for 10 minutes. Log and sample timestamps go wrong: Loki rejects entries too far in the past or future, and queries across sources disagree.`,
          causes: "NTP (chrony, systemd-timesyncd, ntpd) not running or unable to reach its servers, a VM paused or migrated, a wrong hardware clock.",
          check: [
            "timedatectl status and chronyc tracking (or ntpq -p) on the host",
            `node_timex_offset_seconds{${NE}} and node_timex_sync_status{${NE}} in Prometheus`,
          ],
          fix: "start or repair the host's time synchronisation (systemctl restart chrony or systemd-timesyncd) and let it converge.",
        }),
      },
    },
    {
      alert: "NodeClockNotSynchronising",
      expr: dedent(`
        min_over_time(node_timex_sync_status{${NE}}[5m]) == 0
        and
        node_timex_maxerror_seconds{${NE}} >= 16
      `),
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Host clock on {{ $labels.host }} is not synchronising",
        description: runbook({
          means: "The kernel has not been told the clock is synchronised for 15 minutes and its maximum error reached 16 seconds (the kernel's limit): nothing disciplines the clock, so it drifts freely.",
          causes: "no NTP client on the host, the client stopped or cannot reach any server (firewall, DNS), or a container host whose clock the hypervisor is meant to keep but does not.",
          check: [
            "timedatectl status (System clock synchronized: no) on the host",
            "systemctl status chrony systemd-timesyncd ntp",
            `node_timex_sync_status{${NE}} and node_timex_maxerror_seconds{${NE}} in Prometheus`,
          ],
          fix: "enable an NTP client (timedatectl set-ntp true, or install chrony) and check it reaches its servers.",
        }),
      },
    },
  ];
}
