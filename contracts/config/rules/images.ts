// images.<service>: pinned references (P10).
import { finding, stackPatch } from "../findings";
import { DEFAULT_IMAGES } from "../examples";
import { isPinnedImage, isRecord, parseImageRef } from "../values";
import { atLeast, describeRange, imageVersion, isSupported, nearestSupported, SUPPORTED } from "../versions";
import { SERVICES, ServiceName } from "../schema";
import { empty, Raw, RuleContext, RuleResult } from "./types";

/**
 * images.<service>: exact tag, optional digest; a tag without digest is a warning (tags can be
 * re-pushed). With requireImageDigests: true (prod) it is an error wherever the image's digest is
 * known here (ctx.digests: resolved by config:lint from the Docker engine), with that digest as the
 * patch; where it is not (the image is not on this engine) it stays a warning that says so.
 */
export function ruleImages(raw: Raw, ctx: RuleContext = { secretKeys: new Set() }): RuleResult {
  const out = empty();
  const images = raw.images;
  if (!isRecord(images)) return out;
  for (const [svc, v] of Object.entries(images)) {
    if (typeof v !== "string" || v === "") continue; // the schema reports non-strings
    const verdict = isPinnedImage(v);
    const known = (DEFAULT_IMAGES as Record<string, string>)[svc];
    if (verdict.pinned) {
      const resolved = ctx.digests?.[v];
      if (!verdict.hasDigest && raw.requireImageDigests === true && resolved) {
        out.errors.push(
          finding(
            "E_CONFIG_IMAGE_NO_DIGEST",
            ["images", svc],
            `images.${svc} ${JSON.stringify(v)} is pinned by tag only, and this stack sets requireImageDigests: true; the image here has digest ${resolved}`,
            stackPatch(["images", svc], `${v}@${resolved}`),
          ),
        );
      } else if (!verdict.hasDigest && raw.requireImageDigests === true) {
        out.warnings.push(
          finding(
            "E_CONFIG_IMAGE_NO_DIGEST",
            ["images", svc],
            `images.${svc} ${JSON.stringify(v)} is pinned by tag only; this stack sets requireImageDigests: true, and the digest is not known here (the image is not on this Docker engine): pin it where the image is`,
            stackPatch(["images", svc], `${v}@sha256:<64 hex digits from: docker buildx imagetools inspect ${v}>`),
          ),
        );
      } else if (!verdict.hasDigest) {
        out.warnings.push(
          finding(
            "E_CONFIG_IMAGE_NO_DIGEST",
            ["images", svc],
            `images.${svc} ${JSON.stringify(v)} is pinned by tag only; a tag can be re-pushed, a digest cannot (L7 still records the digest it pulled)`,
            stackPatch(["images", svc], `${v}@sha256:<64 hex digits from: docker buildx imagetools inspect ${v}>`, "optional: append the digest you trust"),
          ),
        );
      }
      continue;
    }
    const repo = verdict.ref?.repository;
    const fix = known && (repo === undefined || known.startsWith(`${repo}:`)) ? known : `${repo ?? "registry.example/image"}:1.2.3`;
    const why =
      verdict.reason === "latest"
        ? "uses :latest, which moves"
        : verdict.reason === "moving-tag"
          ? `uses the moving tag :${verdict.ref?.tag}`
          : verdict.reason === "untagged"
            ? "has no tag (a bare name means :latest; a digest alone hides the version)"
            : "is not a valid image reference";
    out.errors.push(
      finding(
        "E_CONFIG_IMAGE_UNPINNED",
        ["images", svc],
        `images.${svc} ${JSON.stringify(v.slice(0, 200))} ${why}; pin an exact version tag, optionally with @sha256:<digest>`,
        stackPatch(["images", svc], fix, fix === known ? undefined : "replace 1.2.3 with the exact version you run"),
      ),
    );
  }
  return out;
}

/**
 * images.<service>: the tag's version inside the supported range of contracts/config/versions.ts
 * (rendering, healthchecks and proofs are version-aware only there). Outside: refused, with the
 * nearest supported tag as the patch.
 */
export function ruleImageVersions(raw: Raw): RuleResult {
  const out = empty();
  const images = raw.images;
  if (!isRecord(images)) return out;
  for (const [svc, v] of Object.entries(images)) {
    if (typeof v !== "string" || !(SERVICES as readonly string[]).includes(svc) || !isPinnedImage(v).pinned) continue; // ruleImages reports unpinned refs
    const s = svc as ServiceName;
    const version = imageVersion(v);
    if (version && isSupported(s, version)) continue;
    const ref = parseImageRef(v)!;
    const fix = `${ref.repository}:${nearestSupported(s, ref.tag!)}`;
    const spans = SUPPORTED[s].spans;
    const inGap = version !== undefined && atLeast(version, spans[0].min) && !atLeast(version, spans[spans.length - 1].below);
    const why =
      version === undefined
        ? `its tag ${JSON.stringify(ref.tag)} is not a version (x.y.z)`
        : `${ref.tag} is outside the supported range ${describeRange(s)}${inGap && SUPPORTED[s].gaps ? ` (${SUPPORTED[s].gaps!.join("; ")})` : ""}`;
    out.errors.push(
      finding("E_CONFIG_IMAGE_UNSUPPORTED", ["images", svc], `images.${svc} ${JSON.stringify(v)}: ${why}; the stack's rendering, healthchecks and proofs are made for that range`, stackPatch(["images", svc], fix)),
    );
  }
  return out;
}
