// In-process evaluation of the real program (index.ts) under Pulumi's mocks: no CLI, no Docker.
// Used by `npm run -s render`, the component tests and the policy tests.
//
// How options are captured: the mock `newResource` only sees type, name and inputs (see
// @pulumi/pulumi/runtime/mocks.js), and stack transforms are handed to the mocks but never run by the
// mock monitor. So we wrap the mock monitor's `registerResource`: it receives the very
// RegisterResourceRequest the engine would get (protect, retainOnDelete, deleteBeforeReplace,
// parent, dependencies, propertyDependencies) and we record it before delegating.
//
// Explicit `dependsOn`: the request carries only the union of explicit and input-derived direct
// dependencies (component dependencies expanded to their custom children). We report
// `dependsOn` = dependencies that no input explains; `dependencies` and `propertyDependencies` carry
// the full picture.
//
// Repeatability: index.ts exports a function (`export = async () => ...`, which `pulumi up` calls the
// same way), so each evaluation re-runs the program inside a fresh `runInPulumiStack` after a fresh
// `setMocks`; the module cache does not matter. Evaluations are serialized (the runtime state is
// process-global), so two stacks can be evaluated one after the other in one jest file.
import * as crypto from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../../contracts/config/stackfile";
import { REDACTED, SIG, TYPES, UNKNOWN_VALUE } from "../../contracts/plan";
import type { Plan, PlanResource } from "../../contracts/plan";

export { REDACTED };
export const PROJECT = "logging-bootstrap";
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/**
 * One resource of an evaluation: the plan model's resource (contracts/plan), and for a resource on an
 * explicit provider (a fleet host's `docker.Provider`) that provider's URN; default providers leave it out.
 */
export type EvaluatedResource = PlanResource & { provider?: string };

export interface Evaluation extends Plan {
  resources: EvaluatedResource[];
  /** Paths where a secret value was found in plain text and scrubbed (should always be empty). */
  leaks: string[];
  /**
   * The program's own warnings (pulumi.log.warn), as `pulumi preview` would show them. Collected,
   * not printed: a CLI prints them, a test asserts them.
   */
  warnings: string[];
}

export interface EvaluateOptions {
  stack: string;
  /** Stack file; default Pulumi.<stack>.yaml at the project root. */
  configFile?: string;
  /** Raw Pulumi config (namespaced keys, string values) instead of a file; for tests of variants. */
  pulumiConfig?: Record<string, string>;
  secretKeys?: string[];
  /** Run as `pulumi preview` would (isDryRun true). Default false: every mock output is known. */
  preview?: boolean;
  /** Images reported missing by the mocked docker.getRemoteImage (offline-mode tests). */
  missingLocalImages?: string[];
  /** Keep dynamic providers' serialized `__provider` text instead of a placeholder. */
  keepProviderText?: boolean;
}

/** Deterministic stand-ins for values a provider would compute. */
export function fakeSha(seed: string): string {
  return crypto.createHash("sha256").update(seed).digest("hex");
}

/** A value the mocks generate for random.RandomPassword: recognisable so tests can search for it. */
export function fakePassword(name: string): string {
  return `MOCKSECRET-${fakeSha(name).slice(0, 24)}`;
}

/** A PEM block the mocks generate for @pulumi/tls outputs: recognisable, and never a real key or certificate. */
export function fakePem(kind: string, name: string): string {
  return `-----BEGIN ${kind}-----\nMOCK${fakeSha(`${kind}:${name}`)}\n-----END ${kind}-----\n`;
}

