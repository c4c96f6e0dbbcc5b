// test:variants' pins-2024 variant, before anything is deployed: its images are the 2024 pins in the
// test environment's registry, its config lints clean (no webhook receiver for Alertmanager 0.27),
// and what verify must report for it follows from the config alone.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { lintConfig } from "../../contracts/config/lint";
import { readStackFile } from "../../contracts/config/stackfile";
import { expectedOutcome } from "../../components/verify/expectations";
import { receiverNameInMetrics } from "../../components/render/alertmanager";
import { pins2024Images, PROMETHEUS_2024, VARIANTS, type VariantEnv } from "./catalog";

const ROOT = path.resolve(__dirname, "..", "..");
const K = (k: string) => `logging-bootstrap:${k}`;
const ENV: VariantEnv = { gateway: "172.17.0.1", lanAddress: "10.253.0.1", digests: {} };

/** The environment's generated stack file as test/env/lib.sh ensure_stack makes it: the tracked file plus the sink's webhook receiver. */
function environmentStack(): { config: Record<string, unknown> } {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "test", "env", "Pulumi.testenv.yaml"), "utf8")) as { config: Record<string, unknown> };
  doc.config[K("alerting")] = { receivers: [{ name: "sink", webhook: { url: { secure: "v1:c2luaw==" } } }], routes: [], defaultReceiver: "sink", watchdogReceiver: "sink", lanExposed: false };
  (doc.config[K("verify")] as Record<string, unknown>).alertSinkUrl = "http://127.0.0.1:19108";
  return doc;
}

/** The variant's stack file as run.ts writes it, its secrets as `secure:` leaves, read back as the program reads it. */
function variantStack(name: string) {
  const v = VARIANTS.find((x) => x.name === name)!;
  const doc = environmentStack();
  v.patch(doc.config, ENV);
  for (const p of Object.keys(v.secrets?.(ENV) ?? {})) {
    const m = /^logging-bootstrap:alerting\.receivers\[(\d+)\]\.(\w+)\.(\w+)$/.exec(p)!;
    const receivers = (doc.config[K("alerting")] as { receivers: Record<string, Record<string, unknown>>[] }).receivers;
    receivers[Number(m[1])][m[2]][m[3]] = { secure: "v1:c2VjcmV0" };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-variant-"));
  try {
    const file = path.join(dir, "Pulumi.testenv.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return readStackFile(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("pins-2024", () => {
  test("images: each service's local repository at the fixture's tag, Prometheus at the 2024 build the environment has", () => {
    const env = (environmentStack().config[K("images")] as Record<string, string>);
    const pins = readStackFile(path.join(ROOT, "test", "fixtures", "config", "Pulumi.pins-2024.yaml")).projectConfig.images as Record<string, string>;
    expect(pins.prometheus).toBe("prom/prometheus:v2.52.0");
    expect(pins2024Images(env, pins)).toEqual({
      grafana: "127.0.0.1:5000/doubles/grafana:11.1.0",
      loki: "127.0.0.1:5000/doubles/loki:3.0.0",
      alloy: "127.0.0.1:5000/doubles/alloy:v1.2.1",
      prometheus: `127.0.0.1:5000/testenv/prometheus:${PROMETHEUS_2024}`,
      nodeExporter: "127.0.0.1:5000/testenv/node-exporter:v1.8.1",
      cadvisor: "127.0.0.1:5000/doubles/cadvisor:v0.49.1",
      alertmanager: "127.0.0.1:5000/testenv/alertmanager:v0.27.0",
    });
    expect(() => pins2024Images(env, { ...pins, loki: "" })).toThrow("the 2024 pins have no images.loki");
  });

  test("lints clean: the sink's webhook receiver (Alertmanager 0.27 cannot run it) is replaced by a Slack receiver on the sink", () => {
    const f = variantStack("pins-2024");
    const r = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys });
    expect(r.errors).toEqual([]);
    expect(r.config!.alerting).toMatchObject({ receivers: [{ name: "chat", slack: { channel: "#alerts" } }], defaultReceiver: "chat", watchdogReceiver: "chat" });
    expect(r.config!.verify.alertSinkUrl).toBeUndefined();
    // The environment's own receiver, kept, is what the lint refuses on 0.27.
    const kept = lintConfig({ ...f.projectConfig, alerting: environmentStack().config[K("alerting")] }, { secretKeys: [...f.projectSecretKeys, "alerting"] });
    expect(kept.errors.map((e) => e.code)).toContain("E_CONFIG_RECEIVER_UNSUPPORTED");
  });

  test("expected: every level green (one receiver, and 0.27 labels its counters by receiver)", () => {
    const f = variantStack("pins-2024");
    const cfg = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys }).config!;
    expect(receiverNameInMetrics(cfg.images.alertmanager)).toBe(true);
    const out = expectedOutcome(cfg, { registryDigests: true });
    expect(Object.values(out).every((e) => e.status === "green")).toBe(true);
    expect(Object.keys(out)).toHaveLength(9);
  });
});
