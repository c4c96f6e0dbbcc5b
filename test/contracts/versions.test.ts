// The supported-version table (contracts/config/versions.ts): the stacks pin its current
// releases, the lint refuses anything outside it with the nearest supported tag, the README shows
// the same table, and the older end of the range (the source document's 2024 pins) still renders.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { lintConfig, EXAMPLE_CONFIG } from "../../contracts/config/lint";
import { readStackFile } from "../../contracts/config/stackfile";
import { SERVICES, ServiceName } from "../../contracts/config/schema";
import { ALERTMANAGER_RECEIVER_MIN, CURRENT_IMAGES, describeRange, imageVersion, isSupported, nearestSupported, parseVersion, SUPPORTED } from "../../contracts/config/versions";
import { renderServiceFiles } from "../../components/render";
import { renderAlloyConfig } from "../../components/render/alloy";
import { lokiConfigObject } from "../../components/render/loki";
import { evaluateProgram } from "../../scripts/lib/evaluate";
import { clone } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");
type Cfg = Record<string, any>;
const withImage = (svc: string, ref: string): Cfg => {
  const c = clone(EXAMPLE_CONFIG) as Cfg;
  c.images[svc] = ref;
  return c;
};
const errorsOf = (c: Cfg) => lintConfig(c).errors.filter((f) => f.code === "E_CONFIG_IMAGE_UNSUPPORTED");

it("the stacks pin exactly the current releases of the table", () => {
  for (const stack of ["test", "prod"]) {
    const images = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`)).projectConfig.images;
    expect(images).toEqual(CURRENT_IMAGES);
  }
  for (const svc of SERVICES) expect(isSupported(svc, imageVersion(CURRENT_IMAGES[svc])!)).toBe(true);
});

it.each([
  ["grafana", "grafana/grafana:10.4.2", "grafana/grafana:11.0.0", /outside the supported range 11\.0\.0-13\.x/],
  ["grafana", "grafana/grafana:14.0.0", "grafana/grafana:13.2.0", /outside the supported range/],
  ["loki", "grafana/loki:3.6.2", "grafana/loki:3.7.8", /3\.5\.8-3\.6\.x: the image has no shell, no wget and no `loki -health`/],
  ["loki", "grafana/loki:3.5.8", "grafana/loki:3.7.8", /outside the supported range 3\.0\.0-3\.5\.7, 3\.7\.0-3\.x/],
  ["loki", "grafana/loki:2.9.8", "grafana/loki:3.0.0", /outside/],
  ["prometheus", "prom/prometheus:v2.30.0", "prom/prometheus:v2.45.0", /outside/],
  ["alloy", "grafana/alloy:v2.0.0", "grafana/alloy:v1.19.2", /outside/],
  ["cadvisor", "gcr.io/cadvisor/cadvisor:v0.46.0", "gcr.io/cadvisor/cadvisor:v0.47.0", /outside/],
  ["nodeExporter", "prom/node-exporter:1.4", "prom/node-exporter:v1.12.1", /is not a version \(x\.y\.z\)/],
])("refuses %s %s with the nearest supported tag (%s) as the patch", (svc, ref, fix, why) => {
  const e = errorsOf(withImage(svc, ref));
  expect(e.map((f) => f.path)).toEqual([`images.${svc}`]);
  expect(e[0].message).toMatch(why);
  expect(YAML.parse(e[0].examplePatch).config["logging-bootstrap:images"][svc]).toBe(fix);
  // The patch itself passes.
  expect(errorsOf(withImage(svc, fix))).toEqual([]);
});

it.each([
  ["grafana", "grafana/grafana:11.1.0"],
  ["grafana", "127.0.0.1:5000/doubles/grafana:13.2.0"],
  ["loki", "grafana/loki:3.5.7"],
  ["loki", "grafana/loki:3.7.0"],
  ["prometheus", "quay.io/prometheus/prometheus:v2.55.1"],
  ["cadvisor", "ghcr.io/google/cadvisor:0.53.0"],
])("accepts %s %s (any registry: the range is by version)", (svc, ref) => {
  expect(errorsOf(withImage(svc, ref))).toEqual([]);
});

it("parses the tag styles upstream uses", () => {
  expect(parseVersion("v3.14.0")).toEqual({ major: 3, minor: 14, patch: 0 });
  expect(parseVersion("13.2.0-ubuntu")).toEqual({ major: 13, minor: 2, patch: 0 });
  expect(parseVersion("latest")).toBeUndefined();
  expect(nearestSupported("prometheus", "2.1.0")).toBe("2.45.0");
  expect(nearestSupported("prometheus", "v2.1.0")).toBe("v2.45.0");
});

it("the README's version table is this table", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  for (const svc of SERVICES) {
    const row = readme.split("\n").find((l) => l.startsWith(`| \`${svc}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`\`${CURRENT_IMAGES[svc]}\``);
    expect(row).toContain(describeRange(svc as ServiceName));
  }
});

