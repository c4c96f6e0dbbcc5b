// The program's side of schema v3: a host's Docker TLS leaves flow like alerting credentials (the
// CLI decrypts the whole hosts key and marks it secret; the stack file's own secure: markers decide
// leaf by leaf; the values come back only as secret Outputs), and a v2 stack file is accepted and
// migrated in memory to a fleet of one, with a warning.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { dockerTlsInputs, loadStackConfig } from "../../contracts/config/pulumi";
import { readStackFile } from "../../contracts/config/stackfile";
import { BootstrapError } from "../../contracts/errors";
import { lintFile } from "../../scripts/lib/lint-file";
import { SECURE, withStackFileEnv } from "../util/secure-stack-file";
import { thrownBy } from "../util/thrown";
import { ROOT, fixture } from "./helpers";

function resolve<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((r) => o.apply((v) => { r(v); return v; }));
}

let warn: jest.SpyInstance;
beforeEach(() => {
  warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
});
afterEach(() => warn.mockRestore());

const TEST_FILE = path.join(ROOT, "Pulumi.test.yaml");

/** Pulumi.test.yaml made a fleet (central on its LAN address, db1 over tcp:// with `tls`), as a file in a temp dir. */
function fleetFile(tls: Record<string, unknown>): string {
  const doc = YAML.parse(fs.readFileSync(TEST_FILE, "utf8")) as { config: Record<string, unknown> };
  doc.config["logging-bootstrap:hosts"] = [
    { name: "central", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "192.0.2.10" },
    { name: "db1", docker: { host: "tcp://192.0.2.22:2376", tls }, address: "192.0.2.22" },
  ];
  doc.config["logging-bootstrap:exposure"] = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
  doc.config["logging-bootstrap:gateway"] = { port: 9109 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-hosts-"));
  const file = path.join(dir, "Pulumi.test.yaml");
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

const DECRYPTED = { caPem: "-----CA Decrypted-1-----", certPem: "-----CERT Decrypted-2-----", keyPem: "-----KEY Decrypted-3-----" };

/** Run the program's loader as the CLI would hand it `file`: the hosts key decrypted (`tls` leaves) and secret. */
function asTheCliGivesIt(file: string, tls: Record<string, unknown>): void {
  const f = readStackFile(file);
  expect(f.findings).toEqual([]);
  const hosts = JSON.parse(f.pulumiConfig["logging-bootstrap:hosts"]);
  hosts[1].docker.tls = tls;
  pulumi.runtime.setAllConfig({ ...f.pulumiConfig, "logging-bootstrap:hosts": JSON.stringify(hosts) }, [...new Set([...f.secretKeys, "logging-bootstrap:hosts"])]);
}

describe("hosts[].docker.tls in the program", () => {
  it("every leaf secure: secret Outputs for the host's docker.Provider, never in config", async () => {
    const file = fleetFile({ caPem: SECURE, certPem: SECURE, keyPem: SECURE });
    expect(lintFile(file).errors).toEqual([]);
    asTheCliGivesIt(file, DECRYPTED);
    const { config, hostSecrets } = await withStackFileEnv(file, () => loadStackConfig());
    expect(JSON.stringify(config)).not.toMatch(/Decrypted/);
    expect(config.hosts.map((h) => h.name)).toEqual(["central", "db1"]);
    expect(hostSecrets.map((s) => [s.host, s.field])).toEqual([
      ["db1", "caPem"],
      ["db1", "certPem"],
      ["db1", "keyPem"],
    ]);
    for (const s of hostSecrets) expect(await pulumi.isSecret(s.value)).toBe(true);
    const tls = dockerTlsInputs(hostSecrets, "db1")!;
    expect(await resolve(tls.caMaterial)).toBe(DECRYPTED.caPem);
    expect(await resolve(tls.certMaterial)).toBe(DECRYPTED.certPem);
    expect(await resolve(tls.keyMaterial)).toBe(DECRYPTED.keyPem);
    expect(dockerTlsInputs(hostSecrets, "central")).toBeUndefined();
  });

  it("a plaintext leaf next to secure ones is refused with E_CONFIG_SECRET_PLAINTEXT, as config:lint refuses it, value not shown", async () => {
    const file = fleetFile({ caPem: "-----CA Pl41n-7-----", certPem: SECURE, keyPem: SECURE });
    const lint = lintFile(file);
    expect(lint.errors.map((e) => [e.code, e.path])).toEqual([["E_CONFIG_SECRET_PLAINTEXT", "hosts[1].docker.tls.caPem"]]);
    asTheCliGivesIt(file, { ...DECRYPTED, caPem: "-----CA Pl41n-7-----" });
    const err = await withStackFileEnv(file, () => thrownBy(() => loadStackConfig(), BootstrapError));
    expect(err.code).toBe("E_CONFIG_SECRET_PLAINTEXT");
    expect((err.details as { findings: unknown }).findings).toEqual(lint.errors);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toMatch(/Pl41n|Decrypted/);
  });

  it("without the stack file that says which leaves are secure, the program refuses (never guesses)", async () => {
    const file = fleetFile({ caPem: SECURE, certPem: SECURE, keyPem: SECURE });
    asTheCliGivesIt(file, DECRYPTED);
    const err = await withStackFileEnv(path.join(os.tmpdir(), "lb-no-such-dir", "Pulumi.test.yaml"), () => thrownBy(() => loadStackConfig(), BootstrapError));
    expect(err.code).toBe("E_CONFIG_STACK_FILE_UNKNOWN");
    expect(err.message).toContain("hosts is a secret key");
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toMatch(/Decrypted/);
  });
});

describe("a v2 stack file", () => {
  it("is accepted by the program: migrated in memory to a fleet of one, with a warning naming config:migrate", () => {
    const f = readStackFile(fixture("Pulumi.test.v2.yaml"));
    pulumi.runtime.setAllConfig(f.pulumiConfig, f.secretKeys);
    const { config, hostSecrets } = loadStackConfig();
    expect(config.schemaVersion).toBe(3);
    expect(config.hosts).toEqual([{ name: "local", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "127.0.0.1" }]);
    expect(hostSecrets).toEqual([]);
    const warned = warn.mock.calls.map((c) => String(c[0])).join("\n");
    expect(warned).toMatch(/stack config is schema v2; migrated in memory to the current schema\. Run `npm run -s config:migrate -- Pulumi\.<stack>\.yaml`/);
    expect(warned).toMatch(/v2->v3: hosts: a fleet of one, local \(central\)/);
  });

  it("is refused by config:lint with the command that migrates it", () => {
    const r = lintFile(fixture("Pulumi.test.v2.yaml"));
    expect(r.errors.map((e) => e.code)).toEqual(["E_CONFIG_NEEDS_MIGRATION"]);
  });
});
