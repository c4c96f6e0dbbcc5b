// The desired files of a service: what each container of the plan receives through `uploads`
// (the exact bytes Docker gets), secret uploads excluded. One definition for render (files/),
// verify's desired state (L8 hashes) and the run evidence (desired SHA-256s).
import { isObject, labelsOf } from "./readers";
import { REDACTED, unwrap } from "./secrets";
import { LABEL_HOST, LABEL_SERVICE, TYPES } from "./tokens";

export interface DesiredUpload {
  /** Absolute path in the container. */
  path: string;
  content: string;
}

type ResourceLike = { type: string; name: string; inputs: Record<string, unknown> };

export interface ContainerFiles<R extends ResourceLike = ResourceLike> {
  /** The container resource. */
  resource: R;
  /** The service key of its `logging-bootstrap.service` label; undefined when it has none. */
  service?: string;
  /** A fleet's non-central host it runs on (its `logging-bootstrap.host` label); undefined on the central host. */
  host?: string;
  /** Its non-secret uploads, in declaration order. */
  files: DesiredUpload[];
}

/** An upload is secret when its content is not plain text (REDACTED, a secret or unknown value) or it sits under a secrets/ directory. */
export function isSecretUpload(file: string, content: unknown): boolean {
  return typeof content !== "string" || content === REDACTED || /\/secrets?\//.test(file);
}

/** Every container of the plan with the files it receives, secret uploads excluded. */
export function desiredFiles<R extends ResourceLike>(plan: { resources: ReadonlyArray<R> }): ContainerFiles<R>[] {
  const out: ContainerFiles<R>[] = [];
  for (const r of plan.resources) {
    if (r.type !== TYPES.container) continue;
    const files: DesiredUpload[] = [];
    const uploads = unwrap(r.inputs.uploads);
    for (const u of Array.isArray(uploads) ? uploads : []) {
      if (!isObject(u) || typeof u.file !== "string" || u.file === "" || isSecretUpload(u.file, u.content)) continue;
      files.push({ path: u.file, content: u.content as string });
    }
    const labels = labelsOf(r.inputs);
    out.push({ resource: r, service: labels[LABEL_SERVICE], ...(labels[LABEL_HOST] !== undefined ? { host: labels[LABEL_HOST] } : {}), files });
  }
  return out;
}
