// Tolerant, pure readers over resource properties. Props arrive from two places with the same
// shape: the analyzer (the CLI's `pulumi preview`, secrets as signature objects, unknown values
// behind a proxy that throws when read) and scripts/lib/evaluate.ts (the program under mocks,
// secrets replaced by REDACTED). Every reader tolerates junk and never throws on shape, so a policy
// reports a violation instead of crashing on an unexpected program.
import { isSecretSig, isSecretValue, REDACTED, unwrap } from "./secrets";
import { LABEL_SERVICE } from "./tokens";

export function asArray(v: unknown): unknown[] {
  const u = unwrap(v);
  return Array.isArray(u) ? u : [];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  const u = unwrap(v);
  return typeof u === "string" ? u : undefined;
}

/** Container/volume/network labels: docker 5.x gives `[{label, value}]`; a plain map is tolerated. */
export function labelsOf(props: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = unwrap(props.labels);
  if (Array.isArray(raw)) {
    for (const l of raw) {
      const e = unwrap(l);
      if (isObject(e) && typeof unwrap(e.label) === "string") out[String(unwrap(e.label))] = String(unwrap(e.value) ?? "");
    }
  } else if (isObject(raw)) {
    for (const [k, v] of Object.entries(raw)) out[k] = String(unwrap(v) ?? "");
  }
  return out;
}

/** The service key (camelCase, as in SERVICES) a container declares through its label. */
export function serviceOf(props: Record<string, unknown>): string | undefined {
  return labelsOf(props)[LABEL_SERVICE];
}

export interface Upload {
  file: string;
  content: unknown;
}

/** Target paths of every upload. Contents are not touched: during a preview a secret file's
 *  content (e.g. from RandomPassword) is unknown, and reading it would abort the whole policy. */
export function uploadFiles(props: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const u of asArray(props.uploads)) {
    const e = unwrap(u);
    if (isObject(e) && typeof unwrap(e.file) === "string") out.push(String(unwrap(e.file)));
  }
  return out;
}

/** The upload for `file`, reading only that upload's content. */
export function findUpload(props: Record<string, unknown>, file: string): Upload | undefined {
  for (const u of asArray(props.uploads)) {
    const e = unwrap(u);
    if (isObject(e) && unwrap(e.file) === file) return { file, content: unwrap(e.content) };
  }
  return undefined;
}

export interface EnvEntry {
  /** Variable name; undefined when the whole entry is secret/redacted (its name cannot be read). */
  name?: string;
  value?: string;
  /** The entry (or the whole envs list) was a secret or redacted: a secret value sits in the environment. */
  secret: boolean;
}

export function envEntries(props: Record<string, unknown>): EnvEntry[] {
  if (isSecretValue(props.envs) && !Array.isArray(unwrap(props.envs))) return [{ secret: true }];
  const out: EnvEntry[] = [];
  const whole = isSecretSig(props.envs);
  for (const e of asArray(props.envs)) {
    const secret = whole || isSecretValue(e);
    const s = str(e);
    if (s === undefined || s === REDACTED) {
      out.push({ secret: true });
      continue;
    }
    const eq = s.indexOf("=");
    const name = eq >= 0 ? s.slice(0, eq) : s;
    const value = eq >= 0 ? s.slice(eq + 1) : undefined;
    out.push({ name, value, secret: secret || value === REDACTED });
  }
  return out;
}

export interface PortBinding {
  index: number;
  internal?: number;
  external?: number;
  ip?: string;
  protocol: string;
}

export function portsOf(props: Record<string, unknown>): PortBinding[] {
  return asArray(props.ports).map((p, index) => {
    const e = isObject(unwrap(p)) ? (unwrap(p) as Record<string, unknown>) : {};
    const num = (v: unknown) => (typeof unwrap(v) === "number" ? (unwrap(v) as number) : typeof unwrap(v) === "string" && /^[0-9]+$/.test(String(unwrap(v))) ? Number(unwrap(v)) : undefined);
    const ip = str(e.ip);
    return { index, internal: num(e.internal), external: num(e.external), ip: ip === "" ? undefined : ip, protocol: (str(e.protocol) ?? "tcp").toLowerCase() };
  });
}

export interface HostMount {
  /** Where in props it came from, for messages (`volumes[1].hostPath`). */
  where: string;
  hostPath: string;
  containerPath?: string;
  readOnly: boolean;
}

/** Every host path bind-mounted into a container: `volumes[].hostPath` and bind `mounts[]`. */
export function hostMountsOf(props: Record<string, unknown>): HostMount[] {
  const out: HostMount[] = [];
  asArray(props.volumes).forEach((v, i) => {
    const e = unwrap(v);
    if (!isObject(e)) return;
    const hp = str(e.hostPath);
    if (hp === undefined) return;
    out.push({ where: `volumes[${i}].hostPath`, hostPath: hp, containerPath: str(e.containerPath), readOnly: unwrap(e.readOnly) === true });
  });
  asArray(props.mounts).forEach((m, i) => {
    const e = unwrap(m);
    if (!isObject(e)) return;
    if ((str(e.type) ?? "bind") !== "bind") return;
    const src = str(e.source);
    if (src === undefined) return;
    out.push({ where: `mounts[${i}].source`, hostPath: src, containerPath: str(e.target), readOnly: unwrap(e.readOnly) === true });
  });
  return out;
}

/** Container `command` as a list of strings (empty when absent). */
export function commandOf(props: Record<string, unknown>): string[] {
  return asArray(props.command).map((c) => str(c)).filter((c): c is string => c !== undefined);
}

/** A display name for messages: the docker name if set, else the Pulumi name. */
export function displayName(props: Record<string, unknown>, fallback: string): string {
  return str(props.name) ?? fallback;
}
