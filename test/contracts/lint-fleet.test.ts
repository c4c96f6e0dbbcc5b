// Schema v3's rules, one table each: hosts (names, the central host, how Pulumi reaches each
// engine, TLS only as secrets), the gateway, and nothing unauthenticated on the LAN. Each failing
// case yields exactly the listed findings.
import { EXAMPLE_CONFIG, lintConfig } from "../../contracts/config/lint";
import { SECURE_PLACEHOLDER } from "../../contracts/config/stackfile";
import { maxHostNameLength, MAX_PROJECT_NAME_LENGTH, parseDockerHost } from "../../contracts/config/values";
import { suggestDockerHost } from "../../contracts/config/rules";
import { clone } from "./helpers";

type Cfg = Record<string, any>;
const LOOPBACK_ALL = ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"];

/** EXAMPLE_CONFIG as a correct fleet: the central host on its LAN address, web1 over ssh, the gateway, only Grafana on the LAN. */
function fleet(): Cfg {
  const c = clone(EXAMPLE_CONFIG) as Cfg;
  c.hosts = [
    { name: "central", central: true, docker: { host: "unix:///var/run/docker.sock" }, address: "192.0.2.10" },
    { name: "web1", docker: { host: "ssh://deploy@192.0.2.21" }, address: "192.0.2.21" },
  ];
  c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: LOOPBACK_ALL };
  c.gateway = { port: 9109 };
  return c;
}
const TLS = { caPem: "<secret>", certPem: "<secret>", keyPem: "<secret>" };

interface Row {
  name: string;
  mutate: (c: Cfg) => void;
  secretKeys?: string[];
}
const codes = (c: Cfg, secretKeys: string[] = []) => lintConfig(c, { secretKeys }).errors.map((f) => [f.code, f.path]);

function table(rule: string, start: () => Cfg, pass: Row[], fail: (Row & { expected: [string, string][] })[]) {
  describe(rule, () => {
    it("the starting config is clean", () => expect(codes(start())).toEqual([]));
    it.each(pass)("passes: $name", ({ mutate, secretKeys }) => {
      const c = start();
      mutate(c);
      expect(codes(c, secretKeys)).toEqual([]);
    });
    it.each(fail)("fails: $name", ({ mutate, secretKeys, expected }) => {
      const c = start();
      mutate(c);
      expect(codes(c, secretKeys)).toEqual(expected);
    });
  });
}

