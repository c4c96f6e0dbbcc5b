// The alert sink's SMTP side (test/env/doubles/alert-sink/smtp.js, mail.js): in process on an
// ephemeral 127.0.0.1 port, driven with the command sequence of Alertmanager's email notifier
// (notify/email/email.go over Go's net/smtp), with and without AUTH, then with what it must refuse.
import type { AddressInfo, Server } from "node:net";
import { SmtpClient, dotStuff, alertmanagerMail, b64, startSink, received } from "./alert-sink-harness";

/* eslint-disable @typescript-eslint/no-require-imports */
const { createSmtpServer, SmtpSession, DEFAULT_LIMITS } = require("./doubles/alert-sink/smtp.js");
const { Ring, emailRecorder, smtpSettings } = require("./doubles/alert-sink/server.js");
const mailMod = require("./doubles/alert-sink/mail.js");

jest.setTimeout(20_000);

type Auth = { username: string; password: string; mechanisms: string[] } | null;
const quiet = () => undefined;

let server: Server | undefined;
let clients: SmtpClient[] = [];
afterEach(async () => {
  clients.forEach((c) => c.end());
  clients = [];
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  server = undefined;
});

/** The sink's SMTP server in process, recording into its own ring; resolves with port and ring. */
async function smtp(auth: Auth = null, limits: Record<string, number> = {}) {
  const ring = new Ring(50);
  const record = emailRecorder(ring, { logLine: quiet });
  server = createSmtpServer({ hostname: "sink.test", auth, limits, record, log: quiet }) as Server;
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as AddressInfo).port, ring };
}

async function connect(port: number): Promise<SmtpClient> {
  const c = await SmtpClient.connect(port);
  clients.push(c);
  return c;
}

const AUTH: Auth = { username: "alertmanager", password: "sink-smtp-password", mechanisms: ["LOGIN", "PLAIN"] };

