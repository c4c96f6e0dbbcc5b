// L8 as the program declares it (the real ObservabilityStack under Pulumi's mocks): every upload's
// config directory, secret files by a keyed hash whose key is a per-stack random secret. Neither
// the proof's stored inputs nor the stack outputs hold a secret or its plain sha256.
import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { keyedHash } from "../../components/verify/config-dirs";
import { driftRecordFrom } from "../../components/verify/suite";
import { loadConfigFile } from "../../contracts/config/load";
import { isSecretSig, unwrap } from "../../contracts/plan";
import { driftKeyFrom } from "../../scripts/lib/verify-load";
import { PROJECT_ROOT } from "../util/provider-host";
import { tmpDir } from "./fakes";
import * as fs from "fs";

jest.setTimeout(60_000);

const PW = "MOCK-ADMIN-PW-0123456789";
const HOOK = "http://hooks.example/T0KEN-42";
const CRED = "/etc/alertmanager/secrets/sink-webhook-url";
const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const seen: pulumi.runtime.MockResourceArgs[] = [];
const resolve = <T>(o: pulumi.Input<T>) => new Promise<T>((r) => pulumi.output(o).apply((v) => r(v as T)));

async function build() {
  seen.length = 0;
  const { mockState, fakePassword } = await import("../../scripts/lib/evaluate");
  pulumi.runtime.setMocks(
    {
      newResource(a) {
        seen.push(a);
        return mockState(a.type, a.name, a.inputs);
      },
      call(a) {
        return a.inputs;
      },
    },
    "logging-bootstrap",
    "test",
    false,
  );
  const { ObservabilityStack } = await import("../../components/stack");
  const config = loadConfigFile(path.join(PROJECT_ROOT, "Pulumi.test.yaml"));
  const stack = new ObservabilityStack(config.projectName, {
    config,
    grafanaAdminPassword: pulumi.secret(PW),
    alertingSecrets: [{ receiver: "sink", kind: "webhook", field: "url", value: pulumi.secret(HOOK) }],
  });
  const outputs = stack.outputs();
  const digests = await resolve(outputs.configSecretDigests as pulumi.Input<Record<string, Record<string, string>>>);
  await new Promise((r) => setTimeout(r, 200));
  return { stack, outputs, digests, key: fakePassword(`${config.projectName}-config-drift-key`), secretKey: fakePassword(`${config.projectName}-grafana-secret-key`) };
}

describe("L8 in the program", () => {
  test("the proof compares every config directory; secret files by keyed hash with a per-stack random key", async () => {
    const { digests, key, secretKey } = await build();
    expect(seen.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => [r.name, r.inputs])).toContainEqual(["logging-test-config-drift-key", { length: 64, special: false }]);
    const proof = seen.find((r) => r.name === "logging-test-config-drift")!;
    const dirs = (proof.inputs.containers as { service: string; dirs: { root: string; entries: { path: string; secret?: boolean; sha256?: string; mode: number }[] }[] }[]).map((c) => [c.service, c.dirs.map((d) => d.root)]);
    expect(dirs).toEqual([
      ["grafana", ["/etc/grafana"]],
      ["loki", ["/etc/loki"]],
      ["alloy", ["/etc/alloy"]],
      ["prometheus", ["/etc/prometheus"]],
      ["alertmanager", ["/etc/alertmanager"]],
    ]);
    const grafana = (proof.inputs.containers as { service: string; dirs: { entries: { path: string; secret?: boolean; sha256?: string; mode: number }[] }[] }[])[0].dirs[0].entries;
    expect(grafana.filter((e) => e.secret).map((e) => [e.path, e.mode.toString(8), e.sha256])).toEqual([
      ["/etc/grafana/secrets/admin_password", "440", undefined],
      ["/etc/grafana/secrets/secret_key", "440", undefined],
    ]);
    // The keyed hashes the program computed: HMAC-SHA256 of each secret file's exact content.
    expect(digests).toEqual({
      grafana: { "/etc/grafana/secrets/admin_password": keyedHash(key, PW), "/etc/grafana/secrets/secret_key": keyedHash(key, secretKey) },
      alertmanager: { [CRED]: keyedHash(key, HOOK) },
    });
    expect(proof.inputs.secretDigests).toEqual(digests);
    // The key reaches the proof only as a secret input (the engine's secret signature around it).
    expect(isSecretSig(proof.inputs.driftKey)).toBe(true);
    expect(unwrap(proof.inputs.driftKey)).toBe(key);
  });

  test("no secret, no plain sha256 of a secret and no key in the proof's stored inputs or the stack outputs; the key output is a secret", async () => {
    const { outputs, key, secretKey } = await build();
    const proof = seen.find((r) => r.name === "logging-test-config-drift")!;
    const { driftKey: _k, __provider: _p, ...stored } = proof.inputs as Record<string, unknown>;
    void _k;
    void _p;
    const { configDriftKey, ...plain } = outputs;
    const texts = [JSON.stringify(stored), JSON.stringify(await resolve(plain as pulumi.Input<Record<string, unknown>>))];
    for (const t of texts) for (const s of [PW, HOOK, secretKey, key, sha(PW), sha(HOOK), sha(secretKey)]) expect(t).not.toContain(s);
    expect(await pulumi.isSecret(configDriftKey as pulumi.Output<string>)).toBe(true);
    expect(await pulumi.isSecret(pulumi.output(outputs.configSecretDigests))).toBe(false);
  });
});

describe("L8's record outside Pulumi (npm run verify)", () => {
  test("keyed hashes from the recorded outputs; the key from the secrets file or the environment, or the outputs when shown", () => {
    const h = "ab".repeat(32);
    const doc = { configSecretDigests: { grafana: { "/etc/grafana/secrets/admin_password": h, junk: 3 } }, configDriftKey: "[secret]" };
    expect(driftRecordFrom(doc)).toEqual({ secretDigests: { grafana: { "/etc/grafana/secrets/admin_password": h } } });
    expect(driftRecordFrom(doc, "K")).toEqual({ key: "K", secretDigests: { grafana: { "/etc/grafana/secrets/admin_password": h } } });
    expect(driftRecordFrom({ ...doc, configDriftKey: "shown" }).key).toBe("shown");
    expect(driftRecordFrom(undefined)).toEqual({ secretDigests: {} });
    const dir = tmpDir("lb-driftkey-");
    const f = path.join(dir, "secrets.env");
    fs.writeFileSync(f, "GRAFANA_ADMIN_PASSWORD=x\nCONFIG_DRIFT_KEY=from-file\n", { mode: 0o600 });
    expect(driftKeyFrom(f, { CONFIG_DRIFT_KEY: "from-env" })).toBe("from-file");
    expect(driftKeyFrom(undefined, { CONFIG_DRIFT_KEY: "from-env" })).toBe("from-env");
    expect(driftKeyFrom(undefined, {})).toBeUndefined();
  });
});
