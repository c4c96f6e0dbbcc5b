// Semantic lint rules (P19): what a schema cannot say, or cannot say with a useful patch.
// Every rule is a pure function over the *raw* namespace object (values as the stack file
// holds them, before zod), so it never assumes a shape: arbitrary input yields findings, never
// a crash. The policy pack reuses the predicates (isPinnedImage, isDnsLabel, parseDuration, ...).
import path from "node:path";
import { Finding, finding, show, stackPatch } from "./findings";
import { DEFAULT_IMAGES, suggestDuration, suggestPort } from "./examples";
import { SERVICES } from "./schema";
import {
  DERIVED_NAME_SUFFIXES,
  getAt,
  hostPathProblem,
  isDnsLabel,
  isIPv4,
  isLoopbackIPv4,
  isPinnedImage,
  isRecord,
  isValidPort,
  MAX_PORT,
  MAX_PROJECT_NAME_LENGTH,
  MIN_PORT,
  normalizeHostPath,
  parseDuration,
  toDnsLabel,
} from "./values";

export type Raw = Record<string, unknown>;

export interface RuleResult {
  errors: Finding[];
  warnings: Finding[];
}

export interface RuleContext {
  /** Short keys (inside the namespace) whose value is a Pulumi secret (`secure:` / isConfigSecret). */
  secretKeys: ReadonlySet<string>;
}

// ---------------------------------------------------------------- rules

const empty = (): RuleResult => ({ errors: [], warnings: [] });

/** ports.<service>: integers in 1024-65535, unique across services. */
export function rulePorts(raw: Raw): RuleResult {
  const out = empty();
  const ports = raw.ports;
  if (!isRecord(ports)) return out;
  const used = new Set<number>();
  for (const v of Object.values(ports)) if (isValidPort(v)) used.add(v);
  const seen = new Map<number, string>();
  for (const [svc, v] of Object.entries(ports)) {
    if (v === undefined) continue;
    if (!isValidPort(v)) {
      const fix = suggestPort(svc, used);
      const what = typeof v === "string" ? `a string (${show(v, 40)}), not an integer` : show(v, 40);
      out.errors.push(
        finding("E_CONFIG_INVALID_PORT", ["ports", svc], `ports.${svc} is ${what}; published ports must be integers between ${MIN_PORT} and ${MAX_PORT}`, stackPatch(["ports", svc], fix)),
      );
      continue;
    }
    const prev = seen.get(v);
    if (prev !== undefined) {
      const fix = suggestPort(svc, used);
      used.add(fix);
      out.errors.push(
        finding("E_CONFIG_PORT_DUPLICATE", ["ports", svc], `ports.${svc} (${v}) is already published by ports.${prev}; every service needs its own host port`, stackPatch(["ports", svc], fix)),
      );
    } else {
      seen.set(v, svc);
    }
  }
  return out;
}

/** paths.<name>: absolute host paths (P9). */
export function rulePaths(raw: Raw): RuleResult {
  const out = empty();
  const paths = raw.paths;
  if (!isRecord(paths)) return out;
  const project = isDnsLabel(raw.projectName) ? (raw.projectName as string) : "logging-bootstrap";
  for (const [name, v] of Object.entries(paths)) {
    if (typeof v !== "string") continue; // non-strings: the schema reports them
    const problem = hostPathProblem(v);
    if (problem === undefined) continue;
    if (problem === "not-normal") {
      out.errors.push(
        finding("E_CONFIG_PATH_NOT_ABSOLUTE", ["paths", name], `paths.${name} is ${JSON.stringify(v.slice(0, 200))}, which is not in normal form ('.', '..' or '//' segments); it resolves to ${normalizeHostPath(v)}, so write that`, stackPatch(["paths", name], normalizeHostPath(v))),
      );
      continue;
    }
    const rel = path.posix.normalize(v.replace(/\0/g, "")).replace(/^(\.\.\/)+/, "").replace(/^\.\/?/, "");
    const fix = path.posix.join("/srv", project, rel === "" ? name : rel);
    out.errors.push(
      finding("E_CONFIG_PATH_NOT_ABSOLUTE", ["paths", name], `paths.${name} is ${JSON.stringify(v.slice(0, 200))}, a relative path; host paths must be absolute so they do not depend on the working directory`, stackPatch(["paths", name], fix)),
    );
  }
  return out;
}

