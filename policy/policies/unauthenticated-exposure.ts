import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isUnauthenticatedService, UNAUTHENTICATED_SERVICES } from "../../contracts/config/exposure";
import { msg } from "../lib/report";
import { displayName, portsOf, serviceOf } from "../lib/resources";
import { isExposed } from "./exposure-explicit";

// The config lint's E_CONFIG_UNAUTHENTICATED_EXPOSURE on what the program declares: whatever the
// stack's exposure decision, a service that answers without authentication (Loki, Prometheus,
// Alertmanager, Alloy, node-exporter, cAdvisor: contracts/config/exposure.ts) never publishes a port
// beyond loopback. Grafana (its login) and the gateway (TLS, per-host credentials) may. No config:
// there is no stack for which this is acceptable.
export const unauthenticatedExposure: ResourceValidationPolicy = {
  name: "unauthenticated-exposure",
  description: `A container of a service that answers without authentication (${UNAUTHENTICATED_SERVICES.join(", ")}) publishes its ports on loopback only; only Grafana and the gateway may be reachable from the LAN.`,
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const svc = serviceOf(c);
    if (!isUnauthenticatedService(svc)) return;
    const exposed = portsOf(c).filter((p) => isExposed(p.ip));
    if (exposed.length === 0) return;
    const fix =
      svc === "alertmanager"
        ? "keep Alertmanager on 127.0.0.1: set alerting.lanExposed: false in Pulumi.<stack>.yaml"
        : `list ${svc} in exposure.loopbackOnly in Pulumi.<stack>.yaml; other hosts' agents reach Loki and Prometheus through the gateway, people reach the data through Grafana`;
    report(
      msg(
        `${displayName(c, args.name)} (service ${svc}) publishes ${exposed.map((p) => `${p.ip ?? "0.0.0.0"}:${p.external ?? "?"}`).join(", ")} beyond loopback, and ${svc} answers without authentication: anyone on the network could push into it, read from it${svc === "alertmanager" ? " or silence every alert" : ""}.`,
        fix,
      ),
    );
  }),
};
