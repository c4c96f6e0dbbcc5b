// L9 alert delivery: the always-firing Watchdog travels Prometheus -> Alertmanager -> a receiver.
// Three stages share one wall clock (P14): Alertmanager is ready, Alertmanager holds Watchdog
// active (so Prometheus sends it), and a receiver got it: a sink we can read (test environment) or,
// for a real Slack/e-mail receiver we cannot read, Alertmanager's own notification counters.
// API shapes from Alertmanager v0.35 (api/v2/openapi.yaml gettableAlert/alertmanagerStatus,
// notify/webhook/webhook.go Message version "4", notify/metrics.go counters).
import * as YAML from "yaml";
import type { ErrorCode } from "../../../contracts/errors";
import type { Io, ProofResult } from "../types";
import { finish, isObj, joinUrl, parseJson, retryUntil, transportReason } from "./common";

export interface AlertDeliveryInput {
  /** Host base URL of Alertmanager (its published port). */
  alertmanagerUrl: string;
  /** A webhook sink we can read back (GET <sinkUrl>/received); absent for a real receiver. */
  sinkUrl?: string;
  /** The receiver the rendered route sends Watchdog to (components/render/alertmanager.ts watchdogReceiverOf). */
  receiver: string;
  /** Labels the delivered Watchdog must carry: `alertname` (required) and the stack's `project`. */
  expectedLabels: Record<string, string>;
  /** Wall clock for all stages together. */
  timeoutMs: number;
  /**
   * With a sink: only notifications the sink received at most this long ago (by the sink's clock)
   * count, so a delivery path that broke after an old success is not green. Watchdog repeats, so a
   * little over its repeat interval is enough.
   */
  maxAgeMs?: number;
  /** Pause between polls. */
  pollMs: number;
  /**
   * Without a sink: how long to watch Alertmanager's counters for a delivery (at least one repeat of
   * the Watchdog's route). Green needs a success inside this window, not a lifetime total.
   */
  deliveryWindowMs?: number;
  /** One request's timeout (default 3000). */
  requestTimeoutMs?: number;
}

/** What one attempt of a stage concluded; `code` says which failure the findings are. */
interface StageResult {
  findings: string[];
  code?: ErrorCode;
  stop?: boolean;
  warn?: string[];
}

/** Watchdog as Alertmanager holds it (gettableAlert). */
interface AmAlert {
  fingerprint: string;
  state: string;
  receivers: string[];
  labels: Record<string, string>;
  silencedBy: string[];
  inhibitedBy: string[];
  mutedBy: string[];
}

function strMap(v: unknown): Record<string, string> {
  if (!isObj(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === "string")) as Record<string, string>;
}
function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
/** The expected labels a set lacks or carries with another value, e.g. `project="other" (expected "p")`. */
function labelMismatch(have: Record<string, string>, want: Record<string, string>): string[] {
  return Object.keys(want)
    .sort()
    .filter((k) => have[k] !== want[k])
    .map((k) => (k in have ? `${k}=${JSON.stringify(have[k])} (expected ${JSON.stringify(want[k])})` : `no ${k} label (expected ${JSON.stringify(want[k])})`));
}

/**
 * Samples of a Prometheus text exposition with their labels (HELP/TYPE lines skipped). Label values
 * are Alertmanager's integration/receiver names, so the escaped forms (\", \\, \n) are all we need.
 */
export function parseSamples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (const lm of (m[2] ?? "").matchAll(re)) labels[lm[1]] = lm[2].replace(/\\(.)/g, (_s, c: string) => (c === "n" ? "\n" : c));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * The integrations (`webhook`, `slack`, `email`, ...) of a receiver in Alertmanager's running
 * configuration (`<integration>_configs` keys, the names notify/metrics.go labels its counters with);
 * undefined when the configuration has no receiver of that name.
 */
export function receiverIntegrations(configYaml: string, receiver: string): string[] | undefined {
  const doc = YAML.parse(configYaml) as { receivers?: unknown };
  const list = Array.isArray(doc?.receivers) ? doc.receivers.filter(isObj) : [];
  const r = list.find((x) => x.name === receiver);
  if (!r) return undefined;
  return Object.keys(r)
    .filter((k) => k.endsWith("_configs") && Array.isArray(r[k]) && (r[k] as unknown[]).length > 0)
    .map((k) => k.slice(0, -"_configs".length))
    .sort();
}

