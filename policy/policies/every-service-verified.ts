import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { msg } from "../lib/report";
import { serviceOf, str, TYPES } from "../lib/resources";

export interface VerifiedConfig {
  /** Services (label values) that need no health proof. */
  exemptServices: string[];
}
export const VERIFIED_DEFAULTS: VerifiedConfig = { exemptServices: [] };

type R = Pick<PolicyResource, "type" | "props" | "urn" | "name" | "dependencies" | "propertyDependencies">;

/**
 * Containers (with a service label) that no HealthProof depends on. A fleet's other hosts' agents and
 * the gateway are proved by each host's HostProof (docs/FLEET.md), which depends on them: it counts.
 */
export function unverifiedContainers(resources: R[], exempt: string[] = []): R[] {
  const proofDeps = new Set<string>();
  for (const r of resources) {
    if (r.type !== TYPES.healthProof && r.type !== TYPES.hostProof) continue;
    for (const d of r.dependencies ?? []) proofDeps.add(d.urn);
    for (const list of Object.values(r.propertyDependencies ?? {})) for (const d of list) proofDeps.add(d.urn);
  }
  return resources.filter((r) => {
    if (r.type !== TYPES.container) return false;
    const svc = serviceOf(r.props);
    if (svc === undefined || exempt.includes(svc)) return false;
    return !proofDeps.has(r.urn);
  });
}

// Enforcement: mandatory now that ObservabilityStack declares a HealthProof per service. A stack
// that must run without proofs can lower it without a code change:
//   policy/config/<stack>.json: {"every-service-verified": "advisory"}
// (`pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json`,
// `npm run -s policy:check -- --stack <stack>` reads the same file).
export const everyServiceVerified: StackValidationPolicy = {
  name: "every-service-verified",
  description: "Every service container has a HealthProof resource that depends on it, so a deploy is only done when the service is proven healthy.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { exemptServices: { type: "array", items: { type: "string" }, default: [] } } },
  validateStack: (args, report) => {
    const cfg = { ...VERIFIED_DEFAULTS, ...args.getConfig<Partial<VerifiedConfig>>() };
    if (!args.resources.some((r) => r.type === TYPES.container && serviceOf(r.props) !== undefined)) return args.notApplicable("no service containers in the stack");
    for (const c of unverifiedContainers(args.resources, cfg.exemptServices)) {
      report(
        msg(
          `Container ${str(c.props.name) ?? c.name} (service ${serviceOf(c.props)}) has no ${TYPES.healthProof} depending on it, so nothing proves it healthy after a deploy.`,
          "keep verify.enabled and verify.health true in Pulumi.<stack>.yaml so the stack declares one HealthProof per service with dependsOn that container",
        ),
        c.urn,
      );
    }
  },
};
