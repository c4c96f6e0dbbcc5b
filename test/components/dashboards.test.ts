// The stack's dashboards (components/render/dashboards/, built with the Grafana Foundation SDK):
// each is valid JSON with a stable uid, a title and the stack's tag; every panel and query uses a
// provisioned datasource; every PromQL expression parses (promtool) and names real scrape jobs;
// every LogQL query has the shape Loki accepts and selects the stack's own streams; the proof
// marker panel reads the stream L3 writes; the layout fits the grid; rendering is deterministic.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RE2JS } from "re2js";
import YAML from "yaml";
import { renderServiceFiles } from "../../components/render";
import {
  CONTAINERS_DASHBOARD_UID,
  DASHBOARDS,
  DASHBOARD_TAG,
  HOST_DASHBOARD_UID,
  LOGS_DASHBOARD_UID,
  PROOF_MARKER_FILE,
  PROOF_MARKER_TEXT,
  STACK_HEALTH_DASHBOARD_UID,
  buildDashboards,
  panelQueries,
  proofMarkerSelector,
  renderDashboards,
} from "../../components/render/dashboards";
import { DATASOURCE_UIDS, HEALTH_DASHBOARD_UID, dashboardContext, renderGrafanaDashboards, renderGrafanaDatasources } from "../../components/render/grafana";
import { scrapeTargets } from "../../components/render/prometheus";
import { sha256, toSortedJson } from "../../components/render/yaml";
import { ingestionSelector, markerLine, markerPath } from "../../components/verify/checks/ingestion";
import { MARKER_FILE, expectedDashboards } from "../../components/verify/spec";
import type { StackConfig } from "../../contracts/config/schema";
import { stackConfig } from "../util/mocks";
import { havePromtool, promtool } from "../util/promtool";

// The Loki double's LogQL parser (stream selector + line filters, Loki's own refusals).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const logql = require("../env/doubles/loki/logql.js") as { parseQuery(q: string): { matchers: { name: string; op: string; value: string }[]; filters: { op: string; value: string }[] } };

const CONFIGS: [string, StackConfig][] = [
  ["test", stackConfig("test")],
  ["prod", stackConfig("prod")],
];
const GRAFANA_VARIABLES = ["$__interval", "$__rate_interval", "$__range"];

type Json = Record<string, unknown>;
interface Grid { x: number; y: number; w: number; h: number }

function parsed(cfg: StackConfig): Json[] {
  return Object.values(renderGrafanaDashboards(cfg)).map((t) => JSON.parse(t) as Json);
}

function panelsOf(d: Json): Json[] {
  const out: Json[] = [];
  for (const p of (d.panels as Json[]) ?? []) {
    out.push(p);
    if (p.type === "row") out.push(...(((p.panels as Json[]) ?? []) as Json[]));
  }
  return out;
}

/** The provisioned datasources as {type, uid} pairs, read from the rendered provisioning file. */
function provisioned(cfg: StackConfig): { type: string; uid: string }[] {
  return (YAML.parse(renderGrafanaDatasources(cfg)).datasources as { type: string; uid: string }[]).map((d) => ({ type: d.type, uid: d.uid }));
}

/** `sum [by (l, ...)] (count_over_time(<log query> [<range>]))` -> its parts; undefined for a log query. */
function lokiMetric(expr: string): { by: string[]; inner: string; range: string } | undefined {
  const m = /^sum(?: by \(([a-z_]+(?:, [a-z_]+)*)\) ?| ?)\(count_over_time\((.+?) ?\[(\$__interval|\$__range|\d+[smhd])\]\)\)$/s.exec(expr);
  return m ? { by: m[1] ? m[1].split(", ") : [], inner: m[2], range: m[3] } : undefined;
}

/** Grafana's interval variables replaced as Grafana would at query time. */
function withIntervals(expr: string): string {
  return expr.replace(/\$__rate_interval/g, "1m").replace(/\$__interval/g, "30s").replace(/\$__range/g, "1h");
}

