// A fleet host's proof input (checks/host.ts HostInput) from the config, and the engine a host's
// dynamic resources reach it through. Pure: the program's HostProof and `npm run verify` build
// their host proofs here, so both prove the same things.
import { findHost, hostPaths } from "../../contracts/config/hosts";
import type { StackConfig } from "../../contracts/config/schema";
import { parseDuration } from "../../contracts/config/values";
import { BootstrapError } from "../../contracts/errors";
import { containerName, endpointUrl } from "../naming";
import { AGENT_SCRAPE_INTERVAL } from "../render/alloy";
import type { HostInput } from "./checks/host";
import type { DockerEngine } from "./engine";
import { MARKER_FILE, retentionSeconds } from "./spec";

/**
 * The secret properties a host's dynamic resources (HostProof, HostDirs) carry for a tcp:// engine:
 * its TLS client certificate (docker.tls caPem, certPem, keyPem). HostProof keeps them in its state
 * for refresh (runtime.ts STATE_SECRET_KEYS); no output, id or diff ever holds them.
 */
export const HOST_ENGINE_SECRET_KEYS = ["engineCaPem", "engineCertPem", "engineKeyPem"] as const;

/** A host proof's input, plus how long its marker is evidence (the logs retention, as L3's). */
export type HostProofSpec = HostInput & { retentionSeconds: number };

/** The proof of the non-central host `hostName`: its engine, its agents (the same names on every engine), its logsRoot, the central Loki and Prometheus. */
export function hostProofSpec(cfg: Omit<StackConfig, "grafanaAdminPassword">, hostName: string): HostProofSpec {
  const h = findHost(cfg, hostName);
  if (!h || h.central) throw new BootstrapError("E_INTERNAL", `${JSON.stringify(hostName)} is not a non-central host of the config`);
  const c = cfg as StackConfig;
  const url = (svc: "loki" | "prometheus") => {
    const u = endpointUrl(c, svc);
    if (!u) throw new BootstrapError("E_INTERNAL", `ports.${svc} is not set: the host proofs read the central ${svc} through its published port`);
    return u;
  };
  return {
    host: h.name,
    dockerUrl: h.docker.host,
    projectName: cfg.projectName,
    agents: { alloy: containerName(c, "alloy"), nodeExporter: containerName(c, "nodeExporter"), cadvisor: containerName(c, "cadvisor") },
    logsRoot: hostPaths(cfg, h).logsRoot,
    markerFile: MARKER_FILE,
    lokiUrl: url("loki"),
    prometheusUrl: url("prometheus"),
    scrapeIntervalSeconds: Math.round((parseDuration(AGENT_SCRAPE_INTERVAL) ?? 15_000) / 1000),
    ingestionTimeoutSeconds: cfg.verify.timeoutSeconds,
    retentionSeconds: retentionSeconds(cfg),
  };
}

/** The engine named by a resource's properties: dockerUrl, and its TLS leaves when all three are there. */
export function engineFromProps(props: Record<string, unknown>): DockerEngine {
  const str = (k: string) => (typeof props[k] === "string" && props[k] !== "" ? (props[k] as string) : undefined);
  const host = str("dockerUrl");
  if (!host) throw new BootstrapError("E_INTERNAL", "a host resource needs dockerUrl");
  const [ca, cert, key] = HOST_ENGINE_SECRET_KEYS.map(str);
  return ca && cert && key ? { host, tls: { ca, cert, key } } : { host };
}
