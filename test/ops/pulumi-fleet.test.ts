// A fleet's up goes on past a host it cannot reach and names it (scripts/lib/pulumi/fleet.ts, the
// plan's continueOnError, run-step's naming).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { errorRecord } from "../../contracts/errors";
import { argumentRefusals } from "../../scripts/bootstrap";
import { scopedStep, unknownHosts } from "../../scripts/lib/bootstrap/host-scope";
import { guardStep, planFor } from "../../scripts/lib/bootstrap/plan";
import { failuresByHost, hostNamesOfFile, hostOfUrn, namingHosts, remoteHostNames, urnsOfHosts } from "../../scripts/lib/pulumi/fleet";

const P = "logging-testenv";
const stackUrn = (types: string, name: string) => `urn:pulumi:testenv::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$${types}::${name}`;
const agents = (host: string, type: string, suffix: string) => stackUrn(`logging-bootstrap:fleet:HostAgents$${type}`, `${P}-${host}${suffix}`);
const C_ALLOY = agents("c", "logging-bootstrap:services:Alloy$docker:index/container:Container", "-alloy");
const C_PROVIDER = agents("c", "pulumi:providers:docker", "-docker");
const C_PROOF = stackUrn("pulumi-nodejs:dynamic/logging-bootstrap:HostProof", `${P}-c-host`);
const B_NET = agents("b", "docker:index/network:Network", "-net");
const WEB1_ALLOY = agents("web1", "logging-bootstrap:services:Alloy$docker:index/container:Container", "-alloy");
const CENTRAL_LOKI = stackUrn("logging-bootstrap:services:Loki$docker:index/container:Container", `${P}-loki`);
const GATEWAY_PW = stackUrn("logging-bootstrap:gateway:Gateway$random:index/randomPassword:RandomPassword", `${P}-gateway-password-c`);

describe("remoteHostNames", () => {
  test("the non-central hosts of a v3 stack file, in order", () => {
    const text = "config:\n  logging-bootstrap:hosts:\n    - name: local\n      central: true\n    - name: b\n    - name: c\n";
    expect(remoteHostNames(text)).toEqual(["b", "c"]);
  });
  test("none for a v2 file, a fleet of one, or a file that does not parse", () => {
    expect(remoteHostNames("config:\n  logging-bootstrap:projectName: x\n")).toEqual([]);
    expect(remoteHostNames("config:\n  logging-bootstrap:hosts:\n    - name: local\n      central: true\n")).toEqual([]);
    expect(remoteHostNames("config: [\n")).toEqual([]);
  });
});

describe("hostOfUrn", () => {
  test("children of a host's HostAgents (its provider too) and its HostProof belong to it", () => {
    for (const u of [C_ALLOY, C_PROVIDER, C_PROOF]) expect(hostOfUrn(u, P, ["b", "c"])).toBe("c");
    expect(hostOfUrn(B_NET, P, ["b", "c"])).toBe("b");
  });
  test("the central host's resources and the gateway's per-host password belong to no host", () => {
    expect(hostOfUrn(CENTRAL_LOKI, P, ["b", "c"])).toBeUndefined();
    expect(hostOfUrn(GATEWAY_PW, P, ["b", "c"])).toBeUndefined();
  });
  test("the longest host name wins when one name prefixes another", () => {
    expect(hostOfUrn(WEB1_ALLOY, P, ["web", "web1"])).toBe("web1");
  });
});

describe("namingHosts", () => {
  const cause = errorRecord("E_PROOF_HOST_UNREACHABLE", "pulumi up: HostProof logging-testenv-c-host failed: c: its Docker engine tcp://10.250.2.2:2376 does not answer");

  test("the hosts lead the message; code and cause are kept; details list each host's failed resources", () => {
    const r = namingHosts(cause, [C_PROOF, C_ALLOY], P, ["b", "c"]);
    expect(r.code).toBe("E_PROOF_HOST_UNREACHABLE");
    expect(r.message).toBe("pulumi up continued past host c (2 resources failed; every other change was applied): HostProof logging-testenv-c-host failed: c: its Docker engine tcp://10.250.2.2:2376 does not answer");
    expect(r.details).toMatchObject({ hosts: ["c"], hostResources: { c: [`${P}-c-host`, `${P}-c-alloy`] }, continuedOnError: true });
  });

  test("several hosts in config order; other failures are counted, not hidden", () => {
    const r = namingHosts(cause, [C_ALLOY, B_NET, CENTRAL_LOKI], P, ["b", "c"]);
    expect(r.message).toMatch(/^pulumi up continued past hosts b, c \(2 resources failed; 1 other resource\(s\) failed as well\): /);
    expect(failuresByHost([C_ALLOY, B_NET, CENTRAL_LOKI], P, ["b", "c"]).other).toEqual([CENTRAL_LOKI]);
  });

  test("no host's resource failed: the record as it was", () => {
    expect(namingHosts(cause, [CENTRAL_LOKI], P, ["b", "c"])).toBe(cause);
  });
});

