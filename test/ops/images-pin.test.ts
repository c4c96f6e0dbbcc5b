// images:pin: the digests of tag-only pins written into a stack file (comments and order kept), so a
// stack that sets requireImageDigests passes its own lint.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { lintFile } from "../../scripts/lib/lint-file";
import { DigestSource, pinStackText, resolveDigests, tagOnlyPins } from "../../scripts/lib/image-pins";
import { REPO } from "./helpers";

const PROD = fs.readFileSync(path.join(REPO, "Pulumi.prod.yaml"), "utf8");
const digestFor = (ref: string) => `sha256:${Buffer.from(ref).toString("hex").padEnd(64, "0").slice(0, 64)}`;

function lintText(text: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "images-pin-"));
  try {
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), text);
    return lintFile(path.join(dir, "Pulumi.prod.yaml"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

it("pins every tag of the prod file and requires digests; the result lints clean, comments kept", () => {
  const refs = tagOnlyPins(PROD);
  expect(refs.length).toBe(7);
  const r = pinStackText(PROD, Object.fromEntries(refs.map((x) => [x, digestFor(x)])), true);
  expect(r).toMatchObject({ pinned: refs, unresolved: [], required: true });
  const cfg = YAML.parse(r.text).config;
  expect(cfg["logging-bootstrap:requireImageDigests"]).toBe(true);
  expect(cfg["logging-bootstrap:images"].grafana).toBe(`grafana/grafana:13.2.0@${digestFor("grafana/grafana:13.2.0")}`);
  for (const line of PROD.split("\n").filter((l) => l.trim().startsWith("#"))) expect(r.text).toContain(line.trim());
  const lint = lintText(r.text);
  expect(lint.errors).toEqual([]);
  expect(lint.warnings.filter((w) => w.code === "E_CONFIG_IMAGE_NO_DIGEST")).toEqual([]);
});

it("with an image left unresolved: the others are pinned, it is named, and digests are not required", () => {
  const refs = tagOnlyPins(PROD);
  const r = pinStackText(PROD, Object.fromEntries(refs.slice(1).map((x) => [x, digestFor(x)])), true);
  expect(r.unresolved).toEqual([refs[0]]);
  expect(r.required).toBe(false);
  expect(YAML.parse(r.text).config["logging-bootstrap:requireImageDigests"]).toBe(false);
});

it("resolves from the engine's own image first, then the registry, never another repository's digest", async () => {
  const D1 = `sha256:${"1".repeat(64)}`;
  const D2 = `sha256:${"2".repeat(64)}`;
  const calls: string[] = [];
  const src: DigestSource = {
    localRepoDigests: async (ref) => (ref.startsWith("grafana/grafana") ? [`other/repo@${D2}`, `grafana/grafana@${D1}`] : ref.startsWith("prom/") ? [`other/repo@${D2}`] : null),
    registryDigest: async (ref) => (calls.push(ref), ref.startsWith("prom/prometheus") ? D2 : null),
  };
  const refs = ["grafana/grafana:13.2.0", "prom/prometheus:v3.14.0", "grafana/loki:3.7.8"];
  expect(await resolveDigests(refs, src, false)).toEqual([
    { ref: refs[0], digest: D1, from: "engine" },
    { ref: refs[1], digest: D2, from: "registry" },
    { ref: refs[2] },
  ]);
  expect(calls).toEqual([refs[1], refs[2]]);
  calls.length = 0;
  expect(await resolveDigests(refs, src, true)).toEqual([{ ref: refs[0], digest: D1, from: "engine" }, { ref: refs[1] }, { ref: refs[2] }]);
  expect(calls).toEqual([]);
});
