// The whole program under mocks on a three-host fleet (the central host `local`, web1 over ssh, db1
// over tcp:// with a TLS client certificate; test/program/fleet-stack.ts): each other host's agents
// on its own Docker provider, named from HOST_DERIVED_NAME_SUFFIXES, its directories created through
// its engine, the gateway with generated TLS and per-host passwords, one proof per host, the outputs;
// and a fleet of one (the test stack, its v2 file) declares exactly the plan it did before the fleet.
import { hostPaths } from "../../contracts/config/hosts";
import { DERIVED_NAME_SUFFIXES, HOST_DERIVED_NAME_SUFFIXES } from "../../contracts/config/values";
import { DEFAULT_GATEWAY_IMAGE } from "../../contracts/config/schema";
import { hostDirsScriptFor, HOST_ROOT_MOUNT, remoteHostDirs } from "../../components/host-dirs";
import { renderFleetFiles } from "../../components/render";
import { ALLOY_GATEWAY_FILES, renderRemoteAlloyConfig } from "../../components/render/alloy";
import { GATEWAY_FILES, renderGatewayConfig, gatewayParams } from "../../components/render/gateway";
import { gatewayHealthTest } from "../../components/gateway";
import { hostProofSpec } from "../../components/verify/host-spec";
import { fakePassword, fakePem, toPlan } from "../../scripts/lib/evaluate";
import { desiredFromEvaluation as evidenceDesired } from "../../scripts/lib/evidence-collect";
import { filesFromEvaluation } from "../../scripts/render";
import { desiredFromEvaluation } from "../../components/verify/desired";
import { driftSpec } from "../../components/verify/spec";
import { defaultPolicyConfigFile, packConfigFor } from "../../scripts/policy-check";
import { POLICIES } from "../../policy/lib/catalog";
import { mandatory, runPolicies } from "../../policy/lib/runner";
import { byType, Evaluation, EvaluatedResource, evaluateProgram, one, pathsContaining, REDACTED, T } from "../util/mocks";
import { withStackFileEnv } from "../util/secure-stack-file";
import { FIXTURES } from "../contracts/helpers";
import { DB1_TLS, fleetStack, fleetStackConfig } from "./fleet-stack";

jest.setTimeout(120_000);

const P = "logging-test";
const REMOTES = ["web1", "db1"] as const;
const AGENTS = ["alloy", "node-exporter", "cadvisor"] as const;

async function evaluateFleet(o: Parameters<typeof fleetStack>[0] = {}): Promise<Evaluation> {
  const f = fleetStack(o);
  return withStackFileEnv(f.file, () => evaluateProgram({ stack: "test", pulumiConfig: f.pulumiConfig, secretKeys: f.secretKeys }));
}

let ev: Evaluation;
let testEv: Evaluation;
/** The config the evaluated fleet was declared from (db1 over tcp:// with TLS). */
const fleet = fleetStack({ tls: true });
const fleetConfig = () => fleetStackConfig(fleet);
beforeAll(async () => {
  ev = await withStackFileEnv(fleet.file, () => evaluateProgram({ stack: "test", pulumiConfig: fleet.pulumiConfig, secretKeys: fleet.secretKeys }));
  testEv = await evaluateProgram({ stack: "test" });
});

/** Host X's resources: the provider, its proof and everything under its HostAgents component. */
function hostResources(x: string): EvaluatedResource[] {
  const agents = one(ev, T.hostAgents, `${P}-${x}`);
  const under = (r: EvaluatedResource): boolean => {
    const parent = r.options.parent;
    if (!parent) return false;
    if (parent === agents.urn) return true;
    const up = ev.resources.find((p) => p.urn === parent);
    return up ? under(up) : false;
  };
  return ev.resources.filter((r) => r === agents || under(r) || (r.type === T.hostProof && r.name === `${P}-${x}-host`));
}

const uploadsOf = (r: EvaluatedResource) => r.inputs.uploads as { file: string; content: string; permissions: string }[];

