// The fleet: a host other than the central one that stops reporting. Such a host's series all
// arrive by remote write (its Alloy scrapes node-exporter and cAdvisor and pushes through the
// gateway), so when the host, its Alloy, the network or the gateway fails they do not go to 0:
// they stop. TargetDown and NodeExporterDown need an `up` sample to compare, so absence is its own
// alert, as kube-prometheus has one per component it cannot see (`absent(up{job=...} == 1)`).
// Here absence of any `up` sample, not of a successful one: a host whose node-exporter answers
// badly still reports (NodeExporterDown names that), so the two alerts never say the same thing.
//
// absent_over_time over a short window plus `for`: the host has sent nothing for
// NOT_REPORTING_WINDOW + NOT_REPORTING_FOR (5 minutes) when it fires, a restart of its Alloy (a
// few seconds without samples) never reaches it, and a host just added has NOT_REPORTING_FOR to
// send its first samples before it is called silent. absent_over_time's result carries the
// selector's equality labels, so each alert names its host. One rule for all hosts (an `or` of one
// term per host, like ContainerMissing), rendered only when the stack has non-central hosts.
import { remoteHosts } from "../../../contracts/config/hosts";
import type { StackConfig } from "../../../contracts/config/schema";
import { type AlertRule, JOB, runbook } from "./types";

export const NOT_REPORTING_WINDOW = "2m";
export const NOT_REPORTING_FOR = "3m";

/** The alerts that exist only in a fleet: none for a stack of one host. */
export function fleetAlerts(cfg: StackConfig): AlertRule[] {
  const hosts = remoteHosts(cfg).map((h) => h.name);
  if (hosts.length === 0) return [];
  const terms = hosts.map((h) => `absent_over_time(up{job="${JOB.nodeExporter}",host=${JSON.stringify(h)}}[${NOT_REPORTING_WINDOW}])`);
  const alloy = `${cfg.projectName}-alloy`;
  return [
    {
      alert: "HostNotReporting",
      expr: terms.join("\nor\n"),
      for: NOT_REPORTING_FOR,
      labels: { severity: "critical" },
      annotations: {
        summary: "Host {{ $labels.host }} is not reporting any metrics",
        description: runbook({
          means:
            "Nothing from {{ $labels.host }} has reached Prometheus for 5 minutes (a host just added: in the 3 minutes since its rule was loaded), not even the up series of its node-exporter scrape: its logs are most likely not arriving either, and every other alert about that host is blind while this one fires.",
          causes:
            "the host is down or unreachable from the central host; its Alloy stopped or cannot push through the gateway (a firewall, the central host's address or gateway.port changed, its credential refused: 401, the gateway's certificate changed: x509); the gateway on the central host is down.",
          check: [
            `docker ps -a --filter name=${alloy} and docker logs --tail 100 ${alloy} on {{ $labels.host }} (401: the credential; x509: the CA; refused or timeout: the network or the gateway)`,
            `docker ps -a --filter name=${cfg.projectName}-gateway on the central host, and its logs`,
            'up{job="node-exporter",host="{{ $labels.host }}"} graphed over the last hours in Prometheus: when the host last reported',
          ],
          fix: "bring the host, its Alloy or the gateway back (npm run -s bootstrap -- --mode repair --stack <stack> --host {{ $labels.host }} recreates its agents); a host retired for good leaves hosts in the stack config, and the next apply drops this alert for it.",
        }),
      },
    },
  ];
}
