// The fleet's renderers (docs/FLEET.md): a non-central host's Alloy (logs through the gateway with
// the host's credentials and the gateway's CA; its node-exporter and cAdvisor scraped and
// remote-written), Prometheus' remote-write receiver, the `host` label everywhere, and that adding
// a host leaves the central host's and the other hosts' Alloy configs byte for byte as they were.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { renderServiceFiles } from "../../components/render";
import {
  ALLOY_GATEWAY_FILES,
  AGENT_SCRAPE_INTERVAL,
  agentBlocks,
  centralAgent,
  gatewayUrl,
  remoteAgent,
  renderAlloyConfig,
  renderRemoteAlloyConfig,
} from "../../components/render/alloy";
import { GATEWAY_PATHS } from "../../components/render/gateway";
import { AGENT_SCRAPE_JOBS, prometheusArgs, prometheusConfigObject, renderPrometheusRules, scrapeTargets } from "../../components/render/prometheus";
import { JOB, alertRules } from "../../components/render/rules";
import { type AlloyBlock, type AlloyValue, AlloyExpr, componentOf, parseAlloyFile, refsIn } from "../../contracts/alloy/syntax";
import { BootstrapError } from "../../contracts/errors";
import type { StackConfig } from "../../contracts/config/schema";
import { stackConfig } from "../util/mocks";
import { FLEET_CENTRAL, FLEET_GATEWAY_PORT, FLEET_REMOTES, fleetConfig } from "../util/fleet";
import { havePromtool, promtool } from "../util/promtool";
import { withCfg } from "../util/stack-configs";

const fleet = fleetConfig();
const single = stackConfig("test");

/** A block's attribute as decoded by the project's Alloy parser. */
function attr(b: AlloyBlock | undefined, name: string): AlloyValue | undefined {
  return b?.attrs[name];
}
function child(b: AlloyBlock | undefined, name: string): AlloyBlock | undefined {
  return b?.blocks.find((c) => c.name === name);
}
function component(blocks: AlloyBlock[], name: string, label: string): AlloyBlock | undefined {
  return blocks.find((b) => b.name === name && b.label === label);
}
/** Every reference in a block's attributes, nested blocks included. */
function blockRefs(b: AlloyBlock): string[] {
  return [...Object.values(b.attrs).flatMap((v) => refsIn(v)), ...b.blocks.flatMap(blockRefs)];
}

