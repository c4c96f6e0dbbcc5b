// Evidence of one run (P1, P10, P12): the desired state (rendered SHA-256s) and provenance (image ->
// digest). Sources, best first: the stack outputs the program exports; otherwise the program evaluated
// in-process under mocks (evaluateProgram: the exact bytes each container receives);
// provenance is also read from the Docker engine. Read-only and best effort: what could not be read
// is recorded as such, never invented.
import crypto from "node:crypto";
import path from "node:path";
import { SERVICES, ServiceName } from "../../contracts/config/schema";
import { dockerClient, inspectImage, StackInfo } from "./docker-images";
import { KEBAB } from "../../components/defaults";
import { desiredFiles } from "../../contracts/plan";
import type { PlanResource } from "../../contracts/plan";
import { desiredShasFromOutputs, digestsFromOutputs } from "./steps";

export interface Evidence {
  desired: Record<string, unknown>;
  provenance: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  artifactHashes: Partial<Record<ServiceName, string>>;
  sources: string[];
}

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** The service a dotted output path or a container file belongs to (a path segment naming it). */
export function serviceOfPath(p: string): ServiceName | undefined {
  const segs = p.split(/[.[\]/:]+/).map((s) => s.toLowerCase());
  return SERVICES.find((s) => segs.includes(s.toLowerCase()) || segs.includes(KEBAB[s]) || segs.some((x) => x.endsWith(`-${KEBAB[s]}`)));
}

/** One hash per service over its files' SHAs (BootstrapStarted.artifact_hash). */
export function artifactHashes(files: Record<string, string>): Partial<Record<ServiceName, string>> {
  const by: Partial<Record<ServiceName, string[]>> = {};
  for (const [p, sha] of Object.entries(files)) {
    const s = serviceOfPath(p);
    if (s) (by[s] ??= []).push(`${p}=${sha}`);
  }
  const out: Partial<Record<ServiceName, string>> = {};
  for (const [s, list] of Object.entries(by)) out[s as ServiceName] = sha256(list!.sort().join("\n"));
  return out;
}

interface EvaluatedLike {
  resources: Array<Pick<PlanResource, "type" | "name" | "inputs">>;
}

/** Rendered files from an evaluation: every Container upload except secrets. */
export function desiredFromEvaluation(ev: EvaluatedLike): Record<string, string> {
  const files: Record<string, string> = {};
  for (const c of desiredFiles(ev)) {
    // A fleet's other host's container: `<host>/<service>` (the central host's keys are unchanged).
    const svc = `${c.host !== undefined ? `${c.host}/` : ""}${c.service ?? c.resource.name}`;
    for (const u of c.files) files[`${svc}:${u.path}`] = sha256(u.content);
  }
  return files;
}

export async function collectEvidence(o: {
  stack: string;
  root: string;
  configFile: string;
  stackInfo?: StackInfo;
  /** Reads the stack outputs (secrets as "[secret]"); absent: no Pulumi CLI to ask. */
  readOutputs?: () => Promise<Record<string, unknown> | undefined>;
  docker: boolean;
  outputs?: Record<string, unknown>;
  evaluate?: boolean;
}): Promise<Evidence> {
  const sources: string[] = [];
  let outputs = o.outputs;
  if (outputs) sources.push("outputs-file");
  else if (o.readOutputs) {
    outputs = await o.readOutputs().catch(() => undefined);
    if (outputs) sources.push("stack outputs");
  }
  let files = outputs ? desiredShasFromOutputs(outputs) : {};
  let desiredSource = Object.keys(files).length ? "stack outputs" : "none";
  if (!Object.keys(files).length && o.evaluate !== false) {
    try {
      // Loaded lazily: evaluating the program under mocks costs seconds and is only needed here.
      const { evaluateProgram } = (await import("./evaluate")) as { evaluateProgram: (x: { stack: string; configFile?: string }) => Promise<EvaluatedLike> };
      files = desiredFromEvaluation(await evaluateProgram({ stack: o.stack, configFile: o.configFile }));
      desiredSource = "evaluateProgram (program under mocks)";
      sources.push("evaluateProgram");
    } catch (err) {
      desiredSource = `unavailable: ${(err as Error).message.split("\n")[0]}`;
    }
  }
  const recorded = outputs ? digestsFromOutputs(outputs) : {};
  const images: Array<Record<string, unknown>> = [];
  for (const s of SERVICES) {
    const ref = o.stackInfo?.images[s];
    if (!ref) continue;
    const entry: Record<string, unknown> = { service: s, ref };
    const rec = Object.entries(recorded).find(([p]) => serviceOfPath(p) === s);
    if (rec) entry.recorded = rec[1];
    if (o.docker) {
      try {
        const img = await inspectImage(dockerClient(), ref);
        entry.local = img ? { id: img.id, repoDigests: img.repoDigests } : null;
      } catch {
        entry.local = "engine unreachable";
      }
    }
    images.push(entry);
  }
  if (o.docker) sources.push("docker engine");
  return {
    desired: { stack: o.stack, config_file: path.basename(o.configFile), source: desiredSource, files },
    provenance: { stack: o.stack, recorded_source: outputs ? "stack outputs" : "none", images, recorded },
    outputs,
    artifactHashes: artifactHashes(files),
    sources,
  };
}
