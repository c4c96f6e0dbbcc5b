// The real program (index.ts) under Pulumi's mocks, for both stacks: exact resource types, names,
// counts, ports, binds, mounts and options; images by id; no secret value anywhere it must not be.
import { createHash } from "node:crypto";
import { configShas, renderServiceFiles } from "../../components/render";
import { hostDirsScript } from "../../components/stack";
import { fakeSha, toPlan } from "../../scripts/lib/evaluate";
import {
  Evaluation,
  EvaluatedResource,
  REDACTED,
  T,
  byType,
  evaluateProgram,
  one,
  pathsContaining,
  stackConfig,
  stackPulumiConfig,
} from "../util/mocks";
import { SECURE, stackFileWithAlerting, withStackFileEnv } from "../util/secure-stack-file";

jest.setTimeout(60_000);

const KEBAB = ["grafana", "loki", "alloy", "prometheus", "node-exporter", "cadvisor", "alertmanager"];
const SVC: Record<string, string> = {
  grafana: "grafana",
  loki: "loki",
  alloy: "alloy",
  prometheus: "prometheus",
  "node-exporter": "nodeExporter",
  cadvisor: "cadvisor",
  alertmanager: "alertmanager",
};

let testEv: Evaluation;
let prodEv: Evaluation;

beforeAll(async () => {
  testEv = await evaluateProgram({ stack: "test" });
  prodEv = await evaluateProgram({ stack: "prod" });
});

function container(ev: Evaluation, kebab: string): EvaluatedResource {
  return one(ev, T.container, `${ev.stack === "prod" ? "infra-observability" : "logging-test"}-${kebab}`);
}

function mounts(r: EvaluatedResource): { containerPath: string; hostPath?: string; volumeName?: string; readOnly: boolean }[] {
  return r.inputs.volumes as never;
}

