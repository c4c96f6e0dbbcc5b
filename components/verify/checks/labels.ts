// L4 labels: on the stream the proof itself caused (L3's marker line), every required label is
// there and every proven canary is redacted; across this stack's streams, Docker containers and
// journald units stay inside their allowlists and no label exceeds the cardinality limit; the
// running Alloy (its component API) runs the rendered pipeline with its allowlists and redaction
// stages; without a published Alloy port that part is a static check of the rendered config, and
// the result says so (a warning). Nothing here depends on traffic a quiet host may not have:
// without other streams, only the marker's must exist.
import type { ErrorCode } from "../../../contracts/errors";
import type { RedactionLike } from "../../../contracts/config/redaction";
import { checkAlloyPipeline, STATIC_MODE } from "../alloy-structure";
import type { Io, ProofResult } from "../types";
import { finish, isObj, joinUrl, parseJson, transportReason } from "./common";
import { canaryFindings, findMarker, markerLine, provenRedactions } from "./ingestion";
import { markerExpired, markerWindow } from "../evidence";

export interface LabelsInput {
  lokiUrl: string;
  requiredLabels: string[];
  cardinalityLimit: number;
  /** Window the label APIs look at (allowlists, cardinality). */
  lookbackSeconds: number;
  alloyConfig: string;
  /** Alloy's published URL: the pipeline is read from the running Alloy's component API. */
  alloyUrl?: string;
  dockerAllowlist: string[];
  journaldUnits: string[];
  redactionCount: number;
  timeoutMs: number;
  /** Streams this stack's Alloy pushes carry project=<projectName> (loki.write external_labels). */
  projectName: string;
  /** L3's marker (its output `marker`): the line (and stream) this proof checks. */
  ingestionMarker?: string;
  /** Selector of the marker's stream ({filename="<logsRoot>/<markerFile>"}). */
  markerSelector: string;
  /** The logs retention: a marker older than that is re-proved, not looked for (evidence.ts). */
  retentionSeconds: number;
  /** L3's wall clock: the marker reaches Loki within it after its second. */
  ingestionTimeoutSeconds: number;
  redactions: RedactionLike[];
  /**
   * A fleet: the Alloy lists of every non-central host (hostAlloy). Its streams carry host=<name> and
   * are judged against its own lists; the other streams (the central host's) against dockerAllowlist
   * and journaldUnits. Absent for one host.
   */
  hostAllowlists?: HostAllowlist[];
  /**
   * A fleet: the central host's name. Its streams (host="<name>", or no host label: shipped before
   * schema v3) are judged against the top-level lists; a host no longer in the config (removed, its
   * logs kept) has no lists to judge its streams by.
   */
  centralHost?: string;
}

/** A non-central host's Alloy lists, as L4 judges that host's streams. */
export interface HostAllowlist {
  host: string;
  dockerAllowlist: string[];
  journaldUnits: string[];
}

/** Which streams are judged against which lists: a `prefix` for findings, the stream selector, the lists by label. */
export interface AllowlistScope {
  prefix: string;
  selector: string;
  lists: { container: string[]; unit: string[] };
}

/**
 * The central host's streams (host="<central>" or none) against the top-level lists: with one host
 * too, so the streams of a host removed from the config are not judged by them. Without
 * centralHost: every stream (one host) or every stream of no listed host (a fleet). A fleet: each
 * other host's streams ({host="X"}) against its lists. Host names are DNS
 * labels, so they need no escaping in the regex.
 */
export function allowlistScopes(input: Pick<LabelsInput, "projectName" | "dockerAllowlist" | "journaldUnits" | "hostAllowlists" | "centralHost">): AllowlistScope[] {
  const project = `project=${JSON.stringify(input.projectName)}`;
  const others = input.hostAllowlists ?? [];
  const central = { container: input.dockerAllowlist, unit: input.journaldUnits };
  const own = input.centralHost ? `{${project},host=~${JSON.stringify(`${input.centralHost}|`)}}` : undefined;
  if (!others.length) return [{ prefix: "", selector: own ?? `{${project}}`, lists: central }];
  return [
    { prefix: "", selector: own ?? `{${project},host!~${JSON.stringify(others.map((h) => h.host).join("|"))}}`, lists: central },
    ...others.map((h) => ({ prefix: `host ${h.host}: `, selector: `{${project},host=${JSON.stringify(h.host)}}`, lists: { container: h.dockerAllowlist, unit: h.journaldUnits } })),
  ];
}

