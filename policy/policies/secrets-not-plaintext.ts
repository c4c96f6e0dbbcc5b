import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import YAML from "yaml";
import { msg } from "../lib/report";
import { asArray, displayName, envEntries, isObject, serviceOf, str, unwrap, uploadFiles } from "../lib/resources";

export interface SecretsConfig {
  /** Name segments that mark a secret anywhere in the name (GF_SECURITY_ADMIN_PASSWORD, DB_PASSWORD_OLD). */
  strongWords: string[];
  /** Name segments that mark a secret only as the last segment (API_TOKEN, SECRET_KEY; not TOKEN_TTL). */
  suffixWords: string[];
  /** Exact variable names exempt from the check (a reviewed false positive). */
  allowNames: string[];
}

export const SECRETS_DEFAULTS: SecretsConfig = {
  strongWords: ["PASSWORD", "PASSWD", "SECRET", "CREDENTIAL", "CREDENTIALS", "PRIVATE"],
  suffixWords: ["TOKEN", "KEY", "APIKEY", "PWD", "PASS", "AUTH"],
  allowNames: [],
};

/** Grafana reads these only from files (`<NAME>__FILE`), so `docker inspect` never shows them. */
export const GRAFANA_FILE_CREDENTIALS = ["GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_SECRET_KEY"];

/** Where Alertmanager's rendered config is uploaded (components/defaults.ts FILES.alertmanagerConfig). */
export const ALERTMANAGER_CONFIG = "/etc/alertmanager/alertmanager.yml";
/** Receiver credential fields Alertmanager accepts inline, and the `_file` form it must use instead. */
export const ALERTMANAGER_INLINE_CREDENTIALS: Record<string, string[]> = {
  webhook_configs: ["url"],
  slack_configs: ["api_url"],
  email_configs: ["auth_password", "auth_secret"],
};

/**
 * Credential problems of an Alertmanager container: an inline credential in the uploaded config
 * (which `render`, L8 and evidence would then carry), or a `*_file` that no upload delivers, or
 * one uploaded world-readable.
 */
export function alertmanagerCredentialProblems(props: Record<string, unknown>, who: string): string[] {
  const out: string[] = [];
  const uploads = new Map<string, { content: unknown; permissions?: string }>();
  for (const u of asArray(props.uploads)) {
    const e = unwrap(u);
    if (isObject(e) && typeof unwrap(e.file) === "string") uploads.set(String(unwrap(e.file)), { content: unwrap(e.content), permissions: str(e.permissions) });
  }
  const cfgUpload = uploads.get(ALERTMANAGER_CONFIG);
  if (cfgUpload === undefined || typeof cfgUpload.content !== "string") return out;
  let doc: unknown;
  try {
    doc = YAML.parse(cfgUpload.content);
  } catch {
    return out; // not this policy's finding: Alertmanager refuses it at start (healthcheck, L1)
  }
  const receivers = isObject(doc) ? asArray(doc.receivers) : [];
  for (const r of receivers) {
    if (!isObject(r)) continue;
    const name = str(r.name) ?? "?";
    for (const [kind, fields] of Object.entries(ALERTMANAGER_INLINE_CREDENTIALS)) {
      for (const c of asArray(r[kind])) {
        if (!isObject(c)) continue;
        for (const f of fields) {
          if (c[f] !== undefined && c[f] !== "") {
            out.push(msg(`Alertmanager container ${who} has receiver ${name}'s ${kind}.${f} inline in ${ALERTMANAGER_CONFIG} (value not shown), so the config file carries a credential.`, `use ${f}_file pointing at an uploaded 0440 file from a Pulumi secret (components/render/alertmanager.ts)`));
          }
        }
        for (const [k, v] of Object.entries(c)) {
          if (!k.endsWith("_file") || typeof v !== "string") continue;
          const up = uploads.get(v);
          if (up === undefined) {
            out.push(msg(`Alertmanager container ${who} reads receiver ${name}'s ${k} from ${v}, but no upload delivers that file, so the receiver cannot send.`, `upload ${v} (Container.uploads, content from a Pulumi secret, permissions 0440)`));
          } else if (up.permissions === undefined || /[1-7]$/.test(up.permissions)) {
            out.push(msg(`Alertmanager container ${who} uploads ${v} with permissions ${up.permissions ?? "unset (Docker's default 0644)"}: every user in the container can read the credential.`, "upload it with permissions 0440 (owner root, group 0; the container runs as 65534:0)"));
          }
        }
      }
    }
  }
  return out;
}

