// The naming module is pure: verify's spec builders (URLs of published ports) load neither Pulumi's
// Docker provider nor the SDK.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { bindIp, containerName, dataDir, dataVolumeName, endpointUrl, networkName } from "../../components/naming";
import { loadConfigFile } from "../../contracts/config/load";

const ROOT = path.resolve(__dirname, "..", "..");

describe("naming", () => {
  const cfg = loadConfigFile(path.join(ROOT, "Pulumi.test.yaml")) as Parameters<typeof containerName>[0];
  it("names and addresses from the config alone", () => {
    expect([containerName(cfg, "nodeExporter"), networkName(cfg), dataVolumeName(cfg, "alertmanager")]).toEqual(["logging-test-node-exporter", "logging-test-net", "logging-test-alertmanager-data"]);
    expect(bindIp(cfg, "alertmanager")).toBe("127.0.0.1");
    expect(endpointUrl(cfg, "grafana")).toBe(`http://127.0.0.1:${cfg.ports.grafana}`);
    expect(dataDir(cfg, "loki")).toBe(cfg.paths.dataRoot ? `${cfg.paths.dataRoot}/loki` : undefined);
  });
  it("verify's spec module loads no Docker provider and no Pulumi SDK", () => {
    const script = `require(${JSON.stringify(path.join(ROOT, "components", "verify", "spec.ts"))}); const m = Object.keys(require.cache).filter((k) => /node_modules\\/@pulumi\\/(docker|pulumi)\\//.test(k)); process.stdout.write(JSON.stringify(m));`;
    const out = execFileSync(path.join(ROOT, "node_modules", ".bin", "tsx"), ["-e", script], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual([]);
  });
});