function lokiStringList(res: { status: number; body: string }): string[] | string {
  if (res.status !== 200) return `HTTP ${res.status}`;
  const p = parseJson(res.body);
  if (!p.ok || !isObj(p.value)) return "body is not a JSON object";
  if (p.value.status !== "success") return `status is ${JSON.stringify(p.value.status)}`;
  const data = p.value.data ?? [];
  if (!Array.isArray(data) || !data.every((x) => typeof x === "string")) return "data is not a list of strings";
  return data as string[];
}

const ns = (ms: number) => (BigInt(ms) * 1_000_000n).toString();

/** The marker's stream: its labels (the required ones present and not empty) and its line (canaries redacted). */
async function markerStream(input: LabelsInput, io: Io, diagnostics: Record<string, unknown>): Promise<{ missing: string[]; redaction: string[]; expired?: string }> {
  if (!input.ingestionMarker) return { missing: ["no marker from the ingestion proof to check labels on (verify.ingestion must be on)"], redaction: [] };
  const now = io.clock.now();
  const expired = markerExpired(input.ingestionMarker, input.retentionSeconds, now);
  if (expired) return { missing: [], redaction: [], expired };
  const query = `${input.markerSelector} |= ${JSON.stringify(`marker=${input.ingestionMarker}`)}`;
  const w = markerWindow(input.ingestionMarker, now, input);
  const params = new URLSearchParams({ query, start: ns(w.startMs), end: ns(w.endMs), limit: "10", direction: "backward" });
  diagnostics.marker = { marker: input.ingestionMarker, query, window: { start: new Date(w.startMs).toISOString(), end: new Date(w.endMs).toISOString() } };
  const res = await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/query_range")}?${params}`, timeoutMs: input.timeoutMs });
  const parsed = parseJson(res.body);
  if (res.status !== 200 || !parsed.ok) {
    // Loki's error body says why (e.g. "the query time range exceeds the limit"): name it.
    const why = res.body.trim().split("\n")[0].slice(0, 200);
    return { missing: [`loki query_range for the marker: HTTP ${res.status}${why ? ` (${why})` : ""}`], redaction: [] };
  }
  const m = findMarker(parsed.value, input.ingestionMarker);
  if (!m.ok) return { missing: [`loki query_range for the marker: ${m.problem}`], redaction: [] };
  if (!m.entry) return { missing: [`the ingestion proof's marker ${input.ingestionMarker} is not in Loki although it is younger than the logs retention: logs were lost`], redaction: [] };
  const labels = m.entry.labels;
  diagnostics.markerLabels = labels;
  const missing = input.requiredLabels.filter((l) => !(typeof labels[l] === "string" && labels[l] !== "")).map((l) => `required label ${l} is absent from the marker's stream`);
  return { missing, redaction: canaryFindings(input.redactions, markerLine(input.ingestionMarker, input.redactions), m.entry.line) };
}

