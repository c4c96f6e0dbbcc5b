// The Proofs component under Pulumi's mocks, built from the real ObservabilityStack of the test
// stack: which proof resources it declares, their type tokens, inputs and what the mock receives.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ruleGroups } from "../../components/render/rules";
import { loadConfigFile } from "../../contracts/config/load";
import { PROJECT_ROOT } from "../util/provider-host";

// Each case builds the Proofs component under mocks: ~1-5 s, more on a loaded 2-core machine.
jest.setTimeout(60_000);

const PW = "MOCK-ADMIN-PW-0123456789";
const seen: pulumi.runtime.MockResourceArgs[] = [];

async function build(overrideVerify: Record<string, boolean> = {}) {
  seen.length = 0;
  const { mockState } = await import("../../scripts/lib/evaluate");
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
  const cfg = loadConfigFile(path.join(PROJECT_ROOT, "Pulumi.test.yaml"));
  const config = { ...cfg, verify: { ...cfg.verify, ...overrideVerify } };
  // The stack declares its Proofs itself, after the containers.
  const stack = new ObservabilityStack(config.projectName, { config, grafanaAdminPassword: pulumi.secret(PW) });
  const proofs = stack.proofs;
  await new Promise((r) => proofs.statuses.apply((v) => r(v)));
  // Let every registration reach the mock.
  await new Promise((r) => setTimeout(r, 200));
  return { stack, proofs };
}

