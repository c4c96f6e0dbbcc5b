// The test environment's alert sink (test/env/doubles/alert-sink): the process itself on
// ephemeral 127.0.0.1 ports, fed Alertmanager webhook messages (notify/webhook/webhook.go, version
// "4") and Slack incoming-webhook posts (notify/slack/slack.go) as Alertmanager sends them, and read
// back as the proofs read it. SMTP: doubles-alert-sink-smtp.test.ts; the real Alertmanager against
// the sink: doubles-alert-sink-alertmanager.test.ts.
import { spawn } from "node:child_process";
import { SINK_SERVER as SERVER, Sink, startSink, received, alertmanagerSlack, SmtpClient, dotStuff, alertmanagerMail } from "./alert-sink-harness";

/* eslint-disable @typescript-eslint/no-require-imports */
const sinkMod = require("./doubles/alert-sink/server.js");
const slackMod = require("./doubles/alert-sink/slack.js");

jest.setTimeout(20_000);

const start = (args: string[] = []) => startSink(args);

function message(over: Record<string, unknown> = {}) {
  return {
    receiver: "heartbeat",
    status: "firing",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "Watchdog", project: "lb", severity: "info" },
        annotations: { summary: "Alerting pipeline heartbeat: always firing" },
        startsAt: "2026-03-01T12:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph",
        fingerprint: "0a1b2c3d4e5f6a7b",
      },
    ],
    groupLabels: { alertname: "Watchdog" },
    commonLabels: { alertname: "Watchdog", project: "lb", severity: "info" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    version: "4",
    groupKey: '{}/{alertname="Watchdog"}:{alertname="Watchdog"}',
    truncatedAlerts: 0,
    ...over,
  };
}

const post = (url: string, body: string, contentType = "application/json") =>
  fetch(url, { method: "POST", body, headers: { "Content-Type": contentType }, signal: AbortSignal.timeout(3000) });
let sink: Sink | undefined;
afterEach(() => {
  sink?.proc.kill("SIGTERM");
  sink = undefined;
});