table(
  "hosts: names and the central host (E_CONFIG_HOST_DUPLICATE, E_CONFIG_HOST_CENTRAL, E_CONFIG_NAME_NOT_DNS_SAFE)",
  fleet,
  [
    { name: "three hosts", mutate: (c) => c.hosts.push({ name: "db1", docker: { host: "ssh://deploy@192.0.2.22:2222" }, address: "192.0.2.22" }) },
    { name: "central: false written out", mutate: (c) => (c.hosts[1].central = false) },
    { name: "the central host anywhere in the list", mutate: (c) => c.hosts.reverse() },
    { name: "a non-central name at the longest the project allows", mutate: (c) => (c.hosts[1].name = "w".repeat(maxHostNameLength("logging-test"))) },
    // The central host keeps the stack's own names, so its name is only a label.
    { name: "a long central name", mutate: (c) => (c.hosts[0].name = "c".repeat(63)) },
  ],
  [
    { name: "a duplicate name", mutate: (c) => (c.hosts[1].name = "central"), expected: [["E_CONFIG_HOST_DUPLICATE", "hosts[1].name"]] },
    { name: "no central host", mutate: (c) => (c.hosts[0].central = false), expected: [["E_CONFIG_HOST_CENTRAL", "hosts[0].central"]] },
    { name: "two central hosts", mutate: (c) => (c.hosts[1].central = true), expected: [["E_CONFIG_HOST_CENTRAL", "hosts[1].central"]] },
    { name: "an empty list", mutate: (c) => ((c.hosts = []), delete c.gateway), expected: [["E_CONFIG_HOST_CENTRAL", "hosts"]] },
    { name: "no hosts at all", mutate: (c) => delete c.hosts, expected: [["E_CONFIG_MISSING_KEY", "hosts"]] },
    { name: "a name that is not a DNS label", mutate: (c) => (c.hosts[1].name = "Web_1"), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "hosts[1].name"]] },
    { name: "a name one too long for <project>-<name>-node-exporter", mutate: (c) => (c.hosts[1].name = "w".repeat(maxHostNameLength("logging-test") + 1)), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "hosts[1].name"]] },
    { name: "central as a string", mutate: (c) => (c.hosts[1].central = "false"), expected: [["E_CONFIG_NOT_BOOLEAN", "hosts[1].central"]] },
    { name: "an address that is not IPv4", mutate: (c) => (c.hosts[1].address = "web1.example.net"), expected: [["E_CONFIG_SCHEMA", "hosts[1].address"]] },
    { name: "an unknown key in a host", mutate: (c) => (c.hosts[1].adress = "192.0.2.21"), expected: [["E_CONFIG_SCHEMA", "hosts[1].adress"]] },
    { name: "the central host with its own paths", mutate: (c) => (c.hosts[0].paths = { logsRoot: "/srv/logs" }), expected: [["E_CONFIG_HOST_CENTRAL_OVERRIDE", "hosts[0].paths"]] },
    { name: "the central host with its own alloy lists", mutate: (c) => (c.hosts[0].alloy = { journaldUnits: ["nginx.service"] }), expected: [["E_CONFIG_HOST_CENTRAL_OVERRIDE", "hosts[0].alloy"]] },
  ],
);

