// L7 provenance: every container runs the pinned/recorded image.
import type { Io, ProofResult } from "../types";
import { finish, transportReason } from "./common";

export interface ProvenanceTarget {
  service: string;
  container: string;
  /** The image reference from config (tag, optionally @sha256:digest). */
  imageRef: string;
  /** RemoteImage.imageId: the image the container must run. */
  imageId: string;
  /** RemoteImage.repoDigest (`repo@sha256:...`) when the image came from a registry; "" otherwise. */
  repoDigest?: string;
  /** Why no independent digest backs the expectation (no recorded state and no registry answer). */
  unverified?: string;
}
export interface ProvenanceInput {
  containers: ProvenanceTarget[];
}

function digestOf(ref: string): string | undefined {
  const m = /@(sha256:[0-9a-f]{64})$/.exec(ref);
  return m ? m[1] : undefined;
}

export async function checkProvenance(input: ProvenanceInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const per = await Promise.all(
    input.containers.map(async (t) => {
      const c = await io.docker.inspectContainer(t.container);
      if (!c) return { t, findings: [`${t.service}: container ${t.container} does not exist`], seen: null, unpinned: false };
      const findings: string[] = [];
      if (c.imageId !== t.imageId) findings.push(`${t.service}: container ${t.container} runs image ${c.imageId}, recorded ${t.imageId}`);
      const img = await io.docker.inspectImage(c.imageId);
      const digests = (img?.repoDigests ?? []).map((d) => digestOf(d)).filter((d): d is string => !!d);
      const pinned = digestOf(t.imageRef);
      if (pinned && !digests.includes(pinned)) findings.push(`${t.service}: image of ${t.container} does not carry the pinned digest ${pinned}`);
      const recorded = t.repoDigest ? digestOf(t.repoDigest) : undefined;
      if (recorded && !digests.includes(recorded)) findings.push(`${t.service}: image of ${t.container} does not carry the recorded digest ${recorded}`);
      // Neither a pinned nor a recorded digest: the only record is the image id Pulumi itself took
      // from the engine, so a re-tagged image would vouch for itself.
      return { t, findings, seen: { imageId: c.imageId, repoDigests: img?.repoDigests ?? [] }, unpinned: !pinned && !recorded };
    }),
  ).catch((e) => [{ t: null, findings: [`docker: ${transportReason(e)}`], seen: null, unpinned: false }]);
  const diagnostics = { containers: per.map((p) => ({ service: p.t?.service ?? null, container: p.t?.container ?? null, expected: p.t ? { imageId: p.t.imageId, repoDigest: p.t.repoDigest ?? "" } : null, seen: p.seen })) };
  const unpinned = per.filter((p) => p.unpinned && p.t).map((p) => p.t!);
  const reasons = [...new Set(unpinned.map((t) => t.unverified).filter((r): r is string => !!r))].sort();
  const warn = unpinned.length
    ? {
        code: "E_PROOF_PROVENANCE_UNPINNED" as const,
        findings: [
          `${unpinned.map((t) => t.service).join(", ")}: unverified: no pinned or registry digest to compare with, only the image id the engine holds${reasons.length ? ` (${reasons.join("; ")})` : ""} (pin images.<service> with @sha256:<digest>, or pull them from a registry)`,
        ],
      }
    : undefined;
  return finish("L7", t0, io.clock, { findings: per.flatMap((p) => p.findings), diagnostics, redCode: "E_PROOF_PROVENANCE_MISMATCH", warn });
}
