// Pure renderers: config in, file text out. YAML parses; keys are the real ones; output is
// deterministic; promtool accepts the Prometheus files; Alloy is structurally sound and golden.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { renderServiceFiles, configShas, sha256 } from "../../components/render";
import { alloyArgs, alloyBlocks, literalAlternation, renderAlloyConfig, LOKI_PUSH_URL } from "../../components/render/alloy";
import {
  DATASOURCE_UIDS,
  HEALTH_DASHBOARD_UID,
  grafanaEnv,
  renderGrafanaDashboardProvider,
  renderGrafanaDashboards,
  renderGrafanaDatasources,
} from "../../components/render/grafana";
import { lokiConfigObject, renderLokiConfig } from "../../components/render/loki";
import {
  RULE_GROUPS,
  prometheusArgs,
  prometheusConfigObject,
  renderPrometheusConfig,
  renderPrometheusRules,
  retentionInConfigFile,
} from "../../components/render/prometheus";
import { riverBlock, riverString, ref } from "../../components/render/river";
import { toYaml } from "../../components/render/yaml";
import { stackConfig } from "../util/mocks";
import { havePromtool, promtool } from "../util/promtool";
import { withCfg } from "../util/stack-configs";

const test_ = stackConfig("test");
const prod = stackConfig("prod");

describe("yaml serializer", () => {
  it("sorts map keys at every level and is stable", () => {
    expect(toYaml({ b: 1, a: { d: 1, c: 2 } })).toBe("a:\n  c: 2\n  d: 1\nb: 1\n");
  });
});

describe("Loki config", () => {
  const text = renderLokiConfig(prod);
  const doc = YAML.parse(text);

  it("parses and is Loki 3 single binary on filesystem with tsdb schema v13", () => {
    expect(doc.auth_enabled).toBe(false);
    expect(doc.server.http_listen_port).toBe(3100);
    expect(doc.common.storage).toEqual({ filesystem: { chunks_directory: "/loki/chunks", rules_directory: "/loki/rules" } });
    expect(doc.common.replication_factor).toBe(1);
    expect(doc.schema_config.configs).toEqual([
      { from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } },
    ]);
  });

  it("enables retention in the compactor with a delete_request_store, and sets the retention period", () => {
    expect(doc.compactor.retention_enabled).toBe(true);
    expect(doc.compactor.delete_request_store).toBe("filesystem");
    expect(doc.limits_config.retention_period).toBe("30d");
    expect(YAML.parse(renderLokiConfig(test_)).limits_config.retention_period).toBe("7d");
  });

  it("turns analytics reporting off", () => {
    expect(doc.analytics).toEqual({ reporting_enabled: false });
  });

  it("is deterministic and follows the config", () => {
    expect(renderLokiConfig(prod)).toBe(text);
    const other = renderLokiConfig(withCfg(prod, (c) => (c.retention.logs = "90d")));
    expect(other).not.toBe(text);
    expect(lokiConfigObject(prod)).toEqual(YAML.parse(text));
  });
});