describe("alert sink SMTP: Alertmanager's session", () => {
  test("without AUTH: greeting, EHLO extensions, MAIL/RCPT/DATA as Go's net/smtp sends them, dot-unstuffed and recorded, QUIT", async () => {
    const { port, ring } = await smtp();
    const c = await connect(port);
    expect(await c.read()).toEqual({ code: 220, lines: ["sink.test ESMTP ready"] });
    const ehlo = await c.cmd("EHLO localhost");
    // Go reads the lines after the first as extensions: no STARTTLS (require_tls: false), no AUTH
    expect(ehlo).toEqual({ code: 250, lines: ["sink.test greets localhost", `SIZE ${DEFAULT_LIMITS.maxMessageBytes}`, "8BITMIME", "ENHANCEDSTATUSCODES"] });
    // 8BITMIME advertised: Go adds BODY=8BITMIME
    expect((await c.cmd("MAIL FROM:<alertmanager@example.test> BODY=8BITMIME"))!.code).toBe(250);
    expect((await c.cmd("RCPT TO:<oncall@example.test>"))!.code).toBe(250);
    expect((await c.cmd("RCPT TO:<second@example.test>"))!.code).toBe(250);
    expect((await c.cmd("DATA"))!.code).toBe(354);
    c.write(dotStuff(alertmanagerMail()));
    expect(await c.read()).toEqual({ code: 250, lines: ["2.0.0 Ok: queued as 1"] });
    expect(await c.cmd("QUIT")).toEqual({ code: 221, lines: ["2.0.0 sink.test closing connection"] });
    expect(await c.closedWithin()).toBe(true);
    expect(ring.items).toHaveLength(1);
    const e = ring.items[0];
    expect(e).toMatchObject({ seq: 1, kind: "email" });
    expect(Object.keys(e).sort()).toEqual(["email", "kind", "receivedAt", "seq"]);
    expect(e.email).toMatchObject({
      helo: "localhost",
      authenticatedAs: null,
      from: "alertmanager@example.test",
      to: ["oncall@example.test", "second@example.test"],
      subject: "[FIRING:1] Watchdog (lb info ✓)",
      headers: { from: "alertmanager@example.test", to: "oncall@example.test", messageId: "<1764964800000000000.42@alertmanager>" },
    });
    // the size is of the unstuffed message: the wire form carries one more dot
    expect(e.email.size).toBe(Buffer.byteLength(alertmanagerMail()));
    expect(e.email.parts).toEqual([{ contentType: "text/html", encoding: "quoted-printable", size: expect.any(Number), excerpt: "1 alert for alertname=Watchdog .Labels: severity=info project=lb", truncated: false }]);
  });

  test("with AUTH: advertised LOGIN before PLAIN, MAIL refused until authenticated, LOGIN and PLAIN checked, 535 on a wrong password", async () => {
    const { port, ring } = await smtp(AUTH);
    const c = await connect(port);
    await c.read();
    expect((await c.cmd("EHLO localhost"))!.lines).toContain("AUTH LOGIN PLAIN");
    expect(await c.cmd("MAIL FROM:<alertmanager@example.test>")).toEqual({ code: 530, lines: ["5.7.0 Authentication required"] });
    // LOGIN as Alertmanager's loginAuth: `AUTH LOGIN`, then the answers to "Username:" and "Password:"
    expect(await c.cmd("AUTH LOGIN")).toEqual({ code: 334, lines: [b64("Username:")] });
    expect(await c.cmd(b64("alertmanager"))).toEqual({ code: 334, lines: [b64("Password:")] });
    expect(await c.cmd(b64("wrong"))).toEqual({ code: 535, lines: ["5.7.8 Authentication credentials invalid"] });
    // Go's client then sends "*" (and QUIT); the sink answers and stays usable
    expect((await c.cmd("*"))!.code).toBe(500);
    // PLAIN as Go's smtp.PlainAuth: the initial response on the AUTH line
    expect(await c.cmd(`AUTH PLAIN ${b64("\0alertmanager\0sink-smtp-password")}`)).toEqual({ code: 235, lines: ["2.7.0 Authentication successful"] });
    expect((await c.cmd("AUTH PLAIN"))!.code).toBe(503);
    for (const line of ["MAIL FROM:<alertmanager@example.test> BODY=8BITMIME", "RCPT TO:<oncall@example.test>"]) expect((await c.cmd(line))!.code).toBe(250);
    expect((await c.cmd("DATA"))!.code).toBe(354);
    c.write(dotStuff(alertmanagerMail()));
    expect((await c.read())!.code).toBe(250);
    expect(ring.items[0].email.authenticatedAs).toBe("alertmanager");
    // a LOGIN session end to end on a new connection
    const d = await connect(port);
    await d.read();
    await d.cmd("EHLO localhost");
    for (const [line, code] of [["AUTH LOGIN", 334], [b64("alertmanager"), 334], [b64("sink-smtp-password"), 235]] as const) expect((await d.cmd(line))!.code).toBe(code);
  });

  test("AUTH refusals: unknown mechanism 504, bad base64 501, `*` aborts, another identity refused, three failures close", async () => {
    const { port } = await smtp(AUTH);
    const c = await connect(port);
    await c.read();
    expect((await c.cmd("AUTH LOGIN"))!.code).toBe(503); // before EHLO
    await c.cmd("EHLO localhost");
    expect((await c.cmd("AUTH CRAM-MD5"))!.code).toBe(504);
    expect((await c.cmd("AUTH PLAIN not*base64"))!.code).toBe(501);
    expect((await c.cmd("AUTH PLAIN"))!.code).toBe(334);
    expect((await c.cmd("*"))!.code).toBe(501);
    expect((await c.cmd(`AUTH PLAIN ${b64("someone\0alertmanager\0sink-smtp-password")}`))!.code).toBe(535);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0alertmanager\0nope")}`))!.code).toBe(535);
    expect((await c.cmd(`AUTH PLAIN ${b64("\0other\0sink-smtp-password")}`))!.code).toBe(535);
    expect(await c.read()).toEqual({ code: 421, lines: ["4.7.0 Too many failed authentications, closing connection"] });
    expect(await c.closedWithin()).toBe(true);
    // without credentials configured AUTH is neither advertised nor accepted
    await new Promise<void>((r) => server!.close(() => r()));
    const { port: p2 } = await smtp(null);
    const d = await connect(p2);
    await d.read();
    await d.cmd("EHLO localhost");
    expect((await d.cmd(`AUTH PLAIN ${b64("\0a\0b")}`))!.code).toBe(502);
  });
});

