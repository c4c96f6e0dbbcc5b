// The rules that keep a stack file from hurting the host or hollowing out a proof: unsafe host
// paths, names that are not names, redactions Alloy would not apply, vacuous verify settings, an
// exposed lifecycle API, and keys that reach an object's prototype. Each case starts from a clean
// config and changes one thing.
import YAML from "yaml";
import { EXAMPLE_CONFIG, lintConfig } from "../../contracts/config/lint";
import { readStackFile } from "../../contracts/config/stackfile";
import { clone } from "./helpers";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

type Cfg = Record<string, any>;
const base = (): Cfg => clone(EXAMPLE_CONFIG) as Cfg;
const lint = (c: Cfg) => lintConfig(c, { secretKeys: [] });
const errors = (c: Cfg) => lint(c).errors.map((f) => [f.code, f.path]);

const redactionWarnings = (r: ReturnType<typeof lint>) => r.warnings.filter((f) => f.code.startsWith("E_CONFIG_REDACTION"));

it("the base config is clean: no errors, its redaction proven", () => {
  const r = lint(base());
  expect(r).toMatchObject({ ok: true, errors: [] });
  expect(redactionWarnings(r)).toEqual([]);
});

describe("paths: unsafe characters and system directories (E_CONFIG_PATH_UNSAFE)", () => {
  it.each([
    ["the filesystem root as telemetryRoot", "telemetryRoot", "/"],
    ["/etc as logsRoot", "logsRoot", "/etc"],
    ["a directory inside /etc", "logsRoot", "/etc/app"],
    ["/var/log itself", "logsRoot", "/var/log"],
    ["/usr/local as dataRoot", "dataRoot", "/usr/local"],
    ["a glob", "logsRoot", "/srv/logs/*"],
    ["a colon (bind-mount separator)", "telemetryRoot", "/srv/t:ro"],
    ["a newline", "logsRoot", "/srv/logs\n/etc"],
    ["a right-to-left override", "logsRoot", "/srv/\u202Egol"],
    ["a zero-width space", "dataRoot", "/srv/da\u200Bta"],
    ["a control character in the socket path", "dockerSocket", "/var/run/docker.sock\u0007"],
  ])("refuses %s", (_what, key, value) => {
    const c = base();
    c.paths[key] = value;
    expect(errors(c)).toEqual([["E_CONFIG_PATH_UNSAFE", `paths.${key}`]]);
    const f = lint(c).errors[0];
    expect(f.examplePatch).toContain(`/srv/logging-test/`);
  });
  it.each([
    ["a directory under /var/log", "logsRoot", "/var/log/myapp"],
    ["a directory under /tmp", "telemetryRoot", "/tmp/bootstrap-test/telemetry"],
    ["the Docker socket at its usual place (not a root)", "dockerSocket", "/run/docker.sock"],
    ["the journal under /var/log (not a root)", "journalDir", "/var/log/journal"],
    ["spaces are fine", "dataRoot", "/srv/my data"],
  ])("accepts %s", (_what, key, value) => {
    const c = base();
    c.paths[key] = value;
    expect(errors(c)).toEqual([]);
  });
});

describe("names (E_CONFIG_NAME_INVALID)", () => {
  it.each([
    ["a container name with a slash", "alloy", "dockerAllowlist", "/logging-test-loki"],
    ["a container name with a space", "alloy", "dockerAllowlist", "logging test"],
    ["a one-character container name", "alloy", "dockerAllowlist", "x"],
    ["a unit without its type", "alloy", "journaldUnits", "docker"],
    ["a unit with a glob", "alloy", "journaldUnits", "*.service"],
    ["a label with a dash", "verify", "requiredLabels", "file-name"],
    ["a reserved label", "verify", "requiredLabels", "__name__"],
  ])("refuses %s", (_what, section, key, value) => {
    const c = base();
    c[section][key] = [...c[section][key], value];
    const idx = c[section][key].length - 1;
    expect(errors(c)).toEqual([["E_CONFIG_NAME_INVALID", `${section}.${key}[${idx}]`]]);
    // The patch is the whole list with the bad entry replaced by a valid one.
    const patch = YAML.parse(lint(c).errors[0].examplePatch).config[`logging-bootstrap:${section}`][key] as string[];
    expect(patch).toHaveLength(c[section][key].length);
    expect(lintConfig({ ...c, [section]: { ...c[section], [key]: patch } }).errors).toEqual([]);
  });
  it("accepts systemd template units and escaped names", () => {
    const c = base();
    c.alloy.journaldUnits = ["docker.service", "getty@tty1.service", "systemd-journald.socket", "dev-disk-by\\x2dlabel.device"];
    expect(errors(c)).toEqual([]);
  });
});