table(
  "hosts: how Pulumi reaches each engine (E_CONFIG_DOCKER_HOST_INVALID, E_CONFIG_DOCKER_TLS_MISSING, E_CONFIG_DOCKER_TLS_UNUSED, E_CONFIG_SECRET_PLAINTEXT)",
  fleet,
  [
    { name: "ssh with a port", mutate: (c) => (c.hosts[1].docker.host = "ssh://deploy@web1.example.net:2222") },
    { name: "tcp with TLS, every leaf secret", mutate: (c) => (c.hosts[1].docker = { host: "tcp://192.0.2.21:2376", tls: TLS }) },
    { name: "tcp with TLS as the stack file gives it", secretKeys: ["hosts"], mutate: (c) => (c.hosts[1].docker = { host: "tcp://web1:2376", tls: { caPem: SECURE_PLACEHOLDER, certPem: SECURE_PLACEHOLDER, keyPem: SECURE_PLACEHOLDER } }) },
    { name: "a socket of its own (a forwarded or namespaced engine)", mutate: (c) => (c.hosts[1].docker.host = "unix:///run/fleet/web1/docker.sock") },
  ],
  [
    { name: "a bare socket path", mutate: (c) => (c.hosts[0].docker.host = "/var/run/docker.sock"), expected: [["E_CONFIG_DOCKER_HOST_INVALID", "hosts[0].docker.host"]] },
    { name: "unix:// with a relative path", mutate: (c) => (c.hosts[0].docker.host = "unix://var/run/docker.sock"), expected: [["E_CONFIG_DOCKER_HOST_INVALID", "hosts[0].docker.host"]] },
    { name: "unix:// not in normal form", mutate: (c) => (c.hosts[0].docker.host = "unix:///var/run/../docker.sock"), expected: [["E_CONFIG_DOCKER_HOST_INVALID", "hosts[0].docker.host"]] },
    { name: "ssh without a user", mutate: (c) => (c.hosts[1].docker.host = "ssh://192.0.2.21"), expected: [["E_CONFIG_DOCKER_HOST_INVALID", "hosts[1].docker.host"]] },
    { name: "ssh with port 0", mutate: (c) => (c.hosts[1].docker.host = "ssh://deploy@192.0.2.21:0"), expected: [["E_CONFIG_DOCKER_HOST_INVALID", "hosts[1].docker.host"]] },
    { name: "tcp without a port", mutate: (c) => (c.hosts[1].docker = { host: "tcp://192.0.2.21", tls: TLS }), expected: [["E_CONFIG_DOCKER_HOST_INVALID", "hosts[1].docker.host"]] },
    { name: "http://", mutate: (c) => (c.hosts[1].docker.host = "http://192.0.2.21:2375"), expected: [["E_CONFIG_DOCKER_HOST_INVALID", "hosts[1].docker.host"]] },
    { name: "tcp without TLS (root on that host for anyone who reaches the port)", mutate: (c) => (c.hosts[1].docker.host = "tcp://192.0.2.21:2375"), expected: [["E_CONFIG_DOCKER_TLS_MISSING", "hosts[1].docker"]] },
    { name: "TLS on ssh", mutate: (c) => (c.hosts[1].docker.tls = TLS), expected: [["E_CONFIG_DOCKER_TLS_UNUSED", "hosts[1].docker.tls"]] },
    { name: "TLS on unix", mutate: (c) => (c.hosts[0].docker.tls = TLS), expected: [["E_CONFIG_DOCKER_TLS_UNUSED", "hosts[0].docker.tls"]] },
    { name: "TLS without its key", mutate: (c) => (c.hosts[1].docker = { host: "tcp://192.0.2.21:2376", tls: { caPem: "<secret>", certPem: "<secret>" } }), expected: [["E_CONFIG_MISSING_KEY", "hosts[1].docker.tls.keyPem"]] },
    { name: "a plaintext key", mutate: (c) => (c.hosts[1].docker = { host: "tcp://192.0.2.21:2376", tls: { ...TLS, keyPem: "-----BEGIN EC PRIVATE KEY-----" } }), expected: [["E_CONFIG_SECRET_PLAINTEXT", "hosts[1].docker.tls.keyPem"]] },
    {
      name: "a plaintext CA next to secure leaves, with the key secret",
      secretKeys: ["hosts"],
      mutate: (c) => (c.hosts[1].docker = { host: "tcp://192.0.2.21:2376", tls: { caPem: "-----BEGIN CERTIFICATE-----", certPem: SECURE_PLACEHOLDER, keyPem: SECURE_PLACEHOLDER } }),
      expected: [["E_CONFIG_SECRET_PLAINTEXT", "hosts[1].docker.tls.caPem"]],
    },
  ],
);

table(
  "hosts: per-host overrides (paths and Alloy lists, checked like the top-level ones)",
  fleet,
  [
    { name: "every path overridden", mutate: (c) => (c.hosts[1].paths = { logsRoot: "/srv/logs", telemetryRoot: "/srv/telemetry", journalDir: "/run/log/journal", dockerSocket: "/run/docker.sock" }) },
    { name: "both lists overridden", mutate: (c) => (c.hosts[1].alloy = { dockerAllowlist: ["web1-nginx"], journaldUnits: ["nginx.service"] }) },
  ],
  [
    { name: "a relative path", mutate: (c) => (c.hosts[1].paths = { logsRoot: "logs" }), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "hosts[1].paths.logsRoot"]] },
    { name: "a system directory as a root", mutate: (c) => (c.hosts[1].paths = { logsRoot: "/etc" }), expected: [["E_CONFIG_PATH_UNSAFE", "hosts[1].paths.logsRoot"]] },
    { name: "dataRoot (not a per-host path)", mutate: (c) => (c.hosts[1].paths = { dataRoot: "/srv/data" }), expected: [["E_CONFIG_SCHEMA", "hosts[1].paths.dataRoot"]] },
    { name: "an empty allowlist", mutate: (c) => (c.hosts[1].alloy = { dockerAllowlist: [] }), expected: [["E_CONFIG_MISSING_KEY", "hosts[1].alloy.dockerAllowlist"]] },
    { name: "a unit without its type", mutate: (c) => (c.hosts[1].alloy = { journaldUnits: ["nginx"] }), expected: [["E_CONFIG_NAME_INVALID", "hosts[1].alloy.journaldUnits[0]"]] },
    { name: "redactions per host (they are shared)", mutate: (c) => (c.hosts[1].alloy = { redactions: [] }), expected: [["E_CONFIG_SCHEMA", "hosts[1].alloy.redactions"]] },
  ],
);

