// Desired state for on-demand verification (no Pulumi CLI): the validated stack config plus what
// the real program declares when evaluated under mocks (container names, uploaded files, network).
import * as crypto from "crypto";
import { BootstrapError } from "../../contracts/errors";
import type { ServiceName, StackConfig } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { desiredFiles, LABEL_HOST, labelsOf } from "../../contracts/plan";
import { GATEWAY_SERVICE } from "../render/gateway";
import type { PlanResource } from "../../contracts/plan";
import { DeclaredUpload, declaredUploads } from "./config-dirs";
import type { DesiredFile, DesiredState } from "./spec";


interface EvaluatedLike {
  resources: Pick<PlanResource, "type" | "name" | "inputs">[];
  outputs: Record<string, unknown>;
}

/** Containers and their uploads (secret ones without content), as the program declares them. */
export function desiredFromEvaluation(ev: EvaluatedLike, config: Omit<StackConfig, "grafanaAdminPassword">, probeImage: string): DesiredState {
  const containers = {} as Record<ServiceName, string>;
  const files = {} as Record<ServiceName, DesiredFile[]>;
  const declared = {} as Record<ServiceName, DeclaredUpload[]>;
  let network = typeof ev.outputs.network === "string" ? ev.outputs.network : "";
  let gateway: DesiredState["gateway"];
  const sorted = (uploads: { path: string; content: string }[]): DesiredFile[] =>
    uploads.map((u) => ({ path: u.path, content: u.content, sha256: crypto.createHash("sha256").update(u.content).digest("hex") })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const { resource: r, service, files: uploads } of desiredFiles(ev)) {
    // A non-central host's agents are proved by its host proof (on its own engine), not by the levels.
    if (labelsOf(r.inputs)[LABEL_HOST] !== undefined) continue;
    if (service === GATEWAY_SERVICE) {
      gateway = { container: String(r.inputs.name), files: sorted(uploads), uploads: declaredUploads(r.inputs.uploads) };
      continue;
    }
    const svc = service as ServiceName | undefined;
    if (!svc || !SERVICES.includes(svc)) continue;
    containers[svc] = String(r.inputs.name);
    // L8 compares every upload (declaredUploads: secret ones by keyed hash); `files` holds the
    // non-secret ones with their content (L4-L6 read them).
    declared[svc] = declaredUploads(r.inputs.uploads);
    files[svc] = sorted(uploads);
    if (!network) {
      const nets = (r.inputs.networksAdvanced as { name?: unknown }[] | undefined) ?? [];
      if (typeof nets[0]?.name === "string") network = nets[0].name;
    }
  }
  const missing = SERVICES.filter((s) => !containers[s]);
  if (missing.length > 0) throw new BootstrapError("E_INTERNAL", `the evaluated program declares no container for ${missing.join(", ")}`);
  return { config, network, containers, files, uploads: declared, probeImage, ...(gateway ? { gateway } : {}) };
}