/** projectName: a DNS label short enough that every name derived from it is one too. */
export function ruleProjectName(raw: Raw): RuleResult {
  const out = empty();
  const v = raw.projectName;
  if (typeof v !== "string") return out;
  if (isDnsLabel(v)) {
    if (v.length <= MAX_PROJECT_NAME_LENGTH) return out;
    const longest = DERIVED_NAME_SUFFIXES.reduce((a, b) => (b.length > a.length ? b : a));
    out.errors.push(
      finding(
        "E_CONFIG_NAME_NOT_DNS_SAFE",
        ["projectName"],
        `projectName is ${v.length} characters; derived Docker names such as ${JSON.stringify(v + longest)} must stay DNS labels (at most 63), so projectName may have at most ${MAX_PROJECT_NAME_LENGTH}`,
        stackPatch(["projectName"], v.slice(0, MAX_PROJECT_NAME_LENGTH).replace(/-+$/, "")),
      ),
    );
    return out;
  }
  out.errors.push(
    finding(
      "E_CONFIG_NAME_NOT_DNS_SAFE",
      ["projectName"],
      `projectName ${JSON.stringify(v.slice(0, 80))} is not a DNS label (lowercase letters, digits and '-', 1-63 characters, no leading or trailing '-')`,
      stackPatch(["projectName"], toDnsLabel(v).slice(0, MAX_PROJECT_NAME_LENGTH).replace(/-+$/, "") || "logging-bootstrap"),
    ),
  );
  return out;
}

/** images.<service>: exact tag, optional digest; a tag without digest is a warning (tags can be re-pushed). */
export function ruleImages(raw: Raw): RuleResult {
  const out = empty();
  const images = raw.images;
  if (!isRecord(images)) return out;
  for (const [svc, v] of Object.entries(images)) {
    if (typeof v !== "string" || v === "") continue; // the schema reports non-strings
    const verdict = isPinnedImage(v);
    const known = (DEFAULT_IMAGES as Record<string, string>)[svc];
    if (verdict.pinned) {
      if (!verdict.hasDigest) {
        out.warnings.push(
          finding(
            "E_CONFIG_IMAGE_NO_DIGEST",
            ["images", svc],
            `images.${svc} ${JSON.stringify(v)} is pinned by tag only; a tag can be re-pushed, a digest cannot (L7 still records the digest it pulled)`,
            stackPatch(["images", svc], `${v}@sha256:<64 hex digits from: docker buildx imagetools inspect ${v}>`, "optional: append the digest you trust"),
          ),
        );
      }
      continue;
    }
    const repo = verdict.ref?.repository;
    const fix = known && (repo === undefined || known.startsWith(`${repo}:`)) ? known : `${repo ?? "registry.example/image"}:1.2.3`;
    const why =
      verdict.reason === "latest"
        ? "uses :latest, which moves"
        : verdict.reason === "moving-tag"
          ? `uses the moving tag :${verdict.ref?.tag}`
          : verdict.reason === "untagged"
            ? "has no tag (a bare name means :latest; a digest alone hides the version)"
            : "is not a valid image reference";
    out.errors.push(
      finding(
        "E_CONFIG_IMAGE_UNPINNED",
        ["images", svc],
        `images.${svc} ${JSON.stringify(v.slice(0, 200))} ${why}; pin an exact version tag, optionally with @sha256:<digest>`,
        stackPatch(["images", svc], fix, fix === known ? undefined : "replace 1.2.3 with the exact version you run"),
      ),
    );
  }
  return out;
}

/** Every toggle of schema v1 (a test checks this list against the JSON Schema's boolean properties). */
export const BOOLEAN_PATHS: readonly (readonly string[])[] = [
  ["offlineMode"],
  ["exposure", "lanExposed"],
  ["cadvisor", "privileged"],
  ...["enabled", "health", "reachability", "ingestion", "labels", "dashboards", "rules", "provenance", "configDrift"].map((k) => ["verify", k]),
];


/** Toggles are real booleans: the string "true" (or yes/on/1) is an error, with the unquoted value as patch. */
export function ruleBooleans(raw: Raw): RuleResult {
  const out = empty();
  for (const p of BOOLEAN_PATHS) {
    const v = getAt(raw, p);
    if (v === undefined || typeof v === "boolean") continue;
    const s = typeof v === "string" ? v.trim().toLowerCase() : show(v);
    const fix = ["true", "yes", "on", "1", "y"].includes(s) ? true : false;
    out.errors.push(
      finding(
        "E_CONFIG_NOT_BOOLEAN",
        p,
        `${p.join(".")} is ${typeof v === "string" ? `the string ${show(v, 40)}` : `${v === null ? "null" : typeof v} ${show(v, 40)}`}, not a boolean; write an unquoted true or false`,
        stackPatch(p, fix),
      ),
    );
  }
  return out;
}

