// --host NAME (drift, repair): the operation limited to that host's resources. Their URNs are read
// from the state when the step runs (the plan is made before the stack is opened) and become the
// operation's targets; repair also rebuilds the containers among them. A refresh on other hosts'
// resources never runs, so drift of one host is judged while another host cannot be reached.
import { errorRecord, ErrorRecord } from "../../../contracts/errors";
import { allHostNames, hostNamesOfFile, urnsOfHosts } from "../pulumi/fleet";
import type { Ctx } from "./context";
import { guardStep, isContainerUrn, PlannedStep } from "./plan";

/** The names --host accepts for a stack file: its hosts; a file without hosts is one host, its stack's name unknown here. */
export function unknownHosts(selected: readonly string[], hosts: { central?: string; remote: readonly string[] }): string[] {
  const known = new Set(allHostNames(hosts));
  return selected.filter((h) => !known.has(h));
}

/** The step with its targets filled in from the state, or why it cannot run. */
export function scopedStep(p: PlannedStep, resources: ReadonlyArray<{ urn?: unknown; type?: unknown }>, project: string, hosts: { central?: string; remote: readonly string[] }): PlannedStep | ErrorRecord {
  const selected = p.hostScope ?? [];
  const urns = urnsOfHosts(resources, project, hosts, selected);
  if (!urns.length) {
    return errorRecord("E_ENV_USAGE", `--host ${selected.join(", ")}: the stack's state holds no resource of ${selected.length > 1 ? "these hosts" : "this host"}`, {
      action: "Deploy the host first (--mode apply with it in the stack file's hosts), or name a host the stack has deployed.",
      details: { hosts: selected, known: allHostNames(hosts) },
    });
  }
  const opts = { ...p.opts, target: urns, ...(p.op === "up" ? { replace: urns.filter(isContainerUrn) } : {}) };
  return { ...p, opts };
}

/** Resolve a host-scoped step against the stack's state now (guarded again with its real targets). */
export async function resolveHostScope(ctx: Ctx, p: PlannedStep): Promise<PlannedStep | ErrorRecord> {
  const hosts = hostNamesOfFile(ctx.configFile);
  const unknown = unknownHosts(p.hostScope ?? [], hosts);
  if (unknown.length) {
    return errorRecord("E_ENV_USAGE", `--host ${unknown.join(", ")}: not a host of ${ctx.configFile} (hosts: ${allHostNames(hosts).join(", ") || "none listed"})`, {
      action: "Name a host listed under logging-bootstrap:hosts in the stack file.",
      details: { hosts: unknown },
    });
  }
  // Repair's checkpoint exported the state a moment ago in this run; drift has none and exports it here.
  const resources = ctx.state?.resources ?? ((await ctx.ops!.exportState()) as { deployment?: { resources?: Array<{ urn?: unknown; type?: unknown }> } }).deployment?.resources ?? [];
  const r = scopedStep(p, resources, ctx.stackInfo?.projectName ?? ctx.stack, hosts);
  if ("step" in r) guardStep(ctx.mode, r);
  return r;
}
