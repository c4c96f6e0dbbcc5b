// The evaluated program, one model for every reader: scripts/lib/evaluate.ts produces it (the
// program under Pulumi's mocks), render writes it as plan.json, the offline policy runner, verify's
// desired state and the run evidence read it.

/** The resource options a plan records (the RegisterResourceRequest's, as the engine gets them). */
export interface PlanOptions {
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  /** Explicit dependencies: those that no input explains. */
  dependsOn: string[];
  parent: string | null;
}

/** One resource of the plan: inputs and outputs are plain data, secrets as REDACTED. */
export interface PlanResource {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  options: PlanOptions;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

/** A plan resource as tolerant readers accept it (hand-built in tests, or read back): options may be partial. */
export type PlanResourceLike = Omit<PlanResource, "options"> & { options: Partial<PlanOptions> };

/** The evaluated program of one stack. */
export interface Plan {
  project: string;
  stack: string;
  resources: PlanResource[];
  outputs: Record<string, unknown>;
}
