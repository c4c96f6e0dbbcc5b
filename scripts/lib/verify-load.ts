// What the verify CLI loads before it proves anything: the stack's desired state (validated config
// + the program evaluated under mocks), Grafana's admin password from a secrets file or the env, and
// in a fleet one host proof per non-central host with its engine (TLS material from the same places).
// Shared by verify, the fault matrix and the benchmark (no CLI imports another CLI).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { remoteHosts } from "../../contracts/config/hosts";
import type { StackConfig } from "../../contracts/config/schema";
import { resolveConfigFile } from "../../contracts/config/stackfile";
import { hostBudgetMs, HostIo } from "../../components/verify/checks/host";
import { hostProofSpec } from "../../components/verify/host-spec";
import { makeHttp, makeIo, systemClock } from "../../components/verify/io";
import type { HostRun } from "../../components/verify/suite";
import { assertSecretsFileMode } from "./secrets-file";
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

/**
 * The variable naming the TLS client certificate of host `host`'s tcp:// engine: a directory with
 * Docker's file names ca.pem, cert.pem and key.pem (as DOCKER_CERT_PATH), e.g.
 * DOCKER_CERT_PATH_DB1=/home/op/.docker/db1 for host db1 ('-' becomes '_').
 */
export function hostCertPathVar(host: string): string {
  return `DOCKER_CERT_PATH_${host.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * A host's engine TLS leaves from the directory its variable names (the secrets file first, then the
 * environment), or undefined when neither sets it. key.pem must be owner-only (mode 0600), like the
 * secrets file. The PEM text is only ever handed to the engine client, never printed.
 */
export function hostEngineTls(host: string, secretsFile: string | undefined, env: NodeJS.ProcessEnv): { ca: string; cert: string; key: string } | undefined {
  const name = hostCertPathVar(host);
  const dir = (secretsFile ? parseEnvFile(fs.readFileSync(secretsFile, "utf8"))[name] : undefined) || env[name] || undefined;
  if (!dir) return undefined;
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  assertSecretsFileMode(path.join(dir, "key.pem"));
  return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
}

/** A HostIo whose engine refuses every call with `err`: the host's proof is red naming why (its engine could not even be dialled). */
function refusedIo(err: unknown, http: HostIo["http"]): HostIo {
  const fail = async (): Promise<never> => {
    throw err;
  };
  return { http, clock: systemClock, randomHex: (n) => crypto.randomBytes(n).toString("hex"), docker: { ping: fail, runOnce: fail, inspectContainer: fail } };
}

/**
 * verify's proof per non-central host (SuiteOptions.hosts): the same input as the program's HostProof
 * (host-spec.ts), the host's engine reached by its docker.host (tcp:// with the TLS leaves of
 * hostEngineTls; ssh:// through ssh-agent and known_hosts), each bounded by hostBudgetMs. A host whose
 * engine cannot be set up (tcp:// without certificates, ssh:// without an agent) is still proved: red,
 * naming why, while the other hosts go on.
 */
export async function hostRunsFor(cfg: Omit<StackConfig, "grafanaAdminPassword">, secretsFile: string | undefined, env: NodeJS.ProcessEnv, io: typeof makeIo = makeIo): Promise<HostRun[]> {
  const runs: HostRun[] = [];
  for (const h of remoteHosts(cfg)) {
    const { retentionSeconds: _evidence, ...input } = hostProofSpec(cfg, h.name);
    const tls = hostEngineTls(h.name, secretsFile, env);
    let hostIo: HostIo;
    try {
      hostIo = await io({ docker: tls ? { host: h.docker.host, tls } : { host: h.docker.host } });
    } catch (e) {
      hostIo = refusedIo(e, makeHttp());
    }
    runs.push({ input, io: hostIo, budgetMs: hostBudgetMs(input) });
  }
  return runs;
}
