// Logs (Loki): what the stack ships, from the hosts picked in the `host` variable (every stream
// carries its host). Log volume by host and container, by systemd unit and by source, error
// lines, and the ingestion proof's marker stream (L3 writes a marker line under paths.logsRoot on
// every proof run; Alloy tails it with the host path as `filename`): the central host's logsRoot,
// so the marker panels are not filtered by host (another host shows there when its logsRoot is the same).
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { DashboardContext, HOST_MATCHER, baseDashboard, hostVariable, lokiLogs, lokiTimeseries, row, str, units } from "./common";

export const LOGS_DASHBOARD_UID = "logging-bootstrap-logs";

/** The file the L3 proof appends its marker to, under paths.logsRoot (components/verify/spec.ts MARKER_FILE). */
export const PROOF_MARKER_FILE = "logging-bootstrap-proof.log";
/** Every marker line starts so (components/verify/checks/ingestion.ts markerLine). */
export const PROOF_MARKER_TEXT = "logging-bootstrap ingestion proof";

/** Error-looking lines: RE2, case-insensitive, whole words. */
export const ERROR_LINE_REGEX = "(?i)\\b(error|err|fatal|panic|critical|crit)\\b";

/** `{project="<p>", filename="<logsRoot>/logging-bootstrap-proof.log"}`: the stream L3 proves. */
export function proofMarkerSelector(ctx: DashboardContext): string {
  return `{project=${str(ctx.projectName)}, filename=${str(`${ctx.logsRoot.replace(/\/+$/, "")}/${PROOF_MARKER_FILE}`)}}`;
}

export function logsDashboard(ctx: DashboardContext): Dashboard {
  const p = `project=${str(ctx.projectName)}, ${HOST_MATCHER}`;
  const errors = `|~ ${str(ERROR_LINE_REGEX)}`;
  const marker = `${proofMarkerSelector(ctx)} |= ${str(PROOF_MARKER_TEXT)}`;
  return baseDashboard(
    LOGS_DASHBOARD_UID,
    `Logs (${ctx.projectName})`,
    `What Alloy ships to Loki for ${ctx.projectName} from the hosts picked in Host: volume by container, systemd unit and source, error lines, and the ingestion proof's marker stream.`,
    ["logs", "loki"],
  )
    .withVariable(hostVariable(ctx, true))
    .withPanel(
      lokiTimeseries(ctx, { title: "Log lines by container", description: "Lines per interval from the allowlisted Docker containers (alloy.dockerAllowlist).", unit: units.Short, size: { w: 12, h: 8 }, bars: true, stacked: true, min: 0 }, [
        { expr: `sum by (host, container) (count_over_time({${p}, container!=""}[$__interval]))`, legend: "{{host}} {{container}}" },
      ]),
    )
    .withPanel(
      lokiTimeseries(ctx, { title: "Log lines by systemd unit", description: "Lines per interval from the allowlisted journald units (alloy.journaldUnits).", unit: units.Short, size: { w: 12, h: 8 }, bars: true, stacked: true, min: 0 }, [
        { expr: `sum by (host, unit) (count_over_time({${p}, unit!=""}[$__interval]))`, legend: "{{host}} {{unit}}" },
      ]),
    )
    .withPanel(
      lokiTimeseries(ctx, { title: "Log lines by source", description: "Lines per interval per Alloy source: docker, journal, logs (paths.logsRoot), telemetry (paths.telemetryRoot).", unit: units.Short, size: { w: 12, h: 8 }, bars: true, stacked: true, min: 0 }, [
        { expr: `sum by (host, job) (count_over_time({${p}, job!=""}[$__interval]))`, legend: "{{host}} {{job}}" },
      ]),
    )
    .withPanel(
      lokiTimeseries(ctx, { title: "Error lines by container", description: "Lines matching error, fatal, panic, critical (any case, whole word) per interval.", unit: units.Short, size: { w: 12, h: 8 }, bars: true, stacked: true, min: 0 }, [
        { expr: `sum by (host, container) (count_over_time({${p}, container!=""} ${errors} [$__interval]))`, legend: "{{host}} {{container}}" },
      ]),
    )
    .withRow(row("Lines"))
    .withPanel(lokiLogs(ctx, { title: "Error lines", description: "Every shipped line that looks like an error (error, fatal, panic, critical; any case, whole word), newest first.", size: { w: 24, h: 10 } }, { expr: `{${p}} ${errors}` }))
    .withPanel(lokiLogs(ctx, { title: "Container logs", description: "The allowlisted containers' logs, newest first.", size: { w: 24, h: 10 } }, { expr: `{${p}, container!=""}` }))
    .withRow(row("Ingestion proof (L3)"))
    .withPanel(
      lokiTimeseries(ctx, { title: "Proof markers ingested", description: "Marker lines of the ingestion proof (L3) that came back from Loki, per interval: one per proof run.", unit: units.Short, size: { w: 8, h: 8 }, bars: true, min: 0 }, [
        { expr: `sum(count_over_time(${marker} [$__interval]))`, legend: "markers" },
      ]),
    )
    .withPanel(lokiLogs(ctx, { title: "Proof marker stream", description: `The stream the ingestion proof writes to and reads back: ${PROOF_MARKER_FILE} under paths.logsRoot.`, size: { w: 16, h: 8 } }, { expr: marker }))
    .build();
}
