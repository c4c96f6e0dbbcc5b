// The dashboards answer with data on the live test environment: every Prometheus panel query
// returns a non-empty result from the real Prometheus (3.14, scraping the real node_exporter 1.12.1
// and the cAdvisor / Loki / Alloy doubles), every Loki panel query is accepted by Loki's
// query_range (non-empty for the streams the environment produces), and Grafana serves every
// dashboard as rendered. The dashboards are the exact files Grafana received (`npm run -s render`
// of the testenv stack, test/.tmp/render). Needs `npm run testenv:up` first.
import * as fs from "node:fs";
import * as path from "node:path";
import { panelQueries, PanelQuery } from "../../components/render/dashboards";

const ROOT = path.resolve(__dirname, "../..");
const INFO_FILE = path.join(ROOT, "test/.tmp/testenv.json");
const DASHBOARD_DIR = "files/grafana/etc/grafana/dashboards";

interface Svc { container: string; kind: "real" | "double"; url: string }
interface Info { project: string; renderDir: string; secretsFile: string; paths: Record<string, string>; services: Record<string, Svc> }

function loadInfo(): Info {
  if (!fs.existsSync(INFO_FILE)) throw new Error(`${INFO_FILE} is missing: run \`npm run testenv:up\` first (or \`npm run test:integration\`)`);
  return JSON.parse(fs.readFileSync(INFO_FILE, "utf8")) as Info;
}
const info = loadInfo();
const dir = path.join(info.renderDir, DASHBOARD_DIR);
const dashboards = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { uid: string; title: string; panels: unknown[] });
const queries = dashboards.flatMap((d) => panelQueries(d));
const prom = queries.filter((q) => q.datasource.type === "prometheus");
const loki = queries.filter((q) => q.datasource.type === "loki");
const label = (q: PanelQuery) => `${q.dashboardUid} / ${q.panelTitle} / ${q.refId}`;

/**
 * Grafana's variables as Grafana fills them for a short window: $__interval and $__rate_interval
 * (at least four scrape intervals of 15 s) 1m, $__range the 15 minutes the test queries, and $host
 * the variable's first value (label_values(up{job="node-exporter"}, host), sorted, no "All": what a
 * dashboard opens with; hostValue, read from Prometheus before the queries run).
 */
let hostValue = "";
function withIntervals(expr: string): string {
  return expr.replace(/\$__rate_interval/g, "1m").replace(/\$__interval/g, "1m").replace(/\$__range/g, "15m").replace(/\$host\b/g, hostValue);
}

beforeAll(async () => {
  const r = await getJson(`${info.services.prometheus.url}/api/v1/label/host/values?${new URLSearchParams({ "match[]": 'up{job="node-exporter"}' })}`);
  const values = ((r.body as { data?: unknown } | undefined)?.data ?? []) as string[];
  if (!Array.isArray(values) || values.length === 0) throw new Error(`no host label on up{job="node-exporter"} in Prometheus: ${r.text.slice(0, 300)}`);
  hostValue = [...values].sort()[0];
}, 30_000);

async function getJson(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** Retry fn every second until it returns a value, at most `ms` (rates need two scrapes, rules one evaluation). */
async function eventually<T>(ms: number, fn: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

interface PromAnswer { status: number; resultType?: string; series: number; error?: string }

async function promQuery(q: PanelQuery): Promise<PromAnswer> {
  const base = info.services.prometheus.url;
  const expr = withIntervals(q.expr);
  const now = Date.now() / 1000;
  // Single values and tables run instant queries, time series a short range query, as Grafana does.
  const url = q.instant
    ? `${base}/api/v1/query?${new URLSearchParams({ query: expr, time: now.toFixed(3) })}`
    : `${base}/api/v1/query_range?${new URLSearchParams({ query: expr, start: (now - 300).toFixed(3), end: now.toFixed(3), step: "15" })}`;
  const r = await getJson(url);
  const b = r.body as { status?: string; error?: string; data?: { resultType?: string; result?: unknown[] } } | undefined;
  return { status: r.status, resultType: b?.data?.resultType, series: Array.isArray(b?.data?.result) ? b!.data!.result!.length : 0, error: b?.error ?? (r.status !== 200 ? r.text.slice(0, 300) : undefined) };
}

describe("the rendered dashboards", () => {
  it("are the four the stack renders, each with queries", () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(["logging-bootstrap-containers", "logging-bootstrap-health", "logging-bootstrap-host", "logging-bootstrap-logs"]);
    expect(prom.length).toBeGreaterThan(30);
    expect(loki.length).toBeGreaterThanOrEqual(8);
    for (const d of dashboards) expect(d.title).toContain(info.project);
  });
});

describe("every Prometheus panel query returns data from the test environment's Prometheus", () => {
  it.each(prom.map((q) => [label(q), q] as const))("%s", async (_l, q) => {
    const last = { answer: undefined as PromAnswer | undefined };
    const ok = await eventually(90_000, async () => {
      const a = await promQuery(q);
      last.answer = a;
      return a.status === 200 && a.series > 0 ? a : undefined;
    });
    if (!ok) throw new Error(`${label(q)}: ${JSON.stringify(withIntervals(q.expr))} -> ${JSON.stringify(last.answer)}`);
    expect(ok.resultType).toBe(q.instant ? "vector" : "matrix");
  }, 120_000);
});

/** `sum [by (...)] (count_over_time(<log query> [<range>]))` -> the log query inside. */
function innerLogQuery(expr: string): string | undefined {
  const m = /count_over_time\((.+?) ?\[[^\]]+\]\)\)$/s.exec(expr);
  return m ? m[1] : undefined;
}

