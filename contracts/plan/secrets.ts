// How a secret looks in a plan: Pulumi's signature objects (sdk/nodejs/runtime/rpc.ts
// specialSigKey and friends) as the analyzer and the mock monitor hand them over, and the REDACTED
// text the offline evaluation puts in their place.

export const REDACTED = "***REDACTED***";

/**
 * Pulumi's special signature key and values (sdk/nodejs/runtime/rpc.ts): `key` marks a special
 * object; `secret` wraps `{value}`; `resource` is a reference `{urn, id?}`; `output` an output value
 * `{value?, secret?, dependencies?}`; `asset` / `archive` `{path | uri | text}`.
 */
export const SIG = {
  key: "4dabf18193072939515e22adb298388d", secret: "1b47061264138c4ac30d75fd1eb44270",
  resource: "5cf8f73096256a8f31e491e813e4eb8e", output: "d0e6a833031e9bbcd3f4e8bde6ca49a4",
  asset: "c44067f5952c0a294b673a41bacd8c17", archive: "0def7320c3a5731c473e5ecbe6d01bc7",
} as const;

/** The engine's stand-in for a value not known during a preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Pulumi's secret signature object `{<sig>: <secret sig>, value}`. */
export function isSecretSig(v: unknown): v is { value: unknown } & Record<string, unknown> {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG.key] === SIG.secret;
}

/** True when a value is a secret (signature object) or was redacted by the offline evaluation. */
export function isSecretValue(v: unknown): boolean {
  return isSecretSig(v) || v === REDACTED;
}

/** The plain value behind a secret signature object (readers judge the value, not its wrapping). */
export function unwrap(v: unknown): unknown {
  let cur = v;
  for (let i = 0; i < 8 && isSecretSig(cur); i++) cur = cur.value;
  return cur;
}