describe.each([
  ["test", "logging-test"],
  ["prod", "infra-observability"],
])("stack %s", (stack, p) => {
  const ev = () => (stack === "prod" ? prodEv : testEv);

  it("declares exactly the expected resources", () => {
    const counts: Record<string, number> = {};
    for (const r of ev().resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    expect(counts).toEqual({
      "logging-bootstrap:stack:ObservabilityStack": 1,
      "logging-bootstrap:services:Grafana": 1,
      "logging-bootstrap:services:Loki": 1,
      "logging-bootstrap:services:Alloy": 1,
      "logging-bootstrap:services:Prometheus": 1,
      "logging-bootstrap:services:NodeExporter": 1,
      "logging-bootstrap:services:Cadvisor": 1,
      "logging-bootstrap:services:Alertmanager": 1,
      [T.network]: 1,
      [T.command]: 1,
      // Grafana's secret key and admin password, L8's drift key
      [T.password]: 3,
      [T.image]: 7,
      [T.container]: 7,
      [T.volume]: 5,
      // the proofs: one HealthProof per service, one resource per other level (L2-L9)
      "logging-bootstrap:verify:Proofs": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:HealthProof": 7,
      "pulumi-nodejs:dynamic/logging-bootstrap:ReachabilityProof": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:IngestionProof": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:LabelProof": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:DashboardProof": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:GrafanaAdminPassword": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:RuleProof": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:ProvenanceProof": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:ConfigDriftProof": 1,
      "pulumi-nodejs:dynamic/logging-bootstrap:AlertDeliveryProof": 1,
    });
    // every HealthProof depends on its own service's container
    for (const k of KEBAB) {
      const hp = one(ev(), "pulumi-nodejs:dynamic/logging-bootstrap:HealthProof", `${p}-health-${k}`);
      expect(hp.dependencies).toContain(container(ev(), k).urn);
    }
    expect(byType(ev(), T.container).map((c) => c.name).sort()).toEqual(KEBAB.map((k) => `${p}-${k}`).sort());
    expect(byType(ev(), T.volume).map((c) => c.inputs.name).sort()).toEqual(["alertmanager", "alloy", "grafana", "loki", "prometheus"].map((k) => `${p}-${k}-data`));
    expect(one(ev(), T.network, `${p}-net`).inputs.name).toBe(`${p}-net`);
  });

  it("runs every container from its RemoteImage's imageId, never a tag", () => {
    for (const k of KEBAB) {
      const c = container(ev(), k);
      const img = one(ev(), T.image, `${p}-${k}-image`);
      expect(img.inputs.keepLocally).toBe(true);
      expect(img.inputs.name).toBe(stackConfig(stack as "test" | "prod").images[SVC[k] as "grafana"]);
      expect(c.inputs.image).toBe(img.outputs.imageId);
      expect(String(c.inputs.image)).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(c.propertyDependencies.image).toEqual([img.urn]);
    }
  });

  it("names, labels and networks every container by convention", () => {
    for (const k of KEBAB) {
      const c = container(ev(), k);
      expect(c.inputs.name).toBe(`${p}-${k}`);
      expect(c.inputs.labels).toEqual(
        expect.arrayContaining([
          { label: "logging-bootstrap.project", value: p },
          { label: "logging-bootstrap.service", value: SVC[k] },
        ]),
      );
      expect(c.inputs.networksAdvanced).toEqual([{ name: `${p}-net`, aliases: [k] }]);
      expect(c.inputs.restart).toBe("unless-stopped");
      expect(c.inputs.logDriver).toBe("json-file");
      expect(c.inputs.logOpts).toEqual({ "max-size": "10m", "max-file": "3" });
      expect(c.inputs.wait).toBe(true);
      expect(c.inputs.waitTimeout).toBeGreaterThanOrEqual(60);
      expect(Array.isArray(c.inputs.command) && (c.inputs.command as string[]).length).toBeGreaterThan(0);
      const hc = c.inputs.healthcheck as { tests: string[]; retries: number };
      expect(hc.tests[0]).toBe("CMD");
      expect(hc.retries).toBeGreaterThan(0);
      // swap capped at the memory limit (see components/service.ts: Docker's default re-plans every up)
      expect(c.inputs.memorySwap).toBe(c.inputs.memory);
      // a config change replaces the container; the fixed name needs delete-before-replace
      expect(c.options.deleteBeforeReplace).toBe(true);
    }
  });

  it("retains data volumes on delete and protects them on prod only", () => {
    for (const v of byType(ev(), T.volume)) {
      expect(v.options.retainOnDelete).toBe(true);
      expect(v.options.protect).toBe(stack === "prod");
      expect(v.inputs.labels).toEqual(expect.arrayContaining([{ label: "logging-bootstrap.project", value: p }, { label: "logging-bootstrap.data", value: "true" }, { label: "logging-bootstrap.retain", value: "true" }]));
    }
    for (const r of ev().resources) if (r.type !== T.volume) expect(r.options.protect).toBe(false);
  });

  it("mounts each data volume at the service's data path", () => {
    const dataPaths: Record<string, string> = { grafana: "/var/lib/grafana", loki: "/loki", prometheus: "/prometheus", alloy: "/var/lib/alloy/data" };
    for (const [k, pathIn] of Object.entries(dataPaths)) {
      expect(mounts(container(ev(), k))).toContainEqual({ volumeName: `${p}-${k}-data`, containerPath: pathIn, readOnly: false });
    }
  });

  it("host mounts are read-only everywhere, and only cAdvisor is privileged", () => {
    for (const k of KEBAB) {
      const c = container(ev(), k);
      for (const m of mounts(c)) if (m.hostPath !== undefined) expect(m).toEqual(expect.objectContaining({ readOnly: true }));
      expect(c.inputs.privileged === true).toBe(k === "cadvisor");
    }
  });
});

describe("the program's warnings", () => {
  it("are collected as preview shows them, one line per run, and never printed by the evaluation", () => {
    // The test stack pins tags only: one summary line naming each image without a digest.
    expect(testEv.warnings).toEqual([expect.stringMatching(/^stack config: \d+ warning\(s\): E_CONFIG_IMAGE_NO_DIGEST at images\.grafana, .* \(details: npm run -s config:lint -- Pulumi\.<stack>\.yaml\)$/)]);
    expect(testEv.warnings[0]).toContain("E_CONFIG_IMAGE_NO_DIGEST at images.cadvisor");
  });
});

describe("test stack specifics", () => {
  it("publishes every configured port on 127.0.0.1", () => {
    const expected: Record<string, [number, number]> = {
      grafana: [3000, 9101],
      loki: [3100, 9102],
      alloy: [12345, 9103],
      prometheus: [9090, 9104],
      "node-exporter": [9100, 9105],
      cadvisor: [8080, 9106],
    };
    for (const [k, [internal, external]] of Object.entries(expected)) {
      expect(container(testEv, k).inputs.ports).toEqual([{ internal, external, ip: "127.0.0.1", protocol: "tcp" }]);
    }
  });

  it("Alloy mounts the logs root at the same path, the Docker socket and the journal read-only", () => {
    expect(mounts(container(testEv, "alloy"))).toEqual([
      { hostPath: "/tmp/bootstrap-test/logs", containerPath: "/tmp/bootstrap-test/logs", readOnly: true },
      { hostPath: "/tmp/bootstrap-test/telemetry", containerPath: "/tmp/bootstrap-test/telemetry", readOnly: true },
      { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
      { hostPath: "/var/log/journal", containerPath: "/var/log/journal", readOnly: true },
      { volumeName: "logging-test-alloy-data", containerPath: "/var/lib/alloy/data", readOnly: false },
    ]);
    expect(container(testEv, "alloy").inputs.command).toEqual([
      "run",
      "/etc/alloy/config.alloy",
      "--server.http.listen-addr=0.0.0.0:12345",
      "--storage.path=/var/lib/alloy/data",
    ]);
  });

  it("node-exporter and cAdvisor get their host mounts read-only", () => {
    expect(mounts(container(testEv, "node-exporter"))).toEqual([{ hostPath: "/", containerPath: "/host", readOnly: true }]);
    expect(mounts(container(testEv, "cadvisor")).map((m) => [m.hostPath, m.containerPath, m.readOnly])).toEqual([
      ["/", "/rootfs", true],
      ["/var/run/docker.sock", "/var/run/docker.sock", true],
      ["/sys", "/sys", true],
      ["/var/lib/docker", "/var/lib/docker", true],
      ["/dev/disk", "/dev/disk", true],
    ]);
  });

  it("runs non-root where the image allows it", () => {
    expect(container(testEv, "loki").inputs.user).toBe("10001:10001");
    expect(container(testEv, "prometheus").inputs.user).toBe("65534:65534");
    expect(container(testEv, "node-exporter").inputs.user).toBe("65534:65534");
    expect(container(testEv, "grafana").inputs.user).toBe("472:0");
  });

  it("uses default memory limits", () => {
    expect(container(testEv, "loki").inputs.memory).toBe(1024);
    expect(container(testEv, "node-exporter").inputs.memory).toBe(128);
  });

  it("keeps Prometheus's retention in its config file (v3.14; 3.8+) and passes Loki its config path", () => {
    expect(container(testEv, "prometheus").inputs.command).toEqual([
      "--config.file=/etc/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--web.listen-address=0.0.0.0:9090",
    ]);
    const yml = (container(testEv, "prometheus").inputs.uploads as { file: string; content: string }[]).find((u) => u.file === "/etc/prometheus/prometheus.yml")!.content;
    expect(yml).toMatch(/storage:\n  tsdb:\n    retention:\n      time: 7d\n/);
    expect(container(testEv, "loki").inputs.command).toEqual(["-config.file=/etc/loki/config.yaml"]);
  });

  it("prepares host directories before Alloy mounts them, create-only", () => {
    const cmd = one(testEv, T.command, "logging-test-host-dirs");
    expect(cmd.inputs.create).toBe(hostDirsScript(stackConfig("test")));
    expect(cmd.inputs.create).toContain("host_dir '/tmp/bootstrap-test/logs'\nhost_dir '/tmp/bootstrap-test/telemetry'\n");
    expect(cmd.inputs.delete).toBeUndefined();
    expect(container(testEv, "alloy").options.dependsOn).toContain(cmd.urn);
  });

  it("starts every container at once: none waits for another (Alloy retries its pushes until Loki answers)", () => {
    expect(container(testEv, "alloy").options.dependsOn).toEqual([one(testEv, T.command, "logging-test-host-dirs").urn]);
    const containers = KEBAB.map((k) => container(testEv, k).urn);
    for (const k of KEBAB) expect((container(testEv, k).options.dependsOn ?? []).filter((u: string) => containers.includes(u))).toEqual([]);
  });

  it("proofs start with their containers (healthy by then); only L4 waits for L3 and L9 for L1, as verify orders them", () => {
    const proof = (type: string, name: string) => one(testEv, `pulumi-nodejs:dynamic/logging-bootstrap:${type}`, `logging-test-${name}`);
    const health = KEBAB.map((k) => proof("HealthProof", `health-${k}`).urn);
    const l1Deps = (type: string, name: string) => proof(type, name).dependencies.filter((u: string) => health.includes(u));
    for (const [type, name] of [["ReachabilityProof", "reachability"], ["IngestionProof", "ingestion"], ["LabelProof", "labels"], ["DashboardProof", "dashboards"], ["RuleProof", "rules"]]) {
      expect(proof(type, name).dependencies.length).toBeGreaterThan(0);
      expect(l1Deps(type, name)).toEqual([]);
    }
    expect(proof("IngestionProof", "ingestion").dependencies).toEqual([container(testEv, "alloy").urn, container(testEv, "loki").urn].sort());
    expect(proof("LabelProof", "labels").dependencies).toContain(proof("IngestionProof", "ingestion").urn);
    expect(l1Deps("AlertDeliveryProof", "alert-delivery").sort()).toEqual([proof("HealthProof", "health-prometheus").urn, proof("HealthProof", "health-alertmanager").urn].sort());
  });
});

describe("prod stack specifics", () => {
  it("exposes Grafana on the LAN and keeps everything that answers without authentication on loopback", () => {
    const ip = (k: string) => (container(prodEv, k).inputs.ports as { ip: string }[])[0].ip;
    expect(ip("grafana")).toBe("0.0.0.0");
    for (const k of ["loki", "prometheus", "alloy", "node-exporter", "cadvisor", "alertmanager"]) expect(ip(k)).toBe("127.0.0.1");
  });

  it("applies configured memory limits", () => {
    expect(container(prodEv, "loki").inputs.memory).toBe(2048);
    expect(container(prodEv, "grafana").inputs.memory).toBe(1024);
    expect(container(prodEv, "alloy").inputs.memory).toBe(512);
  });

  it("exports endpoints, containers, images, config SHAs, network and volumes", () => {
    const o = prodEv.outputs as Record<string, any>;
    expect(Object.keys(o).sort()).toEqual(["configDriftKey", "configFiles", "configSecretDigests", "containers", "endpoints", "images", "network", "projectName", "proofs", "volumes"]);
    expect(o.projectName).toBe("infra-observability");
    expect(o.network).toBe("infra-observability-net");
    expect(o.endpoints).toEqual({
      grafana: "http://127.0.0.1:9001",
      loki: "http://127.0.0.1:9002",
      alloy: "http://127.0.0.1:9003",
      prometheus: "http://127.0.0.1:9004",
      nodeExporter: "http://127.0.0.1:9005",
      cadvisor: "http://127.0.0.1:9006",
      // loopback although prod binds 0.0.0.0: alerting.lanExposed is false
      alertmanager: "http://127.0.0.1:9007",
    });
    expect(o.containers.nodeExporter).toBe("infra-observability-node-exporter");
    expect(o.images.loki.ref).toBe("grafana/loki:3.7.8");
    expect(o.images.loki.imageId).toBe(container(prodEv, "loki").inputs.image);
    expect(o.images.loki.repoDigest).toMatch(/^grafana\/loki@sha256:[0-9a-f]{64}$/);
    expect(o.configFiles).toEqual(configShas(renderServiceFiles(stackConfig("prod"))));
    expect(o.volumes).toEqual({
      grafana: "infra-observability-grafana-data",
      loki: "infra-observability-loki-data",
      alloy: "infra-observability-alloy-data",
      prometheus: "infra-observability-prometheus-data",
      alertmanager: "infra-observability-alertmanager-data",
    });
  });
});

describe("config files reach containers as uploads", () => {
  it("uploads exactly the rendered files, read-only, and their SHA-256 is the exported one", () => {
    const files = renderServiceFiles(stackConfig("test"));
    const shas = (testEv.outputs as { configFiles: Record<string, Record<string, string>> }).configFiles;
    for (const k of KEBAB) {
      const uploads = (container(testEv, k).inputs.uploads as { file: string; content: string; permissions: string }[]).filter((u) => u.content !== REDACTED);
      expect(uploads.map((u) => u.file)).toEqual(files[SVC[k] as "loki"].map((f) => f.path));
      for (const u of uploads) {
        expect(u.permissions).toBe("0444");
        expect(createHash("sha256").update(u.content).digest("hex")).toBe(shas[SVC[k]][u.file]);
      }
    }
  });
});

describe("secrets", () => {
  it("Grafana's password and secret key are uploaded files (0440, read through Grafana's group 0) and never in env, labels, plan or outputs", () => {
    const g = container(testEv, "grafana");
    const secretUploads = (g.inputs.uploads as { file: string; content: string; permissions: string; owner?: string }[]).filter((u) => u.content === REDACTED);
    expect(secretUploads.map((u) => [u.file, u.permissions, u.owner])).toEqual([
      ["/etc/grafana/secrets/admin_password", "0440", undefined],
      ["/etc/grafana/secrets/secret_key", "0440", undefined],
    ]);
    expect(g.inputs.user).toBe("472:0");
    const plan = toPlan(testEv);
    // Secret values only ever travel as Pulumi secrets: the only wholly redacted inputs are those
    // two uploads, and no plain-text copy of a secret had to be scrubbed anywhere.
    const isRedacted = (v: unknown, at: string): string[] =>
      v === REDACTED ? [at] : Array.isArray(v) ? v.flatMap((x, i) => isRedacted(x, `${at}[${i}]`)) : v && typeof v === "object" ? Object.entries(v).flatMap(([k, x]) => isRedacted(x, `${at}.${k}`)) : [];
    // alloy.redactions' replacement text is literally "***REDACTED***" too: configuration, not a secret.
    const redactedInInputs = (plan.resources as { name: string; inputs: unknown }[]).flatMap((r) => isRedacted(r.inputs, r.name)).filter((p) => !/\.redactions\[\d+\]\.replacement$/.test(p));
    // the two Grafana secret files, the admin password sync's secret input (it logs in and, if
    // refused, resets through stdin), and L5's (it logs in to Grafana's search API)
    // (the secret files follow Grafana's rendered files: provisioning and one per dashboard)
    const rendered = renderServiceFiles(stackConfig("test")).grafana.length;
    expect(redactedInInputs).toEqual([
      `logging-test-grafana.uploads[${rendered}].content`,
      `logging-test-grafana.uploads[${rendered + 1}].content`,
      "logging-test-grafana-admin-sync.adminPassword",
      // L8's drift key (the HMAC key of the secret files' keyed hashes)
      "logging-test-config-drift.driftKey",
      "logging-test-dashboards.adminPassword",
    ]);
    expect(testEv.leaks).toEqual([]);
    expect(prodEv.leaks).toEqual([]);
    expect(JSON.stringify(plan)).not.toContain("MOCKSECRET");
    // The one secret output: L8's drift key, for `npm run verify` outside Pulumi.
    expect(pathsContaining(testEv.outputs, REDACTED)).toEqual(["configDriftKey"]);
    for (const c of byType(testEv, T.container)) {
      for (const e of (c.inputs.envs as string[]) ?? []) expect(e).not.toMatch(/PASSWORD=|SECRET_KEY=|MOCKSECRET/);
    }
  });

  it("uses grafanaAdminPassword when set as a secret, generating only the secret key", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    const value = "S3cret-Operator-Chosen-Value";
    pulumiConfig["logging-bootstrap:grafanaAdminPassword"] = value;
    const ev = await evaluateProgram({ stack: "test", pulumiConfig, secretKeys: [...secretKeys, "logging-bootstrap:grafanaAdminPassword"] });
    expect(byType(ev, T.password).map((r) => r.name)).toEqual(["logging-test-grafana-secret-key", "logging-test-config-drift-key"]);
    expect(JSON.stringify(ev)).not.toContain(value);
    expect(ev.leaks).toEqual([]);
    const uploads = container(ev, "grafana").inputs.uploads as { file: string; content: string }[];
    expect(uploads.find((u) => u.file === "/etc/grafana/secrets/admin_password")?.content).toBe(REDACTED);
  });
});

describe("alerting credentials", () => {
  it("reach Alertmanager only as 0440 secret uploads named by the rendered config, never in its config, env, plan or outputs", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    const hook = "https://hooks.example.com/services/Webhook-T0ken-4242";
    const smtp = "Smtp-Pa55word-4242";
    const alerting = (url: unknown, pw: unknown) => ({
      receivers: [
        { name: "sink", webhook: { url } },
        { name: "mail", email: { to: "ops@example.com", from: "am@example.com", smarthost: "smtp.example.com:587", authUsername: "am", authPassword: pw } },
      ],
      routes: [{ severity: "critical", receiver: "mail" }],
      defaultReceiver: "sink",
      watchdogReceiver: "sink",
    });
    // As `pulumi up` runs it: the key decrypted at run time, its stack file holding secure: leaves.
    pulumiConfig["logging-bootstrap:alerting"] = JSON.stringify(alerting(hook, smtp));
    const file = stackFileWithAlerting(alerting(SECURE, SECURE));
    const ev = await withStackFileEnv(file, () => evaluateProgram({ stack: "test", pulumiConfig, secretKeys: [...secretKeys, "logging-bootstrap:alerting"] }));
    expect(JSON.stringify(ev)).not.toMatch(/4242/);
    expect(ev.leaks).toEqual([]);
    const am = container(ev, "alertmanager");
    expect(am.inputs.user).toBe("65534:0");
    expect((am.inputs.envs as string[]) ?? []).toEqual([]);
    const uploads = am.inputs.uploads as { file: string; content: string; permissions: string }[];
    expect(uploads.filter((u) => u.content === REDACTED).map((u) => [u.file, u.permissions])).toEqual([
      ["/etc/alertmanager/secrets/sink-webhook-url", "0440"],
      ["/etc/alertmanager/secrets/mail-email-auth-password", "0440"],
    ]);
    const cfg = uploads.find((u) => u.file === "/etc/alertmanager/alertmanager.yml")!.content;
    expect(cfg).toContain("url_file: /etc/alertmanager/secrets/sink-webhook-url");
    expect(cfg).toContain("auth_password_file: /etc/alertmanager/secrets/mail-email-auth-password");
    expect(JSON.stringify(toPlan(ev))).not.toMatch(/4242/);
  });

  it("a plaintext credential next to a secure one stops the program before any resource, with the lint's finding", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    const filed = { receivers: [{ name: "sink", webhook: { url: SECURE } }, { name: "chat", slack: { apiUrl: "https://hooks.slack.example/Pl41n-4242", channel: "#a" } }], defaultReceiver: "sink" };
    pulumiConfig["logging-bootstrap:alerting"] = JSON.stringify({ ...filed, receivers: [{ name: "sink", webhook: { url: "https://hook.example/D3crypted-4242" } }, filed.receivers[1]] });
    const run = withStackFileEnv(stackFileWithAlerting(filed), () => evaluateProgram({ stack: "test", pulumiConfig, secretKeys: [...secretKeys, "logging-bootstrap:alerting"] }));
    await expect(run).rejects.toMatchObject({ code: "E_CONFIG_SECRET_PLAINTEXT", message: expect.stringContaining("alerting.receivers[1].slack.apiUrl") });
    await expect(run).rejects.toMatchObject({ message: expect.not.stringMatching(/4242/) });
  });
});

