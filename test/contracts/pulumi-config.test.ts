// loadStackConfig: the program reads its config through the same contract as config:lint, so a bad
// config stops `pulumi preview` with the same findings, all of them, in one error.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { decodeConfigValue, loadStackConfig } from "../../contracts/config/pulumi";
import { readStackFile, SECURE_PLACEHOLDER } from "../../contracts/config/stackfile";
import { BootstrapError } from "../../contracts/errors";
import { lintFile } from "../../scripts/lib/lint-file";
import { SECURE, stackFileWithAlerting, withStackFileEnv } from "../util/secure-stack-file";
import { thrownBy } from "../util/thrown";
import { ROOT, fixture } from "./helpers";

function useStackFile(file: string, override: Record<string, string> = {}, secretKeys?: string[]): void {
  const f = readStackFile(file);
  expect(f.findings).toEqual([]);
  pulumi.runtime.setAllConfig({ ...f.pulumiConfig, ...override }, secretKeys ?? f.secretKeys);
}

function resolve<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((r) => o.apply((v) => { r(v); return v; }));
}

const loadError = () => thrownBy(() => loadStackConfig(), BootstrapError);

let warn: jest.SpyInstance;
beforeEach(() => {
  warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
});
afterEach(() => warn.mockRestore());

describe("loadStackConfig", () => {
  it.each(["test", "prod"])("loads Pulumi.%s.yaml with defaults applied", (stack) => {
    useStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
    const { config, grafanaAdminPassword } = loadStackConfig();
    expect(config.schemaVersion).toBe(3);
    expect(config.projectName).toBe(stack === "test" ? "logging-test" : "infra-observability");
    expect(config.hosts).toEqual([{ name: "local", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "127.0.0.1" }]);
    expect(config.paths.dockerSocket).toBe("/var/run/docker.sock");
    expect(config.verify.enabled).toBe(true);
    expect(grafanaAdminPassword).toBeUndefined();
    expect("grafanaAdminPassword" in config).toBe(false);
    // The tag-only pins are one warning line, not seven.
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/7 warning\(s\): E_CONFIG_IMAGE_NO_DIGEST at images\.grafana/);
  });

  it("a secure password comes back as a secret Output, never in config", async () => {
    useStackFile(fixture("secure-password.yaml"));
    const { config, grafanaAdminPassword } = loadStackConfig();
    expect(config.projectName).toBe("logging-secure");
    expect(grafanaAdminPassword).toBeDefined();
    expect(await pulumi.isSecret(grafanaAdminPassword!)).toBe(true);
    expect(await resolve(grafanaAdminPassword!)).toBe(SECURE_PLACEHOLDER);
    expect(JSON.stringify(config)).not.toContain(SECURE_PLACEHOLDER);
  });

  it("alerting credentials (the CLI decrypts them and marks the key secret) come back as secret Outputs, never in config", async () => {
    const filed = {
      receivers: [
        { name: "sink", webhook: { url: SECURE } },
        { name: "mail", email: { to: "a@example.com", from: "b@example.com", smarthost: "smtp.example.com:587", authUsername: "am", authPassword: SECURE } },
      ],
      routes: [{ severity: "critical", receiver: "mail" }],
      defaultReceiver: "sink",
      watchdogReceiver: "sink",
    };
    const alerting = {
      receivers: [
        { name: "sink", webhook: { url: "http://sink.example:8080/hook/Decrypted-T0ken" } },
        { name: "mail", email: { to: "a@example.com", from: "b@example.com", smarthost: "smtp.example.com:587", authUsername: "am", authPassword: "Decrypted-Pw" } },
      ],
      routes: [{ severity: "critical", receiver: "mail" }],
      defaultReceiver: "sink",
      watchdogReceiver: "sink",
    };
    const f = readStackFile(path.join(ROOT, "Pulumi.test.yaml"));
    useStackFile(path.join(ROOT, "Pulumi.test.yaml"), { "logging-bootstrap:alerting": JSON.stringify(alerting) }, [...f.secretKeys, "logging-bootstrap:alerting"]);
    const { config, alertingSecrets } = await withStackFileEnv(stackFileWithAlerting(filed), () => loadStackConfig());
    expect(JSON.stringify(config)).not.toMatch(/Decrypted/);
    expect(config.alerting.receivers.map((r) => r.name)).toEqual(["sink", "mail"]);
    expect(alertingSecrets.map((s) => [s.receiver, s.kind, s.field])).toEqual([
      ["sink", "webhook", "url"],
      ["mail", "email", "authPassword"],
    ]);
    for (const s of alertingSecrets) expect(await pulumi.isSecret(s.value)).toBe(true);
    expect(await resolve(alertingSecrets[0].value)).toBe("http://sink.example:8080/hook/Decrypted-T0ken");
    expect(await resolve(alertingSecrets[1].value)).toBe("Decrypted-Pw");
  });

  it.each([
    [
      "an alerting key that is not secret stops the program with E_CONFIG_SECRET_PLAINTEXT, value not shown",
      { "logging-bootstrap:alerting": JSON.stringify({ receivers: [{ name: "sink", webhook: { url: "http://sink.example/Pl41n-H00k" } }], defaultReceiver: "sink" }) },
      "alerting.receivers[0].webhook.url",
      "Pl41n-H00k",
    ],
    [
      "a plaintext password stops the program with E_CONFIG_SECRET_PLAINTEXT and is never echoed",
      { "logging-bootstrap:grafanaAdminPassword": "Pl41n-T3xt" },
      "E_CONFIG_SECRET_PLAINTEXT",
      "Pl41n-T3xt",
    ],
  ])("%s", (_title, override, named, plaintext) => {
    useStackFile(path.join(ROOT, "Pulumi.test.yaml"), override);
    const err = loadError();
    expect(err.code).toBe("E_CONFIG_SECRET_PLAINTEXT");
    expect(err.message).toContain(named);
    expect(err.message).not.toContain(plaintext);
    expect(JSON.stringify(err.details)).not.toContain(plaintext);
  });

  it("throws ONE error listing every finding with its patch", () => {
    useStackFile(path.join(ROOT, "Pulumi.test.yaml"), {
      "logging-bootstrap:projectName": "Bad_Name",
      "logging-bootstrap:ports": JSON.stringify({ grafana: 80, loki: 9102, prometheus: 9102, alertmanager: 9107 }),
      "logging-bootstrap:retention": JSON.stringify({ logs: "30 days", metrics: "15d" }),
    });
    const err = loadError();
    const findings = (err.details as any).findings as { code: string; path: string }[];
    expect(findings.map((f) => [f.code, f.path])).toEqual([
      ["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"],
      ["E_CONFIG_INVALID_PORT", "ports.grafana"],
      ["E_CONFIG_PORT_DUPLICATE", "ports.prometheus"],
      ["E_CONFIG_DURATION", "retention.logs"],
    ]);
    for (const f of findings) expect(err.message).toContain(`${f.code} [config] at ${f.path}`);
    expect(err.message).toContain("example patch:");
    expect(err.message).toContain("logging-bootstrap:projectName: bad-name");
  });

  it("reports the same findings as config:lint for the same file", () => {
    // Top-level scalars reach a program as strings, so use a file whose problems survive that.
    const text = fs.readFileSync(fixture("broken-everything.yaml"), "utf8").replace(/^.*offlineMode.*\n/m, "");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "same-findings-"));
    try {
      const file = path.join(dir, "Pulumi.broken.yaml");
      fs.writeFileSync(file, text);
      const lint = lintFile(file);
      useStackFile(file);
      const err = loadError();
      const strip = (fs: { code: string; path: string; message: string; examplePatch: string }[]) => fs.map((f) => [f.code, f.path, f.message, f.examplePatch]);
      expect(strip((err.details as any).findings)).toEqual(strip(lint.errors));
      expect(lint.errors.length).toBe(19);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("missing and newer schemaVersion are refused with E_CONFIG_SCHEMA_VERSION", () => {
    const f = readStackFile(path.join(ROOT, "Pulumi.test.yaml"));
    const { ["logging-bootstrap:schemaVersion"]: _v, ...rest } = f.pulumiConfig;
    pulumi.runtime.setAllConfig(rest, []);
    expect(loadError().code).toBe("E_CONFIG_SCHEMA_VERSION");
    useStackFile(path.join(ROOT, "Pulumi.test.yaml"), { "logging-bootstrap:schemaVersion": "9" });
    const err = loadError();
    expect(err.code).toBe("E_CONFIG_SCHEMA_VERSION");
    expect(err.message).toMatch(/newer than this code/);
  });

  it("an older (v0) config is migrated in memory, with a warning naming config:migrate", () => {
    useStackFile(fixture("seed000-test-config.v0.json"));
    const { config } = loadStackConfig();
    expect(config.projectName).toBe("logging-test");
    expect(config.ports).toEqual({ grafana: 9101, loki: 9102, alloy: 9103, prometheus: 9104, nodeExporter: 9105, cadvisor: 9106, alertmanager: 9107 });
    expect(warn.mock.calls.map((c) => c[0]).join("\n")).toMatch(/schema v0; migrated in memory.*config:migrate/);
  });

  it("a structured value that is not JSON is a schema finding, not a crash", () => {
    useStackFile(path.join(ROOT, "Pulumi.test.yaml"), { "logging-bootstrap:ports": "{not json" });
    const err = loadError();
    expect((err.details as any).findings.map((f: any) => [f.code, f.path])).toEqual([["E_CONFIG_SCHEMA", "ports"]]);
  });
});

