// The alert rule library (components/render/rules/) without promtool: every alert is well formed
// (severity, summary, runbook description), names are unique, exactly one Watchdog, the selectors
// follow the stack's scrape jobs and container names, and every alert has a firing and a silent
// case in the promtool tests (test/rules/*.test.yml, run by `npm run -s rules:test`).
import YAML from "yaml";
import { renderServiceFiles } from "../../components/render";
import { scrapeTargets, renderPrometheusRules } from "../../components/render/prometheus";
import { JOB, RULE_GROUPS, alertRules, isAlert, ruleGroups, stackContainerNames, watchedContainers } from "../../components/render/rules";
import { FILES } from "../../components/defaults";
import { containerName } from "../../components/service";
import { SERVICES } from "../../contracts/config/schema";
import { fleetConfig } from "../util/fleet";
import { stackConfig } from "../util/mocks";
import { RULES_FILE_NAME, alwaysFiring, casesByAlert, coverage, readTestFiles, renderedAlerts } from "./coverage";

const test_ = stackConfig("test");
const prod = stackConfig("prod");
/** What `npm run -s rules:test` renders: the test stack grown into a fleet, so every alert is there. */
const fleet = fleetConfig();
const alerts = alertRules(fleet);

describe("alert rule library", () => {
  it("has alerts in every area and one group per area after the recording group", () => {
    expect(ruleGroups(test_).map((g) => g.name)).toEqual(Object.values(RULE_GROUPS));
    expect(ruleGroups(test_)[0].rules.every((r) => !isAlert(r))).toBe(true);
    for (const g of ruleGroups(test_).slice(1)) {
      expect(g.rules.length).toBeGreaterThan(0);
      expect(g.rules.every(isAlert)).toBe(true);
    }
  });

  it("gives every alert a severity and the summary + runbook description annotations", () => {
    for (const a of alerts) {
      expect([a.alert, ["critical", "warning", "info"].includes(a.labels.severity)]).toEqual([a.alert, true]);
      expect(Object.keys(a.labels)).toEqual(["severity"]);
      expect(Object.keys(a.annotations).sort()).toEqual(["description", "summary"]);
      expect(a.annotations.summary).toMatch(/\S/);
      expect(a.annotations.summary).not.toContain("\n");
      expect(a.annotations.description.length).toBeGreaterThan(150);
      expect(`${a.annotations.summary}\n${a.annotations.description}`).not.toMatch(/https?:\/\//);
      if (!alwaysFiring(a)) expect([a.alert, a.annotations.description]).toEqual([a.alert, expect.stringMatching(/\nLikely causes: .+\nCheck:\n- .+\n(- .+\n)*Fix: .+$/)]);
    }
  });

  it("has unique alert and rule names", () => {
    const names = ruleGroups(test_).flatMap((g) => g.rules.map((r) => (isAlert(r) ? r.alert : r.record)));
    expect(new Set(names).size).toBe(names.length);
  });

  it("has exactly one Watchdog: vector(1), severity info, no for; info is for Watchdog only", () => {
    const dogs = alerts.filter((a) => a.alert === "Watchdog");
    expect(dogs).toHaveLength(1);
    expect(dogs[0]).toMatchObject({ expr: "vector(1)", labels: { severity: "info" } });
    expect(dogs[0].for).toBeUndefined();
    expect(dogs[0].annotations.description).toMatch(/end to end/);
    expect(dogs[0].annotations.description).toMatch(/absence is the alarm/);
    expect(alerts.filter((a) => a.labels.severity === "info").map((a) => a.alert)).toEqual(["Watchdog"]);
    expect(alerts.filter(alwaysFiring).map((a) => a.alert)).toEqual(["Watchdog"]);
  });

  it("has HostNotReporting only when the stack has hosts besides the central one, in the host group", () => {
    expect(alerts.map((a) => a.alert)).toContain("HostNotReporting");
    expect(alertRules(test_).map((a) => a.alert)).toEqual(alerts.map((a) => a.alert).filter((n) => n !== "HostNotReporting"));
    expect(ruleGroups(fleet).find((g) => g.name === RULE_GROUPS.host)!.rules.map((r) => (isAlert(r) ? r.alert : r.record))).toContain("HostNotReporting");
    expect(ruleGroups(fleet).map((g) => g.name)).toEqual(ruleGroups(test_).map((g) => g.name));
  });

  it("keeps an alert named TargetDown", () => {
    expect(alerts.find((a) => a.alert === "TargetDown")).toMatchObject({ labels: { severity: "warning" } });
  });

  it("selects only scrape jobs Prometheus has (alertmanager: once its scrape job is added)", () => {
    const jobs = new Set(Object.keys(scrapeTargets()));
    const used = new Set(alerts.flatMap((a) => [...a.expr.matchAll(/job(?:!?=)"([^"]+)"/g)].map((m) => m[1])));
    const unknown = [...used].filter((j) => !jobs.has(j));
    expect(unknown.filter((j) => j !== JOB.alertmanager)).toEqual([]);
    for (const j of Object.values(JOB)) if (j !== JOB.alertmanager) expect(jobs.has(j)).toBe(true);
  });

  it("names this stack's containers as components/service.ts names them, from the config", () => {
    for (const cfg of [test_, prod]) expect(stackContainerNames(cfg)).toEqual(SERVICES.map((s) => containerName(cfg, s)));
    expect(watchedContainers(test_)).toEqual(["logging-test-grafana", "logging-test-loki", "logging-test-alloy", "logging-test-node-exporter", "logging-test-alertmanager"]);
    const missing = alertRules(prod).find((a) => a.alert === "ContainerMissing")!.expr;
    expect([...missing.matchAll(/absent\(container_last_seen\{job="cadvisor",host="local",name="([^"]+)"\}\)/g)].map((m) => m[1])).toEqual(watchedContainers(prod));
    expect(prod.projectName).not.toBe(test_.projectName);
    for (const a of alertRules(prod)) expect(a.expr).not.toContain(test_.projectName + "-");
    for (const name of ["ContainerRestarting", "ContainerOOMKilled"]) {
      const expr = alertRules(prod).find((a) => a.alert === name)!.expr;
      expect(expr).toContain(`name=~"${stackContainerNames(prod).join("|")}"`);
    }
  });

  it("is what the Prometheus container receives, rendered deterministically", () => {
    const file = renderServiceFiles(test_).prometheus.find((f) => f.path === FILES.prometheusRules)!;
    expect(file.content).toBe(renderPrometheusRules(test_));
    expect(renderPrometheusRules(test_)).toBe(renderPrometheusRules(stackConfig("test")));
    expect(YAML.parse(file.content).groups).toEqual(JSON.parse(JSON.stringify(ruleGroups(test_))));
    expect(renderedAlerts(file.content).map((a) => a.alert)).toEqual(alertRules(test_).map((a) => a.alert));
    const fleetFile = renderServiceFiles(fleet).prometheus.find((f) => f.path === FILES.prometheusRules)!;
    expect(renderedAlerts(fleetFile.content).map((a) => a.alert)).toEqual(alerts.map((a) => a.alert));
  });
});

describe("promtool test files (test/rules/*.test.yml)", () => {
  const files = readTestFiles();

  it("one per area, each naming the rendered rules file", () => {
    expect(files.map((f) => f.name)).toEqual(["containers.test.yml", "fleet.test.yml", "host.test.yml", "stack.test.yml", "watchdog.test.yml"]);
    for (const f of files) expect([f.name, f.doc.rule_files]).toEqual([f.name, [RULES_FILE_NAME]]);
  });

  it("cover every alert with a firing and a silent case (Watchdog: firing at two times)", () => {
    const cov = coverage(renderedAlerts(renderPrometheusRules(fleet)), casesByAlert(files));
    expect(cov.lacking).toEqual([]);
    expect(cov.unknown).toEqual([]);
    expect(cov.tested).toEqual(alerts.map((a) => a.alert));
  });

  it("the coverage check itself catches a missing case and an unknown name", () => {
    const fake = [{ name: "x.test.yml", path: "x", doc: { tests: [{ name: "t", alert_rule_test: [{ eval_time: "1m", alertname: "TargetDown", exp_alerts: [{}] }, { eval_time: "1m", alertname: "Nope" }] }] } }];
    const cov = coverage([{ alert: "TargetDown", expr: "up == 0" }, { alert: "Watchdog", expr: "vector(1)" }], casesByAlert(fake));
    expect(cov.tested).toEqual([]);
    expect(cov.lacking).toEqual([
      { alert: "TargetDown", lacks: ["a silent case"] },
      { alert: "Watchdog", lacks: ["firing cases at two eval times (it is always firing: no silent case can exist)"] },
    ]);
    expect(cov.unknown).toEqual(["Nope"]);
  });
});