export async function checkAlertDelivery(input: AlertDeliveryInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const reqMs = input.requestTimeoutMs ?? 3000;
  const alertname = input.expectedLabels.alertname ?? "Watchdog";
  const want = { ...input.expectedLabels, alertname };
  const am = (p: string) => joinUrl(input.alertmanagerUrl, p);
  const diagnostics: Record<string, unknown> = {
    alertmanagerUrl: input.alertmanagerUrl,
    sinkUrl: input.sinkUrl ?? null,
    receiver: input.receiver,
    expectedLabels: want,
  };
  // Every stage polls until it is satisfied or the shared deadline passes; attempts are bounded too.
  const left = () => Math.max(0, input.timeoutMs - (io.clock.now() - t0));
  const pollMs = Math.max(1, input.pollMs);
  const maxAttempts = Math.min(1000, Math.ceil(input.timeoutMs / pollMs) + 1);
  const poll = (attempt: (n: number) => Promise<StageResult>, cap = maxAttempts) =>
    retryUntil(io.clock, { deadlineMs: left(), maxAttempts: cap, backoff: { initialMs: pollMs, factor: 1, maxMs: pollMs } }, attempt);
  const red = (findings: string[], code: ErrorCode) => finish("L9", t0, io.clock, { findings, diagnostics, redCode: code });
  const get = (url: string) => io.http({ method: "GET", url, timeoutMs: reqMs });

  // 1. Alertmanager ready (L1 ran before; a few tries only cover a restart in between).
  const ready = await poll(async () => {
    try {
      const res = await get(am("/-/ready"));
      if (res.status !== 200) return { findings: [`alertmanager /-/ready: HTTP ${res.status}, expected 200`] };
      if (res.body.trim() !== "OK") return { findings: [`alertmanager /-/ready: body is ${JSON.stringify(res.body.trim().slice(0, 80))}, expected "OK"`] };
      return { findings: [] };
    } catch (e) {
      return { findings: [`alertmanager /-/ready: no answer (${transportReason(e)})`] };
    }
  }, 3);
  diagnostics.readyAttempts = ready.attempts;
  if (ready.last.findings.length) return red(ready.last.findings, "E_PROOF_ALERT_MANAGER_DOWN");

  // 2. Watchdog active in Alertmanager: Prometheus evaluates the rule and sends it.
  const alertsUrl = am(`/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
  diagnostics.alertsUrl = alertsUrl;
  let mine: AmAlert | undefined;
  const received = await poll(async (): Promise<StageResult> => {
    let body: string;
    try {
      const res = await get(alertsUrl);
      if (res.status !== 200) return { findings: [`alertmanager alerts API: HTTP ${res.status}`], code: "E_PROOF_ALERT_MANAGER_DOWN" };
      body = res.body;
    } catch (e) {
      return { findings: [`alertmanager alerts API: no answer (${transportReason(e)})`], code: "E_PROOF_ALERT_MANAGER_DOWN" };
    }
    const p = parseJson(body);
    if (!p.ok || !Array.isArray(p.value)) return { findings: ["alertmanager alerts API: the answer is not a JSON array of alerts"], code: "E_PROOF_ALERT_MANAGER_DOWN" };
    const alerts: AmAlert[] = p.value.filter(isObj).map((a) => {
      const st = isObj(a.status) ? a.status : {};
      return {
        fingerprint: typeof a.fingerprint === "string" ? a.fingerprint : "",
        state: typeof st.state === "string" ? st.state : "",
        receivers: (Array.isArray(a.receivers) ? a.receivers.filter(isObj).map((r) => r.name) : []).filter((x): x is string => typeof x === "string").sort(),
        labels: strMap(a.labels),
        silencedBy: strList(st.silencedBy).sort(),
        inhibitedBy: strList(st.inhibitedBy).sort(),
        mutedBy: strList(st.mutedBy).sort(),
      };
    });
    const named = alerts.filter((a) => a.labels.alertname === alertname).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
    diagnostics.alertmanagerAlerts = named;
    const matching = named.filter((a) => labelMismatch(a.labels, want).length === 0);
    if (matching.length === 0) {
      if (named.length === 0) return { findings: [`Alertmanager holds no ${alertname} alert: Prometheus is not sending it (check alerting.alertmanagers in prometheus.yml and that the ${alertname} rule is loaded)`], code: "E_PROOF_ALERT_NOT_RECEIVED" };
      const seen = [...new Set(named.map((a) => labelMismatch(a.labels, want).join(", ")))].sort();
      return { findings: [`Alertmanager holds ${alertname} only with other labels: ${seen.join("; ")}; this stack's Prometheus is not sending it`], code: "E_PROOF_ALERT_NOT_RECEIVED" };
    }
    const active = matching.find((a) => a.state === "active");
    if (active) {
      mine = active;
      return { findings: [] };
    }
    const suppressed = matching.find((a) => a.state === "suppressed");
    if (suppressed) {
      // A silence or inhibition does not lift by waiting: stop, and say which.
      const why = [
        ...(suppressed.silencedBy.length ? [`silenced by ${suppressed.silencedBy.join(", ")}`] : []),
        ...(suppressed.inhibitedBy.length ? [`inhibited by ${suppressed.inhibitedBy.join(", ")}`] : []),
        ...(suppressed.mutedBy.length ? [`muted by ${suppressed.mutedBy.join(", ")}`] : []),
      ];
      return { findings: [`${alertname} is suppressed in Alertmanager (${why.join("; ") || "no reason given"}): it is never delivered; ${alertname} must not be silenced or inhibited`], code: "E_PROOF_ALERT_NOT_DELIVERED", stop: true };
    }
    return { findings: [`${alertname} is in Alertmanager but not processed yet (state ${JSON.stringify(matching[0].state)})`], code: "E_PROOF_ALERT_NOT_RECEIVED" };
  });
  diagnostics.alertsAttempts = received.attempts;
  if (received.last.findings.length || !mine) return red(received.last.findings, received.last.code ?? "E_PROOF_ALERT_NOT_RECEIVED");
  const alert: AmAlert = mine;
  diagnostics.fingerprint = alert.fingerprint;
  diagnostics.routedTo = alert.receivers;

  const receiver = input.receiver;
  const unrouted = () =>
    finish("L9", t0, io.clock, {
      findings: [],
      diagnostics,
      redCode: "E_PROOF_ALERT_NOT_DELIVERED",
      warn: { code: "E_PROOF_ALERT_UNROUTED", findings: [`${alertname} is routed to receiver ${receiver}, which has no integration: it reaches Alertmanager and goes nowhere, so delivery is not proven (set alerting.watchdogReceiver to a receiver with a webhook, e-mail or Slack integration)`] },
    });
  // Alertmanager computes the receivers from its running route tree: the one we configured must be among them.
  if (!alert.receivers.includes(receiver)) {
    return red([`Alertmanager routes ${alertname} to ${alert.receivers.length ? alert.receivers.join(", ") : "no receiver"}, not to ${receiver}: its running configuration is not the rendered one`], "E_PROOF_ALERT_NOT_DELIVERED");
  }

  // 3. The receiver's integrations in Alertmanager's running configuration: none (blackhole) means
  // nothing is delivered anywhere, whatever a sink or the counters say.
  let integrations: string[] | undefined;
  let sharing: string[] = [];
  try {
    const res = await get(am("/api/v2/status"));
    const p = parseJson(res.body);
    const original = res.status === 200 && p.ok && isObj(p.value) && isObj(p.value.config) ? p.value.config.original : undefined;
    if (typeof original !== "string") return red([`alertmanager status API: HTTP ${res.status}, no config.original`], "E_PROOF_ALERT_MANAGER_DOWN");
    integrations = receiverIntegrations(original, receiver);
    sharing = receiversSharing(original, receiver);
  } catch (e) {
    return red([`alertmanager status API: no answer (${transportReason(e)})`], "E_PROOF_ALERT_MANAGER_DOWN");
  }
  diagnostics.integrations = integrations ?? null;
  if (integrations === undefined) return red([`Alertmanager's running configuration has no receiver ${receiver}`], "E_PROOF_ALERT_NOT_DELIVERED");
  if (integrations.length === 0) return unrouted();
  // 4a. A sink we can read: it recorded a firing notification for the receiver with the labels.
  if (input.sinkUrl) {
    const sinkUrl = joinUrl(input.sinkUrl, "/received");
    diagnostics.sinkReceivedUrl = sinkUrl;
    const delivered = await poll(async (): Promise<StageResult> => {
      let body: string;
      try {
        const res = await get(sinkUrl);
        if (res.status !== 200) return { findings: [`alert sink /received: HTTP ${res.status}`] };
        body = res.body;
      } catch (e) {
        return { findings: [`alert sink /received: no answer (${transportReason(e)})`] };
      }
      const p = parseJson(body);
      if (!p.ok || !isObj(p.value) || !Array.isArray(p.value.notifications)) return { findings: ["alert sink /received: no JSON notifications list"] };
      const sinkNow = typeof p.value.now === "string" && Number.isFinite(Date.parse(p.value.now)) ? Date.parse(p.value.now) : io.clock.now();
      const all = p.value.notifications.filter(isObj);
      const fresh = input.maxAgeMs === undefined ? all : all.filter((n) => typeof n.receivedAt === "string" && sinkNow - Date.parse(n.receivedAt) <= input.maxAgeMs!);
      const payloads = fresh.map((n) => n.payload).filter(isObj);
      const forReceiver = payloads.filter((x) => x.receiver === receiver);
      diagnostics.sinkNotifications = payloads.length;
      diagnostics.sinkReceivers = [...new Set(payloads.map((x) => String(x.receiver)))].sort();
      if (forReceiver.length === 0) {
        const others = diagnostics.sinkReceivers as string[];
        const window = input.maxAgeMs === undefined ? "" : ` in the last ${Math.round(input.maxAgeMs / 1000)} s`;
        const stale = all.length > fresh.length ? "; older ones only" : "";
        return { findings: [`the alert sink recorded no notification for receiver ${receiver}${window}${others.length ? ` (only for ${others.join(", ")})` : ""}${stale}`] };
      }
      const named = forReceiver
        .filter((x) => x.version === "4" && x.status === "firing" && Array.isArray(x.alerts))
        .flatMap((x) => (x.alerts as unknown[]).filter(isObj))
        .filter((a) => a.status === "firing")
        .map((a) => strMap(a.labels))
        .filter((l) => l.alertname === alertname);
      if (named.some((l) => labelMismatch(l, want).length === 0)) return { findings: [] };
      if (named.length === 0) return { findings: [`the alert sink's notifications for receiver ${receiver} hold no firing ${alertname} (webhook payload version "4", status firing)`] };
      const seen = [...new Set(named.map((l) => labelMismatch(l, want).join(", ")))].sort();
      return { findings: [`the alert sink got ${alertname} for receiver ${receiver} with the wrong labels: ${seen.join("; ")}`] };
    });
    diagnostics.sinkAttempts = delivered.attempts;
    return red(delivered.last.findings, "E_PROOF_ALERT_NOT_DELIVERED");
  }

  // 4. No sink: a delivery inside this check's window, from Alertmanager's own counters for the receiver.
  const ints = integrations;
  const via = `${ints.join(", ")} (receiver ${receiver})`;
  const counts: { total: number; failed: number }[] = [];
  diagnostics.counters = counts;
  let perReceiver = false;
  const windowMs = Math.max(input.deliveryWindowMs ?? 0, pollMs);
  diagnostics.deliveryWindowMs = windowMs;
  // Green needs a notification that succeeded while this check watched: a counter that rose since
  // the first reading, with no failure added. Lifetime totals prove nothing about now.
  // Its own wall clock (not what the stages before left over): one repeat of the Watchdog's route.
  const notified = await retryUntil(
    io.clock,
    { deadlineMs: windowMs, maxAttempts: Math.min(1000, Math.ceil(windowMs / pollMs) + 2), backoff: { initialMs: pollMs, factor: 1, maxMs: pollMs } },
    async (): Promise<StageResult> => {
      let text: string;
      try {
        const res = await get(am("/metrics"));
        if (res.status !== 200) return { findings: [`alertmanager /metrics: HTTP ${res.status}`] };
        text = res.body;
      } catch (e) {
        return { findings: [`alertmanager /metrics: no answer (${transportReason(e)})`] };
      }
      const c = receiverCounters(text, ints, receiver);
      perReceiver = c.perReceiver;
      counts.push({ total: c.total, failed: c.failed });
      if (counts.length > 12) counts.splice(1, 1);
      const base = counts[0];
      if (c.failed > base.failed) return { findings: [`notifications via ${via} are failing: alertmanager_notifications_failed_total rose during the check`], stop: true };
      if (c.total - c.failed > base.total - base.failed) return { findings: [] };
      const secs = Math.round(windowMs / 1000);
      if (c.total === 0) return { findings: [`Alertmanager attempted no notification via ${via} within ${secs} s (alertmanager_notifications_total is 0)`] };
      return { findings: [`no notification via ${via} succeeded within ${secs} s of watching (alertmanager_notifications_total did not rise; ${WATCHDOG_ALERT_REPEAT})`] };
    },
  );
  diagnostics.metricsAttempts = notified.attempts;
  diagnostics.perReceiver = perReceiver;
  if (notified.last.findings.length) return red(notified.last.findings, "E_PROOF_ALERT_NOT_DELIVERED");
  // Without per-receiver counters (Alertmanager before 0.27) a rise may be another receiver's.
  const others = perReceiver ? [] : sharing;
  if (others.length) {
    return finish("L9", t0, io.clock, {
      findings: [],
      diagnostics,
      redCode: "E_PROOF_ALERT_NOT_DELIVERED",
      warn: {
        code: "E_PROOF_ALERT_UNATTRIBUTED",
        findings: [`a notification via ${ints.join(", ")} succeeded during the check, but this Alertmanager counts per integration and receiver ${others.join(", ")} uses it too: not attributable to ${receiver} (Alertmanager 0.27+ counts per receiver)`],
      },
    });
  }
  return finish("L9", t0, io.clock, { findings: [], diagnostics, redCode: "E_PROOF_ALERT_NOT_DELIVERED" });
}

