// The Pulumi operations a run needs, as one small interface (StackOps) the run wrapper, start,
// password and evidence all use; the real one drives @pulumi/pulumi/automation (workspace.ts), the
// unit tests hand in a fake. Every call passes the mode guard first (guardedOps).
import type { ConfigMap, Deployment, EngineEvent, OutputMap } from "@pulumi/pulumi/automation";
import { BootstrapError, ErrorCode, ErrorRecord, errorRecord } from "../../../contracts/errors";
import { cleanMessage } from "./engine-events";

/** Environment of every CLI call: no update check, no colour, nothing to prompt on. */
export const PULUMI_ENV_OVERRIDES: Record<string, string> = {
  PULUMI_SKIP_UPDATE_CHECK: "true",
  NO_COLOR: "1",
  TERM: "dumb",
  CI: "true",
};

export type OpName = "preview" | "up" | "refresh" | "destroy" | "export" | "outputs" | "config";

export interface OpOptions {
  /** Policy packs (paths relative to the project) and their per-stack configs. */
  policyPacks?: string[];
  policyPackConfigs?: string[];
  /** --target / --replace URNs; targetDependents re-runs what depends on them. */
  target?: string[];
  replace?: string[];
  targetDependents?: boolean;
  expectNoChanges?: boolean;
  /** up: go on past resources that fail (a fleet host that cannot be reached), applying every other change (Pulumi's --continue-on-error). */
  continueOnError?: boolean;
  /** destroy: leave protected resources (and their state) in place. */
  excludeProtected?: boolean;
  /** The stack's config file when it is not Pulumi.<stack>.yaml in the project. */
  configFile?: string;
  onEvent?: (e: EngineEvent) => void;
  signal?: AbortSignal;
}

export interface OpResult {
  /** The engine's change summary (`same`, `create`, `update`, ...). */
  changes: Record<string, number | undefined>;
}

export interface StackOps {
  readonly name: string;
  /** `pulumi version` of the CLI in use, and where it came from. */
  readonly cli: { version: string; source: string };
  preview(o: OpOptions): Promise<OpResult>;
  up(o: OpOptions): Promise<OpResult>;
  /** A refresh that writes nothing (preview-only): what the deployed resources look like now. */
  refresh(o: OpOptions): Promise<OpResult>;
  destroy(o: OpOptions): Promise<OpResult>;
  outputs(): Promise<OutputMap>;
  exportState(): Promise<Deployment>;
  /** Config of the stack (values of secrets included) from its stack file or `configFile`. */
  config(configFile?: string): Promise<ConfigMap>;
}

/** The operations each mode may run (the mode guard). Read-only ones: preview, outputs, config. */
export const ALLOWED_OPS: Record<string, readonly OpName[]> = {
  diagnose: ["preview", "outputs", "config"],
  apply: ["preview", "outputs", "config", "export", "up"],
  repair: ["preview", "outputs", "config", "export", "up"],
  rollback: ["preview", "outputs", "config", "export", "up"],
  drift: ["outputs", "config", "export", "refresh"],
  destroy: ["outputs", "config", "export", "destroy"],
  backup: ["outputs", "config", "export"],
  restore: ["outputs", "config", "export"],
  evidence: ["outputs", "config"],
  secrets: ["outputs", "config", "export"],
  password: ["outputs", "config", "export"],
};

/** The mode guard: throws E_ENV_MODE_VIOLATION for an operation the mode does not allow. */
export function guardOp(mode: string, op: OpName, o: OpOptions = {}): void {
  const allowed = ALLOWED_OPS[mode] ?? [];
  if (!allowed.includes(op)) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", `mode ${mode} does not run \`pulumi ${op}\`${mode === "diagnose" ? " (diagnose is read-only)" : ""}; allowed: ${allowed.join(", ")}`, {
      details: { mode, op },
    });
  }
  if (op === "up" && mode === "repair" && !(o.target?.length || o.replace?.length)) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", "repair changes named resources only: pass --target <urn> (one or more)", {
      action: "Name the resources to repair with --target <urn> (see `pulumi stack --show-urns`), or use --mode apply to converge everything.",
      details: { mode, op },
    });
  }
  if (op === "refresh" && !o.expectNoChanges) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", "drift mode refreshes only preview-only with expectNoChanges (detect, never write state)", { details: { mode, op } });
  }
}

