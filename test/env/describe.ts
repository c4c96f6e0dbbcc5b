// After `pulumi up` of the testenv stack: test/.tmp/testenv.json (what the integration tests, the
// fault matrix and the benchmark read) and test/.tmp/secrets.env (mode 0600), built from the
// stack's outputs and what the engine reports, never from the plan alone.
//
//   tsx test/env/describe.ts --outputs <stack output --json file> --config-file <tracked stack file>
//        --stack-file <generated stack file> --render <dir> --tmp <dir> [--socket /var/run/docker.sock]
//        [--policy-config <file>] [--fleet-tls <host>=<dir>]
// A fleet (TESTENV_FLEET=1) adds `fleet`: every host of the stack file (name, central, docker,
// address; the directory of a tcp:// host's TLS client certificate, never its key's content), the
// gateway's URL and the policy config every bootstrap of the stack needs.
// Grafana's admin password is read out of the Grafana container's secret file (the archive API),
// the same file Grafana reads; it is written only to secrets.env.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import YAML from "yaml";
import { FILES } from "../../components/defaults";
import { isFleet } from "../../contracts/config/hosts";
import { loadConfigFile } from "../../contracts/config/load";
import type { StackConfig } from "../../contracts/config/schema";
import { fileFromTar } from "../../components/verify/io";
import { runPulumi } from "./pulumi";

export const PROBE_IMAGE = "127.0.0.1:5000/testenv/busybox:1.35";

export interface ServiceInfo {
  container: string;
  id: string;
  imageRef: string;
  imageId: string;
  repoDigest: string;
  kind: "real" | "double";
  containerPort?: number;
  hostIp?: string;
  hostPort?: number;
  url?: string;
}

/** One host of a fleet, as the tests reach it (test/env/fleet/hosts.sh made the non-central ones). */
export interface FleetHostInfo {
  name: string;
  central: boolean;
  /** Its engine: unix:///..., or tcp://host:2376 with the client certificate in tlsDir (ca.pem, cert.pem, key.pem). */
  docker: string;
  address: string;
  tlsDir?: string;
}

export interface FleetInfo {
  hosts: FleetHostInfo[];
  /** https://<central address>:<gateway.port> */
  gatewayUrl: string;
  /** What every `bootstrap` of the stack passes as --policy-config (its LAN exposure declared). */
  policyConfig: string;
}

export interface TestenvInfo {
  version: 2;
  engine: { socket: string; host: string; serverVersion: string; startedByTestenv: boolean };
  registry: string;
  project: string;
  stack: string;
  /** The tracked stack file (render, verify and policy:check read it). */
  configFile: string;
  /** How to reach the stack with the Pulumi CLI (repair, destroy). */
  pulumi: { backendUrl: string; passphraseFile: string; stackFile: string };
  renderDir: string;
  planFile: string;
  secretsFile: string;
  secretKeys: string[];
  network: string;
  volumes: string[];
  paths: Record<string, string>;
  probeImage: string;
  services: Record<string, ServiceInfo>;
  /** L8: service -> path -> keyed hash of each secret file (the stack output; the key is in secretsFile). */
  configSecretDigests: Record<string, Record<string, string>>;
  /** The three-host environment only (TESTENV_FLEET=1). */
  fleet?: FleetInfo;
  upAt: string;
}

/** `fleet` of testenv.json from the stack file's hosts; undefined for a fleet of one. */
export function fleetInfo(cfg: Pick<StackConfig, "hosts" | "gateway">, policyConfig: string | undefined, tlsDirs: Record<string, string>): FleetInfo | undefined {
  if (!isFleet(cfg)) return undefined;
  if (!policyConfig) throw new Error("a fleet's stack needs --policy-config (its LAN exposure declared to the policy pack)");
  const central = cfg.hosts.find((h) => h.central);
  if (!central || !cfg.gateway) throw new Error("a fleet has a central host and gateway.port (the lint requires both)");
  const hosts = cfg.hosts.map((h) => {
    const tcp = h.docker.host.startsWith("tcp://");
    if (tcp && !tlsDirs[h.name]) throw new Error(`host ${h.name} is on ${h.docker.host}: --fleet-tls ${h.name}=<dir> names its client certificate`);
    return { name: h.name, central: h.central === true, docker: h.docker.host, address: h.address, ...(tcp ? { tlsDir: path.resolve(tlsDirs[h.name]) } : {}) };
  });
  return { hosts, gatewayUrl: `https://${central.address}:${cfg.gateway.port}`, policyConfig: path.resolve(policyConfig) };
}

/** --fleet-tls <host>=<dir> (repeatable) as a map. */
export function parseTlsDirs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf("=");
    if (i <= 0 || i === a.length - 1) throw new Error(`--fleet-tls wants <host>=<dir>, got ${JSON.stringify(a)}`);
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

interface StackOutputs {
  projectName: string;
  network: string;
  containers: Record<string, string>;
  images: Record<string, { ref: string; imageId: string; repoDigest: string }>;
  volumes: Record<string, string>;
  configSecretDigests?: Record<string, Record<string, string>>;
}

/** One secret output of the testenv stack in clear (undefined when the stack has none by that name). */
async function stackSecretOutput(name: string): Promise<string | undefined> {
  const info = { pulumi: { backendUrl: process.env.PULUMI_BACKEND_URL ?? "", passphraseFile: process.env.PULUMI_CONFIG_PASSPHRASE_FILE ?? "", stackFile: "" } };
  const r = await runPulumi(info, ["stack", "output", name, "--show-secrets", "--stack", "testenv", "--non-interactive"], 60_000);
  const v = r.stdout.trim();
  return r.code === 0 && v !== "" ? v : undefined;
}

