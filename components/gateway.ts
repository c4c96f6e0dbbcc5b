// The fleet's gateway on the central host (docs/FLEET.md "The gateway"): Caddy with the rendered JSON
// config (render/gateway.ts), a CA and a server certificate generated with @pulumi/tls (IP SAN: the
// central host's address, which the other hosts' agents dial), and one random.RandomPassword per
// non-central host: Caddy reads its bcrypt hash, that host's Alloy the password itself (fleet.ts).
// Thin constructor; the container's arguments come from the pure functions below.
//
// The TLS key and the hashes are secret uploads (0440). The certificates are not secret, but their
// bytes exist only once applied: declared as secret Outputs as well, they stay out of the plan's
// files (render cannot write bytes it does not have) and L8 compares them by keyed hash, as it does
// the secret files. The CA certificate is a plain stack output (gateway.caCertPem).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { centralHost, remoteHosts } from "../contracts/config/hosts";
import type { StackConfig } from "../contracts/config/schema";
import { DEFAULT_GATEWAY_IMAGE } from "../contracts/config/schema";
import { BootstrapError } from "../contracts/errors";
import { HEALTH, LABEL_PROJECT, LABEL_SERVICE } from "./defaults";
import type { RenderedFile } from "./render";
import { gatewayUrl } from "./render/alloy";
import { GATEWAY_FILES, GATEWAY_HEALTH, GATEWAY_PATHS, GATEWAY_PORT_IN_CONTAINER, GATEWAY_SERVICE, gatewayArgs, gatewayPasswordHashFile } from "./render/gateway";

export { GATEWAY_SERVICE };
import { conventionalContainerArgs, pinnedRemoteImage, SecretFile, uploadsFor } from "./service";

/** Caddy with two routes and bcrypt's cache needs little. */
export const GATEWAY_MEMORY_MB = 128;
/** CA: 10 years, renewed by an `up` in its last year; server certificate: 1 year, renewed in its last 30 days. */
export const GATEWAY_CERT_HOURS = { ca: 87_600, caRenewal: 8_760, server: 8_760, serverRenewal: 720 } as const;

export const gatewayContainerName = (cfg: Pick<StackConfig, "projectName">): string => `${cfg.projectName}-${GATEWAY_SERVICE}`;

/** The gateway's image: gateway.image (its default pinned in the schema). */
export function gatewayImage(cfg: Pick<StackConfig, "gateway">): string {
  return cfg.gateway?.image ?? DEFAULT_GATEWAY_IMAGE;
}

/** Where the other hosts' agents reach the gateway: `https://<central address>:<gateway.port>`. */
export function gatewayBaseUrl(cfg: Pick<StackConfig, "hosts" | "gateway">): string {
  if (!cfg.gateway) throw new BootstrapError("E_INTERNAL", "a fleet's config has gateway.port (the lint requires it)");
  return gatewayUrl({ address: centralHost(cfg).address, port: cfg.gateway.port }, "");
}

/**
 * Caddy's image ships BusyBox wget (the official Alpine image; the test environment's is shaped like
 * it): the config's loopback health listener (render/gateway.ts GATEWAY_HEALTH) answers 200 once
 * Caddy has loaded the whole config, the TLS listener and its certificate included.
 */
export function gatewayHealthTest(listen: string = GATEWAY_HEALTH.listen): string[] {
  return ["CMD", "wget", "-q", "-O", "/dev/null", `http://${listen}${GATEWAY_HEALTH.path}`];
}

/** The secret uploads: the certificate, its key, one bcrypt hash per non-central host. */
export function gatewaySecretFiles(certPem: pulumi.Output<string>, keyPem: pulumi.Output<string>, hashes: Record<string, pulumi.Output<string>>): SecretFile[] {
  return [
    { path: GATEWAY_FILES.certificate, content: pulumi.secret(certPem) },
    { path: GATEWAY_FILES.key, content: pulumi.secret(keyPem) },
    ...Object.entries(hashes).map(([host, hash]) => ({ path: gatewayPasswordHashFile(host), content: pulumi.secret(hash) })),
  ];
}

/**
 * The gateway container: the stack's container conventions, published on exposure.bindAddress at
 * gateway.port (docs/FLEET.md: the other hosts reach it there), on the stack network (Loki and
 * Prometheus by their aliases), run as the image's root. Caddy's storage (XDG_DATA_HOME=/data in
 * the image) stays in the container's writable layer: nothing in it needs to outlive the container
 * (no ACME, no autosaved config).
 */
