// Both stacks lint clean and carry the values the issue fixes.
import path from "node:path";
import { lintFile } from "../../scripts/lib/lint-file";
import { lintConfig } from "../../contracts/config/lint";
import { ROOT, stackConfig } from "./helpers";

describe.each(["test", "prod"])("Pulumi.%s.yaml", (stack) => {
  it("lints clean (no errors)", () => {
    const r = lintFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

describe("stack values", () => {
  it("test: seed 000's test values, with the current image pins", () => {
    const c = lintConfig(stackConfig("test")).config!;
    expect(c.projectName).toBe("logging-test");
    expect(c.ports.grafana).toBe(9101);
    expect(c.ports.prometheus).toBe(9104);
    expect(c.paths.logsRoot.startsWith("/tmp/bootstrap-test/")).toBe(true);
    expect(c.paths.telemetryRoot.startsWith("/tmp/bootstrap-test/")).toBe(true);
    expect(c.exposure).toEqual({ bindAddress: "127.0.0.1", lanExposed: false, loopbackOnly: [] });
    expect(c.images).toEqual({
      grafana: "grafana/grafana:13.2.0",
      loki: "grafana/loki:3.7.8",
      alloy: "grafana/alloy:v1.19.2",
      prometheus: "prom/prometheus:v3.14.0",
      nodeExporter: "prom/node-exporter:v1.12.1",
      cadvisor: "ghcr.io/google/cadvisor:v0.60.5",
      alertmanager: "prom/alertmanager:v0.35.0",
    });
    // Alertmanager on loopback next to the others; no receivers yet: the built-in blackhole.
    expect(c.ports.alertmanager).toBe(9107);
    expect(c.alerting).toEqual({ receivers: [], routes: [], defaultReceiver: "blackhole", lanExposed: false });
  });

  it("prod: ports 9001/9004, explicit LAN exposure, 30d logs / 15d metrics", () => {
    const c = lintConfig(stackConfig("prod")).config!;
    expect(c.ports.grafana).toBe(9001);
    expect(c.ports.prometheus).toBe(9004);
    expect(c.exposure.bindAddress).toBe("0.0.0.0");
    expect(c.exposure.lanExposed).toBe(true);
    expect(c.retention).toEqual({ logs: "30d", metrics: "15d" });
    // LAN exposure is for Grafana and Prometheus; Alertmanager stays on loopback.
    expect(c.ports.alertmanager).toBe(9007);
    expect(c.alerting.lanExposed).toBe(false);
  });

  it("the two stacks can run side by side (no shared host port or name)", () => {
    const t = lintConfig(stackConfig("test")).config!;
    const p = lintConfig(stackConfig("prod")).config!;
    const tp = Object.values(t.ports);
    for (const port of Object.values(p.ports)) expect(tp).not.toContain(port);
    expect(t.projectName).not.toBe(p.projectName);
  });
});
