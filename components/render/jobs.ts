/**
 * Scrape job names the rules and dashboards select on. They are the keys of scrapeTargets() in
 * ./prometheus.ts (a unit test keeps the two equal); `alertmanager` is the job the Alertmanager
 * service is scraped under.
 */
export const JOB = {
  prometheus: "prometheus",
  nodeExporter: "node-exporter",
  cadvisor: "cadvisor",
  loki: "loki",
  alloy: "alloy",
  grafana: "grafana",
  alertmanager: "alertmanager",
} as const;
