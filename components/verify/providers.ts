// The proof resources (dynamic providers). Each provider is an object literal whose methods load
// their code at call time (`await import()` / require by path inside the method): the serialized
// provider text captures only the level string, no module and no client (TESTING.md). The host
// process (`pulumi-resource-pulumi-nodejs`, cwd = project root) is plain node, so the TypeScript
// runtime is loaded through tsx's require hook (tsx is a runtime dependency).
import * as pulumi from "@pulumi/pulumi";
import type { Level } from "./types";

export const PROOF_MODULE = "logging-bootstrap";

/** Build the provider for one level. Everything it needs at run time travels in the properties. */
export function proofProvider(level: Level): pulumi.dynamic.ResourceProvider {
  const provider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
      const rt = await this.load();
      return rt.proofCheck(level, news);
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const rt = await this.load();
      return rt.proofDiff(olds, news);
    },
    async create(inputs: Record<string, unknown>) {
      const rt = await this.load();
      return rt.create(level, inputs);
    },
    async read(id: string, props?: Record<string, unknown>) {
      const rt = await this.load();
      return rt.read(level, id, props ?? {});
    },
    async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
      const rt = await this.load();
      return rt.update(level, news);
    },
    async delete() {
      // A proof owns nothing on the host: deleting it is a no-op.
    },
    // Not a provider operation: the lazy loader the methods share (resolved from the project root).
    async load() {
      const path = await import("path");
      const root = process.env.LOGGING_BOOTSTRAP_ROOT || process.cwd();
      const file = path.join(root, "components", "verify", "runtime.ts");
      const exts = (require as unknown as { extensions?: Record<string, unknown> }).extensions;
      if (!exts || !exts[".ts"]) {
        const tsx = await import("tsx/cjs/api");
        tsx.register();
      }
      return require(file) as typeof import("./runtime");
    },
  };
  return provider;
}

/** Verdict outputs every proof exposes. */
abstract class ProofResource extends pulumi.dynamic.Resource {
  declare readonly status: pulumi.Output<"green" | "warn" | "red">;
  declare readonly code: pulumi.Output<string | undefined>;
  declare readonly findings: pulumi.Output<string[]>;
  declare readonly level: pulumi.Output<Level>;

  protected constructor(level: Level, type: string, name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super(proofProvider(level), name, { ...props, status: undefined, code: undefined, findings: undefined, level: undefined }, opts, PROOF_MODULE, type);
  }
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };
type PlainArgs = Record<string, unknown>;

export class HealthProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L1", "HealthProof", name, args, opts);
  }
}
export class ReachabilityProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L2", "ReachabilityProof", name, args, opts);
  }
}
export class IngestionProof extends ProofResource {
  /** The marker of the last apply: the line whose stream the label proof checks. */
  declare readonly marker: pulumi.Output<string>;
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L3", "IngestionProof", name, { ...args, marker: undefined }, opts);
  }
}
export class LabelProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L4", "LabelProof", name, args, opts);
  }
}
export class DashboardProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    // The admin password is a secret input only; runtime.desired() keeps it out of every output.
    super("L5", "DashboardProof", name, args, opts);
  }
}
export class RuleProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L6", "RuleProof", name, args, opts);
  }
}
export class ProvenanceProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L7", "ProvenanceProof", name, args, opts);
  }
}
export class ConfigDriftProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L8", "ConfigDriftProof", name, args, opts);
  }
}

export class AlertDeliveryProof extends ProofResource {
  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super("L9", "AlertDeliveryProof", name, args, opts);
  }
}

/**
 * The provider of GrafanaAdminPassword (admin.ts). Same shape as the proof providers: an object
 * literal whose methods load admin.ts at call time, so the serialized text captures nothing.
 */
export function grafanaAdminProvider(): pulumi.dynamic.ResourceProvider {
  const provider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
      return (await this.load()).adminCheck(news);
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      return (await this.load()).adminDiff(olds, news);
    },
    async create(inputs: Record<string, unknown>) {
      return (await this.load()).adminCreate(inputs);
    },
    async read(id: string, props?: Record<string, unknown>) {
      return (await this.load()).adminRead(id, props ?? {});
    },
    async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
      return { outs: await (await this.load()).adminApply(news) };
    },
    async delete() {
      // The password lives in Grafana's database on the retained data volume: nothing to remove.
    },
    async load() {
      const path = await import("path");
      const root = process.env.LOGGING_BOOTSTRAP_ROOT || process.cwd();
      const file = path.join(root, "components", "verify", "admin.ts");
      const exts = (require as unknown as { extensions?: Record<string, unknown> }).extensions;
      if (!exts || !exts[".ts"]) {
        const tsx = await import("tsx/cjs/api");
        tsx.register();
      }
      return require(file) as typeof import("./admin");
    },
  };
  return provider;
}

/**
 * Keeps Grafana's stored admin password equal to the configured secret (admin.ts says why).
 * `adminPassword` is a secret input only; outputs never hold it.
 */
export class GrafanaAdminPassword extends pulumi.dynamic.Resource {
  declare readonly state: pulumi.Output<"in-sync" | "refused" | "unreachable">;
  declare readonly container: pulumi.Output<string>;

  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super(grafanaAdminProvider(), name, { ...args, state: undefined }, opts, PROOF_MODULE, "GrafanaAdminPassword");
  }
}