/** Does an environment variable name suggest a secret? `__FILE`/`_FILE` references are not secrets themselves. */
export function secretName(name: string, cfg: SecretsConfig = SECRETS_DEFAULTS): boolean {
  const upper = name.toUpperCase();
  if (/_FILE$/.test(upper)) return false;
  const segs = upper.split(/[^A-Z0-9]+/).filter((s) => s !== "");
  if (segs.length === 0) return false;
  if (segs.some((s) => cfg.strongWords.includes(s))) return true;
  return cfg.suffixWords.includes(segs[segs.length - 1]);
}

// P8. The analyzer hands policies secrets already unwrapped, so a policy cannot tell a Pulumi secret
// from a literal; it does not need to: a secret in a container's environment is readable by anyone
// who can run `docker inspect`, whatever Pulumi's state says. So a secret-looking name may carry no
// value at all, and credentials travel as files (`<NAME>__FILE=/path`, the file uploaded).
export const secretsNotPlaintext: ResourceValidationPolicy = {
  name: "secrets-not-plaintext",
  description:
    "No container environment variable whose name suggests a secret (PASSWORD, SECRET, TOKEN, KEY, ...) carries a value, Grafana's admin password and secret key are read only from files, and Alertmanager's receiver credentials only from uploaded 0440 files (never inline in its config).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      strongWords: { type: "array", items: { type: "string" }, default: SECRETS_DEFAULTS.strongWords },
      suffixWords: { type: "array", items: { type: "string" }, default: SECRETS_DEFAULTS.suffixWords },
      allowNames: { type: "array", items: { type: "string" }, default: [] },
    },
  },
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const cfg = { ...SECRETS_DEFAULTS, ...args.getConfig<Partial<SecretsConfig>>() };
    const who = displayName(c, args.name);
    const fileFix = "deliver the value as a file (Container.uploads from a Pulumi secret) and point <NAME>__FILE at it";
    const envs = envEntries(c);
    for (const e of envs) {
      if (e.name === undefined) {
        report(msg(`${who} has a secret value in its environment (the whole entry is a secret), which \`docker inspect\` shows in plain text.`, fileFix));
        continue;
      }
      if (cfg.allowNames.includes(e.name)) continue;
      if (e.value !== undefined && e.value !== "" && (secretName(e.name, cfg) || e.secret)) {
        // The value is never echoed, only the name.
        report(msg(`${who} sets ${e.name} in its environment with a plain value (not shown).`, fileFix));
      }
      if (/_FILE$/i.test(e.name) && e.value !== undefined && !e.value.startsWith("/")) {
        report(msg(`${who} sets ${e.name} to ${JSON.stringify(e.value)}, which is not an absolute file path.`, "point the __FILE variable at the absolute path of the uploaded secret file (e.g. /etc/grafana/secrets/admin_password)"));
      }
    }
    if (serviceOf(c) === "alertmanager") {
      for (const m of alertmanagerCredentialProblems(c, who)) report(m);
    }
    if (serviceOf(c) === "grafana") {
      const names = new Set(envs.map((e) => e.name).filter((n): n is string => n !== undefined));
      const files = new Set(uploadFiles(c));
      for (const cred of GRAFANA_FILE_CREDENTIALS) {
        const ref = envs.find((e) => e.name === `${cred}__FILE`);
        if (ref?.value !== undefined && ref.value.startsWith("/") && !files.has(ref.value)) {
          report(msg(`Grafana container ${who} reads ${cred} from ${ref.value}, but no upload delivers that file, so Grafana fails to start or falls back to a default.`, `upload ${ref.value} (Container.uploads, content from a Pulumi secret)`));
        }
        if (!names.has(`${cred}__FILE`)) {
          report(msg(`Grafana container ${who} does not read ${cred} from a file (${cred}__FILE is not set), so Grafana falls back to a default or environment value.`, `set ${cred}__FILE=/etc/grafana/secrets/${cred === "GF_SECURITY_ADMIN_PASSWORD" ? "admin_password" : "secret_key"} and upload that file from a Pulumi secret`));
        }
      }
    }
  }),
};
