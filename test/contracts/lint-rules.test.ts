// One table per lint rule: passing cases, failing cases and the exact code (and path) each yields.
// Each failing case must produce exactly the listed findings: the schema's own complaint about
// the same key is folded into the semantic finding, not reported twice.
import { lintConfig, EXAMPLE_CONFIG } from "../../contracts/config/lint";
import { isAbsolutePath, isDnsLabel, isIPv4, isLoopbackIPv4, isPinnedImage, isValidPort, parseDuration, parseImageRef, toDnsLabel } from "../../contracts/config/values";
import { suggestDuration } from "../../contracts/config/examples";
import { ruleBooleans, ruleExposure, ruleImages, rulePaths, rulePorts, ruleProjectName, ruleRetention, ruleSecrets } from "../../contracts/config/rules";
import { clone } from "./helpers";

type Cfg = Record<string, any>;
const base = (): Cfg => clone(EXAMPLE_CONFIG) as Cfg;
/** Every service that answers without authentication but Alertmanager (loopback unless alerting.lanExposed). */
const LOOPBACK_ALL = ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"];
const codes = (cfg: Cfg, secretKeys: string[] = []) => lintConfig(cfg, { secretKeys }).errors.map((f) => [f.code, f.path]);

interface Row {
  name: string;
  mutate: (c: Cfg) => void;
  secretKeys?: string[];
}
interface FailRow extends Row {
  expected: [string, string][];
}

function table(rule: string, pass: Row[], fail: FailRow[]) {
  describe(rule, () => {
    it("the base config is clean", () => expect(codes(base())).toEqual([]));
    it.each(pass)("passes: $name", ({ mutate, secretKeys }) => {
      const c = base();
      mutate(c);
      expect(codes(c, secretKeys)).toEqual([]);
    });
    it.each(fail)("fails: $name", ({ mutate, secretKeys, expected }) => {
      const c = base();
      mutate(c);
      expect(codes(c, secretKeys)).toEqual(expected);
    });
  });
}

table(
  "ports: 1024-65535 and unique (E_CONFIG_INVALID_PORT, E_CONFIG_PORT_DUPLICATE)",
  [
    { name: "lowest unprivileged port", mutate: (c) => (c.ports.grafana = 1024) },
    { name: "highest port", mutate: (c) => (c.ports.cadvisor = 65535) },
    { name: "optional ports absent", mutate: (c) => { delete c.ports.alloy; delete c.ports.nodeExporter; delete c.ports.cadvisor; } },
  ],
  [
    { name: "privileged port 80", mutate: (c) => (c.ports.grafana = 80), expected: [["E_CONFIG_INVALID_PORT", "ports.grafana"]] },
    { name: "port 1023", mutate: (c) => (c.ports.loki = 1023), expected: [["E_CONFIG_INVALID_PORT", "ports.loki"]] },
    { name: "port 65536", mutate: (c) => (c.ports.alloy = 65536), expected: [["E_CONFIG_INVALID_PORT", "ports.alloy"]] },
    { name: "fractional port", mutate: (c) => (c.ports.prometheus = 9104.5), expected: [["E_CONFIG_INVALID_PORT", "ports.prometheus"]] },
    { name: "port as a string", mutate: (c) => (c.ports.grafana = "9101"), expected: [["E_CONFIG_INVALID_PORT", "ports.grafana"]] },
    { name: "negative port", mutate: (c) => (c.ports.cadvisor = -1), expected: [["E_CONFIG_INVALID_PORT", "ports.cadvisor"]] },
    { name: "two services on one port", mutate: (c) => (c.ports.prometheus = c.ports.grafana), expected: [["E_CONFIG_PORT_DUPLICATE", "ports.prometheus"]] },
    {
      name: "three services on one port",
      mutate: (c) => { c.ports.loki = 9101; c.ports.cadvisor = 9101; },
      expected: [["E_CONFIG_PORT_DUPLICATE", "ports.loki"], ["E_CONFIG_PORT_DUPLICATE", "ports.cadvisor"]],
    },
  ],
);

