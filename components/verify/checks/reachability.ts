// L2: Loki reachable from inside the stack network (a probe container), not just from the host.
import { evaluateGreen, GreenCriteria } from "../contract";
import type { Io, ProofResult } from "../types";
import { finish, probeHttp, ProbeSpec, retryUntil, transportReason } from "./common";

export interface ReachabilityInput {
  probe: ProbeSpec;
  /** e.g. http://loki:3100/ready (the network alias, not a host port). */
  url: string;
  expectStatus: number;
  green: GreenCriteria;
  timeoutMs: number;
  attempts: number;
  deadlineSeconds: number;
}

export async function checkReachability(input: ReachabilityInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const log: Record<string, unknown>[] = [];
  const ep = { id: "loki-from-stack-network", expectStatus: input.expectStatus, green: input.green };
  let res: { findings: string[] };
  try {
    res = (
      await retryUntil(io.clock, { deadlineMs: input.deadlineSeconds * 1000, maxAttempts: input.attempts, backoff: { initialMs: 250, factor: 2, maxMs: 2000 } }, async (n) => {
        const r = await probeHttp(io, input.probe, input.url, input.timeoutMs);
        const findings = r.status === undefined ? [`${input.url} not reachable from network ${input.probe.network}: ${r.error}`] : evaluateGreen(ep, r.status, r.body).map((f) => `${input.url} from network ${input.probe.network}: ${f}`);
        log.push({ attempt: n, status: r.status ?? null, exitCode: r.exitCode, error: r.error ?? null, body: r.body.slice(0, 200), findings });
        return { findings };
      })
    ).last;
  } catch (e) {
    res = { findings: [`probe container could not run on network ${input.probe.network}: ${transportReason(e)}`] };
    log.push({ error: (e as Error).message });
  }
  return finish("L2", t0, io.clock, { findings: res.findings, diagnostics: { url: input.url, network: input.probe.network, image: input.probe.image, attempts: log }, redCode: "E_NETWORK_UNREACHABLE" });
}
