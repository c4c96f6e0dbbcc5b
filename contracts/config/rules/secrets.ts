// Keys and nested leaves that may only hold Pulumi secrets (P8).
import { finding, formatPath, PathSeg, stackPatch } from "../findings";
import { SECURE_PLACEHOLDER } from "../stackfile";
import { getAt, isRecord } from "../values";
import { hostsPatch } from "./hosts-patch";
import { empty, Raw, RuleContext, RuleResult } from "./types";

/** Set `value` at `path` inside `obj`, creating mappings on the way. */
function setAt(obj: Record<string, unknown>, path: readonly PathSeg[], value: unknown): void {
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    if (!isRecord(cur[String(seg)])) cur[String(seg)] = {};
    cur = cur[String(seg)] as Record<string, unknown>;
  }
  cur[String(path[path.length - 1])] = value;
}

/** Config keys that may only ever hold a Pulumi secret (mirrors contracts/secrets_policy.json). */
export const SECRET_CONFIG_KEYS = ["grafanaAdminPassword"] as const;

/**
 * Credential fields inside each alerting receiver (receiver kind, field). A whole-key secret would
 * hide receiver names and routes from review, so only these leaves are secret; Pulumi writes one
 * with `pulumi config set --secret --path`. Mirrors contracts/secrets_policy.json `configLeaves`.
 */
export const ALERTING_SECRET_FIELDS: readonly (readonly [string, string])[] = [
  ["webhook", "url"],
  ["slack", "apiUrl"],
  ["email", "authPassword"],
];

/** Stands in for a secret leaf once it was checked (the value itself is never validated or shown). */
export const SECRET_STAND_IN = "<secret>";

/** A leaf value that is a secret stand-in: the stack file's `secure:` (SECURE_PLACEHOLDER) or the lint's own. */
export function isSecretMarker(v: unknown): boolean {
  return v === SECURE_PLACEHOLDER || v === SECRET_STAND_IN;
}

/**
 * The TLS client certificate of a tcp:// Docker engine (hosts[].docker.tls): whoever holds the key
 * controls that engine, so each leaf is only ever a Pulumi secret and reaches the host's
 * docker.Provider (caMaterial, certMaterial, keyMaterial) as a secret Output. Mirrors
 * contracts/secrets_policy.json `configLeaves`.
 */
export const HOST_TLS_SECRET_FIELDS = ["caPem", "certPem", "keyPem"] as const;
export type HostTlsField = (typeof HOST_TLS_SECRET_FIELDS)[number];

/** Structured keys holding secret leaves: Pulumi marks the whole key secret when one leaf is `secure:`. */
export const SECRET_LEAF_KEYS = ["alerting", "hosts"] as const;
export type SecretLeafKey = (typeof SECRET_LEAF_KEYS)[number];

export function isSecretLeafKey(key: string): key is SecretLeafKey {
  return (SECRET_LEAF_KEYS as readonly string[]).includes(key);
}

/** Paths (from the namespace root) of every credential leaf present in a raw config. */
export function alertingSecretPaths(raw: unknown): PathSeg[][] {
  const out: PathSeg[][] = [];
  const receivers = getAt(raw, ["alerting", "receivers"]);
  if (!Array.isArray(receivers)) return out;
  receivers.forEach((r, i) => {
    if (!isRecord(r)) return;
    for (const [kind, field] of ALERTING_SECRET_FIELDS) {
      const p: PathSeg[] = ["alerting", "receivers", i, kind, field];
      if (getAt(raw, p) !== undefined) out.push(p);
    }
  });
  return out;
}

/** Paths of every TLS leaf present under hosts[].docker.tls in a raw config. */
export function hostsSecretPaths(raw: unknown): PathSeg[][] {
  const out: PathSeg[][] = [];
  const hosts = getAt(raw, ["hosts"]);
  if (!Array.isArray(hosts)) return out;
  hosts.forEach((_h, i) => {
    if (!isRecord(getAt(raw, ["hosts", i, "docker", "tls"]))) return;
    for (const field of HOST_TLS_SECRET_FIELDS) {
      const p: PathSeg[] = ["hosts", i, "docker", "tls", field];
      if (getAt(raw, p) !== undefined) out.push(p);
    }
  });
  return out;
}

