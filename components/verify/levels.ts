// The one table of verification levels (ARCHITECTURE.md "Verification levels"): what each level is
// called, the Pulumi type of its proof resource, the code it reports red by default, the verify
// toggle that turns it on and the inputs it cannot run without. Everything else (types.ts' LEVELS,
// the proof resources, the runtime's Check, the suite's report names, enabledLevels, the CLI's
// default codes) derives from here. Pure data: imported by the provider runtime and the scripts.
import type { ErrorCode } from "../../contracts/errors";
import type { StackConfig } from "../../contracts/config/schema";
import type * as checks from "./checks";
import type { Level } from "./types";

/** A verify toggle (verify.<key> in the stack config) that turns one level on. */
export type VerifyToggle = Exclude<{ [K in keyof StackConfig["verify"]]: StackConfig["verify"][K] extends boolean ? K : never }[keyof StackConfig["verify"]], "enabled" | undefined>;

export interface LevelDescriptor {
  level: Level;
  /** The level's name in reports (`verify --json` levels[].name) and the Proofs property. */
  name: string;
  /** Dynamic resource Type (COMMON.md): `pulumi-nodejs:dynamic/logging-bootstrap:<proofType>`. Never change: state holds it. */
  proofType: string;
  /** The code a red result of this level stands for when the report names none. */
  defaultCode: ErrorCode;
  /** verify.<toggle> turns the level on (with verify.enabled). */
  toggle: VerifyToggle;
  /** Inputs the proof cannot run without (Check reports them before anything runs). */
  requiredInputs: readonly string[];
  /** The check function (checks/) the proof runs on its property bag. */
  check: keyof typeof checks & `check${string}`;
  /** Outputs the proof adds besides the verdict (`status`, `code`, `findings`, `level`). */
  extraOutputs?: readonly string[];
  /** A level whose output this one checks (L4 checks the stream of L3's marker): off with it. */
  needs?: Level;
  /** The level probes from inside the stack network (the run's probe session, checks/common.ts probeHttp). */
  probes?: true;
}

export const LEVEL_TABLE: readonly LevelDescriptor[] = [
  { level: "L1", name: "health", proofType: "HealthProof", defaultCode: "E_PROOF_HEALTH", toggle: "health", requiredInputs: ["service", "endpoints", "policy"], check: "checkHealth", probes: true },
  { level: "L2", name: "reachability", proofType: "ReachabilityProof", defaultCode: "E_NETWORK_UNREACHABLE", toggle: "reachability", requiredInputs: ["probe", "url", "expectStatus"], check: "checkReachability", probes: true },
  {
    level: "L3",
    name: "ingestion",
    proofType: "IngestionProof",
    defaultCode: "E_PROOF_INGESTION_TIMEOUT",
    toggle: "ingestion",
    requiredInputs: ["lokiUrl", "logsRoot", "markerFile", "timeoutSeconds", "pollIntervalMs"],
    check: "checkIngestionProof",
    // The marker of the last apply: the line whose stream the label proof checks.
    extraOutputs: ["marker"],
  },
  {
    level: "L4",
    name: "labels",
    proofType: "LabelProof",
    defaultCode: "E_PROOF_LABEL_MISSING",
    toggle: "labels",
    requiredInputs: ["lokiUrl", "requiredLabels", "cardinalityLimit", "alloyConfig", "projectName", "markerSelector", "retentionSeconds", "ingestionTimeoutSeconds", "redactions"],
    check: "checkLabels",
    needs: "L3",
  },
  { level: "L5", name: "dashboards", proofType: "DashboardProof", defaultCode: "E_PROOF_DASHBOARDS", toggle: "dashboards", requiredInputs: ["grafanaUrl", "dashboards"], check: "checkDashboards" },
  { level: "L6", name: "rules", proofType: "RuleProof", defaultCode: "E_PROOF_RULES", toggle: "rules", requiredInputs: ["prometheusUrl", "expectedRules"], check: "checkRules" },
  { level: "L7", name: "provenance", proofType: "ProvenanceProof", defaultCode: "E_PROOF_PROVENANCE_MISMATCH", toggle: "provenance", requiredInputs: ["containers"], check: "checkProvenance" },
  { level: "L8", name: "configDrift", proofType: "ConfigDriftProof", defaultCode: "E_PROOF_CONFIG_DRIFT", toggle: "configDrift", requiredInputs: ["containers"], check: "checkConfigDrift" },
  {
    level: "L9",
    name: "alertDelivery",
    proofType: "AlertDeliveryProof",
    defaultCode: "E_PROOF_ALERT_NOT_DELIVERED",
    toggle: "alertDelivery",
    requiredInputs: ["alertmanagerUrl", "expectedLabels", "timeoutMs", "pollMs"],
    check: "checkAlertDelivery",
  },
];

/** The descriptor of each level. */
export const LEVEL: Readonly<Record<Level, LevelDescriptor>> = Object.fromEntries(LEVEL_TABLE.map((d) => [d.level, d])) as Record<Level, LevelDescriptor>;

/** One field of every level, keyed by level. */
export function byLevel<K extends keyof LevelDescriptor>(key: K): Record<Level, LevelDescriptor[K]> {
  return Object.fromEntries(LEVEL_TABLE.map((d) => [d.level, d[key]])) as Record<Level, LevelDescriptor[K]>;
}

export const LEVELS: readonly Level[] = LEVEL_TABLE.map((d) => d.level);
export const LEVEL_NAMES: Record<Level, string> = byLevel("name");
/** Dynamic resource Type (COMMON.md) per level. */
export const PROOF_TYPES: Record<Level, string> = byLevel("proofType");
/** Inputs each level cannot run without (Check reports them before anything runs). */
export const REQUIRED_INPUTS: Record<Level, readonly string[]> = byLevel("requiredInputs");
/** The code a red level stands for when the report names none. */
export const LEVEL_DEFAULT_CODES: Record<Level, ErrorCode> = byLevel("defaultCode");

/** A proof's resource name after the project: its name in kebab case (`config-drift`). */
export function proofSuffix(level: Level): string {
  return LEVEL[level].name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
