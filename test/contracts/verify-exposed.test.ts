// A proof level switched off on a LAN-exposed stack is a warning (E_CONFIG_VERIFY_OFF_EXPOSED): the
// stack others can reach would go unproven there without trace.
import YAML from "yaml";
import { EXAMPLE_CONFIG, lintConfig } from "../../contracts/config/lint";
import { VERIFY_LEVEL_TOGGLES } from "../../contracts/config/rules";
import { clone } from "./helpers";

type Cfg = Record<string, any>;
const cfg = (lan: boolean, verify: Record<string, unknown>): Cfg => {
  const c = clone(EXAMPLE_CONFIG) as Cfg;
  // LAN-exposed: Grafana on the LAN, everything unauthenticated on loopback (E_CONFIG_UNAUTHENTICATED_EXPOSURE).
  c.exposure = lan ? { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] } : c.exposure;
  c.verify = { ...c.verify, ...verify };
  return c;
};
const offWarnings = (c: Cfg) => lintConfig(c).warnings.filter((w) => w.code === "E_CONFIG_VERIFY_OFF_EXPOSED");

it("lists every level toggle of the schema (not enabled, not the numbers)", () => {
  expect([...VERIFY_LEVEL_TOGGLES].sort()).toEqual(["alertDelivery", "configDrift", "dashboards", "health", "ingestion", "labels", "provenance", "reachability", "rules"]);
});

it.each([...VERIFY_LEVEL_TOGGLES])("verify.%s: false on a LAN-exposed stack warns, with the patch that turns it on", (k) => {
  const c = cfg(true, { [k]: false });
  const r = lintConfig(c);
  expect(r.errors).toEqual([]);
  const w = offWarnings(c);
  expect(w.map((f) => f.path)).toEqual([`verify.${k}`]);
  expect(YAML.parse(w[0].examplePatch).config["logging-bootstrap:verify"][k]).toBe(true);
});

it("verify.enabled: false on a LAN-exposed stack warns once, for the whole proof", () => {
  const w = offWarnings(cfg(true, { enabled: false, rules: false }));
  expect(w.map((f) => f.path)).toEqual(["verify.enabled"]);
});

it("nothing on a loopback stack, nor with every level on", () => {
  expect(offWarnings(cfg(false, { enabled: false, rules: false }))).toEqual([]);
  expect(offWarnings(cfg(true, {}))).toEqual([]);
});
