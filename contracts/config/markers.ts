// Which secret leaves (alerting credentials, hosts' Docker TLS material) are `secure:` in the stack
// file, for the program. Pulumi marks a structured key secret when any leaf under it is `secure:` and
// hands the program every leaf of it decrypted, so the runtime alone cannot tell a credential written
// with `--secret` from a plaintext one next to it. The stack file can: the program reads the file's
// own markers and judges them leaf by leaf with the function config:lint uses (isSecuredLeaf), so
// both refuse the same plaintext credential with E_CONFIG_SECRET_PLAINTEXT. When the program cannot
// find the file it runs with, it refuses (E_CONFIG_STACK_FILE_UNKNOWN) rather than guess.
import { Finding, finding, stackPatch } from "./findings";
import { isSecuredLeaf, secretLeafPaths, secretSetCommand, SecretLeafKey, withSecretLeaves } from "./rules";
import { readStackFile, SECURE_PLACEHOLDER, stackFilePath } from "./stackfile";
import { getAt, isRecord } from "./values";

/** Names the stack file when it is not the project's Pulumi.<stack>.yaml (`pulumi up --config-file F`). */
export const STACK_FILE_ENV = "LOGGING_BOOTSTRAP_STACK_FILE";

/** The stack file the program runs with: $LOGGING_BOOTSTRAP_STACK_FILE, else the project's Pulumi.<stack>.yaml. */
export function programStackFile(env: NodeJS.ProcessEnv, stack: string): string | undefined {
  const named = env[STACK_FILE_ENV];
  if (named) return named;
  try {
    return stackFilePath(stack);
  } catch {
    return undefined; // no stack name (outside a Pulumi run)
  }
}

export type Judged = { value: unknown } | { finding: Finding };

/** Replace the leaves at `paths` (from the namespace root) with the stack-file placeholder (a deep copy; `value` is untouched). */
function markLeaves(key: SecretLeafKey, value: unknown, paths: readonly (string | number)[][]): unknown {
  const copy: Record<string, unknown> = { [key]: JSON.parse(JSON.stringify(value)) as unknown };
  for (const p of paths) {
    const parent = getAt(copy, p.slice(0, -1));
    if (isRecord(parent)) parent[String(p[p.length - 1])] = SECURE_PLACEHOLDER;
  }
  return copy[key];
}

/** JSON with every object's keys sorted: Pulumi hands a structured key with sorted keys, the file keeps its own order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

/** The key's value with every secret leaf masked: what two readings must agree on, whatever their key order. */
function masked(key: SecretLeafKey, value: unknown): string {
  return canonicalJson(withSecretLeaves({ [key]: value })[key]);
}

/**
 * The value of `key` (alerting or hosts) the lint judges, from the secret key's decrypted value and
 * the stack file the program runs with (read lazily: only needed when the value does not carry its
 * markers itself).
 *  - no secret leaf, or a value that already carries markers (it was read from a stack file, as
 *    render/verify/policy:check do): judged as it is;
 *  - otherwise the file must hold the same value (equal once every secret leaf is masked); its
 *    secured leaves become the placeholder, any other leaf stays and the lint refuses it.
 * The finding never carries a value.
 */
export function keyAsFiled(key: SecretLeafKey, runtime: unknown, fileName: string | undefined, read = readStackFile): Judged {
  const wrapped = { [key]: runtime };
  const paths = secretLeafPaths(wrapped);
  if (paths.length === 0 || paths.some((p) => isSecuredLeaf(wrapped, p))) return { value: runtime };
  const what = key === "hosts" ? "TLS leaves" : "credentials";
  const why = (reason: string): Judged => ({
    finding: finding(
      "E_CONFIG_STACK_FILE_UNKNOWN",
      key,
      `${key} is a secret key, and which of its ${what} are secure: only the stack file says; ${reason}. Run from the project directory with its Pulumi.<stack>.yaml, or set ${STACK_FILE_ENV} to the file given to --config-file`,
      stackPatch(paths[0], { secure: `v1:<ciphertext written by: ${secretSetCommand(paths[0])}>` }, `every secret leaf in the stack file is written by pulumi config set --secret --path; then: export ${STACK_FILE_ENV}=<the stack file>`),
    ),
  });
  if (!fileName) return why("no stack file is known here");
  const file = read(fileName);
  if (file.findings.length > 0) return why(`${fileName} cannot be read (${file.findings[0].code})`);
  const filed = file.projectConfig[key];
  if (filed === undefined || masked(key, filed) !== masked(key, runtime)) return why(`${fileName} holds another ${key} value than the one this run was given`);
  const secured = secretLeafPaths({ [key]: filed }).filter((p) => isSecuredLeaf({ [key]: filed }, p));
  return { value: markLeaves(key, runtime, secured) };
}

/** keyAsFiled for alerting (its credentials). */
export function alertingAsFiled(runtime: unknown, fileName: string | undefined, read = readStackFile): Judged {
  return keyAsFiled("alerting", runtime, fileName, read);
}