describe("Prometheus config and rules", () => {
  const doc = YAML.parse(renderPrometheusConfig(test_));

  it("scrapes itself, node-exporter, cAdvisor, Loki, Alloy, Grafana and Alertmanager over the stack network", () => {
    const jobs = Object.fromEntries(doc.scrape_configs.map((s: { job_name: string; static_configs: { targets: string[] }[] }) => [s.job_name, s.static_configs[0].targets]));
    expect(jobs).toEqual({
      prometheus: ["localhost:9090"],
      "node-exporter": ["node-exporter:9100"],
      cadvisor: ["cadvisor:8080"],
      loki: ["loki:3100"],
      alloy: ["alloy:12345"],
      grafana: ["grafana:3000"],
      // The rule library's AlertmanagerNotificationsFailing selects job="alertmanager".
      alertmanager: ["alertmanager:9093"],
    });
    expect(doc.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
    expect(doc.rule_files).toEqual(["/etc/prometheus/rules/logging-bootstrap.rules.yml"]);
    // Exactly job_name + static_configs: no metrics_path/scheme override, so every job is scraped at
    // Prometheus's default http://<target>/metrics, where all seven serve their metrics (Grafana's
    // [metrics] is on by default; cAdvisor, Loki and Alloy serve /metrics on their HTTP port).
    for (const s of doc.scrape_configs) expect(Object.keys(s).sort()).toEqual(["job_name", "static_configs"]);
    // Everything Prometheus scrapes runs on the central host and carries its name (docs/FLEET.md).
    for (const s of doc.scrape_configs) expect(s.static_configs).toEqual([{ targets: expect.any(Array), labels: { host: "local" } }]);
    expect(doc.global).toEqual({ scrape_interval: "15s", evaluation_interval: "15s", external_labels: { project: "logging-test" } });
  });

  it("has the recording group, then one alert group per area of the rule library (test/rules/ checks each alert)", () => {
    const rules = YAML.parse(renderPrometheusRules(test_));
    expect(rules.groups.map((g: { name: string }) => g.name)).toEqual([RULE_GROUPS.recording, RULE_GROUPS.host, RULE_GROUPS.containers, RULE_GROUPS.stack, RULE_GROUPS.watchdog]);
    expect(rules.groups[0].rules).toEqual([
      { record: "job:up:sum", expr: "sum by (job) (up)" },
      { record: "job:scrape_duration_seconds:max", expr: "max by (job) (scrape_duration_seconds)" },
    ]);
    for (const g of rules.groups.slice(1)) expect(g.rules.every((r: { alert?: string }) => typeof r.alert === "string")).toBe(true);
    const stack = rules.groups[3].rules;
    expect(stack).toContainEqual(expect.objectContaining({ alert: "TargetDown", expr: 'up{job!="node-exporter"} == 0', for: "5m", labels: { severity: "warning" } }));
    expect(rules.groups[4].rules).toEqual([expect.objectContaining({ alert: "Watchdog", expr: "vector(1)", labels: { severity: "info" } })]);
  });

  it("puts retention on the command line for v2.52 and in the config file from 3.8 on", () => {
    expect(retentionInConfigFile("prom/prometheus:v2.52.0")).toBe(false);
    expect(retentionInConfigFile("prom/prometheus:v3.7.9")).toBe(false);
    expect(retentionInConfigFile("prom/prometheus:v3.8.0")).toBe(true);
    expect(retentionInConfigFile("prom/prometheus:v4.0.0@sha256:" + "a".repeat(64))).toBe(true);
    const v252 = withCfg(prod, (c) => (c.images.prometheus = "prom/prometheus:v2.52.0"));
    expect(prometheusArgs(v252)).toEqual([
      "--config.file=/etc/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--storage.tsdb.retention.time=15d",
      "--web.listen-address=0.0.0.0:9090",
    ]);
    expect(prometheusConfigObject(v252).storage).toBeUndefined();
    const v38 = withCfg(prod, (c) => (c.images.prometheus = "prom/prometheus:v3.8.0"));
    expect(prometheusArgs(v38).some((a) => a.startsWith("--storage.tsdb.retention"))).toBe(false);
    expect(prometheusConfigObject(v38).storage).toEqual({ tsdb: { retention: { time: "15d" } } });
  });

  it("has no remote-write receiver for a stack of one host (fleet: test/components/fleet-render.test.ts)", () => {
    expect(prometheusArgs(prod)).not.toContain("--web.enable-remote-write-receiver");
    expect(prometheusArgs(test_)).not.toContain("--web.enable-remote-write-receiver");
  });

  it("enables the unauthenticated lifecycle API only when prometheus.webLifecycle asks for it", () => {
    expect(prometheusArgs(prod)).not.toContain("--web.enable-lifecycle");
    expect(prometheusArgs(withCfg(prod, (c) => (c.prometheus.webLifecycle = true)))).toContain("--web.enable-lifecycle");
  });
});

// promtool (test/util/promtool.ts) is the pinned Prometheus's own or Debian's (2.42): a promtool
// older than 3.8 does not know the config file's retention section, so its check runs without that
// section (the pinned promtool checks the whole file in the integration suite, inside the Prometheus
// container).
/** promtool's own [major, minor] (`promtool --version`: "promtool, version 2.42.0+ds ..."). */
async function promtoolVersion(): Promise<[number, number]> {
  const r = await promtool(["--version"]);
  const m = /version (\d+)\.(\d+)/.exec(r.out);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

describe("promtool", () => {
  if (!havePromtool("promtool checks", "promtool check config / check rules (promtool missing)")) return;

  for (const [name, cfg] of [["test", test_], ["prod", prod]] as const) {
    it(`accepts the ${name} stack's config and rules`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
      const files = renderServiceFiles(cfg).prometheus;
      const rules = files.find((f) => f.path.endsWith(".rules.yml"))!;
      const config = files.find((f) => f.path.endsWith("prometheus.yml"))!;
      const rulesPath = path.join(dir, "logging-bootstrap.rules.yml");
      fs.writeFileSync(rulesPath, rules.content);
      // promtool resolves rule_files on disk; point the one reference at the temp copy.
      expect(config.content.split(rules.path).length).toBe(2);
      let text = config.content.replace(rules.path, rulesPath);
      const [maj, min] = await promtoolVersion();
      if (maj < 3 || (maj === 3 && min < 8)) {
        const doc = YAML.parse(text);
        delete doc.storage;
        text = YAML.stringify(doc);
      }
      fs.writeFileSync(path.join(dir, "prometheus.yml"), text);
      const c = await promtool(["check", "config", path.join(dir, "prometheus.yml")]);
      expect(c.out).toContain("SUCCESS");
      expect(c.code).toBe(0);
      const r = await promtool(["check", "rules", rulesPath]);
      expect(r.code).toBe(0);
      const count = YAML.parse(rules.content).groups.reduce((n: number, g: { rules: unknown[] }) => n + g.rules.length, 0);
      expect(count).toBeGreaterThan(15);
      expect(r.out).toContain(`SUCCESS: ${count} rules found`);
    });
  }

  it("rejects a broken rules file (the check can fail)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
    const p = path.join(dir, "bad.rules.yml");
    const good = renderPrometheusRules(test_);
    expect(good).toContain("expr: vector(1)\n");
    fs.writeFileSync(p, good.replace("expr: vector(1)\n", "expr: vector(1) ===\n"));
    const r = await promtool(["check", "rules", p]);
    expect(r.code).not.toBe(0);
  });
});