describe("each other host", () => {
  it.each(REMOTES)("%s: a HostAgents component, its provider, network, directories, three agents and its proof", (x) => {
    const counts: Record<string, number> = {};
    for (const r of hostResources(x)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    expect(counts).toEqual({
      [T.hostAgents]: 1,
      [T.provider]: 1,
      [T.network]: 1,
      [T.hostDirs]: 1,
      "logging-bootstrap:services:Alloy": 1,
      "logging-bootstrap:services:NodeExporter": 1,
      "logging-bootstrap:services:Cadvisor": 1,
      [T.image]: 3,
      [T.container]: 3,
      [T.volume]: 1,
      [T.hostProof]: 1,
    });
    expect(one(ev, T.hostAgents, `${P}-${x}`).options.parent).toBe(one(ev, "logging-bootstrap:stack:ObservabilityStack", P).urn);
  });

  it.each(REMOTES)("%s: every resource is named <project>-%s<suffix> with a suffix of HOST_DERIVED_NAME_SUFFIXES (the component: none)", (x) => {
    for (const r of hostResources(x)) {
      expect(r.name.startsWith(`${P}-${x}`)).toBe(true);
      const suffix = r.name.slice(`${P}-${x}`.length);
      if (r.type === T.hostAgents) expect(suffix).toBe("");
      else expect(HOST_DERIVED_NAME_SUFFIXES).toContain(suffix);
    }
  });

  it.each(REMOTES)("%s: every Docker resource is on the host's own provider, nothing else is", (x) => {
    const provider = one(ev, T.provider, `${P}-${x}-docker`);
    const docker = hostResources(x).filter((r) => r.type.startsWith("docker:"));
    expect(docker.length).toBe(1 + 3 + 3 + 1);
    for (const r of docker) expect(r.provider).toBe(provider.urn);
    // The central host's resources stay on the default provider.
    for (const r of byType(ev, T.container).filter((c) => !hostResources(x).includes(c) && !c.name.includes("-web1-") && !c.name.includes("-db1-"))) expect(r.provider).toBeUndefined();
  });

  it("reaches each engine as the config says: ssh:// without prompts, tcp:// with its TLS leaves as secrets", () => {
    // A provider's inputs reach the engine as strings (lists as JSON).
    expect(one(ev, T.provider, `${P}-web1-docker`).inputs.host).toBe("ssh://deploy@192.0.2.21");
    expect(JSON.parse(String(one(ev, T.provider, `${P}-web1-docker`).inputs.sshOpts))).toEqual(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]);
    expect(one(ev, T.provider, `${P}-web1-docker`).inputs.caMaterial).toBeUndefined();
    const db1 = one(ev, T.provider, `${P}-db1-docker`).inputs;
    expect(db1).toEqual(expect.objectContaining({ host: "tcp://192.0.2.22:2376", caMaterial: REDACTED, certMaterial: REDACTED, keyMaterial: REDACTED }));
    expect(db1.sshOpts).toBeUndefined();
  });

  it.each(REMOTES)("%s: the same Docker names as on the central host, labelled with the host, no published port", (x) => {
    const net = one(ev, T.network, `${P}-${x}-net`);
    expect(net.inputs.name).toBe(`${P}-net`);
    for (const k of AGENTS) {
      const c = one(ev, T.container, `${P}-${x}-${k}`);
      expect(c.inputs.name).toBe(`${P}-${k}`);
      expect(c.inputs.labels).toEqual(expect.arrayContaining([{ label: "logging-bootstrap.host", value: x }, { label: "logging-bootstrap.project", value: P }]));
      expect(c.inputs.ports).toEqual([]);
      expect(c.inputs.networksAdvanced).toEqual([{ name: `${P}-net`, aliases: [k] }]);
      expect(c.propertyDependencies.image).toEqual([one(ev, T.image, `${P}-${x}-${k}`).urn]);
      expect(c.options.deleteBeforeReplace).toBe(true);
      expect(c.inputs.wait).toBe(true);
    }
    expect(one(ev, T.volume, `${P}-${x}-alloy-data`).inputs.name).toBe(`${P}-alloy-data`);
    expect(one(ev, T.volume, `${P}-${x}-alloy-data`).options.retainOnDelete).toBe(true);
    expect(one(ev, T.volume, `${P}-${x}-alloy-data`).inputs.driverOpts).toBeUndefined();
  });

  it("mounts each host's own paths (db1's logs root override) read-only into its Alloy", () => {
    const cfg = fleetConfig();
    for (const x of REMOTES) {
      const logs = hostPaths(cfg, x).logsRoot;
      const vols = one(ev, T.container, `${P}-${x}-alloy`).inputs.volumes as { hostPath?: string; containerPath: string; readOnly: boolean }[];
      expect(vols).toContainEqual({ hostPath: logs, containerPath: logs, readOnly: true });
      for (const v of vols) if (v.hostPath !== undefined) expect(v.readOnly).toBe(true);
    }
    expect(hostPaths(cfg, "db1").logsRoot).toBe("/srv/logs");
  });

  it("creates its directories through its own engine, never with a command on this machine", () => {
    const cfg = fleetConfig();
    expect(byType(ev, T.command).map((c) => c.name)).toEqual([`${P}-host-dirs`]);
    for (const x of REMOTES) {
      const d = one(ev, T.hostDirs, `${P}-${x}-host-dirs`);
      expect(d.inputs.host).toBe(x);
      expect(d.inputs.dockerUrl).toBe(cfg.hosts.find((h) => h.name === x)!.docker.host);
      expect(d.inputs.script).toBe(hostDirsScriptFor(remoteHostDirs(hostPaths(cfg, x)), HOST_ROOT_MOUNT));
      // Run from the host's node-exporter image (BusyBox sh), before its Alloy mounts the directories.
      expect(d.propertyDependencies.image).toEqual([one(ev, T.image, `${P}-${x}-node-exporter`).urn]);
      expect(one(ev, T.container, `${P}-${x}-alloy`).options.dependsOn).toContain(d.urn);
    }
    expect(one(ev, T.hostDirs, `${P}-db1-host-dirs`).inputs).toEqual(expect.objectContaining({ engineCaPem: REDACTED, engineCertPem: REDACTED, engineKeyPem: REDACTED }));
    expect(one(ev, T.hostDirs, `${P}-web1-host-dirs`).inputs.engineKeyPem).toBeUndefined();
  });

  it("gives each Alloy its rendered config, its own gateway password and the gateway's CA, the latter two as 0440 secrets", () => {
    const cfg = fleetConfig();
    for (const x of REMOTES) {
      expect(uploadsOf(one(ev, T.container, `${P}-${x}-alloy`))).toEqual([
        { file: "/etc/alloy/config.alloy", content: renderRemoteAlloyConfig(cfg, x), permissions: "0444", executable: false },
        { file: ALLOY_GATEWAY_FILES.password, content: REDACTED, permissions: "0440", executable: false },
        { file: ALLOY_GATEWAY_FILES.ca, content: REDACTED, permissions: "0440", executable: false },
      ]);
      expect(uploadsOf(one(ev, T.container, `${P}-${x}-node-exporter`))).toEqual([]);
    }
  });
});

