// One YAML serializer for every rendered file: sorted map keys, no line folding, so the same
// config always gives the same bytes (stable SHA-256, quiet diffs).
import * as crypto from "crypto";
import YAML from "yaml";

export function toYaml(value: unknown, header?: string): string {
  const body = YAML.stringify(value, { sortMapEntries: true, lineWidth: 0, indent: 2 });
  return header ? `${header.split("\n").map((l) => `# ${l}`).join("\n")}\n${body}` : body;
}

/** JSON with sorted keys (Grafana dashboards), 2-space indented, trailing newline. */
export function toSortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

export const GENERATED_HEADER = "Rendered by logging-bootstrap from the stack config. Do not edit: changes are replaced on the next `pulumi up`.";
