// loadConfigFile: what verify knows of a stack file without the Pulumi CLI (secure values are never
// decrypted). A receiver credential is a `secure:` leaf inside `alerting`: verify still needs the
// receiver names (L9 checks the Watchdog reaches its receiver), never the credential.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { loadConfigFile } from "../../contracts/config/load";
import { PROJECT_ROOT } from "../../scripts/lib/evaluate";

function withAlerting(alerting: unknown): string {
  const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.test.yaml"), "utf8"));
  doc.config["logging-bootstrap:alerting"] = alerting;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-desired-"));
  const file = path.join(dir, "Pulumi.test.yaml");
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

describe("loadConfigFile", () => {
  it("keeps a structured key with a secure leaf, the leaf as a stand-in, never the ciphertext", () => {
    const cipher = "v1:AAAAAAAAAAAAAAAA:cipher-text-of-the-webhook-url";
    const file = withAlerting({ receivers: [{ name: "sink", webhook: { url: { secure: cipher } } }], routes: [], defaultReceiver: "sink", watchdogReceiver: "sink" });
    const cfg = loadConfigFile(file);
    expect(cfg.alerting.receivers.map((r) => r.name)).toEqual(["sink"]);
    expect([cfg.alerting.defaultReceiver, cfg.alerting.watchdogReceiver]).toEqual(["sink", "sink"]);
    expect(JSON.stringify(cfg)).not.toContain(cipher);
  });
  it("refuses a receiver credential in plain text, without showing it", () => {
    const file = withAlerting({ receivers: [{ name: "sink", webhook: { url: "http://hooks.example/T0KEN-plain" } }], routes: [], defaultReceiver: "sink" });
    let err: Error | undefined;
    try {
      loadConfigFile(file);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toMatchObject({ code: "E_CONFIG_SECRET_PLAINTEXT" });
    expect(err!.message).not.toContain("T0KEN-plain");
  });
});
