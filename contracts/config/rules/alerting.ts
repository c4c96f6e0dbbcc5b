// alerting (schema v2): receivers, routes and the names that tie them together.
import { finding, formatPath, show, stackPatch } from "../findings";
import { suggestPort } from "../examples";
import { isRecord, isValidPort } from "../values";
import { BLACKHOLE_RECEIVER } from "../schema";
import { ALERTMANAGER_RECEIVER_MIN, atLeast, CURRENT_IMAGES, formatVersion, imageVersion, ReceiverKind } from "../versions";
import { empty, Raw, RuleResult } from "./types";

const KINDS = ["webhook", "email", "slack"] as const;

/**
 * Each receiver has exactly one integration (its delivery and its failure metric stay
 * unambiguous), names are unique, and every route, defaultReceiver and watchdogReceiver names a
 * receiver (or the built-in `blackhole`). alerting.lanExposed needs exposure.lanExposed too.
 * The alert delivery proof (L9, on unless verify.alertDelivery or verify.enabled is false) reaches
 * Alertmanager through its published port, so it needs ports.alertmanager.
 */
export function ruleAlerting(raw: Raw): RuleResult {
  const out = empty();
  const verify = isRecord(raw.verify) ? raw.verify : {};
  if (isRecord(raw.ports) && raw.ports.alertmanager === undefined && verify.enabled !== false && verify.alertDelivery !== false) {
    const used = new Set(Object.values(raw.ports).filter(isValidPort));
    out.errors.push(
      finding(
        "E_CONFIG_MISSING_KEY",
        ["ports", "alertmanager"],
        "ports.alertmanager is not set, but the alert delivery proof (verify.alertDelivery, on by default) reaches Alertmanager through its published port (bound to 127.0.0.1 unless alerting.lanExposed)",
        stackPatch(["ports", "alertmanager"], suggestPort("alertmanager", used), "or turn the proof off with verify.alertDelivery: false"),
      ),
    );
  }
  const a = raw.alerting;
  if (!isRecord(a)) return out;
  const receivers = Array.isArray(a.receivers) ? a.receivers : [];
  const names = new Set<string>([BLACKHOLE_RECEIVER]);
  receivers.forEach((r, i) => {
    if (!isRecord(r)) return;
    const kinds = KINDS.filter((k) => r[k] !== undefined);
    if (kinds.length !== 1) {
      out.errors.push(
        finding(
          "E_CONFIG_SCHEMA",
          ["alerting", "receivers", i],
          `alerting.receivers[${i}] (${show(r.name, 40)}) has ${kinds.length === 0 ? "no integration" : `${kinds.join(" and ")}`}; a receiver has exactly one of webhook, email, slack (routes to nowhere go to the built-in ${BLACKHOLE_RECEIVER} receiver)`,
          stackPatch(["alerting", "receivers", i], { name: typeof r.name === "string" ? r.name : "oncall", webhook: { url: { secure: "v1:<ciphertext>" } } }, "one integration per receiver; split the others into receivers of their own"),
        ),
      );
    }
    if (typeof r.name !== "string") return;
    if (names.has(r.name) && r.name !== BLACKHOLE_RECEIVER) {
      out.errors.push(finding("E_CONFIG_SCHEMA", ["alerting", "receivers", i, "name"], `alerting.receivers[${i}].name ${show(r.name, 40)} is used twice; receiver names are unique`, stackPatch(["alerting", "receivers", i, "name"], `${r.name}-${i}`)));
    }
    names.add(r.name);
  });
  const known = [...names];
  const check = (path: (string | number)[], v: unknown) => {
    if (typeof v !== "string" || names.has(v)) return;
    out.errors.push(
      finding("E_CONFIG_SCHEMA", path, `${formatPath(path)} names receiver ${show(v, 40)}, which alerting.receivers does not define (known: ${known.join(", ")})`, stackPatch(path, known[known.length - 1])),
    );
  };
  check(["alerting", "defaultReceiver"], a.defaultReceiver);
  check(["alerting", "watchdogReceiver"], a.watchdogReceiver);
  if (Array.isArray(a.routes)) a.routes.forEach((r, i) => isRecord(r) && check(["alerting", "routes", i, "receiver"], r.receiver));
  if (a.lanExposed === true && !(isRecord(raw.exposure) && raw.exposure.lanExposed === true)) {
    out.errors.push(
      finding(
        "E_CONFIG_EXPOSURE",
        ["alerting", "lanExposed"],
        "alerting.lanExposed is true but exposure.lanExposed is not: Alertmanager's API (which can silence every alert) may only leave this host when LAN exposure is an explicit decision for the stack",
        stackPatch(["alerting", "lanExposed"], false, "or set exposure.lanExposed: true with a non-loopback exposure.bindAddress"),
      ),
    );
  }
  return out;
}

/**
 * Every receiver kind can be run by the pinned Alertmanager (ALERTMANAGER_RECEIVER_MIN): below a
 * kind's minimum the receiver is refused, with the current pin as the patch. A tag that is not a
 * version is ruleImageVersions' to report.
 */
export function ruleReceiverVersions(raw: Raw): RuleResult {
  const out = empty();
  const image = isRecord(raw.images) ? raw.images.alertmanager : undefined;
  const v = typeof image === "string" ? imageVersion(image) : undefined;
  const receivers = isRecord(raw.alerting) && Array.isArray(raw.alerting.receivers) ? raw.alerting.receivers : [];
  if (!v) return out;
  receivers.forEach((r, i) => {
    if (!isRecord(r)) return;
    for (const kind of Object.keys(ALERTMANAGER_RECEIVER_MIN) as ReceiverKind[]) {
      const need = ALERTMANAGER_RECEIVER_MIN[kind];
      if (r[kind] === undefined || atLeast(v, need.min)) continue;
      out.errors.push(
        finding(
          "E_CONFIG_RECEIVER_UNSUPPORTED",
          ["alerting", "receivers", i, kind],
          `alerting.receivers[${i}] (${show(r.name, 40)}) is a ${kind} receiver, which Alertmanager runs with its credential read from ${need.file} only from ${need.min} (${need.why}); images.alertmanager is ${formatVersion(v)}`,
          stackPatch(["images", "alertmanager"], CURRENT_IMAGES.alertmanager, `or any Alertmanager from ${need.min}; or remove the ${kind} receiver`),
        ),
      );
    }
  });
  return out;
}
