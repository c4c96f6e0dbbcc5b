// retention.logs / retention.metrics.
import { finding, show, stackPatch } from "../findings";
import { suggestDuration } from "../examples";
import { isRecord, parseDuration } from "../values";
import { empty, Raw, RuleResult } from "./types";

/**
 * The shortest retention accepted for logs and metrics. Loki's limits validation refuses a
 * retention_period below 24h (its index period); the retention-enforced policy uses the same
 * value as its default minimum, so a config the lint passes cannot fail that policy.
 */
export const MIN_RETENTION = "24h";
export const MIN_RETENTION_MS = 24 * 3600e3;

/** retention.logs / retention.metrics parse as durations of at least MIN_RETENTION (30d, 720h, 1w2d). */
export function ruleRetention(raw: Raw): RuleResult {
  const out = empty();
  const ret = raw.retention;
  if (!isRecord(ret)) return out;
  const defaults: Record<string, string> = { logs: "30d", metrics: "15d" };
  for (const key of ["logs", "metrics"]) {
    const v = ret[key];
    if (v === undefined) continue;
    const ms = parseDuration(v);
    if (ms !== undefined && ms >= MIN_RETENTION_MS) continue;
    if (ms !== undefined && ms > 0) {
      out.errors.push(
        finding(
          "E_CONFIG_DURATION",
          ["retention", key],
          `retention.${key} ${show(v, 40)} is shorter than the minimum ${MIN_RETENTION} (Loki refuses a shorter retention_period; the retention-enforced policy blocks it)`,
          stackPatch(["retention", key], defaults[key]),
        ),
      );
      continue;
    }
    const shown = typeof v === "string" ? show(v, 40) : `${v === null ? "null" : typeof v} ${show(v, 40)}`;
    out.errors.push(
      finding(
        "E_CONFIG_DURATION",
        ["retention", key],
        `retention.${key} ${shown} is not a positive duration; use <number><unit> groups from largest to smallest unit (y w d h m s ms), e.g. 30d, 720h, 2w`,
        stackPatch(["retention", key], suggestDuration(v) ?? defaults[key]),
      ),
    );
  }
  return out;
}