describe("alert webhook sink", () => {
  test("records Alertmanager's webhook messages on /webhook and /hook/<name>, serves them with receive times, ready answers OK", async () => {
    sink = await start();
    const ready = await fetch(`${sink.url}/-/ready`);
    expect([ready.status, await ready.text()]).toEqual([200, "OK"]);
    const before = Date.now();
    const r1 = await post(`${sink.url}/webhook`, JSON.stringify(message()));
    expect([r1.status, await r1.json()]).toEqual([200, { status: "recorded", seq: 1 }]);
    const r2 = await post(`${sink.url}/hook/team`, JSON.stringify(message({ receiver: "team", status: "resolved" })), "application/json; charset=utf-8");
    expect(r2.status).toBe(200);
    const got = await received(sink.url);
    expect(got).toMatchObject({ capacity: 200, total: 2, dropped: 0 });
    expect(Math.abs(Date.parse((got as unknown as { now: string }).now) - Date.now())).toBeLessThan(5000);
    // a webhook entry is what it always was, plus its kind
    expect(Object.keys(got.notifications[0]).sort()).toEqual(["kind", "path", "payload", "receivedAt", "seq"]);
    expect(got.notifications.map((n) => n.kind)).toEqual(["webhook", "webhook"]);
    expect(got.notifications.map((n) => [n.seq, n.path, n.payload!.receiver, n.payload!.status])).toEqual([
      [1, "/webhook", "heartbeat", "firing"],
      [2, "/hook/team", "team", "resolved"],
    ]);
    // the message is kept as sent (fields the sink does not know included)
    expect(got.notifications[0].payload).toEqual(message());
    const t = Date.parse(got.notifications[0].receivedAt);
    expect(t).toBeGreaterThanOrEqual(before - 1000);
    expect(t).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await received(sink.url, "?receiver=team")).notifications.map((n) => n.seq)).toEqual([2]);
  });

  test("refuses what is not a webhook message with 400 and records nothing", async () => {
    sink = await start();
    const cases: [string, string, RegExp][] = [
      ["not json", "application/json", /^body is not JSON/],
      [JSON.stringify(message()), "text/plain", /^Content-Type must be application\/json/],
      [JSON.stringify([1, 2]), "application/json", /body is not a JSON object/],
      [JSON.stringify(message({ alerts: "x" })), "application/json", /alerts must be an array/],
      [JSON.stringify(message({ receiver: 3 })), "application/json", /receiver must be a string/],
      [JSON.stringify(message({ alerts: [{ status: "firing", labels: { a: 1 } }] })), "application/json", /alerts\[0\]\.labels must map strings to strings/],
    ];
    for (const [body, ct, re] of cases) {
      const r = await post(`${sink.url}/webhook`, body, ct);
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(re);
    }
    expect((await received(sink.url)).total).toBe(0);
  });

  test("methods and paths: GET on a hook is 405, unknown paths 404, a body over 1 MiB 413", async () => {
    sink = await start();
    expect((await fetch(`${sink.url}/webhook`)).status).toBe(405);
    expect((await fetch(`${sink.url}/received`, { method: "POST", body: "{}" })).status).toBe(405);
    expect((await post(`${sink.url}/hook/a/b`, JSON.stringify(message()))).status).toBe(404);
    expect((await fetch(`${sink.url}/api/v2/alerts`)).status).toBe(404);
    const big = JSON.stringify(message({ pad: "x".repeat(sinkMod.MAX_BODY) }));
    const r = await post(`${sink.url}/webhook`, big).catch(() => ({ status: 413 }));
    expect(r.status).toBe(413);
    expect((await received(sink.url)).total).toBe(0);
  });

  test("the ring is bounded: the oldest notifications go, total and dropped say how many", async () => {
    sink = await start(["--capacity=3"]);
    for (let i = 0; i < 5; i++) expect((await post(`${sink.url}/webhook`, JSON.stringify(message({ groupKey: `g${i}` })))).status).toBe(200);
    const got = await received(sink.url);
    expect(got).toMatchObject({ capacity: 3, total: 5, dropped: 2 });
    expect(got.notifications.map((n) => [n.seq, n.payload!.groupKey])).toEqual([
      [3, "g2"],
      [4, "g3"],
      [5, "g4"],
    ]);
  });

  test("a capacity that is not a positive integer: exit 2", async () => {
    const proc = spawn(process.execPath, [SERVER, "--listen-address=127.0.0.1:0", "--smtp-address=127.0.0.1:0", "--capacity=0"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    proc.stderr!.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((r) => proc.on("exit", (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/--capacity must be a positive integer/);
  });

  test("validateMessage and isHookPath (pure)", () => {
    expect(sinkMod.validateMessage(message())).toEqual([]);
    expect(sinkMod.validateMessage({})).toEqual(["version must be a string", "receiver must be a string", "status must be a string", "groupKey must be a string", "alerts must be an array"]);
    expect(["/webhook", "/hook/x", "/hook/a.b-c_d"].map(sinkMod.isHookPath)).toEqual([true, true, true]);
    expect(["/", "/hook/", "/hook/a/b", "/webhooks"].map(sinkMod.isHookPath)).toEqual([false, false, false, false]);
  });
});

describe("alert sink: Slack incoming webhook (/slack/<name>)", () => {
  const postSlack = (url: string, body: string, contentType = "application/json") =>
    fetch(url, { method: "POST", body, headers: { "Content-Type": contentType, "User-Agent": "Alertmanager/0.35.0" }, signal: AbortSignal.timeout(3000) });

  test("answers Alertmanager's post as an incoming webhook does (200, body exactly `ok`, not JSON) and records it as kind slack", async () => {
    sink = await start();
    // Alertmanager's json.Encoder ends the body with a newline
    const r = await postSlack(`${sink.url}/slack/chat`, JSON.stringify(alertmanagerSlack()) + "\n");
    expect(r.status).toBe(200);
    // Alertmanager: a Content-Type starting with application/json would make it parse JSON and want "ok": true
    expect(r.headers.get("content-type") ?? "").not.toMatch(/^application\/json/);
    expect(Buffer.from(await r.arrayBuffer()).toString("latin1")).toBe("ok");
    expect((await postSlack(`${sink.url}/webhook`, JSON.stringify(message()))).status).toBe(200);
    const got = await received(sink.url);
    expect(got).toMatchObject({ total: 2, dropped: 0, totals: { webhook: 1, slack: 1, email: 0 } });
    const slack = got.notifications[0];
    expect(slack).toMatchObject({ seq: 1, kind: "slack", path: "/slack/chat", name: "chat", slack: alertmanagerSlack() });
    // no `payload` on a Slack entry: readers of webhook payloads (L9) never see it as one
    expect(slack.payload).toBeUndefined();
    expect((await received(sink.url, "?kind=slack")).notifications.map((n) => n.seq)).toEqual([1]);
    expect((await received(sink.url, "?kind=webhook")).notifications.map((n) => n.seq)).toEqual([2]);
    expect((await received(sink.url, "?receiver=heartbeat")).notifications.map((n) => n.seq)).toEqual([2]);
  });

  test("refuses what Slack would refuse, with its error strings, and records nothing", async () => {
    sink = await start();
    const cases: [string, string, number, string][] = [
      ["not json", "application/json", 400, "invalid_payload"],
      [JSON.stringify(alertmanagerSlack()), "text/plain", 400, "invalid_payload"],
      [JSON.stringify([1]), "application/json", 400, "invalid_payload"],
      [JSON.stringify(alertmanagerSlack({ attachments: "x" })), "application/json", 400, "invalid_payload"],
      [JSON.stringify(alertmanagerSlack({ channel: 5 })), "application/json", 400, "invalid_payload"],
      [JSON.stringify({ channel: "#alerts", attachments: [] }), "application/json", 400, "no_text"],
      [JSON.stringify(alertmanagerSlack({ attachments: Array.from({ length: 101 }, () => ({ text: "x" })) })), "application/json", 400, "too_many_attachments"],
    ];
    for (const [body, ct, status, text] of cases) {
      const r = await postSlack(`${sink.url}/slack/chat`, body, ct);
      expect([r.status, await r.text()]).toEqual([status, text]);
    }
    expect((await fetch(`${sink.url}/slack/chat`)).status).toBe(405);
    expect((await postSlack(`${sink.url}/slack/a/b`, JSON.stringify(alertmanagerSlack()))).status).toBe(404);
    expect((await postSlack(`${sink.url}/slack/`, JSON.stringify(alertmanagerSlack()))).status).toBe(404);
    const big = await postSlack(`${sink.url}/slack/chat`, JSON.stringify(alertmanagerSlack({ pad: "x".repeat(sinkMod.MAX_BODY) }))).catch(() => ({ status: 413 }));
    expect(big.status).toBe(413);
    expect((await received(sink.url)).total).toBe(0);
  });

  test("one bounded ring for every kind: the oldest go first, totals count each kind since the start", async () => {
    sink = await start(["--capacity=2"]);
    expect((await postSlack(`${sink.url}/slack/a`, JSON.stringify(alertmanagerSlack()))).status).toBe(200);
    expect((await postSlack(`${sink.url}/webhook`, JSON.stringify(message()))).status).toBe(200);
    const c = await SmtpClient.connect(sink.smtpPort);
    for (const [line, code] of [["", 220], ["EHLO localhost", 250], ["MAIL FROM:<am@example.test>", 250], ["RCPT TO:<b@example.test>", 250], ["DATA", 354]] as const)
      expect((line ? await c.cmd(line) : await c.read())!.code).toBe(code);
    c.write(dotStuff(alertmanagerMail()));
    expect((await c.read())!.code).toBe(250);
    c.end();
    const got = await received(sink.url);
    expect(got).toMatchObject({ capacity: 2, total: 3, dropped: 1, totals: { webhook: 1, slack: 1, email: 1 } });
    expect(got.notifications.map((n) => [n.seq, n.kind])).toEqual([
      [2, "webhook"],
      [3, "email"],
    ]);
  });

  test("validateSlackMessage and isSlackPath (pure)", () => {
    expect(slackMod.validateSlackMessage(alertmanagerSlack())).toEqual({ error: null, problems: [] });
    expect(slackMod.validateSlackMessage({ text: "plain text only" })).toEqual({ error: null, problems: [] });
    expect(slackMod.validateSlackMessage(alertmanagerSlack({ link_names: "yes", attachments: [{ title: 1, mrkdwn_in: [2], fields: [{ title: "t", value: 3 }], actions: [1] }] }))).toEqual({
      error: "invalid_payload",
      problems: ["link_names must be a boolean", "attachments[0].title must be a string", "attachments[0].mrkdwn_in must be an array of strings", "attachments[0].fields[0] must be {title, value, short}", "attachments[0].actions must be an array of objects"],
    });
    expect(slackMod.validateSlackMessage({ attachments: null }).error).toBe("no_text");
    expect(["/slack/chat", "/slack/a.b-c_d"].map(slackMod.isSlackPath)).toEqual([true, true]);
    expect(["/slack", "/slack/", "/slack/a/b", "/slacks/a"].map(slackMod.isSlackPath)).toEqual([false, false, false, false]);
  });
});
