// The Pulumi CLI as the run wrapper calls it: the exact argv per mode, a non-interactive environment
// (P17), and the mode guard (P16): an explicit allow-list of pulumi subcommands per mode, checked
// before every spawn, so a mutating call in diagnose is refused with E_ENV_MODE_VIOLATION instead of run.
import { BootstrapError, ErrorCode, ErrorRecord, errorRecord } from "../../contracts/errors";
import { ProcResult, runProcess } from "./proc";

export const MODES = ["diagnose", "apply", "repair", "drift", "rollback"] as const;
export type RunMode = (typeof MODES)[number];
/** Modes of the other operator CLIs that call pulumi (read-only). */
export type Mode = RunMode | "evidence" | "secrets" | "images";

/** Modes that change the host, hence hold out/.bootstrap.lock (P18). */
export const LOCKED_MODES: readonly RunMode[] = ["apply", "repair", "drift", "rollback"];

/** The read-only subcommands the CLIs call (version, preview, outputs, config); none changes the host or the state. */
export const READ_ONLY_SUBCOMMANDS = ["version", "preview", "stack output", "config", "config get"] as const;

export const ALLOWED_SUBCOMMANDS: Record<Mode, readonly string[]> = {
  diagnose: READ_ONLY_SUBCOMMANDS,
  // `stack export` writes the pre-`up` state checkpoint (P5) to a local file; it changes nothing.
  apply: [...READ_ONLY_SUBCOMMANDS, "stack export", "up"],
  repair: [...READ_ONLY_SUBCOMMANDS, "stack export", "up"],
  // rollback: the previous pins are put back in the stack file and applied with a plain `up`.
  rollback: [...READ_ONLY_SUBCOMMANDS, "stack export", "up"],
  drift: [...READ_ONLY_SUBCOMMANDS, "refresh"],
  evidence: READ_ONLY_SUBCOMMANDS,
  secrets: READ_ONLY_SUBCOMMANDS,
  images: READ_ONLY_SUBCOMMANDS,
};

/** `stack output --json` -> "stack output"; `up --yes` -> "up"; `config --json` -> "config". */
export function subcommandOf(argv: readonly string[]): string {
  const [a, b] = argv;
  if ((a === "stack" || a === "config") && b && !b.startsWith("-")) return `${a} ${b}`;
  return a ?? "";
}

/** The mode guard. Throws; never returns for a call the mode does not allow. */
export function guardPulumiCall(mode: Mode, argv: readonly string[]): void {
  const sub = subcommandOf(argv);
  const allowed = ALLOWED_SUBCOMMANDS[mode];
  if (!allowed.includes(sub)) {
    throw new BootstrapError(
      "E_ENV_MODE_VIOLATION",
      `mode ${mode} does not allow \`pulumi ${sub}\`${mode === "diagnose" ? " (diagnose is read-only)" : ""}; allowed: ${allowed.join(", ")}`,
      { details: { mode, subcommand: sub, argv: [...argv] } },
    );
  }
  if (!argv.includes("--non-interactive")) {
    throw new BootstrapError("E_ENV_INTERACTIVE", `\`pulumi ${sub}\` without --non-interactive could prompt`, { details: { mode, argv: [...argv] } });
  }
  if (sub === "up" && mode === "repair" && !argv.includes("--target") && !argv.includes("--target-replace")) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", "repair changes named resources only: pass --target <urn> (one or more)", {
      action: "Name the resources to repair with --target <urn> (see `pulumi stack --show-urns`), or use --mode apply to converge everything.",
      details: { mode, argv: [...argv] },
    });
  }
  if (sub === "refresh" && !(argv.includes("--expect-no-changes") && argv.includes("--preview-only"))) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", "drift mode runs refresh only with --preview-only --expect-no-changes (detect, never write state)", { details: { mode, argv: [...argv] } });
  }
  if (sub === "stack export" && (argv.includes("--show-secrets") || !argv.includes("--file"))) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", "a state checkpoint is written to a file, with its secrets still encrypted (no --show-secrets)", { details: { mode } });
  }
  if (sub === "stack output" && argv.includes("--show-secrets") && mode !== "secrets" && !argv.includes("--json")) {
    throw new BootstrapError("E_ENV_MODE_VIOLATION", "secret outputs are read as JSON for redaction only", { details: { mode } });
  }
}

