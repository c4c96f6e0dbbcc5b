// What a HostProof's provider does when the engine calls it (providers.ts loads this module lazily).
// Create and update run the whole host proof (checks/host.ts: a marker written on the host comes back
// from Loki); read (refresh) runs only its read-only half (host-read.ts), on the marker the last apply
// wrote, so a healthy fleet refreshes with no changes and nothing is written on a host. The host's
// engine is reached through makeIo({ docker }) with the proof's secret TLS leaves (tcp://).
import * as crypto from "crypto";
import { BootstrapError, ErrorCode, toErrorRecord } from "../../contracts/errors";
import { checkHost, hostInputFromProps, HOST_REQUIRED_INPUTS } from "./checks/host";
import type { HostResult } from "./checks/host";
import { checkHostRead } from "./host-read";
import { engineFromProps } from "./host-spec";
import { makeIo } from "./io";
import { canonical, desired, proofDiff, STATE_SECRET_KEYS } from "./runtime";

type Props = Record<string, unknown>;

/** The outputs a host proof adds to its desired inputs (besides the secret leaves it keeps for refresh). */
export const HOST_OUTPUT_KEYS = ["status", "code", "findings", "marker"] as const;

export function hostCheck(news: Props): { inputs: Props; failures: { property: string; reason: string }[] } {
  const missing = HOST_REQUIRED_INPUTS.filter((k) => news[k] === undefined || news[k] === null);
  const failures: { property: string; reason: string }[] = missing.map((k) => ({ property: k, reason: `the host proof needs ${k}` }));
  if (failures.length === 0) {
    const parsed = hostInputFromProps(news);
    if (!parsed.ok) failures.push(...parsed.problems.map((p) => ({ property: p.split(" ")[0], reason: p })));
  }
  return { inputs: news, failures };
}

/** Re-run when the desired inputs change, the last verdict was not settled, or the marker aged out (runtime.ts proofDiff). */
export function hostDiff(olds: Props, news: Props, nowMs: number = Date.now()) {
  return proofDiff(olds, news, nowMs);
}

export function hostProofId(props: Props): string {
  return `host-${String(props.host)}-${crypto.createHash("sha256").update(canonical(desired(props))).digest("hex").slice(0, 16)}`;
}

/** Outputs: the desired inputs (no secret), the secret leaves refresh needs again, the verdict and the marker. Nothing time-dependent. */
export function hostProofOutputs(props: Props, r: Pick<HostResult, "status" | "code" | "findings" | "outputs">): Props {
  const kept = Object.fromEntries(STATE_SECRET_KEYS.filter((k) => typeof props[k] === "string").map((k) => [k, props[k]]));
  const out: Props = { ...desired(props), ...kept, status: r.status, findings: [...r.findings] };
  if (r.outputs?.marker) out.marker = r.outputs.marker;
  if (r.code) out.code = r.code;
  return out;
}

/** The error `pulumi up` shows for a red host: its code first, the findings (each naming the host), diagnostics cut. */
export function hostProofError(r: HostResult): BootstrapError {
  const code = (r.code ?? "E_PROOF_HOST_SILENT") as ErrorCode;
  const diag = JSON.stringify(r.diagnostics);
  return new BootstrapError(code, `host ${r.host} proof is red: ${r.findings.join("; ")}\ndiagnostics: ${diag.length > 6000 ? diag.slice(0, 6000) + "…(truncated)" : diag}`, { details: { host: r.host, findings: r.findings } });
}

/** One run on a fresh Io for the host's engine; never throws for a red host (a verdict instead). */
export async function hostRun(props: Props, mode: "apply" | "read"): Promise<HostResult> {
  const host = String(props.host ?? "");
  const parsed = hostInputFromProps(props);
  if (!parsed.ok) return { host, status: "red", code: "E_INTERNAL", durationMs: 0, findings: parsed.problems.map((p) => `${host}: ${p}`), diagnostics: {} };
  try {
    const io = await makeIo({ docker: engineFromProps(props) });
    try {
      if (mode === "apply") return await checkHost(parsed.input, io);
      const retention = typeof props.retentionSeconds === "number" ? props.retentionSeconds : 86_400;
      return await checkHostRead(parsed.input, typeof props.marker === "string" ? props.marker : undefined, retention, io);
    } finally {
      await io.docker.closeProbes();
    }
  } catch (e) {
    const rec = toErrorRecord(e);
    return { host, status: "red", code: rec.code === "E_INTERNAL" ? "E_PROOF_HOST_UNREACHABLE" : rec.code, durationMs: 0, findings: [`${host}: ${rec.message.split("\n")[0]}`], diagnostics: { error: rec } };
  }
}

export async function hostCreate(inputs: Props): Promise<{ id: string; outs: Props }> {
  const r = await hostRun(inputs, "apply");
  if (r.status === "red") throw hostProofError(r);
  return { id: hostProofId(inputs), outs: hostProofOutputs(inputs, r) };
}

export async function hostUpdate(news: Props): Promise<{ outs: Props }> {
  const r = await hostRun(news, "apply");
  if (r.status === "red") throw hostProofError(r);
  return { outs: hostProofOutputs(news, r) };
}

/** Refresh: the read-only half on the state's marker; a red host is recorded (the next `up` proves it again), not thrown. */
export async function hostRead(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const r = await hostRun(props, "read");
  return { id, props: hostProofOutputs(props, r) };
}