describe("alert sink SMTP: refused and bounded", () => {
  test("sequence and syntax errors: 503/501/555/502/500, nothing recorded; RSET and NOOP; too many errors close", async () => {
    const { port, ring } = await smtp(null, { maxErrors: 13 });
    const c = await connect(port);
    await c.read();
    const steps: [string, number][] = [
      ["MAIL FROM:<a@example.test>", 503], // before EHLO
      ["EHLO", 501],
      ["HELO localhost", 250],
      ["RCPT TO:<b@example.test>", 503], // before MAIL
      ["DATA", 503],
      ["MAIL FROM:a@example.test", 501],
      ["MAIL FROM:<a@example.test> SMTPUTF8", 555],
      [`MAIL FROM:<a@example.test> SIZE=${DEFAULT_LIMITS.maxMessageBytes + 1}`, 552],
      ["MAIL FROM:<a@example.test> SIZE=100", 250],
      ["MAIL FROM:<a@example.test>", 503], // nested
      ["RCPT TO:<>", 501],
      ["DATA", 503], // no recipient yet
      ["RSET", 250],
      ["RCPT TO:<b@example.test>", 503], // RSET ended the transaction
      ["NOOP", 250],
      ["STARTTLS", 502],
      ["VRFY postmaster", 252],
      ["BOGUS", 500],
    ];
    for (const [line, code] of steps) expect([line, (await c.cmd(line))!.code]).toEqual([line, code]);
    expect((await c.read())!.code).toBe(421); // the 13th error
    expect(await c.closedWithin()).toBe(true);
    expect(ring.items).toHaveLength(0);
  });

  test("a line over 1000 octets: 500 and closed; a message over the size limit: 552 and closed, nothing recorded", async () => {
    const { port, ring } = await smtp(null, { maxMessageBytes: 4096 });
    const c = await connect(port);
    await c.read();
    expect(await c.cmd(`NOOP ${"x".repeat(DEFAULT_LIMITS.maxLineBytes)}`)).toEqual({ code: 500, lines: ["5.5.6 Line too long"] });
    expect(await c.closedWithin()).toBe(true);
    const d = await connect(port);
    await d.read();
    for (const line of ["EHLO localhost", "MAIL FROM:<a@example.test>", "RCPT TO:<b@example.test>", "DATA"]) await d.cmd(line);
    d.write(`${"y".repeat(900)}\r\n`.repeat(5));
    expect(await d.read()).toEqual({ code: 552, lines: ["5.3.4 Message size exceeds fixed maximum message size"] });
    expect(await d.closedWithin()).toBe(true);
    // a line without its end is bounded too
    const e = await connect(port);
    await e.read();
    e.write("z".repeat(DEFAULT_LIMITS.maxLineBytes + 1));
    expect((await e.read())!.code).toBe(500);
    expect(ring.items).toHaveLength(0);
  });

  test("idle connections get 421 and are closed; connections over the limit get 421 at once", async () => {
    const { port } = await smtp(null, { idleMs: 300, maxConnections: 2 });
    const a = await connect(port);
    const b = await connect(port);
    expect((await a.read())!.code).toBe(220);
    expect((await b.read())!.code).toBe(220);
    const c = await connect(port);
    expect(await c.read()).toEqual({ code: 421, lines: ["4.3.2 Too many connections, try again later"] });
    expect(await c.closedWithin()).toBe(true);
    expect(await a.read(2000)).toEqual({ code: 421, lines: ["4.4.2 sink.test idle timeout, closing connection"] });
    expect(await a.closedWithin()).toBe(true);
    expect(await b.closedWithin()).toBe(true);
    // the slots are free again
    const d = await connect(port);
    expect((await d.read())!.code).toBe(220);
  });
});

