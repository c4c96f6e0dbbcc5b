// The test environment's alert webhook sink (test/env/doubles/alert-sink): the process itself on
// an ephemeral 127.0.0.1 port, fed Alertmanager webhook messages (notify/webhook/webhook.go,
// version "4") and read back as the L9 proof reads it.
import * as path from "node:path";
import * as http from "node:http";
import { spawn, ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";

/* eslint-disable @typescript-eslint/no-require-imports */
const sinkMod = require("./doubles/alert-sink/server.js");

jest.setTimeout(20_000);

const SERVER = path.join(__dirname, "doubles", "alert-sink", "server.js");

/** A free port on 127.0.0.1 (bound, read, released). */
async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Spawn the sink and wait for /-/ready. */
async function start(args: string[] = []): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [SERVER, `--listen-address=127.0.0.1:${port}`, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(500) });
      if (r.status === 200) return { url, proc };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill();
  throw new Error("alert sink did not start");
}

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
const received = async (url: string, q = "") => (await (await fetch(`${url}/received${q}`, { signal: AbortSignal.timeout(3000) })).json()) as { capacity: number; total: number; dropped: number; notifications: { seq: number; receivedAt: string; path: string; payload: Record<string, unknown> }[] };

let sink: { url: string; proc: ChildProcess } | undefined;
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
    expect(got.notifications.map((n) => [n.seq, n.path, n.payload.receiver, n.payload.status])).toEqual([
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
    expect(got.notifications.map((n) => [n.seq, n.payload.groupKey])).toEqual([
      [3, "g2"],
      [4, "g3"],
      [5, "g4"],
    ]);
  });

  test("a capacity that is not a positive integer: exit 2", async () => {
    const proc = spawn(process.execPath, [SERVER, "--listen-address=127.0.0.1:0", "--capacity=0"], { stdio: ["ignore", "pipe", "pipe"] });
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