describe("the gateway", () => {
  it("is a Gateway component on the central host: a CA and a server certificate for the central address, a password per host, Caddy", () => {
    const g = one(ev, T.gateway, `${P}-gateway`);
    const kids = ev.resources.filter((r) => r.options.parent === g.urn);
    expect(kids.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        `${T.tlsKey} ${P}-gateway-ca-key`,
        `${T.tlsSelfSigned} ${P}-gateway-ca`,
        `${T.tlsKey} ${P}-gateway-key`,
        `${T.tlsCsr} ${P}-gateway-csr`,
        `${T.tlsLocallySigned} ${P}-gateway-cert`,
        `${T.password} ${P}-gateway-password-web1`,
        `${T.password} ${P}-gateway-password-db1`,
        `${T.image} ${P}-gateway-image`,
        `${T.container} ${P}-gateway`,
      ].sort(),
    );
    for (const k of kids) expect(k.provider).toBeUndefined();
    expect(one(ev, T.tlsKey, `${P}-gateway-ca-key`).inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(one(ev, T.tlsSelfSigned, `${P}-gateway-ca`).inputs).toEqual(expect.objectContaining({ isCaCertificate: true, privateKeyPem: REDACTED, allowedUses: ["cert_signing", "crl_signing"] }));
    expect(one(ev, T.tlsCsr, `${P}-gateway-csr`).inputs).toEqual(expect.objectContaining({ ipAddresses: ["192.0.2.10"], privateKeyPem: REDACTED }));
    expect(one(ev, T.tlsLocallySigned, `${P}-gateway-cert`).inputs).toEqual(expect.objectContaining({ caPrivateKeyPem: REDACTED, allowedUses: ["digital_signature", "key_encipherment", "server_auth"] }));
    expect(one(ev, T.image, `${P}-gateway-image`).inputs.name).toBe(DEFAULT_GATEWAY_IMAGE);
  });

  it("runs Caddy on the stack network, published on exposure.bindAddress at gateway.port, healthy by its own 404", () => {
    const c = one(ev, T.container, `${P}-gateway`);
    expect(c.inputs.name).toBe(`${P}-gateway`);
    expect(c.inputs.command).toEqual(["caddy", "run", "--config", GATEWAY_FILES.config]);
    expect(c.inputs.ports).toEqual([{ internal: 8443, external: 9108, ip: "0.0.0.0", protocol: "tcp" }]);
    expect(c.inputs.networksAdvanced).toEqual([{ name: `${P}-net`, aliases: ["gateway"] }]);
    expect((c.inputs.healthcheck as { tests: string[] }).tests).toEqual(gatewayHealthTest());
    expect(c.inputs.labels).toEqual([{ label: "logging-bootstrap.project", value: P }, { label: "logging-bootstrap.service", value: "gateway" }]);
    expect(c.inputs.restart).toBe("unless-stopped");
    expect(c.inputs.memorySwap).toBe(c.inputs.memory);
    expect(c.options.deleteBeforeReplace).toBe(true);
  });

  it("uploads the rendered config in plain, and the certificate, its key and every password hash only as 0440 secrets", () => {
    const cfg = fleetConfig();
    expect(uploadsOf(one(ev, T.container, `${P}-gateway`))).toEqual([
      { file: GATEWAY_FILES.config, content: renderGatewayConfig(gatewayParams(cfg)), permissions: "0444", executable: false },
      { file: GATEWAY_FILES.certificate, content: REDACTED, permissions: "0440", executable: false },
      { file: GATEWAY_FILES.key, content: REDACTED, permissions: "0440", executable: false },
      { file: "/etc/caddy/secrets/web1.bcrypt", content: REDACTED, permissions: "0440", executable: false },
      { file: "/etc/caddy/secrets/db1.bcrypt", content: REDACTED, permissions: "0440", executable: false },
    ]);
    expect(renderFleetFiles(cfg).gateway.map((f) => f.path)).toEqual([GATEWAY_FILES.config]);
  });

  it("gateway.image, when set, is the image pulled", async () => {
    const other = await evaluateFleet({ remotes: ["web1"], gatewayImage: "127.0.0.1:5000/testenv/caddy:v2.11.9" });
    expect(one(other, T.image, `${P}-gateway-image`).inputs.name).toBe("127.0.0.1:5000/testenv/caddy:v2.11.9");
  });
});

