// projectName and the boolean toggles.
import { finding, show, stackPatch } from "../findings";
import { DERIVED_NAME_SUFFIXES, forbiddenKeyPaths, getAt, isDnsLabel, MAX_PROJECT_NAME_LENGTH, toDnsLabel } from "../values";
import { empty, Raw, RuleResult } from "./types";
import { VERIFY_LEVEL_TOGGLES } from "./verify";

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

/** Every toggle at a fixed path (a test checks this list against the JSON Schema's boolean properties). */
export const BOOLEAN_PATHS: readonly (readonly string[])[] = [
  ["offlineMode"],
  ["requireImageDigests"],
  ["exposure", "lanExposed"],
  ["cadvisor", "privileged"],
  ["prometheus", "webLifecycle"],
  ["alerting", "lanExposed"],
  ...["enabled", ...VERIFY_LEVEL_TOGGLES].map((k) => ["verify", k]),
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

/**
 * No key named __proto__, constructor or prototype anywhere: copied key by key into an object, such
 * a key would set that object's prototype, and a value hidden there (paths.dataRoot: /) would pass
 * every check that reads own keys only.
 */
export function ruleForbiddenKeys(raw: Raw): RuleResult {
  const out = empty();
  for (const at of forbiddenKeyPaths(raw)) {
    out.errors.push(finding("E_CONFIG_SCHEMA", at, `${at.map(String).join(".")}: the key ${JSON.stringify(at[at.length - 1])} is not allowed anywhere in a stack file`, stackPatch(at.slice(0, -1).length ? at.slice(0, -1) : [String(at[0])], "<the same mapping without that key>")));
  }
  return out;
}
