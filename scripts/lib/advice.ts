// Autoheal (P4): every error of a run grouped by taxonomy bucket, exactly one recommended next action
// per active bucket (the taxonomy's action, specialised with the failing resource / level / key), and
// an example patch where the bucket is config. Pure functions of the errors: no I/O, never executes.
import YAML from "yaml";
import { DEFAULT_IMAGES } from "../../contracts/config/examples";
import { BUCKETS, Bucket, ErrorRecord, taxonomyEntry } from "../../contracts/errors";
import { servicesOf } from "./events";

export interface Suggestion {
  bucket: Bucket;
  error_codes: string[];
  count: number;
  primary: { code: string; message: string; service?: string; level?: string; resource?: string; path?: string };
  recommended_action: string;
  next_command: string;
  example_patch?: string;
}

export interface Suggestions {
  run_id: string;
  mode: string;
  stack: string;
  active_buckets: Suggestion[];
  resolved_buckets: Bucket[];
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v ? v : undefined;
}

/** Example values that satisfy each config rule, for a patch when the finding carries none. */
const EXAMPLE_VALUES: Record<string, unknown> = {
  E_CONFIG_INVALID_PORT: 9101,
  E_CONFIG_PORT_DUPLICATE: 9107,
  E_CONFIG_PATH_NOT_ABSOLUTE: "/var/lib/logging-bootstrap/logs",
  E_CONFIG_NAME_NOT_DNS_SAFE: "logging-test",
  E_CONFIG_IMAGE_UNPINNED: "grafana/grafana:13.2.0",
  E_CONFIG_SCHEMA_VERSION: 1,
  E_CONFIG_NOT_BOOLEAN: true,
  E_CONFIG_DURATION: "30d",
  E_CONFIG_EXPOSURE: "127.0.0.1",
};

/** `ports.grafana` -> {config: {"logging-bootstrap:ports": {grafana: v}}} as stack-file YAML. */

export function patchFor(code: string, keyPath: string | undefined, stack: string): string {
  const last = (keyPath ?? "").split(".").pop() ?? "";
  const value = (code === "E_CONFIG_IMAGE_UNPINNED" ? (DEFAULT_IMAGES as Record<string, string>)[last] : undefined) ?? EXAMPLE_VALUES[code] ?? "<value>";
  if (code === "E_CONFIG_SECRET_PLAINTEXT") {
    const key = (keyPath ?? "grafanaAdminPassword").split(".")[0];
    return `# remove the plain-text value from Pulumi.${stack}.yaml, then:\npulumi config set --secret --stack ${stack} ${key} <value>\n`;
  }
  let segs = (keyPath ?? "").split(".").filter(Boolean);
  if (code === "E_CONFIG_EXPOSURE" && (segs.length === 0 || segs[0] !== "exposure")) segs = ["exposure", "bindAddress"];
  if (segs.length === 0) segs = ["<key>"];
  let node: unknown = value;
  for (let i = segs.length - 1; i >= 1; i--) node = { [segs[i]]: node };
  return YAML.stringify({ config: { [`logging-bootstrap:${segs[0]}`]: node } });
}

function nextCommand(bucket: Bucket, e: ErrorRecord, ctx: { mode: string; stack: string; urn?: string }): string {
  const s = ctx.stack;
  switch (bucket) {
    case "config":
      return `npm run -s config:lint -- Pulumi.${s}.yaml && npm run -s bootstrap -- --mode diagnose --stack ${s}`;
    case "env":
      if (e.code === "E_ENV_TOOL_MISSING") return "pulumi version";
      if (e.code === "E_ENV_DOCKER_UNREACHABLE") return "docker info";
      if (e.code === "E_ENV_SECRETS_FILE_MODE") return "chmod 600 secrets.local.env";
      return `npm run -s bootstrap -- --mode ${ctx.mode === "evidence" ? "diagnose" : ctx.mode} --stack ${s}`;
    case "deps":
      if (e.code === "E_DEPS_IMAGE_MISSING_OFFLINE") return `npm run images:import -- --in <dir written by images:export>`;
      if (e.code === "E_DEPS_IMAGE_DIGEST_MISMATCH") return `npm run images:export -- --stack ${s} --out <dir>   # on a trusted host`;
      return `npm run -s bootstrap -- --mode diagnose --stack ${s}`;
    case "network":
      return `npm run -s verify -- --stack ${s} --json`;
    case "runtime":
    case "proof":
      if (e.code === "E_PROOF_IDEMPOTENCY") return `npm run -s bootstrap -- --mode diagnose --stack ${s}`;
      if (ctx.urn) return `npm run -s bootstrap -- --mode repair --stack ${s} --target '${ctx.urn}'`;
      return `npm run -s bootstrap -- --mode apply --stack ${s}`;
  }
}

export function suggest(input: { runId: string; mode: string; stack: string; errors: ErrorRecord[] }): Suggestions {
  const byBucket = new Map<Bucket, ErrorRecord[]>();
  for (const e of input.errors) {
    const bucket = (BUCKETS as readonly string[]).includes(e.bucket) ? e.bucket : taxonomyEntry(e.code).bucket;
    if (!byBucket.has(bucket)) byBucket.set(bucket, []);
    byBucket.get(bucket)!.push(e);
  }
  const active: Suggestion[] = [];
  for (const bucket of BUCKETS) {
    const errs = byBucket.get(bucket);
    if (!errs?.length) continue;
    const e = errs[0]; // pipeline order: the first error is the one the later ones usually follow from
    const d = e.details ?? {};
    const service = str(d.service) ?? servicesOf(e)[0];
    const level = str(d.level);
    const urn = str(d.urn) ?? (str(d.resource)?.startsWith("urn:") ? str(d.resource) : undefined);
    const resource = urn ?? str(d.resource) ?? str(d.container);
    const keyPath = str(d.path);
    const where = [level && `level ${level}`, service && `service ${service}`, resource && `resource ${resource}`, keyPath && `key ${keyPath}`]
      .filter(Boolean)
      .join(", ");
    const action = e.action || taxonomyEntry(e.code).action;
    const s: Suggestion = {
      bucket,
      error_codes: [...new Set(errs.map((x) => x.code))],
      count: errs.length,
      primary: { code: e.code, message: e.message },
      recommended_action: `${e.code}${where ? ` (${where})` : ""}: ${action}`,
      next_command: nextCommand(bucket, e, { mode: input.mode, stack: input.stack, urn }),
    };
    if (service) s.primary.service = service;
    if (level) s.primary.level = level;
    if (resource) s.primary.resource = resource;
    if (keyPath) s.primary.path = keyPath;
    if (bucket === "config") s.example_patch = str(d.examplePatch) ?? patchFor(e.code, keyPath, input.stack);
    active.push(s);
  }
  return {
    run_id: input.runId,
    mode: input.mode,
    stack: input.stack,
    active_buckets: active,
    resolved_buckets: BUCKETS.filter((b) => !byBucket.has(b)),
  };
}