describe("alert sink SMTP: pure parts", () => {
  test("SmtpSession answers pipelined commands in order, across chunk boundaries, CRLF or LF", () => {
    const rec: unknown[] = [];
    const s = new SmtpSession({ hostname: "h", record: (m: unknown) => rec.push(m), log: quiet });
    const wire = `EHLO x\r\nMAIL FROM:<a@b>\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\n..x\r\n.\r\nQUIT\r\n`;
    const out = [wire.slice(0, 10), wire.slice(10, 33), wire.slice(33)].flatMap((part) => s.feed(Buffer.from(part)).replies.map((r: string) => r.slice(0, 3)));
    expect(out).toEqual(["250", "250", "250", "354", "250", "221"]);
    expect(rec).toEqual([{ helo: "x", authenticatedAs: null, from: "a@b", to: ["c@d"], message: Buffer.from("Subject: s\r\n\r\n.x\r\n") }]);
    expect(s.feed(Buffer.from("NOOP\r\n"))).toEqual({ replies: [], close: true });
  });

  test("parseMessage: encoded words (joined), folded headers, quoted-printable, multipart, bounded excerpts", () => {
    expect(mailMod.decodeEncodedWords("=?utf-8?q?a_b?= =?UTF-8?B?w7Y=?= c")).toBe("a bö c");
    expect(mailMod.decodeEncodedWords("=?iso-8859-1?q?=E9t=E9?=")).toBe("été");
    expect(mailMod.decodeQuotedPrintable("a=3Db=\r\nc=C3=B6").toString("utf8")).toBe("a=bcö");
    expect(mailMod.parseHeaders("Subject: one\r\n two\r\nX: y")).toEqual([["Subject", "one two"], ["X", "y"]]);
    const long = `Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${"é".repeat(mailMod.EXCERPT_CHARS + 5)}`;
    const p = mailMod.parseMessage(Buffer.from(long));
    expect(p.parts[0]).toMatchObject({ contentType: "text/plain", truncated: true });
    expect(p.parts[0].excerpt).toHaveLength(mailMod.EXCERPT_CHARS);
    const many = `Content-Type: multipart/mixed; boundary="b"\r\n\r\n${Array.from({ length: 12 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}`).join("\r\n")}\r\n--b--\r\n`;
    const m = mailMod.parseMessage(Buffer.from(many));
    expect(m.parts).toHaveLength(mailMod.MAX_PARTS);
    expect(m.parts[1].excerpt).toBe("part 1");
    expect(mailMod.parseMessage(Buffer.from("no header block")).parts[0].excerpt).toBe("");
    expect(mailMod.htmlText("<html><head><title>t</title></head><body><p>a &amp; b</p><style>x{}</style></body></html>")).toBe("a & b");
  });

  test("smtpSettings: defaults, credentials both or neither, mechanisms, password file, limits", () => {
    expect(smtpSettings({}, {}).options).toMatchObject({ host: "0.0.0.0", port: 1025, hostname: "alert-sink", auth: null, limits: DEFAULT_LIMITS });
    expect(smtpSettings({ "smtp-address": "127.0.0.1:2525", "smtp-auth-username": "u" }, { ALERT_SINK_SMTP_AUTH_PASSWORD: "p" }).options).toMatchObject({ port: 2525, auth: { username: "u", password: "p", mechanisms: ["LOGIN", "PLAIN"] } });
    expect(smtpSettings({ "smtp-auth-password-file": "/f", "smtp-auth-mechanisms": "plain,login" }, { ALERT_SINK_SMTP_AUTH_USERNAME: "u" }, () => "from-file\n").options.auth).toEqual({ username: "u", password: "from-file", mechanisms: ["PLAIN", "LOGIN"] });
    expect(smtpSettings({ "smtp-auth-username": "u" }, {}).error).toMatch(/both a username and a password/);
    expect(smtpSettings({}, { ALERT_SINK_SMTP_AUTH_PASSWORD: "p" }).error).toMatch(/both a username and a password/);
    expect(smtpSettings({ "smtp-auth-mechanisms": "CRAM-MD5" }, {}).error).toMatch(/--smtp-auth-mechanisms/);
    expect(smtpSettings({ "smtp-auth-password-file": "/nope" }, {}, () => { throw Object.assign(new Error("x"), { code: "ENOENT" }); }).error).toMatch(/cannot read it \(ENOENT\)/);
    expect(smtpSettings({ "smtp-idle-timeout-ms": "0" }, {}).error).toMatch(/--smtp-idle-timeout-ms must be a positive integer/);
    expect(smtpSettings({ "smtp-max-connections": "3" }, {}).options.limits.maxConnections).toBe(3);
  });
});

describe("alert sink SMTP: the process", () => {
  test("the sink process serves SMTP with credentials from its environment and records into /received", async () => {
    const sink = await startSink([], { ALERT_SINK_SMTP_AUTH_USERNAME: "alertmanager", ALERT_SINK_SMTP_AUTH_PASSWORD: "sink-smtp-password" });
    try {
      const c = await connect(sink.smtpPort);
      await c.read();
      expect((await c.cmd("EHLO localhost"))!.lines).toContain("AUTH LOGIN PLAIN");
      expect((await c.cmd(`AUTH PLAIN ${b64("\0alertmanager\0sink-smtp-password")}`))!.code).toBe(235);
      for (const line of ["MAIL FROM:<alertmanager@example.test>", "RCPT TO:<oncall@example.test>", "DATA"]) await c.cmd(line);
      c.write(dotStuff(alertmanagerMail()));
      expect((await c.read())!.code).toBe(250);
      const got = await received(sink.url, "?kind=email");
      expect(got.totals).toEqual({ webhook: 0, slack: 0, email: 1 });
      expect(got.notifications[0].email).toMatchObject({ authenticatedAs: "alertmanager", subject: "[FIRING:1] Watchdog (lb info ✓)" });
      // the password is never logged
      expect(sink.output()).not.toContain("sink-smtp-password");
    } finally {
      sink.proc.kill("SIGTERM");
    }
  });
});
