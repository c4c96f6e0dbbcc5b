// A fake of the Pulumi operations (StackOps) for the operator CLIs' tests: no CLI, no engine. It
// records every call (operation and options) as a JSON line in STUB_LOG, emits engine events the
// way the Automation API delivers them (onEvent), and fails the way the CLI does when told to.
// Knobs (env, so a CLI run as a child process gets them too):
//   STUB_LOG               JSONL file: one {tool: "pulumi", op, opts, stack} per call
//   STUB_OUTPUTS           JSON {outputs, secretKeys}: the stack outputs (secret flags from secretKeys)
//   STUB_CONFIG            JSON {"<ns:key>": {value, secret}}: the stack's config
//   STUB_STATE             JSON deployment export (default: an empty state)
//   STUB_SELECTED          the workspace's selected stack (when --stack is absent)
//   STUB_OPEN_ERROR        a taxonomy code: opening the stack fails with it
//   STUB_UP_SLEEP_MS       up takes this long (aborted by the run's signal)
//   STUB_FAIL_<OP>         JSON file {events, stderr, name}: that operation (PREVIEW, UP, REFRESH, DESTROY,
//                          IDEMPOTENCY) emits those events and then fails like a CommandError
//   STUB_REFRESH_CHANGES   1: the refresh finds a drifted container (events, then the CLI's failure)
//   STUB_IDEM_CHANGES      1: the idempotency up wants a change
//   STUB_EXPORT_FAIL       stderr text: the state export fails with it
//   STUB_UP_STDOUT         up reports this text as a warning diagnostic (what a program prints)
//   STUB_UP_PROOFS         JSON file [{urn, type, op, outputs?}]: up steps these proof resources (in place
//                          of its one LabelProof), each resource-outputs event carrying `outputs`
import fs from "node:fs";
import type { EngineEvent, OutputMap } from "@pulumi/pulumi/automation";
import { BootstrapError, ErrorCode } from "../../contracts/errors";
import type { OpOptions, OpResult, StackOps } from "../../scripts/lib/pulumi/stack-ops";
import type { OpenOptions, Opened } from "../../scripts/lib/pulumi/workspace";

export const CONTAINER_URN = "urn:pulumi:test::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$logging-bootstrap:services:Loki$docker:index/container:Container::logging-test-loki";
export const PROOF_URN = "urn:pulumi:test::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$pulumi-nodejs:dynamic/logging-bootstrap:LabelProof::logging-test-proof-L4";

/** An Automation API CommandError as the SDK builds it (message `code: N\n stdout: ...\n stderr: ...`). */
export class FakeCommandError extends Error {
  constructor(stderr: string, name = "CommandError") {
    super(`code: 255\n stdout: \n stderr: ${stderr}\n err?: \n`);
    this.name = name;
  }
}

let seq = 0;
export function ev(e: Omit<EngineEvent, "sequence" | "timestamp">): EngineEvent {
  return { sequence: seq++, timestamp: Math.floor(Date.now() / 1000), ...e } as EngineEvent;
}
export const pre = (urn: string, type: string, op = "create", diffs?: string[]) => ev({ resourcePreEvent: { metadata: { op, urn, type, provider: "", ...(diffs ? { diffs } : {}) } as never } });
export const done = (urn: string, type: string, op = "create", diffs?: string[]) => ev({ resOutputsEvent: { metadata: { op, urn, type, provider: "", ...(diffs ? { diffs } : {}) } as never } });
export const failed = (urn: string, type: string, op = "create") => ev({ resOpFailedEvent: { metadata: { op, urn, type, provider: "" } as never, status: 1, steps: 0 } });
export const diag = (message: string, severity: "error" | "warning" = "error", urn?: string) => ev({ diagnosticEvent: { message, severity, color: "never", ...(urn ? { urn } : {}) } });
export const summary = (resourceChanges: Record<string, number>) => ev({ summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges, policyPacks: {} } });

const CONTAINER = "docker:index/container:Container";
const PROOF = "pulumi-nodejs:dynamic/logging-bootstrap:LabelProof";

function readJson<T>(file: string | undefined, d: T): T {
  try {
    return file ? (JSON.parse(fs.readFileSync(file, "utf8")) as T) : d;
  } catch {
    return d;
  }
}

