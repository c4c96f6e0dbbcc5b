// L9 alert delivery: checkAlertDelivery against a scripted Alertmanager and webhook sink (answers
// shaped as Alertmanager v0.35's api/v2/openapi.yaml gettableAlert / alertmanagerStatus, the
// webhook Message version "4" of notify/webhook/webhook.go and the counters of notify/metrics.go),
// on a fake clock: polling is bounded in attempts and wall clock, and runs in no real time.
import { checkAlertDelivery, parseSamples, receiverIntegrations, AlertDeliveryInput } from "../../components/verify/checks";
import { realFiles } from "../../components/verify/io";
import type { HttpRequest, HttpResponse, Io } from "../../components/verify/types";
import { FakeDocker } from "./fakes";

type Reply = HttpResponse | Error;
type Route = (req: HttpRequest, n: number) => Reply;

/** An Io whose HTTP answers come from `routes` (by path without the query) and whose clock is virtual. */
function fakeIo(given: Record<string, Route>) {
  // Alertmanager's running configuration (status API): the heartbeat receiver has a webhook unless a test says otherwise.
  const routes: Record<string, Route> = { [`${AM}/api/v2/status`]: statusWith(WEBHOOK_CONFIG), ...given };
  let now = 1_000_000;
  const calls: string[] = [];
  const counts: Record<string, number> = {};
  const io: Io = {
    http: async (req) => {
      const u = new URL(req.url);
      calls.push(`${u.host} ${u.pathname}${u.search}`);
      const key = `${u.host}${u.pathname}`;
      const route = routes[key];
      counts[key] = (counts[key] ?? 0) + 1;
      now += 5; // every request takes a little time
      if (!route) return { status: 404, body: "not found", headers: {} };
      const r = route(req, counts[key]);
      if (r instanceof Error) throw r;
      return r;
    },
    docker: new FakeDocker(),
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    files: realFiles,
    randomHex: () => "00",
  };
  return { io, calls, counts, elapsed: () => now - 1_000_000 };
}

const AM = "am:9093";
/** A running configuration (as Alertmanager's status API returns config.original): heartbeat has a webhook. */
const WEBHOOK_CONFIG = ["route:", "  receiver: blackhole", "receivers:", "  - name: blackhole", "  - name: heartbeat", "    webhook_configs:", "      - url_file: /etc/alertmanager/secrets/heartbeat-webhook-url"].join("\n");
function statusWith(original: string): Route {
  return () => ({ status: 200, body: JSON.stringify({ cluster: { status: "disabled" }, versionInfo: { version: "0.35.0" }, config: { original }, uptime: "2026-03-01T12:00:00.000Z" }), headers: {} });
}
const SINK = "sink:8080";
const ok = (body: unknown, status = 200): HttpResponse => ({ status, body: typeof body === "string" ? body : JSON.stringify(body), headers: {} });
const refused = () => Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" } });

