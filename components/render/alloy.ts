// Grafana Alloy pipeline: allowlisted Docker containers, tailed files under paths.logsRoot and
// paths.telemetryRoot, allowlisted journald units -> redaction stages -> Loki.
import type { StackConfig } from "../../contracts/config/schema";
import { CONTAINER_PORT, DOCKER_SOCKET_IN_CONTAINER, JOURNAL_IN_CONTAINER, KEBAB, TAIL_GLOB } from "../defaults";
import { ref, RiverBlock, riverFile } from "./river";
import { GENERATED_HEADER } from "./yaml";

export const LOKI_PUSH_URL = `http://${KEBAB.loki}:${CONTAINER_PORT.loki}/loki/api/v1/push`;

/** RE2-safe alternation of literal names: `^(a|b\.c)$`. */
export function literalAlternation(names: readonly string[]): string {
  const esc = names.map((n) => n.replace(/[\\.+*?()|[\]{}^$]/g, (c) => `\\${c}`));
  return `^(${esc.join("|")})$`;
}

/** Join a host directory and the tail glob without doubling the slash. */
function glob(dir: string): string {
  return `${dir.replace(/\/+$/, "")}/${TAIL_GLOB}`;
}

export function alloyBlocks(cfg: StackConfig): RiverBlock[] {
  const a = cfg.alloy;
  const blocks: RiverBlock[] = [{ name: "logging", attrs: [["level", "info"], ["format", "logfmt"]] }];
  const sink = ref("loki.process.redact.receiver");

  // Docker: discovery sees every container; the relabel keep rule is the allowlist (exact names;
  // Docker reports names with a leading slash). Nothing else reaches loki.source.docker.
  if (a.dockerAllowlist.length > 0) {
    blocks.push(
      { name: "discovery.docker", label: "containers", attrs: [["host", `unix://${DOCKER_SOCKET_IN_CONTAINER}`], ["refresh_interval", "15s"]] },
      {
        name: "discovery.relabel",
        label: "docker_allowlist",
        attrs: [["targets", ref("discovery.docker.containers.targets")]],
        blocks: [
          {
            name: "rule",
            attrs: [
              ["source_labels", ["__meta_docker_container_name"]],
              ["regex", literalAlternation(a.dockerAllowlist.map((n) => `/${n}`))],
              ["action", "keep"],
            ],
          },
          {
            name: "rule",
            attrs: [["source_labels", ["__meta_docker_container_name"]], ["regex", "^/(.*)$"], ["target_label", "container"]],
          },
          { name: "rule", attrs: [["target_label", "job"], ["replacement", "docker"]] },
        ],
      },
      {
        name: "loki.source.docker",
        label: "containers",
        attrs: [
          ["host", `unix://${DOCKER_SOCKET_IN_CONTAINER}`],
          ["targets", ref("discovery.relabel.docker_allowlist.output")],
          ["forward_to", [sink]],
        ],
      },
    );
  }

  // Files: the logs root (the ingestion proof writes its marker there) and the telemetry root,
  // mounted read-only at the same paths inside the container. loki.source.file adds `filename`.
  blocks.push(
    {
      name: "local.file_match",
      label: "files",
      attrs: [
        ["path_targets", [
          { __path__: glob(cfg.paths.logsRoot), job: "logs" },
          { __path__: glob(cfg.paths.telemetryRoot), job: "telemetry" },
        ]],
        ["sync_period", "5s"],
      ],
    },
    {
      name: "loki.source.file",
      label: "files",
      attrs: [["targets", ref("local.file_match.files.targets")], ["forward_to", [sink]]],
    },
  );

  // Journald: `matches` can only AND/OR field=value pairs per query, not express "only these units"
  // robustly, so the allowlist is a relabel keep rule on __journal__systemd_unit. (Alloy v1.2.1's
  // journal target merges the static `labels` first, then relabels, and drops an entry left with no
  // label: a non-allowlisted unit is never shipped.) `path` is set, so the journal is opened as a
  // directory (systemd sd_journal_open_directory also enumerates the machine-id subdirectories; only
  // the default search, without `path`, needs /etc/machine-id for its local-only filter).
  if (a.journaldUnits.length > 0) {
    blocks.push(
      {
        name: "loki.relabel",
        label: "journal_allowlist",
        attrs: [["forward_to", []]],
        blocks: [
          {
            name: "rule",
            attrs: [["source_labels", ["__journal__systemd_unit"]], ["regex", literalAlternation(a.journaldUnits)], ["action", "keep"]],
          },
          { name: "rule", attrs: [["source_labels", ["__journal__systemd_unit"]], ["target_label", "unit"]] },
        ],
      },
      {
        name: "loki.source.journal",
        label: "journal",
        attrs: [
          ["path", JOURNAL_IN_CONTAINER],
          ["max_age", "12h"],
          ["relabel_rules", ref("loki.relabel.journal_allowlist.rules")],
          ["labels", { job: "journal" }],
          ["forward_to", [sink]],
        ],
      },
    );
  }

  // Redaction: one stage.replace per configured pattern (the first capture group is replaced).
  blocks.push({
    name: "loki.process",
    label: "redact",
    attrs: [["forward_to", [ref("loki.write.loki.receiver")]]],
    blocks: a.redactions.map((r) => ({ name: "stage.replace", attrs: [["expression", r.pattern], ["replace", r.replacement]] })),
  });

  blocks.push({
    name: "loki.write",
    label: "loki",
    attrs: [["external_labels", { project: cfg.projectName }]],
    blocks: [{ name: "endpoint", attrs: [["url", LOKI_PUSH_URL]] }],
  });
  return blocks;
}

export function renderAlloyConfig(cfg: StackConfig): string {
  return riverFile(alloyBlocks(cfg), GENERATED_HEADER);
}

/** The Alloy command line (the image's entrypoint is /bin/alloy). */
export function alloyArgs(): string[] {
  return [
    "run",
    "/etc/alloy/config.alloy",
    `--server.http.listen-addr=0.0.0.0:${CONTAINER_PORT.alloy}`,
    "--storage.path=/var/lib/alloy/data",
  ];
}
