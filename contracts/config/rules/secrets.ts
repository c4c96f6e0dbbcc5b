// Keys and nested leaves that may only hold Pulumi secrets (P8).
import { finding, formatPath, PathSeg, stackPatch } from "../findings";
import { SECURE_PLACEHOLDER } from "../stackfile";
import { getAt, isRecord } from "../values";
import { empty, Raw, RuleContext, RuleResult } from "./types";

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

/** A deep copy of `raw` with every credential leaf replaced by `standIn`. */
export function withSecretLeaves(raw: Raw, standIn: unknown = SECRET_STAND_IN): Raw {
  const paths = alertingSecretPaths(raw);
  if (paths.length === 0) return raw;
  const copy: Raw = { ...raw, alerting: JSON.parse(JSON.stringify(raw.alerting)) };
  for (const p of paths) {
    const parent = getAt(copy, p.slice(0, -1)) as Record<string, unknown>;
    parent[String(p[p.length - 1])] = standIn;
  }
  return copy;
}

/** grafanaAdminPassword and every alerting credential only as a `secure:` value. The plaintext is never echoed. */
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
  for (const p of alertingSecretPaths(raw)) {
    if (isSecuredLeaf(raw, p)) continue;
    const cmd = `pulumi config set --secret --path '${secretPathArg(p)}' <value>`;
    out.errors.push(
      finding(
        "E_CONFIG_SECRET_PLAINTEXT",
        p,
        `${formatPath(p)} is a credential stored in plain text (value not shown); delete that value and set it with \`${cmd}\`, which writes an encrypted secure: value in its place`,
        stackPatch(p, { secure: `v1:<ciphertext written by: ${cmd}>` }, `written for you by: ${cmd}`),
      ),
    );
  }
  return out;
}