describe("alerting credentials: the stack file's own secure: markers decide, leaf by leaf", () => {
  // Pulumi marks the whole alerting key secret when any leaf is secure: and hands the program every
  // leaf decrypted; only the file tells which credential was written with --secret.
  const filed = {
    receivers: [
      { name: "sink", webhook: { url: SECURE } },
      { name: "mail", email: { to: "a@example.com", from: "b@example.com", smarthost: "smtp.example.com:587", authPassword: "Pl41n-Pw-4242" } },
    ],
    defaultReceiver: "sink",
  };
  const decrypted = { ...filed, receivers: [{ name: "sink", webhook: { url: "http://sink.example/Decrypted-H00k" } }, filed.receivers[1]] };
  const runAs = (file: string | undefined, alerting: unknown = decrypted) => {
    const f = readStackFile(path.join(ROOT, "Pulumi.test.yaml"));
    useStackFile(path.join(ROOT, "Pulumi.test.yaml"), { "logging-bootstrap:alerting": JSON.stringify(alerting) }, [...f.secretKeys, "logging-bootstrap:alerting"]);
    return withStackFileEnv(file, () => loadError());
  };

  it("a plaintext credential next to a secure one is refused with E_CONFIG_SECRET_PLAINTEXT, as config:lint refuses it", async () => {
    const file = stackFileWithAlerting(filed);
    const lint = lintFile(file);
    expect(lint.errors.map((e) => [e.code, e.path])).toEqual([["E_CONFIG_SECRET_PLAINTEXT", "alerting.receivers[1].email.authPassword"]]);
    const err = await runAs(file);
    expect(err.code).toBe("E_CONFIG_SECRET_PLAINTEXT");
    expect((err.details as any).findings).toEqual(lint.errors);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toMatch(/4242|Decrypted/);
  });

  it("a stack file that is not the one the runtime was given (or none) is refused, never guessed", async () => {
    const other = stackFileWithAlerting({ ...filed, receivers: [filed.receivers[0]] });
    for (const file of [other, path.join(os.tmpdir(), "lb-no-such-dir", "Pulumi.test.yaml")]) {
      const err = await runAs(file);
      expect(err.code).toBe("E_CONFIG_STACK_FILE_UNKNOWN");
      expect(err.message).toContain("LOGGING_BOOTSTRAP_STACK_FILE");
      expect(JSON.stringify({ m: err.message, d: err.details })).not.toMatch(/4242|Decrypted/);
    }
  });

  it("the runtime's value in another key order than the file's (Pulumi hands a structured key as JSON with sorted keys) is the same value", async () => {
    const ok = { ...filed, receivers: [filed.receivers[0]] };
    const file = stackFileWithAlerting(ok);
    const sorted = JSON.parse(JSON.stringify(ok, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v)));
    const reordered = { ...sorted, receivers: [{ webhook: { url: "http://sink.example/Decrypted-H00k" }, name: "sink" }] };
    expect(Object.keys(reordered)[0]).toBe("defaultReceiver");
    const f = readStackFile(path.join(ROOT, "Pulumi.test.yaml"));
    useStackFile(path.join(ROOT, "Pulumi.test.yaml"), { "logging-bootstrap:alerting": JSON.stringify(reordered) }, [...f.secretKeys, "logging-bootstrap:alerting"]);
    const { config } = await withStackFileEnv(file, () => loadStackConfig());
    expect(config.alerting.receivers.map((r) => r.name)).toEqual(["sink"]);
  });

  it("a value read from a stack file (secure leaves already placeholders) carries its own markers: no file needed", async () => {
    const read = readStackFile(stackFileWithAlerting(filed));
    const err = await runAs(undefined, read.projectConfig.alerting);
    expect(err.code).toBe("E_CONFIG_SECRET_PLAINTEXT");
    expect((err.details as any).findings.map((f: any) => f.path)).toEqual(["alerting.receivers[1].email.authPassword"]);
  });
});