/** Strip tag and digest: `grafana/loki:3.0.0@sha256:..` -> `grafana/loki`. */
function repoOf(ref: string): string {
  const noDigest = ref.split("@")[0];
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

/** The outputs a provider would return, as far as the program and the proofs read them. */
export function mockState(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, any> } {
  const id = `${name}-id`;
  switch (type) {
    case TYPES.remoteImage: {
      const ref = String(inputs.name);
      const digest = ref.includes("@sha256:") ? ref.split("@")[1] : `sha256:${fakeSha(`digest:${ref}`)}`;
      return {
        id: `sha256:${fakeSha(`image:${ref}`)}${ref}`,
        state: { ...inputs, imageId: `sha256:${fakeSha(`image:${ref}`)}`, repoDigest: `${repoOf(ref)}@${digest}` },
      };
    }
    case TYPES.container:
      return { id: fakeSha(`container:${inputs.name}`), state: { ...inputs, exitCode: null, networkDatas: [] } };
    case TYPES.network:
      return { id: fakeSha(`network:${inputs.name}`), state: { ...inputs } };
    case TYPES.volume:
      return { id: String(inputs.name ?? id), state: { ...inputs, mountpoint: `/var/lib/docker/volumes/${inputs.name}/_data` } };
    case TYPES.randomPassword:
      return { id: "none", state: { ...inputs, result: pulumi.secret(fakePassword(name)), bcryptHash: pulumi.secret(`$2a$10$${fakeSha(name).slice(0, 53)}`) } };
    case TYPES.localCommand:
      return { id, state: { ...inputs, stdout: "", stderr: "" } };
    case TYPES.dockerProvider:
      return { id, state: { ...inputs } };
    // @pulumi/tls: the private key is a secret output (the provider marks it so; the mocks must).
    case TYPES.tlsPrivateKey:
      return { id, state: { ...inputs, privateKeyPem: pulumi.secret(fakePem("PRIVATE KEY", name)), publicKeyPem: fakePem("PUBLIC KEY", name) } };
    case TYPES.tlsSelfSignedCert:
    case TYPES.tlsLocallySignedCert:
      return { id, state: { ...inputs, certPem: fakePem("CERTIFICATE", name), readyForRenewal: false } };
    case TYPES.tlsCertRequest:
      return { id, state: { ...inputs, certRequestPem: fakePem("CERTIFICATE REQUEST", name) } };
    default:
      return { id, state: { ...inputs } };
  }
}

class Mocks implements pulumi.runtime.Mocks {
  constructor(private readonly missing: Set<string>) {}
  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
    return mockState(args.type, args.name, args.inputs);
  }
  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    if (args.token === TYPES.getRemoteImage) {
      const ref = String(args.inputs.name);
      if (this.missing.has(ref)) throw new Error(`Got error "Error: No such image: ${ref}"`);
      const digest = ref.includes("@sha256:") ? ref.split("@")[1] : `sha256:${fakeSha(`digest:${ref}`)}`;
      return { id: `sha256:${fakeSha(`image:${ref}`)}`, name: ref, repoDigest: `${repoOf(ref)}@${digest}` };
    }
    // An invoke the program gained without a mock here must fail loudly: echoing its inputs back
    // would hand the program a plausible but invented answer.
    throw new Error(`no mock for the invoke ${args.token}: add one to scripts/lib/evaluate.ts (Mocks.call)`);
  }
}

/** Turn a protobuf-JSON property value into plain data: secrets redacted, resource refs as URNs. */
export function plainValue(v: unknown, keepProviderText = false): unknown {
  if (v === UNKNOWN_VALUE) return "<computed>";
  if (Array.isArray(v)) return v.map((x) => plainValue(x, keepProviderText));
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const sig = o[SIG.key];
    if (sig === SIG.secret) return REDACTED;
    if (sig === SIG.resource) return o.urn;
    if (sig === SIG.output) return o.secret ? REDACTED : "value" in o ? plainValue(o.value, keepProviderText) : "<computed>";
    if (sig === SIG.asset || sig === SIG.archive) return { asset: o.path ?? o.uri ?? (o.text !== undefined ? "<text>" : "<archive>") };
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) {
      if (k === "__provider" && !keepProviderText) out[k] = "<serialized dynamic provider>";
      else out[k] = plainValue(o[k], keepProviderText);
    }
    return out;
  }
  return v;
}

