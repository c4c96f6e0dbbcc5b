// Apply's verify without proving twice what `up` just proved. `up` runs a level's proof resources
// when what they depend on changed (a new container, a new config); each returns its verdict
// (status, code, findings) as outputs, which the engine's resource-outputs events carry
// (scripts/lib/pulumi/proof-events.ts). A level counts as proven by this run's `up` only when every
// one of its proof resources ran in it (L1: the proof of every service) and its outputs hold a
// verdict; verify then runs the other levels only (a no-op `up` runs none: verify runs them all,
// as a drift check should), and the run's verify report lists every level, each either from
// verify or from its proof resource, which it names ("proven by up's proof resource <urn>").
// Diagnostics are not kept in state: a level proven by up has none but that note.
import { bucketOf, ErrorCode } from "../../../contracts/errors";
import { SERVICES } from "../../../contracts/config/schema";
import { exitCodeOf, HostReport, LevelReport } from "../../../components/verify/suite";
import type { SkippedLevel } from "../../../components/verify/spec";
import { LEVEL_NAMES, LEVELS } from "../../../components/verify/levels";
import type { Level, ProofStatus } from "../../../components/verify/types";
import { RAN_OPS, type ProofStep } from "../pulumi/proof-events";

export type ProvenLevel = LevelReport & { provenBy: "up" };

export interface ProvenByUp {
  levels: Partial<Record<Level, ProvenLevel>>;
  hosts: Array<HostReport & { provenBy: "up" }>;
}

const RANK: Record<ProofStatus, number> = { green: 0, warn: 1, red: 2 };

export function provenNote(urns: readonly string[]): string {
  return `proven by up's proof resource${urns.length > 1 ? "s" : ""} ${urns.join(", ")} in this run: status, code and findings are its outputs (the engine's resource-outputs event); its diagnostics are not kept in state`;
}

/** A step that ran its proof in this operation and returned a verdict. */
function ranWithVerdict(s: ProofStep): boolean {
  return RAN_OPS.has(s.op) && s.ms !== undefined && s.verdict !== undefined;
}

/** What this run's `up` proved, from its proof steps (ProofTrack values). Red proofs fail `up`: none are here. */
export function provenByUp(steps: Iterable<ProofStep>): ProvenByUp {
  const all = [...steps];
  const levels: ProvenByUp["levels"] = {};
  for (const level of LEVELS) {
    const mine = all.filter((s) => s.level === level);
    if (!mine.length || !mine.every(ranWithVerdict) || mine.some((s) => s.verdict!.status === "red")) continue;
    // L1: one proof per service, in the services' order (verify merges them the same way).
    const order = (s: ProofStep) => {
      const i = SERVICES.indexOf(s.verdict!.service as (typeof SERVICES)[number]);
      return i < 0 ? SERVICES.length : i;
    };
    const sorted = [...mine].sort((a, b) => order(a) - order(b) || a.urn.localeCompare(b.urn));
    const worst = sorted.reduce((a, b) => (RANK[b.verdict!.status] > RANK[a.verdict!.status] ? b : a));
    const status = worst.verdict!.status;
    const code = status === "green" ? undefined : (worst.verdict!.code as ErrorCode | undefined);
    const urns = sorted.map((s) => s.urn);
    const marker = sorted.find((s) => s.verdict!.marker)?.verdict!.marker;
    levels[level] = {
      level,
      name: LEVEL_NAMES[level],
      status,
      ...(code ? { code, bucket: bucketOf(code) } : {}),
      durationMs: Math.max(...sorted.map((s) => s.ms!)),
      findings: sorted.flatMap((s) => s.verdict!.findings),
      diagnostics: {
        provenBy: "up",
        note: provenNote(urns),
        resources: sorted.map((s) => ({ urn: s.urn, op: s.op, durationMs: s.ms, ...(s.verdict!.service ? { service: s.verdict!.service } : {}) })),
      },
      ...(marker ? { outputs: { marker } } : {}),
      provenBy: "up",
    };
  }
  const hosts: ProvenByUp["hosts"] = [];
  for (const s of all.filter((x) => x.level === undefined && ranWithVerdict(x) && x.verdict!.status !== "red")) {
    const v = s.verdict!;
    const host = v.host ?? s.urn.slice(s.urn.lastIndexOf("::") + 2).replace(/-host$/, "");
    const code = v.status === "green" ? undefined : (v.code as ErrorCode | undefined);
    hosts.push({ host, status: v.status, ...(code ? { code, bucket: bucketOf(code) } : {}), durationMs: s.ms!, findings: v.findings, diagnostics: { provenBy: "up", note: provenNote([s.urn]) }, provenBy: "up" });
  }
  return { levels, hosts };
}

/** The levels of the config's plan that verify still has to run. */
export function levelsToRun(planRun: readonly Level[], proven: ProvenByUp): Level[] {
  return planRun.filter((l) => !proven.levels[l]);
}

export interface RanReport {
  levels?: LevelReport[];
  hosts?: HostReport[];
  parallel?: boolean;
}

/**
 * The run's verify report (verify's own --json shape: stack, status, exitCode, parallel, durationMs,
 * levels, skipped, hosts) from what verify ran now and what `up` proved; a level or host verify ran
 * is reported from verify. `skipped` is the config's own plan (verify run with --levels lists the
 * levels it was not asked for, which were proven instead). `provenByUp` names the levels from up.
 */
export function composeReport(o: { stack: string; proven: ProvenByUp; ran?: RanReport; skipped: readonly SkippedLevel[]; durationMs: number }) {
  const ran = new Map((o.ran?.levels ?? []).map((l) => [l.level, l]));
  const levels: LevelReport[] = [];
  const fromUp: Level[] = [];
  for (const l of LEVELS) {
    const r = ran.get(l) ?? o.proven.levels[l];
    if (!r) continue;
    if (!ran.has(l)) fromUp.push(l);
    levels.push(r);
  }
  const ranHosts = o.ran?.hosts ?? [];
  const hosts = [...ranHosts, ...o.proven.hosts.filter((h) => !ranHosts.some((x) => x.host === h.host))];
  const exitCode = exitCodeOf([...levels, ...hosts]);
  return {
    stack: o.stack,
    status: exitCode === 2 ? ("red" as const) : exitCode === 1 ? ("warn" as const) : ("green" as const),
    exitCode,
    parallel: o.ran?.parallel ?? true,
    durationMs: o.durationMs,
    levels,
    skipped: [...o.skipped],
    ...(hosts.length ? { hosts } : {}),
    provenByUp: fromUp,
  };
}