table(
  "gateway (E_CONFIG_GATEWAY_MISSING, E_CONFIG_GATEWAY_UNREACHABLE, E_CONFIG_PORT_DUPLICATE)",
  fleet,
  [
    { name: "bound to the central host's own address", mutate: (c) => (c.exposure.bindAddress = "192.0.2.10") },
    { name: "a fleet of one needs none", mutate: (c) => ((c.hosts = [c.hosts[0]]), delete c.gateway) },
  ],
  [
    { name: "missing with a remote host", mutate: (c) => delete c.gateway, expected: [["E_CONFIG_GATEWAY_MISSING", "gateway"]] },
    { name: "on a port another service publishes", mutate: (c) => (c.gateway.port = 9101), expected: [["E_CONFIG_PORT_DUPLICATE", "gateway.port"]] },
    { name: "a service on the gateway's port", mutate: (c) => (c.ports.cadvisor = 9109), expected: [["E_CONFIG_PORT_DUPLICATE", "gateway.port"]] },
    { name: "a privileged port", mutate: (c) => (c.gateway.port = 443), expected: [["E_CONFIG_INVALID_PORT", "gateway.port"]] },
    { name: "an unknown key", mutate: (c) => (c.gateway.host = "0.0.0.0"), expected: [["E_CONFIG_SCHEMA", "gateway.host"]] },
    { name: "published on loopback", mutate: (c) => (c.exposure = { bindAddress: "127.0.0.1", lanExposed: false, loopbackOnly: [] }), expected: [["E_CONFIG_GATEWAY_UNREACHABLE", "exposure.bindAddress"]] },
    { name: "published on another address than the central host's", mutate: (c) => (c.exposure.bindAddress = "192.0.2.99"), expected: [["E_CONFIG_GATEWAY_UNREACHABLE", "exposure.bindAddress"]] },
    { name: "the central host's address is loopback", mutate: (c) => (c.hosts[0].address = "127.0.0.1"), expected: [["E_CONFIG_GATEWAY_UNREACHABLE", "hosts[0].address"]] },
  ],
);

table(
  "nothing unauthenticated on the LAN (E_CONFIG_UNAUTHENTICATED_EXPOSURE)",
  fleet,
  [
    { name: "only Grafana and the gateway on the LAN", mutate: () => undefined },
    { name: "optional ports not published at all", mutate: (c) => ((c.exposure.loopbackOnly = ["loki", "prometheus"]), delete c.ports.alloy, delete c.ports.nodeExporter, delete c.ports.cadvisor) },
    { name: "everything on a loopback bindAddress (not LAN-exposed)", mutate: (c) => ((c.hosts = [{ ...c.hosts[0], address: "127.0.0.1" }]), (c.exposure = { bindAddress: "127.0.0.1" })) },
  ],
  [
    { name: "Prometheus on the LAN", mutate: (c) => (c.exposure.loopbackOnly = ["loki", "alloy", "nodeExporter", "cadvisor"]), expected: [["E_CONFIG_UNAUTHENTICATED_EXPOSURE", "ports.prometheus"]] },
    { name: "Loki on the LAN", mutate: (c) => (c.exposure.loopbackOnly = ["prometheus", "alloy", "nodeExporter", "cadvisor"]), expected: [["E_CONFIG_UNAUTHENTICATED_EXPOSURE", "ports.loki"]] },
    {
      name: "nothing in loopbackOnly",
      mutate: (c) => (c.exposure.loopbackOnly = []),
      expected: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"].map((s) => ["E_CONFIG_UNAUTHENTICATED_EXPOSURE", `ports.${s}`] as [string, string]),
    },
    { name: "Alertmanager on the LAN", mutate: (c) => (c.alerting.lanExposed = true), expected: [["E_CONFIG_UNAUTHENTICATED_EXPOSURE", "alerting.lanExposed"]] },
  ],
);

