// Test helpers over the one mock harness (scripts/lib/evaluate.ts), so tests and `render` see the
// same program evaluation.
import type { EvaluatedResource, Evaluation } from "../../scripts/lib/evaluate";
export { evaluateProgram, fakePassword, mockState, REDACTED } from "../../scripts/lib/evaluate";
export type { EvaluatedResource, Evaluation };

export function byType(ev: Evaluation, type: string): EvaluatedResource[] {
  return ev.resources.filter((r) => r.type === type);
}

export function one(ev: Evaluation, type: string, name: string): EvaluatedResource {
  const found = ev.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected exactly one ${type} named ${name}, found ${found.length}`);
  return found[0];
}

export const T = {
  container: "docker:index/container:Container",
  image: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  network: "docker:index/network:Network",
  password: "random:index/randomPassword:RandomPassword",
  command: "command:local:Command",
  // The fleet (docs/FLEET.md).
  provider: "pulumi:providers:docker",
  hostProof: "pulumi-nodejs:dynamic/logging-bootstrap:HostProof",
  hostDirs: "pulumi-nodejs:dynamic/logging-bootstrap:HostDirs",
  hostAgents: "logging-bootstrap:fleet:HostAgents",
  gateway: "logging-bootstrap:gateway:Gateway",
  tlsKey: "tls:index/privateKey:PrivateKey",
  tlsSelfSigned: "tls:index/selfSignedCert:SelfSignedCert",
  tlsCsr: "tls:index/certRequest:CertRequest",
  tlsLocallySigned: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

import { lintConfig } from "../../contracts/config/lint";
import { readStackFile, stackFilePath } from "../../contracts/config/stackfile";
import type { StackConfig } from "../../contracts/config/schema";

/** The validated config of a checked-in stack file (for pure renderer tests). */
export function stackConfig(stack: "test" | "prod"): StackConfig {
  const f = readStackFile(stackFilePath(stack));
  const r = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys });
  if (!r.ok || !r.config) throw new Error(`Pulumi.${stack}.yaml does not lint: ${JSON.stringify(r.errors)}`);
  return r.config;
}

/** Raw Pulumi config of a stack file, for evaluating variants (pass to evaluateProgram). */
export function stackPulumiConfig(stack: "test" | "prod"): { pulumiConfig: Record<string, string>; secretKeys: string[] } {
  const f = readStackFile(stackFilePath(stack));
  return { pulumiConfig: { ...f.pulumiConfig }, secretKeys: [...f.secretKeys] };
}

/** JSON paths (a.b[0].c) of every string equal to `needle` or containing it. */
export function pathsContaining(v: unknown, needle: string, at = ""): string[] {
  if (typeof v === "string") return v.includes(needle) ? [at] : [];
  if (Array.isArray(v)) return v.flatMap((x, i) => pathsContaining(x, needle, `${at}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => pathsContaining(x, needle, at ? `${at}.${k}` : k));
  return [];
}
