// The proof resources (dynamic providers). Each provider is an object literal whose methods load
// their code at call time (`await import()` / require by path inside the method): the serialized
// provider text captures only the level string, no module and no client (TESTING.md). The host
// process (`pulumi-resource-pulumi-nodejs`, cwd = project root) is plain node, so the TypeScript
// runtime is loaded through tsx's require hook (tsx is a runtime dependency).
import * as pulumi from "@pulumi/pulumi";
import { LEVEL } from "./levels";
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

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };
type PlainArgs = Record<string, unknown>;

/**
 * The proof resource of one level (L1-L9): `pulumi-nodejs:dynamic/logging-bootstrap:<Type>` with the
 * level's Type from levels.ts (state holds it), and the verdict outputs every proof exposes plus the
 * level's own (L3's `marker`, the line whose stream the label proof checks). L5's admin password is
 * a secret input only; runtime.desired() keeps it out of every output.
 */
export class Proof extends pulumi.dynamic.Resource {
  declare readonly status: pulumi.Output<"green" | "warn" | "red">;
  declare readonly code: pulumi.Output<string | undefined>;
  declare readonly findings: pulumi.Output<string[]>;
  declare readonly level: pulumi.Output<Level>;

  constructor(level: Level, name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    const own = Object.fromEntries((LEVEL[level].extraOutputs ?? []).map((k) => [k, undefined]));
    super(proofProvider(level), name, { ...args, ...own, status: undefined, code: undefined, findings: undefined, level: undefined }, opts, PROOF_MODULE, LEVEL[level].proofType);
  }
}

/** L3's proof: its `marker` output is what L4 checks. */
export type IngestionProof = Proof & { readonly marker: pulumi.Output<string> };

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

/**
 * The provider of HostProof: the same shape as the proof providers, its methods loading
 * host-runtime.ts at call time (create/update run the whole host proof, read its read-only half).
 */
export function hostProofProvider(): pulumi.dynamic.ResourceProvider {
  const provider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
      return (await this.load()).hostCheck(news);
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      return (await this.load()).hostDiff(olds, news);
    },
    async create(inputs: Record<string, unknown>) {
      return (await this.load()).hostCreate(inputs);
    },
    async read(id: string, props?: Record<string, unknown>) {
      return (await this.load()).hostRead(id, props ?? {});
    },
    async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
      return (await this.load()).hostUpdate(news);
    },
    async delete() {
      // A host proof owns nothing: the markers it wrote are log lines, which stay.
    },
    async load() {
      const path = await import("path");
      const root = process.env.LOGGING_BOOTSTRAP_ROOT || process.cwd();
      const file = path.join(root, "components", "verify", "host-runtime.ts");
      const exts = (require as unknown as { extensions?: Record<string, unknown> }).extensions;
      if (!exts || !exts[".ts"]) {
        const tsx = await import("tsx/cjs/api");
        tsx.register();
      }
      return require(file) as typeof import("./host-runtime");
    },
  };
  return provider;
}

/**
 * A fleet host's proof (`pulumi-nodejs:dynamic/logging-bootstrap:HostProof`, `<project>-X-host`):
 * checks/host.ts through host X's engine. Its engine's TLS leaves (tcp://) are secret inputs it keeps
 * in state for refresh (runtime.ts STATE_SECRET_KEYS); outputs: the verdict and the marker written
 * at the last apply.
 */
export class HostProof extends pulumi.dynamic.Resource {
  declare readonly status: pulumi.Output<"green" | "warn" | "red">;
  declare readonly code: pulumi.Output<string | undefined>;
  declare readonly findings: pulumi.Output<string[]>;
  declare readonly marker: pulumi.Output<string | undefined>;

  constructor(name: string, args: Inputs<PlainArgs>, opts?: pulumi.CustomResourceOptions) {
    super(hostProofProvider(), name, { ...args, status: undefined, code: undefined, findings: undefined, marker: undefined }, opts, PROOF_MODULE, "HostProof");
  }
}
