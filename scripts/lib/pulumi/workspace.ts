// StackOps on Pulumi's Automation API: a LocalWorkspace on the project directory (the program,
// Pulumi.yaml and the stack files as they are; nothing is written into them), the CLI from
// resolveCli, the embedded defaults (backend, passphrase) in its environment, and the stack
// selected (or, for `npm start`, created) through Stack.select / Stack.createOrSelect.
// A stack file outside the project (--config-file) reaches every operation as the Automation API's
// `configFile` option; config reads of such a file run in a scratch workspace holding a copy of
// Pulumi.yaml and that file, so the project directory is never written.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { BootstrapError } from "../../../contracts/errors";
import { STACK_FILE_ENV } from "../../../contracts/config/markers";
import { resolveCli, CliProbes, realProbes } from "./command";
import { applyDefaults, chooseStack, credentialsFile, Defaults, resolveBackend, resolveDefaults, shortStackName } from "./defaults";
import { commandFailure, OpOptions, PULUMI_ENV_OVERRIDES, StackOps } from "./stack-ops";

/** The variables the defaults are decided from: handed to the CLI as they were judged. */
const PASSED_ENV = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_HOME", "PULUMI_ACCESS_TOKEN"] as const;

export interface OpenOptions {
  root: string;
  /** --stack; absent: the workspace's selected stack. */
  stack?: string;
  /** Create the stack when it does not exist (npm start's `local` stack only). */
  create?: boolean;
  /** The stack when neither --stack nor a selection names one (npm start: `local`). */
  defaultStack?: string;
  /** Called with the stack's name before its file is read (npm start writes the local stack's file). */
  prepare?: (stack: string) => string | undefined;
  /** The stack file to judge the passphrase by (default Pulumi.<stack>.yaml in the project). */
  stackFile?: (stack: string) => string;
  env?: NodeJS.ProcessEnv;
  log?: (m: string) => void;
  probes?: CliProbes;
}

export interface Opened {
  ops: StackOps;
  stack: string;
  defaults: Defaults;
}

function readIfExists(f: string): string | undefined {
  try {
    return fs.readFileSync(f, "utf8");
  } catch {
    return undefined;
  }
}

/** Find the CLI, apply the defaults, check the backend login, select (or create) the stack. */
export async function openStack(o: OpenOptions): Promise<Opened> {
  const env = o.env ?? process.env;
  const log = o.log ?? (() => undefined);
  const cli = await resolveCli(o.root, env, o.probes ?? realProbes, log);
  const cliEnv = { ...env, ...cli.env };
  const credentials = readIfExists(credentialsFile(cliEnv));
  const backend = resolveBackend(cliEnv, o.root, credentials);
  // The CLI inherits this process's environment; what the run decided from `env` is passed explicitly.
  const passed = Object.fromEntries(PASSED_ENV.filter((k) => env[k] !== undefined).map((k) => [k, env[k]!]));
  const envVars: Record<string, string> = { ...PULUMI_ENV_OVERRIDES, ...passed, ...cli.env };
  if (backend.source === "default") {
    envVars.PULUMI_BACKEND_URL = backend.url!;
    fs.mkdirSync(backend.url!.slice("file://".length), { recursive: true, mode: 0o700 });
  }
  const ws = await LocalWorkspace.create({ workDir: o.root, pulumiCommand: cli.command, envVars });
  // The backend login is checked beside the stack's selection (two CLI calls at once); a failed
  // login is the cause reported whenever it failed, before anything the selection says.
  const login = ws.whoAmI().then(
    () => undefined,
    (err: unknown) => {
      const rec = commandFailure("whoami", err, "E_ENV_BACKEND_LOGIN");
      return new BootstrapError(rec.code === "E_ENV_TOOL_MISSING" ? rec.code : "E_ENV_BACKEND_LOGIN", `the Pulumi backend ${backend.url ?? ""} (from ${backend.source}) cannot be used: ${rec.message.replace(/^pulumi whoami: /, "")}`, {
        details: { backend: backend.url, backendSource: backend.source },
      });
    },
  );
  let opened: Opened;
  try {
    opened = await selectStack(o, ws, cli, cliEnv, credentials, log);
  } catch (err) {
    throw (await login) ?? err;
  }
  const failed = await login;
  if (failed) throw failed;
  return opened;
}

