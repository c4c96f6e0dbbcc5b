import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { isPinnedImage } from "../../contracts/config/values";
import { msg, note } from "../lib/report";
import { str } from "../lib/resources";

export interface ImagesPinnedConfig {
  /** Tags refused on top of the config contract's MOVING_TAGS (latest, stable, main, ...), which are always refused. */
  movingTags: string[];
  /** Report a tag without a `@sha256:` digest as an advisory note. */
  noteMissingDigest: boolean;
}

export const IMAGES_PINNED_DEFAULTS: ImagesPinnedConfig = { movingTags: [], noteMissingDigest: true };

// P10. Same predicate as the config lint (contracts/config/rules.ts isPinnedImage), applied to the
// image names the program actually pulls.
export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description: "Every pulled image (docker RemoteImage) names an exact version tag; `latest`, other moving tags and untagged names are refused, and a tag without a digest is noted.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      movingTags: { type: "array", items: { type: "string" }, default: [] },
      noteMissingDigest: { type: "boolean", default: true },
    },
  },
  validateResource: validateResourceOfType(docker.RemoteImage, (image, args, report) => {
    const cfg = { ...IMAGES_PINNED_DEFAULTS, ...args.getConfig<Partial<ImagesPinnedConfig>>() };
    const name = str(image.name);
    const example = "images.<service>: grafana/loki:3.0.0 (optionally @sha256:<digest>) in Pulumi.<stack>.yaml";
    if (name === undefined || name === "") {
      report(msg(`RemoteImage ${args.name} has no image name.`, `set a pinned name, e.g. ${example}`));
      return;
    }
    const v = isPinnedImage(name);
    if (!v.pinned) {
      const why =
        v.reason === "latest" ? "uses the moving tag :latest" : v.reason === "untagged" ? "has no tag (a bare name means :latest)" : v.reason === "moving-tag" ? `uses the moving tag :${v.ref?.tag}` : "is not a valid image reference";
      report(msg(`Image ${JSON.stringify(name)} ${why}.`, `pin an exact version tag, e.g. ${example}`));
      return;
    }
    const tag = (v.ref.tag ?? "").toLowerCase();
    if (cfg.movingTags.map((t) => t.toLowerCase()).includes(tag)) {
      report(msg(`Image ${JSON.stringify(name)} uses the tag :${v.ref.tag}, listed as moving in this policy's movingTags.`, `pin an exact version tag, e.g. ${example}`));
      return;
    }
    if (!v.hasDigest && cfg.noteMissingDigest) {
      note(report, msg(`Image ${JSON.stringify(name)} is pinned by tag only; a tag can be re-pushed, a digest cannot.`, `append the digest you trust: ${name}@sha256:<digest from \`docker buildx imagetools inspect ${name}\`>`));
    }
  }),
};