const LABELS = { alertname: "Watchdog", project: "lb", severity: "info" };
function amAlert(over: { labels?: Record<string, string>; state?: string; receivers?: string[]; silencedBy?: string[] } = {}) {
  return {
    annotations: { summary: "Alerting pipeline heartbeat: always firing" },
    receivers: (over.receivers ?? ["heartbeat"]).map((name) => ({ name })),
    fingerprint: "0a1b2c3d4e5f6a7b",
    startsAt: "2026-03-01T12:00:00.000Z",
    updatedAt: "2026-03-01T12:00:30.000Z",
    endsAt: "2026-03-01T12:04:30.000Z",
    status: { state: over.state ?? "active", silencedBy: over.silencedBy ?? [], inhibitedBy: [], mutedBy: [] },
    labels: over.labels ?? LABELS,
    generatorURL: "http://prometheus:9090/graph?g0.expr=vector%281%29",
  };
}
/** A webhook Message (version "4") as Alertmanager posts it and the sink records it. */
function notification(over: { receiver?: string; status?: string; labels?: Record<string, string> } = {}) {
  const labels = over.labels ?? LABELS;
  return {
    seq: 1,
    receivedAt: "2026-03-01T12:00:31.000Z",
    path: "/webhook",
    payload: {
      receiver: over.receiver ?? "heartbeat",
      status: over.status ?? "firing",
      alerts: [{ status: over.status ?? "firing", labels, annotations: {}, startsAt: "2026-03-01T12:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "0a1b2c3d4e5f6a7b" }],
      groupLabels: { alertname: "Watchdog" },
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: "http://alertmanager:9093",
      version: "4",
      groupKey: '{}/{alertname="Watchdog"}:{alertname="Watchdog"}',
      truncatedAlerts: 0,
    },
  };
}

const input = (over: Partial<AlertDeliveryInput> = {}): AlertDeliveryInput => ({
  alertmanagerUrl: `http://${AM}`,
  sinkUrl: `http://${SINK}`,
  receiver: "heartbeat",
  expectedLabels: { alertname: "Watchdog", project: "lb" },
  timeoutMs: 10_000,
  pollMs: 500,
  ...over,
});

const ready: Route = () => ok("OK");
const alerts = (list: () => unknown[]): Route => () => ok(list());
const sink = (list: () => unknown[]): Route => () => ok({ capacity: 200, dropped: 0, notifications: list() });

describe("L9 alert delivery with a readable sink", () => {
  test("green: Alertmanager ready, Watchdog active and routed to the receiver, the sink got it firing with the labels", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]), [`${SINK}/received`]: sink(() => [notification()]) });
    const r = await checkAlertDelivery(input(), f.io);
    expect(r).toMatchObject({ level: "L9", status: "green", findings: [] });
    expect(r.code).toBeUndefined();
    // The alerts API is asked with Alertmanager's matcher syntax (openapi: filter, collectionFormat multi).
    expect(f.calls).toContain(`${AM} /api/v2/alerts?filter=${encodeURIComponent('alertname="Watchdog"')}`);
    expect(r.diagnostics).toMatchObject({ fingerprint: "0a1b2c3d4e5f6a7b", routedTo: ["heartbeat"] });
  });

  test("green once the notification arrives (group_wait): polls the sink until then", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]), [`${SINK}/received`]: (_q, n) => ok({ notifications: n < 4 ? [] : [notification()] }) });
    const r = await checkAlertDelivery(input(), f.io);
    expect(r.status).toBe("green");
    expect(f.counts[`${SINK}/received`]).toBe(4);
    expect(r.diagnostics.sinkAttempts).toBe(4);
  });

  test("Alertmanager down: red E_PROOF_ALERT_MANAGER_DOWN after three tries, nothing else asked", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: () => refused() });
    const r = await checkAlertDelivery(input(), f.io);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALERT_MANAGER_DOWN", findings: ["alertmanager /-/ready: no answer (ECONNREFUSED)"] });
    expect(f.counts[`${AM}/-/ready`]).toBe(3);
    expect(f.calls.every((c) => c.endsWith("/-/ready"))).toBe(true);
  });

  test("Alertmanager answers /-/ready with something else than 200 OK: red", async () => {
    const r1 = await checkAlertDelivery(input(), fakeIo({ [`${AM}/-/ready`]: () => ok("starting", 503) }).io);
    expect(r1.findings).toEqual(["alertmanager /-/ready: HTTP 503, expected 200"]);
    const r2 = await checkAlertDelivery(input(), fakeIo({ [`${AM}/-/ready`]: () => ok("ready") }).io);
    expect(r2).toMatchObject({ code: "E_PROOF_ALERT_MANAGER_DOWN", findings: ['alertmanager /-/ready: body is "ready", expected "OK"'] });
  });

  test("Watchdog never reaches Alertmanager: red E_PROOF_ALERT_NOT_RECEIVED within the timeout", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => []), [`${SINK}/received`]: sink(() => []) });
    const r = await checkAlertDelivery(input({ timeoutMs: 5_000, pollMs: 1_000 }), f.io);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALERT_NOT_RECEIVED" });
    expect(r.findings).toEqual(["Alertmanager holds no Watchdog alert: Prometheus is not sending it (check alerting.alertmanagers in prometheus.yml and that the Watchdog rule is loaded)"]);
    expect(f.counts[`${SINK}/received`]).toBeUndefined();
    // bounded: the wall clock (5 s) and the attempts (5 s / 1 s + 1)
    expect(f.elapsed()).toBeLessThanOrEqual(5_100);
    expect(f.counts[`${AM}/api/v2/alerts`]).toBeLessThanOrEqual(6);
  });

  test("another stack's Watchdog (other project label) is not this stack's: red E_PROOF_ALERT_NOT_RECEIVED naming the labels", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert({ labels: { ...LABELS, project: "other" } })]) });
    const r = await checkAlertDelivery(input({ timeoutMs: 1_000 }), f.io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_RECEIVED", findings: ['Alertmanager holds Watchdog only with other labels: project="other" (expected "lb"); this stack\'s Prometheus is not sending it'] });
  });

  test("an unprocessed Watchdog is waited for; a silenced one is red at once (it is never delivered)", async () => {
    const f1 = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: (_q, n) => ok([amAlert({ state: n < 3 ? "unprocessed" : "active" })]), [`${SINK}/received`]: sink(() => [notification()]) });
    expect((await checkAlertDelivery(input(), f1.io)).status).toBe("green");
    expect(f1.counts[`${AM}/api/v2/alerts`]).toBe(3);
    const f2 = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert({ state: "suppressed", silencedBy: ["b2c1"] })]) });
    const r = await checkAlertDelivery(input(), f2.io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ["Watchdog is suppressed in Alertmanager (silenced by b2c1): it is never delivered; Watchdog must not be silenced or inhibited"] });
    expect(f2.counts[`${AM}/api/v2/alerts`]).toBe(1);
  });

  test("routed to another receiver than the configured one: red E_PROOF_ALERT_NOT_DELIVERED", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert({ receivers: ["blackhole"] })]) });
    const r = await checkAlertDelivery(input(), f.io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ["Alertmanager routes Watchdog to blackhole, not to heartbeat: its running configuration is not the rendered one"] });
  });

  test("not delivered: the sink recorded nothing for the receiver within the timeout", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]), [`${SINK}/received`]: sink(() => [notification({ receiver: "team" })]) });
    const r = await checkAlertDelivery(input({ timeoutMs: 3_000 }), f.io);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ["the alert sink recorded no notification for receiver heartbeat (only for team)"] });
    expect(f.elapsed()).toBeLessThanOrEqual(3_100);
  });

  test("not delivered: the sink does not answer", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]), [`${SINK}/received`]: () => refused() });
    const r = await checkAlertDelivery(input({ timeoutMs: 1_000 }), f.io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ["alert sink /received: no answer (ECONNREFUSED)"] });
  });

  test("delivered with the wrong labels: red E_PROOF_ALERT_NOT_DELIVERED naming each difference", async () => {
    const f = fakeIo({
      [`${AM}/-/ready`]: ready,
      [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]),
      [`${SINK}/received`]: sink(() => [notification({ labels: { alertname: "Watchdog", project: "other" } }), notification({ labels: { alertname: "Watchdog" } })]),
    });
    const r = await checkAlertDelivery(input({ timeoutMs: 1_000 }), f.io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ['the alert sink got Watchdog for receiver heartbeat with the wrong labels: no project label (expected "lb"); project="other" (expected "lb")'] });
  });

  test("a resolved notification does not count as delivery of the firing Watchdog", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]), [`${SINK}/received`]: sink(() => [notification({ status: "resolved" })]) });
    const r = await checkAlertDelivery(input({ timeoutMs: 1_000 }), f.io);
    expect(r.findings).toEqual(['the alert sink\'s notifications for receiver heartbeat hold no firing Watchdog (webhook payload version "4", status firing)']);
  });

  test("Watchdog routed to the integration-less blackhole (no watchdogReceiver): warn E_PROOF_ALERT_UNROUTED, the sink is not waited for", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert({ receivers: ["blackhole"] })]), [`${SINK}/received`]: sink(() => []) });
    const r = await checkAlertDelivery(input({ receiver: "blackhole" }), f.io);
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_ALERT_UNROUTED" });
    expect(r.findings).toEqual([
      "Watchdog is routed to receiver blackhole, which has no integration: it reaches Alertmanager and goes nowhere, so delivery is not proven (set alerting.watchdogReceiver to a receiver with a webhook, e-mail or Slack integration)",
    ]);
    expect(f.counts[`${SINK}/received`]).toBeUndefined();
  });

  test("findings are deterministic: the same failure twice gives the same findings, whatever the timings", async () => {
    const routes = () => ({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert({ labels: { ...LABELS, project: "b" } }), amAlert({ labels: { ...LABELS, project: "a" } })]) });
    const a = await checkAlertDelivery(input({ timeoutMs: 2_000, pollMs: 300 }), fakeIo(routes()).io);
    const b = await checkAlertDelivery(input({ timeoutMs: 4_000, pollMs: 700 }), fakeIo(routes()).io);
    expect(a.findings).toEqual(b.findings);
    expect(a.findings).toEqual(['Alertmanager holds Watchdog only with other labels: project="a" (expected "lb"); project="b" (expected "lb"); this stack\'s Prometheus is not sending it']);
  });

  test("bounded attempts even with a tiny poll interval", async () => {
    const f = fakeIo({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => []) });
    await checkAlertDelivery(input({ timeoutMs: 60_000, pollMs: 1 }), f.io);
    expect(f.counts[`${AM}/api/v2/alerts`]).toBeLessThanOrEqual(1000);
  });
});

