// Redactor layers, the secrets file mode check, and secrets:export against the stub CLI.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { printJson, Redactor, REDACTED } from "../../scripts/lib/redact";
import { checkSecretsFileMode, envNameFor, renderEnvFile } from "../../scripts/lib/secrets-file";
import { makeSandbox, pulumiCalls, REPO, runCli, Sandbox } from "./helpers";

jest.setTimeout(60_000);

describe("Redactor", () => {
  it("redacts by key, by Pulumi secret envelope, by learned value and by pattern; JSON stays valid", () => {
    const r = new Redactor();
    const v = r.value({
      grafanaAdminPassword: "hunter2-xyz",
      nested: { apiKey: 12345678, passwordSet: true, list: [{ token: "tok-abcdef" }] },
      env: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "wrapped-secret" },
      log: "login failed: Authorization: Bearer abc.def.ghi and https://user:pw1234@host/x",
      masked: "[secret]",
      secretKeys: ["GRAFANA_ADMIN_PASSWORD"],
    });
    expect(v).toEqual({
      grafanaAdminPassword: REDACTED,
      nested: { apiKey: REDACTED, passwordSet: true, list: [{ token: REDACTED }] },
      env: REDACTED,
      log: `login failed: Authorization: Bearer ${REDACTED} and https://user:${REDACTED}@host/x`,
      masked: "[secret]",
      secretKeys: ["GRAFANA_ADMIN_PASSWORD"],
    });
    // Learned values are scrubbed from any later text, bare or JSON-escaped.
    expect(r.text("echo hunter2-xyz; wrapped-secret")).toBe(`echo ${REDACTED}; ${REDACTED}`);
    expect(JSON.parse(r.json({ passwordSet: true, msg: 'said "hunter2-xyz"' }))).toEqual({ passwordSet: true, msg: `said "${REDACTED}"` });
    expect(r.line({ a: 1 })).toBe('{"a":1}');
  });
  it("printJson prints valid JSON even where the free-text patterns would match a key", () => {
    const chunks: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
    try {
      printJson({ passwordSet: true, secretKeys: ["GRAFANA_ADMIN_PASSWORD"], note: "password=hunter22 ok" });
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(chunks.join(""))).toEqual({ passwordSet: true, secretKeys: ["GRAFANA_ADMIN_PASSWORD"], note: `password=${REDACTED} ok` });
  });
  it("learns each alerting credential leaf of a secret structured config key (as `pulumi config get` prints it), and nothing else of it", () => {
    const r = new Redactor();
    const alerting = {
      receivers: [
        { name: "sink", webhook: { url: "http://sink.example:8080/hook/Hook-T0ken" } },
        { name: "chat", slack: { apiUrl: "https://hooks.slack.com/services/T0/B0/Slack-T0ken", channel: "#alerts" } },
        { name: "mail", email: { to: "ops@example.com", from: "am@example.com", smarthost: "smtp.example.com:587", authUsername: "am", authPassword: "Smtp-Pw-1" } },
      ],
      defaultReceiver: "sink",
    };
    r.learn([{}, { "logging-bootstrap:alerting": JSON.stringify(alerting) }], true);
    const text = r.text("posted to http://sink.example:8080/hook/Hook-T0ken and https://hooks.slack.com/services/T0/B0/Slack-T0ken as am with Smtp-Pw-1 for sink #alerts");
    expect(text).toBe(`posted to ${REDACTED} and ${REDACTED} as am with ${REDACTED} for sink #alerts`);
    // The same leaves inside a structure are redacted by position (url alone is no secret).
    expect(r.value({ alerting, note: { url: "http://grafana:3000" } })).toEqual({
      alerting: {
        receivers: [
          { name: "sink", webhook: { url: REDACTED } },
          { name: "chat", slack: { apiUrl: REDACTED, channel: "#alerts" } },
          { name: "mail", email: { to: "ops@example.com", from: "am@example.com", smarthost: "smtp.example.com:587", authUsername: "am", authPassword: REDACTED } },
        ],
        defaultReceiver: "sink",
      },
      note: { url: "http://grafana:3000" },
    });
  });
  it("redacts a host's Docker TLS leaves by position, and learns them from a secret hosts key", () => {
    const r = new Redactor();
    const hosts = [
      { name: "central", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "192.0.2.10" },
      { name: "db1", docker: { host: "tcp://192.0.2.22:2376", tls: { caPem: "-----CA Ca-Pem-1-----", certPem: "-----CERT Cert-Pem-2-----", keyPem: "-----KEY Key-Pem-3-----" } }, address: "192.0.2.22" },
    ];
    r.learn([{}, { "logging-bootstrap:hosts": JSON.stringify(hosts) }], true);
    expect(r.text("tls key -----KEY Key-Pem-3----- for db1")).toBe(`tls key ${REDACTED} for db1`);
    const shown = r.value({ hosts }) as { hosts: typeof hosts };
    expect(shown.hosts[1].docker).toEqual({ host: "tcp://192.0.2.22:2376", tls: { caPem: REDACTED, certPem: REDACTED, keyPem: REDACTED } });
    expect(shown.hosts[0]).toEqual(hosts[0]);
  });
  it("learns secret-named variables from the environment; ignores values too short to be secrets", () => {
    const r = new Redactor();
    r.learnEnv({ PULUMI_CONFIG_PASSPHRASE: "pass-phrase-1", HOME: "/root", GRAFANA_TOKEN: "abc" });
    expect(r.text("/root pass-phrase-1 abc")).toBe(`/root ${REDACTED} abc`);
  });
});