describe("the central host in a fleet", () => {
  it("runs Prometheus with the remote-write receiver; its containers, names and Docker names are the test stack's", () => {
    expect(one(ev, T.container, `${P}-prometheus`).inputs.command).toContain("--web.enable-remote-write-receiver");
    const central = (e: Evaluation) => byType(e, T.container).filter((c) => !/-(web1|db1)-/.test(c.name) && c.name !== `${P}-gateway`).map((c) => c.name).sort();
    expect(central(ev)).toEqual(central(testEv));
    // Docker names on the central engine: the suffixes the lint's project-name limit assumes.
    for (const r of [...byType(ev, T.container), ...byType(ev, T.volume), ...byType(ev, T.network)]) {
      if (r.provider !== undefined) continue;
      expect(DERIVED_NAME_SUFFIXES).toContain(String(r.inputs.name).slice(P.length));
    }
  });

  it("the verify levels and L8 see the central containers and the gateway, not the other hosts' agents", () => {
    const drift = one(ev, "pulumi-nodejs:dynamic/logging-bootstrap:ConfigDriftProof", `${P}-config-drift`);
    const targets = (drift.inputs.containers as { service: string; container: string; dirs: { root: string }[] }[]).map((t) => [t.service, t.container, t.dirs.map((d) => d.root)]);
    expect(targets).toContainEqual(["gateway", `${P}-gateway`, ["/etc/caddy"]]);
    expect(targets.filter(([s]) => s === "alloy")).toEqual([["alloy", `${P}-alloy`, ["/etc/alloy"]]]);
    expect(drift.dependencies).toContain(one(ev, T.container, `${P}-gateway`).urn);
    expect(Object.keys(drift.inputs.secretDigests as object)).toContain("gateway");
  });
});

