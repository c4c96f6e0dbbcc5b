// Unit tests of the stack-from-plan launcher's pure parts: plan -> Docker create options, secret
// handling, the upload tar, dependency waves.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTsx } from "../util/provider-host";
import { classifyPlan, durationNs, generateSecret, hostPaths, parseEnvFile, Plan, planContainers, REDACTED, secretKey, SKIPPED_TYPES, specHash, tarFiles, waves } from "./launcher";

const STACK = "urn:pulumi:testenv::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack::p";
const comp = (cls: string, n: string) => `${STACK.replace("::p", "")}$logging-bootstrap:services:${cls}::${n}`;

function plan(): Plan {
  const lokiComp = comp("Loki", "p-loki");
  const alloyComp = comp("Alloy", "p-alloy");
  const res = (type: string, name: string, urn: string, inputs: Record<string, unknown>, parent: string | null, dependsOn: string[] = []) => ({
    type,
    name,
    urn,
    inputs,
    options: { protect: false, retainOnDelete: false, deleteBeforeReplace: true, dependsOn, parent },
  });
  return {
    project: "logging-bootstrap",
    stack: "testenv",
    outputs: {},
    resources: [
      res("logging-bootstrap:services:Loki", "p-loki", lokiComp, {}, STACK),
      res("logging-bootstrap:services:Alloy", "p-alloy", alloyComp, {}, STACK, [lokiComp]),
      res("docker:index/remoteImage:RemoteImage", "p-loki-image", `${lokiComp}-img`, { name: "127.0.0.1:5000/doubles/loki:3.0.0" }, lokiComp),
      res("docker:index/remoteImage:RemoteImage", "p-alloy-image", `${alloyComp}-img`, { name: "127.0.0.1:5000/doubles/alloy:v1.2.1" }, alloyComp),
      res(
        "docker:index/container:Container",
        "p-loki",
        `${lokiComp}-c`,
        {
          name: "p-loki",
          image: "sha256:fake-under-mocks",
          command: ["-config.file=/etc/loki/config.yaml"],
          envs: ["A=1", `TOKEN=${REDACTED}`],
          labels: [
            { label: "logging-bootstrap.project", value: "p" },
            { label: "logging-bootstrap.service", value: "loki" },
          ],
          ports: [{ internal: 3100, external: 19102, ip: "127.0.0.1", protocol: "tcp" }],
          volumes: [
            { volumeName: "p-loki-data", containerPath: "/loki", readOnly: false },
            { hostPath: "/tmp/x", containerPath: "/tmp/x", readOnly: true },
          ],
          uploads: [
            { file: "/etc/loki/config.yaml", content: "a: 1\n", permissions: "0444" },
            { file: "/etc/loki/secrets/api_key", content: REDACTED, permissions: "0400", owner: "10001", group: "10001" },
          ],
          healthcheck: { tests: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"], interval: "5s", timeout: "3s", retries: 10, startPeriod: "1m30s" },
          restart: "unless-stopped",
          logDriver: "json-file",
          logOpts: { "max-size": "10m", "max-file": "3" },
          memory: 512,
          user: "10001:10001",
          networksAdvanced: [{ name: "p-net", aliases: ["loki"] }],
        },
        lokiComp,
      ),
      res(
        "docker:index/container:Container",
        "p-alloy",
        `${alloyComp}-c`,
        { name: "p-alloy", image: "sha256:fake", labels: [{ label: "logging-bootstrap.service", value: "alloy" }], privileged: true, networksAdvanced: [{ name: "p-net", aliases: ["alloy"] }] },
        alloyComp,
      ),
    ],
  };
}

describe("planContainers", () => {
  test("maps every declared input onto Docker's create options", () => {
    const secrets: Record<string, string> = {};
    const [loki, alloy] = planContainers(plan(), secrets);
    expect(loki.imageRef).toBe("127.0.0.1:5000/doubles/loki:3.0.0");
    expect(loki.service).toBe("loki");
    expect(loki.create).toEqual({
      name: "p-loki",
      Cmd: ["-config.file=/etc/loki/config.yaml"],
      Env: ["A=1", `TOKEN=${secrets.LOKI_ENV_TOKEN}`],
      Labels: { "logging-bootstrap.project": "p", "logging-bootstrap.service": "loki" },
      User: "10001:10001",
      ExposedPorts: { "3100/tcp": {} },
      Healthcheck: { Test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"], Interval: 5e9, Timeout: 3e9, Retries: 10, StartPeriod: 90e9 },
      HostConfig: {
        Binds: ["p-loki-data:/loki", "/tmp/x:/tmp/x:ro"],
        PortBindings: { "3100/tcp": [{ HostIp: "127.0.0.1", HostPort: "19102" }] },
        RestartPolicy: { Name: "unless-stopped", MaximumRetryCount: 0 },
        LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
        Memory: 512 * 1024 * 1024,
        Privileged: false,
        ReadonlyRootfs: false,
        NetworkMode: "p-net",
      },
      NetworkingConfig: { EndpointsConfig: { "p-net": { Aliases: ["loki"] } } },
    });
    expect(alloy.create.HostConfig?.Privileged).toBe(true);
    expect(alloy.after).toEqual(["p-loki"]);
    expect(loki.after).toEqual([]);
  });

  test("redacted uploads get a generated secret that is reused on the next run", () => {
    const secrets: Record<string, string> = {};
    const [loki] = planContainers(plan(), secrets);
    expect(Object.keys(secrets).sort()).toEqual(["LOKI_API_KEY", "LOKI_ENV_TOKEN"]);
    expect(secrets.LOKI_API_KEY).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(loki.uploads).toEqual([
      { file: "/etc/loki/config.yaml", content: "a: 1\n", mode: 0o444, uid: 0, gid: 0 },
      { file: "/etc/loki/secrets/api_key", content: secrets.LOKI_API_KEY, mode: 0o400, uid: 10001, gid: 10001 },
    ]);
    const again = planContainers(plan(), { ...secrets });
    expect(specHash(again[0], "sha256:i")).toBe(specHash(loki, "sha256:i"));
    expect(specHash(again[0], "sha256:other")).not.toBe(specHash(loki, "sha256:i"));
  });

  test("waves order containers after their dependencies", () => {
    const cs = planContainers(plan(), {});
    expect(waves(cs).map((w) => w.map((c) => c.name))).toEqual([["p-loki"], ["p-alloy"]]);
    cs[0].after = ["p-alloy"];
    expect(() => waves(cs)).toThrow("dependency cycle");
  });
});

describe("helpers", () => {
  test("durations", () => {
    expect(durationNs("5s")).toBe(5e9);
    expect(durationNs("250ms")).toBe(250e6);
    expect(durationNs("1h2m")).toBe(3720e9);
    expect(durationNs(undefined)).toBeUndefined();
    expect(() => durationNs("5 seconds")).toThrow("invalid duration");
  });
  test("secret names, generation and the env file", () => {
    expect(secretKey("grafana", "/etc/grafana/secrets/admin_password")).toBe("GRAFANA_ADMIN_PASSWORD");
    expect(secretKey("nodeExporter", "/x/web-key")).toBe("NODE_EXPORTER_WEB_KEY");
    expect(generateSecret(40)).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generateSecret()).not.toBe(generateSecret());
    expect(parseEnvFile("A=1\n\nB_C=x=y\n# no\n")).toEqual({ A: "1", B_C: "x=y" });
  });
  test("hostPaths reads paths.* of the stack file", () => {
    expect(hostPaths("config:\n  logging-bootstrap:paths:\n    logsRoot: /tmp/l\n    telemetryRoot: /tmp/t\n")).toEqual({ logsRoot: "/tmp/l", telemetryRoot: "/tmp/t" });
  });
  test("the upload tar extracts with GNU tar: paths, modes, owners and bytes", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tar-"));
    const long = `/etc/${"d".repeat(90)}/${"f".repeat(40)}.yml`;
    fs.writeFileSync(path.join(dir, "a.tar"), tarFiles([
      { file: "/etc/x/config.yaml", content: "héllo\n", mode: 0o444, uid: 0, gid: 0 },
      { file: "/etc/x/secret", content: "s", mode: 0o400, uid: 472, gid: 0 },
      { file: long, content: "long", mode: 0o644, uid: 0, gid: 0 },
    ]));
    const listing = execFileSync("tar", ["-tvf", path.join(dir, "a.tar"), "--numeric-owner"], { encoding: "utf8" }).trim().split("\n");
    expect(listing[0]).toMatch(/^-r--r--r-- 0\/0\s+7 .* etc\/x\/config\.yaml$/);
    expect(listing[1]).toMatch(/^-r-------- 472\/0\s+1 .* etc\/x\/secret$/);
    expect(listing[2].endsWith(long.slice(1))).toBe(true);
    execFileSync("tar", ["-xf", path.join(dir, "a.tar"), "-C", dir]);
    expect(fs.readFileSync(path.join(dir, "etc/x/config.yaml"), "utf8")).toBe("héllo\n");
  });
});

