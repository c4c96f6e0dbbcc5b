// Loading the stack config inside the Pulumi program (index.ts), before any resource is declared.
// Same judgement as config:lint and verify (checkConfig in ./load), so a bad config stops
// `pulumi preview` with the same findings, all of them at once, in one error.
import * as pulumi from "@pulumi/pulumi";
import { Finding, PROJECT_NAMESPACE } from "./findings";
import { checkConfig, requireValid } from "./load";
import { keyAsFiled, programStackFile } from "./markers";
import { alertingSecretPaths, HostTlsField, hostsSecretPaths, isSecretLeafKey, pinsNeedingDigests, SECRET_CONFIG_KEYS, withSecretLeaves } from "./rules";
import { StackConfig } from "./schema";
import { SECURE_PLACEHOLDER } from "./stackfile";
import { decodeConfigValue, getAt, isRecord } from "./values";

export { decodeConfigValue };
export { formatFindings } from "./load";

export interface LoadedConfig {
  /** The validated config, defaults applied; grafanaAdminPassword is never in here. */
  config: Omit<StackConfig, "grafanaAdminPassword">;
  /** Only when the operator set it with `pulumi config set --secret grafanaAdminPassword`. */
  grafanaAdminPassword?: pulumi.Output<string>;
  /** One secret Output per alerting credential leaf (receivers[].webhook.url, .slack.apiUrl, .email.authPassword). */
  alertingSecrets: AlertingSecret[];
  /** One secret Output per TLS leaf of a tcp:// host (hosts[].docker.tls.caPem, .certPem, .keyPem); empty for a fleet of one. */
  hostSecrets: HostSecret[];
}

/** A TLS leaf of one host's Docker engine, read with requireSecretObject so it stays a Pulumi secret. */
export interface HostSecret {
  /** hosts[].name */
  host: string;
  field: HostTlsField;
  value: pulumi.Output<string>;
}

/**
 * The docker.Provider TLS inputs of `host` (caMaterial, certMaterial, keyMaterial: secret Outputs),
 * or undefined for a host reached without TLS (unix://, ssh://).
 */
export function dockerTlsInputs(secrets: readonly HostSecret[], host: string): { caMaterial: pulumi.Output<string>; certMaterial: pulumi.Output<string>; keyMaterial: pulumi.Output<string> } | undefined {
  const get = (f: HostTlsField) => secrets.find((s) => s.host === host && s.field === f)?.value;
  const [ca, cert, key] = [get("caPem"), get("certPem"), get("keyPem")];
  return ca && cert && key ? { caMaterial: ca, certMaterial: cert, keyMaterial: key } : undefined;
}

/** A credential of one alerting receiver, read with getSecretObject so it stays a Pulumi secret. */
export interface AlertingSecret {
  receiver: string;
  /** webhook | slack | email */
  kind: string;
  /** url | apiUrl | authPassword */
  field: string;
  value: pulumi.Output<string>;
}


function isConfigSecret(fullKey: string): boolean {
  // @internal in the SDK's typings (runtime/config.d.ts omits it) but exported by runtime/config.js
  // since 3.x; it reads PULUMI_CONFIG_SECRET_KEYS, which both the CLI and setAllConfig(c, secretKeys) set.
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (typeof fn !== "function") throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret; cannot prove grafanaAdminPassword is a secret");
  // Old language hosts spelled keys "<ns>:config:<key>"; allConfig() cleans that form, the secret
  // key list is not cleaned, so accept both spellings.
  const colon = fullKey.indexOf(":");
  return fn(fullKey) || fn(`${fullKey.slice(0, colon)}:config:${fullKey.slice(colon + 1)}`);
}

/**
 * Read the namespace from the runtime (secret values are skipped, never read as plain strings).
 * `stackFile` names the stack file whose secure: markers decide which alerting credentials are
 * secret (default: $LOGGING_BOOTSTRAP_STACK_FILE, else the project's Pulumi.<stack>.yaml).
 */
