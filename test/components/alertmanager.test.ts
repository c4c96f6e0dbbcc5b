// Alertmanager (schema v2): the rendered route tree and receivers (pure, golden, accepted by the
// real amtool), the container facts, and the credential files that never enter the config.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { alertmanagerArgs, alertmanagerConfigObject, alertmanagerSecretPath, renderAlertmanagerConfig, WATCHDOG_TIMING } from "../../components/render/alertmanager";
import { renderServiceFiles } from "../../components/render";
import { alertmanagerSecretFiles, alertmanagerSpec } from "../../components/services";
import { bindIp, containerArgs, endpointUrl } from "../../components/service";
import { lintConfig, EXAMPLE_CONFIG } from "../../contracts/config/lint";
import type { StackConfig } from "../../contracts/config/schema";
import { stackConfig } from "../util/mocks";

const test_ = stackConfig("test");
/** EXAMPLE_CONFIG: a webhook, an e-mail and a Slack receiver, routes by severity, a watchdog receiver. */
const full = (): StackConfig => {
  const r = lintConfig(JSON.parse(JSON.stringify(EXAMPLE_CONFIG)));
  if (!r.config) throw new Error(JSON.stringify(r.errors));
  return r.config;
};

describe("Alertmanager config", () => {
  it("without receivers: everything to the integration-less blackhole, Watchdog too", () => {
    const doc = YAML.parse(renderAlertmanagerConfig(test_));
    expect(doc.receivers).toEqual([{ name: "blackhole" }]);
    expect(doc.route.receiver).toBe("blackhole");
    expect(doc.route.routes).toEqual([{ matchers: ['alertname="Watchdog"'], receiver: "blackhole", ...WATCHDOG_TIMING }]);
  });

  it("routes Watchdog first and fast, then by severity, grouped by alertname and severity", () => {
    const o = alertmanagerConfigObject(full()) as any;
    expect(o.route.group_by).toEqual(["alertname", "severity"]);
    expect(o.route.receiver).toBe("oncall");
    expect(o.route.routes).toEqual([
      { matchers: ['alertname="Watchdog"'], receiver: "oncall", group_wait: "0s", group_interval: "10s", repeat_interval: "1m" },
      { matchers: ['severity="critical"'], receiver: "oncall" },
      { matchers: ['severity="warning"'], receiver: "team-mail" },
    ]);
  });

  it("names credential files, never values", () => {
    const o = alertmanagerConfigObject(full()) as any;
    expect(o.receivers).toEqual([
      { name: "blackhole" },
      { name: "oncall", webhook_configs: [{ url_file: "/etc/alertmanager/secrets/oncall-webhook-url", send_resolved: true }] },
      {
        name: "team-mail",
        email_configs: [{ to: "oncall@example.com", from: "alertmanager@example.com", smarthost: "smtp.example.com:587", auth_username: "alertmanager", require_tls: true, send_resolved: true }],
      },
      { name: "team-chat", slack_configs: [{ api_url_file: "/etc/alertmanager/secrets/team-chat-slack-api-url", channel: "#alerts", send_resolved: true }] },
    ]);
    const c = full();
    c.alerting.receivers[1].email!.authPassword = "<secret>";
    const mail = (alertmanagerConfigObject(c) as any).receivers[2].email_configs[0];
    expect(mail.auth_password_file).toBe("/etc/alertmanager/secrets/team-mail-email-auth-password");
    expect(renderAlertmanagerConfig(c)).not.toContain("<secret>");
  });

  it("a configured `blackhole` replaces the built-in one", () => {
    const c = full();
    c.alerting.receivers.push({ name: "blackhole", webhook: { url: "<secret>" } });
    const names = ((alertmanagerConfigObject(c) as any).receivers as { name: string }[]).map((r) => r.name);
    expect(names.filter((n) => n === "blackhole")).toHaveLength(1);
  });

  it("matches the golden file (UPDATE_GOLDEN=1 rewrites it) and is deterministic", () => {
    const text = renderAlertmanagerConfig(full());
    const golden = path.join(__dirname, "..", "golden", "alertmanager.example.yml");
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(golden, text);
    expect(text).toBe(fs.readFileSync(golden, "utf8"));
    expect(renderAlertmanagerConfig(full())).toBe(text);
  });

  it("is the file the container receives", () => {
    expect(renderServiceFiles(test_).alertmanager).toEqual([expect.objectContaining({ path: "/etc/alertmanager/alertmanager.yml", content: renderAlertmanagerConfig(test_) })]);
  });
});