describe("the host proofs", () => {
  it.each(REMOTES)("%s: its proof runs checkHost's input after its agents, the gateway, Loki and Prometheus", (x) => {
    const proof = one(ev, T.hostProof, `${P}-${x}-host`);
    const spec = hostProofSpec(fleetConfig(), x);
    expect(proof.inputs).toEqual(expect.objectContaining({ ...spec }));
    expect(proof.options.parent).toBe(one(ev, "logging-bootstrap:verify:Proofs", `${P}-proofs`).urn);
    const deps = [...AGENTS.map((k) => one(ev, T.container, `${P}-${x}-${k}`).urn), one(ev, T.container, `${P}-gateway`).urn, one(ev, T.container, `${P}-loki`).urn, one(ev, T.container, `${P}-prometheus`).urn];
    for (const d of deps) expect(proof.dependencies).toContain(d);
    expect(Object.keys(proof.inputs.containerIds as object).sort()).toEqual(["alloy", "cadvisor", "nodeExporter"]);
  });

  it("a tcp:// host's proof carries its engine's TLS leaves as secrets; an ssh:// host's none", () => {
    expect(one(ev, T.hostProof, `${P}-db1-host`).inputs).toEqual(expect.objectContaining({ engineCaPem: REDACTED, engineCertPem: REDACTED, engineKeyPem: REDACTED }));
    expect(one(ev, T.hostProof, `${P}-web1-host`).inputs.engineCaPem).toBeUndefined();
  });

  it("every service container, the gateway and the other hosts' agents are proved, so the policy pack passes the fleet", async () => {
    const r = await runPolicies(POLICIES, ev.resources, packConfigFor(fleet.file, defaultPolicyConfigFile("test")));
    expect(mandatory(r)).toEqual([]);
  });
});

describe("the plan's readers on a fleet", () => {
  it("verify's desired state holds the central containers and the gateway; L8's targets add the gateway's config directory", () => {
    const d = desiredFromEvaluation(ev, fleetConfig(), "probe");
    expect(d.containers.alloy).toBe(`${P}-alloy`);
    expect(Object.values(d.containers).sort()).toEqual(byType(testEv, T.container).map((c) => String(c.inputs.name)).sort());
    expect(d.gateway?.container).toBe(`${P}-gateway`);
    expect(d.gateway?.files.map((f) => f.path)).toEqual([GATEWAY_FILES.config]);
    expect(d.gateway?.uploads.filter((u) => u.secret).map((u) => u.path)).toEqual([GATEWAY_FILES.certificate, GATEWAY_FILES.key, "/etc/caddy/secrets/web1.bcrypt", "/etc/caddy/secrets/db1.bcrypt"]);
    expect(driftSpec(d).containers.map((t) => t.service)).toEqual([...driftSpec(desiredFromEvaluation(testEv, fleetConfig(), "probe")).containers.map((t) => t.service), "gateway"]);
  });

  it("render writes the gateway's files under files/gateway/ and each host's under files/<host>/<service>/, the central host's where they were", () => {
    const cfg = fleetConfig();
    const files = filesFromEvaluation(ev);
    expect(files["files/gateway/etc/caddy/caddy.json"]).toBe(renderGatewayConfig(gatewayParams(cfg)));
    for (const x of REMOTES) expect(files[`files/${x}/alloy/etc/alloy/config.alloy`]).toBe(renderRemoteAlloyConfig(cfg, x));
    const central = filesFromEvaluation(testEv);
    for (const [k, v] of Object.entries(central)) if (!k.startsWith("files/prometheus/") && !k.startsWith("files/grafana/")) expect([k, files[k]]).toEqual([k, v]);
    expect(Object.keys(files).filter((k) => k.includes("secrets") || k.includes("/tls/") || k.endsWith(".pem"))).toEqual([]);
    // The run evidence's desired SHAs keep the hosts apart the same way.
    expect(Object.keys(evidenceDesired(ev))).toEqual(expect.arrayContaining(["alloy:/etc/alloy/config.alloy", "web1/alloy:/etc/alloy/config.alloy", "db1/alloy:/etc/alloy/config.alloy", "gateway:/etc/caddy/caddy.json"]));
  });

  it("in offlineMode the gateway's image is checked on the central engine with the services' images", async () => {
    const f = fleetStack({ remotes: ["web1"] });
    f.pulumiConfig["logging-bootstrap:offlineMode"] = "true";
    const missing = withStackFileEnv(f.file, () => evaluateProgram({ stack: "test", pulumiConfig: f.pulumiConfig, secretKeys: f.secretKeys, missingLocalImages: [DEFAULT_GATEWAY_IMAGE] }));
    await expect(missing).rejects.toThrow(/E_DEPS_IMAGE_MISSING_OFFLINE: offlineMode is on and 1 pinned image\(s\) are not on the Docker host: caddy:2\.11\.9-alpine \(gateway\)/);
  });
});

