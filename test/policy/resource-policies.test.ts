// Per policy: the passing fixture, one failing case per rule branch (one change at a time), and a
// not-applicable case. Every message must carry a remediation hint ("Fix: ...").
import { alloyAllowlists } from "../../policy/policies/alloy-allowlists";
import { containersHardened } from "../../policy/policies/containers-hardened";
import { exposureExplicit } from "../../policy/policies/exposure-explicit";
import { hostPathsAbsolute } from "../../policy/policies/host-paths-absolute";
import { hostPortsValid } from "../../policy/policies/host-ports-valid";
import { imagesPinned } from "../../policy/policies/images-pinned";
import { lifecycleApiLocal } from "../../policy/policies/lifecycle-api-local";
import { namesDnsSafe } from "../../policy/policies/names-dns-safe";
import { retentionEnforced } from "../../policy/policies/retention-enforced";
import { secretsNotPlaintext, secretName } from "../../policy/policies/secrets-not-plaintext";
import { ALERTMANAGER_YAML, ALLOY_CONFIG, LOKI_YAML, SERVICES, container, containerInputs, image, network, other, volume } from "./fixtures";
import type { Policy } from "@pulumi/policy";
import type { RunnerResource } from "../../policy/lib/runner";
import { checkResource, checkStack, mutate, Outcome } from "../util/policy";

function expectOne(o: Outcome, re: RegExp, level = "mandatory") {
  expect(o.messages).toHaveLength(1);
  expect(o.messages[0]).toMatch(re);
  expect(o.messages[0]).toMatch(/ Fix: \S/);
  expect(o.levels).toEqual([level]);
}

/** A test body: every fixture container passes `policy`. */
const passesEveryContainer = (policy: Policy) => async () => {
  for (const s of SERVICES) expect((await checkResource(policy, container(s))).violations).toEqual([]);
};

/** A test body: `policy` does not apply to any of `resources`. */
const notApplicableTo = (policy: Policy, ...resources: RunnerResource[]) => async () => {
  for (const r of resources) expect((await checkResource(policy, r)).notApplicable).toBe(true);
};

const grafana = containerInputs("grafana");
const alertmanager = containerInputs("alertmanager");

describe("images-pinned", () => {
  it("passes a tag with digest", async () => {
    const o = await checkResource(imagesPinned, image(`grafana/loki:3.0.0@sha256:${"a".repeat(64)}`));
    expect(o.violations).toEqual([]);
    expect(o.notApplicable).toBe(false);
  });
  it("notes (advisory) a tag without digest", async () => {
    expectOne(await checkResource(imagesPinned, image("grafana/loki:3.0.0")), /pinned by tag only/, "advisory");
  });
  it.each([
    ["grafana/loki:latest", /moving tag :latest/],
    ["grafana/loki", /has no tag/],
    ["grafana/loki:stable", /moving tag :stable/],
    ["Grafana/Loki:3.0.0", /not a valid image reference/],
    [`grafana/loki@sha256:${"a".repeat(64)}`, /has no tag/],
  ])("refuses %s", async (name, re) => {
    expectOne(await checkResource(imagesPinned, image(name)), re);
  });
  it("refuses an empty name", async () => {
    expectOne(await checkResource(imagesPinned, image("")), /has no image name/);
  });
  it("always refuses the contract's moving tags, whatever movingTags says", async () => {
    expectOne(await checkResource(imagesPinned, image("grafana/loki:stable"), { "images-pinned": { movingTags: [] } }), /moving tag :stable/);
  });
  it("refuses a tag listed in config movingTags", async () => {
    expectOne(await checkResource(imagesPinned, image("grafana/loki:3"), { "images-pinned": { movingTags: ["3"] } }), /listed as moving/);
  });
  it("is not applicable to other types", notApplicableTo(imagesPinned, container("loki")));
});

