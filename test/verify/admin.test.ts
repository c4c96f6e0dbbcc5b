// GrafanaAdminPassword (components/verify/admin.ts): log in with the configured password, reset it
// with `grafana cli` over docker exec stdin when Grafana refuses it, prove it took; refresh only
// logs in. Against an in-process Grafana API server whose stored password the exec changes.
import { adminCheck, adminCreate, adminDiff, adminOutputs, adminRead, probeLogin, reconcileGrafanaAdmin, type GrafanaAdminInput } from "../../components/verify/admin";
import { GRAFANA_RESET_COMMAND } from "../../components/defaults";
import { FakeDocker, makeTestIo, startServer, TestServer } from "./fakes";

const PW = "configured-Pa55word";
const CONTAINER = "lb-grafana";
let grafana: TestServer;
/** What the fake Grafana's database holds. */
let stored: string;
let userBody: unknown;
/** Grafana's login lockout (loginattempt service): every login answers 401 login-attempt.blocked, right password or not. */
let blocked: boolean;

beforeAll(async () => {
  grafana = await startServer((req, url) => {
    if (url.pathname !== "/api/user") return { status: 404, body: { message: "Not found" } };
    // pkg/services/authn/clients/password.go: errLoginAttemptBlocked (401, messageId login-attempt.blocked).
    if (blocked) return { status: 401, body: { message: "Invalid username or password", messageId: "login-attempt.blocked", statusCode: 401, traceID: "" } };
    const ok = req.headers.authorization === `Basic ${Buffer.from(`admin:${stored}`).toString("base64")}`;
    return ok ? { status: 200, body: userBody } : { status: 401, body: { message: "Invalid username or password" } };
  });
});
afterAll(() => grafana.close());
beforeEach(() => {
  stored = PW;
  blocked = false;
  userBody = { id: 1, login: "admin", isGrafanaAdmin: true };
});

/** A Docker whose `grafana cli admin reset-admin-password` sets the fake's stored password. */
function dockerWithCli(): FakeDocker {
  const d = new FakeDocker();
  d.addContainer(CONTAINER);
  d.files.set(`${CONTAINER}:/etc/grafana/secrets/admin_password`, `${PW}\n`); // the file Grafana was given
  d.execImpl = (_c, cmd, stdin) => {
    if (cmd.join(" ") === GRAFANA_RESET_COMMAND.join(" ")) {
      stored = (stdin ?? "").split("\n")[0];
      return { exitCode: 0, stdout: "\nAdmin password changed successfully ✔\n", stderr: "" };
    }
    return { exitCode: 127, stdout: "", stderr: "not found" };
  };
  return d;
}

const input = (over: Partial<GrafanaAdminInput> = {}): GrafanaAdminInput => ({
  grafanaUrl: grafana.url,
  user: "admin",
  password: PW,
  container: CONTAINER,
  resetCommand: [...GRAFANA_RESET_COMMAND],
  deadlineSeconds: 1,
  timeoutMs: 500,
  ...over,
});

describe("reconcileGrafanaAdmin", () => {
  test("Grafana accepts the password: nothing runs in the container", async () => {
    const d = dockerWithCli();
    expect(await reconcileGrafanaAdmin(input(), makeTestIo(d))).toEqual({ action: "none" });
    expect(d.execs).toEqual([]);
  });

  test("refused (old password in the database): reset via grafana cli with the password on stdin only, then logged in", async () => {
    stored = "the-old-password";
    const d = dockerWithCli();
    expect(await reconcileGrafanaAdmin(input(), makeTestIo(d))).toEqual({ action: "reset" });
    expect(d.execs).toEqual([{ container: CONTAINER, cmd: [...GRAFANA_RESET_COMMAND], stdin: `${PW}\n` }]);
    expect(d.execs[0].cmd.join(" ")).not.toContain(PW);
    expect(stored).toBe(PW);
    expect((await probeLogin(input(), makeTestIo(d))).state).toBe("in-sync");
  });

  test("the reset fails: E_RUNTIME_GRAFANA_ADMIN_PASSWORD with the CLI's output, the password redacted", async () => {
    stored = "the-old-password";
    const d = dockerWithCli();
    d.execImpl = () => ({ exitCode: 1, stdout: "", stderr: `Error: ✗ could not update ${PW} in database is locked` });
    const err = await reconcileGrafanaAdmin(input(), makeTestIo(d)).catch((e) => e);
    expect(err.code).toBe("E_RUNTIME_GRAFANA_ADMIN_PASSWORD");
    expect(err.message).toContain(`reset-admin-password\` in ${CONTAINER} exited 1: Error: ✗ could not update [redacted] in database is locked`);
    expect(err.message).not.toContain(PW);
  });

  test("the reset fails but the password logs in by then (admin user created meanwhile on a first start): no error", async () => {
    stored = "not-yet";
    const d = dockerWithCli();
    d.execImpl = () => {
      stored = PW; // Grafana finished creating the admin user from GF_SECURITY_ADMIN_PASSWORD
      return { exitCode: 1, stdout: "", stderr: "Error: ✗ user not found" };
    };
    expect(await reconcileGrafanaAdmin(input(), makeTestIo(d))).toEqual({ action: "none" });
    expect(d.execs).toHaveLength(1);
  });

  test("the reset exits 0 but Grafana still refuses: E_RUNTIME_GRAFANA_ADMIN_PASSWORD (a reset that did not take is not success)", async () => {
    stored = "the-old-password";
    const d = dockerWithCli();
    d.execImpl = () => ({ exitCode: 0, stdout: "Admin password changed successfully", stderr: "" });
    const err = await reconcileGrafanaAdmin(input(), makeTestIo(d)).catch((e) => e);
    expect(err.code).toBe("E_RUNTIME_GRAFANA_ADMIN_PASSWORD");
    expect(err.message).toBe(`E_RUNTIME_GRAFANA_ADMIN_PASSWORD: Grafana still refuses the configured admin password after the reset in ${CONTAINER} (HTTP 401 (credentials refused))`);
  });

  test("Grafana's login lockout is not a wrong password: E_RUNTIME_GRAFANA_LOCKED, nothing reset", async () => {
    blocked = true;
    const d = dockerWithCli();
    await expect(reconcileGrafanaAdmin(input(), makeTestIo(d))).rejects.toMatchObject({ code: "E_RUNTIME_GRAFANA_LOCKED" });
    expect(d.execs).toEqual([]);
    expect((await probeLogin(input(), makeTestIo(d))).state).toBe("locked");
  });

  test("Grafana does not answer: E_NETWORK_UNREACHABLE within the deadline, no reset attempted", async () => {
    const d = dockerWithCli();
    const t0 = Date.now();
    const err = await reconcileGrafanaAdmin(input({ grafanaUrl: "http://127.0.0.1:9" }), makeTestIo(d)).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err.code).toBe("E_NETWORK_UNREACHABLE");
    expect(err.message).toMatch(/^E_NETWORK_UNREACHABLE: Grafana at http:\/\/127\.0\.0\.1:9 did not answer a login within 1 s \(\d+ attempts, last: no answer \(ECONNREFUSED\)\)$/);
    expect(d.execs).toEqual([]);
  });

  test("a 200 that is not the admin user is not a login (retried, then unreachable)", async () => {
    userBody = { id: 7, login: "viewer" };
    const r = await probeLogin(input(), makeTestIo(dockerWithCli()));
    expect(r.state).toBe("unreachable");
    expect(r.detail).toBe("HTTP 200 but the body is not user admin");
    expect(r.attempts).toBeGreaterThan(1);
  });
});

