// Supported image versions: the one table (the README's "Supported versions" mirrors it; a test
// keeps the two equal). Rendering, healthchecks and proofs ask here what a version can do, and the
// lint refuses an image outside its range (E_CONFIG_IMAGE_UNSUPPORTED) with the nearest supported
// tag. Ranges are by the image tag's version, whatever the registry (mirrors and the test
// environment's local registry use the same tags).
import type { ServiceName } from "./schema";

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** A supported span: from `min` (inclusive) up to `below` (exclusive). */
export interface Span {
  min: string;
  below: string;
}

export interface SupportedRange {
  /** The spans that work; a gap between two is a version the stack cannot run (see `gaps`). */
  spans: Span[];
  /** The pin the stacks ship with (current stable, checked against the upstream release notes). */
  current: string;
  /** Why a version outside the spans is refused, for each gap. */
  gaps?: string[];
}

export const SUPPORTED: Record<ServiceName, SupportedRange> = {
  // 11.1 is the source document's pin. 13.x: grafana-cli/grafana-server are gone (the program runs
  // `grafana cli`, present since 9.x); 13.0 migrates dashboards to unified storage on first start,
  // one way (snapshot before upgrading: README "Upgrading").
  grafana: { spans: [{ min: "11.0.0", below: "14.0.0" }], current: "13.2.0" },
  // Images up to 3.5.7 carry busybox (wget healthcheck). 3.5.8 and 3.6.x are distroless with no
  // shell, no wget and no self-check (grafana/loki#20149: "Docker healthchecks impossible since
  // v3.6.0"); `loki -health` arrived after 3.6.0 (grafana/loki#20313, merged 2026-01-07), in 3.7.
  loki: {
    spans: [
      { min: "3.0.0", below: "3.5.8" },
      { min: "3.7.0", below: "4.0.0" },
    ],
    current: "3.7.8",
    gaps: ["3.5.8-3.6.x: the image has no shell, no wget and no `loki -health`: no container healthcheck can run"],
  },
  // v1.2.1 is the source document's pin; 1.4 renamed stdlib functions (the rendered config calls none).
  alloy: { spans: [{ min: "1.2.0", below: "2.0.0" }], current: "v1.19.2" },
  // 3.x writes a TSDB only 2.55+ reads back; retention moved into the config file in 3.8.
  prometheus: { spans: [{ min: "2.45.0", below: "4.0.0" }], current: "v3.14.0" },
  nodeExporter: { spans: [{ min: "1.5.0", below: "2.0.0" }], current: "v1.12.1" },
  // gcr.io/cadvisor/cadvisor up to v0.52; ghcr.io/google/cadvisor after (tags without "v" before v0.57).
  cadvisor: { spans: [{ min: "0.47.0", below: "1.0.0" }], current: "v0.60.5" },
  // The image is busybox-based throughout (wget healthcheck). Which receiver kinds a version can
  // run is per kind: ALERTMANAGER_RECEIVER_MIN below.
  alertmanager: { spans: [{ min: "0.25.0", below: "1.0.0" }], current: "v0.35.0" },
};

/** Receiver kinds of the stack's alerting config (schema v2) and the credential file each is read from. */
export type ReceiverKind = "webhook" | "slack" | "email";

/**
 * The first Alertmanager version that runs each receiver kind with its credential read from a file
 * (the renderer never writes a credential into alertmanager.yml). Read from Alertmanager's own
 * sources and changelog: slack `api_url_file` and email `auth_password_file` are in every version of
 * the range; webhook `url_file` arrived in 0.26.0 (#3223), and 0.26-0.27 crash when a webhook whose
 * URL comes from url_file answers with a non-2xx status (the retrier formats the nil `url`; fixed in
 * 0.28.0, #3800). The lint refuses a receiver its pinned version cannot run (E_CONFIG_RECEIVER_UNSUPPORTED).
 */
export const ALERTMANAGER_RECEIVER_MIN: Record<ReceiverKind, { min: string; file: string; why: string }> = {
  webhook: { min: "0.28.0", file: "url_file", why: "url_file arrived in 0.26.0, and 0.26-0.27 crash when such a webhook answers with a non-2xx status (fixed in 0.28.0)" },
  slack: { min: "0.25.0", file: "api_url_file", why: "api_url_file is read by every supported version" },
  email: { min: "0.25.0", file: "auth_password_file", why: "auth_password_file is read by every supported version" },
};

/** The current pins as full references (the stacks' defaults and the lint's example patches). */
export const CURRENT_IMAGES: Record<ServiceName, string> = {
  grafana: `grafana/grafana:${SUPPORTED.grafana.current}`,
  loki: `grafana/loki:${SUPPORTED.loki.current}`,
  alloy: `grafana/alloy:${SUPPORTED.alloy.current}`,
  prometheus: `prom/prometheus:${SUPPORTED.prometheus.current}`,
  nodeExporter: `prom/node-exporter:${SUPPORTED.nodeExporter.current}`,
  cadvisor: `ghcr.io/google/cadvisor:${SUPPORTED.cadvisor.current}`,
  alertmanager: `prom/alertmanager:${SUPPORTED.alertmanager.current}`,
};

/** `v3.14.0`, `13.2.0`, `13.2.0-ubuntu`, `0.49.1` -> its version; undefined for a tag that is not one. */
export function parseVersion(tag: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?$/.exec(tag);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** The version of an image reference's tag (`repo:tag[@digest]`). */
export function imageVersion(ref: string): Version | undefined {
  const noDigest = ref.replace(/@sha256:[0-9a-f]{64}$/, "");
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? parseVersion(noDigest.slice(colon + 1)) : undefined;
}

export function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function atLeast(v: Version, s: string): boolean {
  return compare(v, parseVersion(s)!) >= 0;
}

export function isSupported(svc: ServiceName, v: Version): boolean {
  return SUPPORTED[svc].spans.some((s) => atLeast(v, s.min) && !atLeast(v, s.below));
}

/**
 * The supported tag nearest to an unsupported version: below every span, the lowest supported
 * version; otherwise the current pin (newer than any span, or in a gap). The "v" prefix follows
 * the given tag's style, except where the current pin decides.
 */
export function nearestSupported(svc: ServiceName, tag: string): string {
  const v = parseVersion(tag);
  const r = SUPPORTED[svc];
  if (v && !atLeast(v, r.spans[0].min)) return tag.startsWith("v") ? `v${r.spans[0].min}` : r.spans[0].min;
  return r.current;
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** "3.0.0-3.5.7, 3.7.0-3.x": the spans as an operator reads them. */
export function describeRange(svc: ServiceName): string {
  return SUPPORTED[svc].spans
    .map((s) => {
      const b = parseVersion(s.below)!;
      const upper = b.patch > 0 ? `${b.major}.${b.minor}.${b.patch - 1}` : b.minor > 0 ? `${b.major}.${b.minor - 1}.x` : `${b.major - 1}.x`;
      return `${s.min}-${upper}`;
    })
    .join(", ");
}