// ---- exact argv per step (the tests assert these) ----
export const POLICY_PACK = "policy";

/** The per-stack policy config (enforcement levels, exposure-explicit.lanExposed), relative to the project root. */
export function policyPackConfigFile(stack: string): string {
  return `policy/config/${stack}.json`;
}
// Without --policy-pack-config the pack runs on its defaults, e.g. lanExposed=false, which would
// block the prod stack's deliberate LAN exposure: pass the stack's file whenever it exists.
function packArgs(packConfig?: string): string[] {
  return ["--policy-pack", POLICY_PACK, ...(packConfig ? ["--policy-pack-config", packConfig] : [])];
}
/** `--config-file F` when the stack's config is not the project's Pulumi.<stack>.yaml (e.g. a test stack's copy). */
function cfgArgs(configFile?: string): string[] {
  return configFile ? ["--config-file", configFile] : [];
}
export function previewArgv(stack: string, packConfig?: string, configFile?: string): string[] {
  return ["preview", "--stack", stack, "--non-interactive", ...cfgArgs(configFile), ...packArgs(packConfig)];
}
export function upArgv(stack: string, targets: readonly string[] = [], packConfig?: string, configFile?: string): string[] {
  return ["up", "--stack", stack, "--yes", "--non-interactive", ...cfgArgs(configFile), ...packArgs(packConfig), ...targets.flatMap((t) => ["--target", t])];
}
/** A Docker container's URN: `...$docker:index/container:Container::<name>`. */
export function isContainerUrn(urn: string): boolean {
  return /\$docker:index\/container:Container::[^:]+$/.test(urn) || /::docker:index\/container:Container::[^:]+$/.test(urn);
}
/**
 * repair: bring the named resources back to the program's desired state, and nothing else. A
 * container is rebuilt (--target-replace), stopped or not: the provider cannot read back files
 * uploaded into it, so an edited config file is only ever undone by a new container from the
 * rendered files; its data volume is kept. --target-dependents re-runs what depends on it (the
 * proofs). No --refresh: a targeted refresh cannot load the proofs' dynamic provider ("unknown
 * provider ... pulumi-nodejs::default", seen with CLI v3.274.1), and the replacement needs none.
 */
export function repairArgv(stack: string, targets: readonly string[], packConfig?: string, configFile?: string): string[] {
  return [
    "up", "--stack", stack, "--yes", "--non-interactive", ...cfgArgs(configFile), ...packArgs(packConfig),
    "--target-dependents",
    ...targets.flatMap((t) => (isContainerUrn(t) ? ["--target-replace", t] : ["--target", t])),
  ];
}
export function idempotencyArgv(stack: string, packConfig?: string, configFile?: string): string[] {
  return ["up", "--stack", stack, "--yes", "--non-interactive", ...cfgArgs(configFile), ...packArgs(packConfig), "--expect-no-changes"];
}
// --preview-only: the drift check reports differences without writing them into state, so a
// drifted stack stays drifted in state too and the next `up` (or a targeted repair) restores it.
export function refreshArgv(stack: string, configFile?: string): string[] {
  return ["refresh", "--stack", stack, "--preview-only", "--non-interactive", ...cfgArgs(configFile), "--expect-no-changes"];
}
/**
 * The state checkpoint taken before every `up` (P5): `pulumi stack import --file <it>` followed by
 * `pulumi up` returns to it. Secrets stay encrypted in it (never --show-secrets).
 */
export function stackExportArgv(stack: string, file: string): string[] {
  return ["stack", "export", "--stack", stack, "--file", file, "--non-interactive"];
}
export function stackOutputArgv(stack: string, showSecrets = false): string[] {
  return ["stack", "output", "--stack", stack, "--json", "--non-interactive", ...(showSecrets ? ["--show-secrets"] : [])];
}
export function configJsonArgv(stack: string, configFile?: string): string[] {
  return ["config", "--stack", stack, "--json", "--non-interactive", ...cfgArgs(configFile)];
}
export function configGetArgv(stack: string, key: string, configFile?: string): string[] {
  return ["config", "get", key, "--stack", stack, "--non-interactive", ...cfgArgs(configFile)];
}
export function versionArgv(): string[] {
  return ["version", "--non-interactive"];
}

