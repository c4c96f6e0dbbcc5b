// What every dashboard shares: the context it is rendered from, datasource references by the
// provisioned uids, query builders with the refId and datasource set, panel builders with the
// stack's defaults, and the dashboard skeleton (uid, title, tags, links, time, read-only).
// Everything is built with @grafana/grafana-foundation-sdk's builders; nothing here reads the
// clock, the environment or the disk, so the same context always gives the same dashboards.
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as gauge from "@grafana/grafana-foundation-sdk/gauge";
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import * as units from "@grafana/grafana-foundation-sdk/units";
import { JOB } from "../jobs";

export { units };

/** The uids of the provisioned datasources (components/render/grafana.ts DATASOURCE_UIDS). */
export interface DatasourceUids {
  prometheus: string;
  loki: string;
}

/** Everything a dashboard depends on: a pure function of the stack config. */
export interface DashboardContext {
  projectName: string;
  /** paths.logsRoot: the ingestion proof's marker file lives there (Alloy keeps the host path). */
  logsRoot: string;
  datasources: DatasourceUids;
}

/** Every dashboard carries this tag; the dashboard links list the stack's dashboards by it. */
export const DASHBOARD_TAG = "logging-bootstrap";

/** Prometheus scrape job names (../jobs.ts, the keys of components/render/prometheus.ts scrapeTargets). */
export { JOB } from "../jobs";

/** The host template variable: the dashboards about hosts and containers filter every query by it. */
export const HOST_VARIABLE = "host";
/** What a per-host query selects: the hosts picked in the variable (a regex of them, `.*` for All). */
export const HOST_MATCHER = `${HOST_VARIABLE}=~"$${HOST_VARIABLE}"`;
/**
 * The hosts to choose from: every host node-exporter reports for (it runs on each, and its `up`
 * carries the host's name: Prometheus' static label on the central host, Alloy's external label
 * on the others), refreshed with the time range so a host added shows up.
 */
export const HOST_VALUES_QUERY = `label_values(up{job="${JOB.nodeExporter}"}, ${HOST_VARIABLE})`;

/** The host variable: one host at a time (`multi` false), or any set of them with All (`.*`). */
export function hostVariable(ctx: DashboardContext, multi: boolean): dashboard.QueryVariableBuilder {
  const v = new dashboard.QueryVariableBuilder(HOST_VARIABLE)
    .label("Host")
    .description("The Docker hosts of the stack: the central host and every host whose agents report to it.")
    .datasource(promRef(ctx))
    .query(HOST_VALUES_QUERY)
    .definition(HOST_VALUES_QUERY)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .allowCustomValue(false)
    .multi(multi)
    .includeAll(multi);
  return multi ? v.allValue(".*") : v;
}

export function promRef(ctx: DashboardContext): common.DataSourceRef {
  return { type: "prometheus", uid: ctx.datasources.prometheus };
}

export function lokiRef(ctx: DashboardContext): common.DataSourceRef {
  return { type: "loki", uid: ctx.datasources.loki };
}

/** A string literal for PromQL and LogQL label matchers and line filters (Go string escapes). */
export function str(value: string): string {
  return JSON.stringify(value);
}

