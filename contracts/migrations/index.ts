// Config migration registry (P2): v0 -> v1 -> v2 -> v3. A config is upgraded one version at a time, each step a pure
// function; a config already at CURRENT_SCHEMA_VERSION is returned unchanged, so migrating twice
// equals migrating once. Versions newer than the code, or configs without any version, are refused
// with E_CONFIG_SCHEMA_VERSION (we cannot guess what a future or unknown shape means).
import { CURRENT_SCHEMA_VERSION } from "../config/schema";
import { Finding, finding, show, stackPatch } from "../config/findings";
import { isRecord } from "../config/values";
import { v0ToV1 } from "./v0_to_v1";
import { v1ToV2 } from "./v1_to_v2";
import { v2ToV3 } from "./v2_to_v3";

export type RawConfig = Record<string, unknown>;

export interface MigrationStep {
  from: number;
  to: number;
  description: string;
  up(config: RawConfig): { config: RawConfig; notes: string[] };
}

export const MIGRATIONS: readonly MigrationStep[] = [
  {
    from: 0,
    to: 1,
    description: "the original JSON config (snake_case: schema_version, compose_project_name, path_map, image_pins, toggles) -> schema v1",
    up: v0ToV1,
  },
  {
    from: 1,
    to: 2,
    description: "Alertmanager as the seventh service: images.alertmanager, the alerting defaults (blackhole receiver), ports.alertmanager on loopback",
    up: v1ToV2,
  },
  {
    from: 2,
    to: 3,
    description: "the fleet: a v2 stack is a fleet of one, hosts: [local] (central, unix://<paths.dockerSocket>, 127.0.0.1); nothing it deploys changes",
    up: v2ToV3,
  },
];

/** Keys only the v0 (original JSON) shape has; any one of them marks a config as v0. */
export const V0_MARKER_KEYS = ["bootstrap_version", "schema_version", "compose_project_name", "path_map", "image_pins", "toggles", "offline_mode", "execution_mode"] as const;

export type DetectedVersion = { kind: "version"; version: number } | { kind: "missing" } | { kind: "invalid"; value: unknown };

export function detectVersion(config: unknown): DetectedVersion {
  if (!isRecord(config)) return { kind: "missing" };
  if (Object.prototype.hasOwnProperty.call(config, "schemaVersion")) {
    const v = config.schemaVersion;
    // Scalars reach the program as strings through the Pulumi runtime ("1").
    const n = typeof v === "number" ? v : typeof v === "string" && /^[0-9]{1,6}$/.test(v.trim()) ? Number(v.trim()) : NaN;
    return Number.isInteger(n) && n >= 0 ? { kind: "version", version: n } : { kind: "invalid", value: v };
  }
  if (V0_MARKER_KEYS.some((k) => Object.prototype.hasOwnProperty.call(config, k))) return { kind: "version", version: 0 };
  return { kind: "missing" };
}

export interface MigrationResult {
  /** Present unless the version was refused. */
  config?: RawConfig;
  fromVersion?: number;
  toVersion: number;
  /** What each step changed or dropped, for the operator (printed as comments by config:migrate). */
  notes: string[];
  /** E_CONFIG_SCHEMA_VERSION when the version is missing, invalid or newer than the code. */
  findings: Finding[];
}

export function versionFinding(detected: DetectedVersion): Finding | undefined {
  const patch = stackPatch(["schemaVersion"], CURRENT_SCHEMA_VERSION);
  if (detected.kind === "missing") {
    return finding(
      "E_CONFIG_SCHEMA_VERSION",
      ["schemaVersion"],
      `schemaVersion is missing, so the config's shape is unknown; if the file already has the v${CURRENT_SCHEMA_VERSION} keys add schemaVersion: ${CURRENT_SCHEMA_VERSION}, if it is an older (original JSON, v0) config run \`npm run -s config:migrate -- <file>\``,
      patch,
    );
  }
  if (detected.kind === "invalid") {
    return finding(
      "E_CONFIG_SCHEMA_VERSION",
      ["schemaVersion"],
      `schemaVersion ${show(detected.value, 40)} is not a version number; the current schema is ${CURRENT_SCHEMA_VERSION}`,
      patch,
    );
  }
  if (detected.version > CURRENT_SCHEMA_VERSION) {
    return finding(
      "E_CONFIG_SCHEMA_VERSION",
      ["schemaVersion"],
      `schemaVersion ${detected.version} is newer than this code supports (${CURRENT_SCHEMA_VERSION}); upgrade logging-bootstrap (git pull && npm ci) before using this config, it cannot be read safely by older code`,
      patch,
    );
  }
  return undefined;
}

/** Upgrade `config` step by step to CURRENT_SCHEMA_VERSION. Never throws on bad input. */
export function migrateConfig(config: RawConfig): MigrationResult {
  const detected = detectVersion(config);
  const refused = versionFinding(detected);
  if (refused || detected.kind !== "version") {
    return { toVersion: CURRENT_SCHEMA_VERSION, notes: [], findings: refused ? [refused] : [] };
  }
  let cur = config;
  let version = detected.version;
  const notes: string[] = [];
  while (version < CURRENT_SCHEMA_VERSION) {
    const step = MIGRATIONS.find((m) => m.from === version);
    if (!step || step.to !== version + 1) {
      // A gap in the registry is a bug in this code, not in the operator's config.
      throw new Error(`no migration registered from schema version ${version}`);
    }
    const r = step.up(cur);
    cur = r.config;
    notes.push(...r.notes.map((n) => `v${step.from}->v${step.to}: ${n}`));
    version = step.to;
  }
  return { config: cur, fromVersion: detected.version, toVersion: version, notes, findings: [] };
}