describe("secrets file", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync("/tmp/secfile-")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("checkSecretsFileMode: absent ok, 0600 ok, 0640 and 0604 refused, symlink refused", () => {
    const f = path.join(dir, "secrets.local.env");
    expect(checkSecretsFileMode(f)).toEqual({ path: f, exists: false, mode: null, ok: true });
    fs.writeFileSync(f, "A=b\n", { mode: 0o600 });
    expect(checkSecretsFileMode(f)).toMatchObject({ exists: true, mode: 0o600, ok: true });
    for (const m of [0o640, 0o604, 0o644]) {
      fs.chmodSync(f, m);
      const c = checkSecretsFileMode(f);
      expect(c.ok).toBe(false);
      expect(c.error).toMatchObject({ code: "E_ENV_SECRETS_FILE_MODE", bucket: "env", action: `chmod 600 ${f}` });
    }
    const link = path.join(dir, "link.env");
    fs.symlinkSync(f, link);
    expect(checkSecretsFileMode(link).error?.message).toMatch(/not a regular file/);
  });
  it("secrets.local.env is gitignored (git check-ignore)", async () => {
    const code = await new Promise<number>((resolve) => execFile("git", ["check-ignore", "-q", "secrets.local.env"], { cwd: REPO }, (err) => resolve(err ? Number((err as { code?: number }).code) : 0)));
    expect(code).toBe(0);
  });
  it("names and renders env lines", () => {
    expect(envNameFor("logging-bootstrap:grafanaAdminPassword")).toBe("GRAFANA_ADMIN_PASSWORD");
    expect(envNameFor("lokiIngest")).toBe("LOKI_INGEST");
    expect(renderEnvFile({ B: "x y'z", A: "plain" }, "# h")).toBe("# h\n\nA=plain\nB='x y'\\''z'\n");
  });
});