/** Every secret leaf present in a raw config (alerting credentials, then host TLS material). */
export function secretLeafPaths(raw: unknown): PathSeg[][] {
  return [...alertingSecretPaths(raw), ...hostsSecretPaths(raw)];
}

/**
 * Is the credential leaf at `p` a secret in the stack file? The one per-leaf judgement: config:lint
 * refuses every credential leaf for which it is false, and the program marks exactly the leaves the
 * stack file marks (contracts/config/markers.ts), so both refuse the same plaintext credential.
 */
export function isSecuredLeaf(raw: unknown, p: readonly PathSeg[]): boolean {
  return isSecretMarker(getAt(raw, p));
}

/** `pulumi config set --secret --path` argument for a nested leaf. */
export function secretPathArg(p: readonly PathSeg[]): string {
  return `logging-bootstrap:${formatPath(p)}`;
}

/**
 * The command that writes the secret leaf at `p`. PEM text spans lines, so a TLS leaf is piped from
 * its file (`pulumi config set` reads a value missing on the command line from standard input).
 */
export function secretSetCommand(p: readonly PathSeg[]): string {
  const base = `pulumi config set --secret --path '${secretPathArg(p)}'`;
  // ca.pem, cert.pem, key.pem: the file names Docker's own TLS setup uses.
  return p[0] === "hosts" ? `${base} < ${String(p[p.length - 1]).replace(/Pem$/, "")}.pem` : `${base} <value>`;
}

/** A copy of `raw` (the keys holding secret leaves deep-copied) with every secret leaf replaced by `standIn`. */
export function withSecretLeaves(raw: Raw, standIn: unknown = SECRET_STAND_IN): Raw {
  const paths = secretLeafPaths(raw);
  if (paths.length === 0) return raw;
  const copy: Raw = { ...raw };
  for (const key of new Set(paths.map((p) => String(p[0])))) copy[key] = JSON.parse(JSON.stringify(raw[key]));
  for (const p of paths) {
    const parent = getAt(copy, p.slice(0, -1)) as Record<string, unknown>;
    parent[String(p[p.length - 1])] = standIn;
  }
  return copy;
}

/** grafanaAdminPassword, every alerting credential and every host TLS leaf only as a `secure:` value. The plaintext is never echoed. */
export function ruleSecrets(raw: Raw, ctx: RuleContext): RuleResult {
  const out = empty();
  for (const key of SECRET_CONFIG_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(raw, key) || raw[key] === undefined) continue;
    if (ctx.secretKeys.has(key)) continue;
    out.errors.push(
      finding(
        "E_CONFIG_SECRET_PLAINTEXT",
        [key],
        `${key} is stored in plain text (value not shown); delete that line and set it with \`pulumi config set --secret ${key}\`, which writes an encrypted secure: value`,
        stackPatch([key], { secure: "v1:<ciphertext written by: pulumi config set --secret " + key + ">" }, `written for you by: pulumi config set --secret ${key}`),
      ),
    );
  }
  // Leaves: each one must itself be `secure:` (a secure sibling makes the key secret at run time,
  // but would not protect a plaintext URL next to it in the file).
  for (const p of secretLeafPaths(raw)) {
    if (isSecuredLeaf(raw, p)) continue;
    const cmd = secretSetCommand(p);
    out.errors.push(
      finding(
        "E_CONFIG_SECRET_PLAINTEXT",
        p,
        `${formatPath(p)} is a ${p[0] === "hosts" ? "TLS client credential of a Docker engine" : "credential"} stored in plain text (value not shown); delete that value and set it with \`${cmd}\`, which writes an encrypted secure: value in its place`,
        p[0] === "hosts"
          ? hostsPatch(raw, p[1] as number, (h) => setAt(h, p.slice(2), { secure: `v1:<ciphertext written by: ${cmd}>` }), `written for you by: ${cmd}`)
          : stackPatch(p, { secure: `v1:<ciphertext written by: ${cmd}>` }, `written for you by: ${cmd}`),
      ),
    );
  }
  return out;
}