/** paths.* of a stack file (what the containers mount and the proofs write into). */
export function hostPaths(configText: string): Record<string, string> {
  const doc = YAML.parse(configText) as { config?: Record<string, unknown> };
  const paths = (doc?.config?.["logging-bootstrap:paths"] ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(paths).filter(([, v]) => typeof v === "string")) as Record<string, string>;
}

/** One service's record: the stack's own outputs, completed with what the engine runs. */
export function serviceInfo(svc: string, out: StackOutputs, inspect: Docker.ContainerInspectInfo): ServiceInfo {
  const img = out.images[svc];
  const binding = Object.entries(inspect.HostConfig?.PortBindings ?? {}).find(([, b]) => Array.isArray(b) && b.length > 0) as [string, { HostIp: string; HostPort: string }[]] | undefined;
  const info: ServiceInfo = {
    container: out.containers[svc],
    id: inspect.Id,
    imageRef: img.ref,
    imageId: img.imageId,
    repoDigest: img.repoDigest ?? "",
    kind: img.ref.includes("/doubles/") ? "double" : "real",
  };
  if (binding) {
    const hostIp = binding[1][0].HostIp || "0.0.0.0";
    info.containerPort = Number(binding[0].split("/")[0]);
    info.hostIp = hostIp;
    info.hostPort = Number(binding[1][0].HostPort);
    info.url = `http://${hostIp === "0.0.0.0" ? "127.0.0.1" : hostIp}:${info.hostPort}`;
  }
  return info;
}

async function readContainerFile(docker: Docker, container: string, file: string): Promise<string> {
  const stream = await docker.getContainer(container).getArchive({ path: file });
  const f = await fileFromTar(stream, 64 * 1024);
  if (f.kind !== "file") throw new Error(`${file} in ${container}: ${f.kind}`);
  return f.content.toString("utf8");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      outputs: { type: "string" },
      "config-file": { type: "string" },
      "stack-file": { type: "string" },
      render: { type: "string" },
      tmp: { type: "string" },
      socket: { type: "string", default: "/var/run/docker.sock" },
      "policy-config": { type: "string" },
      "fleet-tls": { type: "string", multiple: true },
    },
  });
  for (const k of ["outputs", "config-file", "stack-file", "render", "tmp"] as const) if (!values[k]) throw new Error(`--${k} is required`);
  const tmp = path.resolve(values.tmp!);
  const out = JSON.parse(fs.readFileSync(values.outputs!, "utf8")) as StackOutputs;
  const docker = new Docker({ socketPath: values.socket });
  const services: Record<string, ServiceInfo> = {};
  for (const svc of Object.keys(out.containers).sort()) services[svc] = serviceInfo(svc, out, await docker.getContainer(out.containers[svc]).inspect());

  const secretsFile = path.join(tmp, "secrets.env");
  const secrets: Record<string, string> = {
    GRAFANA_ADMIN_PASSWORD: (await readContainerFile(docker, out.containers.grafana, FILES.grafanaAdminPassword)).trim(),
    GRAFANA_SECRET_KEY: (await readContainerFile(docker, out.containers.grafana, FILES.grafanaSecretKey)).trim(),
  };
  // L8's drift key (a secret stack output): verify and the fault matrix compare the secret files by
  // their keyed hashes with it. Read through the Pulumi CLI, never out of a container.
  const driftKey = await stackSecretOutput("configDriftKey");
  if (driftKey) secrets.CONFIG_DRIFT_KEY = driftKey;
  fs.writeFileSync(secretsFile, Object.keys(secrets).sort().map((k) => `${k}=${secrets[k]}`).join("\n") + "\n", { mode: 0o600 });
  fs.chmodSync(secretsFile, 0o600);

  const fleet = fleetInfo(loadConfigFile(values["stack-file"]!), values["policy-config"], parseTlsDirs(values["fleet-tls"] ?? []));
  const version = await docker.version();
  const info: TestenvInfo = {
    version: 2,
    engine: { socket: values.socket!, host: `unix://${values.socket}`, serverVersion: version.Version, startedByTestenv: fs.existsSync(path.join(tmp, "dockerd.pid")) },
    registry: "127.0.0.1:5000",
    project: out.projectName,
    stack: "testenv",
    configFile: path.resolve(values["config-file"]!),
    pulumi: {
      backendUrl: process.env.PULUMI_BACKEND_URL ?? "",
      passphraseFile: process.env.PULUMI_CONFIG_PASSPHRASE_FILE ?? "",
      stackFile: path.resolve(values["stack-file"]!),
    },
    renderDir: path.resolve(values.render!),
    planFile: path.resolve(values.render!, "plan.json"),
    secretsFile,
    secretKeys: Object.keys(secrets).sort(),
    network: out.network,
    volumes: Object.values(out.volumes).sort(),
    paths: hostPaths(fs.readFileSync(values["config-file"]!, "utf8")),
    probeImage: PROBE_IMAGE,
    services,
    configSecretDigests: out.configSecretDigests ?? {},
    ...(fleet ? { fleet } : {}),
    upAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(tmp, "testenv.json"), JSON.stringify(info, null, 2) + "\n");
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`describe: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