describe("render's real plan for the test environment (proof resources included)", () => {
  let real: Plan;
  beforeAll(async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "launcher-plan-"));
    const r = await runTsx(["scripts/render.ts", "--stack", "testenv", "--config-file", path.join(__dirname, "Pulumi.testenv.yaml"), "--out", out], 120_000);
    if (r.code !== 0) throw new Error(`render exited ${r.code}: ${r.stderr}`);
    real = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")) as Plan;
  }, 130_000);

  test("every resource is either launched or skipped for a stated reason: the 13 proofs and the admin sync are skipped, none unknown", () => {
    const dyn = (t: string) => `pulumi-nodejs:dynamic/logging-bootstrap:${t}`;
    const k = classifyPlan(real);
    expect(k.unknown).toEqual([]);
    expect(k.launched).toEqual({
      "docker:index/network:Network": 1,
      "docker:index/volume:Volume": 4,
      "command:local:Command": 1,
      "docker:index/remoteImage:RemoteImage": 6,
      "docker:index/container:Container": 6,
    });
    const proofs = Object.fromEntries(Object.entries(k.skipped).filter(([t]) => t.startsWith("pulumi-nodejs:")));
    expect(proofs).toEqual({
      [dyn("HealthProof")]: 6,
      [dyn("ReachabilityProof")]: 1,
      [dyn("IngestionProof")]: 1,
      [dyn("LabelProof")]: 1,
      [dyn("DashboardProof")]: 1,
      [dyn("RuleProof")]: 1,
      [dyn("ProvenanceProof")]: 1,
      [dyn("ConfigDriftProof")]: 1,
      [dyn("GrafanaAdminPassword")]: 1,
    });
    expect(k.skipped["logging-bootstrap:verify:Proofs"]).toBe(1);
    expect(SKIPPED_TYPES.find((s) => s.match(dyn("GrafanaAdminPassword")))!.why).toMatch(/^Grafana admin password sync/);
    expect(SKIPPED_TYPES.find((s) => s.match(dyn("HealthProof")))!.why).toMatch(/^proof/);
  });

  test("an unknown resource type is reported, not silently dropped", () => {
    const k = classifyPlan({ ...real, resources: [...real.resources, { ...real.resources[0], type: "docker:index/image:Image", name: "built" }] });
    expect(k.unknown).toEqual(["docker:index/image:Image built"]);
  });

  test("the launcher takes exactly the six containers; proofs add no container and no wave dependency", () => {
    const cs = planContainers(real, {});
    expect(cs.map((c) => `${c.service}=${c.name}`).sort()).toEqual(
      ["alloy=logging-testenv-alloy", "cadvisor=logging-testenv-cadvisor", "grafana=logging-testenv-grafana", "loki=logging-testenv-loki", "nodeExporter=logging-testenv-node-exporter", "prometheus=logging-testenv-prometheus"],
    );
    expect(waves(cs).map((w) => w.map((c) => c.name).sort())).toEqual([
      ["logging-testenv-cadvisor", "logging-testenv-grafana", "logging-testenv-loki", "logging-testenv-node-exporter", "logging-testenv-prometheus"],
      ["logging-testenv-alloy"],
    ]);
  });
});
