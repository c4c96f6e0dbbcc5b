// verify.*: settings that would make a proof vacuous.
import { finding, show, stackPatch } from "../findings";
import { isRecord } from "../values";
import { empty, Raw, RuleResult } from "./types";

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
