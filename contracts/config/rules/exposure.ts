// exposure: what is published beyond the host.
import { finding, stackPatch } from "../findings";
import { serviceBindAddress, UNAUTHENTICATED_SERVICES } from "../exposure";
import { isIPv4, isLoopbackIPv4, isRecord, isValidPort } from "../values";
import { empty, Raw, RuleResult } from "./types";

/** exposure: any non-loopback bindAddress (0.0.0.0 above all) needs an explicit lanExposed: true. */
export function ruleExposure(raw: Raw): RuleResult {
  const out = empty();
  const exp = raw.exposure;
  if (!isRecord(exp)) return out;
  const addr = exp.bindAddress;
  if (!isIPv4(addr) || isLoopbackIPv4(addr)) return out;
  if (exp.lanExposed === true) return out;
  out.errors.push(
    finding(
      "E_CONFIG_EXPOSURE",
      ["exposure", "bindAddress"],
      `exposure.bindAddress ${addr} publishes ports beyond this host${addr === "0.0.0.0" ? " (on every interface)" : ""} but exposure.lanExposed is not true; LAN exposure must be an explicit decision`,
      stackPatch(
        ["exposure"],
        { bindAddress: "127.0.0.1", lanExposed: false },
        `either bind to loopback (below), or keep bindAddress: ${addr}, set lanExposed: true and list ${UNAUTHENTICATED_SERVICES.filter((s) => s !== "alertmanager").join(", ")} in loopbackOnly (only Grafana and the gateway may be on the LAN)`,
      ),
    ),
  );
  return out;
}

/**
 * prometheus.webLifecycle turns on `--web.enable-lifecycle` (POST /-/reload and /-/quit, no
 * authentication): only where Prometheus is published on loopback. On a LAN-exposed port anyone on
 * the network could stop it.
 */
export function ruleLifecycle(raw: Raw): RuleResult {
  const out = empty();
  if (!isRecord(raw.prometheus) || raw.prometheus.webLifecycle !== true) return out;
  const exp = isRecord(raw.exposure) ? raw.exposure : {};
  const loopbackOnly = Array.isArray(exp.loopbackOnly) && exp.loopbackOnly.includes("prometheus");
  if (loopbackOnly || !isIPv4(exp.bindAddress) || isLoopbackIPv4(exp.bindAddress)) return out;
  out.errors.push(
    finding(
      "E_CONFIG_LIFECYCLE_EXPOSED",
      ["prometheus", "webLifecycle"],
      `prometheus.webLifecycle is true while Prometheus is published on ${String(exp.bindAddress)}: its unauthenticated /-/quit and /-/reload would be open to the network`,
      stackPatch(["prometheus", "webLifecycle"], false, "or keep it and add prometheus to exposure.loopbackOnly"),
    ),
  );
  return out;
}

/**
 * On a LAN-exposed stack, a published port of a service that answers without authentication
 * (UNAUTHENTICATED_SERVICES: Loki, Prometheus, Alertmanager, Alloy, node-exporter, cAdvisor) must
 * bind to loopback: anyone on the network could push logs and series into it, read everything, or
 * silence alerts. Grafana (its login) and the gateway (TLS, per-host credentials) may be on the LAN;
 * remote hosts' agents reach Loki and Prometheus only through the gateway. A stack that is not
 * LAN-exposed is ruleExposure's (its non-loopback bind is refused whole).
 */
export function ruleUnauthenticatedExposure(raw: Raw): RuleResult {
  const out = empty();
  if (!isRecord(raw.exposure) || raw.exposure.lanExposed !== true || !isRecord(raw.ports)) return out;
  const ports = raw.ports;
  const exposed = UNAUTHENTICATED_SERVICES.filter((svc) => {
    const ip = serviceBindAddress(raw, svc);
    return isValidPort(ports[svc]) && ip !== undefined && !isLoopbackIPv4(ip);
  });
  const current = Array.isArray(raw.exposure.loopbackOnly) ? raw.exposure.loopbackOnly.filter((s): s is string => typeof s === "string") : [];
  const loopbackOnly = [...new Set([...current, ...exposed.filter((s) => s !== "alertmanager")])];
  for (const svc of exposed) {
    const where = `${String(raw.exposure.bindAddress)}:${String(ports[svc])}`;
    const why = "it answers without authentication: anyone on the network could push into it, read from it";
    if (svc === "alertmanager") {
      out.errors.push(
        finding(
          "E_CONFIG_UNAUTHENTICATED_EXPOSURE",
          ["alerting", "lanExposed"],
          `alerting.lanExposed publishes Alertmanager on ${where}; ${why} or silence every alert. Only Grafana (its login) and the gateway (TLS, per-host credentials) may be on the LAN`,
          stackPatch(["alerting", "lanExposed"], false, "Alertmanager on 127.0.0.1; reach its alerts through Grafana"),
        ),
      );
      continue;
    }
    const optional = svc === "alloy" || svc === "nodeExporter" || svc === "cadvisor";
    out.errors.push(
      finding(
        "E_CONFIG_UNAUTHENTICATED_EXPOSURE",
        ["ports", svc],
        `ports.${svc} is published on ${where}; ${why}. Only Grafana (its login) and the gateway (TLS, per-host credentials) may be on the LAN`,
        stackPatch(["exposure", "loopbackOnly"], loopbackOnly, `publish ${svc} on 127.0.0.1 only${optional ? ` (or delete ports.${svc}: it is not needed on the host)` : ""}; other hosts' agents reach Loki and Prometheus through the gateway`),
      ),
    );
  }
  return out;
}