export async function checkLabels(input: LabelsInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const now = io.clock.now();
  const scope = `{project=${JSON.stringify(input.projectName)}}`;
  const window = new URLSearchParams({ query: scope, start: ns(now - input.lookbackSeconds * 1000), end: ns(now + 1000) });
  const missing: string[] = [];
  const redaction: string[] = [];
  const allowlist: string[] = [];
  const cardinality: string[] = [];
  let expired: string | undefined;
  const diagnostics: Record<string, unknown> = { scope, lookbackSeconds: input.lookbackSeconds, cardinalityLimit: input.cardinalityLimit };
  try {
    const own = await markerStream(input, io, diagnostics);
    expired = own.expired;
    missing.push(...own.missing);
    redaction.push(...own.redaction);
    const labels = lokiStringList(await io.http({ url: `${joinUrl(input.lokiUrl, "/loki/api/v1/labels")}?${window}`, timeoutMs: input.timeoutMs }));
    if (typeof labels === "string") {
      missing.push(`loki labels API: ${labels}`);
    } else {
      diagnostics.labels = [...labels].sort();
      const values = await Promise.all(
        labels.map(async (l) => [l, lokiStringList(await io.http({ url: `${joinUrl(input.lokiUrl, `/loki/api/v1/label/${encodeURIComponent(l)}/values`)}?${window}`, timeoutMs: input.timeoutMs }))] as const),
      );
      diagnostics.cardinality = Object.fromEntries([...values].sort((a, b) => a[0].localeCompare(b[0])).map(([l, v]) => [l, typeof v === "string" ? v : v.length]));
      for (const [l, v] of values) {
        if (typeof v === "string") missing.push(`values of label ${l}: ${v}`);
        else if (v.length > input.cardinalityLimit) cardinality.push(`label ${l} has ${v.length} distinct values (limit ${input.cardinalityLimit})`);
      }
      // What reached Loki, against what Alloy may ship: the pipeline's allowlists, proven on its output
      // (per host in a fleet: each host's streams against the lists its Alloy runs with).
      const scopes = allowlistScopes(input);
      const all = new Map(values);
      for (const sc of scopes) {
        for (const l of ["container", "unit"] as const) {
          if (!labels.includes(l)) continue;
          let v = all.get(l);
          if (scopes.length > 1) {
            const q = new URLSearchParams({ query: sc.selector, start: window.get("start")!, end: window.get("end")! });
            v = lokiStringList(await io.http({ url: `${joinUrl(input.lokiUrl, `/loki/api/v1/label/${l}/values`)}?${q}`, timeoutMs: input.timeoutMs }));
            if (typeof v === "string") missing.push(`${sc.prefix}values of label ${l} for ${sc.selector}: ${v}`);
          }
          if (v === undefined || typeof v === "string") continue;
          const allowed = sc.lists[l];
          const outside = v.filter((x) => !allowed.includes(x)).sort();
          if (outside.length) allowlist.push(`${sc.prefix}${l} ${outside.map((x) => JSON.stringify(x)).join(", ")} reached Loki but ${sc.prefix ? "its " : ""}${l === "container" ? "alloy.dockerAllowlist" : "alloy.journaldUnits"} does not list ${outside.length === 1 ? "it" : "them"}`);
        }
      }
    }
  } catch (e) {
    missing.push(`loki API: no answer (${transportReason(e)})`);
  }
  const structure = await checkAlloyPipeline(
    { alloyConfig: input.alloyConfig, dockerAllowlist: input.dockerAllowlist, journaldUnits: input.journaldUnits, redactionCount: input.redactionCount, redactions: input.redactions, timeoutMs: input.timeoutMs, ...(input.alloyUrl ? { alloyUrl: input.alloyUrl } : {}) },
    io,
  );
  diagnostics.alloy = { checked: structure.mode, ...structure.facts, redactionStages: structure.redactionStages, errors: [...structure.errors, ...structure.redaction, ...structure.allowlist] };
  missing.push(...structure.errors);
  redaction.push(...structure.redaction);
  allowlist.push(...structure.allowlist);
  // Absence first: counts and values are meaningless while the pipeline or the marker is wrong.
  const findings = [...missing, ...redaction, ...allowlist, ...cardinality];
  const redCode: ErrorCode = missing.length ? "E_PROOF_LABEL_MISSING" : redaction.length ? "E_PROOF_REDACTION_FAILED" : allowlist.length ? "E_PROOF_ALLOWLIST_BREACH" : "E_PROOF_CARDINALITY";
  const unproven = input.redactions.filter((r) => !provenRedactions([r]).length).map((r) => r.name);
  const warn = expired
    ? { code: "E_PROOF_REPROVE_NEEDED" as ErrorCode, findings: [`${expired}; the labels of its stream are not checked: the next apply writes a new marker and proves again`] }
    : input.redactionCount === 0 && structure.redactionStages === 0
      ? { code: "E_PROOF_REDACTION_ABSENT" as ErrorCode, findings: ["alloy pipeline has no redaction stage (alloy.redactions is empty): accepted risk, recorded"] }
      : unproven.length
        ? { code: "E_PROOF_REDACTION_UNPROVEN" as ErrorCode, findings: [`redaction ${unproven.join(", ")} has no canary: configured, not proven on the pipeline (add alloy.redactions[].canary)`] }
        : undefined;
  if (warn) diagnostics.acceptedRisk = warn.findings[0];
  // Without Alloy's port the pipeline part is a static check of the rendered config: the result says so.
  const pipelineNote = structure.mode === STATIC_MODE ? `${STATIC_MODE}: ports.alloy is not published, so the allowlists and redaction stages were read from the rendered file, not from the running Alloy` : undefined;
  const warned = pipelineNote ? { code: warn?.code ?? ("E_PROOF_PIPELINE_STATIC" as ErrorCode), findings: [...(warn?.findings ?? []), pipelineNote] } : warn;
  return finish("L4", t0, io.clock, { findings, diagnostics, redCode, warn: warned });
}