describe.each(CONFIGS)("dashboards of the %s stack", (_name, cfg) => {
  const texts = renderGrafanaDashboards(cfg);
  const dashboards = parsed(cfg);
  const sources = provisioned(cfg);

  it("are the four dashboards, keyed by uid, the stack health one keeping the old uid", () => {
    expect(Object.keys(texts)).toEqual([STACK_HEALTH_DASHBOARD_UID, HOST_DASHBOARD_UID, CONTAINERS_DASHBOARD_UID, LOGS_DASHBOARD_UID]);
    expect(DASHBOARDS.map((d) => d.uid)).toEqual(Object.keys(texts));
    expect(HEALTH_DASHBOARD_UID).toBe("logging-bootstrap-health");
    for (const [uid, text] of Object.entries(texts)) expect((JSON.parse(text) as Json).uid).toBe(uid);
  });

  it("each has a stable uid (<= 40 of [A-Za-z0-9_-]), a title naming the project, the stack's tag, and no duplicate uid or title", () => {
    for (const d of dashboards) {
      expect(d.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
      expect(typeof d.title).toBe("string");
      expect(d.title as string).toContain(cfg.projectName);
      expect(d.tags).toEqual(expect.arrayContaining([DASHBOARD_TAG]));
      expect(typeof d.schemaVersion).toBe("number");
      expect(d.editable).toBe(false);
      // One link to the stack's dashboards (by tag), in the top bar (no SDK "inControlsMenu").
      expect(d.links).toEqual([expect.objectContaining({ type: "dashboards", tags: [DASHBOARD_TAG], asDropdown: true, keepTime: true })]);
      expect((d.links as Json[])[0]).not.toHaveProperty("placement");
    }
    const uids = dashboards.map((d) => d.uid);
    const titles = dashboards.map((d) => d.title);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(titles).size).toBe(titles.length);
    // Grafana's dashboard folder: one uid space; titles must be unique within the folder too.
  });

  it("are valid JSON with sorted keys, a trailing newline, and nothing JSON cannot carry", () => {
    for (const text of Object.values(texts)) {
      const obj = JSON.parse(text);
      expect(text).toBe(toSortedJson(obj));
      expect(text.endsWith("}\n")).toBe(true);
    }
    // The rendered text is the built object (the builders' internal marker functions, which JSON
    // has no form for, are the only thing left out).
    for (const d of buildDashboards(dashboardContext(cfg))) expect(texts[d.uid as string]).toBe(toSortedJson(d));
  });

  it("every panel and every query uses one of the provisioned datasources (by type and uid)", () => {
    expect(sources).toEqual([{ type: "loki", uid: DATASOURCE_UIDS.loki }, { type: "prometheus", uid: DATASOURCE_UIDS.prometheus }]);
    let queries = 0;
    for (const d of dashboards) {
      for (const p of panelsOf(d)) {
        if (p.type === "row") {
          expect(p.targets ?? []).toEqual([]);
          continue;
        }
        expect(sources).toContainEqual(p.datasource);
        const targets = p.targets as Json[];
        expect(targets.length).toBeGreaterThan(0);
        for (const t of targets) {
          expect(t.datasource).toEqual(p.datasource);
          expect(typeof t.expr).toBe("string");
          queries++;
        }
        expect(new Set(targets.map((t) => t.refId)).size).toBe(targets.length);
      }
    }
    expect(queries).toBe(dashboards.flatMap((d) => panelQueries(d)).length);
  });

  it("panels have unique ids and fit Grafana's 24-column grid without overlapping", () => {
    for (const d of dashboards) {
      const panels = panelsOf(d);
      const ids = panels.map((p) => p.id);
      expect(ids).toEqual(panels.map((_, i) => i + 1));
      const grids = panels.map((p) => p.gridPos as Grid);
      for (const g of grids) {
        expect(g.x).toBeGreaterThanOrEqual(0);
        expect(g.w).toBeGreaterThan(0);
        expect(g.h).toBeGreaterThan(0);
        expect(g.x + g.w).toBeLessThanOrEqual(24);
      }
      for (let i = 0; i < grids.length; i++)
        for (let j = i + 1; j < grids.length; j++) {
          const [a, b] = [grids[i], grids[j]];
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap ? `${d.uid}: panels ${i + 1} and ${j + 1} overlap` : "").toBe("");
        }
    }
  });

  it("have a host variable where they show hosts or containers, and every such query selects host=~\"$host\"", () => {
    const variable = (multi: boolean) => ({
      type: "query",
      name: "host",
      label: "Host",
      datasource: { type: "prometheus", uid: DATASOURCE_UIDS.prometheus },
      query: 'label_values(up{job="node-exporter"}, host)',
      definition: 'label_values(up{job="node-exporter"}, host)',
      refresh: 2, // on time range change: a host added shows up
      multi,
      includeAll: multi,
      allowCustomValue: false,
      ...(multi ? { allValue: ".*" } : {}),
    });
    const vars = Object.fromEntries(dashboards.map((d) => [d.uid, ((d.templating as Json).list ?? []) as Json[]]));
    expect(vars[STACK_HEALTH_DASHBOARD_UID]).toEqual([]);
    // One host at a time on the host dashboard (its totals are per host); any set of them elsewhere.
    expect(vars[HOST_DASHBOARD_UID]).toEqual([expect.objectContaining(variable(false))]);
    expect(vars[HOST_DASHBOARD_UID][0]).not.toHaveProperty("allValue");
    expect(vars[CONTAINERS_DASHBOARD_UID]).toEqual([expect.objectContaining(variable(true))]);
    expect(vars[LOGS_DASHBOARD_UID]).toEqual([expect.objectContaining(variable(true))]);
    const ctx = dashboardContext(cfg);
    for (const d of dashboards) {
      for (const q of panelQueries(d)) {
        for (const v of q.expr.match(/\$[A-Za-z_]+/g) ?? []) expect(d.uid === STACK_HEALTH_DASHBOARD_UID ? GRAFANA_VARIABLES : [...GRAFANA_VARIABLES, "$host"]).toContain(v);
        // Every query of the host and containers dashboards, and every log query but the proof marker's (the central host's file).
        const perHost = d.uid === HOST_DASHBOARD_UID || d.uid === CONTAINERS_DASHBOARD_UID || (d.uid === LOGS_DASHBOARD_UID && !q.expr.includes(proofMarkerSelector(ctx)));
        const selectors = [...q.expr.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]).filter((sel) => sel.includes("="));
        if (perHost) expect([q.panelTitle, selectors.length > 0]).toEqual([q.panelTitle, true]);
        for (const sel of selectors) expect([d.uid, q.panelTitle, sel.includes('host=~"$host"')]).toEqual([d.uid, q.panelTitle, perHost]);
      }
    }
  });

  it("Prometheus queries name only the stack's scrape jobs, and stack containers by the project's prefix", () => {
    const jobs = Object.keys(scrapeTargets());
    const prom = dashboards.flatMap((d) => panelQueries(d)).filter((q) => q.datasource.type === "prometheus");
    expect(prom.length).toBeGreaterThan(30);
    for (const q of prom) {
      for (const m of q.expr.matchAll(/\bjob="([^"]*)"/g)) expect(jobs).toContain(m[1]);
      for (const m of q.expr.matchAll(/\bname=~"([^"]*)"/g)) expect(m[1]).toBe(`${cfg.projectName}-.+`);
    }
    // Instant queries for single values and tables, range queries for time series.
    for (const q of prom) expect(q.instant).toBe(q.panelType !== "timeseries");
  });

  it("Loki queries are stream selectors with line filters, or sum/count_over_time over one, all on the project's streams", () => {
    const loki = dashboards.flatMap((d) => panelQueries(d)).filter((q) => q.datasource.type === "loki");
    expect(loki.length).toBeGreaterThanOrEqual(8);
    for (const q of loki) {
      const metric = lokiMetric(q.expr);
      // Metric queries feed time series; log queries feed logs panels.
      expect(metric ? "timeseries" : "logs").toBe(q.panelType);
      const inner = metric ? metric.inner : q.expr;
      const p = logql.parseQuery(inner);
      expect(p.matchers).toContainEqual(expect.objectContaining({ name: "project", op: "=", value: cfg.projectName }));
      for (const f of p.filters) if (f.op === "|~" || f.op === "!~") expect(() => RE2JS.compile(f.value)).not.toThrow();
      if (metric) for (const l of metric.by) expect(["host", "container", "unit", "job"]).toContain(l);
    }
    // The panels the brief asks for: volume by container and by systemd unit, error lines, the marker stream.
    const exprs = loki.map((q) => q.expr);
    expect(exprs).toContain(`sum by (host, container) (count_over_time({project="${cfg.projectName}", host=~"$host", container!=""}[$__interval]))`);
    expect(exprs).toContain(`sum by (host, unit) (count_over_time({project="${cfg.projectName}", host=~"$host", unit!=""}[$__interval]))`);
    expect(loki.some((q) => q.panelType === "logs" && /\|~ "\(\?i\)\\\\b\(error\|/.test(q.expr))).toBe(true);
  });

  it("the proof marker panels read exactly the stream the ingestion proof (L3) writes", () => {
    const ctx = dashboardContext(cfg);
    expect(PROOF_MARKER_FILE).toBe(MARKER_FILE);
    expect(markerLine("lbproof-0123456789abcdef0123").startsWith(PROOF_MARKER_TEXT)).toBe(true);
    const sel = logql.parseQuery(proofMarkerSelector(ctx));
    const l3 = logql.parseQuery(ingestionSelector({ logsRoot: cfg.paths.logsRoot, markerFile: MARKER_FILE }));
    // L3's selector plus the project label Alloy adds to everything it ships.
    expect(sel.matchers).toEqual(expect.arrayContaining(l3.matchers));
    expect(sel.matchers).toContainEqual(expect.objectContaining({ name: "filename", value: markerPath({ logsRoot: cfg.paths.logsRoot, markerFile: MARKER_FILE }) }));
    const logs = dashboards.find((d) => d.uid === LOGS_DASHBOARD_UID)!;
    const markerQueries = panelQueries(logs).filter((q) => q.expr.includes(proofMarkerSelector(ctx)));
    expect(markerQueries.map((q) => q.panelType).sort()).toEqual(["logs", "timeseries"]);
    for (const q of markerQueries) expect(q.expr).toContain(`|= "${PROOF_MARKER_TEXT}"`);
  });

  it("covers what each dashboard is for", () => {
    const exprs = (uid: string) => panelQueries(dashboards.find((d) => d.uid === uid)!).map((q) => q.expr).join("\n");
    const host = exprs(HOST_DASHBOARD_UID);
    for (const m of ["node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_filesystem_avail_bytes", "node_network_receive_bytes_total", "node_load1", "node_boot_time_seconds"]) expect(host).toContain(m);
    const containers = exprs(CONTAINERS_DASHBOARD_UID);
    for (const m of ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "resets(container_cpu_usage_seconds_total", "container_oom_events_total", "container_last_seen", "container_start_time_seconds"]) expect(containers).toContain(m);
    const health = exprs(STACK_HEALTH_DASHBOARD_UID);
    for (const m of ["(up)", "scrape_duration_seconds", "loki_distributor_lines_received_total", "loki_write_sent_entries_total", "prometheus_tsdb_head_series", "job:up:sum", "prometheus_rule_evaluation_failures_total"]) expect(health).toContain(m);
  });

  it("are what L5 expects to find provisioned: every rendered file's uid and title", () => {
    const files = renderServiceFiles(cfg).grafana.filter((f) => f.path.startsWith("/etc/grafana/dashboards/"));
    expect(files.map((f) => f.path)).toEqual(Object.keys(texts).sort().map((uid) => `/etc/grafana/dashboards/${uid}.json`));
    expect(expectedDashboards(files)).toEqual(dashboards.map((d) => ({ uid: d.uid, title: d.title })).sort((a, b) => String(a.uid).localeCompare(String(b.uid))));
  });

  it("render deterministically: twice, and in a fresh module registry, give the same bytes", () => {
    const again = renderGrafanaDashboards(cfg);
    expect(again).toEqual(texts);
    let fresh: Record<string, string> = {};
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const m = require("../../components/render/dashboards") as { renderDashboards: typeof renderDashboards };
      fresh = m.renderDashboards(dashboardContext(cfg));
    });
    expect(Object.keys(fresh)).toEqual(Object.keys(texts));
    for (const uid of Object.keys(texts)) expect(sha256(fresh[uid])).toBe(sha256(texts[uid]));
    // The project name and logs root are the only inputs: another project changes only those.
    const other = renderDashboards({ ...dashboardContext(cfg), projectName: "other-project" });
    for (const uid of Object.keys(texts)) expect(other[uid].replaceAll("other-project", cfg.projectName)).toBe(texts[uid]);
  });
});

// promtool parses every PromQL expression (as recording rules: `check rules` runs the real parser).
describe("PromQL of every dashboard (promtool)", () => {
  if (!havePromtool("promtool parsing of dashboard queries", "promtool check rules on every dashboard query (promtool missing)")) return;

  function rulesFile(exprs: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dash-promql-"));
    const file = path.join(dir, "dashboards.rules.yml");
    fs.writeFileSync(file, YAML.stringify({ groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}:check`, expr })) }] }));
    return file;
  }

  it.each(CONFIGS)("parses every Prometheus query of the %s stack's dashboards", async (_name, cfg) => {
    const exprs = parsed(cfg)
      .flatMap((d) => panelQueries(d))
      .filter((q) => q.datasource.type === "prometheus")
      .map((q) => withIntervals(q.expr));
    const r = await promtool(["check", "rules", rulesFile(exprs)]);
    expect(r.out).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(r.code).toBe(0);
  });

  it("rejects a broken expression (the check can fail)", async () => {
    const r = await promtool(["check", "rules", rulesFile(["sum by (job) (rate(up[1m])"])]);
    expect(r.code).not.toBe(0);
  });
});
