import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { msg } from "../lib/report";
import { commandOf, displayName, portsOf, serviceOf } from "../lib/resources";
import { isExposed } from "./exposure-explicit";

/** Prometheus's flag that serves POST /-/reload and /-/quit without any authentication. */
export const LIFECYCLE_FLAG = "--web.enable-lifecycle";

// Whatever exposure the stack declares: a LAN-exposed stack may publish Prometheus's UI, but never
// an endpoint that lets anyone on the network stop it.
export const lifecycleApiLocal: ResourceValidationPolicy = {
  name: "lifecycle-api-local",
  description: "Prometheus's unauthenticated lifecycle API (--web.enable-lifecycle: /-/quit, /-/reload) is enabled only when its port is published on loopback.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    if (!commandOf(c).includes(LIFECYCLE_FLAG)) return;
    const exposed = portsOf(c).filter((p) => isExposed(p.ip));
    if (exposed.length === 0) return;
    const who = displayName(c, args.name);
    report(
      msg(
        `${who} (service ${serviceOf(c) ?? "unlabelled"}) runs with ${LIFECYCLE_FLAG} and publishes port ${exposed.map((p) => `${p.ip ?? "0.0.0.0"}:${p.external ?? "?"}`).join(", ")} beyond loopback: anyone who reaches it can POST /-/quit.`,
        "set prometheus.webLifecycle: false in Pulumi.<stack>.yaml, or publish Prometheus on loopback only (exposure.loopbackOnly: [prometheus])",
      ),
    );
  }),
};
