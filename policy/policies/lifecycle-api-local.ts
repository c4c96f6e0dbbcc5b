import type { ResourceValidationPolicy } from "@pulumi/policy";
import { msg } from "../lib/report";
import { commandOf, displayName, portsOf, serviceOf, TYPES } from "../lib/resources";
import { isExposed } from "./exposure-explicit";

/** Prometheus's flag that serves POST /-/reload and /-/quit without any authentication. */
export const LIFECYCLE_FLAG = "--web.enable-lifecycle";

// Whatever exposure the stack declares: a LAN-exposed stack may publish Prometheus's UI, but never
// an endpoint that lets anyone on the network stop it.
export const lifecycleApiLocal: ResourceValidationPolicy = {
  name: "lifecycle-api-local",
  description: "Prometheus's unauthenticated lifecycle API (--web.enable-lifecycle: /-/quit, /-/reload) is enabled only when its port is published on loopback.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.container) return args.notApplicable(`applies to ${TYPES.container} only`);
    if (!commandOf(args.props).includes(LIFECYCLE_FLAG)) return;
    const exposed = portsOf(args.props).filter((p) => isExposed(p.ip));
    if (exposed.length === 0) return;
    const who = displayName(args.props, args.name);
    report(
      msg(
        `${who} (service ${serviceOf(args.props) ?? "unlabelled"}) runs with ${LIFECYCLE_FLAG} and publishes port ${exposed.map((p) => `${p.ip ?? "0.0.0.0"}:${p.external ?? "?"}`).join(", ")} beyond loopback: anyone who reaches it can POST /-/quit.`,
        "set prometheus.webLifecycle: false in Pulumi.<stack>.yaml, or publish Prometheus on loopback only (exposure.loopbackOnly: [prometheus])",
      ),
    );
  },
};
