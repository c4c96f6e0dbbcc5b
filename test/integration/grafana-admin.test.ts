// GrafanaAdminPassword, serialized as the engine serializes it, through Pulumi's dynamic-provider
// host over gRPC, against the test environment's Grafana DOUBLE on a real Docker engine: Create in
// sync; a password changed inside the container (through the double's `grafana cli`, with the
// password on `docker exec` stdin) is seen by Read as refused; Update resets it the same way and
// the configured password logs in again. The exec's recorded command line never holds a password.
import * as fs from "fs";
import * as path from "path";
import Docker from "dockerode";
import { GRAFANA_RESET_COMMAND } from "../../components/defaults";
import { makeDocker } from "../../components/verify/io";
import { grafanaAdminSpec, type DesiredState } from "../../components/verify/spec";
import { loadDesired, parseEnvFile } from "../../scripts/verify";
import { ProviderHost, serializeProviderFresh, startHost, urnOf } from "../util/provider-host";

const ENV_FILE = path.resolve(__dirname, "..", ".tmp", "testenv.json");
const env = JSON.parse(fs.readFileSync(ENV_FILE, "utf8"));
const password = parseEnvFile(fs.readFileSync(env.secretsFile, "utf8")).GRAFANA_ADMIN_PASSWORD;
const URN = urnOf("pulumi-nodejs:dynamic/logging-bootstrap:GrafanaAdminPassword", "testenv-grafana-admin-sync");
const OTHER = "changed-behind-the-stack-7f3a";
let host: ProviderHost;
let d: DesiredState;
let providerText: string;
jest.setTimeout(120_000);

beforeAll(async () => {
  d = await loadDesired({ stack: env.stack, configFile: env.configFile, probeImage: env.probeImage });
  providerText = await serializeProviderFresh({ kind: "admin" });
  // No GRAFANA_ADMIN_PASSWORD in the host: Read must take the password from the container's file.
  host = await startHost({ env: { GRAFANA_ADMIN_PASSWORD: "" } });
}, 120_000);
afterAll(async () => {
  await host?.stop();
});

function inputs(): Record<string, unknown> {
  const spec = grafanaAdminSpec(d.config, d.containers.grafana);
  if (!spec) throw new Error("the testenv config publishes no Grafana port");
  return { __provider: providerText, ...spec, deadlineSeconds: 30, containerId: env.services.grafana.id, adminPassword: password };
}

async function loginStatus(pw: string): Promise<number> {
  const spec = grafanaAdminSpec(d.config, d.containers.grafana)!;
  const res = await fetch(`${spec.grafanaUrl}/api/user`, { headers: { Authorization: `Basic ${Buffer.from(`admin:${pw}`).toString("base64")}` }, signal: AbortSignal.timeout(5000) });
  await res.text();
  return res.status;
}

describe("GrafanaAdminPassword on the test environment (Grafana double, real Docker engine)", () => {
  test("Create: in sync (the first start stored the configured password); Read returns the same state", async () => {
    expect(await loginStatus(password)).toBe(200);
    const c = await host.create(URN, inputs());
    expect(c.properties.state).toBe("in-sync");
    expect(JSON.stringify(c.properties)).not.toContain(password);
    const r = await host.read(URN, c.id, c.properties);
    expect(r.properties).toEqual(c.properties);
  });

  test("changed behind the stack: Read says refused, Diff wants an update, Update resets through stdin and the configured password logs in again", async () => {
    const startedAt = Math.floor(Date.now() / 1000) - 1;
    const c = await host.create(URN, inputs());
    const docker = await makeDocker();
    try {
      // Drift, made the way an operator would: Grafana's CLI in the container, password on stdin.
      const drift = await docker.exec(d.containers.grafana, [...GRAFANA_RESET_COMMAND], 30_000, `${OTHER}\n`);
      expect(drift).toMatchObject({ exitCode: 0, stdout: expect.stringContaining("Admin password changed successfully") });
      // Every refused login counts towards Grafana's lockout (5 in 5 minutes, for the whole suite):
      // Read is the one that tries the configured password here.
      expect(await loginStatus(OTHER)).toBe(200);

      const r = await host.read(URN, c.id, c.properties);
      expect(r.properties.state).toBe("refused");
      expect(await host.diff(URN, c.id, r.properties, inputs())).toEqual({ changes: "SOME", replaces: [] });

      const u = await host.update(URN, c.id, r.properties, inputs());
      expect(u.properties).toEqual(c.properties);
      expect(await loginStatus(password)).toBe(200);
      expect(await loginStatus(OTHER)).toBe(401);

      // What the engine recorded of every exec in the container (its exec_create events carry the
      // command line; finished execs leave ExecIDs): the resets ran, no password on any command line.
      const api = new Docker();
      const stream = (await api.getEvents({ since: startedAt, until: Math.ceil(Date.now() / 1000) + 1, filters: { container: [d.containers.grafana], type: ["container"] } })) as unknown as NodeJS.ReadableStream;
      let raw = "";
      for await (const chunk of stream as AsyncIterable<Buffer>) raw += chunk.toString("utf8");
      const actions = raw.split("\n").filter((l) => l.trim() !== "").map((l) => String(JSON.parse(l).Action ?? ""));
      const execLines = actions.filter((a) => a.startsWith("exec_create: "));
      expect(execLines.filter((a) => a.includes("admin reset-admin-password --password-from-stdin")).length).toBeGreaterThanOrEqual(2); // the drift and the Update
      for (const l of execLines) {
        expect(l).not.toContain(password);
        expect(l).not.toContain(OTHER);
      }
    } finally {
      // Leave the environment as found whatever failed above (the other suites log in with `password`).
      await docker.exec(d.containers.grafana, [...GRAFANA_RESET_COMMAND], 30_000, `${password}\n`);
    }
  });
});
