// The proof providers, serialized as the engine serializes them, through Pulumi's dynamic-provider
// host over gRPC, against the real test environment: Create green for all eight levels, Read of
// the healthy stack returns exactly the created state (refresh: no changes), Read after a drift
// shows it, Read after the repair is back to the created state.
import * as fs from "fs";
import * as path from "path";
import Docker from "dockerode";
import { alertDeliverySpec, dashboardsSpec, driftSpec, healthSpec, ingestionSpec, labelsSpec, provenanceTargets, reachabilitySpec, rulesSpec } from "../../components/verify/spec";
import type { DesiredState } from "../../components/verify/spec";
import { driftRecordFrom, imagesFromRecord } from "../../components/verify/suite";
import { Level, PROOF_TYPES } from "../../components/verify/types";
import { loadDesired, parseEnvFile } from "../../scripts/verify";
import { driftKeyFrom } from "../../scripts/lib/verify-load";
import { tarOf, waitDockerHealthy } from "../tools/faults/support";
import { ProviderHost, serializeProviderFresh, startHost, urnOf } from "../util/provider-host";
import { markerTimeMs } from "../../components/verify/evidence";

const ENV_FILE = path.resolve(__dirname, "..", ".tmp", "testenv.json");
const env = JSON.parse(fs.readFileSync(ENV_FILE, "utf8"));
const password = parseEnvFile(fs.readFileSync(env.secretsFile, "utf8")).GRAFANA_ADMIN_PASSWORD;
let host: ProviderHost;
let d: DesiredState;

beforeAll(async () => {
  d = await loadDesired({ stack: env.stack, configFile: env.configFile, probeImage: env.probeImage });
  // No GRAFANA_ADMIN_PASSWORD in the host: a refresh must find the credential without state.
  host = await startHost({ env: { GRAFANA_ADMIN_PASSWORD: "" } });
}, 120_000);
afterAll(async () => {
  await host?.stop();
});

/** L3's marker once its proof was created (L4 takes it, as the program wires L3's output in). */
let l3Marker: string | undefined;

function props(level: Level): Record<string, unknown> {
  const images = imagesFromRecord(env);
  switch (level) {
    case "L1":
      return { ...healthSpec(d, "loki"), containerId: env.services.loki.id };
    case "L2":
      return { ...reachabilitySpec(d) };
    case "L3":
      return { ...ingestionSpec(d), timeoutSeconds: 60 };
    case "L4":
      return { ...labelsSpec(d), ingestionMarker: l3Marker };
    case "L5":
      return { ...dashboardsSpec(d), adminPassword: password };
    case "L6":
      return { ...rulesSpec(d) };
    case "L7":
      return { containers: provenanceTargets(d, images) };
    case "L8": {
      // The drift key and the keyed hashes, as the program passes them (testenv.json + secrets.env).
      const drift = driftRecordFrom(env, driftKeyFrom(env.secretsFile, {}));
      return { ...driftSpec(d), driftKey: drift.key, secretDigests: drift.secretDigests };
    }
    case "L9":
      return { ...alertDeliverySpec(d) };
  }
}

const strip = (p: Record<string, unknown>) => {
  const { __provider, ...rest } = p;
  void __provider;
  return rest;
};

describe("proof providers through the real dynamic-provider host on the test environment", () => {
  const created: Partial<Record<Level, { id: string; properties: Record<string, unknown>; inputs: Record<string, unknown>; urn: string }>> = {};

  test.each(["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8", "L9"] as Level[])("%s: Check + Create green, Read returns the created state, Diff none", async (level) => {
    const text = await serializeProviderFresh({ kind: "proof", level });
    const inputs = { __provider: text, ...props(level) };
    const urn = urnOf(`pulumi-nodejs:dynamic/logging-bootstrap:${PROOF_TYPES[level]}`, `testenv-${level}`, env.stack);
    const checked = await host.check(urn, {}, inputs);
    const c = await host.create(urn, checked.inputs);
    expect(c.properties).toMatchObject({ level, status: "green", findings: [] });
    expect(JSON.stringify(strip(c.properties))).not.toContain(password);
    const r = await host.read(urn, c.id, c.properties);
    expect(r.properties).toEqual(c.properties);
    expect(await host.diff(urn, c.id, c.properties, inputs)).toEqual({ changes: "NONE", replaces: [] });
    created[level] = { id: c.id, properties: c.properties, inputs, urn };
    if (level === "L3") {
      // The marker is an output (state), kept as is by Read, and never part of the desired inputs.
      // lbproof-<unix seconds>-<hex> (components/verify/evidence.ts newMarker): its time bounds L4's query.
      expect(c.properties.marker).toMatch(/^lbproof-\d+-[0-9a-f]+$/);
      expect(markerTimeMs(c.properties.marker as string)).toBeGreaterThan(Date.now() - 600_000);
      l3Marker = c.properties.marker as string;
    }
  }, 120_000);

  test("L8: a config file edited inside a running container -> Read shows the drift, Diff wants an update; repair -> Read clean again", async () => {
    const c = created.L8!;
    expect(c).toBeDefined();
    const docker = new Docker();
    const file = d.files.loki[0];
    const loki = docker.getContainer(env.services.loki.container);
    const put = (content: string) => loki.putArchive(tarOf(path.posix.basename(file.path), Buffer.from(content)), { path: path.posix.dirname(file.path) });
    await put(file.content + "# drift\n");
    try {
      const r = await host.read(c.urn, c.id, c.properties);
      expect(r.properties).toMatchObject({ status: "red", code: "E_PROOF_CONFIG_DRIFT" });
      expect((r.properties.findings as string[])[0]).toMatch(new RegExp(`^loki: ${file.path} in ${env.services.loki.container} has sha256 [0-9a-f]{64}, rendered ${file.sha256}$`));
      expect((await host.diff(c.urn, c.id, r.properties, c.inputs)).changes).toBe("SOME");
      await expect(host.update(c.urn, c.id, r.properties, c.inputs)).rejects.toMatchObject({ code: 2, details: expect.stringMatching(/^E_PROOF_CONFIG_DRIFT: L8 proof is red/) });
    } finally {
      await put(file.content);
    }
    const healed = await host.read(c.urn, c.id, c.properties);
    expect(healed.properties).toEqual(c.properties);
  }, 60_000);

  test("L1: a stopped container -> Create fails with E_PROOF_HEALTH; started again -> green", async () => {
    const docker = new Docker();
    const cad = docker.getContainer(env.services.cadvisor.container);
    const text = await serializeProviderFresh({ kind: "proof", level: "L1" });
    const inputs = { __provider: text, ...healthSpec(d, "cadvisor"), containerId: env.services.cadvisor.id };
    const urn = urnOf("pulumi-nodejs:dynamic/logging-bootstrap:HealthProof", "testenv-health-cadvisor", env.stack);
    await cad.stop({ t: 2 });
    try {
      await expect(host.create(urn, inputs)).rejects.toMatchObject({ code: 2, details: expect.stringMatching(/^E_PROOF_HEALTH: L1 proof is red: cadvisor: container logging-testenv-cadvisor is exited/) });
    } finally {
      await cad.start();
      // Hand the environment back as found: the next suite must not meet a container still "starting".
      await waitDockerHealthy(docker, env.services.cadvisor.container, 90);
    }
    const c = await host.create(urn, inputs);
    expect(c.properties.status).toBe("green");
  }, 180_000);
});
