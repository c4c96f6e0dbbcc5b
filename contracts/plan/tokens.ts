// Resource type tokens and label names the program declares and its readers look for.

/** Pulumi type tokens of the resources (and the one invoke) the program uses. */
export const TYPES = {
  stack: "pulumi:pulumi:Stack",
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  network: "docker:index/network:Network",
  getRemoteImage: "docker:index/getRemoteImage:getRemoteImage",
  randomPassword: "random:index/randomPassword:RandomPassword",
  localCommand: "command:local:Command",
  healthProof: "pulumi-nodejs:dynamic/logging-bootstrap:HealthProof",
  // The fleet (docs/FLEET.md): a Docker provider per non-central host, its proof, the gateway's TLS.
  dockerProvider: "pulumi:providers:docker",
  hostProof: "pulumi-nodejs:dynamic/logging-bootstrap:HostProof",
  hostDirs: "pulumi-nodejs:dynamic/logging-bootstrap:HostDirs",
  tlsPrivateKey: "tls:index/privateKey:PrivateKey",
  tlsSelfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  tlsCertRequest: "tls:index/certRequest:CertRequest",
  tlsLocallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

/** The module of the dynamic resources (proofs L1-L9, GrafanaAdminPassword). */
export const PROOF_MODULE = "logging-bootstrap";

/** Type token of a dynamic resource of this program (`pulumi-nodejs:dynamic/<module>:<name>`). */
export function dynamicType(name: string): string {
  return `pulumi-nodejs:dynamic/${PROOF_MODULE}:${name}`;
}

export const LABEL_PROJECT = "logging-bootstrap.project";
export const LABEL_SERVICE = "logging-bootstrap.service";
/** On a non-central host's containers and volumes: the host's name (hosts[].name). The central host's carry none. */
export const LABEL_HOST = "logging-bootstrap.host";
export const LABEL_DATA = "logging-bootstrap.data";
/**
 * Declares that a data volume is retained on delete. The analyzer protocol of @pulumi/pulumi 3.x
 * carries `protect` but not `retainOnDelete` (AnalyzerResourceOptions has no such field), so under
 * the real CLI a volume that is only `retainOnDelete` says so with this label; `policy:check`, which
 * sees the real option, rejects a label that lies (policy/policies/data-retained.ts).
 */
export const LABEL_RETAIN = "logging-bootstrap.retain";
