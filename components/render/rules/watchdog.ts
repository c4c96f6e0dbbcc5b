// Watchdog: the dead man's switch of the alerting pipeline (as in kube-prometheus' general.rules).
import type { AlertRule } from "./types";

export function watchdogAlerts(): AlertRule[] {
  return [
    {
      alert: "Watchdog",
      expr: "vector(1)",
      labels: { severity: "info" },
      annotations: {
        summary: "Alerting pipeline heartbeat: always firing",
        description: [
          "This alert always fires. It proves the alerting pipeline end to end: Prometheus evaluates rules, sends to Alertmanager, and Alertmanager delivers to its receivers.",
          "Its absence is the alarm: route it (severity info) to a heartbeat receiver or dead man's switch outside this host that pages when Watchdog stops arriving, because then Prometheus, Alertmanager, the host or the network path is down and no other alert can reach you.",
          "Never silence or inhibit it.",
        ].join("\n"),
      },
    },
  ];
}
