// The config contract in one call: version check (P2) -> semantic rules (P19) -> zod schema.
// All findings are collected and returned together; nothing here throws on bad input (a property
// test feeds it arbitrary values). config:lint, loadStackConfig (index.ts) and the scripts that
// read stack files all go through lintConfig, so they report the same findings.
import { z } from "zod";
import { CURRENT_SCHEMA_VERSION, StackConfig, StackConfigSchema } from "./schema";
import { Finding, PROJECT_NAMESPACE, PathSeg, finding, formatPath, show, stackPatch } from "./findings";
import { getAt, isRecord } from "./values";
import { DEFAULT_IMAGES } from "./examples";
import { Raw, RuleResult, SEMANTIC_RULES, SECRET_CONFIG_KEYS, SECRET_STAND_IN, withSecretLeaves } from "./rules";
import { detectVersion, migrateConfig, versionFinding } from "../migrations";

export interface LintOptions {
  /** Short keys whose value is a Pulumi secret (`secure:` in the file, isConfigSecret at run time). */
  secretKeys?: Iterable<string>;
  /** image reference -> its digest where known (requireImageDigests makes a missing pin an error). */
  digests?: Readonly<Record<string, string>>;
  /** true: upgrade an older config (loadStackConfig). false (config:lint): report E_CONFIG_NEEDS_MIGRATION. */
  migrate?: boolean;
}

export interface LintResult {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
  /** The parsed config (defaults applied) when there are no errors. */
  config?: StackConfig;
  /** Set when an older config was migrated on the way (migrate: true). */
  migratedFrom?: number;
  migrationNotes?: string[];
}

/** A valid current-schema config (the test stack's values): the source of example values in patches. */
export const EXAMPLE_CONFIG = {
  schemaVersion: 3,
  projectName: "logging-test",
  offlineMode: false,
  // A fleet of one (what a migrated v2 stack is); docs/FLEET.md shows more hosts.
  hosts: [{ name: "local", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "127.0.0.1" }],
  exposure: { bindAddress: "127.0.0.1", lanExposed: false, loopbackOnly: ["loki"] },
  ports: { grafana: 9101, loki: 9102, alloy: 9103, prometheus: 9104, nodeExporter: 9105, cadvisor: 9106, alertmanager: 9107 },
  gateway: { port: 9109 },
  paths: {
    logsRoot: "/tmp/bootstrap-test/logs",
    telemetryRoot: "/tmp/bootstrap-test/telemetry",
    dataRoot: "/srv/logging-test/data",
    dockerSocket: "/var/run/docker.sock",
    journalDir: "/var/log/journal",
  },
  images: { ...DEFAULT_IMAGES },
  retention: { logs: "30d", metrics: "15d" },
  alloy: {
    dockerAllowlist: ["logging-test-grafana"],
    journaldUnits: ["docker.service"],
    redactions: [{ name: "password_kv", pattern: "(?i)password=([^\\s&]+)", replacement: "***REDACTED***", canary: "password=canary-not-a-secret" }],
  },
  verify: {
    enabled: true,
    timeoutSeconds: 120,
    cardinalityLimit: 100,
    requiredLabels: ["job", "filename"],
    health: true,
    reachability: true,
    ingestion: true,
    labels: true,
    dashboards: true,
    rules: true,
    provenance: true,
    configDrift: true,
    alertDelivery: true,
  },
  limits: { grafana: 1024, loki: 2048, alloy: 512, prometheus: 2048, nodeExporter: 128, cadvisor: 256, alertmanager: 128 },
  alerting: {
    receivers: [
      // "<secret>" is the lint's stand-in for a secure: value (credentials are only ever Pulumi secrets).
      { name: "oncall", webhook: { url: "<secret>" } },
      { name: "team-mail", email: { to: "oncall@example.com", from: "alertmanager@example.com", smarthost: "smtp.example.com:587", authUsername: "alertmanager", requireTls: true } },
      { name: "team-chat", slack: { apiUrl: "<secret>", channel: "#alerts" } },
    ],
    routes: [
      { severity: "critical", receiver: "oncall" },
      { severity: "warning", receiver: "team-mail" },
    ],
    defaultReceiver: "oncall",
    watchdogReceiver: "oncall",
    lanExposed: false,
  },
} as const;

/** Example value at `path` (array indices read element 0); undefined when the path is not in the example. */
export function exampleAt(path: readonly PathSeg[]): unknown {
  return getAt(EXAMPLE_CONFIG, path.map((s) => (typeof s === "number" ? 0 : s)));
}

