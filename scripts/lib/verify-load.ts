// What the verify CLI loads before it proves anything: the stack's desired state (validated config
// + the program evaluated under mocks) and Grafana's admin password from a secrets file or the env.
// Shared by verify, the fault matrix and the benchmark (no CLI imports another CLI).
import * as fs from "fs";
import { resolveConfigFile } from "../../contracts/config/stackfile";
import { desiredFromEvaluation } from "../../components/verify/desired";
import { loadConfigFile } from "../../contracts/config/load";
import type { DesiredState } from "../../components/verify/spec";
import { evaluateProgram } from "./evaluate";

/** KEY=VALUE lines (optional quotes, # comments). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

export function grafanaPasswordFrom(secretsFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (secretsFile) {
    const v = parseEnvFile(fs.readFileSync(secretsFile, "utf8")).GRAFANA_ADMIN_PASSWORD;
    if (v) return v;
  }
  return env.GRAFANA_ADMIN_PASSWORD || undefined;
}

/**
 * L8's drift key (the HMAC key of the secret files' keyed hashes, the stack's secret output
 * configDriftKey) from a secrets file (CONFIG_DRIFT_KEY=..., as secrets:export writes it), else the
 * environment. Never read from a container: a container is where drift comes from.
 */
export function driftKeyFrom(secretsFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (secretsFile) {
    const v = parseEnvFile(fs.readFileSync(secretsFile, "utf8")).CONFIG_DRIFT_KEY;
    if (v) return v;
  }
  return env.CONFIG_DRIFT_KEY || undefined;
}

/** Desired state for a stack: validated config + the program evaluated under mocks. */
export async function loadDesired(a: { stack: string; configFile?: string; probeImage?: string }): Promise<DesiredState> {
  const file = resolveConfigFile({ configFile: a.configFile, stack: a.configFile ? undefined : a.stack });
  const config = loadConfigFile(file);
  const ev = await evaluateProgram({ stack: a.stack, configFile: file });
  return desiredFromEvaluation(ev, config, a.probeImage ?? config.images.prometheus);
}