/** Environment of every pulumi call: no update check, no colour, no terminal to prompt on. */
export const PULUMI_ENV_OVERRIDES: Record<string, string> = {
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_SKIP_CONFIRMATIONS: "false",
  NO_COLOR: "1",
  TERM: "dumb",
  CI: "true",
};

export function pulumiEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, ...PULUMI_ENV_OVERRIDES };
}

export function pulumiMissing(): BootstrapError {
  return new BootstrapError("E_ENV_TOOL_MISSING", "the Pulumi CLI (`pulumi`) is not installed or not on PATH", {
    action: "Install the Pulumi CLI (curl -fsSL https://get.pulumi.com | sh, or see https://www.pulumi.com/docs/install/), check `pulumi version` works, then re-run.",
    details: { tool: "pulumi" },
  });
}

export interface PulumiRunner {
  run(argv: string[], opts?: { timeoutMs?: number; onOutput?: (s: "stdout" | "stderr", c: string) => void }): Promise<ProcResult>;
}

/** Guarded runner: every call passes the mode guard first; a missing CLI is E_ENV_TOOL_MISSING. */
export function pulumiRunner(mode: Mode, cwd: string, env: NodeJS.ProcessEnv = process.env): PulumiRunner {
  return {
    async run(argv, opts = {}) {
      guardPulumiCall(mode, argv);
      const r = await runProcess("pulumi", argv, { cwd, env: pulumiEnv(env), timeoutMs: opts.timeoutMs, onOutput: opts.onOutput });
      if (r.notFound) throw pulumiMissing();
      return r;
    },
  };
}

/**
 * What `--expect-no-changes` prints when it fails because changes were found, across CLI versions:
 * "no changes were expected but changes occurred" (refresh, older up), "... but changes were
 * proposed", "no changes were expected for <operation> but changes were proposed" (newer).
 */
export const NO_CHANGES_EXPECTED = /no changes were expected(?: for [\w-]+)? but changes (?:occurred|were proposed)/;

/** Codes that mean "--expect-no-changes found changes": only Pulumi's own message earns them. */
const CHANGES_FOUND_CODES: readonly ErrorCode[] = ["E_PROOF_DRIFT", "E_PROOF_IDEMPOTENCY"];

/**
 * Classify a failed pulumi call: a taxonomy code printed by the program itself (not in a warning) wins, then well-known
 * engine/provider messages, then the step's own default. A step whose default is drift or
 * idempotency gets it only when Pulumi said changes were found; any other failure of that step
 * (backend, lock, plugin, program error) is E_RUNTIME_DEPLOY_FAILED, not a false drift. The resource is taken from the line Pulumi
 * prints above the error (`  docker:index:Container (logging-test-loki):`).
 */
