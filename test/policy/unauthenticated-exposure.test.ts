// unauthenticated-exposure: the passing fixture (every container on 127.0.0.1), then one change per
// case. A service that answers without authentication never publishes beyond loopback, whatever the
// stack's exposure decision; Grafana may.
import { unauthenticatedExposure } from "../../policy/policies/unauthenticated-exposure";
import { UNAUTHENTICATED_SERVICES } from "../../contracts/config/exposure";
import { container, containerInputs, image, network, SERVICES } from "./fixtures";
import { checkResource, mutate } from "../util/policy";

const LAN = { "exposure-explicit": { lanExposed: true, alertmanagerLanExposed: true } };

describe("unauthenticated-exposure", () => {
  it("passes every fixture container (all on 127.0.0.1)", async () => {
    for (const s of SERVICES) expect((await checkResource(unauthenticatedExposure, container(s))).violations).toEqual([]);
  });

  it("covers every service but Grafana", () => {
    expect([...UNAUTHENTICATED_SERVICES].sort()).toEqual(SERVICES.filter((s) => s !== "grafana").sort());
  });

  it.each(UNAUTHENTICATED_SERVICES.map((s) => [s]))("refuses %s on 0.0.0.0, even on a LAN-exposed stack", async (svc) => {
    const c = container(svc, mutate(containerInputs(svc), (x) => (x.ports[0].ip = "0.0.0.0")));
    const o = await checkResource(unauthenticatedExposure, c, LAN);
    expect(o.messages).toHaveLength(1);
    expect(o.messages[0]).toMatch(new RegExp(`\\(service ${svc}\\) publishes 0\\.0\\.0\\.0:\\d+ beyond loopback, and ${svc} answers without authentication`));
    expect(o.messages[0]).toMatch(svc === "alertmanager" ? / Fix: keep Alertmanager on 127\.0\.0\.1/ : new RegExp(` Fix: list ${svc} in exposure\\.loopbackOnly`));
    expect(o.levels).toEqual(["mandatory"]);
  });

  it.each([
    ["a LAN address", (x: any) => (x.ports[0].ip = "192.0.2.10")],
    ["no ip (Docker's default: every interface)", (x: any) => delete x.ports[0].ip],
    ["IPv6 wildcard", (x: any) => (x.ports[0].ip = "::")],
    ["a second, exposed port", (x: any) => x.ports.push({ internal: 9096, external: 9196, ip: "0.0.0.0", protocol: "tcp" })],
  ])("refuses Loki with %s", async (_n, f) => {
    const o = await checkResource(unauthenticatedExposure, container("loki", mutate(containerInputs("loki"), f)));
    expect(o.messages).toHaveLength(1);
    expect(o.messages[0]).toMatch(/t-loki \(service loki\) publishes .* beyond loopback/);
  });

  it("lets Grafana (its own login) on the LAN", async () => {
    const g = container("grafana", mutate(containerInputs("grafana"), (x) => (x.ports[0].ip = "0.0.0.0")));
    expect((await checkResource(unauthenticatedExposure, g, LAN)).violations).toEqual([]);
  });

  it("passes a loopback address other than 127.0.0.1 and a container without ports", async () => {
    expect((await checkResource(unauthenticatedExposure, container("loki", mutate(containerInputs("loki"), (x) => (x.ports[0].ip = "127.0.0.2"))))).violations).toEqual([]);
    expect((await checkResource(unauthenticatedExposure, container("alloy", mutate(containerInputs("alloy"), (x) => (x.ports = []))))).violations).toEqual([]);
  });

  it("does not judge a container without a service label", async () => {
    const c = container("loki", mutate(containerInputs("loki"), (x) => ((x.ports[0].ip = "0.0.0.0"), (x.labels = x.labels.filter((l: any) => l.label !== "logging-bootstrap.service")))));
    expect((await checkResource(unauthenticatedExposure, c)).violations).toEqual([]);
  });

  it("is not applicable to other types", async () => {
    for (const r of [image("a/b:1"), network("t-net")]) expect((await checkResource(unauthenticatedExposure, r)).notApplicable).toBe(true);
  });
});
