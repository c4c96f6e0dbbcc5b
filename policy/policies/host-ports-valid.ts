import * as docker from "@pulumi/docker";
import { type PolicyResource, type ResourceValidationPolicy, type StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { MAX_PORT, MIN_PORT } from "../../contracts/config/values";
import { msg } from "../lib/report";
import { displayName, portsOf, TYPES } from "../lib/resources";

export interface HostPortsConfig {
  minPort: number;
  maxPort: number;
}
export const HOST_PORTS_DEFAULTS: HostPortsConfig = { minPort: MIN_PORT, maxPort: MAX_PORT };

const FIX_PORT = (min: number, max: number) => `publish an integer host port between ${min} and ${max} from ports.<service> in Pulumi.<stack>.yaml`;

/** Per-container rules: explicit external port in range, explicit bind IP. */
export function containerPortProblems(props: Record<string, unknown>, name: string, cfg: HostPortsConfig): string[] {
  const out: string[] = [];
  const who = displayName(props, name);
  for (const p of portsOf(props)) {
    const at = `${who} ports[${p.index}] (internal ${p.internal ?? "?"})`;
    if (p.external === undefined) {
      out.push(msg(`${at} has no explicit external port, so Docker would publish a random one.`, FIX_PORT(cfg.minPort, cfg.maxPort)));
    } else if (!Number.isInteger(p.external) || p.external < cfg.minPort || p.external > cfg.maxPort) {
      out.push(msg(`${at} publishes host port ${p.external}, outside ${cfg.minPort}-${cfg.maxPort}.`, FIX_PORT(cfg.minPort, cfg.maxPort)));
    }
    if (p.ip === undefined) {
      out.push(msg(`${at} has no explicit bind IP, so Docker binds it on every interface (0.0.0.0).`, "set exposure.bindAddress (127.0.0.1 for this host only) so every port carries an explicit ip"));
    }
  }
  return out;
}

/**
 * Published host ports must be unique across the whole stack (per protocol): two containers on one
 * port fail at `pulumi up` with a runtime port conflict. Resource checks see one container at a
 * time, so uniqueness is a stack check over the same props.
 */
export function duplicatePorts(resources: Pick<PolicyResource, "type" | "props" | "name" | "urn">[]): { urn: string; message: string }[] {
  const seen = new Map<string, string>();
  const out: { urn: string; message: string }[] = [];
  for (const r of resources) {
    if (r.type !== TYPES.container) continue;
    const who = displayName(r.props, r.name);
    for (const p of portsOf(r.props)) {
      if (p.external === undefined) continue;
      const key = `${p.external}/${p.protocol}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        out.push({ urn: r.urn, message: msg(`${who} publishes host port ${key}, already published by ${prev}.`, "give every service its own host port in ports.<service> of Pulumi.<stack>.yaml") });
      } else {
        seen.set(key, who);
      }
    }
  }
  return out;
}

const schema = {
  properties: {
    minPort: { type: "integer", default: MIN_PORT, minimum: 1, maximum: 65535 },
    maxPort: { type: "integer", default: MAX_PORT, minimum: 1, maximum: 65535 },
  },
};

// The analyzer runs a policy's validateResource and validateStack when both are set
// (server.js isResourcePolicy/isStackPolicy), so one policy name covers both halves.
export const hostPortsValid: ResourceValidationPolicy & StackValidationPolicy = {
  name: "host-ports-valid",
  description: "Every published container port names an explicit host port between 1024 and 65535 and an explicit bind IP, and no host port is published twice in the stack.",
  enforcementLevel: "mandatory",
  configSchema: schema as ResourceValidationPolicy["configSchema"],
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const cfg = { ...HOST_PORTS_DEFAULTS, ...args.getConfig<Partial<HostPortsConfig>>() };
    for (const m of containerPortProblems(c, args.name, cfg)) report(m);
  }),
  validateStack: (args, report) => {
    if (!args.resources.some((r) => r.type === TYPES.container)) return args.notApplicable("no containers in the stack");
    for (const d of duplicatePorts(args.resources)) report(d.message, d.urn);
  },
};