table(
  "paths absolute (E_CONFIG_PATH_NOT_ABSOLUTE)",
  [
    { name: "the root, where a path is not one of the stack's roots", mutate: (c) => (c.paths.dockerSocket = "/") },
    { name: "dataRoot absent", mutate: (c) => delete c.paths.dataRoot },
    { name: "path with spaces", mutate: (c) => (c.paths.dataRoot = "/srv/my data") },
    { name: "trailing slash", mutate: (c) => (c.paths.telemetryRoot = "/tmp/bootstrap-test/telemetry/") },
  ],
  [
    { name: "bare name", mutate: (c) => (c.paths.logsRoot = "logs"), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.logsRoot"]] },
    { name: "./relative", mutate: (c) => (c.paths.telemetryRoot = "./telemetry"), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.telemetryRoot"]] },
    { name: "../escape", mutate: (c) => (c.paths.dataRoot = "../data"), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.dataRoot"]] },
    { name: "home shorthand", mutate: (c) => (c.paths.dockerSocket = "~/docker.sock"), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.dockerSocket"]] },
    { name: "empty", mutate: (c) => (c.paths.journalDir = ""), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.journalDir"]] },
    // Absolute but not what gets mounted: the host-paths-absolute policy refuses these, so the lint must too.
    { name: "absolute with ..", mutate: (c) => (c.paths.logsRoot = "/tmp/bootstrap-test/../logs"), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.logsRoot"]] },
    { name: "absolute with //", mutate: (c) => (c.paths.dataRoot = "/srv//data"), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.dataRoot"]] },
    { name: "absolute with /./", mutate: (c) => (c.paths.telemetryRoot = "/tmp/./t"), expected: [["E_CONFIG_PATH_NOT_ABSOLUTE", "paths.telemetryRoot"]] },
  ],
);

table(
  "projectName DNS-safe (E_CONFIG_NAME_NOT_DNS_SAFE)",
  [
    { name: "single letter", mutate: (c) => (c.projectName = "a") },
    { name: "45 characters (63 minus '-alertmanager-data')", mutate: (c) => (c.projectName = "a".repeat(45)) },
    { name: "digits and dashes", mutate: (c) => (c.projectName = "obs-2-prod") },
  ],
  [
    { name: "underscore (the seed's logging_test)", mutate: (c) => (c.projectName = "logging_test"), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "upper case", mutate: (c) => (c.projectName = "Logging"), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "leading dash", mutate: (c) => (c.projectName = "-logging"), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "trailing dash", mutate: (c) => (c.projectName = "logging-"), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "64 characters", mutate: (c) => (c.projectName = "a".repeat(64)), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "46 characters: <project>-alertmanager-data would be 64", mutate: (c) => (c.projectName = "a".repeat(46)), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "63 characters, a DNS label itself", mutate: (c) => (c.projectName = "a".repeat(63)), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "empty", mutate: (c) => (c.projectName = ""), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
    { name: "dot", mutate: (c) => (c.projectName = "logging.test"), expected: [["E_CONFIG_NAME_NOT_DNS_SAFE", "projectName"]] },
  ],
);

table(
  "images pinned (E_CONFIG_IMAGE_UNPINNED)",
  [
    { name: "tag and digest", mutate: (c) => (c.images.loki = `grafana/loki:3.0.0@sha256:${"a".repeat(64)}`) },
    { name: "registry with port", mutate: (c) => (c.images.alloy = "registry.local:5000/grafana/alloy:v1.2.1") },
    { name: "a version tag with a suffix (a flavour, not a moving tag)", mutate: (c) => (c.images.grafana = "grafana/grafana:13.2.0-ubuntu") },
  ],
  [
    { name: ":latest", mutate: (c) => (c.images.grafana = "grafana/grafana:latest"), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.grafana"]] },
    { name: ":LATEST", mutate: (c) => (c.images.grafana = "grafana/grafana:LATEST"), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.grafana"]] },
    { name: "untagged", mutate: (c) => (c.images.loki = "grafana/loki"), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.loki"]] },
    { name: "registry port but no tag", mutate: (c) => (c.images.loki = "registry.local:5000/grafana/loki"), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.loki"]] },
    { name: "digest without tag", mutate: (c) => (c.images.loki = `grafana/loki@sha256:${"a".repeat(64)}`), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.loki"]] },
    { name: "moving tag :main", mutate: (c) => (c.images.alloy = "grafana/alloy:main"), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.alloy"]] },
    { name: "malformed digest", mutate: (c) => (c.images.alloy = "grafana/alloy:v1.2.1@sha256:abc"), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.alloy"]] },
    { name: "upper-case repository", mutate: (c) => (c.images.cadvisor = "Cadvisor/Cadvisor:v0.49.1"), expected: [["E_CONFIG_IMAGE_UNPINNED", "images.cadvisor"]] },
  ],
);

table(
  "toggles are real booleans (E_CONFIG_NOT_BOOLEAN)",
  [
    { name: "false everywhere", mutate: (c) => { c.offlineMode = false; c.verify.rules = false; c.exposure.lanExposed = false; } },
    { name: "toggle absent (default)", mutate: (c) => delete c.verify.dashboards },
  ],
  [
    { name: 'offlineMode "true"', mutate: (c) => (c.offlineMode = "true"), expected: [["E_CONFIG_NOT_BOOLEAN", "offlineMode"]] },
    { name: 'verify.rules "false"', mutate: (c) => (c.verify.rules = "false"), expected: [["E_CONFIG_NOT_BOOLEAN", "verify.rules"]] },
    { name: "verify.labels 1", mutate: (c) => (c.verify.labels = 1), expected: [["E_CONFIG_NOT_BOOLEAN", "verify.labels"]] },
    { name: 'exposure.lanExposed "yes"', mutate: (c) => (c.exposure.lanExposed = "yes"), expected: [["E_CONFIG_NOT_BOOLEAN", "exposure.lanExposed"]] },
    { name: "verify.enabled null", mutate: (c) => (c.verify.enabled = null), expected: [["E_CONFIG_NOT_BOOLEAN", "verify.enabled"]] },
  ],
);

table(
  "exposure: 0.0.0.0 only with lanExposed: true (E_CONFIG_EXPOSURE)",
  [
    { name: "0.0.0.0 with lanExposed", mutate: (c) => (c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: LOOPBACK_ALL }) },
    { name: "a LAN address with lanExposed", mutate: (c) => (c.exposure = { bindAddress: "192.168.1.20", lanExposed: true, loopbackOnly: LOOPBACK_ALL }) },
    { name: "other loopback address", mutate: (c) => (c.exposure = { bindAddress: "127.0.0.2" }) },
  ],
  [
    { name: "0.0.0.0 without lanExposed", mutate: (c) => (c.exposure = { bindAddress: "0.0.0.0" }), expected: [["E_CONFIG_EXPOSURE", "exposure.bindAddress"]] },
    { name: "0.0.0.0 with lanExposed false", mutate: (c) => (c.exposure = { bindAddress: "0.0.0.0", lanExposed: false }), expected: [["E_CONFIG_EXPOSURE", "exposure.bindAddress"]] },
    { name: "a LAN address without lanExposed", mutate: (c) => (c.exposure = { bindAddress: "10.0.0.5" }), expected: [["E_CONFIG_EXPOSURE", "exposure.bindAddress"]] },
    {
      name: 'lanExposed "true" (a string) does not count',
      mutate: (c) => (c.exposure = { bindAddress: "0.0.0.0", lanExposed: "true" }),
      expected: [["E_CONFIG_NOT_BOOLEAN", "exposure.lanExposed"], ["E_CONFIG_EXPOSURE", "exposure.bindAddress"]],
    },
  ],
);

table(
  "retention durations parse (E_CONFIG_DURATION)",
  [
    { name: "720h", mutate: (c) => (c.retention.logs = "720h") },
    { name: "1w2d", mutate: (c) => (c.retention.metrics = "1w2d") },
    { name: "1y", mutate: (c) => (c.retention.logs = "1y") },
    { name: "exactly the 24h minimum", mutate: (c) => (c.retention.logs = "24h") },
    { name: "1d for metrics", mutate: (c) => (c.retention.metrics = "1d") },
  ],
  [
    { name: "30 days", mutate: (c) => (c.retention.logs = "30 days"), expected: [["E_CONFIG_DURATION", "retention.logs"]] },
    { name: "units out of order 2d1w", mutate: (c) => (c.retention.metrics = "2d1w"), expected: [["E_CONFIG_DURATION", "retention.metrics"]] },
    { name: "no unit", mutate: (c) => (c.retention.logs = "30"), expected: [["E_CONFIG_DURATION", "retention.logs"]] },
    { name: "zero", mutate: (c) => (c.retention.logs = "0d"), expected: [["E_CONFIG_DURATION", "retention.logs"]] },
    { name: "23h59m, below Loki's 24h minimum", mutate: (c) => (c.retention.logs = "23h59m"), expected: [["E_CONFIG_DURATION", "retention.logs"]] },
    { name: "1h metrics", mutate: (c) => (c.retention.metrics = "1h"), expected: [["E_CONFIG_DURATION", "retention.metrics"]] },
    { name: "a number", mutate: (c) => (c.retention.metrics = 15), expected: [["E_CONFIG_DURATION", "retention.metrics"]] },
    { name: "month unit", mutate: (c) => (c.retention.logs = "1M"), expected: [["E_CONFIG_DURATION", "retention.logs"]] },
  ],
);

table(
  "grafanaAdminPassword only as a secure value (E_CONFIG_SECRET_PLAINTEXT)",
  [
    { name: "absent (generated)", mutate: () => undefined },
    { name: "secure value", mutate: (c) => (c.grafanaAdminPassword = "ciphertext-placeholder"), secretKeys: ["grafanaAdminPassword"] },
  ],
  [
    { name: "plaintext", mutate: (c) => (c.grafanaAdminPassword = "hunter2"), expected: [["E_CONFIG_SECRET_PLAINTEXT", "grafanaAdminPassword"]] },
    { name: "plaintext number", mutate: (c) => (c.grafanaAdminPassword = 1234), expected: [["E_CONFIG_SECRET_PLAINTEXT", "grafanaAdminPassword"]] },
    { name: "another key is secret, this one is not", mutate: (c) => (c.grafanaAdminPassword = "x"), secretKeys: ["projectName"], expected: [["E_CONFIG_SECRET_PLAINTEXT", "grafanaAdminPassword"]] },
  ],
);

table(
  "schema keys (E_CONFIG_SCHEMA, E_CONFIG_MISSING_KEY)",
  [{ name: "limits absent", mutate: (c) => delete c.limits }],
  [
    { name: "unknown top-level key", mutate: (c) => (c.portz = {}), expected: [["E_CONFIG_SCHEMA", "portz"]] },
    { name: "typo in a nested key", mutate: (c) => (c.ports.grafna = 9200), expected: [["E_CONFIG_SCHEMA", "ports.grafna"]] },
    { name: "missing images", mutate: (c) => delete c.images, expected: [["E_CONFIG_MISSING_KEY", "images"]] },
    { name: "missing ports.loki", mutate: (c) => delete c.ports.loki, expected: [["E_CONFIG_MISSING_KEY", "ports.loki"]] },
    { name: "bindAddress not an IP", mutate: (c) => (c.exposure.bindAddress = "localhost"), expected: [["E_CONFIG_SCHEMA", "exposure.bindAddress"]] },
    { name: "loopbackOnly names an unknown service", mutate: (c) => (c.exposure.loopbackOnly = ["mysql"]), expected: [["E_CONFIG_SCHEMA", "exposure.loopbackOnly[0]"]] },
  ],
);

table(
  "schemaVersion (E_CONFIG_SCHEMA_VERSION, E_CONFIG_NEEDS_MIGRATION)",
  [{ name: "current version as a runtime string", mutate: (c) => (c.schemaVersion = "3") }],
  [
    { name: "missing", mutate: (c) => delete c.schemaVersion, expected: [["E_CONFIG_SCHEMA_VERSION", "schemaVersion"]] },
    { name: "newer", mutate: (c) => (c.schemaVersion = 4), expected: [["E_CONFIG_SCHEMA_VERSION", "schemaVersion"]] },
    { name: "not a number", mutate: (c) => (c.schemaVersion = "one"), expected: [["E_CONFIG_SCHEMA_VERSION", "schemaVersion"]] },
    { name: "older (0)", mutate: (c) => (c.schemaVersion = 0), expected: [["E_CONFIG_NEEDS_MIGRATION", "schemaVersion"]] },
    { name: "older (1, before alerting)", mutate: (c) => (c.schemaVersion = 1), expected: [["E_CONFIG_NEEDS_MIGRATION", "schemaVersion"]] },
    { name: "older (2, before hosts)", mutate: (c) => (c.schemaVersion = 2), expected: [["E_CONFIG_NEEDS_MIGRATION", "schemaVersion"]] },
  ],
);

describe("rule functions are pure and usable alone", () => {
  it("each returns only its own codes", () => {
    const c = base();
    Object.assign(c, { projectName: "Bad_Name", offlineMode: "true", grafanaAdminPassword: "p" });
    c.exposure.bindAddress = "0.0.0.0";
    c.ports.loki = 80;
    c.paths.logsRoot = "logs";
    c.images.grafana = "grafana/grafana:latest";
    c.retention.logs = "30 days";
    const ctx = { secretKeys: new Set<string>() };
    expect(rulePorts(c).errors.map((f) => f.code)).toEqual(["E_CONFIG_INVALID_PORT"]);
    expect(rulePaths(c).errors.map((f) => f.code)).toEqual(["E_CONFIG_PATH_NOT_ABSOLUTE"]);
    expect(ruleProjectName(c).errors.map((f) => f.code)).toEqual(["E_CONFIG_NAME_NOT_DNS_SAFE"]);
    expect(ruleImages(c).errors.map((f) => f.code)).toEqual(["E_CONFIG_IMAGE_UNPINNED"]);
    expect(ruleBooleans(c).errors.map((f) => f.code)).toEqual(["E_CONFIG_NOT_BOOLEAN"]);
    expect(ruleExposure(c).errors.map((f) => f.code)).toEqual(["E_CONFIG_EXPOSURE"]);
    expect(ruleRetention(c).errors.map((f) => f.code)).toEqual(["E_CONFIG_DURATION"]);
    expect(ruleSecrets(c, ctx).errors.map((f) => f.code)).toEqual(["E_CONFIG_SECRET_PLAINTEXT"]);
    expect(c.projectName).toBe("Bad_Name"); // not modified
  });

  it("a tag without digest is a warning, not an error", () => {
    const r = ruleImages({ images: { grafana: "grafana/grafana:11.1.0", loki: `grafana/loki:3.0.0@sha256:${"b".repeat(64)}` } });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((f) => [f.code, f.path])).toEqual([["E_CONFIG_IMAGE_NO_DIGEST", "images.grafana"]]);
  });
});

describe("predicates", () => {
  it.each([
    ["grafana/grafana:11.1.0", true],
    [`grafana/grafana:11.1.0@sha256:${"c".repeat(64)}`, true],
    ["localhost:5000/a/b:1", true],
    ["gcr.io/cadvisor/cadvisor:v0.49.1", true],
    ["grafana/grafana", false],
    ["grafana/grafana:latest", false],
    ["grafana/grafana:stable", false],
    [`grafana/grafana@sha256:${"c".repeat(64)}`, false],
    ["", false],
    ["grafana/grafana:", false],
    ["grafana/grafana:11.1.0@sha256:XYZ", false],
    [42, false],
  ])("isPinnedImage(%p) = %p", (ref, pinned) => {
    expect(isPinnedImage(ref).pinned).toBe(pinned);
  });

  it("parseImageRef splits registry ports from tags", () => {
    expect(parseImageRef("localhost:5000/grafana/loki")).toEqual({ repository: "localhost:5000/grafana/loki" });
    expect(parseImageRef(`localhost:5000/grafana/loki:3.0.0@sha256:${"d".repeat(64)}`)).toEqual({ repository: "localhost:5000/grafana/loki", tag: "3.0.0", digest: `sha256:${"d".repeat(64)}` });
  });

  it.each([
    ["30d", 30 * 86400e3],
    ["720h", 720 * 3600e3],
    ["15d", 15 * 86400e3],
    ["1w2d", 9 * 86400e3],
    ["1h30m", 5400e3],
    ["500ms", 500],
    ["2d1w", undefined],
    ["30 days", undefined],
    ["", undefined],
    ["d", undefined],
    [30, undefined],
  ])("parseDuration(%p) = %p", (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it("other predicates", () => {
    expect([isDnsLabel("logging-test"), isDnsLabel("logging_test"), isDnsLabel(7)]).toEqual([true, false, false]);
    expect([isValidPort(1024), isValidPort(1023), isValidPort("9000")]).toEqual([true, false, false]);
    expect([isAbsolutePath("/x"), isAbsolutePath("x"), isAbsolutePath(null)]).toEqual([true, false, false]);
    expect([isIPv4("0.0.0.0"), isIPv4("256.0.0.1"), isLoopbackIPv4("127.0.0.1"), isLoopbackIPv4("0.0.0.0")]).toEqual([true, false, true, false]);
    expect(toDnsLabel("logging_test")).toBe("logging-test");
    expect(toDnsLabel("__")).toBe("logging-bootstrap");
    expect([suggestDuration("30 days"), suggestDuration("720 H"), suggestDuration("1 month")]).toEqual(["30d", "720h", undefined]);
  });
});

table(
  "alloy allowlists present and non-empty (E_CONFIG_MISSING_KEY)",
  [
    { name: "one container, one unit", mutate: (c) => (c.alloy = { dockerAllowlist: ["x1"], journaldUnits: ["docker.service"] }) },
    { name: "no redactions (advisory only)", mutate: (c) => (c.alloy.redactions = []) },
  ],
  [
    { name: "alloy absent", mutate: (c) => delete c.alloy, expected: [["E_CONFIG_MISSING_KEY", "alloy.dockerAllowlist"], ["E_CONFIG_MISSING_KEY", "alloy.journaldUnits"]] },
    { name: "empty docker allowlist", mutate: (c) => (c.alloy.dockerAllowlist = []), expected: [["E_CONFIG_MISSING_KEY", "alloy.dockerAllowlist"]] },
    { name: "journald units absent", mutate: (c) => delete c.alloy.journaldUnits, expected: [["E_CONFIG_MISSING_KEY", "alloy.journaldUnits"]] },
  ],
);

// alerting (schema v2). EXAMPLE_CONFIG has a webhook, an e-mail and a Slack receiver whose
// credentials are the lint's secret stand-in.
table(
  "alerting receivers and routes (E_CONFIG_SCHEMA, E_CONFIG_EXPOSURE)",
  [
    { name: "no alerting at all (defaults: blackhole)", mutate: (c) => delete c.alerting },
    { name: "routes to the built-in blackhole", mutate: (c) => (c.alerting.routes = [{ severity: "info", receiver: "blackhole" }]) },
    { name: "e-mail without credentials", mutate: (c) => (delete c.alerting.receivers[1].email.authUsername, delete c.alerting.receivers[1].email.requireTls) },
    { name: "a secure: leaf as the stack file gives it", mutate: (c) => (c.alerting.receivers[0].webhook.url = "__logging-bootstrap:secure-value-not-decrypted__") },
    // Alertmanager's API is unauthenticated: alerting.lanExposed passes only where it publishes no port.
    { name: "alerting.lanExposed with exposure.lanExposed and no Alertmanager port", mutate: (c) => ((c.alerting.lanExposed = true), (c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: LOOPBACK_ALL }), delete c.ports.alertmanager, (c.verify.alertDelivery = false)) },
    { name: "no Alertmanager port with the delivery proof off", mutate: (c) => (delete c.ports.alertmanager, (c.verify.alertDelivery = false)) },
    { name: "no Alertmanager port with verify off", mutate: (c) => (delete c.ports.alertmanager, (c.verify.enabled = false)) },
  ],
  [
    { name: "a receiver with two integrations", mutate: (c) => (c.alerting.receivers[0].slack = { apiUrl: "<secret>", channel: "#x" }), expected: [["E_CONFIG_SCHEMA", "alerting.receivers[0]"]] },
    { name: "a receiver with none", mutate: (c) => delete c.alerting.receivers[2].slack, expected: [["E_CONFIG_SCHEMA", "alerting.receivers[2]"]] },
    { name: "a duplicate receiver name", mutate: (c) => c.alerting.receivers.push({ name: "oncall", webhook: { url: "<secret>" } }), expected: [["E_CONFIG_SCHEMA", "alerting.receivers[3].name"]] },
    { name: "a route to an unknown receiver", mutate: (c) => (c.alerting.routes[1].receiver = "nobody"), expected: [["E_CONFIG_SCHEMA", "alerting.routes[1].receiver"]] },
    { name: "an unknown defaultReceiver", mutate: (c) => (c.alerting.defaultReceiver = "nobody"), expected: [["E_CONFIG_SCHEMA", "alerting.defaultReceiver"]] },
    { name: "an unknown watchdogReceiver", mutate: (c) => (c.alerting.watchdogReceiver = "nobody"), expected: [["E_CONFIG_SCHEMA", "alerting.watchdogReceiver"]] },
    { name: "an unknown severity", mutate: (c) => (c.alerting.routes[0].severity = "page"), expected: [["E_CONFIG_SCHEMA", "alerting.routes[0].severity"]] },
    { name: "a smarthost without port", mutate: (c) => (c.alerting.receivers[1].email.smarthost = "smtp.example.com"), expected: [["E_CONFIG_SCHEMA", "alerting.receivers[1].email.smarthost"]] },
    { name: "no Alertmanager port while the delivery proof is on", mutate: (c) => delete c.ports.alertmanager, expected: [["E_CONFIG_MISSING_KEY", "ports.alertmanager"]] },
    { name: "alerting.lanExposed alone", mutate: (c) => (c.alerting.lanExposed = true), expected: [["E_CONFIG_EXPOSURE", "alerting.lanExposed"]] },
    { name: "alerting.lanExposed with exposure.lanExposed: Alertmanager on the LAN", mutate: (c) => ((c.alerting.lanExposed = true), (c.exposure = { bindAddress: "0.0.0.0", lanExposed: true, loopbackOnly: LOOPBACK_ALL })), expected: [["E_CONFIG_UNAUTHENTICATED_EXPOSURE", "alerting.lanExposed"]] },
    { name: "alerting.lanExposed as a string", mutate: (c) => (c.alerting.lanExposed = "true"), expected: [["E_CONFIG_NOT_BOOLEAN", "alerting.lanExposed"]] },
  ],
);

table(
  "alerting credentials only as secrets (E_CONFIG_SECRET_PLAINTEXT)",
  [{ name: "stand-ins everywhere", mutate: () => undefined }],
  [
    { name: "a plaintext webhook url", mutate: (c) => (c.alerting.receivers[0].webhook.url = "https://hooks.example.com/t0ken"), expected: [["E_CONFIG_SECRET_PLAINTEXT", "alerting.receivers[0].webhook.url"]] },
    { name: "a plaintext Slack API url", mutate: (c) => (c.alerting.receivers[2].slack.apiUrl = "https://hooks.slack.com/services/T/B/x"), expected: [["E_CONFIG_SECRET_PLAINTEXT", "alerting.receivers[2].slack.apiUrl"]] },
    { name: "a plaintext SMTP password", mutate: (c) => (c.alerting.receivers[1].email.authPassword = "hunter2"), expected: [["E_CONFIG_SECRET_PLAINTEXT", "alerting.receivers[1].email.authPassword"]] },
    // A secure sibling makes the whole key secret at run time; the file still holds this one in clear.
    { name: "a plaintext leaf next to a secure one, with the key secret", secretKeys: ["alerting"], mutate: (c) => (c.alerting.receivers[0].webhook.url = "https://x.example/t"), expected: [["E_CONFIG_SECRET_PLAINTEXT", "alerting.receivers[0].webhook.url"]] },
  ],
);

describe("alerting credentials in findings", () => {
  it("never echo the value, and patch with `pulumi config set --secret --path`", () => {
    const c = base();
    c.alerting.receivers[2].slack.apiUrl = "https://hooks.slack.com/services/T0/B0/very-secret-42";
    const r = lintConfig(c);
    expect(JSON.stringify(r)).not.toContain("very-secret-42");
    const f = r.errors.find((e) => e.path === "alerting.receivers[2].slack.apiUrl")!;
    expect(f.examplePatch).toContain("pulumi config set --secret --path 'logging-bootstrap:alerting.receivers[2].slack.apiUrl' <value>");
    expect(f.examplePatch).toMatch(/secure: "v1:/);
  });
  it("the parsed config holds the stand-in, never a credential", () => {
    const r = lintConfig(base());
    expect(r.ok).toBe(true);
    expect(r.config!.alerting.receivers[0].webhook!.url).toBe("<secret>");
    expect(r.config!.alerting.receivers[1].email!.requireTls).toBe(true);
  });
  it("applies the defaults without alerting: blackhole, no receivers, loopback", () => {
    const c = base();
    delete c.alerting;
    expect(lintConfig(c).config!.alerting).toEqual({ receivers: [], routes: [], defaultReceiver: "blackhole", lanExposed: false });
  });
});
