// The agents of a non-central host (docs/FLEET.md): `logging-bootstrap:fleet:HostAgents` named
// `<project>-X`, parented to the stack, every child on host X's own `docker.Provider`
// (`<project>-X-docker`): its network, its directories (created through its engine: host-dirs.ts),
// and Alloy, node-exporter and cAdvisor as the central host runs them (the same ServiceComponent and
// *Spec functions, over the host's view of the config: its paths and Alloy lists), pulled by its
// engine. Alloy pushes through the gateway with the host's password and the gateway's CA, both
// 0440 files. On X's engine the Docker names are the central host's (each engine is its own
// namespace); the Pulumi names carry X (HOST_DERIVED_NAME_SUFFIXES).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { hostAlloy, hostPaths } from "../contracts/config/hosts";
import type { Host, StackConfig } from "../contracts/config/schema";
import { LABEL_HOST, LABEL_PROJECT } from "./defaults";
import { HostDirs, hostDirsScriptFor, HOST_ROOT_MOUNT, remoteHostDirs } from "./host-dirs";
import { networkName } from "./naming";
import type { RenderedFile } from "./render";
import { ALLOY_GATEWAY_FILES } from "./render/alloy";
import type { SecretFile, ServiceComponent } from "./service";
import { Alloy, Cadvisor, NodeExporter } from "./services";

/** The agents every host runs, by service key. */
export const AGENT_SERVICES = ["alloy", "nodeExporter", "cadvisor"] as const;
export type AgentService = (typeof AGENT_SERVICES)[number];

/** `<project>-<host><suffix>`: every Pulumi name of a non-central host's resources (suffix from HOST_DERIVED_NAME_SUFFIXES, or "" for the component). */
export function hostResourceName(cfg: Pick<StackConfig, "projectName">, host: string, suffix = ""): string {
  return `${cfg.projectName}-${host}${suffix}`;
}

/**
 * Host X's view of the config, what the service specs read: its paths (hostPaths: its overrides over
 * the top-level ones; no dataRoot, which is the central host's, so Alloy's positions live in a
 * Docker-managed volume there) and its Alloy lists (hostAlloy). Everything else is the stack's.
 */
export function hostConfig(cfg: StackConfig, host: Host): StackConfig {
  const { dataRoot: _central, ...paths } = cfg.paths;
  return { ...cfg, paths: { ...paths, ...hostPaths(cfg, host) }, alloy: hostAlloy(cfg, host) };
}

/** TLS client certificate inputs of a tcp:// engine (contracts/config/pulumi.ts dockerTlsInputs: secret Outputs). */
export interface EngineTls {
  caMaterial: pulumi.Output<string>;
  certMaterial: pulumi.Output<string>;
  keyMaterial: pulumi.Output<string>;
}

/**
 * The provider's inputs: the engine's address, TLS leaves as secrets (tcp://), and for ssh:// no
 * prompt ever (BatchMode: a key from ssh-agent, the host's key already in known_hosts; P17) and a
 * bounded connect. The provider reaches ssh:// engines through the `ssh` client and the remote docker
 * CLI (`docker system dial-stdio`).
 */
export function dockerProviderArgs(host: Pick<Host, "docker">, tlsIn?: EngineTls): docker.ProviderArgs {
  const args: docker.ProviderArgs = { host: host.docker.host };
  if (host.docker.host.startsWith("ssh://")) args.sshOpts = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"];
  if (tlsIn) Object.assign(args, { caMaterial: pulumi.secret(tlsIn.caMaterial), certMaterial: pulumi.secret(tlsIn.certMaterial), keyMaterial: pulumi.secret(tlsIn.keyMaterial) });
  return args;
}

/** The engine's TLS leaves as the host's dynamic resources take them (secret inputs; host-spec.ts HOST_ENGINE_SECRET_KEYS). */
export function engineSecretInputs(tlsIn?: EngineTls): Record<string, pulumi.Output<string>> {
  return tlsIn ? { engineCaPem: pulumi.secret(tlsIn.caMaterial), engineCertPem: pulumi.secret(tlsIn.certMaterial), engineKeyPem: pulumi.secret(tlsIn.keyMaterial) } : {};
}