describe("L9 alert delivery to a receiver we cannot read (Alertmanager's counters)", () => {
  const CONFIG = [
    "route:",
    "  receiver: blackhole",
    "  routes:",
    "    - matchers: ['alertname=\"Watchdog\"']",
    "      receiver: heartbeat",
    "receivers:",
    "  - name: blackhole",
    "  - name: heartbeat",
    "    slack_configs:",
    "      - channel: '#ops'",
    "        api_url_file: /etc/alertmanager/secrets/heartbeat_slack_api_url",
  ].join("\n");
  const status: Route = () => ok({ cluster: { status: "disabled" }, versionInfo: { version: "0.35.0" }, config: { original: CONFIG }, uptime: "2026-03-01T12:00:00.000Z" });
  /** notify/metrics.go without receiver names: every integration is present from the start. */
  const metrics = (slack: () => [number, number]): Route => () => {
    const [total, failed] = slack();
    return ok(
      [
        "# HELP alertmanager_notifications_total The total number of attempted notifications.",
        "# TYPE alertmanager_notifications_total counter",
        `alertmanager_notifications_total{integration="slack"} ${total}`,
        'alertmanager_notifications_total{integration="webhook"} 7',
        "# HELP alertmanager_notifications_failed_total The total number of failed notifications.",
        "# TYPE alertmanager_notifications_failed_total counter",
        `alertmanager_notifications_failed_total{integration="slack",reason="other"} ${failed}`,
        'alertmanager_notifications_failed_total{integration="slack",reason="serverError"} 0',
        'alertmanager_notifications_failed_total{integration="webhook",reason="other"} 0',
        "",
      ].join("\n"),
    );
  };
  const routes = (m: Route) => ({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]), [`${AM}/api/v2/status`]: status, [`${AM}/metrics`]: m });

  const WINDOW = 80_000;
  const noSink = (over: Partial<AlertDeliveryInput> = {}) => input({ sinkUrl: undefined, deliveryWindowMs: WINDOW, pollMs: 5_000, ...over });

  test("green: a notification to the receiver succeeds while the check watches (the counter rises, no failure added)", async () => {
    let total = 3;
    const f = fakeIo(routes(metrics(() => [total++ >= 5 ? 5 : total, 1])));
    const r = await checkAlertDelivery(noSink(), f.io);
    expect(r).toMatchObject({ status: "green", findings: [] });
    expect(r.diagnostics).toMatchObject({ integrations: ["slack"], perReceiver: false, deliveryWindowMs: WINDOW });
  });

  test("a receiver that succeeded once and now fails on every repeat is red: lifetime totals prove nothing about now", async () => {
    // 3 attempts, 1 failed, and nothing new while the check watches: the last success is history.
    const f = fakeIo(routes(metrics(() => [3, 1])));
    const r = await checkAlertDelivery(noSink(), f.io);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALERT_NOT_DELIVERED" });
    expect(r.findings).toEqual(["no notification via slack (receiver heartbeat) succeeded within 80 s of watching (alertmanager_notifications_total did not rise; the Watchdog is re-sent every minute)"]);
    // bounded by the delivery window, whatever the stages before left over
    expect(f.elapsed()).toBeLessThanOrEqual(WINDOW + 5_000 + 1_000);
  });

  test("failures rising during the check: red E_PROOF_ALERT_NOT_DELIVERED at once", async () => {
    let failed = 1;
    const f = fakeIo(routes(metrics(() => [5, failed++])));
    const r = await checkAlertDelivery(noSink(), f.io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ["notifications via slack (receiver heartbeat) are failing: alertmanager_notifications_failed_total rose during the check"] });
    expect(f.counts[`${AM}/metrics`]).toBe(2);
  });

  test("no notification attempted within the window: red", async () => {
    const f = fakeIo(routes(metrics(() => [0, 0])));
    const r = await checkAlertDelivery(noSink(), f.io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ["Alertmanager attempted no notification via slack (receiver heartbeat) within 80 s (alertmanager_notifications_total is 0)"] });
  });

  test("per-receiver counters (receiver-name-in-metrics): another receiver's deliveries do not count", async () => {
    let other = 9;
    const perReceiver: Route = () =>
      ok(
        [
          'alertmanager_notifications_total{integration="slack",receiver_name="heartbeat"} 2',
          `alertmanager_notifications_total{integration="slack",receiver_name="team"} ${other++}`,
          'alertmanager_notifications_failed_total{integration="slack",reason="other",receiver_name="heartbeat"} 0',
          'alertmanager_notifications_failed_total{integration="slack",reason="other",receiver_name="team"} 0',
          "",
        ].join("\n"),
      );
    const r = await checkAlertDelivery(noSink(), fakeIo(routes(perReceiver)).io);
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_ALERT_NOT_DELIVERED" });
    expect(r.diagnostics.perReceiver).toBe(true);
    let mine = 2;
    const rising: Route = () => ok(`alertmanager_notifications_total{integration="slack",receiver_name="heartbeat"} ${mine++}\nalertmanager_notifications_failed_total{integration="slack",reason="other",receiver_name="heartbeat"} 0\n`);
    expect((await checkAlertDelivery(noSink(), fakeIo(routes(rising)).io)).status).toBe("green");
  });

  test("counters per integration only, and another receiver shares it: warn E_PROOF_ALERT_UNATTRIBUTED, not green", async () => {
    const shared = CONFIG + "\n  - name: team\n    slack_configs:\n      - channel: '#team'\n        api_url_file: /etc/alertmanager/secrets/team-slack-api-url";
    let total = 3;
    const f = fakeIo({ ...routes(metrics(() => [total++, 1])), [`${AM}/api/v2/status`]: () => ok({ config: { original: shared } }) });
    const r = await checkAlertDelivery(noSink(), f.io);
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_ALERT_UNATTRIBUTED" });
    expect(r.findings[0]).toContain("receiver team uses it too");
  });

  test("the receiver has no integration (blackhole): warn E_PROOF_ALERT_UNROUTED", async () => {
    const f = fakeIo({ ...routes(metrics(() => [0, 0])), [`${AM}/api/v2/alerts`]: alerts(() => [amAlert({ receivers: ["blackhole"] })]) });
    const r = await checkAlertDelivery(noSink({ receiver: "blackhole" }), f.io);
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_ALERT_UNROUTED" });
    expect(f.counts[`${AM}/metrics`]).toBeUndefined();
  });

  test("counters labelled with receiver names (receiver-name-in-metrics) count only this receiver", () => {
    const text = 'alertmanager_notifications_total{integration="slack",receiver_name="heartbeat"} 2\nalertmanager_notifications_total{integration="slack",receiver_name="team"} 9\n';
    expect(parseSamples(text, "alertmanager_notifications_total")).toEqual([
      { labels: { integration: "slack", receiver_name: "heartbeat" }, value: 2 },
      { labels: { integration: "slack", receiver_name: "team" }, value: 9 },
    ]);
    expect(receiverIntegrations(CONFIG, "heartbeat")).toEqual(["slack"]);
    expect(receiverIntegrations(CONFIG, "blackhole")).toEqual([]);
    expect(receiverIntegrations(CONFIG, "nope")).toBeUndefined();
  });
});

describe("L9 freshness: an old delivery does not prove the path works now", () => {
  test("with maxAgeMs only notifications the sink received recently (by its clock) count", async () => {
    const old = { ...notification(), receivedAt: "2026-03-01T11:50:00.000Z" };
    const routes = (list: unknown[]) => ({ [`${AM}/-/ready`]: ready, [`${AM}/api/v2/alerts`]: alerts(() => [amAlert()]), [`${SINK}/received`]: () => ok({ now: "2026-03-01T12:00:40.000Z", notifications: list }) });
    const r = await checkAlertDelivery(input({ maxAgeMs: 130_000, timeoutMs: 2_000 }), fakeIo(routes([old])).io);
    expect(r).toMatchObject({ code: "E_PROOF_ALERT_NOT_DELIVERED", findings: ["the alert sink recorded no notification for receiver heartbeat in the last 130 s; older ones only"] });
    const g = await checkAlertDelivery(input({ maxAgeMs: 130_000 }), fakeIo(routes([old, notification()])).io);
    expect(g.status).toBe("green");
  });
});