/** Wrap ops so that every call passes the mode guard. */
export function guardedOps(mode: string, ops: StackOps): StackOps {
  const g = async <T>(op: OpName, o: OpOptions | undefined, f: () => Promise<T>): Promise<T> => {
    guardOp(mode, op, o);
    return f();
  };
  return {
    name: ops.name,
    cli: ops.cli,
    preview: (o) => g("preview", o, () => ops.preview(o)),
    up: (o) => g("up", o, () => ops.up(o)),
    refresh: (o) => g("refresh", o, () => ops.refresh(o)),
    destroy: (o) => g("destroy", o, () => ops.destroy(o)),
    outputs: () => g("outputs", undefined, () => ops.outputs()),
    exportState: () => g("export", undefined, () => ops.exportState()),
    config: (f) => g("config", undefined, () => ops.config(f)),
  };
}

/** The CLI's stderr inside an Automation API CommandError (its message is `code: N\n stdout: ...\n stderr: ...`). */
export function stderrOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const i = m.indexOf(" stderr: ");
  const rest = i < 0 ? m : m.slice(i + 9);
  const j = rest.indexOf("\n err?: ");
  return j < 0 ? rest : rest.slice(0, j);
}

/**
 * Errors the CLI reports before the engine runs (no engine event names them): its own wording is
 * all there is, so each is matched by the CLI's message for that one condition.
 */
const BEFORE_ENGINE: Array<[RegExp, ErrorCode]> = [
  [/passphrase must be set|PULUMI_CONFIG_PASSPHRASE(?:_FILE)? (?:environment variable|must)/i, "E_ENV_NO_PASSPHRASE"],
  [/incorrect passphrase|failed to decrypt|could not decrypt|message authentication failed/i, "E_ENV_PASSPHRASE_WRONG"],
  [/PULUMI_ACCESS_TOKEN must be set|requires logging in|problem logging in|not logged in|getting user info|could not log in|unable to open bucket|failed to login/i, "E_ENV_BACKEND_LOGIN"],
  [/no stack named .* found/i, "E_ENV_STACK_NOT_FOUND"],
  [/the stack is currently locked by|Another update is currently in progress/i, "E_ENV_LOCK_HELD"],
];

/** The error line the CLI printed last (`error: ...`), or its last line. */
export function cliErrorLine(stderr: string): string {
  const lines = cleanMessage(stderr, 400).split("\n");
  return (lines.filter((l) => /\berror:/.test(l)).pop() ?? lines.pop() ?? "").trim().slice(0, 500);
}

/** A failed Automation API call that produced no engine diagnostic, as an error record. */
export function commandFailure(step: string, err: unknown, fallback: ErrorCode): ErrorRecord {
  if (err instanceof BootstrapError) return err.toRecord();
  const name = err instanceof Error ? err.name : "";
  const stderr = stderrOf(err);
  const line = cliErrorLine(stderr);
  let code: ErrorCode = fallback;
  if (name === "StackNotFoundError") code = "E_ENV_STACK_NOT_FOUND";
  else if (name === "ConcurrentUpdateError") code = "E_ENV_LOCK_HELD";
  else for (const [re, c] of BEFORE_ENGINE) if (re.test(stderr)) { code = c; break; }
  const action =
    code === "E_ENV_LOCK_HELD"
      ? "Another pulumi operation holds this stack's lock: wait for it; if none runs (a killed run), `pulumi cancel` (service backend) or remove the stale lock file under <backend>/.pulumi/locks, then re-run."
      : undefined;
  return errorRecord(code, `pulumi ${step}: ${line || (err instanceof Error ? err.message.split("\n")[0] : String(err))}`, { ...(action ? { action } : {}), details: { step, cli: line } });
}