// The real amtool of the pinned release (built by test/engine/build-services.sh into .tools).
const AMTOOL = [path.join(__dirname, "..", "..", ".tools", "services", "bin", "amtool-v0.35.0"), "/usr/bin/amtool", "/usr/local/bin/amtool"].find((p) => fs.existsSync(p));

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === "number" ? (err as unknown as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe("amtool check-config", () => {
  if (!AMTOOL) {
    // eslint-disable-next-line no-console
    console.warn("\n*** SKIPPING amtool check-config of the rendered Alertmanager config: amtool not found (bash test/engine/build-services.sh builds .tools/services/bin/amtool-v0.35.0). ***\n");
    it.skip("amtool check-config on the rendered configs (amtool missing)", () => undefined);
    return;
  }
  for (const [name, cfg] of [
    ["the test stack (blackhole only)", () => test_],
    ["webhook, e-mail with password and Slack receivers", () => {
      const c = full();
      c.alerting.receivers[1].email!.authPassword = "<secret>";
      return c;
    }],
  ] as const) {
    it(`accepts ${name}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "amtool-"));
      try {
        const file = path.join(dir, "alertmanager.yml");
        fs.writeFileSync(file, renderAlertmanagerConfig(cfg()));
        const r = await run(AMTOOL, ["check-config", file]);
        expect(r.out).toContain("SUCCESS");
        expect(r.code).toBe(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("Alertmanager container", () => {
  it("runs the image's binary on 9093 as nobody:0 with its data volume, probed by busybox wget on /-/ready", () => {
    const spec = alertmanagerSpec(test_);
    expect(spec.command).toEqual(alertmanagerArgs(test_.images.alertmanager));
    // 0.27+ labels notification counters by receiver: L9 attributes a delivery to the Watchdog's receiver.
    expect(spec.command).toContain("--enable-feature=receiver-name-in-metrics");
    expect(alertmanagerArgs("prom/alertmanager:v0.26.0")).not.toContain("--enable-feature=receiver-name-in-metrics");
    expect(alertmanagerArgs("prom/alertmanager:v0.27.0")).toContain("--enable-feature=receiver-name-in-metrics");
    expect(spec.command).toContain("--config.file=/etc/alertmanager/alertmanager.yml");
    expect(spec.command).toContain("--storage.path=/alertmanager");
    expect(spec.dataPath).toBe("/alertmanager");
    expect(spec.healthTest).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9093/-/ready"]);
    const a = containerArgs(test_, spec, [], { imageId: "i", network: "n", dataVolume: "v" });
    expect(a.user).toBe("65534:0");
    expect(a.envs).toEqual([]);
  });

  it("publishes on 127.0.0.1 unless alerting.lanExposed, whatever exposure.bindAddress says", () => {
    const prod = stackConfig("prod");
    expect(prod.exposure.bindAddress).toBe("0.0.0.0");
    expect(bindIp(prod, "alertmanager")).toBe("127.0.0.1");
    expect(endpointUrl(prod, "alertmanager")).toBe("http://127.0.0.1:9007");
    expect(bindIp({ ...prod, alerting: { ...prod.alerting, lanExposed: true } }, "alertmanager")).toBe("0.0.0.0");
    expect(bindIp(prod, "grafana")).toBe("0.0.0.0");
  });

  it("uploads each credential as a 0440 secret file at the path the config names", async () => {
    const files = alertmanagerSecretFiles([{ receiver: "oncall", kind: "webhook", field: "url", value: pulumi.output("https://hook.example/T0ken") }]);
    expect(files.map((f) => f.path)).toEqual([alertmanagerSecretPath("oncall", "webhook", "url")]);
    expect(await pulumi.isSecret(files[0].content)).toBe(true);
    const a = containerArgs(test_, alertmanagerSpec(test_), renderServiceFiles(test_).alertmanager, { imageId: "i", network: "n", secrets: files });
    const uploads = a.uploads as { file: string; permissions: string }[];
    expect(uploads.find((u) => u.file === "/etc/alertmanager/secrets/oncall-webhook-url")!.permissions).toBe("0440");
    expect(uploads.find((u) => u.file === "/etc/alertmanager/alertmanager.yml")!.permissions).toBe("0444");
  });
});
