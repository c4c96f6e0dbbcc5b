// `images:pin`: the digests of a stack's tag-only pins, written into its stack file. Resolution asks
// the Docker engine: first its local image (RepoDigests of the same repository: what was pulled),
// else the registry through the engine's distribution API (the digest `docker pull` would get).
// Writing keeps the file as it is (comments, order) and changes only the image values, plus
// requireImageDigests: true when asked and every image is pinned.
import YAML from "yaml";
import { PROJECT_NAMESPACE } from "../../contracts/config/findings";
import { digestOfRepoDigest, pinsNeedingDigests } from "../../contracts/config/rules";
import { isPinnedImage, isRecord } from "../../contracts/config/values";

export interface DigestSource {
  /** RepoDigests of the local image, or null when the engine does not have it. */
  localRepoDigests(ref: string): Promise<string[] | null>;
  /** The registry's digest for the tag (manifest list or manifest), or null when it cannot be asked. */
  registryDigest(ref: string): Promise<string | null>;
}

export interface Resolved {
  ref: string;
  digest?: string;
  from?: "engine" | "registry";
}

/** The digest of each ref: the local image first, then (unless offline) the registry. */
export async function resolveDigests(refs: readonly string[], src: DigestSource, offline: boolean): Promise<Resolved[]> {
  const out: Resolved[] = [];
  for (const ref of refs) {
    const local = (await src.localRepoDigests(ref)) ?? [];
    const fromEngine = local.map((d) => digestOfRepoDigest(ref, d)).find((d) => d !== undefined);
    if (fromEngine) {
      out.push({ ref, digest: fromEngine, from: "engine" });
      continue;
    }
    const reg = offline ? null : await src.registryDigest(ref);
    out.push(reg && /^sha256:[0-9a-f]{64}$/.test(reg) ? { ref, digest: reg, from: "registry" } : { ref });
  }
  return out;
}

/** The tag-only pins of a stack file's text (whatever requireImageDigests says). */
export function tagOnlyPins(text: string): string[] {
  const cfg = (YAML.parse(text) as { config?: Record<string, unknown> } | null)?.config;
  const images = isRecord(cfg) ? cfg[`${PROJECT_NAMESPACE}:images`] : undefined;
  return pinsNeedingDigests({ requireImageDigests: true, images });
}

export interface PinResult {
  text: string;
  pinned: string[];
  unresolved: string[];
  required: boolean;
}

/**
 * The stack file with every tag-only pin whose digest is known written as tag@digest (comments and
 * order kept); with `require`, requireImageDigests: true once nothing is left unresolved.
 */
export function pinStackText(text: string, digests: Readonly<Record<string, string>>, require: boolean): PinResult {
  const doc = YAML.parseDocument(text);
  const key = `${PROJECT_NAMESPACE}:images`;
  const images = doc.getIn(["config", key], true);
  const pinned: string[] = [];
  const unresolved: string[] = [];
  if (YAML.isMap(images)) {
    for (const pair of images.items) {
      const node = pair.value;
      if (!YAML.isScalar(node) || typeof node.value !== "string") continue;
      const ref = node.value;
      const v = isPinnedImage(ref);
      if (!v.pinned || v.hasDigest) continue;
      const d = digests[ref];
      if (d) {
        node.value = `${ref}@${d}`;
        pinned.push(ref);
      } else unresolved.push(ref);
    }
  }
  const required = require && unresolved.length === 0;
  if (required) doc.setIn(["config", `${PROJECT_NAMESPACE}:requireImageDigests`], true);
  return { text: doc.toString({ lineWidth: 0 }), pinned, unresolved, required };
}