/**
 * Replace every occurrence of a known secret value inside strings (belt and braces: a secret that
 * reached a plain input would otherwise be written out). Each hit's path is pushed to `hits`, so
 * tests can assert that nothing needed scrubbing.
 */
export function scrubValues<T>(v: T, secrets: string[], hits: string[] = [], at = ""): T {
  const live = secrets.filter((s) => s.length >= 4);
  if (live.length === 0) return v;
  const walk = (x: unknown, p: string): unknown => {
    if (typeof x === "string") {
      let s = x;
      for (const sec of live) {
        if (s.includes(sec)) {
          s = s.split(sec).join(REDACTED);
          hits.push(p);
        }
      }
      return s;
    }
    if (Array.isArray(x)) return x.map((e, i) => walk(e, `${p}[${i}]`));
    if (x && typeof x === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) out[k] = walk(val, p ? `${p}.${k}` : k);
      return out;
    }
    return x;
  };
  return walk(v, at) as T;
}

interface Captured {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  inputs: unknown;
  outputs: unknown;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  parent: string;
  /** The provider reference (`<urn>::<id>`), empty for a default provider. */
  provider: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

let queue: Promise<unknown> = Promise.resolve();

/** Evaluate the program for one stack. Calls are serialized; safe to call repeatedly. */
export function evaluateProgram(opts: EvaluateOptions): Promise<Evaluation> {
  const run = queue.then(() => evaluateOnce(opts));
  queue = run.catch(() => undefined);
  return run;
}

async function evaluateOnce(opts: EvaluateOptions): Promise<Evaluation> {
  let pulumiConfig: Record<string, string>;
  let secretKeys: string[];
  if (opts.pulumiConfig) {
    pulumiConfig = opts.pulumiConfig;
    secretKeys = opts.secretKeys ?? [];
  } else {
    const file = path.resolve(opts.configFile ?? path.join(PROJECT_ROOT, `Pulumi.${opts.stack}.yaml`));
    const read = readStackFile(file);
    pulumiConfig = read.pulumiConfig;
    secretKeys = opts.secretKeys ?? read.secretKeys;
  }
  const secretValues = secretKeys.map((k) => pulumiConfig[k]).filter((v): v is string => typeof v === "string");

  const mocks = new Mocks(new Set(opts.missingLocalImages ?? []));
  await pulumi.runtime.setMocks(mocks, PROJECT, opts.stack, opts.preview ?? false);
  pulumi.runtime.setAllConfig(pulumiConfig, secretKeys);

  const captured = new Map<string, Captured>();
  const order: string[] = [];
  let stackOutputs: unknown = {};
  const generated: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings");
  const monitor = settings.getMonitor();
  const origRegister = monitor.registerResource.bind(monitor);
  const origOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
    origRegister(req, (err: any, resp: any) => {
      if (!err && resp) {
        const urn: string = resp.getUrn();
        const propDeps: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((v: any, k: string) => {
          propDeps[k] = [...v.getUrnsList()];
        });
        const type: string = req.getType();
        const name: string = req.getName();
        if (type === TYPES.randomPassword) generated.push(fakePassword(name));
        if (type === TYPES.tlsPrivateKey) generated.push(fakePem("PRIVATE KEY", name));
        captured.set(urn, {
          type,
          name,
          urn,
          custom: req.getCustom(),
          inputs: req.getObject()?.toJavaScript() ?? {},
          outputs: resp.getObject()?.toJavaScript() ?? {},
          protect: req.getProtect() === true,
          retainOnDelete: req.getRetainondelete() === true,
          deleteBeforeReplace: req.getDeletebeforereplace() === true,
          parent: req.getParent(),
          provider: req.getProvider() ?? "",
          dependencies: [...req.getDependenciesList()],
          propertyDependencies: propDeps,
        });
        order.push(urn);
      }
      callback(err, resp);
    });
  };
  monitor.registerResourceOutputs = (req: any, callback: (err: any, resp: any) => void) => {
    if (req.getUrn().includes("::pulumi:pulumi:Stack::")) stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
    origOutputs(req, callback);
  };

