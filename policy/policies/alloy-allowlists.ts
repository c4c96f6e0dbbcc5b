import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { checkAlloyConfig } from "../lib/alloy";
import { msg, note } from "../lib/report";
import { displayName, findUpload, serviceOf } from "../lib/resources";

export const ALLOY_CONFIG = "/etc/alloy/config.alloy";

export interface AlloyAllowlistsConfig {
  /** Report a missing redaction stage (advisory note). */
  requireRedaction: boolean;
}
export const ALLOY_DEFAULTS: AlloyAllowlistsConfig = { requireRedaction: true };

// P15: Alloy reads only allowlisted containers and journald units (cardinality and privacy), and
// redacts secrets from log lines. The allowlists are mandatory; redaction is an advisory note
// because a stack may accept its absence as a recorded risk (L4 records it the same way).
export const alloyAllowlists: ResourceValidationPolicy = {
  name: "alloy-allowlists",
  description: "The Alloy config reads Docker logs only through a container-name allowlist and the journal only through a systemd-unit allowlist, and has a redaction stage (advisory).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { requireRedaction: { type: "boolean", default: true } } },
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const service = serviceOf(c);
    const upload = findUpload(c, ALLOY_CONFIG);
    if (service !== "alloy" && !(service === undefined && upload)) return args.notApplicable("applies to the Alloy container only");
    const cfg = { ...ALLOY_DEFAULTS, ...args.getConfig<Partial<AlloyAllowlistsConfig>>() };
    const who = displayName(c, args.name);
    if (!upload || typeof upload.content !== "string") {
      report(msg(`Alloy container ${who} has no readable ${ALLOY_CONFIG} upload, so its allowlists cannot be shown.`, `deliver the rendered Alloy config as Container.uploads file ${ALLOY_CONFIG}`));
      return;
    }
    const v = checkAlloyConfig(upload.content);
    if (!v.syntax.ok) {
      report(msg(`Alloy config of ${who} ${v.syntax.reason}.`, "correct the Alloy config; `alloy fmt` shows the same error"));
      return;
    }
    if (!v.dockerAllowlist.ok) {
      report(msg(`Alloy config of ${who}: ${v.dockerAllowlist.reason}.`, 'list the containers in alloy.dockerAllowlist so the config feeds loki.source.docker from a discovery.relabel with rule { source_labels = ["__meta_docker_container_name"], regex = "/(a|b)", action = "keep" }'));
    }
    if (!v.journalAllowlist.ok) {
      report(msg(`Alloy config of ${who}: ${v.journalAllowlist.reason}.`, 'list the units in alloy.journaldUnits so loki.source.journal gets relabel_rules with rule { source_labels = ["__journal__systemd_unit"], regex = "(a|b)", action = "keep" }'));
    }
    if (!v.redaction.ok && cfg.requireRedaction) {
      note(report, msg(`Alloy config of ${who}: ${v.redaction.reason}.`, "add alloy.redactions (name, pattern) in Pulumi.<stack>.yaml so a loki.process stage.replace masks them"));
    }
  }),
};
