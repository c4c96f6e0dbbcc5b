// The digests the Docker engine holds for tag-only pins, asked before the config is judged so that
// requireImageDigests' finding carries the digest to pin (E_CONFIG_IMAGE_NO_DIGEST). It reads with
// docker.getRemoteImage, a data source that only inspects the local engine and never pulls; an image
// the engine does not have (or a digest of another repository) is simply not known.
import * as docker from "@pulumi/docker";
import { digestOfRepoDigest } from "../contracts/config/rules";

export async function engineDigests(refs: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // All images at once: each read is an engine round trip, none depends on another.
  await Promise.all(
    refs.map(async (ref) => {
      try {
        const img = await docker.getRemoteImage({ name: ref });
        const d = digestOfRepoDigest(ref, img.repoDigest);
        if (d) out[ref] = d;
      } catch {
        /* not on this engine: the finding names the command that pins it */
      }
    }),
  );
  return Object.fromEntries(refs.filter((r) => out[r] !== undefined).map((r) => [r, out[r]]));
}
