import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isLoopbackIPv4 } from "../../contracts/config/values";
import { msg } from "../lib/report";
import { displayName, portsOf, serviceOf } from "../lib/resources";

export interface ExposureConfig {
  /** Mirror of the stack config's exposure.lanExposed. */
  lanExposed: boolean;
  /** Mirror of the stack config's alerting.lanExposed: Alertmanager's unauthenticated API (silences) beyond loopback. */
  alertmanagerLanExposed: boolean;
}
export const EXPOSURE_DEFAULTS: ExposureConfig = { lanExposed: false, alertmanagerLanExposed: false };

/** Addresses that publish a port on every interface. No ip at all means Docker's default, 0.0.0.0. */
export function isWildcard(ip: string | undefined): boolean {
  return ip === undefined || ip === "0.0.0.0" || ip === "::" || ip === "[::]";
}

/** Reachable from beyond this host: a wildcard or any non-loopback address (as the config lint's exposure rule). */
export function isExposed(ip: string | undefined): boolean {
  return isWildcard(ip) || !(isLoopbackIPv4(ip) || ip === "::1" || ip === "[::1]");
}

// The policy cannot read stack config (the analyzer protocol gives policies only resources, stack
// tags and policy config), so the stack's decision reaches it as policy config: `lanExposed`,
// default false = safe. `npm run -s policy:check` fills it from the stack file's
// exposure.lanExposed; with the CLI pass `--policy-pack-config policy/config/<stack>.json`, and a
// test keeps those files equal to the stack files. A stack tag was not used: tags live outside
// the repo, where a review cannot see them.
export const exposureExplicit: ResourceValidationPolicy = {
  name: "exposure-explicit",
  description:
    "A container port is published on every interface (0.0.0.0) or another non-loopback address only when the stack config says exposure.lanExposed: true; Alertmanager's, whose API can silence every alert, also needs alerting.lanExposed: true.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { lanExposed: { type: "boolean", default: false }, alertmanagerLanExposed: { type: "boolean", default: false } } },
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const cfg = { ...EXPOSURE_DEFAULTS, ...args.getConfig<Partial<ExposureConfig>>() };
    const who = displayName(c, args.name);
    if (cfg.lanExposed === true) {
      if (serviceOf(c) !== "alertmanager" || cfg.alertmanagerLanExposed === true) return;
      for (const p of portsOf(c)) {
        if (!isExposed(p.ip)) continue;
        report(
          msg(
            `Alertmanager container ${who} publishes host port ${p.external ?? "?"} on ${p.ip ?? "every interface"}, but the stack does not declare alerting.lanExposed: anyone on the network could silence or delete alerts.`,
            "keep Alertmanager on 127.0.0.1 (the default), or set alerting.lanExposed: true in Pulumi.<stack>.yaml (and alertmanagerLanExposed: true in policy/config/<stack>.json)",
          ),
        );
      }
      return;
    }
    for (const p of portsOf(c)) {
      if (!isExposed(p.ip)) continue;
      const where = p.ip === undefined ? "every interface (no ip set)" : isWildcard(p.ip) ? p.ip : `the non-loopback address ${p.ip}`;
      report(
        msg(
          `${who} publishes host port ${p.external ?? "?"} on ${where} but the stack does not declare LAN exposure.`,
          "bind to 127.0.0.1 via exposure.bindAddress, or make the exposure explicit with exposure.lanExposed: true in Pulumi.<stack>.yaml (and lanExposed: true in policy/config/<stack>.json)",
        ),
      );
    }
  }),
};
