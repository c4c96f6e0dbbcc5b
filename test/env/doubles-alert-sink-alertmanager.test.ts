// The REAL Alertmanager 0.35.0 (built by test/engine/build-services.sh into .tools/services/bin)
// delivering to the alert sink through its Slack and email integrations: delivery is judged as the
// proofs judge it, from Alertmanager's own per-receiver counters (receiver-name-in-metrics), and the
// sink must have recorded the message. Also shows the two refusals a wrong setup meets: a wrong
// password (535) and, on a non-loopback smarthost, a sink that advertises PLAIN before LOGIN (Go's
// PLAIN refuses to send a password without TLS there, so Alertmanager fails before sending).
// Skipped, saying so in its name, when the binary is not built.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, ChildProcess } from "node:child_process";
import { freePort, startSink, received, Sink } from "./alert-sink-harness";

const AM = path.join(__dirname, "..", "..", ".tools", "services", "bin", "alertmanager-v0.35.0");
const HAVE_AM = fs.existsSync(AM);

jest.setTimeout(90_000);

/** The first non-loopback IPv4 address of this machine (the test environment's case), or null. */
function externalIPv4(): string | null {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return null;
}

/** Sum of a metric's samples whose labels include `want` (Prometheus text format). */
function sampleSum(text: string, name: string, want: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? ([^ ]+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    if (Object.entries(want).every(([k, v]) => labels[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>, seen: () => string): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}; seen: ${seen()}`);
}

const suite = HAVE_AM ? describe : describe.skip;
suite(`real Alertmanager 0.35.0 delivering to the alert sink${HAVE_AM ? "" : ` (skipped: no ${AM}; build it with npm run -s services:build)`}`, () => {
  const procs: ChildProcess[] = [];
  let dir = "";
  afterAll(() => {
    for (const p of procs) p.kill("SIGTERM");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("slack and email receivers: notifications_total rises with no failure and the sink recorded each; a wrong password and PLAIN-first on a non-loopback smarthost fail", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "am-sink-"));
    const ip = externalIPv4();
    const env = { ALERT_SINK_SMTP_AUTH_USERNAME: "alertmanager", ALERT_SINK_SMTP_AUTH_PASSWORD: "sink-smtp-password" };
    // the sink as the test environment runs it (LOGIN before PLAIN), on a non-loopback address when there is one
    const sink: Sink = await startSink([], env, `${ip ?? "127.0.0.1"}:0`);
    procs.push(sink.proc);
    const plainFirst: Sink | null = ip ? await startSink(["--smtp-auth-mechanisms=PLAIN,LOGIN"], env, `${ip}:0`) : null;
    if (plainFirst) procs.push(plainFirst.proc);
    fs.writeFileSync(path.join(dir, "password"), "sink-smtp-password\n", { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "wrong"), "not-the-password\n", { mode: 0o600 });
    const email = (name: string, port: number, pwFile: string) => ({
      name,
      email_configs: [{ to: "oncall@example.test", from: "alertmanager@example.test", smarthost: `${ip ?? "127.0.0.1"}:${port}`, require_tls: false, auth_username: "alertmanager", auth_password_file: path.join(dir, pwFile), send_resolved: true }],
    });
    const receivers = [
      { name: "chat", slack_configs: [{ api_url: `${sink.url}/slack/chat`, channel: "#alerts", send_resolved: true }] },
      email("mail", sink.smtpPort, "password"),
      email("mail-wrong", sink.smtpPort, "wrong"),
      ...(plainFirst ? [email("mail-plain", plainFirst.smtpPort, "password")] : []),
    ];
    const config = {
      route: { receiver: "chat", group_by: ["alertname", "to"], group_wait: "0s", group_interval: "1s", repeat_interval: "1h", routes: receivers.slice(1).map((r) => ({ matchers: [`to="${r.name}"`], receiver: r.name })) },
      receivers,
    };
    fs.writeFileSync(path.join(dir, "alertmanager.yml"), JSON.stringify(config)); // JSON is YAML
    const port = await freePort();
    const am = spawn(AM, [`--config.file=${path.join(dir, "alertmanager.yml")}`, `--storage.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--enable-feature=receiver-name-in-metrics"], { stdio: ["ignore", "pipe", "pipe"] });
    procs.push(am);
    let amOut = "";
    am.stdout!.on("data", (d) => (amOut += d));
    am.stderr!.on("data", (d) => (amOut += d));
    const base = `http://127.0.0.1:${port}`;
    await until("Alertmanager /-/ready", 30, async () => ((await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(1000) })).status === 200 ? true : undefined), () => amOut.slice(-2000));

    const alerts = receivers.map((r) => ({ labels: { alertname: "Watchdog", severity: "info", to: r.name }, annotations: { summary: "Alerting pipeline heartbeat" } }));
    const posted = await fetch(`${base}/api/v2/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(alerts), signal: AbortSignal.timeout(3000) });
    expect(posted.status).toBe(200);

    const metrics = async () => (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const total = (t: string, integration: string, receiver: string) => sampleSum(t, "alertmanager_notifications_total", { integration, receiver_name: receiver });
    const reqFailed = (t: string, integration: string, receiver: string) => sampleSum(t, "alertmanager_notification_requests_failed_total", { integration, receiver_name: receiver });
    let last = "";
    const text = await until(
      "slack and email notifications counted, and the refused ones failed",
      60,
      async () => {
        last = await metrics();
        const done = total(last, "slack", "chat") >= 1 && total(last, "email", "mail") >= 1 && reqFailed(last, "email", "mail-wrong") >= 1 && (!plainFirst || reqFailed(last, "email", "mail-plain") >= 1);
        return done ? last : undefined;
      },
      () => `${last.split("\n").filter((l) => /^alertmanager_notification(s|_requests)_(failed_)?total/.test(l) && !/ 0$/.test(l)).join("; ")}; alertmanager log: ${amOut.slice(-1500)}`,
    );
    // delivered, never failed: as the proofs read it
    for (const [integration, receiver] of [["slack", "chat"], ["email", "mail"]]) {
      expect([receiver, reqFailed(text, integration, receiver), sampleSum(text, "alertmanager_notifications_failed_total", { integration, receiver_name: receiver })]).toEqual([receiver, 0, 0]);
    }
    const got = await received(sink.url);
    const slack = got.notifications.filter((n) => n.kind === "slack");
    expect(slack).toHaveLength(1);
    expect(slack[0]).toMatchObject({ path: "/slack/chat", name: "chat", slack: { channel: "#alerts", username: "Alertmanager" } });
    expect(String((slack[0].slack!.attachments as { title: string }[])[0].title)).toMatch(/^\[FIRING:1\] Watchdog/);
    const mails = got.notifications.filter((n) => n.kind === "email");
    // only the right password got a message in; the wrong one was refused before MAIL
    expect(mails).toHaveLength(1);
    expect(mails[0].email).toMatchObject({ helo: "localhost", authenticatedAs: "alertmanager", from: "alertmanager@example.test", to: ["oncall@example.test"] });
    expect(mails[0].email!.subject).toMatch(/^\[FIRING:1\] Watchdog/);
    expect(mails[0].email!.parts.map((p) => p.contentType)).toEqual(["text/html"]);
    expect(mails[0].email!.parts[0].excerpt).toMatch(/Watchdog/);
    if (plainFirst) {
      expect((await received(plainFirst.url)).total).toBe(0);
      expect(amOut).toMatch(/receiver=mail-plain .*plainAuth auth: unencrypted connection/);
    }
    // Alertmanager chose LOGIN (first advertised) and was refused by the sink's 535
    expect(amOut).toMatch(/loginAuth auth: 535 .{0,4}5\.7\.8 Authentication credentials invalid/);
  });
});
