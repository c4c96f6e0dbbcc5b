// A stack's secret values through StackOps (typed: every output and config value carries its
// secret flag), for redaction, for verify's environment, for secrets:export and for `password`.
import type { StackOps } from "./stack-ops";

export interface StackSecrets {
  /** Outputs with every secret shown as "[secret]" (what outputs.json and the snapshot step see). */
  outputs: Record<string, unknown>;
  outputSecrets: Record<string, unknown>;
  /** Full config key -> plain value of every secret config key. */
  configSecrets: Record<string, unknown>;
}

export async function readStackSecrets(ops: Pick<StackOps, "outputs" | "config">, configFile?: string): Promise<StackSecrets> {
  const res: StackSecrets = { outputs: {}, outputSecrets: {}, configSecrets: {} };
  // Two CLI reads of their own: both at once.
  const [outputs, config] = await Promise.all([ops.outputs(), ops.config(configFile)]);
  for (const [k, v] of Object.entries(outputs)) {
    res.outputs[k] = v.secret ? "[secret]" : v.value;
    if (v.secret) res.outputSecrets[k] = v.value;
  }
  for (const [k, v] of Object.entries(config)) if (v.secret) res.configSecrets[k] = v.value;
  return res;
}

const SIG = "4dabf18193072939515e22adb298388d";

/** A state value: plain, or a secret as an export shows it ({sig, plaintext: JSON text}). */
export function plainStateValue(v: unknown): unknown {
  if (v && typeof v === "object" && SIG in (v as object)) {
    const p = (v as { plaintext?: unknown }).plaintext;
    if (typeof p !== "string") return undefined;
    try {
      return JSON.parse(p) as unknown;
    } catch {
      return p;
    }
  }
  return v;
}

/** The generated admin password in a state export: the RandomPassword `<project>-grafana-admin-password`'s result. */
export function generatedGrafanaPassword(state: { deployment?: { resources?: Array<Record<string, unknown>> } } | undefined): string | undefined {
  for (const r of state?.deployment?.resources ?? []) {
    if (r.type !== "random:index/randomPassword:RandomPassword" || !String(r.urn).endsWith("-grafana-admin-password")) continue;
    const v = plainStateValue((r.outputs as Record<string, unknown> | undefined)?.result);
    if (typeof v === "string" && v) return v;
  }
  return undefined;
}

/**
 * Grafana's admin password as the program uses it: the `grafanaAdminPassword` secret config value
 * when set, else the generated one from the state (exportStack).
 */
export async function grafanaAdminPassword(ops: Pick<StackOps, "config" | "exportState">, configFile?: string): Promise<{ password?: string; source: string }> {
  const cfg = await ops.config(configFile);
  const set = Object.entries(cfg).find(([k]) => k === "logging-bootstrap:grafanaAdminPassword")?.[1]?.value;
  if (typeof set === "string" && set) return { password: set, source: "config grafanaAdminPassword" };
  const generated = generatedGrafanaPassword((await ops.exportState()) as never);
  return generated ? { password: generated, source: "generated (state)" } : { source: "none: the stack is not deployed" };
}