/** How often the Watchdog is re-sent, for findings (components/render/alertmanager.ts WATCHDOG_TIMING). */
const WATCHDOG_ALERT_REPEAT = "the Watchdog is re-sent every minute";

/**
 * A receiver's notification counters: summed over its integrations, and only its own samples when
 * Alertmanager labels them with `receiver_name` (`--enable-feature=receiver-name-in-metrics`, 0.27+).
 */
export function receiverCounters(text: string, integrations: readonly string[], receiver: string): { total: number; failed: number; perReceiver: boolean } {
  const total = parseSamples(text, "alertmanager_notifications_total");
  const failed = parseSamples(text, "alertmanager_notifications_failed_total");
  const perReceiver = total.some((s) => s.labels.receiver_name !== undefined);
  const sum = (samples: { labels: Record<string, string>; value: number }[]) =>
    samples
      .filter((s) => integrations.includes(s.labels.integration ?? "") && (!perReceiver || s.labels.receiver_name === receiver))
      .reduce((a, s) => a + (Number.isFinite(s.value) ? s.value : 0), 0);
  return { total: sum(total), failed: sum(failed), perReceiver };
}

/** Other receivers of the running configuration with an integration this one has (counters per integration mix them). */
export function receiversSharing(configYaml: string, receiver: string): string[] {
  const mine = receiverIntegrations(configYaml, receiver) ?? [];
  const doc = YAML.parse(configYaml) as { receivers?: unknown };
  const names = (Array.isArray(doc?.receivers) ? doc.receivers.filter(isObj) : []).map((r) => r.name).filter((n): n is string => typeof n === "string" && n !== receiver);
  return names.filter((n) => (receiverIntegrations(configYaml, n) ?? []).some((i) => mine.includes(i))).sort();
}