describe("Alloy on a non-central host", () => {
  const web1 = parseAlloyFile(renderRemoteAlloyConfig(fleet, "web1")).blocks;
  const db1 = parseAlloyFile(renderRemoteAlloyConfig(fleet, "db1")).blocks;
  const gateway = { address: FLEET_CENTRAL.address, port: FLEET_GATEWAY_PORT };

  it("parses with the project's Alloy parser, and every reference names a component it declares (the central host's file too)", () => {
    for (const blocks of [web1, db1, parseAlloyFile(renderAlloyConfig(fleet)).blocks]) {
      const refs = blocks.flatMap(blockRefs);
      expect(refs.length).toBeGreaterThanOrEqual(8);
      for (const r of refs) expect([r, componentOf(blocks, r) !== undefined]).toEqual([r, true]);
    }
    // The check can fail: a reference to an undeclared component is not found.
    expect(componentOf(web1, "prometheus.remote_write.elsewhere.receiver")).toBeUndefined();
  });

  it("pushes logs to the gateway over HTTPS with its own name, password file and the gateway's CA, labelled project and host", () => {
    for (const [name, blocks] of [["web1", web1], ["db1", db1]] as const) {
      const write = component(blocks, "loki.write", "loki");
      expect(attr(write, "external_labels")).toEqual({ host: name, project: "logging-test" });
      const endpoint = child(write, "endpoint");
      expect(attr(endpoint, "url")).toBe(`https://${FLEET_CENTRAL.address}:${FLEET_GATEWAY_PORT}/loki/api/v1/push`);
      expect(child(endpoint, "basic_auth")?.attrs).toEqual({ username: name, password_file: ALLOY_GATEWAY_FILES.password });
      expect(child(endpoint, "tls_config")?.attrs).toEqual({ ca_file: ALLOY_GATEWAY_FILES.ca });
    }
    expect(gatewayUrl(gateway, GATEWAY_PATHS.lokiPush)).toBe("https://192.0.2.10:9108/loki/api/v1/push");
  });

  it("scrapes its own node-exporter and cAdvisor under Prometheus' job names and remote-writes them with host", () => {
    const targets = scrapeTargets();
    expect(AGENT_SCRAPE_JOBS).toEqual([JOB.nodeExporter, JOB.cadvisor]);
    for (const [name, blocks] of [["web1", web1], ["db1", db1]] as const) {
      const scrapes = blocks.filter((b) => b.name === "prometheus.scrape");
      expect(scrapes.map((s) => [s.label, attr(s, "job_name"), attr(s, "targets"), attr(s, "scrape_interval")])).toEqual([
        ["node_exporter", "node-exporter", [{ __address__: targets["node-exporter"] }], AGENT_SCRAPE_INTERVAL],
        ["cadvisor", "cadvisor", [{ __address__: targets.cadvisor }], AGENT_SCRAPE_INTERVAL],
      ]);
      expect(targets["node-exporter"]).toBe("node-exporter:9100");
      for (const s of scrapes) expect((attr(s, "forward_to") as AlloyExpr[]).map((e) => e.expr)).toEqual(["prometheus.remote_write.central.receiver"]);
      const rw = component(blocks, "prometheus.remote_write", "central");
      expect(attr(rw, "external_labels")).toEqual({ host: name });
      const endpoint = child(rw, "endpoint");
      expect(attr(endpoint, "url")).toBe(`https://${FLEET_CENTRAL.address}:${FLEET_GATEWAY_PORT}/api/v1/write`);
      expect(child(endpoint, "basic_auth")?.attrs).toEqual({ username: name, password_file: ALLOY_GATEWAY_FILES.password });
      expect(child(endpoint, "tls_config")?.attrs).toEqual({ ca_file: ALLOY_GATEWAY_FILES.ca });
    }
  });

  it("runs with its own paths and lists where it overrides them, the top-level ones elsewhere", () => {
    const files = (blocks: AlloyBlock[]) => (attr(component(blocks, "local.file_match", "files"), "path_targets") as Record<string, string>[]).map((t) => t.__path__);
    expect(files(web1)).toEqual([`${single.paths.logsRoot}/**/*.log`, `${single.paths.telemetryRoot}/**/*.log`]);
    expect(files(db1)).toEqual([`${FLEET_REMOTES[1].logsRoot}/**/*.log`, `${single.paths.telemetryRoot}/**/*.log`]);
    const keep = (blocks: AlloyBlock[]) => component(blocks, "discovery.relabel", "docker_allowlist")!.blocks[0].attrs.regex;
    expect(keep(web1)).toBe("^(/logging-test-grafana|/logging-test-loki|/logging-test-prometheus)$");
    expect(keep(db1)).toBe("^(/db1-postgres)$");
    // Redactions are the same on every host.
    expect(renderRemoteAlloyConfig(fleet, "web1").match(/stage\.replace \{/g)?.length).toBe(single.alloy.redactions.length);
  });

  it("names the credential files and never holds a secret or the central host's unauthenticated URL", () => {
    for (const name of ["web1", "db1"]) {
      const text = renderRemoteAlloyConfig(fleet, name);
      expect(text).not.toMatch(/^\s*password\s*=/m);
      expect(text).not.toContain("http://");
      expect(text).not.toMatch(/-----BEGIN/);
    }
  });

  it("the central host's config is the same with or without other hosts, and adding a host changes no other host's", () => {
    expect(renderAlloyConfig(fleet)).toBe(renderAlloyConfig(single));
    expect(renderServiceFiles(fleet).alloy).toEqual(renderServiceFiles(single).alloy);
    const withoutDb1 = withCfg(fleet, (c) => (c.hosts = c.hosts.filter((h) => h.name !== "db1")));
    expect(renderRemoteAlloyConfig(withoutDb1, "web1")).toBe(renderRemoteAlloyConfig(fleet, "web1"));
    expect(centralAgent(fleet).gateway).toBeUndefined();
  });

  it("is deterministic and follows the gateway's address and port", () => {
    expect(renderRemoteAlloyConfig(fleet, "web1")).toBe(renderRemoteAlloyConfig(fleetConfig(), "web1"));
    const moved = withCfg(fleet, (c) => {
      c.gateway = { ...c.gateway!, port: 9443 };
      c.hosts[0].address = "192.0.2.99";
    });
    expect(renderRemoteAlloyConfig(moved, "web1")).toContain('url = "https://192.0.2.99:9443/api/v1/write"');
    expect(agentBlocks(remoteAgent(moved, "web1"))).toEqual(agentBlocks({ ...remoteAgent(fleet, "web1"), gateway: { address: "192.0.2.99", port: 9443 } }));
  });

  it("refuses the central host, an unknown host and a fleet without gateway.port (E_INTERNAL)", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof BootstrapError ? e.code : `not a BootstrapError: ${String(e)}`;
      }
      return "no error";
    };
    expect(code(() => remoteAgent(fleet, "local"))).toBe("E_INTERNAL");
    expect(code(() => remoteAgent(fleet, "nope"))).toBe("E_INTERNAL");
    expect(code(() => remoteAgent(withCfg(fleet, (c) => delete c.gateway), "web1"))).toBe("E_INTERNAL");
    expect(code(() => remoteAgent(fleet, "web1"))).toBe("no error");
  });
});

