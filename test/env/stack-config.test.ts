// test/env/Pulumi.testenv.yaml is a stack like any other: it passes config:lint and policy:check
// (no mandatory violation) through --config-file, and points every image at the local registry,
// the doubles under …/doubles/<name>. (`pulumi up`, render and verify read it the same way: test/env/up.sh and
// the integration suite.)
import * as path from "path";
import { runTsx } from "../util/provider-host";
import { loadConfigFile } from "../../contracts/config/load";

const FILE = path.join(__dirname, "Pulumi.testenv.yaml");

test("config:lint: ok, no errors (tag-only pins are warnings)", async () => {
  const r = await runTsx(["scripts/config-lint.ts", FILE, "--json"], 120_000);
  const out = JSON.parse(r.stdout);
  expect(r.code).toBe(0);
  expect(out.ok).toBe(true);
  expect(out.errors).toEqual([]);
  expect([...new Set(out.warnings.map((w: { code: string }) => w.code))]).toEqual(["E_CONFIG_IMAGE_NO_DIGEST"]);
}, 130_000);

test("policy:check --config-file: exit 0, no mandatory violation", async () => {
  const r = await runTsx(["scripts/policy-check.ts", "--stack", "testenv", "--config-file", FILE, "--json"], 120_000);
  const out = JSON.parse(r.stdout);
  expect(r.code).toBe(0);
  expect(out.violations.filter((v: { enforcementLevel: string }) => v.enforcementLevel === "mandatory")).toEqual([]);
  expect(out.errors ?? []).toEqual([]);
}, 130_000);

test("images: real ones from 127.0.0.1:5000/testenv, doubles named as doubles", () => {
  expect(loadConfigFile(FILE).images).toEqual({
    grafana: "127.0.0.1:5000/doubles/grafana:13.2.0",
    loki: "127.0.0.1:5000/doubles/loki:3.7.8",
    alloy: "127.0.0.1:5000/doubles/alloy:v1.19.2",
    prometheus: "127.0.0.1:5000/testenv/prometheus:v3.14.0",
    nodeExporter: "127.0.0.1:5000/testenv/node-exporter:v1.12.1",
    // The real collector: our main over cAdvisor v0.60.5's library modules (test/engine/services/cadvisor).
    cadvisor: "127.0.0.1:5000/testenv/cadvisor:v0.60.5",
    // The real upstream 0.35.0 build (test/engine/build-services.sh), like Prometheus and node-exporter.
    alertmanager: "127.0.0.1:5000/testenv/alertmanager:v0.35.0",
  });
});
