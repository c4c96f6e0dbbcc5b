// images.<service> and gateway.image: pinned references (P10).
import { finding, stackPatch } from "../findings";
import { DEFAULT_IMAGES } from "../examples";
import { isPinnedImage, isRecord, parseImageRef } from "../values";
import { atLeast, describeRange, imageVersion, isSupported, nearestSupported, SUPPORTED } from "../versions";
import { DEFAULT_GATEWAY_IMAGE, SERVICES, ServiceName } from "../schema";
import { empty, Raw, RuleContext, RuleResult } from "./types";

/** The command that writes the digests of a stack's tag-only pins into its stack file. */
export const PIN_COMMAND = "npm run -s images:pin -- --stack <stack>";

/** Every image reference the config pins: images.<service>, and gateway.image when written (its default is pinned). */
function pinnedRefs(raw: Raw): { at: (string | number)[]; v: unknown; known?: string }[] {
  const out: { at: (string | number)[]; v: unknown; known?: string }[] = [];
  if (isRecord(raw.images)) for (const [svc, v] of Object.entries(raw.images)) out.push({ at: ["images", svc], v, known: (DEFAULT_IMAGES as Record<string, string>)[svc] });
  if (isRecord(raw.gateway) && raw.gateway.image !== undefined) out.push({ at: ["gateway", "image"], v: raw.gateway.image, known: DEFAULT_GATEWAY_IMAGE });
  return out;
}

/**
 * images.<service> and gateway.image: exact tag, optional digest; a tag without digest is a warning (tags can be
 * re-pushed). With requireImageDigests: true (prod) it is an error, in config:lint and at apply
 * alike: the patch carries the image's digest where it is known here (ctx.digests: config:lint and
 * the program ask the Docker engine), else the command that pins it.
 */
export function ruleImages(raw: Raw, ctx: RuleContext = { secretKeys: new Set() }): RuleResult {
  const out = empty();
  for (const { at, v, known } of pinnedRefs(raw)) {
    const key = at.join(".");
    if (typeof v !== "string" || v === "") continue; // the schema reports non-strings
    const verdict = isPinnedImage(v);
    if (verdict.pinned) {
      const resolved = ctx.digests?.[v];
      if (!verdict.hasDigest && raw.requireImageDigests === true) {
        out.errors.push(
          finding(
            "E_CONFIG_IMAGE_NO_DIGEST",
            at,
            resolved
              ? `${key} ${JSON.stringify(v)} is pinned by tag only, and this stack sets requireImageDigests: true; the image here has digest ${resolved}`
              : `${key} ${JSON.stringify(v)} is pinned by tag only; this stack sets requireImageDigests: true, and the digest is not known here (the image is not on this Docker engine): \`${PIN_COMMAND}\` writes it from the engine or the registry`,
            stackPatch(at, resolved ? `${v}@${resolved}` : `${v}@sha256:<64 hex digits, written by: ${PIN_COMMAND}>`),
          ),
        );
      } else if (!verdict.hasDigest) {
        out.warnings.push(
          finding(
            "E_CONFIG_IMAGE_NO_DIGEST",
            at,
            `${key} ${JSON.stringify(v)} is pinned by tag only; a tag can be re-pushed, a digest cannot (L7 still records the digest it pulled)`,
            stackPatch(at, `${v}@sha256:<64 hex digits, written by: ${PIN_COMMAND}>`, "optional: append the digest you trust"),
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
        at,
        `${key} ${JSON.stringify(v.slice(0, 200))} ${why}; pin an exact version tag, optionally with @sha256:<digest>`,
        stackPatch(at, fix, fix === known ? undefined : "replace 1.2.3 with the exact version you run"),
      ),
    );
  }
  return out;
}

/**
 * The tag-only pins of a stack that requires digests: what the program asks the Docker engine about
 * before the lint, so its E_CONFIG_IMAGE_NO_DIGEST patch can carry the digest. Nothing otherwise.
 */
export function pinsNeedingDigests(raw: unknown): string[] {
  if (!isRecord(raw) || raw.requireImageDigests !== true) return [];
  return pinnedRefs(raw).map((r) => r.v).filter((v): v is string => {
    const verdict = isPinnedImage(v);
    return verdict.pinned && !verdict.hasDigest;
  });
}

/** The digest in an engine's repo digest (`<repo>@sha256:...`) of `ref`'s own repository, else undefined. */
export function digestOfRepoDigest(ref: string, repoDigest: unknown): string | undefined {
  const repo = parseImageRef(ref)?.repository;
  if (!repo || typeof repoDigest !== "string") return undefined;
  const m = /^(.+)@(sha256:[0-9a-f]{64})$/.exec(repoDigest);
  const same = (a: string, b: string) => a.replace(/^(docker\.io\/)?(library\/)?/, "") === b.replace(/^(docker\.io\/)?(library\/)?/, "");
  return m && same(m[1], repo) ? m[2] : undefined;
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
