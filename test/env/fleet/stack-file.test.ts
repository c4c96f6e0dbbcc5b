// The three-host test environment's stack file (test/env/fleet/Pulumi.testenv.fleet.yaml over
// test/env/Pulumi.testenv.yaml) is a fleet as docs/FLEET.md configures one: it lints (host c's TLS
// leaves as the secure: values lib.sh sets), the policy pack passes it with test/env/fleet/policy.json,
// and only Grafana and the gateway are published off loopback, on the centre address.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { serviceBindAddress, UNAUTHENTICATED_SERVICES } from "../../../contracts/config/exposure";
import { centralHost, remoteHosts } from "../../../contracts/config/hosts";
import { loadConfigFile } from "../../../contracts/config/load";
import { packConfigFor } from "../../../scripts/policy-check";
import { runTsx } from "../../util/provider-host";
import { overlayStackConfig } from "./stack-file";

const BASE = path.join(__dirname, "..", "Pulumi.testenv.yaml");
const OVERLAY = path.join(__dirname, "Pulumi.testenv.fleet.yaml");
const POLICY = path.join(__dirname, "policy.json");

/** The generated file as lib.sh leaves it for host c: three secure: leaves (opaque here, as in any stack file). */
function fleetFile(): string {
  const doc = YAML.parseDocument(overlayStackConfig(fs.readFileSync(BASE, "utf8"), fs.readFileSync(OVERLAY, "utf8")));
  for (const leaf of ["caPem", "certPem", "keyPem"]) doc.setIn(["config", "logging-bootstrap:hosts", 2, "docker", "tls", leaf], doc.createNode({ secure: `v1:${Buffer.from(leaf).toString("base64")}` }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-fleet-stack-"));
  const file = path.join(dir, "Pulumi.testenv.yaml");
  fs.writeFileSync(file, doc.toString());
  return file;
}

describe("overlayStackConfig", () => {
  test("replaces whole keys, adds new ones, keeps every other key and its comments", () => {
    const base = "# head\nconfig:\n  a:x: 1 # kept\n  a:exposure:\n    bindAddress: 127.0.0.1\n    lanExposed: false\nencryptionsalt: v1:salt\n";
    const out = overlayStackConfig(base, "config:\n  a:exposure:\n    bindAddress: 10.0.0.1\n  a:gateway:\n    port: 9\n");
    expect(YAML.parse(out)).toEqual({ config: { "a:x": 1, "a:exposure": { bindAddress: "10.0.0.1" }, "a:gateway": { port: 9 } }, encryptionsalt: "v1:salt" });
    expect(out).toContain("# head");
    expect(out).toContain("# kept");
  });

  test("refuses an overlay without config keys and a base without a config map", () => {
    expect(() => overlayStackConfig("config:\n  a: 1\n", "other: 1\n")).toThrow(/no config: keys/);
    expect(() => overlayStackConfig("encryptionsalt: x\n", "config:\n  a: 1\n")).toThrow(/no config: map/);
  });
});

describe("the fleet's stack file", () => {
  const file = fleetFile();

  test("hosts: local (central, this engine, the centre address), b on its socket, c on TCP with TLS; gateway 19110", () => {
    const cfg = loadConfigFile(file);
    expect(centralHost(cfg)).toMatchObject({ name: "local", address: "10.250.0.1", docker: { host: "unix:///var/run/docker.sock" } });
    expect(remoteHosts(cfg).map((h) => [h.name, h.docker.host, h.address])).toEqual([
      ["b", "unix:///run/logging-fleet/b/docker.sock", "10.250.1.2"],
      ["c", "tcp://10.250.2.2:2376", "10.250.2.2"],
    ]);
    // Each host reads its own engine and writes its own directories (one file system for all).
    for (const h of remoteHosts(cfg)) expect(h.paths?.dockerSocket).toBe(`/run/logging-fleet/${h.name}/docker.sock`);
    expect(cfg.gateway?.port).toBe(19110);
  });

  test("only Grafana and the gateway off loopback, on the centre address", () => {
    const cfg = loadConfigFile(file);
    for (const svc of UNAUTHENTICATED_SERVICES) expect([svc, serviceBindAddress(cfg, svc)]).toEqual([svc, "127.0.0.1"]);
    expect(serviceBindAddress(cfg, "grafana")).toBe("10.250.0.1");
    expect(cfg.exposure).toMatchObject({ bindAddress: "10.250.0.1", lanExposed: true });
  });

  test("config:lint: ok (tag-only pins are warnings)", async () => {
    const r = await runTsx(["scripts/config-lint.ts", file, "--json"], 120_000);
    const out = JSON.parse(r.stdout);
    expect(out.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect([...new Set(out.warnings.map((w: { code: string }) => w.code))]).toEqual(["E_CONFIG_IMAGE_NO_DIGEST"]);
  }, 130_000);

  test("policy:check with test/env/fleet/policy.json: no mandatory violation, and the file declares what the stack file does", async () => {
    const ok = JSON.parse((await runTsx(["scripts/policy-check.ts", "--stack", "testenv", "--config-file", file, "--policy-config", POLICY, "--json"], 120_000)).stdout);
    expect(ok.violations.filter((v: { enforcementLevel: string }) => v.enforcementLevel === "mandatory")).toEqual([]);
    // policy:check derives exposure-explicit from the stack file; `pulumi up` takes the file as it
    // is (bootstrap --policy-config), so the two must agree or up's pack refuses Grafana and the gateway.
    const declared = JSON.parse(fs.readFileSync(POLICY, "utf8"))["exposure-explicit"];
    expect(packConfigFor(file, undefined)["exposure-explicit"]).toEqual(declared);
  }, 130_000);
});
