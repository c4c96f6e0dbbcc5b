// Runs policy objects offline, the way @pulumi/policy's analyzer server does (server.js
// makeAnalyzeRpcFun / makeAnalyzeStackRpcFun): enforcement level = policy config, else the
// policy's own, else the pack's (advisory); "disabled" skips; "remediate" reports as mandatory;
// resource policies see inputs, stack policies see outputs with dependencies resolved to objects;
// notApplicable() ends a policy for that resource. Unlike the server it keeps `retainOnDelete`
// in opts (the evaluation has it; the analyzer protocol does not).
import type { Policy, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { Level } from "./report";
import type { PlanResourceLike } from "../../contracts/plan";

/** A plan resource (contracts/plan) as the runner accepts it: options may be partial. */
export type RunnerResource = PlanResourceLike;

/** The `--policy-pack-config` file format: a level, or an object with enforcementLevel and properties; "all" for every policy. */
export type PackConfig = Record<string, Level | ({ enforcementLevel?: Level } & Record<string, unknown>)>;

export interface Violation {
  policy: string;
  enforcementLevel: Level;
  /** URN of the resource in violation; "" for the stack as a whole. */
  resource: string;
  message: string;
}

export interface RunResult {
  violations: Violation[];
  notApplicable: { policy: string; resource: string; reason: string }[];
}

export class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}

const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicableError(reason);
};

export function isResourcePolicy(p: Policy): p is ResourceValidationPolicy {
  return typeof (p as ResourceValidationPolicy).validateResource === "function" || Array.isArray((p as ResourceValidationPolicy).validateResource);
}

export function isStackPolicy(p: Policy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

function entryOf(config: PackConfig, name: string): { enforcementLevel?: Level } & Record<string, unknown> {
  const e = config[name];
  if (typeof e === "string") return { enforcementLevel: e };
  return e ?? {};
}

export function effectiveLevel(p: Policy, config: PackConfig = {}): Level {
  const all = entryOf(config, "all").enforcementLevel;
  return entryOf(config, p.name).enforcementLevel ?? all ?? p.enforcementLevel ?? "advisory";
}

/** What `args.getConfig()` returns: the policy's properties without enforcementLevel. */
export function policyProperties(p: Policy, config: PackConfig = {}): Record<string, unknown> {
  const { enforcementLevel: _ignored, ...props } = entryOf(config, p.name);
  void _ignored;
  return props;
}

function typeChecker(type: string) {
  return (cls: { new (...rest: any[]): any }) => (cls as unknown as { __pulumiType?: string }).__pulumiType === type;
}

function toOpts(r: RunnerResource): PolicyResource["opts"] & { retainOnDelete?: boolean } {
  const o = r.options ?? {};
  return {
    protect: o.protect === true,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(o.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: o.deleteBeforeReplace } : {}),
    ...(o.parent ? { parent: o.parent } : {}),
    ...(o.retainOnDelete !== undefined ? { retainOnDelete: o.retainOnDelete } : {}),
  };
}

export function resourceArgs(r: RunnerResource, p: Policy, config: PackConfig = {}, stackTags: ReadonlyMap<string, string> = new Map()): ResourceValidationArgs {
  const isType = typeChecker(r.type);
  return {
    type: r.type,
    props: r.inputs ?? {},
    urn: r.urn,
    name: r.name,
    opts: toOpts(r),
    stackTags,
    isType,
    asType: ((cls: { new (...rest: any[]): any }) => (isType(cls) ? r.inputs : undefined)) as ResourceValidationArgs["asType"],
    getConfig: (() => policyProperties(p, config)) as ResourceValidationArgs["getConfig"],
    notApplicable: throwNotApplicable,
  };
}

export function stackArgs(resources: RunnerResource[], p: Policy, config: PackConfig = {}, stackTags: ReadonlyMap<string, string> = new Map()): StackValidationArgs {
  const byUrn = new Map<string, PolicyResource>();
  const built = resources.map((r) => {
    const isType = typeChecker(r.type);
    const pr: PolicyResource = {
      type: r.type,
      props: r.outputs ?? {},
      urn: r.urn,
      name: r.name,
      opts: toOpts(r),
      dependencies: [],
      propertyDependencies: {},
      isType,
      asType: ((cls: { new (...rest: any[]): any }) => (isType(cls) ? (r.outputs as any) : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, pr);
    return { r, pr };
  });
  for (const { r, pr } of built) {
    if (r.options?.parent) {
      const parent = byUrn.get(r.options.parent);
      if (parent) pr.parent = parent;
    }
    pr.dependencies = (r.dependencies ?? []).map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
    for (const [k, list] of Object.entries(r.propertyDependencies ?? {})) {
      pr.propertyDependencies[k] = list.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
    }
  }
  return {
    resources: built.map((b) => b.pr),
    stackTags,
    getConfig: (() => policyProperties(p, config)) as StackValidationArgs["getConfig"],
    notApplicable: throwNotApplicable,
  };
}

/** A reportViolation that records into `out`; accepts the object form used by lib/report.ts note(). */
export function collector(p: Policy, level: Level, defaultUrn: string, out: Violation[]): ReportViolation {
  return ((message: unknown, urn?: string) => {
    if (typeof message === "object" && message !== null) {
      const info = message as { message?: string; enforcementLevel?: Level; urn?: string };
      out.push({ policy: p.name, enforcementLevel: info.enforcementLevel ?? level, resource: info.urn ?? defaultUrn, message: info.message ?? p.description });
    } else {
      out.push({ policy: p.name, enforcementLevel: level, resource: urn ?? defaultUrn, message: String(message ?? p.description) });
    }
  }) as ReportViolation;
}

/** Run every policy over every resource (validateResource) and over the stack (validateStack). */
export async function runPolicies(policies: Policy[], resources: RunnerResource[], config: PackConfig = {}, stackTags: ReadonlyMap<string, string> = new Map()): Promise<RunResult> {
  const result: RunResult = { violations: [], notApplicable: [] };
  for (const p of policies) {
    let level = effectiveLevel(p, config);
    if (level === "disabled") continue;
    if (level === "remediate") level = "mandatory";
    if (isResourcePolicy(p)) {
      const validations = (Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource]).filter((v): v is NonNullable<typeof v> => typeof v === "function");
      for (const r of resources) {
        const report = collector(p, level, r.urn, result.violations);
        for (const v of validations) {
          try {
            await Promise.resolve(v(resourceArgs(r, p, config, stackTags), report));
          } catch (e) {
            if (e instanceof NotApplicableError) result.notApplicable.push({ policy: p.name, resource: r.urn, reason: e.reason ?? "" });
            else throw new Error(`policy ${p.name} failed on ${r.urn}: ${(e as Error).message}`);
          }
        }
      }
    }
    if (isStackPolicy(p)) {
      const report = collector(p, level, "", result.violations);
      try {
        await Promise.resolve(p.validateStack(stackArgs(resources, p, config, stackTags), report));
      } catch (e) {
        if (e instanceof NotApplicableError) result.notApplicable.push({ policy: p.name, resource: "", reason: e.reason ?? "" });
        else throw new Error(`policy ${p.name} failed on the stack: ${(e as Error).message}`);
      }
    }
  }
  return result;
}

export function mandatory(r: RunResult): Violation[] {
  return r.violations.filter((v) => v.enforcementLevel === "mandatory");
}
