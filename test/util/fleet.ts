// A fleet for the renderer and rule tests: the `test` stack (its central host `local`) with two
// more hosts, as docs/FLEET.md configures one: the central host on a LAN address, the gateway's
// port, only Grafana and the gateway on the LAN. db1 overrides its logs root and Docker allowlist.
// The lint accepts it (checked here, so a schema change that breaks it fails loudly).
import { lintConfig } from "../../contracts/config/lint";
import type { StackConfig } from "../../contracts/config/schema";
import { stackConfig } from "./mocks";

export const FLEET_CENTRAL = { name: "local", address: "192.0.2.10" } as const;
export const FLEET_GATEWAY_PORT = 9108;
/** The non-central hosts, in config order. */
export const FLEET_REMOTES = [
  { name: "web1", address: "192.0.2.21" },
  { name: "db1", address: "192.0.2.22", logsRoot: "/srv/logs", dockerAllowlist: ["db1-postgres"] },
] as const;

export function fleetConfig(): StackConfig {
  const base = JSON.parse(JSON.stringify(stackConfig("test"))) as Record<string, unknown>;
  base.hosts = [
    { name: FLEET_CENTRAL.name, central: true, docker: { host: "unix:///var/run/docker.sock" }, address: FLEET_CENTRAL.address },
    { name: "web1", docker: { host: "ssh://deploy@192.0.2.21" }, address: "192.0.2.21" },
    { name: "db1", docker: { host: "ssh://deploy@192.0.2.22" }, address: "192.0.2.22", paths: { logsRoot: "/srv/logs" }, alloy: { dockerAllowlist: ["db1-postgres"] } },
  ];
  base.gateway = { port: FLEET_GATEWAY_PORT };
  base.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
  const r = lintConfig(base);
  if (!r.ok || !r.config) throw new Error(`the fleet test config does not lint: ${JSON.stringify(r.errors)}`);
  return r.config;
}
