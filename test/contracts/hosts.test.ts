// The fleet model's pure helpers (contracts/config/hosts.ts) on a validated three-host config.
import { EXAMPLE_CONFIG, lintConfig } from "../../contracts/config/lint";
import { centralHost, findHost, hostAlloy, hostPaths, isFleet, remoteHosts } from "../../contracts/config/hosts";
import type { StackConfig } from "../../contracts/config/schema";
import { BootstrapError } from "../../contracts/errors";
import { clone } from "./helpers";

function fleetConfig(): StackConfig {
  const c = clone(EXAMPLE_CONFIG) as Record<string, any>;
  c.hosts = [
    { name: "web1", docker: { host: "ssh://deploy@192.0.2.21" }, address: "192.0.2.21", alloy: { dockerAllowlist: ["web1-nginx"] } },
    { name: "central", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "192.0.2.10" },
    { name: "db1", docker: { host: "tcp://192.0.2.22:2376", tls: { caPem: "<secret>", certPem: "<secret>", keyPem: "<secret>" } }, address: "192.0.2.22", paths: { logsRoot: "/srv/logs", journalDir: "/run/log/journal" } },
  ];
  c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
  const r = lintConfig(c);
  expect(r.errors).toEqual([]);
  return r.config!;
}

describe("fleet helpers", () => {
  const cfg = fleetConfig();

  it("centralHost is the one central host wherever it is listed; remoteHosts the others in file order", () => {
    expect(centralHost(cfg).name).toBe("central");
    expect(remoteHosts(cfg).map((h) => h.name)).toEqual(["web1", "db1"]);
    expect(isFleet(cfg)).toBe(true);
    expect(findHost(cfg, "db1")?.address).toBe("192.0.2.22");
    expect(findHost(cfg, "nope")).toBeUndefined();
  });

  it("hostPaths: a host's overrides over the top-level paths, by host or by name", () => {
    expect(hostPaths(cfg, "db1")).toEqual({ logsRoot: "/srv/logs", telemetryRoot: cfg.paths.telemetryRoot, journalDir: "/run/log/journal", dockerSocket: cfg.paths.dockerSocket });
    expect(hostPaths(cfg, remoteHosts(cfg)[0])).toEqual({ logsRoot: cfg.paths.logsRoot, telemetryRoot: cfg.paths.telemetryRoot, journalDir: cfg.paths.journalDir, dockerSocket: cfg.paths.dockerSocket });
    expect(hostPaths(cfg, centralHost(cfg)).logsRoot).toBe(cfg.paths.logsRoot);
  });

  it("hostAlloy: a host's lists over the top-level ones, redactions shared, nothing aliased", () => {
    const web1 = hostAlloy(cfg, "web1");
    expect(web1).toEqual({ ...cfg.alloy, dockerAllowlist: ["web1-nginx"] });
    expect(hostAlloy(cfg, "db1")).toEqual(cfg.alloy);
    web1.journaldUnits.push("x.service");
    web1.redactions[0].name = "changed";
    expect(cfg.alloy.journaldUnits).not.toContain("x.service");
    expect(cfg.alloy.redactions[0].name).not.toBe("changed");
  });

  it("an unknown host name or a config without exactly one central host is a coded internal error", () => {
    expect(() => hostPaths(cfg, "nope")).toThrow(BootstrapError);
    const broken = { ...cfg, hosts: cfg.hosts.map((h) => ({ ...h, central: true })) };
    expect(() => centralHost(broken)).toThrow(/exactly one central host, this one has 3/);
  });

  it("a fleet of one is not a fleet", () => {
    const one = lintConfig(clone(EXAMPLE_CONFIG)).config!;
    expect(isFleet(one)).toBe(false);
    expect(remoteHosts(one)).toEqual([]);
    expect(centralHost(one).name).toBe("local");
  });
});
