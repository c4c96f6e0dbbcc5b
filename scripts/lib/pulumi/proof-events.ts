// The proofs an operation ran, from the engine's own events (Automation API `onEvent`): for every
// proof resource (L1-L9, a fleet host's HostProof) the step the engine took (`same`, `update`,
// `create`, ...), how long it took on the local clock, and, when the provider ran it, the verdict
// its outputs carry (status, code, findings; L3's marker): the resource-outputs event holds the
// outputs the provider returned. Pure: the run wrapper feeds it every event of `up`.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { Level } from "../../../components/verify/types";
import { levelOfType } from "./engine-events";

export const HOST_PROOF_TYPE = "pulumi-nodejs:dynamic/logging-bootstrap:HostProof";

/** Steps in which the engine had the provider run the proof (create/update: the whole proof). */
export const RAN_OPS: ReadonlySet<string> = new Set(["create", "update", "create-replacement"]);

export interface ProofVerdict {
  status: "green" | "warn" | "red";
  code?: string;
  findings: string[];
  /** L3's marker, a host proof's marker. */
  marker?: string;
  /** L1: the service the proof is of. HostProof: the host. */
  service?: string;
  host?: string;
}

export interface ProofStep {
  urn: string;
  type: string;
  /** L1-L9, or undefined for a host proof. */
  level?: Level;
  /** The step the engine took (its pre-event's op). */
  op: string;
  startedAt: number;
  /** Set once the step ended: its duration. */
  ms?: number;
  /** The verdict in the outputs, when the step ran the proof and they hold one. */
  verdict?: ProofVerdict;
}

export type ProofTrack = Map<string, ProofStep>;

export function newProofTrack(): ProofTrack {
  return new Map();
}

function isProofType(type: string): boolean {
  return type === HOST_PROOF_TYPE || levelOfType(type) !== undefined;
}

/** The verdict in a proof's outputs, or undefined when they hold none (absent, masked, malformed). */
export function verdictOf(outputs: unknown): ProofVerdict | undefined {
  if (!outputs || typeof outputs !== "object") return undefined;
  const o = outputs as Record<string, unknown>;
  if (o.status !== "green" && o.status !== "warn" && o.status !== "red") return undefined;
  if (!Array.isArray(o.findings) || !o.findings.every((f) => typeof f === "string")) return undefined;
  if (o.code !== undefined && typeof o.code !== "string") return undefined;
  const str = (k: string) => (typeof o[k] === "string" && o[k] !== "[secret]" ? { [k]: o[k] as string } : {});
  return { status: o.status, findings: [...(o.findings as string[])], ...(typeof o.code === "string" ? { code: o.code } : {}), ...str("marker"), ...str("service"), ...str("host") };
}

/** Absorb one event of an operation (planning events of a preview are ignored). */
export function absorbProof(t: ProofTrack, e: EngineEvent, now: number): void {
  if (e.resourcePreEvent && !e.resourcePreEvent.planning) {
    const m = e.resourcePreEvent.metadata;
    if (!isProofType(m.type)) return;
    t.set(m.urn, { urn: m.urn, type: m.type, level: levelOfType(m.type)?.level, op: m.op, startedAt: now });
    return;
  }
  if (e.resOutputsEvent && !e.resOutputsEvent.planning) {
    const m = e.resOutputsEvent.metadata;
    const s = t.get(m.urn);
    if (!s || s.ms !== undefined) return;
    s.ms = Math.max(0, now - s.startedAt);
    if (RAN_OPS.has(s.op)) {
      const v = verdictOf(m.new?.outputs);
      if (v) s.verdict = v;
    }
    return;
  }
  if (e.resOpFailedEvent) {
    const s = t.get(e.resOpFailedEvent.metadata.urn);
    if (s && s.ms === undefined) s.ms = Math.max(0, now - s.startedAt);
  }
}
