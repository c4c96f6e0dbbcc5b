// v0 -> v1: the original JSON config (snake_case keys) becomes the schema v1 namespace object.
// Pure: the input is not modified. Every value the seed carries either maps to a v1 key or is
// listed in `notes` as dropped, with the reason, so nothing disappears silently.
import { isDnsLabel, isRecord, isValidPort, toDnsLabel } from "../config/values";
import { PORT_OFFSETS } from "../config/examples";
import { show } from "../config/findings";

type Raw = Record<string, unknown>;

/** The services of schema v1 (frozen: later services are added by later steps, e.g. v1_to_v2). */
const SERVICES = ["grafana", "loki", "alloy", "prometheus", "nodeExporter", "cadvisor"] as const;

const SERVICE_KEYS: Record<string, string> = {
  grafana: "grafana",
  loki: "loki",
  alloy: "alloy",
  prometheus: "prometheus",
  node_exporter: "nodeExporter",
  nodeexporter: "nodeExporter",
  nodeExporter: "nodeExporter",
  cadvisor: "cadvisor",
};

const PATH_KEYS: Record<string, string> = {
  logs_root: "logsRoot",
  telemetry_root: "telemetryRoot",
  data_root: "dataRoot",
  docker_socket: "dockerSocket",
  journal_dir: "journalDir",
};

const DROPPED_PATHS: Record<string, string> = {
  repo_root: "the repository is wherever Pulumi.yaml is",
  compose_file: "there is no compose file; Pulumi declares the containers",
  staging_dir: "Pulumi holds the plan; `npm run render` writes rendered files to --out",
  output_dir: "run bundles go to out/runs/ (npm run evidence)",
  vllm_root: "no vLLM log source in this product; add the directory under paths.logsRoot to tail it",
};

const TOGGLES: Record<string, string> = {
  verify_dashboards: "dashboards",
  verify_prom_rules: "rules",
  verify_rules: "rules",
  verify_ingest: "ingestion",
  verify_ingestion: "ingestion",
  verify_health: "health",
  verify_provenance: "provenance",
  verify_drift: "configDrift",
};
/** L4 (labels) proves cardinality and the redaction stage together. */
const L4_TOGGLES = ["verify_cardinality", "verify_redaction"];

const DROPPED_TOP: Record<string, string> = {
  bootstrap_version: "the product version is package.json's",
  schema_version: "replaced by schemaVersion",
  execution_mode: "the mode is the Pulumi verb you run (preview = diagnose, up = apply), not config",
  secrets_policy: "the policy is always contracts/secrets_policy.json",
};

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function v0ToV1(input: Raw): { config: Raw; notes: string[] } {
  const notes: string[] = [];
  const out: Raw = { schemaVersion: 1 };

  for (const [k, v] of Object.entries(input)) {
    switch (k) {
      case "compose_project_name": {
        if (typeof v === "string" && !isDnsLabel(v)) {
          out.projectName = toDnsLabel(v);
          notes.push(`projectName ${show(out.projectName, 200)} from compose_project_name ${show(v, 200)} (made DNS-safe: it prefixes container, volume and network names)`);
        } else {
          out.projectName = v;
        }
        break;
      }
      case "offline_mode":
        out.offlineMode = v;
        break;
      case "ports":
        out.ports = migratePorts(v, notes);
        break;
      case "path_map":
        out.paths = migratePaths(v, notes);
        break;
      case "image_pins":
        out.images = migrateImages(v);
        break;
      case "toggles":
        out.verify = migrateToggles(v, notes);
        break;
      default:
        if (k in DROPPED_TOP) notes.push(`dropped ${k}: ${DROPPED_TOP[k]}`);
        else if (V1_ORDER.includes(k)) out[k] = v; // already a v1 key (e.g. a secure grafanaAdminPassword)
        else {
          out[k] = v; // unknown to both shapes: kept, so config:lint names it instead of losing it
          notes.push(`kept unknown key ${k} as is; config:lint will report it`);
        }
    }
  }

  if (!("exposure" in out)) {
    out.exposure = { bindAddress: "127.0.0.1", lanExposed: false };
    notes.push("exposure: v0 has none; every port is bound to 127.0.0.1 (set bindAddress 0.0.0.0 with lanExposed: true to publish on the LAN)");
  }
  if (!("retention" in out)) {
    out.retention = { logs: "30d", metrics: "15d" };
    notes.push("retention: v0 has none; the baseline is 30 days of logs and 15 days of metrics");
  }
  if (!("alloy" in out)) {
    // v1 requires both allowlists (P15); the narrowest useful ones are this stack's own API
    // containers and the Docker daemon's unit. Redactions stay optional (an advisory note).
    const project = isDnsLabel(out.projectName) ? (out.projectName as string) : "logging-bootstrap";
    out.alloy = { dockerAllowlist: ["grafana", "loki", "prometheus"].map((s) => `${project}-${s}`), journaldUnits: ["docker.service"] };
    notes.push(`alloy: v0 has no allowlists; Alloy ships only this stack's containers (${project}-grafana, -loki, -prometheus) and the docker.service journal. Extend alloy.dockerAllowlist / alloy.journaldUnits, and add alloy.redactions (see Pulumi.test.yaml), or L4 records their absence as an accepted risk`);
  }
  return { config: orderKeys(out), notes };
}

