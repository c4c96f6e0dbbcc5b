// A three-host stack file for the program under mocks: Pulumi.test.yaml made a fleet as
// test/util/fleet.ts configures one (the central host `local` on 192.0.2.10, web1 over ssh, db1 with
// its own logs root and allowlist), the gateway on 9108, only Grafana and the gateway on the LAN.
// With `tls`, db1's engine is tcp:// with a TLS client certificate whose leaves are `secure:` in the
// file and decrypted in the config the program gets, as the CLI hands them over.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { loadConfigFile } from "../../contracts/config/load";
import type { StackConfig } from "../../contracts/config/schema";
import { readStackFile } from "../../contracts/config/stackfile";
import { FLEET_CENTRAL, FLEET_GATEWAY_PORT } from "../util/fleet";
import { ROOT, SECURE } from "../util/secure-stack-file";

/** The decrypted TLS leaves db1's engine gets with `tls` (recognisable: tests search for them). */
export const DB1_TLS = { caPem: "-----BEGIN CERTIFICATE-----\nDB1CA-TESTVALUE\n-----END CERTIFICATE-----\n", certPem: "-----BEGIN CERTIFICATE-----\nDB1CERT-TESTVALUE\n-----END CERTIFICATE-----\n", keyPem: "-----BEGIN PRIVATE KEY-----\nDB1KEY-TESTVALUE\n-----END PRIVATE KEY-----\n" };

export interface FleetStack {
  /** The stack file (a temp dir): what LOGGING_BOOTSTRAP_STACK_FILE names for the program's secure-marker judgement. */
  file: string;
  /** The Pulumi config the program gets (namespaced keys, string values) and its secret keys. */
  pulumiConfig: Record<string, string>;
  secretKeys: string[];
}

/** `remotes`: which of web1 and db1 the fleet has (default both); `tls`: db1 on tcp:// with TLS. */
export function fleetStack(o: { remotes?: ("web1" | "db1")[]; tls?: boolean; gatewayImage?: string } = {}): FleetStack {
  const remotes = o.remotes ?? ["web1", "db1"];
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, unknown> };
  const db1Docker = o.tls ? { host: "tcp://192.0.2.22:2376", tls: { caPem: SECURE, certPem: SECURE, keyPem: SECURE } } : { host: "ssh://deploy@192.0.2.22" };
  const all = {
    web1: { name: "web1", docker: { host: "ssh://deploy@192.0.2.21" }, address: "192.0.2.21" },
    db1: { name: "db1", docker: db1Docker, address: "192.0.2.22", paths: { logsRoot: "/srv/logs" }, alloy: { dockerAllowlist: ["db1-postgres"] } },
  };
  doc.config["logging-bootstrap:hosts"] = [{ name: FLEET_CENTRAL.name, central: true, docker: { host: "unix:///var/run/docker.sock" }, address: FLEET_CENTRAL.address }, ...remotes.map((r) => all[r])];
  doc.config["logging-bootstrap:gateway"] = { port: FLEET_GATEWAY_PORT, ...(o.gatewayImage ? { image: o.gatewayImage } : {}) };
  doc.config["logging-bootstrap:exposure"] = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-fleet-"));
  const file = path.join(dir, "Pulumi.test.yaml");
  fs.writeFileSync(file, YAML.stringify(doc));
  const f = readStackFile(file);
  const pulumiConfig = { ...f.pulumiConfig };
  const secretKeys = [...f.secretKeys];
  if (o.tls && remotes.includes("db1")) {
    const hosts = JSON.parse(pulumiConfig["logging-bootstrap:hosts"]);
    hosts.find((h: { name: string }) => h.name === "db1").docker.tls = { ...DB1_TLS };
    pulumiConfig["logging-bootstrap:hosts"] = JSON.stringify(hosts);
    secretKeys.push("logging-bootstrap:hosts");
  }
  return { file, pulumiConfig, secretKeys: [...new Set(secretKeys)] };
}

/** The validated config of a fleet stack file (TLS leaves as the lint's placeholder): what the program declares from. */
export function fleetStackConfig(f: FleetStack): StackConfig {
  return loadConfigFile(f.file) as StackConfig;
}