async function selectStack(
  o: OpenOptions,
  ws: LocalWorkspace,
  cli: Awaited<ReturnType<typeof resolveCli>>,
  cliEnv: NodeJS.ProcessEnv,
  credentials: string | undefined,
  log: (m: string) => void,
): Promise<Opened> {
  let selected: string | undefined;
  if (!o.stack) selected = (await ws.stack().catch(() => undefined))?.name;
  const stack = chooseStack(o.stack, selected ?? o.defaultStack);
  const prepared = o.prepare?.(shortStackName(stack));
  if (prepared) log(prepared);
  const stackFile = o.stackFile?.(stack) ?? path.join(o.root, `Pulumi.${shortStackName(stack)}.yaml`);
  const defaults = resolveDefaults({ env: cliEnv, root: o.root, credentialsText: credentials, stackFileText: readIfExists(stackFile) });
  applyDefaults(defaults);
  Object.assign(ws.envVars, defaults.env);
  // The program judges which alerting credentials are secure: by the stack file it runs with; a
  // file outside the project (--config-file) is named to it (contracts/config/markers.ts).
  if (o.stackFile && path.resolve(stackFile) !== path.join(o.root, `Pulumi.${shortStackName(stack)}.yaml`)) ws.envVars[STACK_FILE_ENV] = path.resolve(stackFile);
  for (const n of defaults.notes) log(n);
  let s: Stack;
  try {
    s = o.create ? await Stack.createOrSelect(stack, ws) : await Stack.select(stack, ws);
  } catch (err) {
    const rec = commandFailure("stack select", err, "E_ENV_STACK_NOT_FOUND");
    throw new BootstrapError(rec.code, rec.code === "E_ENV_STACK_NOT_FOUND" ? `no stack named ${stack} in the backend ${defaults.backend.url}` : rec.message, { details: { stack, backend: defaults.backend.url } });
  }
  log(`pulumi ${cli.command.version ?? "?"} (${cli.source}), stack ${stack}`);
  return { ops: automationOps(s, ws, { version: String(cli.command.version ?? "unknown"), source: cli.source }), stack, defaults };
}

function common(o: OpOptions) {
  return {
    // up/refresh/destroy read their summary with `stack history`, which shows secrets unless told
    // not to, and, for a stack whose file is elsewhere (--config-file), writes a Pulumi.<stack>.yaml
    // holding its salt into the project when it does (seen with CLI 3.274.1): never ask for them.
    showSecrets: false,
    ...(o.configFile ? { configFile: o.configFile } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

function targets(o: OpOptions) {
  return {
    ...(o.policyPacks?.length ? { policyPacks: o.policyPacks } : {}),
    ...(o.policyPackConfigs?.length ? { policyPackConfigs: o.policyPackConfigs } : {}),
    ...(o.target?.length ? { target: o.target } : {}),
    ...(o.replace?.length ? { replace: o.replace } : {}),
    ...(o.targetDependents ? { targetDependents: true } : {}),
    ...(o.expectNoChanges ? { expectNoChanges: true } : {}),
  };
}

export function automationOps(s: Stack, ws: LocalWorkspace, cli: { version: string; source: string }): StackOps {
  const ops: StackOps = {
    name: s.name,
    cli,
    async preview(o) {
      const r = await s.preview({ ...common(o), ...targets(o) });
      return { changes: r.changeSummary ?? {} };
    },
    async up(o) {
      const r = await s.up({ ...common(o), ...targets(o), ...(o.continueOnError ? { continueOnError: true } : {}) });
      return { changes: r.summary?.resourceChanges ?? {} };
    },
    async refresh(o) {
      // --host: only the named resources are read (another host's engine is not asked).
      const r = await s.previewRefresh({ ...common(o), ...(o.target?.length ? { target: o.target } : {}), ...(o.expectNoChanges ? { expectNoChanges: true } : {}) });
      return { changes: r.changeSummary ?? {} };
    },
    async destroy(o) {
      const r = await s.destroy({ ...common(o), ...(o.excludeProtected ? { excludeProtected: true } : {}) });
      return { changes: r.summary?.resourceChanges ?? {} };
    },
    // Reads fail before the engine runs: their cause is named here (passphrase, login, lock...).
    outputs: () => coded("stack output", () => s.outputs()),
    exportState: () => coded("stack export", () => s.exportStack()),
    config: (configFile) => coded("config", () => readConfig(configFile)),
  };
  return ops;

  async function readConfig(configFile?: string) {
    if (!configFile) return ws.getAllConfig(s.name);
    // The CLI's config read takes no --config-file through the Automation API: read the file in
    // a scratch workspace (a copy of Pulumi.yaml and the file as Pulumi.<stack>.yaml).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-config-"));
    try {
      fs.copyFileSync(path.join(ws.workDir, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.copyFileSync(configFile, path.join(dir, `Pulumi.${shortStackName(s.name)}.yaml`));
      const scratch = await LocalWorkspace.create({ workDir: dir, pulumiCommand: ws.pulumiCommand, envVars: { ...ws.envVars } });
      return await scratch.getAllConfig(s.name);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** A read's failure as a coded error (the CLI's own cause, else E_RUNTIME_DEPLOY_FAILED). */
async function coded<T>(step: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    const r = commandFailure(step, err, "E_RUNTIME_DEPLOY_FAILED");
    throw new BootstrapError(r.code, r.message, { action: r.action, details: r.details });
  }
}
