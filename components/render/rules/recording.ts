// Recording rules: per-job scrape health (targets up, slowest scrape), cheap to graph and query.
import type { RecordingRule } from "./types";

export function recordingRules(): RecordingRule[] {
  return [
    { record: "job:up:sum", expr: "sum by (job) (up)" },
    { record: "job:scrape_duration_seconds:max", expr: "max by (job) (scrape_duration_seconds)" },
  ];
}
