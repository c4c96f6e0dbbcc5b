// The stack's dashboards, built with @grafana/grafana-foundation-sdk: host (node-exporter),
// containers (cAdvisor), logs (Loki) and stack health (Prometheus). Pure: a context in, dashboard
// objects out; render() gives each one's JSON text through the repository's sorted-key serializer,
// so the same config always gives the same bytes (stable SHA-256, `pulumi up` twice changes nothing).
import type { Dashboard, Panel, RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import { toSortedJson } from "../yaml";
import type { DashboardContext } from "./common";
import { CONTAINERS_DASHBOARD_UID, containersDashboard } from "./containers";
import { HOST_DASHBOARD_UID, hostDashboard } from "./host";
import { LOGS_DASHBOARD_UID, logsDashboard } from "./logs";
import { STACK_HEALTH_DASHBOARD_UID, stackHealthDashboard } from "./stack-health";

export type { DashboardContext, DatasourceUids } from "./common";
export { DASHBOARD_TAG } from "./common";
export { CONTAINERS_DASHBOARD_UID, HOST_DASHBOARD_UID, LOGS_DASHBOARD_UID, STACK_HEALTH_DASHBOARD_UID };
export { PROOF_MARKER_FILE, PROOF_MARKER_TEXT, proofMarkerSelector } from "./logs";

/** Every dashboard, in a fixed order. */
export const DASHBOARDS: readonly { uid: string; build: (ctx: DashboardContext) => Dashboard }[] = [
  { uid: STACK_HEALTH_DASHBOARD_UID, build: stackHealthDashboard },
  { uid: HOST_DASHBOARD_UID, build: hostDashboard },
  { uid: CONTAINERS_DASHBOARD_UID, build: containersDashboard },
  { uid: LOGS_DASHBOARD_UID, build: logsDashboard },
];

function isRow(p: Panel | RowPanel): p is RowPanel {
  return p.type === "row";
}

/** Panels in grid order, a row's own panels (collapsed rows keep them inside) right after the row. */
export function allPanels(d: Dashboard): (Panel | RowPanel)[] {
  const out: (Panel | RowPanel)[] = [];
  for (const p of d.panels ?? []) {
    out.push(p);
    if (isRow(p)) out.push(...(p.panels ?? []));
  }
  return out;
}

/**
 * Panel ids 1..n in grid order. The builders leave ids unset (a row gets 0); Grafana would assign
 * them on load, differently per load order, so they are fixed here: links to a panel (viewPanel=N)
 * stay valid and the JSON stays the same.
 */
function numberPanels(d: Dashboard): Dashboard {
  allPanels(d).forEach((p, i) => {
    p.id = i + 1;
  });
  return d;
}

/**
 * The SDK's DashboardLinkBuilder always sets `placement: "inControlsMenu"` (its default, and the
 * only value its setter takes), which Grafana 12+ renders inside the collapsed controls menu. Left
 * out, the "Stack dashboards" dropdown sits in the dashboard's top bar in every Grafana version.
 */
function linksInTopBar(d: Dashboard): Dashboard {
  for (const l of d.links ?? []) delete l.placement;
  return d;
}

/** The dashboards as objects (uid -> dashboard), in DASHBOARDS order. */
export function buildDashboards(ctx: DashboardContext): Dashboard[] {
  return DASHBOARDS.map(({ uid, build }) => {
    const d = linksInTopBar(numberPanels(build(ctx)));
    if (d.uid !== uid) throw new Error(`dashboard builder for ${uid} produced uid ${String(d.uid)}`);
    return d;
  });
}

/** uid -> JSON text (sorted keys, 2-space indent, trailing newline), uploaded as <uid>.json. */
export function renderDashboards(ctx: DashboardContext): Record<string, string> {
  return Object.fromEntries(buildDashboards(ctx).map((d) => [d.uid as string, toSortedJson(d)]));
}

/** One query of one panel, with the datasource it runs on (panel's, or the query's own). */
export interface PanelQuery {
  dashboardUid: string;
  panelId: number;
  panelTitle: string;
  panelType: string;
  datasource: { type?: string; uid?: string };
  refId: string;
  expr: string;
  /** Prometheus: instant (stat, gauge, bar gauge, table) or range (time series). */
  instant: boolean;
}

/** Every query of every panel of a dashboard (as parsed JSON or as built). */
export function panelQueries(d: { uid?: unknown; panels?: unknown[] }): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of allPanels(d as Dashboard)) {
    const panel = p as Panel;
    for (const t of (panel.targets ?? []) as unknown as Record<string, unknown>[]) {
      const ds = (t.datasource ?? panel.datasource ?? {}) as { type?: string; uid?: string };
      out.push({
        dashboardUid: String(d.uid),
        panelId: Number(panel.id),
        panelTitle: String(panel.title),
        panelType: panel.type,
        datasource: ds,
        refId: String(t.refId),
        expr: String(t.expr),
        instant: t.instant === true,
      });
    }
  }
  return out;
}