describe("provider operations", () => {
  const props = () => ({
    grafanaUrl: grafana.url,
    user: "admin",
    container: CONTAINER,
    passwordFile: "/etc/grafana/secrets/admin_password",
    resetCommand: [...GRAFANA_RESET_COMMAND],
    deadlineSeconds: 1,
    timeoutMs: 500,
    containerId: "c1",
    adminPassword: PW,
  });
  /** The outputs' desired part: every input but the password. */
  const publicOf = () => {
    const { adminPassword: _pw, ...rest } = props();
    void _pw;
    return rest;
  };

  test("check: every required input, and a non-empty password", () => {
    expect(adminCheck(props()).failures).toEqual([]);
    const { passwordFile: _f, adminPassword: _p, ...rest } = props();
    void _f;
    void _p;
    expect(adminCheck(rest).failures).toEqual([
      { property: "passwordFile", reason: "GrafanaAdminPassword needs passwordFile" },
      { property: "adminPassword", reason: "GrafanaAdminPassword needs a non-empty adminPassword" },
    ]);
  });

  test("create: id from the container, outputs = inputs without the password + state in-sync", async () => {
    stored = "the-old-password";
    const d = dockerWithCli();
    const c = await adminCreate(props(), makeTestIo(d));
    expect(c).toEqual({ id: `grafana-admin-${CONTAINER}`, outs: { ...publicOf(), state: "in-sync" } });
    expect(JSON.stringify(c)).not.toContain(PW);
    expect(d.execs).toHaveLength(1);
  });

  test("diff: none on the same inputs; some for a new container, a changed input, or a state refresh saw refused", () => {
    const outs = adminOutputs(props(), "in-sync");
    expect(adminDiff(outs, props())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(adminDiff(outs, { ...props(), containerId: "c2" }).changes).toBe(true);
    expect(adminDiff(outs, { ...props(), grafanaUrl: "http://127.0.0.1:1" }).changes).toBe(true);
    expect(adminDiff(adminOutputs(props(), "refused"), props()).changes).toBe(true);
    expect(adminDiff(adminOutputs(props(), "unreachable"), props()).changes).toBe(true);
  });

  test("read (refresh): in-sync when the password the container was given logs in; refused after a change behind the stack; never resets", async () => {
    const d = dockerWithCli();
    const outs = adminOutputs(props(), "in-sync");
    const saved = process.env.GRAFANA_ADMIN_PASSWORD;
    delete process.env.GRAFANA_ADMIN_PASSWORD; // read must find the password without env or state
    try {
      expect(await adminRead("id1", outs, makeTestIo(d))).toEqual({ id: "id1", props: outs });
      stored = "changed-in-the-ui";
      expect(await adminRead("id1", outs, makeTestIo(d))).toEqual({ id: "id1", props: { ...publicOf(), state: "refused" } });
      expect(d.execs).toEqual([]); // read never resets
      expect(d.reads.map((r) => r.path)).toEqual(["/etc/grafana/secrets/admin_password", "/etc/grafana/secrets/admin_password"]);
      d.containers.delete(CONTAINER); // container gone: no password file, Grafana cannot be logged into
      expect((await adminRead("id1", outs, makeTestIo(d))).props.state).toBe("unreachable");
    } finally {
      if (saved !== undefined) process.env.GRAFANA_ADMIN_PASSWORD = saved;
    }
  });
});