export function lintConfig(input: unknown, opts: LintOptions = {}): LintResult {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const secretKeys = new Set(opts.secretKeys ?? []);

  if (!isRecord(input)) {
    errors.push(
      finding("E_CONFIG_SCHEMA", "", `the configuration must be a mapping of logging-bootstrap:<key> entries, got ${describe(input)}`, stackPatch(["schemaVersion"], CURRENT_SCHEMA_VERSION)),
    );
    return { ok: false, errors, warnings };
  }

  let raw: Raw = input;
  let migratedFrom: number | undefined;
  let migrationNotes: string[] | undefined;
  const detected = detectVersion(raw);
  if (detected.kind === "version" && detected.version < CURRENT_SCHEMA_VERSION) {
    if (!opts.migrate) {
      errors.push(
        finding(
          "E_CONFIG_NEEDS_MIGRATION",
          "schemaVersion" in raw ? ["schemaVersion"] : "",
          `this is a schema v${detected.version} config${detected.version === 0 ? " (the original JSON shape: snake_case keys)" : ""}; the current schema is v${CURRENT_SCHEMA_VERSION}. Run \`npm run -s config:migrate -- <file> > Pulumi.<stack>.yaml\`, review the result and lint it again`,
          stackPatch(["schemaVersion"], CURRENT_SCHEMA_VERSION, "the start of what `npm run -s config:migrate -- <file>` prints; use its whole output"),
        ),
      );
      return { ok: false, errors, warnings };
    }
    const m = migrateConfig(raw);
    if (!m.config) return { ok: false, errors: [...errors, ...m.findings], warnings };
    raw = m.config;
    migratedFrom = m.fromVersion;
    migrationNotes = m.notes;
  } else if (detected.kind !== "version" || detected.version > CURRENT_SCHEMA_VERSION) {
    const vf = versionFinding(detected);
    if (vf) errors.push(vf);
    // A newer or unreadable version means the rest of the shape is unknown: stop here.
    if (detected.kind !== "missing") return { ok: false, errors, warnings };
  }

  const ctx = { secretKeys, digests: opts.digests };
  for (const rule of SEMANTIC_RULES) {
    let r: RuleResult;
    try {
      r = rule(raw, ctx);
    } catch (err) {
      // A rule crashing is a bug in the rule; report it coded instead of dying (P4).
      r = { errors: [finding("E_INTERNAL", "", `lint rule ${rule.name} failed: ${err instanceof Error ? err.message : String(err)}`, stackPatch(["schemaVersion"], CURRENT_SCHEMA_VERSION))], warnings: [] };
    }
    errors.push(...r.errors);
    warnings.push(...r.warnings);
  }

  // Secret leaves (alerting.receivers[].*, hosts[].docker.tls.*) become the stand-in too: the parsed config, which
  // reaches renderers, outputs and evidence, never carries one; the values travel as Pulumi secrets.
  const schemaInput: Raw = withSecretLeaves({ ...raw });
  // Here the version is current (possibly as the runtime's string "1", or after migration) or missing
  // and already reported; the version check owns that key, so the schema sees the number.
  schemaInput.schemaVersion = CURRENT_SCHEMA_VERSION;
  for (const k of SECRET_CONFIG_KEYS) if (schemaInput[k] !== undefined) schemaInput[k] = SECRET_STAND_IN;
  const parsed = StackConfigSchema.safeParse(schemaInput);
  if (!parsed.success) {
    const covered = errors.map((f) => f.path);
    for (const f of schemaFindings(parsed.error, schemaInput)) {
      if (covered.some((c) => c !== "" && (f.path === c || f.path.startsWith(`${c}.`) || f.path.startsWith(`${c}[`)))) continue;
      errors.push(f);
    }
  }

  const ok = errors.length === 0;
  const result: LintResult = { ok, errors, warnings };
  if (ok && parsed.success) {
    const config = { ...parsed.data };
    delete config.grafanaAdminPassword; // never carry even the stand-in
    result.config = config;
  }
  if (migratedFrom !== undefined) {
    result.migratedFrom = migratedFrom;
    result.migrationNotes = migrationNotes;
  }
  return result;
}

/**
 * Full config keys whose namespace is a misspelling of ours (`logging-bootstrp:ports`): Pulumi would
 * file them under another namespace and the program would silently never see them.
 */