describe("fleet findings", () => {
  it("never echo TLS material, and patch each leaf with the command that pipes its file", () => {
    const c = fleet();
    c.hosts[1].docker = { host: "tcp://192.0.2.21:2376", tls: { caPem: "ca-material-7", certPem: "cert-material-8", keyPem: "key-material-9" } };
    const r = lintConfig(c);
    expect(r.errors.map((e) => e.path)).toEqual(["hosts[1].docker.tls.caPem", "hosts[1].docker.tls.certPem", "hosts[1].docker.tls.keyPem"]);
    for (const v of ["ca-material-7", "cert-material-8", "key-material-9"]) expect(JSON.stringify(r)).not.toContain(v);
    expect(r.errors[2].examplePatch).toContain("pulumi config set --secret --path 'logging-bootstrap:hosts[1].docker.tls.keyPem' < key.pem");
  });

  it("a patch inside hosts carries the whole list (YAML replaces a list whole), other hosts' TLS masked", () => {
    const c = fleet();
    c.hosts.push({ name: "db1", docker: { host: "tcp://192.0.2.22:2376", tls: TLS }, address: "192.0.2.22" });
    c.hosts[1].name = "Web_1";
    const f = lintConfig(c).errors.find((e) => e.path === "hosts[1].name")!;
    expect(f.examplePatch).toContain("name: web-1");
    expect(f.examplePatch).toContain("name: db1");
    expect(f.examplePatch).toContain("keep the secure: value your stack file has");
    expect(f.examplePatch).not.toContain("<secret>");
  });

  it("the parsed config keeps the TLS stand-ins, never material", () => {
    const c = fleet();
    c.hosts[1].docker = { host: "tcp://192.0.2.21:2376", tls: TLS };
    const r = lintConfig(c);
    expect(r.ok).toBe(true);
    expect(r.config!.hosts[1]).toEqual({ name: "web1", central: false, docker: { host: "tcp://192.0.2.21:2376", tls: TLS }, address: "192.0.2.21" });
  });

  it("host names leave room for the longest derived name", () => {
    expect(maxHostNameLength("logging-test")).toBe(63 - "logging-test".length - 1 - "-node-exporter".length);
    expect(maxHostNameLength("a".repeat(MAX_PROJECT_NAME_LENGTH))).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ["/var/run/docker.sock", undefined, "unix:///var/run/docker.sock"],
    ["deploy@web1", undefined, "ssh://deploy@web1"],
    ["192.0.2.21:2376", undefined, "tcp://192.0.2.21:2376"],
    ["docker://192.0.2.21:2376", undefined, "tcp://192.0.2.21:2376"],
    ["web1", "192.0.2.21", "ssh://<user>@192.0.2.21"],
    ["web1", "127.0.0.1", "unix:///var/run/docker.sock"],
  ])("suggestDockerHost(%p, %p) = %p", (v, address, want) => {
    expect(suggestDockerHost(v, address)).toBe(want);
  });

  it.each([
    ["unix:///var/run/docker.sock", { scheme: "unix", path: "/var/run/docker.sock" }],
    ["ssh://deploy@web1.example.net", { scheme: "ssh", user: "deploy", host: "web1.example.net" }],
    ["ssh://deploy@192.0.2.21:2222", { scheme: "ssh", user: "deploy", host: "192.0.2.21", port: 2222 }],
    ["tcp://192.0.2.22:2376", { scheme: "tcp", host: "192.0.2.22", port: 2376 }],
    ["tcp://192.0.2.22:65536", undefined],
    ["unix:///", undefined],
    ["unix:///tmp/a:b", undefined],
    [42, undefined],
  ])("parseDockerHost(%p)", (v, want) => {
    expect(parseDockerHost(v)).toEqual(want);
  });
});