describe("Alloy config", () => {
  const text = renderAlloyConfig(test_);

  /** Declared components `name "label"` at top level. */
  function declared(t: string): Set<string> {
    return new Set([...t.matchAll(/^([a-z_]+(?:\.[a-z_]+)+) "([A-Za-z0-9_]+)" \{/gm)].map((m) => `${m[1]}.${m[2]}`));
  }
  /** References to other components' exports: <component>.<label>.<export>. */
  function references(t: string): string[] {
    const withoutStrings = t.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    return [...withoutStrings.matchAll(/=\s*\[?\s*([a-z_]+(?:\.[a-z_]+)+)\.(targets|output|receiver|rules)\b/g)].map((m) => m[1]);
  }

  it("references only components it declares, and every source reaches loki.write", () => {
    const decl = declared(text);
    expect([...decl].sort()).toEqual([
      "discovery.docker.containers",
      "discovery.relabel.docker_allowlist",
      "local.file_match.files",
      "loki.process.redact",
      "loki.relabel.journal_allowlist",
      "loki.source.docker.containers",
      "loki.source.file.files",
      "loki.source.journal.journal",
      "loki.write.loki",
    ]);
    const refs = references(text);
    expect(refs.length).toBeGreaterThanOrEqual(7);
    for (const r of refs) expect(decl.has(r)).toBe(true);
    expect(text).toMatch(new RegExp(`url\\s+= "${LOKI_PUSH_URL}"`));
    expect(text).toMatch(/batch_wait\s+= "1s"/);
    expect(LOKI_PUSH_URL).toBe("http://loki:3100/loki/api/v1/push");
    // the structural check can fail: an undeclared reference is caught
    expect(references(text.replace('loki.process "redact"', 'loki.process "other"')).some((r) => !declared(text.replace('loki.process "redact"', 'loki.process "other"')).has(r))).toBe(true);
  });

  it("limits Docker to the allowlist with an exact keep rule", () => {
    expect(text).toContain(`regex         = ${riverString("^(/logging-test-grafana|/logging-test-loki|/logging-test-prometheus)$")}`);
    expect(text).toMatch(/source_labels = \["__meta_docker_container_name"\]\n\s+regex\s+= "[^"]+"\n\s+action\s+= "keep"/);
  });

  it("limits the journal to the configured units through a relabel keep rule", () => {
    expect(text).toMatch(/source_labels = \["__journal__systemd_unit"\]\n\s+regex\s+= "\^\(docker\\\\\.service\|ssh\\\\\.service\)\$"\n\s+action\s+= "keep"/);
    expect(text).toContain("relabel_rules = loki.relabel.journal_allowlist.rules");
    expect(text).not.toMatch(/\bmatches\s*=/);
  });

  it("labels every stream with the project and the central host's name, and pushes to Loki on the stack network", () => {
    expect(text).toMatch(/loki\.write "loki" \{\n  external_labels = \{\n    "host" = "local",\n    "project" = "logging-test",\n  \}/);
    expect(text).not.toContain("basic_auth");
    expect(text).not.toContain("prometheus.");
  });

  it("tails the logs and telemetry roots with job labels", () => {
    expect(text).toContain('"__path__" = "/tmp/bootstrap-test/logs/**/*.log"');
    expect(text).toContain('"__path__" = "/tmp/bootstrap-test/telemetry/**/*.log"');
    expect(text).toContain('"job" = "logs"');
  });

  it("has one stage.replace per redaction, with the configured expression", () => {
    expect(text.match(/stage\.replace \{/g)?.length).toBe(test_.alloy.redactions.length);
    for (const r of test_.alloy.redactions) expect(text).toContain(`expression = ${riverString(r.pattern)}`);
    const none = renderAlloyConfig(withCfg(test_, (c) => (c.alloy.redactions = [])));
    expect(none).not.toContain("stage.replace");
  });

  it("declares no Docker or journal source when the allowlists are empty", () => {
    const empty = renderAlloyConfig(withCfg(test_, (c) => { c.alloy.dockerAllowlist = []; c.alloy.journaldUnits = []; }));
    expect(empty).not.toContain("loki.source.docker");
    expect(empty).not.toContain("loki.source.journal");
    expect(empty).toContain("loki.source.file");
    expect(alloyBlocks(withCfg(test_, (c) => (c.alloy.dockerAllowlist = []))).some((b) => b.name === "discovery.docker")).toBe(false);
  });

  it("matches the golden file (UPDATE_GOLDEN=1 rewrites it)", () => {
    const golden = path.join(__dirname, "..", "golden", "alloy.test.alloy");
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(golden, text);
    expect(text).toBe(fs.readFileSync(golden, "utf8"));
  });

  it("runs with an explicit listen address and storage path", () => {
    expect(alloyArgs()).toEqual(["run", "/etc/alloy/config.alloy", "--server.http.listen-addr=0.0.0.0:12345", "--storage.path=/var/lib/alloy/data"]);
  });

  it("escapes regex metacharacters in allowlist names", () => {
    expect(literalAlternation(["a.b", "c+d"])).toBe("^(a\\.b|c\\+d)$");
  });
});

describe("river emitter", () => {
  it("escapes strings Go-style and renders refs bare", () => {
    expect(riverString('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(riverBlock({ name: "x.y", label: "z", attrs: [["k", ref("a.b.c")], ["list", ["s", 1, true]]] })).toBe(
      'x.y "z" {\n  k    = a.b.c\n  list = ["s", 1, true]\n}',
    );
  });
  it("refuses invalid names", () => {
    expect(() => riverBlock({ name: "Bad Name" })).toThrow(/invalid block name/);
    expect(() => riverBlock({ name: "a", label: "has space" })).toThrow(/invalid block label/);
  });
});

describe("Grafana provisioning", () => {
  it("provisions Loki and Prometheus datasources with fixed uids", () => {
    const ds = YAML.parse(renderGrafanaDatasources(test_)).datasources;
    expect(ds.map((d: { uid: string; type: string; url: string }) => [d.uid, d.type, d.url])).toEqual([
      [DATASOURCE_UIDS.loki, "loki", "http://loki:3100"],
      [DATASOURCE_UIDS.prometheus, "prometheus", "http://prometheus:9090"],
    ]);
  });
  it("has a file dashboard provider pointing where dashboards are uploaded", () => {
    const p = YAML.parse(renderGrafanaDashboardProvider(test_)).providers;
    expect(p).toHaveLength(1);
    expect(p[0].type).toBe("file");
    expect(p[0].options.path).toBe("/etc/grafana/dashboards");
  });
  it("has the stack health dashboard and the host, containers and logs ones, whose panels use the provisioned datasources", () => {
    // Details of each dashboard: test/components/dashboards.test.ts.
    const dashboards = renderGrafanaDashboards(test_);
    expect(Object.keys(dashboards)).toEqual([HEALTH_DASHBOARD_UID, "logging-bootstrap-host", "logging-bootstrap-containers", "logging-bootstrap-logs"]);
    expect(JSON.parse(dashboards[HEALTH_DASHBOARD_UID]).uid).toBe(HEALTH_DASHBOARD_UID);
    for (const text of Object.values(dashboards)) {
      const d = JSON.parse(text);
      expect(d.panels.length).toBeGreaterThanOrEqual(4);
      // Rows only group panels; every other panel queries a provisioned datasource.
      for (const p of d.panels) if (p.type !== "row") expect(Object.values(DATASOURCE_UIDS)).toContain(p.datasource.uid);
    }
  });
  it("turns anonymous access and analytics off and reads secrets only from files", () => {
    const env = grafanaEnv();
    expect(env).toContain("GF_AUTH_ANONYMOUS_ENABLED=false");
    expect(env).toContain("GF_ANALYTICS_REPORTING_ENABLED=false");
    expect(env).toContain("GF_SECURITY_ADMIN_PASSWORD__FILE=/etc/grafana/secrets/admin_password");
    expect(env).toContain("GF_SECURITY_SECRET_KEY__FILE=/etc/grafana/secrets/secret_key");
    // never both forms of a setting (Grafana exits)
    expect(env.some((e) => e.startsWith("GF_SECURITY_ADMIN_PASSWORD="))).toBe(false);
    expect(env.some((e) => e.startsWith("GF_SECURITY_SECRET_KEY="))).toBe(false);
  });
});

describe("renderServiceFiles", () => {
  it("lists exactly the conventional paths with their SHA-256", () => {
    const files = renderServiceFiles(test_);
    expect(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.map((f) => f.path)]))).toEqual({
      grafana: [
        "/etc/grafana/dashboards/logging-bootstrap-containers.json",
        "/etc/grafana/dashboards/logging-bootstrap-health.json",
        "/etc/grafana/dashboards/logging-bootstrap-host.json",
        "/etc/grafana/dashboards/logging-bootstrap-logs.json",
        "/etc/grafana/provisioning/dashboards/dashboards.yaml",
        "/etc/grafana/provisioning/datasources/datasources.yaml",
      ],
      loki: ["/etc/loki/config.yaml"],
      alloy: ["/etc/alloy/config.alloy"],
      prometheus: ["/etc/prometheus/prometheus.yml", "/etc/prometheus/rules/logging-bootstrap.rules.yml"],
      nodeExporter: [],
      cadvisor: [],
      alertmanager: ["/etc/alertmanager/alertmanager.yml"],
    });
    for (const list of Object.values(files)) for (const f of list) expect(f.sha256).toBe(sha256(f.content));
    expect(Object.keys(configShas(files)).sort()).toEqual(["alertmanager", "alloy", "grafana", "loki", "prometheus"]);
    for (const list of Object.values(files)) for (const f of list) if (f.path.endsWith(".yaml") || f.path.endsWith(".yml")) expect(() => YAML.parse(f.content)).not.toThrow();
  });
  it("is byte-for-byte deterministic", () => {
    expect(JSON.stringify(renderServiceFiles(prod))).toBe(JSON.stringify(renderServiceFiles(prod)));
  });
});