export function namespaceFindings(fullKeys: Iterable<string>): Finding[] {
  const out: Finding[] = [];
  for (const full of fullKeys) {
    const colon = full.indexOf(":");
    if (colon <= 0) continue;
    const ns = full.slice(0, colon);
    if (ns === PROJECT_NAMESPACE || closest(ns, [PROJECT_NAMESPACE]) === undefined) continue;
    const key = full.slice(colon + 1);
    out.push(
      finding(
        "E_CONFIG_SCHEMA",
        key,
        `config key ${JSON.stringify(full)} is in namespace ${JSON.stringify(ns)}, not ${PROJECT_NAMESPACE}; the program would never read it`,
        stackPatch([key], "<the same value>", `rename ${full} to ${PROJECT_NAMESPACE}:${key}`),
      ),
    );
  }
  return out;
}

/** zod issues -> findings: unknown key (with a did-you-mean), missing key, or any other schema error. */
export function schemaFindings(error: z.ZodError, input: unknown): Finding[] {
  const out: Finding[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((s): s is string | number => typeof s === "string" || typeof s === "number");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const shape = exampleAt(path);
        const known = isRecord(shape) ? Object.keys(shape) : [];
        const guess = closest(key, known);
        const where = path.length === 0 ? "the logging-bootstrap namespace" : formatPath(path);
        const value = getAt(input, keyPath);
        const inArray = path.some((s) => typeof s === "number");
        const patch = inArray
          ? patchAt(input, keyPath, DELETE, guess ? `rename ${key} to ${guess}` : `delete ${key}`, guess ? { [guess]: value } : undefined)
          : guess
            ? stackPatch([...path, guess], value ?? exampleAt([...path, guess]), `rename ${key} to ${guess}`)
            : stackPatch(path.length === 0 ? ["projectName"] : path, path.length === 0 ? EXAMPLE_CONFIG.projectName : shape, `delete ${formatPath(keyPath)}; the keys allowed in ${where} are: ${known.join(", ")}`);
        out.push(finding("E_CONFIG_SCHEMA", keyPath, `unknown key ${formatPath(keyPath)} in ${where}${guess ? ` (did you mean ${guess}?)` : ""}`, patch));
      }
      continue;
    }
    const value = getAt(input, path);
    const example = exampleAt(path);
    const patch =
      path.length === 0
        ? stackPatch(["schemaVersion"], CURRENT_SCHEMA_VERSION)
        : patchAt(input, path, example ?? "<value>", example === undefined ? "replace <value> with a valid value" : undefined);
    if (issue.code === "invalid_type" && value === undefined) {
      out.push(finding("E_CONFIG_MISSING_KEY", path, `required key ${formatPath(path)} is missing`, patch));
    } else {
      out.push(finding("E_CONFIG_SCHEMA", path, `${formatPath(path) || "config"}: ${issue.message} (got ${describe(value)})`, patch));
    }
  }
  return out;
}

const DELETE = Symbol("delete");

/**
 * Patch setting `path` to `fix`. Inside a list the patch carries the whole list with that one
 * element fixed, because a YAML list is replaced as a whole, never merged element by element.
 */
function patchAt(input: unknown, path: readonly PathSeg[], fix: unknown, comment?: string, extra?: Record<string, unknown>): string {
  const k = path.findIndex((s) => typeof s === "number");
  if (k < 0) return stackPatch(path, fix, comment);
  const listPath = path.slice(0, k);
  const list = getAt(input, listPath);
  if (!Array.isArray(list)) return stackPatch(path, fix, comment);
  const copy = JSON.parse(JSON.stringify(list)) as unknown[];
  const idx = path[k] as number;
  const rest = path.slice(k + 1);
  if (rest.length === 0) {
    copy[idx] = fix;
  } else {
    let el = copy[idx];
    if (!isRecord(el)) el = copy[idx] = JSON.parse(JSON.stringify(exampleAt(path.slice(0, k + 1)) ?? {}));
    let cur = el as Record<string, unknown>;
    for (const seg of rest.slice(0, -1)) {
      if (!isRecord(cur[String(seg)])) cur[String(seg)] = {};
      cur = cur[String(seg)] as Record<string, unknown>;
    }
    const last = String(rest[rest.length - 1]);
    if (fix === DELETE) delete cur[last];
    else cur[last] = fix;
    if (extra) Object.assign(cur, extra);
  }
  return stackPatch(listPath, copy, comment);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string ${show(v)}`;
  return `${typeof v} ${show(v)}`;
}

/** The known key nearest to `key` (edit distance <= 2, or same letters ignoring case/_/-). */
export function closest(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = norm(k) === norm(key) ? 0 : editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= 2 ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
