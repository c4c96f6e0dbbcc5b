// The central containers the fleet act allows to be replaced when a host is added: derived from the
// renderers (central.ts), checked here on a real fleet config.
import { centralContainersChangedBy } from "./central";
import { fleetConfig } from "../../util/fleet";

describe("centralContainersChangedBy", () => {
  test("adding a host changes the gateway's credentials and Prometheus's per-host rules, nothing else", () => {
    const withDb1 = fleetConfig();
    const without = { ...withDb1, hosts: withDb1.hosts!.filter((h) => h.name !== "db1") };
    expect(centralContainersChangedBy(without, withDb1)).toEqual(["logging-test-gateway", "logging-test-prometheus"]);
  });
  test("the same config changes nothing; a changed metrics retention changes Prometheus only", () => {
    const c = fleetConfig();
    expect(centralContainersChangedBy(c, fleetConfig())).toEqual([]);
    const other = { ...c, retention: { ...c.retention, metrics: "31d" } };
    expect(centralContainersChangedBy(c, other)).toEqual(["logging-test-prometheus"]);
  });
});
