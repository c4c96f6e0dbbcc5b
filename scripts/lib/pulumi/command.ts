// The Pulumi CLI the Automation API drives, first found of:
//   1. `pulumi` on PATH (whatever the operator installed or sourced, e.g. .tools/engine/env.sh);
//   2. the project's own engine, .tools/engine/bin/pulumi (`npm run -s engine:build`), with its
//      plugin home and automatic plugin downloads off, as .tools/engine/env.sh sets them;
//   3. PulumiCommand.install of the SDK's own version (package.json pins @pulumi/pulumi exactly)
//      into ~/.pulumi/versions/<version>, only where get.pulumi.com answers;
//   4. otherwise E_ENV_TOOL_MISSING naming both ways to get one.
import fs from "node:fs";
import path from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { version as SDK_VERSION } from "@pulumi/pulumi/version";
import { BootstrapError } from "../../../contracts/errors";
import { stderrOf } from "./stack-ops";

export const ENGINE_DIR = path.join(".tools", "engine");
export const INSTALL_PROBE_URL = "https://get.pulumi.com/";

export type CliSource = "PATH" | "project engine" | "installed";

export interface ResolvedCli {
  command: PulumiCommand;
  source: CliSource;
  /** Environment this CLI needs (the project engine's plugin home). */
  env: Record<string, string>;
}

export interface CliProbes {
  /** PulumiCommand.get: rejects when the binary is absent or does not answer `pulumi version`. */
  get(root?: string): Promise<PulumiCommand>;
  install(): Promise<PulumiCommand>;
  exists(file: string): boolean;
  /** Whether the installer's host answers within a few seconds. */
  online(): Promise<boolean>;
}

export const realProbes: CliProbes = {
  get: (root) => PulumiCommand.get(root ? { root } : {}),
  install: () => PulumiCommand.install(),
  exists: (f) => fs.existsSync(f),
  async online() {
    try {
      const r = await fetch(INSTALL_PROBE_URL, { method: "HEAD", signal: AbortSignal.timeout(5000) });
      return r.status < 500;
    } catch {
      return false;
    }
  },
};

export function cliMissing(tried: string[]): BootstrapError {
  return new BootstrapError("E_ENV_TOOL_MISSING", `no Pulumi CLI: ${tried.join("; ")}`, {
    action:
      "Either put the Pulumi CLI on PATH (https://www.pulumi.com/docs/install/; check `pulumi version`), or build the project's own engine with `npm run -s engine:build` (Go 1.26+, the Go module proxy only): it is used from .tools/engine automatically. Then re-run.",
    details: { tool: "pulumi", tried },
  });
}

/** Find the CLI; `log` hears which one (and an install when it happens). */
export async function resolveCli(root: string, env: NodeJS.ProcessEnv, probes: CliProbes = realProbes, log: (m: string) => void = () => undefined): Promise<ResolvedCli> {
  const tried: string[] = [];
  try {
    return { command: await probes.get(), source: "PATH", env: {} };
  } catch (err) {
    tried.push(`\`pulumi\` on PATH: ${firstLine(err)}`);
  }
  const engine = path.join(root, ENGINE_DIR);
  if (probes.exists(path.join(engine, "bin", "pulumi"))) {
    try {
      const command = await probes.get(engine);
      const extra: Record<string, string> = { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" };
      if (!env.PULUMI_HOME) extra.PULUMI_HOME = path.join(engine, "home");
      return { command, source: "project engine", env: extra };
    } catch (err) {
      tried.push(`${path.join(ENGINE_DIR, "bin", "pulumi")}: ${firstLine(err)}`);
    }
  } else tried.push(`${path.join(ENGINE_DIR, "bin", "pulumi")}: not built (npm run -s engine:build)`);
  if (await probes.online()) {
    log(`installing the Pulumi CLI ${SDK_VERSION} (PulumiCommand.install into ~/.pulumi/versions/${SDK_VERSION})`);
    try {
      return { command: await probes.install(), source: "installed", env: {} };
    } catch (err) {
      tried.push(`PulumiCommand.install ${SDK_VERSION}: ${firstLine(err)}`);
    }
  } else tried.push(`PulumiCommand.install ${SDK_VERSION}: ${INSTALL_PROBE_URL} does not answer (offline)`);
  throw cliMissing(tried);
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  // An Automation API CommandError reads `code: N\n stdout: ...\n stderr: <the reason>`.
  const text = m.startsWith("code:") ? stderrOf(err) : m;
  const line = text.split("\n").map((l) => l.trim()).find(Boolean) ?? m;
  return /ENOENT/.test(line) ? "not found" : line.slice(0, 200);
}
