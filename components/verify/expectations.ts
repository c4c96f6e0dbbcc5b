// What a healthy stack's verification must report for a given config, before anything runs: each
// level green, a warning the config itself implies (with its code and why), or skipped. Derived
// from the same functions that render the config and plan the proofs (watchdogReceiverOf,
// levelPlan, the redaction model, the version table), so the proofs and this prediction cannot
// drift apart. `npm run -s test:variants` holds every deployed variant to it.
import type { StackConfig } from "../../contracts/config/schema";
import type { ErrorCode } from "../../contracts/errors";
import { parseImageRef } from "../../contracts/config/values";
import { endpointUrl } from "../naming";
import { receiverNameInMetrics, watchdogReceiverOf } from "../render/alertmanager";
import { provenRedactions } from "./checks/ingestion";
import { LEVEL_TABLE } from "./levels";
import { levelPlan } from "./spec";
import type { Level } from "./types";

export type Expected = { status: "green" } | { status: "warn"; code: ErrorCode; why: string } | { status: "skipped"; why: string };

/** Facts about where the stack runs that the config alone does not say. */
export interface ExpectationEnv {
  /** Every image comes from a registry the verify step can ask (or state recorded its digest). */
  registryDigests: boolean;
}

/** The receivers that have at least one integration (webhook, e-mail, Slack). */
function integrationsOf(cfg: Pick<StackConfig, "alerting">, name: string): string[] {
  const r = cfg.alerting.receivers.find((x) => x.name === name);
  if (!r) return [];
  return (["webhook", "email", "slack"] as const).filter((k) => r[k] !== undefined);
}

export function expectedOutcome(cfg: StackConfig, env: ExpectationEnv): Record<Level, Expected> {
  const plan = levelPlan(cfg);
  const out = {} as Record<Level, Expected>;
  for (const d of LEVEL_TABLE) out[d.level] = { status: "green" };
  for (const k of plan.skipped) out[k.level] = { status: "skipped", why: k.reason };

  if (out.L4.status === "green") {
    const reds = cfg.alloy.redactions;
    const unproven = reds.filter((r) => provenRedactions([{ name: r.name, pattern: r.pattern, replacement: r.replacement, ...(r.canary !== undefined ? { canary: r.canary } : {}) }]).length === 0);
    if (reds.length === 0) out.L4 = { status: "warn", code: "E_PROOF_REDACTION_ABSENT", why: "alloy.redactions is empty" };
    else if (unproven.length) out.L4 = { status: "warn", code: "E_PROOF_REDACTION_UNPROVEN", why: `redaction ${unproven.map((r) => r.name).join(", ")} has no canary` };
    // Without Alloy's published port L4 reads the pipeline from the rendered config (labelsSpec).
    else if (endpointUrl(cfg, "alloy") === undefined) out.L4 = { status: "warn", code: "E_PROOF_PIPELINE_STATIC", why: "ports.alloy is not published: the pipeline is a static check of the rendered config" };
  }

  if (out.L7.status === "green") {
    const unpinned = (Object.keys(cfg.images) as (keyof StackConfig["images"])[]).filter((s) => !parseImageRef(cfg.images[s])?.digest);
    if (!env.registryDigests && unpinned.length) out.L7 = { status: "warn", code: "E_PROOF_PROVENANCE_UNPINNED", why: `${unpinned.join(", ")} pinned by tag only and no registry digest` };
  }

  if (out.L9.status === "green") {
    const receiver = watchdogReceiverOf(cfg.alerting);
    const mine = integrationsOf(cfg, receiver);
    if (mine.length === 0) out.L9 = { status: "warn", code: "E_PROOF_ALERT_UNROUTED", why: `the Watchdog goes to ${receiver}, which has no integration` };
    else if (!cfg.verify.alertSinkUrl && !receiverNameInMetrics(cfg.images.alertmanager)) {
      const others = cfg.alerting.receivers.filter((r) => r.name !== receiver && integrationsOf(cfg, r.name).some((i) => mine.includes(i)));
      if (others.length) out.L9 = { status: "warn", code: "E_PROOF_ALERT_UNATTRIBUTED", why: `counters per integration only, shared with ${others.map((r) => r.name).join(", ")}` };
    }
  }
  return out;
}