describe("requireImageDigests at apply", () => {
  it("a tag-only pin stops the program before any resource, the patch carrying the engine's digest where it has the image", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    pulumiConfig["logging-bootstrap:requireImageDigests"] = "true";
    const run = evaluateProgram({ stack: "test", pulumiConfig, secretKeys, missingLocalImages: ["grafana/loki:3.7.8"] });
    await expect(run).rejects.toMatchObject({ code: "E_CONFIG_IMAGE_NO_DIGEST" });
    const findings = ((await run.catch((e) => e)).details.findings as { path: string; examplePatch: string }[]);
    expect(findings.map((f) => f.path)).toContain("images.grafana");
    const patch = (p: string) => findings.find((f) => f.path === p)!.examplePatch;
    // The mocked engine has grafana: its repo digest is the fix; loki is not on it: the command that pins it.
    expect(patch("images.grafana")).toContain(`grafana/grafana:13.2.0@sha256:${fakeSha("digest:grafana/grafana:13.2.0")}`);
    expect(patch("images.loki")).toMatch(/grafana\/loki:3\.7\.8@sha256:<.*npm run -s images:pin/);
  });

  it("pins carrying their digest pass", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    const images = JSON.parse(pulumiConfig["logging-bootstrap:images"]) as Record<string, string>;
    for (const k of Object.keys(images)) images[k] = `${images[k]}@sha256:${"e".repeat(64)}`;
    pulumiConfig["logging-bootstrap:images"] = JSON.stringify(images);
    pulumiConfig["logging-bootstrap:requireImageDigests"] = "true";
    const ev = await evaluateProgram({ stack: "test", pulumiConfig, secretKeys });
    expect(one(ev, T.image, "logging-test-loki-image").inputs.name).toBe(images.loki);
  });
});