describe("decodeConfigValue", () => {
  it.each([
    ["schemaVersion", "1", 1],
    ["schemaVersion", "one", "one"],
    ["offlineMode", "true", true],
    ["offlineMode", "false", false],
    ["offlineMode", "yes", "yes"],
    ["projectName", "123", "123"],
    ["ports", '{"grafana":9101}', { grafana: 9101 }],
    ["ports", "9101", 9101],
    ["schema_version", "1", 1],
    ["compose_project_name", "logging_test", "logging_test"],
  ])("%s=%p -> %p", (k, v, expected) => {
    expect(decodeConfigValue(k, v)).toEqual(expected);
  });
});

describe("secret detection", () => {
  it("accepts the legacy '<ns>:config:<key>' spelling in the secret key list", () => {
    const f = readStackFile(fixture("secure-password.yaml"));
    pulumi.runtime.setAllConfig(f.pulumiConfig, ["logging-bootstrap:config:grafanaAdminPassword"]);
    expect(loadStackConfig().grafanaAdminPassword).toBeDefined();
  });
  it("a secret of another key does not make the password secret", () => {
    const f = readStackFile(fixture("secure-password.yaml"));
    pulumi.runtime.setAllConfig(f.pulumiConfig, ["logging-bootstrap:projectName"]);
    expect(loadError().code).toBe("E_CONFIG_SECRET_PLAINTEXT");
  });
});
