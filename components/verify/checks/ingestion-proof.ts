// L3 as apply runs it: the marker written and found (./ingestion.ts), then every configured source
// shown the way refresh shows it (./sources.ts through checkIngestionPath). Apply and refresh reach
// the same verdict on a healthy stack, so a quiet host's journal (shown neither time) is a warning
// both times and `pulumi refresh --expect-no-changes` finds no change, instead of a green apply
// that every refresh contradicts.
import type { ErrorCode } from "../../../contracts/errors";
import type { Io, ProofResult } from "../types";
import { checkIngestion, checkIngestionPath, ingestionReadInput, type IngestionInput } from "./ingestion";

/** How long apply waits at most for the sources to show (lines of just-started containers are on their way). */
export const SOURCES_SETTLE_MS = 20_000;

/** L3's inputs: the marker's, and (for the sources) the stack's project, Alloy URL and allowlists. */
export type IngestionProofInput = IngestionInput & { projectName?: string; alloyUrl?: string; retentionSeconds?: number; dockerAllowlist?: string[]; journaldUnits?: string[] };

export async function checkIngestionProof(input: IngestionProofInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const marked = await checkIngestion(input, io);
  const marker = marked.outputs?.marker;
  if (marked.status === "red" || typeof marker !== "string" || typeof input.projectName !== "string") return marked;
  const read = ingestionReadInput({ ...(input as unknown as Record<string, unknown>), marker });
  const deadline = io.clock.now() + Math.min(SOURCES_SETTLE_MS, input.timeoutSeconds * 1000);
  let path: ProofResult;
  let attempts = 0;
  // Bounded: until every source is shown, one is red, or the settle time ends.
  for (;;) {
    attempts++;
    path = await checkIngestionPath(read, io);
    if (path.status !== "warn" || io.clock.now() >= deadline || attempts >= 40) break;
    await io.clock.sleep(Math.min(Math.max(input.pollIntervalMs, 250), Math.max(0, deadline - io.clock.now())));
  }
  const diagnostics = { ...marked.diagnostics, sources: path.diagnostics.sources ?? path.diagnostics, sourceAttempts: attempts };
  const durationMs = io.clock.now() - t0;
  if (path.status === "green") return { ...marked, diagnostics, durationMs };
  return { ...marked, status: path.status, code: (path.code ?? "E_PROOF_INGESTION_STALLED") as ErrorCode, findings: path.findings, diagnostics, durationMs };
}
