// L8 config drift: the files inside each container are the rendered ones.
import { createHash } from "crypto";
import type { Io, ProofResult } from "../types";
import { finish, transportReason } from "./common";

export interface DriftTarget {
  service: string;
  container: string;
  /** Path inside the container -> rendered SHA-256 (hex). */
  files: Record<string, string>;
}
export interface DriftInput {
  containers: DriftTarget[];
  timeoutMs: number;
}

/** Largest config file L8 reads (rendered configs are kilobytes; a huge file is itself a finding). */
const DRIFT_MAX_BYTES = 8 * 1024 * 1024;

export async function checkConfigDrift(input: DriftInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const per = await Promise.all(
    input.containers.map(async (t) => {
      const paths = Object.keys(t.files).sort();
      const seen: Record<string, string> = {};
      if (paths.length === 0) return { t, findings: [] as string[], seen, via: "none" };
      // The engine's archive API, not an exec of sha256sum: it needs nothing inside the image
      // (distroless images have no shell), and the hash is computed by the code that compares it.
      const via = "docker archive API";
      try {
        const c = await io.docker.inspectContainer(t.container);
        if (!c) return { t, findings: [`${t.service}: container ${t.container} does not exist`], seen, via };
        if (!c.running) return { t, findings: [`${t.service}: container ${t.container} is ${c.state}`], seen, via };
        const findings: string[] = [];
        const files = await Promise.all(paths.map((p) => io.docker.readFile(t.container, p, DRIFT_MAX_BYTES, input.timeoutMs)));
        paths.forEach((p, i) => {
          const f = files[i];
          if (f.kind === "missing") findings.push(`${t.service}: ${p} is missing in ${t.container}`);
          else if (f.kind === "not-a-file") findings.push(`${t.service}: ${p} in ${t.container} is a ${f.type}, not a regular file`);
          else if (f.kind === "too-large") findings.push(`${t.service}: ${p} in ${t.container} is ${f.size} bytes, larger than any rendered file`);
          else {
            seen[p] = createHash("sha256").update(f.content).digest("hex");
            if (seen[p] !== t.files[p]) findings.push(`${t.service}: ${p} in ${t.container} has sha256 ${seen[p]}, rendered ${t.files[p]}`);
          }
        });
        return { t, findings, seen, via };
      } catch (e) {
        return { t, findings: [`${t.service}: container ${t.container} cannot be read (${transportReason(e)})`], seen, via };
      }
    }),
  );
  const diagnostics = { containers: per.map((p) => ({ service: p.t.service, container: p.t.container, via: p.via, rendered: p.t.files, seen: p.seen })) };
  return finish("L8", t0, io.clock, { findings: per.flatMap((p) => p.findings), diagnostics, redCode: "E_PROOF_CONFIG_DRIFT" });
}