const cfgOf = (stack: string) => loadConfigFile(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`));
const dyn = (t: string) => `pulumi-nodejs:dynamic/logging-bootstrap:${t}`;
/** The proof resources (the stack's other dynamic resource is the Grafana admin password sync). */
const isProof = (r: pulumi.runtime.MockResourceArgs) => r.type.startsWith("pulumi-nodejs:dynamic/") && r.type !== dyn("GrafanaAdminPassword");

describe("Proofs component", () => {
  test("declares one HealthProof per service and one resource per other level, with the custom type tokens", async () => {
    await build();
    const proofs = seen.filter(isProof);
    expect(proofs.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        ...["grafana", "loki", "alloy", "prometheus", "node-exporter", "cadvisor", "alertmanager"].map((s) => `${dyn("HealthProof")} logging-test-health-${s}`),
        `${dyn("ReachabilityProof")} logging-test-reachability`,
        `${dyn("IngestionProof")} logging-test-ingestion`,
        `${dyn("LabelProof")} logging-test-labels`,
        `${dyn("DashboardProof")} logging-test-dashboards`,
        `${dyn("RuleProof")} logging-test-rules`,
        `${dyn("ProvenanceProof")} logging-test-provenance`,
        `${dyn("ConfigDriftProof")} logging-test-config-drift`,
        `${dyn("AlertDeliveryProof")} logging-test-alert-delivery`,
      ].sort(),
    );
    expect(seen.filter((r) => r.type === "logging-bootstrap:verify:Proofs").map((r) => r.name)).toEqual(["logging-test-proofs"]);
    for (const p of proofs) expect(String(p.inputs.__provider)).toMatch(/exports\.handler = __f0;/);
  });

  test("inputs come from the desired state: endpoints, rule groups, dashboard uids, rendered SHAs, recorded images", async () => {
    await build();
    const by = (n: string) => seen.find((r) => r.name === n)!.inputs;
    expect(by("logging-test-health-loki")).toMatchObject({ service: "loki", container: "logging-test-loki", baseUrl: "http://127.0.0.1:9102", containerId: expect.any(String) });
    expect(by("logging-test-health-loki").endpoints.map((e: { id: string }) => e.id)).toEqual(["loki-ready", "loki-buildinfo"]);
    expect(by("logging-test-rules")).toMatchObject({ prometheusUrl: "http://127.0.0.1:9104" });
    // Every group of the rule library with every rule's name, sorted (the rendered rules file).
    const libraryRules = Object.fromEntries(ruleGroups(cfgOf("test")).map((g) => [g.name, g.rules.map((r) => ("alert" in r ? r.alert : r.record)).sort()]));
    expect(by("logging-test-rules").expectedRules).toEqual(libraryRules);
    expect(Object.keys(libraryRules)).toEqual(["logging-bootstrap.recording", "logging-bootstrap.host", "logging-bootstrap.containers", "logging-bootstrap.stack", "logging-bootstrap.watchdog"]);
    expect(libraryRules["logging-bootstrap.recording"]).toEqual(["job:scrape_duration_seconds:max", "job:up:sum"]);
    expect(libraryRules["logging-bootstrap.stack"]).toContain("TargetDown");
    expect(libraryRules["logging-bootstrap.watchdog"]).toEqual(["Watchdog"]);
    expect(by("logging-test-dashboards")).toMatchObject({ grafanaUrl: "http://127.0.0.1:9101", dashboards: ["logging-bootstrap-containers", "logging-bootstrap-health", "logging-bootstrap-host", "logging-bootstrap-logs"].map((uid) => ({ uid, title: expect.any(String) })), passwordFile: "/etc/grafana/secrets/admin_password" });
    expect(by("logging-test-reachability")).toMatchObject({ url: "http://loki:3100/ready", probe: { network: "logging-test-net", entrypoint: ["busybox"] } });
    expect(by("logging-test-ingestion")).toMatchObject({ lokiUrl: "http://127.0.0.1:9102", logsRoot: "/tmp/bootstrap-test/logs", markerFile: "logging-bootstrap-proof.log", timeoutSeconds: 120 });
    // L8: whole config directories (test/verify/drift-proofs.test.ts has the secret files).
    const drift = by("logging-test-config-drift").containers as { service: string; dirs: { root: string; entries: { path: string; kind: string; sha256?: string; secret?: boolean }[] }[] }[];
    expect(drift.map((c) => c.service)).toEqual(["grafana", "loki", "alloy", "prometheus", "alertmanager"]);
    const prom = drift.find((c) => c.service === "prometheus")!.dirs;
    expect(prom.map((d) => d.root)).toEqual(["/etc/prometheus"]);
    expect(prom[0].entries.filter((e) => e.kind === "file").map((e) => e.path)).toEqual(["/etc/prometheus/prometheus.yml", "/etc/prometheus/rules/logging-bootstrap.rules.yml"]);
    const grafanaSecrets = drift.find((c) => c.service === "grafana")!.dirs[0].entries.filter((e) => e.path.startsWith("/etc/grafana/secrets/"));
    expect(grafanaSecrets.map((e) => [e.path, e.secret, e.sha256])).toEqual([["/etc/grafana/secrets/admin_password", true, undefined], ["/etc/grafana/secrets/secret_key", true, undefined]]);
    const prov = by("logging-test-provenance").containers as { service: string; imageId: string; repoDigest: string }[];
    expect(prov).toHaveLength(7);
    for (const t of prov) expect(t.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    // L9: Alertmanager through its published port, Watchdog with the stack's project label, the
    // receiver the route sends Watchdog to; no sink outside the test environment.
    const alerting = cfgOf("test").alerting;
    const l9 = by("logging-test-alert-delivery");
    expect(l9).toMatchObject({ alertmanagerUrl: "http://127.0.0.1:9107", expectedLabels: { alertname: "Watchdog", project: "logging-test" }, receiver: alerting.watchdogReceiver ?? alerting.defaultReceiver, timeoutMs: 120_000, pollMs: 1000 });
    expect(l9.sinkUrl).toBeUndefined();
    expect(Object.keys(l9.containerIds).sort()).toEqual(["alertmanager", "prometheus"]);
  });

  test("the Grafana password reaches L5 only as a secret input, and no other proof", async () => {
    await build();
    const dash = seen.find((r) => r.name === "logging-test-dashboards")!;
    expect(dash.inputs.adminPassword).not.toBe(PW);
    for (const r of seen.filter((x) => isProof(x) && x !== dash)) {
      expect(JSON.stringify(r.inputs)).not.toContain(PW);
    }
  });

  test("the Grafana admin password sync: one resource, exact inputs, the password only as a secret input", async () => {
    const { stack } = await build();
    const sync = seen.filter((r) => r.type === dyn("GrafanaAdminPassword"));
    expect(sync.map((r) => r.name)).toEqual(["logging-test-grafana-admin-sync"]);
    const { __provider, adminPassword, containerId, ...rest } = sync[0].inputs;
    expect(String(__provider)).toMatch(/exports\.handler = __f0;/);
    expect(String(__provider)).toContain('"components", "verify", "admin.ts"');
    expect(rest).toEqual({
      grafanaUrl: "http://127.0.0.1:9101",
      user: "admin",
      container: "logging-test-grafana",
      passwordFile: "/etc/grafana/secrets/admin_password",
      resetCommand: ["/usr/share/grafana/bin/grafana", "cli", "--homepath", "/usr/share/grafana", "--config", "/etc/grafana/grafana.ini", "admin", "reset-admin-password", "--password-from-stdin"],
      deadlineSeconds: 90,
      timeoutMs: 3000,
    });
    expect(containerId).toEqual(expect.any(String)); // a replaced container re-runs the sync
    // Under mocks a secret input arrives as the secret sentinel object, never as the plain value.
    expect(adminPassword).not.toBe(PW);
    expect(pulumi.Output.isInstance(stack.grafanaAdmin!.state)).toBe(true);
    // Not a proof: verify.enabled=false still declares it (it is part of apply).
    await build({ enabled: false });
    expect(seen.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => r.type)).toEqual([dyn("GrafanaAdminPassword")]);
  });

  test("verify.* toggles: disabled levels are not declared; verify.enabled=false declares none", async () => {
    const { proofs } = await build({ ingestion: false, dashboards: false });
    const names = seen.filter(isProof).map((r) => r.name);
    // 7 health + 8 other levels - 3: L4 checks L3's marker, so it is off with L3 (it would be red without it).
    expect(names).toHaveLength(12);
    expect(names).not.toContain("logging-test-ingestion");
    expect(names).not.toContain("logging-test-labels");
    expect(names).not.toContain("logging-test-dashboards");
    // Nothing disappears: the stack's proof statuses list each skipped level with its reason.
    const statuses = await new Promise<Record<string, string>>((r) => proofs.statuses.apply((v) => (r(v), v)));
    expect(statuses).toMatchObject({
      ingestion: "skipped: verify.ingestion is false",
      labels: "skipped: it checks the output of L3 ingestion and verify.ingestion is false",
      dashboards: "skipped: verify.dashboards is false",
    });
    await build({ alertDelivery: false });
    expect(seen.filter(isProof).map((r) => r.name)).not.toContain("logging-test-alert-delivery");
    await build({ enabled: false });
    expect(seen.filter(isProof)).toHaveLength(0);
  });
});
