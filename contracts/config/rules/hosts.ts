// hosts and gateway (schema v3, docs/FLEET.md): the fleet's hosts, how Pulumi reaches each engine,
// and the gateway the other hosts' agents push through.
import { finding, formatPath, PathSeg, show, stackPatch, stackPatchKeys } from "../findings";
import { suggestPort } from "../examples";
import { UNAUTHENTICATED_SERVICES } from "../exposure";
import { isDnsLabel, isIPv4, isLoopbackIPv4, isRecord, isValidPort, maxHostNameLength, MAX_PROJECT_NAME_LENGTH, parseDockerHost, toDnsLabel } from "../values";
import { hostsForPatch, hostsPatch, plainCopy } from "./hosts-patch";
import { HOST_TLS_SECRET_FIELDS, secretSetCommand } from "./secrets";
import { empty, Raw, RuleResult } from "./types";

function hostList(raw: Raw): Record<string, unknown>[] {
  return Array.isArray(raw.hosts) ? raw.hosts.map((h) => (isRecord(h) ? h : {})) : [];
}

/** The TLS block a tcp:// host needs: each leaf a secure: value, written by its command. */
function tlsExample(i: number): Record<string, unknown> {
  const tls: Record<string, unknown> = {};
  for (const f of HOST_TLS_SECRET_FIELDS) tls[f] = { secure: `v1:<ciphertext written by: ${secretSetCommand(["hosts", i, "docker", "tls", f])}>` };
  return tls;
}

/**
 * Each host: a DNS-label name, unique, short enough for its derived names (a non-central host's
 * `<project>-<name>-node-exporter`); `central` a real boolean, exactly one host central; a docker.host
 * Pulumi can reach (unix:///path, ssh://user@host[:port], tcp://host:port); TLS client certificates
 * with tcp:// and only there (an engine on TCP without TLS is root on that host for anyone who
 * reaches the port); no paths/alloy overrides on the central host (its values are the top-level ones).
 */