describe("secrets:export", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await makeSandbox();
    fs.writeFileSync(path.join(sb.dir, "cfg.json"), JSON.stringify({
      "logging-bootstrap:grafanaAdminPassword": { value: "cfg-secret-value", secret: true },
      "logging-bootstrap:projectName": { value: "logging-test", secret: false },
    }));
    sb.env.STUB_CONFIG = path.join(sb.dir, "cfg.json");
  });
  afterEach(async () => sb.cleanup());

  it("writes secrets.local.env with mode 0600 from secret outputs and secret config, printing names only", async () => {
    const r = await runCli("secrets-export.ts", ["--stack", "test"], sb);
    expect(r.code).toBe(0);
    const file = path.join(sb.dir, "secrets.local.env");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const body = fs.readFileSync(file, "utf8");
    // The output (what was deployed) wins over the config value of the same name.
    expect(body.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual(["GRAFANA_ADMIN_PASSWORD=fixture-Secret-Value-7Q2"]);
    expect(r.stdout).toBe(`wrote ${file} (mode 0600): GRAFANA_ADMIN_PASSWORD\n`);
    expect(r.stdout + r.stderr).not.toContain("fixture-Secret-Value-7Q2");
    expect(r.stdout + r.stderr).not.toContain("cfg-secret-value");
    // Outputs and config with their secret flags; the configured admin password needs no state export.
    expect(pulumiCalls(sb).map((c) => c.op)).toEqual(["open", "outputs", "config", "config"]);
    // Re-running over its own 0600 file is fine.
    expect((await runCli("secrets-export.ts", ["--stack", "test"], sb)).code).toBe(0);
  });

  it("refuses to write through a looser existing file (E_ENV_SECRETS_FILE_MODE, exit 3) and reads no secret", async () => {
    const file = path.join(sb.dir, "secrets.local.env");
    fs.writeFileSync(file, "OLD=1\n", { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const r = await runCli("secrets-export.ts", ["--stack", "test"], sb);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("E_ENV_SECRETS_FILE_MODE (env):");
    expect(r.stderr).toContain(`fix: chmod 600 ${file}`);
    expect(fs.readFileSync(file, "utf8")).toBe("OLD=1\n");
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(pulumiCalls(sb)).toEqual([]);
  });

  it("without a Pulumi CLI it is E_ENV_TOOL_MISSING (exit 3), nothing written", async () => {
    const r = await runCli("secrets-export.ts", ["--stack", "test"], sb, { STUB_OPEN_ERROR: "E_ENV_TOOL_MISSING" });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("E_ENV_TOOL_MISSING");
    expect(fs.existsSync(path.join(sb.dir, "secrets.local.env"))).toBe(false);
  });
});

describe("evidence", () => {
  let sb: Sandbox;
  beforeEach(async () => (sb = await makeSandbox()));
  afterEach(async () => sb.cleanup());

  it("builds a bundle from an outputs file without the Pulumi CLI, and from the stack's outputs", async () => {
    const f = path.join(sb.dir, "o.json");
    fs.writeFileSync(f, fs.readFileSync(path.join(__dirname, "..", "fixtures", "ops", "outputs.json"), "utf8").replace(/^[\s\S]*"outputs": /, "").replace(/,\s*"secretKeys"[\s\S]*$/, ""));
    const a = await runCli("evidence.ts", ["--stack", "test", "--outputs-file", f, "--json"], sb, { STUB_OPEN_ERROR: "E_ENV_TOOL_MISSING" });
    expect(a.code).toBe(0);
    const rec = JSON.parse(a.stdout);
    expect(rec).toMatchObject({ mode: "evidence", stack: "test", status: "green" });
    const dir = path.join(sb.outDir, rec.bundle);
    const desired = JSON.parse(fs.readFileSync(path.join(dir, "desired_state.json"), "utf8"));
    expect(desired.source).toBe("stack outputs");
    expect(Object.keys(desired.files)).toHaveLength(5);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "outputs.json"), "utf8")).grafanaAdminPassword).toBe("***REDACTED***");
    expect(fs.readFileSync(path.join(dir, "events.jsonl"), "utf8").trim().split("\n")).toHaveLength(7 * 4);
    const b = await runCli("evidence.ts", ["--stack", "test"], sb);
    expect(b.code).toBe(0);
    expect(pulumiCalls(sb).map((c) => c.op)).toEqual(["open", "outputs", "config"]);
    const lines = fs.readFileSync(path.join(sb.outDir, "runs.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(2);
  });
});
