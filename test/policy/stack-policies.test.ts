// Stack policies: data-retained and every-service-verified, each with a passing stack, one failing
// case per branch and a not-applicable stack.
import { dataRetained } from "../../policy/policies/data-retained";
import { everyServiceVerified } from "../../policy/policies/every-service-verified";
import { TYPES } from "../../policy/lib/resources";
import { SERVICES, container, image, network, volume } from "./fixtures";
import { checkStack, res } from "../util/policy";

const DATA = [{ label: "logging-bootstrap.data", value: "true" }];
const RETAIN = [...DATA, { label: "logging-bootstrap.retain", value: "true" }];

describe("data-retained", () => {
  it("passes retainOnDelete and protected data volumes", async () => {
    const o = await checkStack(dataRetained, [volume("t-loki-data", DATA, { retainOnDelete: true }), volume("t-grafana-data", DATA, { protect: true }), network("t-net")]);
    expect(o.violations).toEqual([]);
    expect(o.notApplicable).toBe(false);
  });
  it("refuses a data volume that is neither retained nor protected, on that volume", async () => {
    const o = await checkStack(dataRetained, [volume("t-loki-data", DATA, { retainOnDelete: true }), volume("t-grafana-data", DATA)]);
    expect(o.messages).toEqual([expect.stringMatching(/^Data volume t-grafana-data is neither retainOnDelete nor protected.* Fix: /)]);
    expect(o.levels).toEqual(["mandatory"]);
    expect(o.violations[0].resource).toBe(volume("t-grafana-data", DATA).urn);
  });
  it("recognises a data volume by its -data name when the label is missing", async () => {
    const o = await checkStack(dataRetained, [volume("t-loki-data", [])]);
    expect(o.messages).toEqual([expect.stringMatching(/t-loki-data is neither retainOnDelete nor protected/)]);
  });
  it("refuses a retain label that the options contradict", async () => {
    const o = await checkStack(dataRetained, [volume("t-loki-data", RETAIN, { retainOnDelete: false })]);
    expect(o.messages).toEqual([expect.stringMatching(/is labelled logging-bootstrap.retain=true but is neither retainOnDelete nor protected/)]);
  });
  describe("as the analyzer protocol sees it (no retainOnDelete in opts)", () => {
    const noRod = (labels: typeof DATA) => {
      const r = volume("t-loki-data", labels);
      delete (r.options as { retainOnDelete?: boolean }).retainOnDelete;
      return r;
    };
    it("accepts the retain label", async () => {
      expect((await checkStack(dataRetained, [noRod(RETAIN)])).violations).toEqual([]);
    });
    it("refuses an unlabelled, unprotected data volume", async () => {
      expect((await checkStack(dataRetained, [noRod(DATA)])).messages).toEqual([expect.stringMatching(/is not protected and declares no logging-bootstrap.retain=true label/)]);
    });
  });
  it("ignores volumes that hold no data", async () => {
    expect((await checkStack(dataRetained, [volume("t-scratch", [{ label: "logging-bootstrap.data", value: "false" }]), network("t-net")])).notApplicable).toBe(true);
  });
  it("is advisory when the stack's policy config says so (policy/config/test.json)", async () => {
    expect((await checkStack(dataRetained, [volume("t-loki-data", DATA)], { "data-retained": "advisory" })).levels).toEqual(["advisory"]);
  });
});

describe("every-service-verified", () => {
  const containers = SERVICES.map((s) => container(s));
  const proof = (c: (typeof containers)[number], how: "dependencies" | "propertyDependencies" = "dependencies") =>
    res(TYPES.healthProof, `${c.name}-health`, { service: c.name }, how === "dependencies" ? { dependencies: [c.urn] } : { propertyDependencies: { target: [c.urn] } });

  it("passes when every service container has a HealthProof depending on it", async () => {
    const o = await checkStack(everyServiceVerified, [...containers, ...containers.map((c, i) => proof(c, i % 2 ? "dependencies" : "propertyDependencies"))]);
    expect(o.violations).toEqual([]);
    expect(o.notApplicable).toBe(false);
  });
  it("flags (mandatory by default) the one container without a proof", async () => {
    const o = await checkStack(everyServiceVerified, [...containers, ...containers.slice(1).map((c) => proof(c))]);
    expect(o.messages).toEqual([expect.stringMatching(/^Container t-grafana \(service grafana\) has no pulumi-nodejs:dynamic\/logging-bootstrap:HealthProof depending on it.* Fix: /)]);
    expect(o.levels).toEqual(["mandatory"]);
    expect(o.violations[0].resource).toBe(containers[0].urn);
  });
  it("does not count a proof that depends on another container", async () => {
    const wrong = res(TYPES.healthProof, "p", {}, { dependencies: [containers[1].urn] });
    const o = await checkStack(everyServiceVerified, [containers[0], containers[1], wrong, proof(containers[1])]);
    expect(o.messages).toEqual([expect.stringMatching(/t-grafana/)]);
  });
  it("does not count another resource type depending on the container", async () => {
    const notProof = res("pulumi-nodejs:dynamic/logging-bootstrap:IngestionProof", "i", {}, { dependencies: [containers[0].urn] });
    expect((await checkStack(everyServiceVerified, [containers[0], notProof])).messages).toHaveLength(1);
  });
  it("can be lowered to advisory through policy config", async () => {
    expect((await checkStack(everyServiceVerified, [containers[0]], { "every-service-verified": "advisory" })).levels).toEqual(["advisory"]);
  });
  it("honours exemptServices", async () => {
    expect((await checkStack(everyServiceVerified, [containers[0]], { "every-service-verified": { exemptServices: ["grafana"] } })).violations).toEqual([]);
  });
  it("is not applicable to a stack without service containers", async () => {
    expect((await checkStack(everyServiceVerified, [image("a/b:1"), network("t-net")])).notApplicable).toBe(true);
  });
});