describe("host-ports-valid", () => {
  it("passes every fixture container", passesEveryContainer(hostPortsValid));
  it.each([
    ["a port below 1024", (c: any) => (c.ports[0].external = 80), /host port 80, outside 1024-65535/],
    ["a port above 65535", (c: any) => (c.ports[0].external = 70000), /host port 70000, outside/],
    ["no external port", (c: any) => delete c.ports[0].external, /no explicit external port/],
    ["no bind ip", (c: any) => delete c.ports[0].ip, /no explicit bind IP/],
  ])("refuses %s", async (_n, f, re) => {
    expectOne(await checkResource(hostPortsValid, container("grafana", mutate(grafana, f))), re);
  });
  it("honours a tuned range", async () => {
    expectOne(await checkResource(hostPortsValid, container("grafana"), { "host-ports-valid": { minPort: 10000 } }), /outside 10000-65535/);
  });
  it("refuses a host port published twice in the stack, once, on the second container", async () => {
    const loki = mutate(containerInputs("loki"), (c) => (c.ports[0].external = 9101));
    const o = await checkStack(hostPortsValid, [container("grafana"), container("loki", loki)]);
    expectOne(o, /t-loki publishes host port 9101\/tcp, already published by t-grafana/);
    expect(o.violations[0].resource).toBe(container("loki").urn);
  });
  it("allows the same number on different protocols", async () => {
    const loki = mutate(containerInputs("loki"), (c) => Object.assign(c.ports[0], { external: 9101, protocol: "udp" }));
    expect((await checkStack(hostPortsValid, [container("grafana"), container("loki", loki)])).violations).toEqual([]);
  });
  it("is not applicable to other types", notApplicableTo(hostPortsValid, image("a/b:1")));
});

describe("names-dns-safe", () => {
  it("passes containers, networks and volumes with DNS names", async () => {
    for (const r of [container("loki"), network("t-net"), volume("t-loki-data", [])]) expect((await checkResource(namesDnsSafe, r)).violations).toEqual([]);
  });
  it.each([
    ["an underscore container name", container("grafana", mutate(grafana, (c) => (c.name = "logging_test-grafana"))), /Container name "logging_test-grafana" is not a DNS label.*"logging-test-grafana"/],
    ["an uppercase network name", network("T-net"), /Network name "T-net" is not a DNS label/],
    ["a volume name over 63 characters", volume(`${"a".repeat(60)}-loki-data`, []), /Volume name "a+-loki-data" is not a DNS label/],
    ["a trailing dash", network("t-net-"), /not a DNS label/],
    ["no name", container("grafana", mutate(grafana, (c) => delete c.name)), /has no explicit name/],
  ])("refuses %s", async (_n, r, re) => {
    expectOne(await checkResource(namesDnsSafe, r), re);
  });
  it("is not applicable to other types", notApplicableTo(namesDnsSafe, image("a/b:1")));
});

describe("host-paths-absolute", () => {
  const alloy = containerInputs("alloy");
  it("passes absolute bind mounts (volumes and mounts)", async () => {
    expect((await checkResource(hostPathsAbsolute, container("alloy"))).violations).toEqual([]);
    expect((await checkResource(hostPathsAbsolute, container("cadvisor"))).violations).toEqual([]);
  });
  it.each([
    ["a relative volumes hostPath", (c: any) => (c.volumes[2].hostPath = "./logs"), /volumes\[2\]\.hostPath "\.\/logs" is relative/],
    ["a home-relative path", (c: any) => (c.volumes[2].hostPath = "~/logs"), /"~\/logs" is relative/],
    ["a path with ..", (c: any) => (c.volumes[2].hostPath = "/tmp/t/../../etc"), /not in normal form \(it resolves to \/etc\)/],
    ["a relative bind mount source", (c: any) => (c.mounts = [{ type: "bind", source: "data", target: "/data" }]), /mounts\[0\]\.source "data" is relative/],
    ["a path with //", (c: any) => (c.volumes[2].hostPath = "/tmp//logs"), /"\/tmp\/\/logs" is not in normal form \(it resolves to \/tmp\/logs\)/],
  ])("refuses %s", async (_n, f, re) => {
    expectOne(await checkResource(hostPathsAbsolute, container("alloy", mutate(alloy, f))), re);
  });
  it("accepts a trailing slash (Docker mounts the same directory)", async () => {
    const c = mutate(alloy, (x: any) => (x.volumes[2].hostPath = "/tmp/bootstrap-test/logs/"));
    expect((await checkResource(hostPathsAbsolute, container("alloy", c))).violations).toEqual([]);
  });
  it("ignores named volumes and non-bind mounts", async () => {
    const c = mutate(alloy, (x: any) => (x.mounts = [{ type: "tmpfs", target: "/tmp" }]));
    expect((await checkResource(hostPathsAbsolute, container("alloy", c))).violations).toEqual([]);
  });
  it("is not applicable to other types", notApplicableTo(hostPathsAbsolute, volume("t-x", [])));
});