export function gatewayContainerArgs(
  cfg: StackConfig,
  files: RenderedFile[],
  refs: { imageId: pulumi.Input<string>; network: pulumi.Input<string>; secrets: SecretFile[] },
): docker.ContainerArgs {
  if (!cfg.gateway) throw new BootstrapError("E_INTERNAL", "a fleet's config has gateway.port (the lint requires it)");
  return conventionalContainerArgs({
    name: gatewayContainerName(cfg),
    imageId: refs.imageId,
    command: gatewayArgs(),
    envs: [],
    labels: [
      { label: LABEL_PROJECT, value: cfg.projectName },
      { label: LABEL_SERVICE, value: GATEWAY_SERVICE },
    ],
    memoryMb: GATEWAY_MEMORY_MB,
    network: refs.network,
    alias: GATEWAY_SERVICE,
    ports: [{ internal: GATEWAY_PORT_IN_CONTAINER, external: cfg.gateway.port, ip: cfg.exposure.bindAddress, protocol: "tcp" }],
    volumes: [],
    uploads: uploadsFor(files, refs.secrets),
    healthTest: gatewayHealthTest(),
    startPeriod: HEALTH.startPeriod.default,
  });
}

/** The server certificate's names: the central host's address (agents dial it). */
export function gatewayServerNames(cfg: Pick<StackConfig, "hosts">): { ipAddresses: string[] } {
  return { ipAddresses: [centralHost(cfg).address] };
}

const ecdsa = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

export interface GatewayArgs {
  config: StackConfig;
  network: docker.Network;
  /** The gateway's config file (render/index.ts renderFleetFiles). */
  files: RenderedFile[];
}

/** `logging-bootstrap:gateway:Gateway` on the central host's default Docker provider. */
export class Gateway extends pulumi.ComponentResource {
  readonly containerName: string;
  readonly imageRef: string;
  readonly image: docker.RemoteImage;
  readonly container: docker.Container;
  readonly files: RenderedFile[];
  readonly uploads: docker.types.input.ContainerUpload[];
  /** The CA the agents trust (PEM, not secret). */
  readonly caCertPem: pulumi.Output<string>;
  readonly url: string;
  /** Per non-central host: its password (a secret Output; its Alloy's 0440 file). */
  readonly passwords: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("logging-bootstrap:gateway:Gateway", name, {}, opts);
    const cfg = args.config;
    const child = { parent: this };
    this.files = args.files;
    this.containerName = gatewayContainerName(cfg);
    this.imageRef = gatewayImage(cfg);
    this.url = gatewayBaseUrl(cfg);

    const caKey = new tls.PrivateKey(`${name}-ca-key`, { ...ecdsa }, child);
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        subject: { commonName: `${cfg.projectName} gateway CA`, organization: "logging-bootstrap" },
        validityPeriodHours: GATEWAY_CERT_HOURS.ca,
        earlyRenewalHours: GATEWAY_CERT_HOURS.caRenewal,
        allowedUses: ["cert_signing", "crl_signing"],
      },
      child,
    );
    const key = new tls.PrivateKey(`${name}-key`, { ...ecdsa }, child);
    const csr = new tls.CertRequest(`${name}-csr`, { privateKeyPem: key.privateKeyPem, subject: { commonName: this.containerName, organization: "logging-bootstrap" }, ...gatewayServerNames(cfg) }, child);
    const cert = new tls.LocallySignedCert(
      `${name}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: GATEWAY_CERT_HOURS.server,
        earlyRenewalHours: GATEWAY_CERT_HOURS.serverRenewal,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
      child,
    );
    this.caCertPem = pulumi.unsecret(ca.certPem);

    this.passwords = {};
    const hashes: Record<string, pulumi.Output<string>> = {};
    for (const h of remoteHosts(cfg)) {
      const pw = new random.RandomPassword(`${name}-password-${h.name}`, { length: 32, special: false }, child);
      this.passwords[h.name] = pulumi.secret(pw.result);
      hashes[h.name] = pulumi.secret(pw.bcryptHash);
    }

    this.image = pinnedRemoteImage(`${name}-image`, this.imageRef, this);
    const cargs = gatewayContainerArgs(cfg, this.files, { imageId: this.image.imageId, network: args.network.name, secrets: gatewaySecretFiles(cert.certPem, key.privateKeyPem, hashes) });
    this.uploads = cargs.uploads as docker.types.input.ContainerUpload[];
    this.container = new docker.Container(name, cargs, { parent: this, deleteBeforeReplace: true });
    this.registerOutputs({ url: this.url, paths: GATEWAY_PATHS });
  }
}
