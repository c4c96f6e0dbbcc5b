// The program's image reads before any resource is declared (offlineMode's presence check, the
// engine digests of tag-only pins) ask the engine for every image at once, not one after another.
import * as pulumi from "@pulumi/pulumi";
import { stackConfig } from "../util/mocks";

let inFlight = 0;
let maxInFlight = 0;
const asked: string[] = [];
const absent = new Set<string>();

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
      call: async (a) => {
        const name = String(a.inputs.name);
        asked.push(name);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        if (absent.has(name)) throw new Error(`no such image: ${name}`);
        return { name, repoDigest: `${name.replace(/:[^:/]+$/, "")}@sha256:${"b".repeat(64)}` };
      },
    },
    "logging-bootstrap",
    "test",
  );
});

beforeEach(() => {
  inFlight = maxInFlight = 0;
  asked.length = 0;
  absent.clear();
});

test("assertImagesPresent reads all seven images at once and names every missing one, in config order", async () => {
  const { assertImagesPresent } = await import("../../components/service");
  const cfg = stackConfig("test");
  await expect(assertImagesPresent(cfg)).resolves.toBeUndefined();
  expect(maxInFlight).toBe(Object.keys(cfg.images).length);
  absent.add(cfg.images.loki).add(cfg.images.grafana);
  const err = await assertImagesPresent(cfg).catch((e: unknown) => e as { code: string; details: { missing: { service: string }[] } });
  expect(err).toMatchObject({ code: "E_DEPS_IMAGE_MISSING_OFFLINE" });
  const order = Object.keys(cfg.images).filter((s) => s === "loki" || s === "grafana");
  expect(err!.details.missing.map((m) => m.service)).toEqual(order);
});

test("engineDigests reads every pin at once and returns the digests in the order asked", async () => {
  const { engineDigests } = await import("../../components/image-digests");
  const refs = ["127.0.0.1:5000/a:1", "127.0.0.1:5000/b:2", "127.0.0.1:5000/c:3"];
  absent.add(refs[1]);
  const d = await engineDigests(refs);
  expect(maxInFlight).toBe(3);
  expect(Object.keys(d)).toEqual([refs[0], refs[2]]);
  expect(d[refs[0]]).toBe(`sha256:${"b".repeat(64)}`);
});