describe("secrets and outputs", () => {
  it("no TLS leaf, password or key appears in plain anywhere in the plan or the outputs", () => {
    expect(ev.leaks).toEqual([]);
    const plan = JSON.stringify(toPlan(ev));
    for (const v of Object.values(DB1_TLS)) expect(plan).not.toContain(v.split("\n")[1]);
    for (const x of REMOTES) expect(pathsContaining(toPlan(ev), fakePassword(`${P}-gateway-password-${x}`))).toEqual([]);
    // The mocks' private keys (tls.PrivateKey's secret output) reach only secret inputs.
    for (const k of ["ca-key", "key"]) expect(pathsContaining(toPlan(ev), fakePem("PRIVATE KEY", `${P}-gateway-${k}`).split("\n")[1])).toEqual([]);
    expect(pathsContaining(toPlan(ev), "-----BEGIN PRIVATE KEY-----")).toEqual([]);
  });

  it("export the gateway's URL and CA (not secret) and per host its engine, containers, images and config SHAs", () => {
    const out = ev.outputs as Record<string, any>;
    expect(out.gateway.url).toBe("https://192.0.2.10:9108");
    expect(out.gateway.caCertPem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(out.gateway.container).toBe(`${P}-gateway`);
    expect(Object.keys(out.hosts).sort()).toEqual(["db1", "web1"]);
    const cfg = fleetConfig();
    const files = renderFleetFiles(cfg).hosts;
    for (const x of REMOTES) {
      expect(out.hosts[x]).toEqual(
        expect.objectContaining({
          docker: one(ev, T.provider, `${P}-${x}-docker`).inputs.host,
          network: `${P}-net`,
          containers: { alloy: `${P}-alloy`, nodeExporter: `${P}-node-exporter`, cadvisor: `${P}-cadvisor` },
          configFiles: { alloy: { "/etc/alloy/config.alloy": files[x][0].sha256 } },
        }),
      );
      expect(out.hosts[x].images.alloy.ref).toBe(cfg.images.alloy);
    }
  });
});

describe("a fleet of one", () => {
  it("declares no fleet resource and exports no fleet output", () => {
    const types = new Set(testEv.resources.map((r) => r.type));
    for (const t of [T.provider, T.hostAgents, T.gateway, T.hostProof, T.hostDirs, T.tlsKey]) expect(types.has(t)).toBe(false);
    expect(testEv.outputs.gateway).toBeUndefined();
    expect(testEv.outputs.hosts).toBeUndefined();
    for (const r of testEv.resources) expect(r.provider).toBeUndefined();
  });

  it("a v2 stack file declares exactly the v3 test stack's plan (resources, inputs, options, outputs)", async () => {
    const v2 = await evaluateProgram({ stack: "test", configFile: `${FIXTURES}/Pulumi.test.v2.yaml` });
    expect(toPlan(v2)).toEqual(toPlan(testEv));
  });

  it("adding a host changes no other host's agents", async () => {
    const web1Only = await evaluateFleet({ remotes: ["web1"] });
    const web1 = (e: Evaluation) => e.resources.filter((r) => r.name.startsWith(`${P}-web1-`) && r.type !== T.hostProof).map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, options: r.options }));
    expect(web1(ev)).toEqual(web1(web1Only));
  });
});
