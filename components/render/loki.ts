// Loki 3.x single binary: filesystem storage, tsdb index with schema v13, retention by the compactor.
import type { StackConfig } from "../../contracts/config/schema";
import { CONTAINER_PORT } from "../defaults";
import { GENERATED_HEADER, toYaml } from "./yaml";

/**
 * Loki's own default for the longest query_range it serves, written out so the proofs (which
 * query their marker in a window that must fit it, components/verify/evidence.ts) read it here.
 */
export const LOKI_MAX_QUERY_LENGTH = "721h";

/** Date the v13 schema period starts; fixed so the rendered file never changes by itself. */
export const LOKI_SCHEMA_FROM = "2024-01-01";

export function lokiConfigObject(cfg: StackConfig): Record<string, unknown> {
  return {
    auth_enabled: false,
    server: { http_listen_port: CONTAINER_PORT.loki, grpc_listen_port: 9096, log_level: "info" },
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: "/loki",
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
      storage: { filesystem: { chunks_directory: "/loki/chunks", rules_directory: "/loki/rules" } },
    },
    schema_config: {
      configs: [
        { from: LOKI_SCHEMA_FROM, store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "index_", period: "24h" } },
      ],
    },
    // Retention only deletes when the compactor has retention_enabled AND a delete_request_store;
    // Loki 3 refuses to start with retention enabled and no delete_request_store (v3.0.0
    // pkg/compactor/compactor.go Validate: "compactor.delete-request-store should be configured when
    // retention is enabled").
    compactor: {
      working_directory: "/loki/compactor",
      compaction_interval: "10m",
      retention_enabled: true,
      retention_delete_delay: "2h",
      delete_request_store: "filesystem",
    },
    limits_config: {
      retention_period: cfg.retention.logs,
      max_query_length: LOKI_MAX_QUERY_LENGTH,
      reject_old_samples: true,
      reject_old_samples_max_age: "168h",
      allow_structured_metadata: true,
    },
    analytics: { reporting_enabled: false },
  };
}

export function renderLokiConfig(cfg: StackConfig): string {
  return toYaml(lokiConfigObject(cfg), GENERATED_HEADER);
}