describe("secrets-not-plaintext", () => {
  it("passes Grafana with file credentials and every other fixture", passesEveryContainer(secretsNotPlaintext));
  it.each([
    ["a plain GF_SECURITY_ADMIN_PASSWORD", (c: any) => c.envs.push("GF_SECURITY_ADMIN_PASSWORD=hunter2"), /sets GF_SECURITY_ADMIN_PASSWORD in its environment with a plain value \(not shown\)/],
    ["an API token", (c: any) => c.envs.push("LOKI_API_TOKEN=abc"), /sets LOKI_API_TOKEN/],
    ["a redacted (secret) value under a harmless name", (c: any) => c.envs.push("DSN=***REDACTED***"), /sets DSN in its environment/],
    ["a whole secret entry", (c: any) => c.envs.push("***REDACTED***"), /the whole entry is a secret/],
    ["a secret signature object", (c: any) => c.envs.push({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "DB_PASSWORD=x" }), /sets DB_PASSWORD/],
    ["a relative __FILE path", (c: any) => c.envs.push("GF_DATABASE_PASSWORD__FILE=secrets/db"), /not an absolute file path/],
  ])("refuses %s", async (_n, f, re) => {
    const o = await checkResource(secretsNotPlaintext, container("grafana", mutate(grafana, f)));
    expectOne(o, re);
    expect(o.messages[0]).not.toMatch(/hunter2|=abc/);
  });
  it("refuses Grafana without GF_SECURITY_ADMIN_PASSWORD__FILE", async () => {
    const c = mutate(grafana, (x) => (x.envs = x.envs.filter((e: string) => !e.startsWith("GF_SECURITY_ADMIN_PASSWORD__FILE"))));
    expectOne(await checkResource(secretsNotPlaintext, container("grafana", c)), /does not read GF_SECURITY_ADMIN_PASSWORD from a file/);
  });
  it("refuses a Grafana credential file that no upload delivers", async () => {
    const c = mutate(grafana, (x) => (x.uploads = x.uploads.filter((u: { file: string }) => !u.file.endsWith("secret_key"))));
    expectOne(await checkResource(secretsNotPlaintext, container("grafana", c)), /reads GF_SECURITY_SECRET_KEY from \/etc\/grafana\/secrets\/secret_key, but no upload delivers that file/);
  });
  it.each([
    ["an inline webhook url", (c: any) => (c.uploads[0].content = ALERTMANAGER_YAML.replace("url_file: /etc/alertmanager/secrets/oncall-webhook-url", "url: https://hooks.example.com/T0k3n-77")), /receiver oncall's webhook_configs\.url inline .*\(value not shown\)/],
    ["an inline SMTP password", (c: any) => (c.uploads[0].content = ALERTMANAGER_YAML.replace("auth_password_file: /etc/alertmanager/secrets/team-mail-email-auth-password", "auth_password: T0k3n-77")), /receiver team-mail's email_configs\.auth_password inline/],
    ["a credential file no upload delivers", (c: any) => c.uploads.splice(1, 1), /reads receiver oncall's url_file from \/etc\/alertmanager\/secrets\/oncall-webhook-url, but no upload delivers that file/],
    ["a world-readable credential file", (c: any) => (c.uploads[2].permissions = "0444"), /uploads \/etc\/alertmanager\/secrets\/team-mail-email-auth-password with permissions 0444/],
  ])("refuses an Alertmanager container with %s", async (_n, f, re) => {
    const o = await checkResource(secretsNotPlaintext, container("alertmanager", mutate(alertmanager, f)));
    expectOne(o, re);
    expect(o.messages[0]).not.toMatch(/T0k3n-77/);
  });
  it("allows empty values and allowlisted names", async () => {
    const c = mutate(grafana, (x) => x.envs.push("GF_AUTH_TOKEN=", "MY_KEY=v"));
    expect((await checkResource(secretsNotPlaintext, container("grafana", c), { "secrets-not-plaintext": { allowNames: ["MY_KEY"] } })).violations).toEqual([]);
  });
  it("classifies names by segment", () => {
    expect(["GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_SECRET_KEY", "API_TOKEN", "db-passwd", "AWS_SECRET_ACCESS_KEY"].map((n) => secretName(n))).toEqual([true, true, true, true, true]);
    expect(["GF_SECURITY_ADMIN_PASSWORD__FILE", "TOKEN_TTL", "KEYCLOAK_URL", "GF_SECURITY_ADMIN_USER", "MONKEY"].map((n) => secretName(n))).toEqual([false, false, false, false, false]);
  });
  it("is not applicable to other types", notApplicableTo(secretsNotPlaintext, other()));
});

describe("exposure-explicit", () => {
  const lan = mutate(grafana, (c) => (c.ports[0].ip = "0.0.0.0"));
  it("passes loopback binds", async () => {
    expect((await checkResource(exposureExplicit, container("grafana"))).violations).toEqual([]);
    expect((await checkResource(exposureExplicit, container("grafana", mutate(grafana, (c) => (c.ports[0].ip = "127.0.0.2"))))).violations).toEqual([]);
  });
  it("passes 0.0.0.0 when lanExposed is true", async () => {
    expect((await checkResource(exposureExplicit, container("grafana", lan), { "exposure-explicit": { lanExposed: true } })).violations).toEqual([]);
  });
  it.each([
    ["0.0.0.0", lan, /publishes host port 9101 on 0\.0\.0\.0 but the stack does not declare LAN exposure/],
    ["::", mutate(grafana, (c) => (c.ports[0].ip = "::")), /on :: but/],
    ["no ip (Docker's default)", mutate(grafana, (c) => delete c.ports[0].ip), /on every interface \(no ip set\)/],
    ["a LAN address", mutate(grafana, (c) => (c.ports[0].ip = "192.168.1.10")), /on the non-loopback address 192\.168\.1\.10 but/],
  ])("refuses %s without lanExposed", async (_n, c, re) => {
    expectOne(await checkResource(exposureExplicit, container("grafana", c)), re);
  });
  it("keeps Alertmanager on loopback unless alerting.lanExposed too (alertmanagerLanExposed)", async () => {
    const amLan = mutate(alertmanager, (c) => (c.ports[0].ip = "0.0.0.0"));
    expect((await checkResource(exposureExplicit, container("alertmanager"), { "exposure-explicit": { lanExposed: true } })).violations).toEqual([]);
    expectOne(await checkResource(exposureExplicit, container("alertmanager", amLan), { "exposure-explicit": { lanExposed: true } }), /Alertmanager container t-alertmanager publishes host port 9107 on 0\.0\.0\.0, but the stack does not declare alerting\.lanExposed/);
    expect((await checkResource(exposureExplicit, container("alertmanager", amLan), { "exposure-explicit": { lanExposed: true, alertmanagerLanExposed: true } })).violations).toEqual([]);
    // without stack LAN exposure the general rule reports it, once
    expectOne(await checkResource(exposureExplicit, container("alertmanager", amLan)), /publishes host port 9107 on 0\.0\.0\.0 but the stack does not declare LAN exposure/);
  });
  it("refuses 0.0.0.0 when lanExposed is explicitly false", async () => {
    expectOne(await checkResource(exposureExplicit, container("grafana", lan), { "exposure-explicit": { lanExposed: false } }), /0\.0\.0\.0/);
  });
  it("is not applicable to other types", notApplicableTo(exposureExplicit, network("t-net")));
});

describe("lifecycle-api-local (mandatory)", () => {
  const prom = (f: (c: any) => void) => container("prometheus", mutate(containerInputs("prometheus"), f));
  it("passes Prometheus without the lifecycle flag, and with it on loopback", async () => {
    expect((await checkResource(lifecycleApiLocal, container("prometheus"))).violations).toEqual([]);
    expect((await checkResource(lifecycleApiLocal, prom((c) => c.command.push("--web.enable-lifecycle")))).violations).toEqual([]);
  });
  it.each([
    ["on 0.0.0.0", "0.0.0.0"],
    ["on a LAN address", "192.168.1.10"],
    ["with no ip (Docker's default: every interface)", undefined],
  ])("blocks the lifecycle flag with the port published %s", async (_n, ip) => {
    const c = prom((x) => (x.command.push("--web.enable-lifecycle"), (x.ports[0].ip = ip)));
    expectOne(await checkResource(lifecycleApiLocal, c), /runs with --web\.enable-lifecycle and publishes port .* beyond loopback: anyone who reaches it can POST \/-\/quit/, "mandatory");
  });
  it("is not applicable to other types", notApplicableTo(lifecycleApiLocal, network("t-net")));
});

describe("containers-hardened (advisory)", () => {
  it("passes every fixture container, including privileged cAdvisor", passesEveryContainer(containersHardened));
  it.each([
    ["no restart policy", (c: any) => delete c.restart, /restart policy "no"/],
    ["restart no", (c: any) => (c.restart = "no"), /restart policy "no"/],
    ["no healthcheck", (c: any) => delete c.healthcheck, /no healthcheck/],
    ["healthcheck NONE", (c: any) => (c.healthcheck.tests = ["NONE"]), /no healthcheck/],
    ["json-file without max-file", (c: any) => delete c.logOpts["max-file"], /without rotation/],
    ["default driver without logOpts", (c: any) => (delete c.logDriver, delete c.logOpts), /without rotation/],
    ["a max-size above 100 MiB", (c: any) => (c.logOpts["max-size"] = "1g"), /max-size "1g", above 100 MiB/],
    ["no memory limit", (c: any) => delete c.memory, /no memory limit/],
    ["privileged outside the allowlist", (c: any) => (c.privileged = true), /service grafana\) runs privileged/],
    ["a read-write Docker socket", (c: any) => c.volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }), /Docker socket .* read-write/],
    ["a read-write /var/run (holds the socket)", (c: any) => c.volumes.push({ hostPath: "/var/run", containerPath: "/var/run" }), /Docker socket \(volumes\[\d\]\.hostPath \/var\/run\) read-write/],
    ["a read-write host root", (c: any) => c.volumes.push({ hostPath: "/", containerPath: "/rootfs" }), /Docker socket \(volumes\[\d\]\.hostPath \/\) read-write/],
  ])("flags %s", async (_n, f, re) => {
    expectOne(await checkResource(containersHardened, container("grafana", mutate(grafana, f))), re, "advisory");
  });
  it.each([
    ["a read-only Docker socket outside the allowlist (read-only does not restrict the API)", "grafana", (c: any) => c.volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }), /service grafana\) mounts the Docker socket .* read-only, which does not restrict the Docker API/],
    ["the host root, read-only, in a root container", "grafana", (c: any) => (delete c.user, c.volumes.push({ hostPath: "/", containerPath: "/rootfs", readOnly: true })), /mounts the Docker socket \(volumes\[\d\]\.hostPath \/\) read-only/],
    ["an allowlisted socket holder whose exception label claims a restriction instead of the risk", "alloy", (c: any) => (c.labels = c.labels.filter((l: any) => l.label !== "logging-bootstrap.exception").concat([{ label: "logging-bootstrap.exception", value: "docker socket mounted read-only" }])), /label does not record that risk/],
  ])("flags %s", async (_n, svc, f, re) => {
    expectOne(await checkResource(containersHardened, container(svc, mutate(containerInputs(svc), f))), re, "advisory");
  });
  it("accepts a read-only host root in a non-root container (it cannot connect to root:docker 0660)", async () => {
    const c = mutate(grafana, (x) => ((x.user = "65534:65534"), x.volumes.push({ hostPath: "/", containerPath: "/host", readOnly: true })));
    expect((await checkResource(containersHardened, container("grafana", c))).violations).toEqual([]);
  });
  it("accepts the local driver without options", async () => {
    const c = mutate(grafana, (x) => ((x.logDriver = "local"), delete x.logOpts));
    expect((await checkResource(containersHardened, container("grafana", c))).violations).toEqual([]);
  });
  it("honours a configured privileged allowlist", async () => {
    expectOne(await checkResource(containersHardened, container("cadvisor"), { "containers-hardened": { privilegedServices: [] } }), /runs privileged/, "advisory");
  });
  it("can be raised to mandatory by policy config", async () => {
    const o = await checkResource(containersHardened, container("grafana", mutate(grafana, (c) => delete c.memory)), { "containers-hardened": "mandatory" });
    expect(o.levels).toEqual(["mandatory"]);
  });
  it("is not applicable to other types", notApplicableTo(containersHardened, image("a/b:1")));
});

