// v2 -> v3: the fleet (docs/FLEET.md). A v2 stack is a fleet of one: the machine it runs on is the
// central host, reached through the Docker socket the stack already mounts (paths.dockerSocket) and
// at 127.0.0.1. Nothing else changes, so the migrated stack declares exactly the resources the v2
// stack did (test/contracts/migration-plan.test.ts compares the two plans). Pure: the input is not
// modified; the addition is listed in `notes`.
import { isRecord } from "../config/values";

type Raw = Record<string, unknown>;

/** The name of the one host of a migrated stack (the value of its `host` label). */
export const V3_LOCAL_HOST = "local";
/** Schema v2's default for paths.dockerSocket (frozen here: a later default must not change what v2 meant). */
const V2_DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** Key order of a v3 stack file (hosts before the keys that describe the central host, gateway after ports). */
const V3_ORDER = [
  "schemaVersion", "projectName", "offlineMode", "requireImageDigests", "hosts", "exposure", "ports", "gateway", "paths", "images",
  "retention", "alloy", "alerting", "verify", "limits", "cadvisor", "prometheus", "backups", "grafanaAdminPassword",
];

export function v2ToV3(input: Raw): { config: Raw; notes: string[] } {
  const notes: string[] = [];
  const out: Raw = { ...input, schemaVersion: 3 };
  if ("hosts" in input) {
    // Schema v2 has no hosts key: whatever is there was written for v3 already; the lint judges it.
    notes.push("hosts: kept as written (schema v2 has no hosts key; config:lint checks it)");
  } else {
    const socket = isRecord(input.paths) && typeof input.paths.dockerSocket === "string" ? input.paths.dockerSocket : V2_DEFAULT_DOCKER_SOCKET;
    out.hosts = [{ name: V3_LOCAL_HOST, central: true, docker: { host: `unix://${socket}` }, address: "127.0.0.1" }];
    notes.push(
      `hosts: a fleet of one, ${V3_LOCAL_HOST} (central), reached at unix://${socket} and 127.0.0.1; nothing it deploys changes. To add hosts, append them to hosts and set gateway.port (docs/FLEET.md)`,
    );
  }
  return { config: orderKeys(out), notes };
}

function orderKeys(c: Raw): Raw {
  const o: Raw = {};
  for (const k of V3_ORDER) if (k in c) o[k] = c[k];
  for (const [k, v] of Object.entries(c)) if (!(k in o)) o[k] = v;
  return o;
}