export function ruleHosts(raw: Raw): RuleResult {
  const out = empty();
  if (!Array.isArray(raw.hosts)) return out; // absent or not a list: the schema reports it
  const hosts = hostList(raw);
  const project = isDnsLabel(raw.projectName) && (raw.projectName as string).length <= MAX_PROJECT_NAME_LENGTH ? (raw.projectName as string) : undefined;
  const seen = new Map<string, number>();
  hosts.forEach((h, i) => {
    const at = (...p: PathSeg[]): PathSeg[] => ["hosts", i, ...p];
    // name
    if (typeof h.name === "string") {
      if (!isDnsLabel(h.name)) {
        out.errors.push(finding("E_CONFIG_NAME_NOT_DNS_SAFE", at("name"), `${formatPath(at("name"))} ${show(h.name, 60)} is not a DNS label (lowercase letters, digits and '-', no leading or trailing '-'); it is the host label of every series and stream`, hostsPatch(raw, i, (x) => (x.name = toDnsLabel(h.name as string)))));
      } else if (h.central !== true && project !== undefined && h.name.length > maxHostNameLength(project)) {
        const max = maxHostNameLength(project);
        out.errors.push(
          finding(
            "E_CONFIG_NAME_NOT_DNS_SAFE",
            at("name"),
            `${formatPath(at("name"))} ${show(h.name, 70)} is ${h.name.length} characters; this host's names such as ${JSON.stringify(`${project}-${h.name}-node-exporter`)} must stay DNS labels (at most 63), so with projectName ${JSON.stringify(project)} a host name may have at most ${max}`,
            hostsPatch(raw, i, (x) => (x.name = (h.name as string).slice(0, Math.max(1, max)).replace(/-+$/, "") || "h")),
          ),
        );
      }
      const prev = seen.get(h.name);
      if (prev !== undefined) {
        out.errors.push(finding("E_CONFIG_HOST_DUPLICATE", at("name"), `${formatPath(at("name"))} ${show(h.name, 60)} is already the name of hosts[${prev}]; host names are unique (each is a host label and names that host's resources)`, hostsPatch(raw, i, (x) => (x.name = `${h.name}-${i}`))));
      } else {
        seen.set(h.name, i);
      }
    }
    // central: a real boolean
    if (h.central !== undefined && typeof h.central !== "boolean") {
      const s = typeof h.central === "string" ? h.central.trim().toLowerCase() : "";
      out.errors.push(finding("E_CONFIG_NOT_BOOLEAN", at("central"), `${formatPath(at("central"))} is ${show(h.central, 40)}, not a boolean; write an unquoted true or false`, hostsPatch(raw, i, (x) => (x.central = ["true", "yes", "on", "1"].includes(s)))));
    }
    // docker
    const docker = isRecord(h.docker) ? h.docker : undefined;
    if (docker && typeof docker.host === "string") {
      const parsed = parseDockerHost(docker.host);
      if (!parsed) {
        const fix = suggestDockerHost(docker.host, h.address);
        out.errors.push(
          finding(
            "E_CONFIG_DOCKER_HOST_INVALID",
            at("docker", "host"),
            `${formatPath(at("docker", "host"))} ${show(docker.host, 80)} is not an address Pulumi can reach a Docker engine at; use unix:///<absolute socket path>, ssh://<user>@<host>[:port] or tcp://<host>:<port> (with docker.tls)`,
            hostsPatch(raw, i, (x) => ((x.docker as Record<string, unknown>).host = fix)),
          ),
        );
      } else if (parsed.scheme === "tcp" && docker.tls === undefined) {
        out.errors.push(
          finding(
            "E_CONFIG_DOCKER_TLS_MISSING",
            at("docker"),
            `${formatPath(at("docker", "host"))} ${show(docker.host, 80)} reaches the engine over TCP without TLS client certificates: anyone who reaches that port controls the engine (root on the host); add docker.tls (caPem, certPem, keyPem, each a secret), or reach it over ssh://`,
            hostsPatch(raw, i, (x) => ((x.docker as Record<string, unknown>).tls = tlsExample(i)), "each leaf written for you by the command in it; or use host: ssh://<user>@<host> without tls"),
          ),
        );
      } else if (parsed.scheme !== "tcp" && docker.tls !== undefined) {
        out.errors.push(
          finding(
            "E_CONFIG_DOCKER_TLS_UNUSED",
            at("docker", "tls"),
            `${formatPath(at("docker", "tls"))} is set, but ${show(docker.host, 80)} is ${parsed.scheme === "ssh" ? "an" : "a"} ${parsed.scheme}:// address: Docker uses TLS client certificates only on tcp://, so these would be silently ignored`,
            hostsPatch(raw, i, (x) => delete (x.docker as Record<string, unknown>).tls, "delete docker.tls (and its secure: values), or use a tcp://<host>:<port> address"),
          ),
        );
      }
    }
    // the central host's paths and lists are the top-level ones
    if (h.central === true) {
      for (const key of ["paths", "alloy"] as const) {
        if (h[key] === undefined) continue;
        const top = isRecord(raw[key]) ? (plainCopy(raw[key]) as Record<string, unknown>) : {};
        const merged = isRecord(h[key]) ? { ...top, ...(plainCopy(h[key]) as Record<string, unknown>) } : top;
        out.errors.push(
          finding(
            "E_CONFIG_HOST_CENTRAL_OVERRIDE",
            at(key),
            `${formatPath(at(key))}: the central host runs with the top-level ${key}.*; per-host ${key} are for the other hosts. Move these values to the top-level ${key} and delete ${formatPath(at(key))}`,
            stackPatchKeys({ [key]: merged, hosts: (() => { const l = hostsForPatch(raw); if (isRecord(l[i])) delete (l[i] as Record<string, unknown>)[key]; return l; })() }, `the values move to the top-level ${key}`),
          ),
        );
      }
    }
  });
  // exactly one central host
  const central = hosts.map((h, i) => (h.central === true ? i : -1)).filter((i) => i >= 0);
  if (central.length !== 1) {
    const list = hostsForPatch(raw);
    const keep = central.length === 0 ? 0 : central[0];
    list.forEach((h, i) => {
      if (isRecord(h) && i !== keep && h.central === true) h.central = false;
    });
    if (list.length === 0) list.push({ name: "local", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "127.0.0.1" });
    else if (isRecord(list[keep])) (list[keep] as Record<string, unknown>).central = true;
    // The finding sits at the entry to change (so schema findings about other entries still show).
    const at: PathSeg[] = list.length === 0 || !Array.isArray(raw.hosts) || raw.hosts.length === 0 ? ["hosts"] : ["hosts", central.length === 0 ? 0 : central[1], "central"];
    out.errors.push(
      finding(
        "E_CONFIG_HOST_CENTRAL",
        at,
        central.length === 0
          ? `no host in hosts is central (central: true); exactly one runs Grafana, Loki, Prometheus and Alertmanager`
          : `${central.length} hosts are central (${central.map((i) => `hosts[${i}]`).join(", ")}); exactly one runs Grafana, Loki, Prometheus and Alertmanager`,
        stackPatch(["hosts"], list, "exactly one host with central: true"),
      ),
    );
  }
  return out;
}

