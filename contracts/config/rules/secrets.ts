// Keys that may only hold Pulumi secrets (P8).
import { finding, stackPatch } from "../findings";
import { empty, Raw, RuleContext, RuleResult } from "./types";

/** Config keys that may only ever hold a Pulumi secret (mirrors contracts/secrets_policy.json). */
export const SECRET_CONFIG_KEYS = ["grafanaAdminPassword"] as const;

/** grafanaAdminPassword only as a `secure:` value. The plaintext is never echoed. */
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
  return out;
}