/** An RE2 pattern matching `value` literally. */
export function literalRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`);
}

/** The stack's containers are named `<projectName>-<service>` (components/defaults.ts). */
export function stackContainerRegex(ctx: DashboardContext): string {
  return `${literalRegex(ctx.projectName)}-.+`;
}

const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export interface PromQuery {
  expr: string;
  legend?: string;
}

/** A Prometheus query: code mode, range for time series or instant for single values and tables. */
export function promQuery(ctx: DashboardContext, q: PromQuery, i: number, mode: "range" | "instant" | "table"): prometheus.DataqueryBuilder {
  const b = new prometheus.DataqueryBuilder()
    .datasource(promRef(ctx))
    .refId(REF_IDS[i])
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(q.expr)
    .legendFormat(q.legend ?? "__auto");
  if (mode === "range") return b.range();
  if (mode === "table") return b.instant().format(prometheus.PromQueryFormat.Table);
  return b.instant();
}

export interface LokiQuery {
  expr: string;
  legend?: string;
}

/** A Loki query over the dashboard's time range (log panels and metric queries alike). */
export function lokiQuery(ctx: DashboardContext, q: LokiQuery, i: number): loki.DataqueryBuilder {
  const b = new loki.DataqueryBuilder()
    .datasource(lokiRef(ctx))
    .refId(REF_IDS[i])
    .editorMode(loki.QueryEditorMode.Code)
    .queryType(loki.LokiQueryType.Range)
    .expr(q.expr);
  return q.legend ? b.legendFormat(q.legend) : b;
}

interface Size {
  w: number;
  h: number;
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(["lastNotNull", "max"]);
}

function tooltip(): common.VizTooltipOptionsBuilder {
  return new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);
}

export function thresholds(steps: [number | null, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

/** green below `warn`, orange from `warn`, red from `crit` (ratios 0..1 by default). */
export function usageThresholds(warn = 0.8, crit = 0.9): dashboard.ThresholdsConfigBuilder {
  return thresholds([[null, "green"], [warn, "orange"], [crit, "red"]]);
}

/** The builder methods every panel kind has. */
interface PanelHead<B> {
  title(title: string): B;
  description(description: string): B;
  unit(unit: string): B;
  span(span: number): B;
  height(height: number): B;
}

/** Every panel's head: title, description, unit (log panels have none) and size, in this order. */
function panelHead<B extends PanelHead<B>>(b: B, o: { title: string; description: string; unit?: string; size: Size }): B {
  const described = b.title(o.title).description(o.description);
  return (o.unit === undefined ? described : described.unit(o.unit)).span(o.size.w).height(o.size.h);
}

export interface TimeseriesOptions {
  title: string;
  description: string;
  unit: string;
  size: Size;
  stacked?: boolean;
  bars?: boolean;
  min?: number;
  max?: number;
}

export function promTimeseries(ctx: DashboardContext, o: TimeseriesOptions, queries: PromQuery[]): timeseries.PanelBuilder {
  const p = baseTimeseries(o).datasource(promRef(ctx));
  queries.forEach((q, i) => p.withTarget(promQuery(ctx, q, i, "range")));
  return p;
}

export function lokiTimeseries(ctx: DashboardContext, o: TimeseriesOptions, queries: LokiQuery[]): timeseries.PanelBuilder {
  const p = baseTimeseries(o).datasource(lokiRef(ctx));
  queries.forEach((q, i) => p.withTarget(lokiQuery(ctx, q, i)));
  return p;
}

function baseTimeseries(o: TimeseriesOptions): timeseries.PanelBuilder {
  const p = panelHead(new timeseries.PanelBuilder(), o)
    .legend(legend())
    .tooltip(tooltip())
    .lineWidth(1)
    .fillOpacity(o.stacked || o.bars ? 60 : 10)
    .showPoints(common.VisibilityMode.Never)
    .drawStyle(o.bars ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .stacking(new common.StackingConfigBuilder().mode(o.stacked ? common.StackingMode.Normal : common.StackingMode.None));
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  return p;
}

export interface SingleValueOptions {
  title: string;
  description: string;
  unit: string;
  size: Size;
  thresholds?: dashboard.ThresholdsConfigBuilder;
  mappings?: dashboard.ValueMapping[];
  min?: number;
  max?: number;
}

function reduceLast(): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().values(false).calcs(["lastNotNull"]);
}

/** The builder methods of the panels that show the last value of one instant query. */
interface LastValuePanel<B> {
  datasource(ref: common.DataSourceRef): B;
  withTarget(target: prometheus.DataqueryBuilder): B;
  reduceOptions(options: common.ReduceDataOptionsBuilder): B;
}

/** One instant Prometheus query, reduced to its last non-null value per series. */
function lastValue<B extends LastValuePanel<B>>(b: B, ctx: DashboardContext, q: PromQuery): B {
  return b.datasource(promRef(ctx)).withTarget(promQuery(ctx, q, 0, "instant")).reduceOptions(reduceLast());
}

/** A big number (one value or one per series, named). */
export function promStat(ctx: DashboardContext, o: SingleValueOptions, q: PromQuery): stat.PanelBuilder {
  const p = lastValue(panelHead(new stat.PanelBuilder(), o), ctx, q)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.Auto)
    .thresholds(o.thresholds ?? thresholds([[null, "green"]]));
  if (o.mappings) p.mappings(o.mappings);
  return p;
}

/** A gauge of a ratio (0..1 unless min/max say otherwise). */
export function promGauge(ctx: DashboardContext, o: SingleValueOptions, q: PromQuery): gauge.PanelBuilder {
  const p = panelHead(new gauge.PanelBuilder(), o)
    .min(o.min ?? 0)
    .max(o.max ?? 1);
  return lastValue(p, ctx, q).thresholds(o.thresholds ?? usageThresholds());
}

/** One horizontal bar per series (per mount point, per container). */
export function promBarGauge(ctx: DashboardContext, o: SingleValueOptions, q: PromQuery): bargauge.PanelBuilder {
  const p = lastValue(panelHead(new bargauge.PanelBuilder(), o), ctx, q)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .showUnfilled(true)
    .thresholds(o.thresholds ?? usageThresholds());
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  return p;
}

/** A table of an instant query (one row per series, its labels as columns). */
export function promTable(ctx: DashboardContext, o: SingleValueOptions, q: PromQuery): table.PanelBuilder {
  return panelHead(new table.PanelBuilder(), o)
    .datasource(promRef(ctx))
    .withTarget(promQuery(ctx, q, 0, "table"))
    .showHeader(true)
    .thresholds(o.thresholds ?? thresholds([[null, "green"]]))
    .withTransformation({ id: "organize", options: { excludeByName: { Time: true } } });
}

export interface LogsOptions {
  title: string;
  description: string;
  size: Size;
}

/** A log lines panel, newest first, with labels and details. */
export function lokiLogs(ctx: DashboardContext, o: LogsOptions, q: LokiQuery): logs.PanelBuilder {
  return panelHead(new logs.PanelBuilder(), o)
    .datasource(lokiRef(ctx))
    .withTarget(lokiQuery(ctx, q, 0).maxLines(500))
    .showTime(true)
    .showLabels(true)
    .showCommonLabels(false)
    .wrapLogMessage(true)
    .prettifyLogMessage(false)
    .enableLogDetails(true)
    .dedupStrategy(common.LogsDedupStrategy.None)
    .sortOrder(common.LogsSortOrder.Descending);
}

/** Value mapping for 0/1 health values. */
export function upDownMapping(up: string, down: string): dashboard.ValueMapping[] {
  return [
    {
      type: dashboard.MappingType.ValueToText,
      options: { "0": { text: down, color: "red", index: 0 }, "1": { text: up, color: "green", index: 1 } },
    },
  ];
}

export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

/** The skeleton: uid, title, tags, read-only, last hour, 30 s refresh, links to the other dashboards. */
export function baseDashboard(uid: string, title: string, description: string, tags: string[]): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([DASHBOARD_TAG, ...tags])
    .readonly()
    .timezone("browser")
    .time({ from: "now-1h", to: "now" })
    .refresh("30s")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder("Stack dashboards")
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(true)
        .keepTime(true)
        .includeVars(false)
        .targetBlank(false),
    );
}