describe("evaluation", () => {
  it("is repeatable within one process", async () => {
    const again = await evaluateProgram({ stack: "test" });
    expect(JSON.stringify(toPlan(again))).toBe(JSON.stringify(toPlan(testEv)));
  });

  it("stops on a bad config with the lint's coded error before declaring resources", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    pulumiConfig["logging-bootstrap:projectName"] = "Bad_Name";
    await expect(evaluateProgram({ stack: "test", pulumiConfig, secretKeys })).rejects.toThrow(/E_CONFIG_NAME_NOT_DNS_SAFE/);
  });

  it("in offlineMode refuses a missing image instead of pulling it", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    pulumiConfig["logging-bootstrap:offlineMode"] = "true";
    await expect(
      evaluateProgram({ stack: "test", pulumiConfig, secretKeys, missingLocalImages: ["grafana/loki:3.7.8"] }),
    ).rejects.toThrow(/E_DEPS_IMAGE_MISSING_OFFLINE/);
    // every missing image is reported at once, not only the first
    const both = evaluateProgram({ stack: "test", pulumiConfig, secretKeys, missingLocalImages: ["grafana/loki:3.7.8", "prom/node-exporter:v1.12.1"] });
    await expect(both).rejects.toMatchObject({
      code: "E_DEPS_IMAGE_MISSING_OFFLINE",
      details: { missing: [expect.objectContaining({ service: "loki" }), expect.objectContaining({ service: "nodeExporter" })] },
    });
    const ok = await evaluateProgram({ stack: "test", pulumiConfig, secretKeys });
    expect(one(ok, T.image, "logging-test-loki-image").inputs.name).toBe("grafana/loki:3.7.8");
  });

  it("binds data volumes to dataRoot subdirectories when set, and prepares them first", async () => {
    const { pulumiConfig, secretKeys } = stackPulumiConfig("test");
    const paths = JSON.parse(pulumiConfig["logging-bootstrap:paths"]);
    pulumiConfig["logging-bootstrap:paths"] = JSON.stringify({ ...paths, dataRoot: "/srv/obs" });
    const ev = await evaluateProgram({ stack: "test", pulumiConfig, secretKeys });
    expect(one(ev, T.volume, "logging-test-loki-data").inputs.driverOpts).toEqual({ type: "none", o: "bind", device: "/srv/obs/loki" });
    const cmd = one(ev, T.command, "logging-test-host-dirs");
    expect(cmd.inputs.create).toContain("host_dir '/srv/obs/loki' '10001:10001' 'loki'");
    expect(container(ev, "loki").options.dependsOn).toContain(cmd.urn);
  });
});
