// exposure: what is published beyond the host.
import { finding, stackPatch } from "../findings";
import { isIPv4, isLoopbackIPv4, isRecord } from "../values";
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
      stackPatch(["exposure"], { bindAddress: "127.0.0.1", lanExposed: false }, `either bind to loopback (below), or keep bindAddress: ${addr} and set lanExposed: true`),
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
