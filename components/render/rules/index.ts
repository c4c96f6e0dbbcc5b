// The alert rule library: one file per area, rendered for a stack config into Prometheus rule
// groups (prometheus.ts writes them to the one rules file). Every alert carries labels.severity
// (critical | warning | info, info only for Watchdog) and the annotations summary + description;
// each is unit-tested with promtool (test/rules/, `npm run -s rules:test`).
import type { StackConfig } from "../../../contracts/config/schema";
import { containerAlerts } from "./containers";
import { fleetAlerts } from "./fleet";
import { hostAlerts } from "./host";
import { recordingRules } from "./recording";
import { stackAlerts } from "./stack";
import { type AlertRule, type RuleGroup, isAlert } from "./types";
import { watchdogAlerts } from "./watchdog";

export * from "./types";
export { watchedContainers } from "./containers";
export { NOT_REPORTING_FOR, NOT_REPORTING_WINDOW } from "./fleet";

/** Rule group names, in file order; the L6 proof expects each group (and rule) loaded and healthy. */
export const RULE_GROUPS = {
  recording: "logging-bootstrap.recording",
  host: "logging-bootstrap.host",
  containers: "logging-bootstrap.containers",
  stack: "logging-bootstrap.stack",
  watchdog: "logging-bootstrap.watchdog",
} as const;

export function ruleGroups(cfg: StackConfig): RuleGroup[] {
  return [
    { name: RULE_GROUPS.recording, interval: "30s", rules: recordingRules() },
    // A fleet's HostNotReporting is a host alert: the group list is the same for one host or many.
    { name: RULE_GROUPS.host, rules: [...hostAlerts(cfg), ...fleetAlerts(cfg)] },
    { name: RULE_GROUPS.containers, rules: containerAlerts(cfg) },
    { name: RULE_GROUPS.stack, rules: stackAlerts(cfg) },
    { name: RULE_GROUPS.watchdog, rules: watchdogAlerts() },
  ];
}

/** Every alert rule of the library for this config, in file order. */
export function alertRules(cfg: StackConfig): AlertRule[] {
  return ruleGroups(cfg).flatMap((g) => g.rules.filter(isAlert));
}