/**
 * Streams the environment produces: the allowlisted containers (Alloy's Docker source), the tailed
 * files (job logs/telemetry) and the proof's marker (L3 ran during `up`). It produces no journal
 * (the Alloy double does not implement loki.source.journal) and may log no error line.
 */
function expectsLines(q: PanelQuery): boolean {
  if (/unit!=""/.test(q.expr)) return false;
  if (/\|~ "\(\?i\)/.test(q.expr)) return false;
  return true;
}

async function lokiRange(query: string): Promise<{ status: number; streams: number; entries: number; resultType?: string; text: string }> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const params = new URLSearchParams({ query, start: (now - 3600n * 1_000_000_000n).toString(), end: now.toString(), limit: "100", step: "60" });
  const r = await getJson(`${info.services.loki.url}/loki/api/v1/query_range?${params}`);
  const data = (r.body as { data?: { resultType?: string; result?: { values?: unknown[] }[] } } | undefined)?.data;
  const result = Array.isArray(data?.result) ? data!.result! : [];
  return { status: r.status, resultType: data?.resultType, streams: result.length, entries: result.reduce((n, s) => n + (Array.isArray(s.values) ? s.values.length : 0), 0), text: r.text.slice(0, 300) };
}

describe("every Loki panel query is accepted by Loki's query_range", () => {
  const isDouble = info.services.loki.kind === "double";
  const skippedMetric: string[] = [];

  it.each(loki.map((q) => [label(q), q] as const))("%s", async (_l, q) => {
    const query = withIntervals(q.expr);
    const inner = innerLogQuery(query);
    let checked = query;
    let r = await lokiRange(query);
    if (inner && isDouble && r.status === 400 && /queries must start with a stream selector|only line filters/.test(r.text)) {
      // The Loki double implements log queries only (test/env/doubles/README.md: "no metric
      // queries"): the metric query's log query is what it can answer, so that is checked here.
      skippedMetric.push(`${label(q)}: ${query}`);
      checked = inner;
      r = await lokiRange(inner);
    }
    if (r.status !== 200) throw new Error(`${label(q)}: ${JSON.stringify(checked)} -> HTTP ${r.status}: ${r.text}`);
    expect(r.resultType).toBe(checked === inner || !inner ? "streams" : "matrix");
    if (expectsLines(q)) {
      const got = await eventually(60_000, async () => {
        const a = await lokiRange(checked);
        return a.status === 200 && a.streams > 0 ? a : undefined;
      });
      if (!got) throw new Error(`${label(q)}: no result for ${JSON.stringify(checked)} in the last hour`);
    }
  }, 90_000);

  // Runs after the queries above (jest keeps definition order): the double's known limit is
  // asserted, not printed. Against a real Loki nothing falls back.
  it("falls back to the log query for metric queries only, and only on the double", () => {
    const metric = loki.filter((q) => innerLogQuery(withIntervals(q.expr)) !== undefined).map((q) => `${label(q)}: ${withIntervals(q.expr)}`);
    expect(skippedMetric).toEqual(isDouble ? metric : []);
  });
});

describe("Grafana serves every dashboard as rendered", () => {
  const password = Object.fromEntries(
    fs.readFileSync(info.secretsFile, "utf8").split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  ).GRAFANA_ADMIN_PASSWORD;
  const auth = { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` };

  it.each(dashboards.map((d) => [d.uid, d] as const))("%s", async (uid, d) => {
    const res = await fetch(`${info.services.grafana.url}/api/dashboards/uid/${uid}`, { headers: auth, signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { dashboard: { uid: string; title: string; panels: unknown[] }; meta: { provisioned: boolean } };
    expect(body.meta.provisioned).toBe(true);
    expect(body.dashboard.uid).toBe(uid);
    expect(body.dashboard.title).toBe(d.title);
    expect(panelQueries(body.dashboard).map((q) => [q.panelId, q.refId, q.datasource.uid, q.expr])).toEqual(panelQueries(d).map((q) => [q.panelId, q.refId, q.datasource.uid, q.expr]));
  });
});
