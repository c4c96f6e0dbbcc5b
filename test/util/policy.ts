// Test harness for CrossGuard policies: the SDK has no public helper, so tests build the
// validateResource / validateStack arguments the analyzer would (type, props, urn, name, opts,
// stackTags, isType, asType, getConfig, a throwing notApplicable) through policy/lib/runner.ts,
// the same code policy:check uses, and collect what the policy reports with its enforcement level.
import type { Policy } from "@pulumi/policy";
import { PackConfig, RunnerResource, runPolicies, Violation } from "../../policy/lib/runner";

export const STACK = "test";
export const PROJECT = "logging-bootstrap";

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

/** A resource as policy:check sees it; inputs double as outputs unless given. */
export function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<RunnerResource> = {}): RunnerResource {
  return {
    type,
    name,
    urn: urnOf(type, name),
    inputs,
    outputs: extra.outputs ?? inputs,
    options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, parent: null, ...(extra.options ?? {}) },
    dependencies: extra.dependencies ?? [],
    propertyDependencies: extra.propertyDependencies ?? {},
  };
}

export interface Outcome {
  violations: Violation[];
  /** True when the policy reported nothing and called notApplicable() for the resource (or the stack). */
  notApplicable: boolean;
  messages: string[];
  levels: string[];
}

async function outcome(policy: Policy, resources: RunnerResource[], config: PackConfig, naResource: string): Promise<Outcome> {
  const r = await runPolicies([policy], resources, config);
  // Every message carries a remediation hint (policy/lib/report.ts msg): checked on every outcome
  // any policy test produces, so a report that bypasses msg() fails whichever test reaches it.
  for (const v of r.violations) {
    if (!/ Fix: \S.*\.$/s.test(v.message)) throw new Error(`${v.policy} reported a message without a "Fix: ..." remediation hint: ${v.message}`);
  }
  return {
    violations: r.violations,
    notApplicable: r.violations.length === 0 && r.notApplicable.some((n) => n.resource === naResource),
    messages: r.violations.map((v) => v.message),
    levels: r.violations.map((v) => v.enforcementLevel),
  };
}

/** Run a resource policy over one resource. */
export function checkResource(policy: Policy, resource: RunnerResource, config: PackConfig = {}): Promise<Outcome> {
  return outcome(policy, [resource], config, resource.urn);
}

/** Run a stack policy over a stack. */
export function checkStack(policy: Policy, resources: RunnerResource[], config: PackConfig = {}): Promise<Outcome> {
  return outcome(policy, resources, config, "");
}

/** Deep clone + mutate, so each failing case changes one thing of a passing fixture. */
export function mutate<T>(v: T, f: (x: T) => void): T {
  const c = structuredClone(v);
  f(c);
  return c;
}
