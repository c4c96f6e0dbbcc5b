// A fleet's `pulumi up` goes on past a host it cannot reach (Pulumi's continue-on-error) and the run
// names that host. Pure: which hosts a stack file lists besides the central one, and which of them
// the resources an operation failed on belong to (docs/FLEET.md "Names": a host X's resources are
// `<project>-X-...`, children of its `logging-bootstrap:fleet:HostAgents` component `<project>-X`, or
// its proof `<project>-X-host`).
import fs from "node:fs";
import YAML from "yaml";
import { errorRecord, ErrorRecord } from "../../../contracts/errors";

const NS = "logging-bootstrap:";
export const HOST_AGENTS_TYPE = "logging-bootstrap:fleet:HostAgents";
export const HOST_PROOF_TYPE = "pulumi-nodejs:dynamic/logging-bootstrap:HostProof";

/** The names of a stack file's non-central hosts (`logging-bootstrap:hosts`), in order; [] for anything else. */
export function remoteHostNames(stackFileText: string): string[] {
  return hostNamesOf(stackFileText).remote;
}

/** A stack file text's hosts: the central one (when the file lists hosts) and the others, in order. */
export function hostNamesOf(stackFileText: string): { central?: string; remote: string[] } {
  let doc: unknown;
  try {
    doc = YAML.parse(stackFileText);
  } catch {
    return { remote: [] };
  }
  const hosts = (doc as { config?: Record<string, unknown> } | null)?.config?.[`${NS}hosts`];
  if (!Array.isArray(hosts)) return { remote: [] };
  const named = hosts.filter((h): h is { name: string; central?: unknown } => !!h && typeof h === "object" && typeof (h as { name?: unknown }).name === "string");
  const central = named.find((h) => h.central === true)?.name;
  return { ...(central ? { central } : {}), remote: named.filter((h) => h.central !== true).map((h) => h.name) };
}

/** Every host name of hostNamesOf's answer, the central one first. */
export function allHostNames(hosts: { central?: string; remote: readonly string[] }): string[] {
  return [...(hosts.central ? [hosts.central] : []), ...hosts.remote];
}

/** remoteHostNames of a file; [] when it cannot be read (the lint reports a broken file). */
export function remoteHostsOfFile(file: string): string[] {
  return hostNamesOfFile(file).remote;
}

/**
 * The host a resource belongs to, by its URN: a child of host X's HostAgents component (the
 * component's name `<project>-X` is the prefix of every child's), the component itself, or X's
 * HostProof. Undefined for the central host's resources and the stack's own.
 */
export function hostOfUrn(urn: string, project: string, hosts: readonly string[]): string | undefined {
  const i = urn.lastIndexOf("::");
  if (i < 0) return undefined;
  const name = urn.slice(i + 2);
  const types = urn.slice(0, i);
  const fleetType = types.includes(HOST_AGENTS_TYPE) || types.endsWith(HOST_PROOF_TYPE);
  if (!fleetType) return undefined;
  // The longest host name first: hosts `web` and `web1` both prefix `<project>-web1-alloy`.
  for (const h of [...hosts].sort((a, b) => b.length - a.length)) {
    const base = `${project}-${h}`;
    if (name === base || name.startsWith(`${base}-`)) return h;
  }
  return undefined;
}

/** Failed resources grouped by host (hosts in config order); `other` holds those of no host. */
export function failuresByHost(failed: readonly string[], project: string, hosts: readonly string[]): { byHost: Map<string, string[]>; other: string[] } {
  const byHost = new Map<string, string[]>();
  const other: string[] = [];
  for (const urn of failed) {
    const h = hostOfUrn(urn, project, hosts);
    if (h === undefined) other.push(urn);
    else byHost.set(h, [...(byHost.get(h) ?? []), urn]);
  }
  return { byHost: new Map(hosts.filter((h) => byHost.has(h)).map((h) => [h, byHost.get(h)!])), other };
}

/**
 * The failure of an `up` that continued past failing resources, with the hosts they belong to named
 * first: `pulumi up continued past host c (3 resources failed; every other change was applied): <cause>`.
 * The record keeps the cause's code (e.g. the engine's E_RUNTIME_DEPLOY_FAILED, a proof's code);
 * details.hosts lists the hosts, details.hostResources their failed resources' names.
 */
export function namingHosts(rec: ErrorRecord, failed: readonly string[], project: string, hosts: readonly string[]): ErrorRecord {
  const { byHost, other } = failuresByHost(failed, project, hosts);
  if (!byHost.size) return rec;
  const names = [...byHost.keys()];
  const count = [...byHost.values()].reduce((n, l) => n + l.length, 0);
  const where = `host${names.length > 1 ? "s" : ""} ${names.join(", ")}`;
  const rest = other.length ? `; ${other.length} other resource(s) failed as well` : "; every other change was applied";
  const hostResources = Object.fromEntries([...byHost].map(([h, urns]) => [h, urns.map((u) => u.slice(u.lastIndexOf("::") + 2))]));
  return errorRecord(rec.code, `pulumi up continued past ${where} (${count} resource${count === 1 ? "" : "s"} failed${rest}): ${rec.message.replace(/^pulumi \w+: /, "")}`, {
    ...(rec.action ? { action: rec.action } : {}),
    details: { ...(rec.details ?? {}), hosts: names, hostResources, continuedOnError: true },
  });
}

/** hostNamesOf a file; no hosts when it cannot be read (the lint reports a broken file). */
export function hostNamesOfFile(file: string): { central?: string; remote: string[] } {
  try {
    return hostNamesOf(fs.readFileSync(file, "utf8"));
  } catch {
    return { remote: [] };
  }
}

/**
 * The URNs `--host` selects in the state: each named non-central host's resources (hostOfUrn), and
 * for the central host every resource of no other host. The stack itself and providers are left
 * out: nothing to refresh or rebuild in them, and a targeted operation loads the providers it needs.
 */
export function urnsOfHosts(resources: ReadonlyArray<{ urn?: unknown; type?: unknown }>, project: string, hosts: { central?: string; remote: readonly string[] }, selected: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of resources) {
    if (typeof r.urn !== "string") continue;
    const type = typeof r.type === "string" ? r.type : "";
    if (type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:")) continue;
    const h = hostOfUrn(r.urn, project, hosts.remote) ?? hosts.central;
    if (h !== undefined && selected.includes(h)) out.push(r.urn);
  }
  return out;
}