describe("Prometheus in a fleet", () => {
  it("receives remote writes only when the stack has other hosts (the flag of 2.33+ and 3.x)", () => {
    expect(prometheusArgs(fleet)).toContain("--web.enable-remote-write-receiver");
    expect(prometheusArgs(single)).not.toContain("--web.enable-remote-write-receiver");
    const v252 = withCfg(fleet, (c) => (c.images.prometheus = "prom/prometheus:v2.52.0"));
    expect(prometheusArgs(v252)).toContain("--web.enable-remote-write-receiver");
  });

  it("labels what it scrapes with the central host's name, whatever the name", () => {
    const renamed = withCfg(fleet, (c) => (c.hosts[0].name = "hq"));
    const labels = (cfg: StackConfig) => (prometheusConfigObject(cfg).scrape_configs as { static_configs: { labels: Record<string, string> }[] }[]).map((s) => s.static_configs[0].labels);
    expect(new Set(labels(fleet).map((l) => JSON.stringify(l)))).toEqual(new Set([JSON.stringify({ host: "local" })]));
    expect(new Set(labels(renamed).map((l) => JSON.stringify(l)))).toEqual(new Set([JSON.stringify({ host: "hq" })]));
  });

  it("has HostNotReporting for each other host only in a fleet, and ContainerMissing on the central host's cAdvisor", () => {
    const hnr = alertRules(fleet).find((a) => a.alert === "HostNotReporting");
    expect(hnr).toMatchObject({ labels: { severity: "critical" }, for: "3m" });
    expect(hnr!.expr).toBe('absent_over_time(up{job="node-exporter",host="web1"}[2m])\nor\nabsent_over_time(up{job="node-exporter",host="db1"}[2m])');
    expect(alertRules(single).some((a) => a.alert === "HostNotReporting")).toBe(false);
    const missing = alertRules(fleet).find((a) => a.alert === "ContainerMissing")!.expr;
    expect(missing).toContain('absent(container_last_seen{job="cadvisor",host="local",name="logging-test-loki"})');
    expect(missing).toContain('up{job="cadvisor",host="local"} == 1');
    // Adding a host changes the rules only by its HostNotReporting term.
    const groups = (cfg: StackConfig) => YAML.parse(renderPrometheusRules(cfg)).groups as { name: string; rules: { alert?: string }[] }[];
    const stripped = groups(fleet).map((g) => ({ ...g, rules: g.rules.filter((r) => r.alert !== "HostNotReporting") }));
    expect(stripped).toEqual(groups(single));
    expect(JSON.stringify(stripped)).not.toBe(JSON.stringify(groups(fleet)));
  });
});

describe("promtool on a fleet's Prometheus files", () => {
  if (!havePromtool("promtool checks of a fleet", "promtool check config / check rules of a fleet (promtool missing)")) return;

  it("accepts the config and the rules", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-fleet-"));
    try {
      const files = renderServiceFiles(fleet).prometheus;
      const rules = files.find((f) => f.path.endsWith(".rules.yml"))!;
      const rulesPath = path.join(dir, "rules.yml");
      fs.writeFileSync(rulesPath, rules.content);
      const doc = YAML.parse(files.find((f) => f.path.endsWith("prometheus.yml"))!.content);
      doc.rule_files = [rulesPath];
      delete doc.storage; // Debian's older promtool does not know it; render.test.ts covers the pinned one
      fs.writeFileSync(path.join(dir, "prometheus.yml"), YAML.stringify(doc));
      const c = await promtool(["check", "config", path.join(dir, "prometheus.yml")]);
      expect(c.out).toContain("SUCCESS");
      expect(c.code).toBe(0);
      const r = await promtool(["check", "rules", rulesPath]);
      expect(r.code).toBe(0);
      expect(rules.content).toContain("alert: HostNotReporting");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