describe("the source document's 2024 pins (the older end of the range)", () => {
  const file = path.join(ROOT, "test", "fixtures", "config", "Pulumi.pins-2024.yaml");
  it("lint clean and evaluate (render + program) without error", async () => {
    const f = readStackFile(file);
    const r = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys });
    expect(r.errors).toEqual([]);
    expect(r.config!.images.loki).toBe("grafana/loki:3.0.0");
    const files = renderServiceFiles(r.config!);
    expect(Object.keys(files).sort()).toEqual([...SERVICES].sort());
    const ev = await evaluateProgram({ stack: "test", pulumiConfig: f.pulumiConfig, secretKeys: f.secretKeys });
    const loki = ev.resources.find((x) => x.type === "docker:index/container:Container" && x.name === "logging-test-loki")!;
    // Loki 3.0's image has busybox: its healthcheck is wget; Prometheus 2.52 takes retention as a flag.
    expect((loki.inputs.healthcheck as { tests: string[] }).tests).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"]);
    const prom = ev.resources.find((x) => x.type === "docker:index/container:Container" && x.name === "logging-test-prometheus")!;
    expect(prom.inputs.command).toContain("--storage.tsdb.retention.time=7d");
  }, 120_000);
});

it("every supported Loki renders tsdb + schema v13 wherever structured metadata is allowed (Loki refuses it otherwise)", () => {
  for (const tag of ["3.0.0", "3.5.7", "3.7.8"]) {
    const cfg = lintConfig({ ...clone(EXAMPLE_CONFIG), images: { ...EXAMPLE_CONFIG.images, loki: `grafana/loki:${tag}` } }).config!;
    const o = lokiConfigObject(cfg) as { schema_config: { configs: { store: string; schema: string }[] }; limits_config: { allow_structured_metadata: boolean } };
    if (o.limits_config.allow_structured_metadata) for (const c of o.schema_config.configs) expect([c.store, c.schema]).toEqual(["tsdb", "v13"]);
  }
});

it("the rendered Alloy config calls no stdlib function (Alloy 1.4 renamed them: env() -> sys.env(), ...)", () => {
  const text = renderAlloyConfig(lintConfig(clone(EXAMPLE_CONFIG)).config!);
  const outsideStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  expect(outsideStrings).not.toMatch(/[A-Za-z_][A-Za-z0-9_.]*\(/);
});

it("each range has its current pin in it and spans that do not overlap", () => {
  for (const svc of SERVICES) {
    const r = SUPPORTED[svc];
    for (let i = 1; i < r.spans.length; i++) expect(parseVersion(r.spans[i].min)!.major * 1e6 + parseVersion(r.spans[i].min)!.minor * 1e3).toBeGreaterThanOrEqual(parseVersion(r.spans[i - 1].below)!.major * 1e6 + parseVersion(r.spans[i - 1].below)!.minor * 1e3);
  }
});

describe("Alertmanager: what each version reads of a receiver's credential file", () => {
  // url_file (webhook) arrived in 0.26.0; 0.26-0.27 panic on a non-2xx webhook answer when the URL
  // comes from url_file (fixed in 0.28.0). api_url_file (slack) and auth_password_file (email) are
  // read by every version of the range.
  const withReceiver = (image: string, receiver: Record<string, unknown>): Cfg => {
    const c = clone(EXAMPLE_CONFIG) as Cfg;
    c.images.alertmanager = image;
    c.alerting = { receivers: [receiver], routes: [], defaultReceiver: receiver.name, lanExposed: false };
    return c;
  };
  const webhook = { name: "hook", webhook: { url: "<secret>" } };
  const slack = { name: "chat", slack: { apiUrl: "<secret>", channel: "#a" } };
  const email = { name: "mail", email: { to: "a@example.com", from: "b@example.com", smarthost: "smtp.example.com:587", authPassword: "<secret>" } };
  const refused = (c: Cfg) => lintConfig(c).errors.filter((f) => f.code === "E_CONFIG_RECEIVER_UNSUPPORTED");

  it.each(["prom/alertmanager:v0.25.0", "prom/alertmanager:v0.26.0", "prom/alertmanager:v0.27.0"])("a webhook receiver on %s is refused, the patch the current pin", (image) => {
    const e = refused(withReceiver(image, webhook));
    expect(e.map((f) => f.path)).toEqual(["alerting.receivers[0].webhook"]);
    expect(e[0].message).toMatch(/0\.28\.0/);
    const fix = YAML.parse(e[0].examplePatch).config["logging-bootstrap:images"].alertmanager;
    expect(fix).toBe(CURRENT_IMAGES.alertmanager);
    expect(refused(withReceiver(fix, webhook))).toEqual([]);
  });

  it.each([
    ["prom/alertmanager:v0.28.0", webhook],
    ["prom/alertmanager:v0.25.0", slack],
    ["prom/alertmanager:v0.25.0", email],
    ["prom/alertmanager:v0.27.0", email],
  ])("%s reads its receiver's file: accepted", (image, receiver) => {
    expect(refused(withReceiver(image, receiver))).toEqual([]);
  });

  it("the README's alertmanager row names each receiver kind's minimum", () => {
    const row = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").find((l) => l.startsWith("| `alertmanager` |"))!;
    for (const [kind, min] of Object.entries(ALERTMANAGER_RECEIVER_MIN)) expect(row).toContain(`${kind} from ${min.min}`);
  });
});
