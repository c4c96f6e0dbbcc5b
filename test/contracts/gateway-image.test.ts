// gateway.image (schema v3): the gateway's Caddy image, pinned like images.*: defaulted to a pinned
// tag when absent, refused when unpinned, a warning when tag-only, an error then under
// requireImageDigests (with the engine's digest in the patch where it is known).
import { DEFAULT_GATEWAY_IMAGE, StackConfigSchema } from "../../contracts/config/schema";
import { EXAMPLE_CONFIG, lintConfig } from "../../contracts/config/lint";
import { pinsNeedingDigests } from "../../contracts/config/rules";
import { isPinnedImage } from "../../contracts/config/values";
import { clone } from "./helpers";

type Cfg = Record<string, any>;
const withImage = (image?: unknown, more: (c: Cfg) => void = () => undefined): Cfg => {
  const c = clone(EXAMPLE_CONFIG) as Cfg;
  if (image !== undefined) c.gateway.image = image;
  more(c);
  return c;
};
const at = (fs: { code: string; path: string }[]) => fs.filter((f) => f.path === "gateway.image").map((f) => f.code);

it("defaults to a pinned Caddy image when not written", () => {
  expect(isPinnedImage(DEFAULT_GATEWAY_IMAGE).pinned).toBe(true);
  expect(StackConfigSchema.parse(withImage()).gateway?.image).toBe(DEFAULT_GATEWAY_IMAGE);
  const r = lintConfig(withImage());
  expect([at(r.errors), at(r.warnings)]).toEqual([[], []]);
});

it("refuses :latest, a bare name and a moving tag, with the default pin as the fix", () => {
  for (const v of ["caddy:latest", "caddy", "caddy:stable"]) {
    const r = lintConfig(withImage(v));
    expect([v, at(r.errors)]).toEqual([v, ["E_CONFIG_IMAGE_UNPINNED"]]);
    expect(r.errors.find((f) => f.path === "gateway.image")!.examplePatch).toContain(DEFAULT_GATEWAY_IMAGE);
  }
});

it("a tag-only pin is a warning, and an error under requireImageDigests carrying the known digest; a digest pin passes both", () => {
  const tagOnly = "127.0.0.1:5000/testenv/caddy:v2.11.9";
  expect(at(lintConfig(withImage(tagOnly)).warnings)).toEqual(["E_CONFIG_IMAGE_NO_DIGEST"]);
  const strict = (v: string) => withImage(v, (c) => (c.requireImageDigests = true));
  const digest = `sha256:${"a".repeat(64)}`;
  const r = lintConfig(strict(tagOnly), { digests: { [tagOnly]: digest } });
  expect(at(r.errors)).toEqual(["E_CONFIG_IMAGE_NO_DIGEST"]);
  expect(r.errors.find((f) => f.path === "gateway.image")!.examplePatch).toContain(`${tagOnly}@${digest}`);
  expect(pinsNeedingDigests(strict(tagOnly))).toContain(tagOnly);
  expect(at(lintConfig(strict(`${tagOnly}@${digest}`)).errors)).toEqual([]);
  expect(pinsNeedingDigests(strict(`${tagOnly}@${digest}`))).not.toContain(`${tagOnly}@${digest}`);
});