  const mod: any = await import(path.join(PROJECT_ROOT, "index"));
  const program: unknown = typeof mod === "function" ? mod : typeof mod?.default === "function" ? mod.default : undefined;
  if (typeof program !== "function") {
    throw new Error("index.ts must export the program as a function (`export = async () => {...}`)");
  }
  // A program error must reject this evaluation, not escape as an unhandled rejection from the
  // runtime's internal promises (which would kill a jest worker or the render CLI with a trace).
  let programError: unknown;
  const onUnhandled = (reason: unknown) => {
    if (programError === undefined) programError = reason;
  };
  process.on("unhandledRejection", onUnhandled);
  // Without an engine, pulumi.log.warn writes "warning: [runtime] <msg>" through console.warn.
  const warnings: string[] = [];
  const consoleWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    const m = /^warning: (?:\[runtime\] )?([\s\S]*)$/.exec(text);
    if (m) warnings.push(m[1]);
    else consoleWarn(...args);
  };
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        return await (program as () => Promise<any>)();
      } catch (err) {
        programError = err;
        return {};
      }
    });
    await settings.waitForRPCs();
    await new Promise((r) => setImmediate(r));
  } catch (err) {
    if (programError === undefined) programError = err;
  } finally {
    process.removeListener("unhandledRejection", onUnhandled);
    console.warn = consoleWarn;
  }
  if (programError !== undefined) throw programError;

  const keep = opts.keepProviderText ?? false;
  const secrets = [...secretValues, ...generated];
  const resources: EvaluatedResource[] = [];
  const leaks: string[] = [];
  for (const urn of order) {
    const c = captured.get(urn)!;
    if (c.type === TYPES.stack) continue;
    const explained = new Set(Object.values(c.propertyDependencies).flat());
    resources.push({
      type: c.type,
      name: c.name,
      urn: c.urn,
      inputs: scrubValues(plainValue(c.inputs, keep) as Record<string, unknown>, secrets, leaks, `${c.urn}:inputs`),
      outputs: scrubValues(plainValue(c.outputs, keep) as Record<string, unknown>, secrets, leaks, `${c.urn}:outputs`),
      options: {
        protect: c.protect,
        retainOnDelete: c.retainOnDelete,
        deleteBeforeReplace: c.deleteBeforeReplace,
        dependsOn: c.dependencies.filter((d) => !explained.has(d)).sort(),
        parent: c.parent === "" ? null : c.parent,
      },
      dependencies: [...c.dependencies].sort(),
      propertyDependencies: c.propertyDependencies,
      // Only an explicit provider (a fleet host's): default providers are the engine's business.
      ...(c.provider && !isDefaultProvider(c.provider) ? { provider: c.provider.replace(/::[^:]*$/, "") } : {}),
    });
  }
  // Registration completes asynchronously; sort so plans diff cleanly.
  resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return {
    project: PROJECT,
    stack: opts.stack,
    resources,
    outputs: scrubValues(plainValue(stackOutputs) as Record<string, unknown>, secrets, leaks, "stack:outputs"),
    leaks,
    warnings,
  };
}

/** A default provider's reference (`...::pulumi:providers:<pkg>::default[_<version>]::<id>`). */
function isDefaultProvider(ref: string): boolean {
  return /::pulumi:providers:[^:]+::default(_[^:]*)?::/.test(ref);
}

/** The plan.json shape of COMMON.md (a projection of an Evaluation); `provider` only on a resource with an explicit one. */
export function toPlan(ev: Evaluation): Record<string, unknown> {
  return {
    project: ev.project,
    stack: ev.stack,
    resources: ev.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, inputs: r.inputs, options: r.options, ...(r.provider ? { provider: r.provider } : {}) })),
    outputs: ev.outputs,
  };
}
