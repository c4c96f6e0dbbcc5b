// v1 -> v2: Alertmanager joins the stack. Pure: the input is not modified. Adds what v2 requires
// (images.alertmanager) and the alerting defaults (no receivers: every notification goes to the
// integration-less `blackhole` receiver), and publishes Alertmanager on loopback next to the other
// ports when the layout allows it. Every addition is listed in `notes`.
import { isRecord, isValidPort } from "../config/values";
import { PORT_OFFSETS } from "../config/examples";
import { SUPPORTED } from "../config/versions";

type Raw = Record<string, unknown>;

/** The pin a migrated stack gets (the current one when v2 was introduced, not whatever is current later). */
export const V2_ALERTMANAGER_IMAGE = "prom/alertmanager:v0.35.0";

export const V2_ALERTING_DEFAULTS = { receivers: [], routes: [], defaultReceiver: "blackhole", lanExposed: false } as const;

/** Key order of a v2 stack file (new keys after the v1 ones). */
const V2_ORDER = ["schemaVersion", "projectName", "offlineMode", "requireImageDigests", "exposure", "ports", "paths", "images", "retention", "alloy", "alerting", "verify", "limits", "cadvisor", "prometheus", "backups", "grafanaAdminPassword"];

export function v1ToV2(input: Raw): { config: Raw; notes: string[] } {
  const notes: string[] = [];
  const out: Raw = { ...input, schemaVersion: 2 };

  if (isRecord(input.images)) {
    if (input.images.alertmanager === undefined) {
      out.images = { ...input.images, alertmanager: V2_ALERTMANAGER_IMAGE };
      notes.push(`images.alertmanager = ${V2_ALERTMANAGER_IMAGE} (supported ${SUPPORTED.alertmanager.spans.map((s) => `${s.min} up to ${s.below}`).join(", ")})`);
    }
  }

  if (isRecord(input.ports) && input.ports.alertmanager === undefined) {
    // The stacks lay ports out as base + offset (grafana +1 ... cadvisor +6): Alertmanager takes +7
    // when that port is valid and free. It binds to 127.0.0.1 unless alerting.lanExposed.
    const g = input.ports.grafana;
    const used = new Set(Object.values(input.ports).filter(isValidPort));
    const p = isValidPort(g) ? g - PORT_OFFSETS.grafana + PORT_OFFSETS.alertmanager : undefined;
    if (p !== undefined && isValidPort(p) && !used.has(p)) {
      out.ports = { ...input.ports, alertmanager: p };
      notes.push(`ports.alertmanager = ${p} on 127.0.0.1 (next to ports.grafana ${g}); loopback whatever exposure.bindAddress says, unless alerting.lanExposed: true`);
    } else {
      notes.push("ports.alertmanager not set (no free port next to ports.grafana): set one (the alert delivery proof reaches Alertmanager through it; config:lint suggests a free port) or set verify.alertDelivery: false");
    }
  }

  if (!("alerting" in input)) {
    out.alerting = JSON.parse(JSON.stringify(V2_ALERTING_DEFAULTS));
    notes.push(
      "alerting: no receivers yet; alerts go to the built-in blackhole receiver (no notification). Add receivers, e.g. `pulumi config set --secret --path 'logging-bootstrap:alerting.receivers[0].webhook.url' <url>` and `pulumi config set --path 'logging-bootstrap:alerting.receivers[0].name' oncall`, then routes and defaultReceiver",
    );
  }
  return { config: orderKeys(out), notes };
}

function orderKeys(c: Raw): Raw {
  const o: Raw = {};
  for (const k of V2_ORDER) if (k in c) o[k] = c[k];
  for (const [k, v] of Object.entries(c)) if (!(k in o)) o[k] = v;
  return o;
}