describe("retention-enforced", () => {
  const loki = containerInputs("loki");
  const prom = containerInputs("prometheus");
  const withLoki = (yaml: string) => container("loki", mutate(loki, (c) => (c.uploads[0].content = yaml)));
  it("passes Loki and Prometheus fixtures", async () => {
    expect((await checkResource(retentionEnforced, container("loki"))).violations).toEqual([]);
    expect((await checkResource(retentionEnforced, container("prometheus"))).violations).toEqual([]);
  });
  it.each([
    ["retention_enabled false", LOKI_YAML.replace("retention_enabled: true", "retention_enabled: false"), /does not set compactor.retention_enabled: true/],
    ["no delete_request_store", LOKI_YAML.replace("  delete_request_store: filesystem\n", ""), /no compactor.delete_request_store/],
    ["no retention_period", LOKI_YAML.replace("limits_config:\n  retention_period: 168h\n", ""), /retention_period null, not a positive duration/],
    ["retention_period 0s", LOKI_YAML.replace("168h", "0s"), /retention_period "0s", not a positive duration/],
    ["retention_period below minLogRetention", LOKI_YAML.replace("168h", "1h"), /shorter than this policy's minLogRetention 24h/],
    ["invalid YAML", "compactor: [", /cannot be checked: it is not valid YAML/],
  ])("refuses Loki with %s", async (_n, yaml, re) => {
    expectOne(await checkResource(retentionEnforced, withLoki(yaml)), re);
  });
  it("refuses a Loki container without its config upload", async () => {
    expectOne(await checkResource(retentionEnforced, container("loki", mutate(loki, (c) => (c.uploads = [])))), /has no \/etc\/loki\/config.yaml upload/);
  });
  it.each([
    ["no retention flag", (c: any) => (c.command = ["--config.file=/etc/prometheus/prometheus.yml"]), /Prometheus has no retention setting/],
    ["an invalid duration", (c: any) => (c.command[1] = "--storage.tsdb.retention.time=15 days"), /"15 days" is not a positive duration/],
    ["a retention below minMetricRetention", (c: any) => (c.command[1] = "--storage.tsdb.retention.time=2h"), /shorter than this policy's minMetricRetention 24h/],
  ])("refuses Prometheus with %s", async (_n, f, re) => {
    expectOne(await checkResource(retentionEnforced, container("prometheus", mutate(prom, f))), re);
  });
  it("a minimum in policy config that is not a duration falls back to the default, never to no minimum", async () => {
    const o = await checkResource(retentionEnforced, withLoki(LOKI_YAML.replace("168h", "1h")), { "retention-enforced": { minLogRetention: "30 days" } });
    expect(o.messages).toEqual([expect.stringMatching(/shorter than this policy's minLogRetention 24h/)]);
  });
  it("accepts Prometheus retention from prometheus.yml (>= 3.8) or a size flag", async () => {
    const fromFile = mutate(prom, (c) => ((c.command = []), (c.uploads[0].content = "storage:\n  tsdb:\n    retention:\n      time: 15d\n")));
    const size = mutate(prom, (c) => (c.command[1] = "--storage.tsdb.retention.size=50GB"));
    expect((await checkResource(retentionEnforced, container("prometheus", fromFile))).violations).toEqual([]);
    expect((await checkResource(retentionEnforced, container("prometheus", size))).violations).toEqual([]);
  });
  it("is not applicable to other containers and types", notApplicableTo(retentionEnforced, container("grafana"), volume("t-loki-data", [])));
});

describe("alloy-allowlists", () => {
  const alloy = containerInputs("alloy");
  const withConfig = (cfg: string) => container("alloy", mutate(alloy, (c) => (c.uploads[0].content = cfg)));
  it("passes the fixture", async () => {
    expect((await checkResource(alloyAllowlists, container("alloy"))).violations).toEqual([]);
  });
  it.each([
    ["no docker source", ALLOY_CONFIG.replace(/loki\.source\.docker "containers" \{[^}]*\}/, ""), /no loki.source.docker component/],
    ["docker targets not from the relabel", ALLOY_CONFIG.replace("discovery.relabel.docker_allowlist.output", "discovery.docker.containers.targets"), /does not take its targets from a discovery.relabel/],
    ["the keep rule commented out", ALLOY_CONFIG.replace('action        = "keep"\n  }\n}\n\nloki.source.docker', '// action = "keep"\n  }\n}\n\nloki.source.docker'), /discovery.relabel "docker_allowlist" .* has no rule with action = "keep"/],
    ["a match-all docker regex", ALLOY_CONFIG.replace('"^(/t-grafana|/t-loki)$"', '".*"'), /match-all regex/],
    ["no journal source", ALLOY_CONFIG.replace(/loki\.source\.journal "journal" \{[^}]*\}/, ""), /no loki.source.journal component/],
    ["journal without relabel_rules", ALLOY_CONFIG.replace("  relabel_rules = loki.relabel.journal_allowlist.rules\n", ""), /has no relabel_rules/],
    ["journal keep on another label", ALLOY_CONFIG.replace('["__journal__systemd_unit"]', '["__journal_priority"]'), /loki.relabel "journal_allowlist" .* no rule with action = "keep" on source_labels \["__journal__systemd_unit"\]/],
  ])("refuses %s", async (_n, cfg, re) => {
    expectOne(await checkResource(alloyAllowlists, withConfig(cfg)), re);
  });
  it("notes (advisory) a missing redaction stage", async () => {
    const cfg = ALLOY_CONFIG.replace(/  stage\.replace \{[^}]*\}\n/, "");
    expectOne(await checkResource(alloyAllowlists, withConfig(cfg)), /no loki.process component has a stage.replace/, "advisory");
    expect((await checkResource(alloyAllowlists, withConfig(cfg), { "alloy-allowlists": { requireRedaction: false } })).violations).toEqual([]);
  });
  it("refuses an Alloy container without its config upload", async () => {
    expectOne(await checkResource(alloyAllowlists, container("alloy", mutate(alloy, (c) => (c.uploads = [])))), /no readable \/etc\/alloy\/config.alloy/);
  });
  it("is not applicable to other containers and types", notApplicableTo(alloyAllowlists, container("loki"), image("a/b:1")));
});

describe("every resource policy", () => {
  it("is disabled by policy config", async () => {
    expect((await checkResource(imagesPinned, image("a/b:latest"), { "images-pinned": "disabled" })).violations).toEqual([]);
    expect((await checkResource(imagesPinned, image("a/b:latest"), { all: "advisory" })).levels).toEqual(["advisory"]);
  });
});
