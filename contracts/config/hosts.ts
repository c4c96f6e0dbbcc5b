// The fleet model (schema v3, docs/FLEET.md): which host is central, which hosts report to it, and
// the paths and Alloy lists each host runs with. Pure functions over a validated StackConfig;
// every part that deploys, renders or proves per host imports these instead of reading `hosts`
// itself. The central host's paths and lists are the top-level ones (the lint refuses overrides on
// it, E_CONFIG_HOST_CENTRAL_OVERRIDE), so components that read cfg.paths / cfg.alloy serve the
// central host unchanged.
import { BootstrapError } from "../errors";
import type { Host, HostPathKey, StackConfig } from "./schema";
import { HOST_ALLOY_KEYS, HOST_PATH_KEYS } from "./schema";

type Fleet = Pick<StackConfig, "hosts">;

/** The one central host. A validated config has exactly one; anything else is a bug in the caller. */
export function centralHost(cfg: Fleet): Host {
  const central = cfg.hosts.filter((h) => h.central);
  if (central.length !== 1) throw new BootstrapError("E_INTERNAL", `a validated config has exactly one central host, this one has ${central.length}`);
  return central[0];
}

/** Every host but the central one, in the order of the stack file. */
export function remoteHosts(cfg: Fleet): Host[] {
  return cfg.hosts.filter((h) => !h.central);
}

/** More than one host: the gateway and per-host agents exist. A v2 stack (a fleet of one) is not a fleet. */
export function isFleet(cfg: Fleet): boolean {
  return remoteHosts(cfg).length > 0;
}

/** The host named `name`, or undefined (e.g. for `--host NAME`). */
export function findHost(cfg: Fleet, name: string): Host | undefined {
  return cfg.hosts.find((h) => h.name === name);
}

export type HostPaths = Record<HostPathKey, string>;

function resolve(cfg: Fleet, host: Host | string): Host {
  const h = typeof host === "string" ? findHost(cfg, host) : host;
  if (!h) throw new BootstrapError("E_INTERNAL", `no host named ${JSON.stringify(host)} in the config`);
  return h;
}

/** The host paths `host` runs with: its own overrides merged over the top-level paths. */
export function hostPaths(cfg: Pick<StackConfig, "hosts" | "paths">, host: Host | string): HostPaths {
  const h = resolve(cfg, host);
  const out = {} as HostPaths;
  for (const k of HOST_PATH_KEYS) out[k] = h.paths?.[k] ?? cfg.paths[k];
  return out;
}

/** The Alloy lists `host` runs with: its dockerAllowlist/journaldUnits over the top-level ones; redactions are shared. */
export function hostAlloy(cfg: Pick<StackConfig, "hosts" | "alloy">, host: Host | string): StackConfig["alloy"] {
  const h = resolve(cfg, host);
  const out: StackConfig["alloy"] = { ...cfg.alloy, dockerAllowlist: [...cfg.alloy.dockerAllowlist], journaldUnits: [...cfg.alloy.journaldUnits], redactions: cfg.alloy.redactions.map((r) => ({ ...r })) };
  for (const k of HOST_ALLOY_KEYS) {
    const own = h.alloy?.[k];
    if (own !== undefined) out[k] = [...own];
  }
  return out;
}