describe("the plan", () => {
  const up = (mode: "apply" | "repair", o = {}) => planFor(mode, "testenv", { targets: ["urn:x"], ...o }).find((p) => p.step === "up")!;
  test("a fleet's up (apply, repair) continues on error and carries the hosts to name", () => {
    for (const mode of ["apply", "repair"] as const) {
      const p = up(mode, { remoteHosts: ["b", "c"] });
      expect(p.opts?.continueOnError).toBe(true);
      expect(p.hosts).toEqual(["b", "c"]);
    }
  });
  test("a fleet of one stops at the first failure, as before", () => {
    const p = up("apply", { remoteHosts: [] });
    expect(p.opts?.continueOnError).toBeUndefined();
    expect(p.hosts).toBeUndefined();
  });
});

describe("--host (drift and repair limited to one host's resources)", () => {
  const STACK = { urn: `urn:pulumi:testenv::logging-bootstrap::pulumi:pulumi:Stack::logging-bootstrap-testenv`, type: "pulumi:pulumi:Stack" };
  const typeOf = (urn: string) => urn.slice(urn.lastIndexOf("$") + 1, urn.lastIndexOf("::"));
  const resources = [STACK, ...[C_ALLOY, C_PROVIDER, C_PROOF, B_NET, CENTRAL_LOKI, GATEWAY_PW].map((urn) => ({ urn, type: typeOf(urn) }))];
  const hosts = { central: "local", remote: ["b", "c"] };

  test("a host's resources without its provider; the central host's are those of no other host", () => {
    expect(urnsOfHosts(resources, P, hosts, ["c"])).toEqual([C_ALLOY, C_PROOF]);
    expect(urnsOfHosts(resources, P, hosts, ["b"])).toEqual([B_NET]);
    expect(urnsOfHosts(resources, P, hosts, ["local"])).toEqual([CENTRAL_LOKI, GATEWAY_PW]);
    expect(urnsOfHosts(resources, P, hosts, ["b", "c"])).toEqual([C_ALLOY, C_PROOF, B_NET]);
    expect(urnsOfHosts(resources, P, hosts, ["d"])).toEqual([]);
  });

  test("repair: the host's URNs become the targets and its containers are rebuilt; drift: targets only", () => {
    const [repairUp] = planFor("repair", "testenv", { remoteHosts: ["b", "c"], hostScope: ["c"] }).filter((p) => p.op === "up");
    expect(repairUp.hostScope).toEqual(["c"]);
    const r = scopedStep(repairUp, resources, P, hosts);
    expect(r).toMatchObject({ opts: { target: [C_ALLOY, C_PROOF], replace: [C_ALLOY], targetDependents: true, continueOnError: true } });
    const [refresh] = planFor("drift", "testenv", { hostScope: ["b"] });
    const d = scopedStep(refresh, resources, P, hosts);
    expect(d).toMatchObject({ step: "refresh", opts: { target: [B_NET], expectNoChanges: true } });
    expect((d as { opts: { replace?: string[] } }).opts.replace).toBeUndefined();
  });

  test("a host with nothing in the state is E_ENV_USAGE naming the hosts there are; an unknown name likewise", () => {
    const [refresh] = planFor("drift", "testenv", { hostScope: ["c"] });
    expect(scopedStep(refresh, [STACK], P, hosts)).toMatchObject({ code: "E_ENV_USAGE", details: { hosts: ["c"], known: ["local", "b", "c"] } });
    expect(unknownHosts(["b", "x"], hosts)).toEqual(["x"]);
    expect(unknownHosts(["local"], { remote: [] })).toEqual(["local"]);
  });

  test("the plan passes the mode guard before the targets are known; without --host repair still needs --target", () => {
    expect(() => planFor("repair", "testenv", { hostScope: ["c"] }).forEach((p) => guardStep("repair", p))).not.toThrow();
    expect(() => planFor("drift", "testenv", { hostScope: ["c"] }).forEach((p) => guardStep("drift", p))).not.toThrow();
    expect(() => planFor("repair", "testenv", {}).forEach((p) => guardStep("repair", p))).toThrow(/--target/);
  });

  test("only drift and repair take --host, never with --target, and only a host name", () => {
    expect(argumentRefusals("drift", { host: ["b"] })).toEqual([]);
    expect(argumentRefusals("repair", { host: ["b", "c"] })).toEqual([]);
    expect(argumentRefusals("apply", { host: ["b"] })).toMatchObject([{ code: "E_ENV_MODE_VIOLATION", message: expect.stringContaining("only --mode drift and --mode repair") }]);
    expect(argumentRefusals("repair", { host: ["b"], target: [B_NET] })).toMatchObject([{ code: "E_ENV_MODE_VIOLATION", message: expect.stringContaining("give one of them") }]);
    expect(argumentRefusals("drift", { host: ["B;rm"] })).toMatchObject([{ code: "E_ENV_MODE_VIOLATION" }]);
  });

  test("hostNamesOfFile reads the central host and the others from the stack file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-hosts-"));
    const f = path.join(dir, "Pulumi.x.yaml");
    fs.writeFileSync(f, "config:\n  logging-bootstrap:hosts:\n    - name: local\n      central: true\n    - name: b\n");
    expect(hostNamesOfFile(f)).toEqual({ central: "local", remote: ["b"] });
    fs.writeFileSync(f, "config:\n  logging-bootstrap:projectName: x\n");
    expect(hostNamesOfFile(f)).toEqual({ remote: [] });
    expect(hostNamesOfFile(path.join(dir, "missing.yaml"))).toEqual({ remote: [] });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