export function fakeOps(stack: string, env: NodeJS.ProcessEnv = process.env): StackOps {
  const record = (op: string, o?: OpOptions) => {
    if (!env.STUB_LOG) return;
    const { onEvent: _e, signal: _s, ...opts } = o ?? {};
    fs.appendFileSync(env.STUB_LOG, JSON.stringify({ tool: "pulumi", op, opts, stack }) + "\n");
  };
  const failWith = (key: string, o: OpOptions) => {
    const spec = readJson<{ events?: EngineEvent[]; stderr?: string; name?: string } | undefined>(env[`STUB_FAIL_${key}`], undefined);
    if (!spec) return;
    for (const e of spec.events ?? []) o.onEvent?.(e);
    throw new FakeCommandError(spec.stderr ?? "error: update failed", spec.name);
  };
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(t);
        reject(new FakeCommandError("error: update canceled"));
      });
    });
  return {
    name: stack,
    cli: { version: "3.274.1-fake", source: "PATH" },
    async preview(o) {
      record("preview", o);
      failWith("PREVIEW", o);
      o.onEvent?.(pre(CONTAINER_URN, CONTAINER, "same"));
      o.onEvent?.(summary({ same: 1 }));
      return { changes: { same: 1 } };
    },
    async up(o): Promise<OpResult> {
      record("up", o);
      if (o.expectNoChanges) {
        failWith("IDEMPOTENCY", o);
        if (env.STUB_IDEM_CHANGES) {
          o.onEvent?.(pre(CONTAINER_URN, CONTAINER, "update", ["envs"]));
          o.onEvent?.(summary({ same: 40, update: 1 }));
          throw new FakeCommandError("error: no changes were expected but changes were proposed");
        }
        return { changes: { same: 41 } };
      }
      o.onEvent?.(pre(CONTAINER_URN, CONTAINER, "create"));
      if (env.STUB_UP_STDOUT) o.onEvent?.(diag(env.STUB_UP_STDOUT, "warning"));
      if (env.STUB_UP_SLEEP_MS) await sleep(Number(env.STUB_UP_SLEEP_MS), o.signal);
      failWith("UP", o);
      o.onEvent?.(done(CONTAINER_URN, CONTAINER));
      const proofs = readJson<Array<{ urn: string; type: string; op: string; outputs?: Record<string, unknown> }> | undefined>(env.STUB_UP_PROOFS, undefined);
      for (const p of proofs ?? [{ urn: PROOF_URN, type: PROOF, op: "create" }]) {
        o.onEvent?.(pre(p.urn, p.type, p.op));
        o.onEvent?.(p.outputs ? ev({ resOutputsEvent: { metadata: { op: p.op, urn: p.urn, type: p.type, provider: "", new: { type: p.type, urn: p.urn, custom: true, id: "x", parent: "", inputs: {}, outputs: p.outputs, provider: "" } } as never } }) : done(p.urn, p.type, p.op));
      }
      o.onEvent?.(summary({ create: 2, same: 39 }));
      return { changes: { create: 2, same: 39 } };
    },
    async refresh(o) {
      record("refresh", o);
      failWith("REFRESH", o);
      if (env.STUB_REFRESH_CHANGES) {
        // As the engine reports a refresh: the step is `refresh`, its result (update: drifted) comes with the outputs.
        o.onEvent?.(pre(CONTAINER_URN, CONTAINER, "refresh"));
        o.onEvent?.(done(CONTAINER_URN, CONTAINER, "update", ["uploads"]));
        o.onEvent?.(summary({ same: 40, update: 1 }));
        throw new FakeCommandError("error: no changes were expected but changes occurred");
      }
      return { changes: { same: 41 } };
    },
    async destroy(o) {
      record("destroy", o);
      failWith("DESTROY", o);
      o.onEvent?.(pre(CONTAINER_URN, CONTAINER, "delete"));
      o.onEvent?.(done(CONTAINER_URN, CONTAINER, "delete"));
      return { changes: { delete: 30 } };
    },
    async outputs(): Promise<OutputMap> {
      record("outputs");
      const o = readJson<{ outputs: Record<string, unknown>; secretKeys?: string[] } | undefined>(env.STUB_OUTPUTS, undefined);
      const out: OutputMap = {};
      for (const [k, v] of Object.entries(o?.outputs ?? {})) out[k] = { value: v, secret: (o?.secretKeys ?? []).includes(k) };
      return out;
    },
    async exportState() {
      record("export");
      if (env.STUB_EXPORT_FAIL) throw new FakeCommandError(env.STUB_EXPORT_FAIL);
      return readJson(env.STUB_STATE, { version: 3, deployment: { manifest: {}, resources: [] } }) as never;
    },
    async config(configFile) {
      record("config", configFile ? { configFile } : undefined);
      const c = readJson<Record<string, { value: string; secret?: boolean }>>(env.STUB_CONFIG, {});
      return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, { value: v.value, secret: Boolean(v.secret) }]));
    },
  };
}

/** openStack's fake: the stack named, else the selected one (STUB_SELECTED), else the default; STUB_OPEN_ERROR fails it. */
export function fakeOpen(env: NodeJS.ProcessEnv = process.env) {
  return async (o: OpenOptions): Promise<Opened> => {
    if (env.STUB_OPEN_ERROR) throw new BootstrapError(env.STUB_OPEN_ERROR as ErrorCode, `fake: ${env.STUB_OPEN_ERROR}`);
    const stack = o.stack ?? env.STUB_SELECTED ?? o.defaultStack;
    if (!stack) throw new BootstrapError("E_ENV_NO_STACK", "no --stack given and no stack is selected in this workspace");
    const prepared = o.prepare?.(stack);
    if (prepared) o.log?.(prepared);
    if (env.STUB_LOG) fs.appendFileSync(env.STUB_LOG, JSON.stringify({ tool: "pulumi", op: "open", opts: { create: Boolean(o.create) }, stack }) + "\n");
    return { ops: fakeOps(stack, env), stack, defaults: { backend: { url: "file:///fake", source: "default" }, passphrase: "generated", env: {}, notes: [] } };
  };
}