/** exposure: any non-loopback bindAddress (0.0.0.0 above all) needs an explicit lanExposed: true. */
export function ruleExposure(raw: Raw): RuleResult {
  const out = empty();
  const exp = raw.exposure;
  if (!isRecord(exp)) return out;
  const addr = exp.bindAddress;
  if (!isIPv4(addr) || isLoopbackIPv4(addr)) return out;
  if (exp.lanExposed === true) return out;
  out.errors.push(
    finding(
      "E_CONFIG_EXPOSURE",
      ["exposure", "bindAddress"],
      `exposure.bindAddress ${addr} publishes ports beyond this host${addr === "0.0.0.0" ? " (on every interface)" : ""} but exposure.lanExposed is not true; LAN exposure must be an explicit decision`,
      stackPatch(["exposure"], { bindAddress: "127.0.0.1", lanExposed: false }, `either bind to loopback (below), or keep bindAddress: ${addr} and set lanExposed: true`),
    ),
  );
  return out;
}

/**
 * The shortest retention accepted for logs and metrics. Loki's limits validation refuses a
 * retention_period below 24h (its index period); the retention-enforced policy uses the same
 * value as its default minimum, so a config the lint passes cannot fail that policy.
 */
export const MIN_RETENTION = "24h";
export const MIN_RETENTION_MS = 24 * 3600e3;

/** retention.logs / retention.metrics parse as durations of at least MIN_RETENTION (30d, 720h, 1w2d). */
export function ruleRetention(raw: Raw): RuleResult {
  const out = empty();
  const ret = raw.retention;
  if (!isRecord(ret)) return out;
  const defaults: Record<string, string> = { logs: "30d", metrics: "15d" };
  for (const key of ["logs", "metrics"]) {
    const v = ret[key];
    if (v === undefined) continue;
    const ms = parseDuration(v);
    if (ms !== undefined && ms >= MIN_RETENTION_MS) continue;
    if (ms !== undefined && ms > 0) {
      out.errors.push(
        finding(
          "E_CONFIG_DURATION",
          ["retention", key],
          `retention.${key} ${show(v, 40)} is shorter than the minimum ${MIN_RETENTION} (Loki refuses a shorter retention_period; the retention-enforced policy blocks it)`,
          stackPatch(["retention", key], defaults[key]),
        ),
      );
      continue;
    }
    const shown = typeof v === "string" ? show(v, 40) : `${v === null ? "null" : typeof v} ${show(v, 40)}`;
    out.errors.push(
      finding(
        "E_CONFIG_DURATION",
        ["retention", key],
        `retention.${key} ${shown} is not a positive duration; use <number><unit> groups from largest to smallest unit (y w d h m s ms), e.g. 30d, 720h, 2w`,
        stackPatch(["retention", key], suggestDuration(v) ?? defaults[key]),
      ),
    );
  }
  return out;
}

/**
 * alloy.dockerAllowlist and alloy.journaldUnits are non-empty (P15). Without them the rendered
 * Alloy config has no allowlisted source, which the mandatory alloy-allowlists policy blocks; the
 * lint says so first, with a patch, instead of letting `pulumi preview` fail later.
 */
export function ruleAlloyAllowlists(raw: Raw): RuleResult {
  const out = empty();
  const alloy = raw.alloy === undefined ? {} : raw.alloy;
  if (!isRecord(alloy)) return out; // the schema reports a non-mapping
  const project = isDnsLabel(raw.projectName) ? (raw.projectName as string) : "logging-bootstrap";
  const examples: Record<string, { value: string[]; what: string }> = {
    dockerAllowlist: { value: ["grafana", "loki", "prometheus"].map((s) => `${project}-${s}`), what: "the Docker containers (exact names) whose logs Alloy ships" },
    journaldUnits: { value: ["docker.service"], what: "the systemd units whose journal entries Alloy ships" },
  };
  for (const [key, ex] of Object.entries(examples)) {
    const v = alloy[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) continue; // non-lists: the schema reports them
    out.errors.push(
      finding(
        "E_CONFIG_MISSING_KEY",
        ["alloy", key],
        `alloy.${key} is ${v === undefined ? "missing" : "empty"}; list ${ex.what}, so Alloy reads only what is allowlisted (P15; the alloy-allowlists policy refuses a config without it)`,
        stackPatch(["alloy", key], ex.value),
      ),
    );
  }
  return out;
}

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

export const SEMANTIC_RULES: readonly ((raw: Raw, ctx: RuleContext) => RuleResult)[] = [
  ruleProjectName,
  ruleBooleans,
  ruleExposure,
  rulePorts,
  rulePaths,
  ruleImages,
  ruleRetention,
  ruleAlloyAllowlists,
  ruleSecrets,
];

export { SERVICES };