describe("redactions (E_CONFIG_REDACTION_INVALID, E_CONFIG_REDACTION_UNPROVEN)", () => {
  const red = (r: Record<string, unknown>) => {
    const c = base();
    c.alloy.redactions = [{ name: "r", replacement: "***REDACTED***", ...r }];
    return lint(c);
  };
  it.each([
    ["a lookahead (not RE2)", { pattern: "password=(?=x)(\\S+)" }, /not a valid RE2 expression.*\(\?=/],
    ["a backreference (not RE2)", { pattern: "(a)\\1" }, /not a valid RE2 expression/],
    ["no capture group", { pattern: "(?i)password=\\S+" }, /no capture group/],
    ["a template using another field", { pattern: "k=(\\S+)", replacement: "{{ .Other }}" }, /not \{\{ \.Value \}\}/],
    ["an unclosed template", { pattern: "k=(\\S+)", replacement: "{{ .Value " }, /unclosed action/],
    ["a canary the pattern does not match", { pattern: "k=(\\S+)", canary: "nothing here" }, /canary is not matched/],
    ["a canary whose secret survives", { pattern: "k=(\\S+)", replacement: "{{ .Value }}", canary: "k=s3cret" }, /still containing its secret/],
  ])("refuses %s", (_what, r, message) => {
    const res = red(r);
    expect(res.errors.map((f) => [f.code, f.path])).toEqual([["E_CONFIG_REDACTION_INVALID", "alloy.redactions[0]"]]);
    expect(res.errors[0].message).toMatch(message);
  });
  it.each([
    ["a literal replacement", { pattern: "(?i)token=([A-Za-z0-9]+)", canary: "token=abc123" }],
    ["an empty replacement (the secret removed)", { pattern: "(?i)token=([A-Za-z0-9]+)", replacement: "", canary: "token=abc123" }],
    ["a hash of the value (Alloy's Sha2Hash)", { pattern: "k=(\\S+)", replacement: 'sha:{{ .Value | Sha2Hash "salt" }}', canary: "k=s3cret" }],
    ["named groups (?P<name>)", { pattern: "pw=(?P<pw>\\S+)", canary: "pw=hunter2" }],
  ])("accepts %s", (_what, r) => {
    const res = red(r);
    expect(res.errors).toEqual([]);
    expect(redactionWarnings(res)).toEqual([]);
  });
  it("a redaction without a canary is a warning: valid but unproven", () => {
    const res = red({ pattern: "(?i)password=([^\\s&]+)" });
    expect(res.errors).toEqual([]);
    expect(redactionWarnings(res).map((f) => [f.code, f.path])).toEqual([["E_CONFIG_REDACTION_UNPROVEN", "alloy.redactions[0].canary"]]);
  });
});

describe("verify settings that prove nothing (E_CONFIG_VERIFY_VACUOUS)", () => {
  it("refuses an empty requiredLabels", () => {
    const c = base();
    c.verify.requiredLabels = [];
    expect(errors(c)).toEqual([["E_CONFIG_VERIFY_VACUOUS", "verify.requiredLabels"]]);
  });
  it.each([1, 9, 2001, 1e9])("refuses cardinalityLimit %s", (n) => {
    const c = base();
    c.verify.cardinalityLimit = n;
    expect(errors(c)).toEqual([["E_CONFIG_VERIFY_VACUOUS", "verify.cardinalityLimit"]]);
  });
  it.each([10, 100, 2000])("accepts cardinalityLimit %s", (n) => {
    const c = base();
    c.verify.cardinalityLimit = n;
    expect(errors(c)).toEqual([]);
  });
});

describe("Prometheus's lifecycle API (E_CONFIG_LIFECYCLE_EXPOSED)", () => {
  // A LAN-published Prometheus is refused anyway (E_CONFIG_UNAUTHENTICATED_EXPOSURE); the lifecycle
  // finding says what else its flag would open.
  it("is refused on a LAN-published Prometheus", () => {
    const c = base();
    c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "alloy", "nodeExporter", "cadvisor"] };
    c.prometheus = { webLifecycle: true };
    expect(errors(c)).toEqual([["E_CONFIG_UNAUTHENTICATED_EXPOSURE", "ports.prometheus"], ["E_CONFIG_LIFECYCLE_EXPOSED", "prometheus.webLifecycle"]]);
    c.exposure = { bindAddress: "0.0.0.0" };
    expect(errors(c)).toEqual([["E_CONFIG_EXPOSURE", "exposure.bindAddress"], ["E_CONFIG_LIFECYCLE_EXPOSED", "prometheus.webLifecycle"]]);
  });
  it("is fine on loopback, or with prometheus in loopbackOnly", () => {
    const c = base();
    c.prometheus = { webLifecycle: true };
    expect(errors(c)).toEqual([]);
    c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
    expect(errors(c)).toEqual([]);
  });
});

