// verify.*: settings that would make a proof vacuous, or leave an exposed stack unproven.
import { finding, show, stackPatch } from "../findings";
import { VerifySchema } from "../schema";
import { isRecord } from "../values";
import { empty, Raw, RuleResult } from "./types";

/** The verify keys that switch one proof level on or off: every boolean of the schema but `enabled`. */
export const VERIFY_LEVEL_TOGGLES: readonly string[] = Object.entries(VerifySchema.parse({}))
  .filter(([k, v]) => k !== "enabled" && typeof v === "boolean")
  .map(([k]) => k);

/**
 * The cardinality limit L4 enforces per label: below 10 a healthy stack's own labels exceed it,
 * above 2000 no label of a single host's stack plausibly reaches it (Loki's own guidance keeps
 * streams in the thousands per tenant), so L4 could never go red.
 */
export const CARDINALITY_RANGE = [10, 2000] as const;

/** verify.requiredLabels is not empty and verify.cardinalityLimit can go red and green. */
export function ruleVerify(raw: Raw): RuleResult {
  const out = empty();
  const v = raw.verify;
  if (!isRecord(v)) return out;
  if (Array.isArray(v.requiredLabels) && v.requiredLabels.length === 0) {
    out.errors.push(
      finding("E_CONFIG_VERIFY_VACUOUS", ["verify", "requiredLabels"], "verify.requiredLabels is empty: L4 would check no label at all; list the labels every stream must carry", stackPatch(["verify", "requiredLabels"], ["job", "filename"])),
    );
  }
  const limit = v.cardinalityLimit;
  if (typeof limit === "number" && Number.isInteger(limit) && (limit < CARDINALITY_RANGE[0] || limit > CARDINALITY_RANGE[1])) {
    out.errors.push(
      finding(
        "E_CONFIG_VERIFY_VACUOUS",
        ["verify", "cardinalityLimit"],
        `verify.cardinalityLimit ${show(limit)} is outside ${CARDINALITY_RANGE[0]}-${CARDINALITY_RANGE[1]}: ${limit < CARDINALITY_RANGE[0] ? "the stack's own labels exceed it" : "no label could ever reach it"}, so L4 would prove nothing`,
        stackPatch(["verify", "cardinalityLimit"], 100),
      ),
    );
  }
  return out;
}

/**
 * On a LAN-exposed stack (exposure.lanExposed: true) a proof switched off (verify.enabled: false, or
 * a level's own toggle) is a warning: the stack others can reach would go unproven there. One
 * warning for verify.enabled (it switches every level off), else one per level that is off.
 */
export function ruleVerifyExposed(raw: Raw): RuleResult {
  const out = empty();
  const v = raw.verify;
  if (!isRecord(raw.exposure) || raw.exposure.lanExposed !== true || !isRecord(v)) return out;
  const why = "this stack is LAN-exposed (exposure.lanExposed: true): what others can reach is proved in full after every apply and refresh";
  const patchNote = "or keep it off as a recorded decision (the run report lists the level as skipped by config)";
  if (v.enabled === false) {
    out.warnings.push(finding("E_CONFIG_VERIFY_OFF_EXPOSED", ["verify", "enabled"], `verify.enabled is false: no proof runs at all; ${why}`, stackPatch(["verify", "enabled"], true, patchNote)));
    return out;
  }
  for (const k of VERIFY_LEVEL_TOGGLES) {
    if (v[k] !== false) continue;
    out.warnings.push(finding("E_CONFIG_VERIFY_OFF_EXPOSED", ["verify", k], `verify.${k} is false: that proof level does not run; ${why}`, stackPatch(["verify", k], true, patchNote)));
  }
  return out;
}
