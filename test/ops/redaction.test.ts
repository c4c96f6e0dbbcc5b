// The redaction scan (P8): generate secrets, feed them to the tools through every channel they read
// (stack outputs, secret config, environment, secrets.local.env, an outputs file, the engine's events,
// verify/lint reports), run every operator CLI, then scan every byte written under out/ (exported
// tarballs unpacked) and every byte printed. Not one secret may appear; ***REDACTED*** must.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { allFiles, CliResult, makeSandbox, runCli, Sandbox } from "./helpers";

jest.setTimeout(120_000);

const secret = (label: string) => `${label}-${crypto.randomBytes(12).toString("base64url")}`;

let sb: Sandbox;
afterEach(async () => sb && (await sb.cleanup()));

it("no secret reaches out/ or stdout/stderr of bootstrap, evidence, recall, autoheal, secrets:export", async () => {
  sb = await makeSandbox();
  const S = {
    outputPassword: secret("outpw"),
    outputOddName: secret("oddname"),
    configSecret: secret("cfg"),
    passphrase: secret("pass"),
    envFile: secret("envfile"),
    fileSecret: secret("filesecret"),
    envelope: secret("envelope"),
  };
  const outputs = path.join(sb.dir, "stub-outputs.json");
  fs.writeFileSync(outputs, JSON.stringify({
    outputs: { grafanaAdminPassword: S.outputPassword, lokiIngest: { url: "http://127.0.0.1:9102", header: S.outputOddName }, endpoints: { grafana: "http://127.0.0.1:9101" } },
    secretKeys: ["grafanaAdminPassword", "lokiIngest"],
  }));
  const config = path.join(sb.dir, "stub-config.json");
  fs.writeFileSync(config, JSON.stringify({ "logging-bootstrap:grafanaAdminPassword": { value: S.configSecret, secret: true }, "logging-bootstrap:projectName": { value: "logging-test", secret: false } }));
  const envFile = path.join(sb.dir, "secrets.local.env");
  fs.writeFileSync(envFile, `GRAFANA_SECRET_KEY=${S.envFile}\n`, { mode: 0o600 });
  const verify = path.join(sb.dir, "verify.json");
  fs.writeFileSync(verify, JSON.stringify({ status: "red", levels: [
    { level: "L1", status: "red", code: "E_PROOF_HEALTH", durationMs: 1, findings: [`logging-test-grafana login as admin with ${S.outputPassword} failed`], diagnostics: { body: `{"error":"bad ${S.configSecret}"}`, header: S.outputOddName } },
  ] }));
  const lint = path.join(sb.dir, "lint.json");
  fs.writeFileSync(lint, JSON.stringify({ ok: false, warnings: [], errors: [
    { code: "E_CONFIG_SECRET_PLAINTEXT", path: "grafanaAdminPassword", message: `grafanaAdminPassword is plain text (${S.configSecret}); passphrase ${S.passphrase}`, examplePatch: "config:\n  logging-bootstrap:grafanaAdminPassword:\n    secure: <ciphertext>\n" },
  ] }));
  const fileOutputs = path.join(sb.dir, "outputs-from-elsewhere.json");
  fs.writeFileSync(fileOutputs, JSON.stringify({
    grafanaAdminPassword: S.fileSecret,
    wrapped: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: S.envelope },
    note: `connect with password=${S.fileSecret}`,
  }));
  const env = {
    STUB_OUTPUTS: outputs,
    STUB_CONFIG: config,
    STUB_VERIFY_JSON: verify,
    STUB_VERIFY_EXIT: "2",
    PULUMI_CONFIG_PASSPHRASE: S.passphrase,
    // the engine reports a program's output that echoes secrets (bare, no key name: only the known-value layer can catch these)
    STUB_UP_STDOUT: `outputs: ${S.outputPassword} ${S.outputOddName} ${S.configSecret} ${S.envFile} ${S.passphrase}`,
  };
  const printed: CliResult[] = [];
  const run = async (script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = await runCli(script, args, sb, { ...env, ...extra });
    printed.push(r);
    // --json output stays JSON after redaction.
    if (args.includes("--json")) expect(() => JSON.parse(r.stdout)).not.toThrow();
    return r;
  };
  expect((await run("bootstrap.ts", ["--mode", "apply", "--stack", "test", "--verify-idempotency"])).code).toBe(1);
  expect((await run("bootstrap.ts", ["--mode", "diagnose", "--stack", "test", "--json"], { STUB_LINT_JSON: lint, STUB_LINT_EXIT: "1" })).code).toBe(1);
  expect((await run("bootstrap.ts", ["--mode", "drift", "--stack", "test", "--json"])).code).toBe(0);
  expect((await run("evidence.ts", ["--stack", "test", "--outputs-file", fileOutputs, "--json"])).code).toBe(0);
  expect((await run("evidence.ts", ["--stack", "test"])).code).toBe(0);
  expect((await run("recall.ts", ["list", "--json"])).code).toBe(0);
  expect((await run("recall.ts", ["list"])).code).toBe(0);
  expect((await run("recall.ts", ["latest", "--json"])).code).toBe(0);
  for (const id of ["latest", (JSON.parse(printed[5].stdout) as Array<{ run_id: string }>)[0].run_id]) {
    expect((await run("recall.ts", ["show", id])).code).toBe(0);
    expect((await run("recall.ts", ["show", id, "--json"])).code).toBe(0);
    expect((await run("recall.ts", ["export", id])).code).toBe(0);
  }
  expect((await run("autoheal.ts", ["latest", "--json"])).code).toBe(0);
  const runsList = JSON.parse(printed[5].stdout) as Array<{ run_id: string }>;
  expect((await run("autoheal.ts", [runsList[0].run_id])).code).toBe(1);
  fs.rmSync(envFile);
  expect((await run("secrets-export.ts", ["--stack", "test"])).code).toBe(0);
  // Refusals and usage errors print through the same redactor.
  expect((await run("secrets-export.ts", ["--stack", "test", "--json"])).code).toBe(0);
  expect((await run("bootstrap.ts", ["--mode", "repair", "--stack", "test"])).code).toBe(4);

  // Unpack every exported tarball next to the bundles so the scan reads the plain bytes too.
  const exportsDir = path.join(sb.outDir, "exports");
  for (const f of fs.readdirSync(exportsDir)) {
    const to = path.join(exportsDir, `${f}.unpacked`);
    fs.mkdirSync(to);
    await tar.x({ file: path.join(exportsDir, f), cwd: to });
  }
  const files = allFiles(sb.outDir);
  expect(files.length).toBeGreaterThan(50);
  const leaks: string[] = [];
  for (const f of files) {
    const bytes = fs.readFileSync(f).toString("latin1");
    for (const [name, value] of Object.entries(S)) if (bytes.includes(value)) leaks.push(`${path.relative(sb.outDir, f)} holds ${name}`);
  }
  printed.forEach((r, i) => {
    for (const [name, value] of Object.entries(S)) {
      if (r.stdout.includes(value)) leaks.push(`stdout of call ${i} holds ${name}`);
      if (r.stderr.includes(value)) leaks.push(`stderr of call ${i} holds ${name}`);
    }
  });
  expect(leaks).toEqual([]);
  // Redaction happened (the scan is not vacuous): the markers are there, the secrets reached the tools.
  const echoed = "outputs: ***REDACTED*** ***REDACTED*** ***REDACTED*** ***REDACTED*** ***REDACTED***";
  for (const name of ["engine-events.jsonl", path.join("logs", "progress.log")]) {
    const f = files.find((x) => x.endsWith(name) && fs.readFileSync(x, "utf8").includes("outputs: "))!;
    expect([name, fs.readFileSync(f, "utf8")]).toEqual([name, expect.stringContaining(echoed)]);
  }
  expect(printed[0].stderr).toContain(echoed);
  const fromFile = files.find((f) => f.endsWith("outputs.json") && fs.readFileSync(f, "utf8").includes('"wrapped"'))!;
  expect(JSON.parse(fs.readFileSync(fromFile, "utf8"))).toEqual({ grafanaAdminPassword: "***REDACTED***", wrapped: "***REDACTED***", note: "connect with password=***REDACTED***" });
  // secrets:export did write the values, to the one file meant for them, mode 0600.
  const written = fs.readFileSync(envFile, "utf8");
  expect(written).toContain(`GRAFANA_ADMIN_PASSWORD=${S.outputPassword}`);
  expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
});