export function readRuntimeConfig(
  stackFile: string | undefined = programStackFile(process.env, pulumi.getStack()),
): { raw: Record<string, unknown>; secretKeys: string[]; fullKeys: string[]; findings: Finding[] } {
  const prefix = `${PROJECT_NAMESPACE}:`;
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  const findings: Finding[] = [];
  for (const [full, value] of Object.entries(all)) {
    if (!full.startsWith(prefix)) continue;
    const key = full.slice(prefix.length);
    if ((SECRET_CONFIG_KEYS as readonly string[]).includes(key)) {
      raw[key] = "<secret>"; // presence only; the value is read with getSecret below
      if (isConfigSecret(full)) secretKeys.push(key);
      continue;
    }
    if (isSecretLeafKey(key)) {
      // alerting and hosts: the CLI marks a structured key secret when any leaf under it is `secure:`
      // and hands the program the decrypted value. The leaves the stack file marks secure: become the
      // placeholder (markers.ts), so their values live only in secret Outputs (alertingSecrets,
      // hostSecrets below); any other secret leaf keeps its plaintext for the lint to refuse
      // (E_CONFIG_SECRET_PLAINTEXT, value not shown), as config:lint refuses it in the file.
      const decoded = decodeConfigValue(key, value);
      if (isConfigSecret(full) && (isRecord(decoded) || Array.isArray(decoded))) {
        const judged = keyAsFiled(key, decoded, stackFile);
        if ("finding" in judged) {
          findings.push(judged.finding);
          raw[key] = withSecretLeaves({ [key]: decoded }, SECURE_PLACEHOLDER)[key]; // never keep a decrypted value
        } else {
          raw[key] = judged.value;
        }
        secretKeys.push(key);
      } else {
        raw[key] = decoded;
      }
      continue;
    }
    // defineProperty: a "logging-bootstrap:__proto__" key stays an own key, which the lint refuses.
    Object.defineProperty(raw, key, { value: decodeConfigValue(key, value), enumerable: true, writable: true, configurable: true });
  }
  return { raw, secretKeys, fullKeys: Object.keys(all), findings };
}

/**
 * The tag-only pins the lint will refuse because the stack sets requireImageDigests (the program
 * asks the Docker engine for their digests first, so the finding's patch carries them).
 */
export function runtimePinsNeedingDigests(): string[] {
  const all = pulumi.runtime.allConfig();
  const get = (k: string) => {
    const v = all[`${PROJECT_NAMESPACE}:${k}`];
    return v === undefined ? undefined : decodeConfigValue(k, v);
  };
  return pinsNeedingDigests({ requireImageDigests: get("requireImageDigests"), images: get("images"), gateway: get("gateway") });
}

export interface LoadOptions {
  /** image ref -> digest known on this Docker engine (the E_CONFIG_IMAGE_NO_DIGEST patch). */
  digests?: Record<string, string>;
}

export function loadStackConfig(opts: LoadOptions = {}): LoadedConfig {
  const { raw, secretKeys, fullKeys, findings } = readRuntimeConfig();
  const result = checkConfig({ projectConfig: raw, secretKeys, fullKeys, findings }, { migrate: true, digests: opts.digests });
  if (result.warnings.length > 0) {
    // One line per run, not one per finding: warnings must not drown the preview.
    pulumi.log.warn(`stack config: ${result.warnings.length} warning(s): ${result.warnings.map((w) => `${w.code} at ${w.path}`).join(", ")} (details: npm run -s config:lint -- Pulumi.<stack>.yaml)`);
  }
  if (result.migratedFrom !== undefined) {
    pulumi.log.warn(
      `stack config is schema v${result.migratedFrom}; migrated in memory to the current schema. Run \`npm run -s config:migrate -- Pulumi.<stack>.yaml\` to update the file.\n` +
        (result.migrationNotes ?? []).map((n) => `  ${n}`).join("\n"),
    );
  }
  const config = requireValid(result);
  const loaded: LoadedConfig = { config, alertingSecrets: [], hostSecrets: [] };
  const paths = alertingSecretPaths(raw);
  if (paths.length > 0) {
    const alerting = new pulumi.Config(PROJECT_NAMESPACE).requireSecretObject<unknown>("alerting");
    for (const p of paths) {
      const [, , i, kind, field] = p as [string, string, number, string, string];
      const receiver = String(getAt(raw, ["alerting", "receivers", i, "name"]));
      loaded.alertingSecrets.push({ receiver, kind, field, value: pulumi.secret(alerting.apply((a) => String(getAt({ alerting: a }, p)))) });
    }
  }
  const tlsPaths = hostsSecretPaths(raw);
  if (tlsPaths.length > 0) {
    const hosts = new pulumi.Config(PROJECT_NAMESPACE).requireSecretObject<unknown>("hosts");
    for (const p of tlsPaths) {
      const [, i, , , field] = p as [string, number, string, string, HostTlsField];
      const host = String(getAt(raw, ["hosts", i, "name"]));
      loaded.hostSecrets.push({ host, field, value: pulumi.secret(hosts.apply((h) => String(getAt({ hosts: h }, p)))) });
    }
  }
  if (raw.grafanaAdminPassword !== undefined) {
    loaded.grafanaAdminPassword = new pulumi.Config(PROJECT_NAMESPACE).getSecret("grafanaAdminPassword");
  }
  return loaded;
}