export function classifyPulumiFailure(step: string, r: Pick<ProcResult, "stdout" | "stderr" | "code">, fallback: ErrorCode): ErrorRecord {
  const text = `${r.stdout}\n${r.stderr}`;
  const resource = /^\s+([a-z0-9-]+:[A-Za-z0-9/:._-]+) \(([^)]+)\):\s*$/m.exec(text);
  const details: Record<string, unknown> = { step, exitCode: r.code };
  if (resource) {
    details.resourceType = resource[1];
    details.resource = resource[2];
  }
  const errorLine = text.split("\n").find((l) => /\berror:/.test(l))?.trim();
  // A code in a warning (the program's config warnings print E_CONFIG_IMAGE_NO_DIGEST on every
  // run) says nothing about why the run failed: only codes outside warning lines count.
  const known = /\b(E_[A-Z]+(?:_[A-Z0-9]+)+)\b/.exec(
    text
      .split("\n")
      .filter((l) => !/^\s*warning:/.test(l))
      .join("\n"),
  );
  const rules: Array<[RegExp, ErrorCode]> = [
    [/Cannot connect to the Docker daemon|docker\.sock: connect: (no such file|connection refused)|error during connect/i, "E_ENV_DOCKER_UNREACHABLE"],
    [/port is already allocated|address already in use/i, "E_RUNTIME_PORT_CONFLICT"],
    [/pull access denied|manifest unknown|Error pulling image|failed to pull/i, "E_DEPS_IMAGE_PULL_FAILED"],
    [/no stack named|stack .* not found/i, "E_ENV_USAGE"],
    [/passphrase must be set|incorrect passphrase/i, "E_ENV_USAGE"],
  ];
  const changesFound = NO_CHANGES_EXPECTED.test(text);
  if (CHANGES_FOUND_CODES.includes(fallback) && !changesFound) fallback = "E_RUNTIME_DEPLOY_FAILED";
  if (changesFound) details.changesFound = true;
  let code: ErrorCode = fallback;
  if (known) {
    try {
      code = errorRecord(known[1] as ErrorCode, "").code;
    } catch {
      /* not a taxonomy code */
    }
  }
  if (code === fallback) for (const [re, c] of rules) if (re.test(text)) { code = c; break; }
  const message = `pulumi ${step} exited with ${r.code}${errorLine ? `: ${errorLine}` : ""}`;
  return errorRecord(code, message, { details });
}

function hasSecretMarker(v: unknown): boolean {
  if (v === "[secret]") return true;
  if (Array.isArray(v)) return v.some(hasSecretMarker);
  if (v && typeof v === "object") return Object.values(v).some(hasSecretMarker);
  return false;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export interface StackSecrets {
  /** `pulumi stack output --json` (secrets shown as "[secret]"); undefined when the stack has none yet. */
  outputs?: Record<string, unknown>;
  /** Plain values of the outputs that are secret (read for redaction and secrets:export only). */
  outputSecrets: Record<string, unknown>;
  /** Full config key -> plain value of every secret config key. */
  configSecrets: Record<string, string>;
  problems: string[];
}

/**
 * Read the stack's secret values: outputs that `stack output --json` masks as "[secret]" (taken from
 * the --show-secrets form), and config keys marked secret (taken one by one with `config get`).
 * All calls are read-only and pass the mode guard. Failures (no stack yet, no outputs) are tolerated.
 */
export async function readStackSecrets(runner: PulumiRunner, stack: string, configFile?: string): Promise<StackSecrets> {
  const res: StackSecrets = { outputSecrets: {}, configSecrets: {}, problems: [] };
  const plainRun = await runner.run(stackOutputArgv(stack));
  const plain = plainRun.code === 0 ? (parseJson(plainRun.stdout) as Record<string, unknown> | undefined) : undefined;
  if (plainRun.code !== 0) res.problems.push(`pulumi stack output exited ${plainRun.code}`);
  if (plain && typeof plain === "object") {
    res.outputs = plain;
    if (Object.values(plain).some(hasSecretMarker)) {
      const fullRun = await runner.run(stackOutputArgv(stack, true));
      const full = (fullRun.code === 0 ? parseJson(fullRun.stdout) : undefined) as Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(plain)) if (hasSecretMarker(v) && full && k in full) res.outputSecrets[k] = full[k];
    }
  }
  const cfgRun = await runner.run(configJsonArgv(stack, configFile));
  const cfg = (cfgRun.code === 0 ? parseJson(cfgRun.stdout) : undefined) as Record<string, { secret?: boolean }> | undefined;
  if (cfgRun.code !== 0) res.problems.push(`pulumi config exited ${cfgRun.code}`);
  for (const [key, entry] of Object.entries(cfg ?? {})) {
    if (!entry?.secret) continue;
    const r = await runner.run(configGetArgv(stack, key, configFile));
    if (r.code === 0) res.configSecrets[key] = r.stdout.replace(/\r?\n$/, "");
    else res.problems.push(`pulumi config get ${key} exited ${r.code}`);
  }
  return res;
}
