// Example values for the findings' patches: concrete, valid values an operator can paste.
import type { ServiceName } from "./schema";
import { CURRENT_IMAGES } from "./versions";

/** The current pins (contracts/config/versions.ts): the concrete fix in patches. */
export const DEFAULT_IMAGES: Record<ServiceName, string> = CURRENT_IMAGES;

/** Host-port layout of both stacks: base + offset (test 9100+, prod 9000+). */
export const PORT_OFFSETS: Record<ServiceName, number> = { grafana: 1, loki: 2, alloy: 3, prometheus: 4, nodeExporter: 5, cadvisor: 6, alertmanager: 7 };

/** A port for `svc` that is valid and not in `used` (for example patches). */
export function suggestPort(svc: string, used: ReadonlySet<number>): number {
  const off = (PORT_OFFSETS as Record<string, number>)[svc] ?? 9;
  for (let base = 9100; base <= 65500; base += 10) {
    if (!used.has(base + off)) return base + off;
  }
  return 9199;
}


/** `30 days` -> `30d`, `720 H` -> `720h`; undefined when no such reading exists. */
export function suggestDuration(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isInteger(v) && v > 0) return `${v}d`;
  if (typeof v !== "string") return undefined;
  const m = /^\s*([0-9]+)\s*(years?|y|weeks?|w|days?|d|hours?|h|minutes?|mins?|m|seconds?|secs?|s)\s*$/i.exec(v);
  if (!m || Number(m[1]) === 0) return undefined;
  const unit = m[2].toLowerCase();
  const u = unit.startsWith("y") ? "y" : unit.startsWith("w") ? "w" : unit.startsWith("d") ? "d" : unit.startsWith("h") ? "h" : unit.startsWith("m") ? "m" : "s";
  return `${Number(m[1])}${u}`;
}