function migratePorts(v: unknown, notes: string[]): unknown {
  if (!isRecord(v)) return v;
  const ports: Raw = {};
  for (const [k, p] of Object.entries(v)) ports[SERVICE_KEYS[k] ?? camel(k)] = p;
  // v0 publishes only what the seed exposed; v1 needs every service's API on the host for the
  // proofs. Fill the gaps on the seed's own layout (base + offset: grafana 9101 -> loki 9102, ...).
  const anchor = (["grafana", "prometheus", "loki"] as const).find((s) => isValidPort(ports[s]));
  if (anchor) {
    const base = (ports[anchor] as number) - PORT_OFFSETS[anchor];
    const used = new Set(Object.values(ports).filter(isValidPort));
    for (const svc of SERVICES) {
      if (ports[svc] !== undefined) continue;
      const p = base + PORT_OFFSETS[svc];
      if (!isValidPort(p) || used.has(p)) continue;
      ports[svc] = p;
      used.add(p);
      notes.push(`ports.${svc} = ${p}: v0 did not publish it; chosen next to ports.${anchor} (base ${base} + ${PORT_OFFSETS[svc]})`);
    }
  }
  const ordered: Raw = {};
  for (const svc of SERVICES) if (svc in ports) ordered[svc] = ports[svc];
  for (const [k, p] of Object.entries(ports)) if (!(k in ordered)) ordered[k] = p;
  return ordered;
}

function migratePaths(v: unknown, notes: string[]): unknown {
  if (!isRecord(v)) return v;
  const paths: Raw = {};
  for (const [k, p] of Object.entries(v)) {
    if (k in PATH_KEYS) paths[PATH_KEYS[k]] = p;
    else if (k in DROPPED_PATHS) notes.push(`dropped path_map.${k} (${show(p, 200)}): ${DROPPED_PATHS[k]}`);
    else {
      paths[camel(k)] = p;
      notes.push(`kept unknown path_map.${k} as paths.${camel(k)}; config:lint will report it`);
    }
  }
  return paths;
}

function migrateImages(v: unknown): unknown {
  if (!isRecord(v)) return v;
  const images: Raw = {};
  for (const svc of SERVICES) {
    for (const [k, ref] of Object.entries(v)) if ((SERVICE_KEYS[k] ?? camel(k)) === svc) images[svc] = ref;
  }
  for (const [k, ref] of Object.entries(v)) {
    const key = SERVICE_KEYS[k] ?? camel(k);
    if (!(key in images)) images[key] = ref;
  }
  return images;
}

function migrateToggles(v: unknown, notes: string[]): unknown {
  if (!isRecord(v)) return v;
  const verify: Raw = {};
  for (const [k, t] of Object.entries(v)) {
    if (k in TOGGLES) verify[TOGGLES[k]] = t;
    else if (!L4_TOGGLES.includes(k)) notes.push(`dropped toggles.${k} (${show(t, 200)}): no counterpart in this product`);
  }
  const l4 = L4_TOGGLES.filter((k) => k in v).map((k) => v[k]);
  if (l4.length > 0) {
    // Keep a non-boolean as is so config:lint reports it rather than guessing.
    const nonBool = l4.find((t) => typeof t !== "boolean");
    verify.labels = nonBool !== undefined ? nonBool : l4.some((t) => t === true);
    notes.push(`verify.labels = ${show(verify.labels, 200)} from ${L4_TOGGLES.filter((k) => k in v).map((k) => `toggles.${k}`).join(" and ")} (L4 proves cardinality and redaction together)`);
  }
  return verify;
}

const V1_ORDER = ["schemaVersion", "projectName", "offlineMode", "exposure", "ports", "paths", "images", "retention", "alloy", "verify", "limits", "grafanaAdminPassword"];

function orderKeys(c: Raw): Raw {
  const o: Raw = {};
  for (const k of V1_ORDER) if (k in c) o[k] = c[k];
  for (const [k, v] of Object.entries(c)) if (!(k in o)) o[k] = v;
  return o;
}