describe("keys that reach a prototype (E_CONFIG_SCHEMA)", () => {
  it("a __proto__ key in a stack file is refused, and its value reaches no config object", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-proto-"));
    const file = path.join(dir, "Pulumi.x.yaml");
    const text = fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.test.yaml"), "utf8").replace("    logsRoot: /tmp/bootstrap-test/logs", "    __proto__:\n      dataRoot: /\n    logsRoot: /tmp/bootstrap-test/logs");
    fs.writeFileSync(file, text);
    const f = readStackFile(file);
    const paths = f.projectConfig.paths as Record<string, unknown>;
    expect(paths.dataRoot).toBeUndefined();
    expect(Object.getPrototypeOf(paths)).toBe(Object.prototype);
    const res = lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys });
    expect([...f.findings, ...res.errors].map((x) => [x.code, x.path])).toContainEqual(["E_CONFIG_SCHEMA", "paths.__proto__"]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  it.each(["__proto__", "constructor", "prototype"])("refuses %s wherever it appears in a parsed config", (k) => {
    const c = base();
    c.verify = JSON.parse(JSON.stringify(c.verify).replace(/^\{/, `{${JSON.stringify(k)}:{"cardinalityLimit":1},`));
    expect(errors(c)).toContainEqual(["E_CONFIG_SCHEMA", `verify.${k}`]);
  });
});

describe("requireImageDigests: a tag-only pin is an error (E_CONFIG_IMAGE_NO_DIGEST)", () => {
  const D = `sha256:${"c".repeat(64)}`;
  it("is an error with the known digest as the patch when the stack requires digests", () => {
    const c = base();
    c.requireImageDigests = true;
    const r = lintConfig(c, { secretKeys: [], digests: { [c.images.loki]: D } });
    const loki = r.errors.find((f) => f.path === "images.loki")!;
    expect(loki.code).toBe("E_CONFIG_IMAGE_NO_DIGEST");
    expect(YAML.parse(loki.examplePatch).config["logging-bootstrap:images"].loki).toBe(`${c.images.loki}@${D}`);
  });
  it("is an error too when the digest is not known here, its patch naming the command that pins it", () => {
    const c = base();
    c.requireImageDigests = true;
    const r = lintConfig(c, { secretKeys: [] });
    expect(r.errors.map((f) => f.path).sort()).toEqual(Object.keys(c.images).map((k) => `images.${k}`).sort());
    const loki = r.errors.find((f) => f.path === "images.loki")!;
    expect(loki.message).toMatch(/requireImageDigests: true, and the digest is not known here/);
    expect(YAML.parse(loki.examplePatch).config["logging-bootstrap:images"].loki).toMatch(new RegExp(`^${c.images.loki}@sha256:<.*npm run -s images:pin`));
  });
  it("a pin with its digest passes", () => {
    const c = base();
    c.requireImageDigests = true;
    for (const k of Object.keys(c.images)) c.images[k] = `${c.images[k]}@${D}`;
    expect(lintConfig(c, { secretKeys: [] }).errors).toEqual([]);
  });
  it("without requireImageDigests a known digest changes nothing (still the plain warning)", () => {
    const c = base();
    const r = lintConfig(c, { secretKeys: [], digests: { [c.images.loki]: D } });
    expect(r.errors).toEqual([]);
  });
});