/** `/var/run/docker.sock` -> `unix:///var/run/docker.sock`, `deploy@web1` -> `ssh://deploy@web1`, `10.0.0.2:2376` -> `tcp://10.0.0.2:2376`. */
export function suggestDockerHost(v: string, address: unknown): string {
  const s = v.trim();
  if (s.startsWith("/") && parseDockerHost(`unix://${s}`)) return `unix://${s}`;
  const bare = s.replace(/^[a-z]+:\/\//, "");
  if (/^[^@\s/]+@[^@\s/]+$/.test(bare) && parseDockerHost(`ssh://${bare}`)) return `ssh://${bare}`;
  if (/^[^@\s/:]+:[0-9]{1,5}$/.test(bare) && parseDockerHost(`tcp://${bare}`)) return `tcp://${bare}`;
  return isIPv4(address) && !isLoopbackIPv4(address) ? `ssh://<user>@${address}` : "unix:///var/run/docker.sock";
}

/**
 * The gateway: required as soon as a host is not central (its agents push through it), published
 * where those hosts reach it. It listens on exposure.bindAddress of the central host, so that must be
 * a LAN address (0.0.0.0 or the central host's own address), and the central host's `address` (what
 * the agents dial) must not be loopback. Port range and uniqueness: rulePorts.
 */
export function ruleGateway(raw: Raw): RuleResult {
  const out = empty();
  const hosts = hostList(raw);
  const remote = hosts.filter((h) => h.central !== true);
  // Without exactly one central host there is no gateway host to judge (E_CONFIG_HOST_CENTRAL says so).
  if (!Array.isArray(raw.hosts) || remote.length === 0 || hosts.length - remote.length !== 1) return out;
  if (raw.gateway === undefined) {
    const used = new Set<number>(isRecord(raw.ports) ? Object.values(raw.ports).filter(isValidPort) : []);
    out.errors.push(
      finding(
        "E_CONFIG_GATEWAY_MISSING",
        ["gateway"],
        `hosts lists ${remote.length} host(s) besides the central one (${remote.map((h) => show(h.name, 40)).join(", ")}); their agents push logs and metrics through the gateway (TLS and per-host authentication), so gateway.port is required`,
        stackPatch(["gateway"], { port: suggestPort("gateway", used) }, "published on the central host's exposure.bindAddress"),
      ),
    );
  }
  const ci = hosts.findIndex((h) => h.central === true);
  const centralAddr = ci >= 0 ? hosts[ci].address : undefined;
  const exp = isRecord(raw.exposure) ? raw.exposure : {};
  const bind = exp.bindAddress;
  const lanBind = isIPv4(centralAddr) && !isLoopbackIPv4(centralAddr) ? centralAddr : "0.0.0.0";
  if (isIPv4(bind) && isLoopbackIPv4(bind)) {
    const loopbackOnly = [...new Set([...(Array.isArray(exp.loopbackOnly) ? exp.loopbackOnly.filter((s): s is string => typeof s === "string") : []), ...UNAUTHENTICATED_SERVICES])];
    out.errors.push(
      finding(
        "E_CONFIG_GATEWAY_UNREACHABLE",
        ["exposure", "bindAddress"],
        `exposure.bindAddress ${bind} publishes the gateway on loopback, where the other hosts' agents cannot reach it; publish on the central host's LAN address (everything but Grafana and the gateway stays on 127.0.0.1 through exposure.loopbackOnly)`,
        stackPatch(["exposure"], { bindAddress: lanBind, lanExposed: true, loopbackOnly }),
      ),
    );
  } else if (isIPv4(bind) && bind !== "0.0.0.0" && isIPv4(centralAddr) && bind !== centralAddr) {
    out.errors.push(
      finding(
        "E_CONFIG_GATEWAY_UNREACHABLE",
        ["exposure", "bindAddress"],
        `exposure.bindAddress ${bind} is not the central host's address ${centralAddr} (hosts[${ci}].address), which the other hosts' agents dial; the gateway would not listen there`,
        stackPatch(["exposure", "bindAddress"], centralAddr, `or set hosts[${ci}].address to ${bind}`),
      ),
    );
  }
  if (isLoopbackIPv4(centralAddr)) {
    out.errors.push(
      finding(
        "E_CONFIG_GATEWAY_UNREACHABLE",
        ["hosts", ci, "address"],
        `hosts[${ci}].address ${String(centralAddr)} is loopback: the other hosts' agents would dial themselves; give the central host's LAN address`,
        hostsPatch(raw, ci, (x) => (x.address = isIPv4(bind) && !isLoopbackIPv4(bind) && bind !== "0.0.0.0" ? bind : "192.0.2.10"), "the address the other hosts reach this one at (192.0.2.10 is an example)"),
      ),
    );
  }
  return out;
}