/** What a host's Alloy gets besides its config: its gateway password and the gateway's CA (0440; generated, so secret Outputs). */
export function alloyGatewaySecrets(password: pulumi.Output<string>, caCertPem: pulumi.Output<string>): SecretFile[] {
  return [
    { path: ALLOY_GATEWAY_FILES.password, content: pulumi.secret(password) },
    { path: ALLOY_GATEWAY_FILES.ca, content: pulumi.secret(caCertPem) },
  ];
}

export interface HostAgentsArgs {
  config: StackConfig;
  host: Host;
  /** The host's Alloy config (render/index.ts renderFleetFiles). */
  files: RenderedFile[];
  /** From the gateway: this host's password (secret) and the CA its certificate chains to. */
  password: pulumi.Output<string>;
  gatewayCaPem: pulumi.Output<string>;
  /** tcp:// only: the engine's TLS client certificate. */
  tls?: EngineTls;
}

export class HostAgents extends pulumi.ComponentResource {
  readonly host: Host;
  readonly provider: docker.Provider;
  readonly network: docker.Network;
  /** The network's Docker name on the host's engine (the central host's name: `<project>-net`). */
  readonly networkName: string;
  readonly hostDirs: HostDirs;
  readonly alloy: Alloy;
  readonly nodeExporter: NodeExporter;
  readonly cadvisor: Cadvisor;
  readonly agents: Record<AgentService, ServiceComponent>;
  /** The engine's TLS leaves as secret inputs of the host's dynamic resources (empty unless tcp://). */
  readonly engineSecrets: Record<string, pulumi.Output<string>>;

  /** `name` is `<project>-<host>`; every child is named from it. */
  constructor(name: string, args: HostAgentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("logging-bootstrap:fleet:HostAgents", name, {}, opts);
    const cfg = args.config;
    const X = args.host.name;
    const view = hostConfig(cfg, args.host);
    this.host = args.host;
    this.engineSecrets = engineSecretInputs(args.tls);
    this.provider = new docker.Provider(`${name}-docker`, dockerProviderArgs(args.host, args.tls), { parent: this });
    const onHost = { parent: this, provider: this.provider };
    // The agents' children (image, volume, container) inherit the provider from their component.
    const agentOpts: pulumi.ComponentResourceOptions = { parent: this, providers: [this.provider] };

    this.networkName = networkName(cfg);
    this.network = new docker.Network(
      `${name}-net`,
      { name: this.networkName, driver: "bridge", labels: [{ label: LABEL_HOST, value: X }, { label: LABEL_PROJECT, value: cfg.projectName }] },
      onHost,
    );
    const base = { config: view, network: this.network, host: X };
    this.nodeExporter = new NodeExporter(`${name}-node-exporter`, base, agentOpts);
    // The directories Alloy mounts, created on X by a run-once container of X's node-exporter image.
    this.hostDirs = new HostDirs(
      `${name}-host-dirs`,
      {
        projectName: cfg.projectName,
        host: X,
        dockerUrl: args.host.docker.host,
        image: this.nodeExporter.image.imageId,
        script: hostDirsScriptFor(remoteHostDirs(view.paths), HOST_ROOT_MOUNT),
        ...this.engineSecrets,
      },
      { parent: this },
    );
    this.alloy = new Alloy(`${name}-alloy`, { ...base, files: args.files, secrets: alloyGatewaySecrets(args.password, args.gatewayCaPem), hostPrep: [this.hostDirs] }, agentOpts);
    this.cadvisor = new Cadvisor(`${name}-cadvisor`, base, agentOpts);
    this.agents = { alloy: this.alloy, nodeExporter: this.nodeExporter, cadvisor: this.cadvisor };
    this.registerOutputs({ host: X, networkName: this.networkName });
  }
}
