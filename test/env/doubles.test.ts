// Unit tests of the test doubles' pure parts (plain JS modules loaded with require: they run in
// an image with nothing but node, so they carry no TypeScript build step).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { alloyFixture } from "../util/alloy-fixture";

/* eslint-disable @typescript-eslint/no-require-imports */
const logql = require("./doubles/loki/logql.js");
const loki = require("./doubles/loki/server.js");
const alloyCfg = require("./doubles/alloy/config.js");
const glob = require("./doubles/alloy/glob.js");
const grafana = require("./doubles/grafana/server.js");
const common = require("./doubles/lib/common.js");

const NS = 1000000000n;

describe("LogQL subset", () => {
  test("selector with every matcher op and chained line filters", () => {
    const q = logql.parseQuery('{job="logs", env!="prod", file=~"/tmp/.+\\\\.log", x!~"a|b"} |= "marker" != "debug" |~ "(?i)ERR" !~ `skip`');
    expect(q.matchers.map((m: { name: string; op: string; value: string }) => [m.name, m.op, m.value])).toEqual([
      ["job", "=", "logs"],
      ["env", "!=", "prod"],
      ["file", "=~", "/tmp/.+\\.log"],
      ["x", "!~", "a|b"],
    ]);
    expect(q.filters.map((f: { op: string; value: string }) => [f.op, f.value])).toEqual([
      ["|=", "marker"],
      ["!=", "debug"],
      ["|~", "(?i)ERR"],
      ["!~", "skip"],
    ]);
    const labels = { job: "logs", env: "test", file: "/tmp/a.log", x: "c" };
    expect(logql.matchesStream(q, labels)).toBe(true);
    expect(logql.matchesStream(q, { ...labels, file: "/tmp/a.logx" })).toBe(false); // label regex anchored
    expect(logql.matchesStream(q, { ...labels, x: "a" })).toBe(false);
    expect(logql.matchesLine(q, "marker err here")).toBe(true);
    expect(logql.matchesLine(q, "marker debug err")).toBe(false);
    expect(logql.matchesLine(q, "marker ok")).toBe(false);
    expect(logql.matchesLine(q, "marker err skip")).toBe(false);
  });

  test.each([
    ["", "stream selector"],
    ['{job="a"', "expected"],
    ["{}", "at least one matcher"],
    ['{job=~".*"}', "empty-compatible"],
    ['sum(rate({job="a"}[1m]))', "stream selector"],
    ['{job="a"} | json', "only line filters"],
    ['{job="a"} |~ "("', "invalid regex"],
  ])("refuses %j", (q, msg) => {
    expect(() => logql.parseQuery(q)).toThrow(msg);
  });

  test("timestamps: RFC3339(Nano), float seconds, integer seconds and nanoseconds", () => {
    expect(logql.parseTimestamp("2024-01-02T03:04:05Z", 0n)).toBe(1704164645n * NS);
    expect(logql.parseTimestamp("2024-01-02T03:04:05.123456789Z", 0n)).toBe(1704164645n * NS + 123456789n);
    expect(logql.parseTimestamp("1704164645.5", 0n)).toBe(1704164645n * NS + 500000000n);
    expect(logql.parseTimestamp("1704164645", 0n)).toBe(1704164645n * NS);
    expect(logql.parseTimestamp("1704164645000000001", 0n)).toBe(1704164645000000001n);
    expect(logql.parseTimestamp(undefined, 7n)).toBe(7n);
    expect(() => logql.parseTimestamp("yesterday", 0n)).toThrow("cannot parse");
  });
});

describe("Loki double store and query_range", () => {
  function store(): InstanceType<typeof loki.Store> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loki-double-"));
    const s = new loki.Store(dir);
    s.load();
    return s;
  }

  test("push validation", () => {
    expect(loki.parsePush(Buffer.from(JSON.stringify({ streams: [{ stream: { job: "a" }, values: [["10", "x"], ["11", "y"]] }] })))).toHaveLength(2);
    expect(() => loki.parsePush(Buffer.from("{"))).toThrow("loghttp.PushRequest");
    expect(() => loki.parsePush(Buffer.from(JSON.stringify({ streams: [{ stream: {}, values: [] }] })))).toThrow("at least one label pair");
    expect(() => loki.parsePush(Buffer.from(JSON.stringify({ streams: [{ stream: { job: "a" }, values: [[10, "x"]] }] })))).toThrow("error reading entry timestamp: strconv.ParseInt");
  });

  test("window [start, end), limit and direction, ingestion delay", () => {
    const s = store();
    const now = 1_000_000;
    s.append(
      [1, 2, 3, 4].map((i) => ({ labels: { job: "a", n: String(i % 2) }, ts: BigInt(i) * NS, line: `line ${i}` })),
      now - 1,
    );
    s.append([{ labels: { job: "a", n: "0" }, ts: 5n * NS, line: "line 5 (not yet visible)" }], now + 500);
    const q = (p: Record<string, string>) => loki.queryRange(s, new URLSearchParams(p), now);
    const all = q({ query: '{job="a"}', start: "1", end: "10" });
    expect(all.status).toBe("success");
    expect(all.data.resultType).toBe("streams");
    expect(all.data.result).toEqual([
      { stream: { job: "a", n: "0" }, values: [["4000000000", "line 4"], ["2000000000", "line 2"]] },
      { stream: { job: "a", n: "1" }, values: [["3000000000", "line 3"], ["1000000000", "line 1"]] },
    ]);
    // end is exclusive; forward keeps the oldest `limit`
    const fwd = q({ query: '{job="a"}', start: "1", end: "4", limit: "2", direction: "forward" });
    expect(fwd.data.result.flatMap((r: { values: string[][] }) => r.values.map((v) => v[1])).sort()).toEqual(["line 1", "line 2"]);
    // the delayed entry shows up once its visibility time has passed
    const later = loki.queryRange(s, new URLSearchParams({ query: '{job="a"} |= "line 5"', start: "1", end: "10" }), now + 501);
    expect(later.data.result[0].values).toEqual([["5000000000", "line 5 (not yet visible)"]]);
    expect(q({ query: '{job="a"} |= "line 5"', start: "1", end: "10" }).data.result).toEqual([]);
    expect(() => q({ query: '{job="a"}', limit: "0" })).toThrow("limit must be a positive value");
    expect(() => q({ query: '{job="a"}', direction: "sideways" })).toThrow("invalid direction");
  });

  test("data survives a restart (reloaded from the data dir)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loki-double-"));
    const a = new loki.Store(dir);
    a.load();
    a.append([{ labels: { job: "x" }, ts: 9n * NS, line: "persisted" }], 0);
    const b = new loki.Store(dir);
    b.load();
    expect(b.count).toBe(1);
    expect(loki.queryRange(b, new URLSearchParams({ query: '{job="x"}', start: "1", end: "10" }), 1).data.result[0].values).toEqual([["9000000000", "persisted"]]);
  });

  test("readConfig picks http_listen_port and path_prefix", () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "loki-cfg-")), "c.yaml");
    fs.writeFileSync(f, "server:\n  http_listen_port: 3200\ncommon:\n  path_prefix: /data/loki\n");
    expect(loki.readConfig(f)).toMatchObject({ port: 3200, pathPrefix: "/data/loki" });
  });
});

const ALLOY_CONFIG = `
// header comment
logging {
  level  = "info"
  format = "logfmt"
}
/* block comment */
discovery.docker "containers" {
  host = "unix:///var/run/docker.sock"
}
local.file_match "files" {
  path_targets = [
    {"__path__" = "/tmp/t/logs/**/*.log", "job" = "logs"},
    {__path__ = "/tmp/t/telemetry/**/*.log", job = "telemetry"},
  ]
  sync_period = "5s"
}
loki.source.file "files" {
  targets    = local.file_match.files.targets
  forward_to = [loki.process.redact.receiver]
}
loki.process "redact" {
  forward_to = [loki.write.loki.receiver]
  stage.replace {
    expression = "(?i)authorization:\\\\s*bearer\\\\s+([A-Za-z0-9._~+/=-]+)"
    replace    = "***REDACTED***"
  }
  stage.replace {
    expression = \`(?i)password=([^\\s&]+)\`
    replace    = "***REDACTED***"
  }
  stage.static_labels {
    values = { env = "test" }
  }
}
loki.write "loki" {
  external_labels = {project = "logging-testenv"}
  endpoint {
    url = "http://loki:3100/loki/api/v1/push"
  }
}
`;

describe("Alloy double journal source (a stand-in of the journal, Alloy's labelling)", () => {
  const journal = require("./doubles/alloy/journal.js");
  const { renderAlloyConfig } = require("../../components/render/alloy");
  const { stackConfig } = require("../util/mocks");
  test("ships the allowlisted units only, as unit + job=journal, and skips entries older than max_age", () => {
    const cfg = stackConfig("test");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-journal-"));
    const p = journal.journalPipeline(alloyCfg.parse(renderAlloyConfig(cfg)));
    expect(p).toMatchObject({ path: "/var/log/journal", labels: { job: "journal" }, maxAgeMs: 12 * 3600e3 });
    const now = Date.now();
    const e = (unit: string, msg: string, agoMs = 1000) => JSON.stringify({ __REALTIME_TIMESTAMP: String((now - agoMs) * 1000), _SYSTEMD_UNIT: unit, MESSAGE: msg, PRIORITY: "6" });
    fs.writeFileSync(path.join(dir, "system.journal.jsonl"), [e("docker.service", "started"), e("cron.service", "ran a job"), e("docker.service", "too old", 13 * 3600e3)].join("\n") + "\n");
    const r = journal.readJournal({ ...p, path: dir }, {}, now);
    expect(r.entries.map((x: { line: string; labels: unknown }) => [x.line, x.labels])).toEqual([["started", { job: "journal", unit: "docker.service" }]]);
    // positions: a second read ships nothing new
    expect(journal.readJournal({ ...p, path: dir }, r.positions, now).entries).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("Alloy double config", () => {
  test("extracts targets, stages, writers and external labels", () => {
    const c = alloyCfg.extract(alloyCfg.parse(ALLOY_CONFIG));
    expect(c.targets).toEqual([
      { path: "/tmp/t/logs/**/*.log", exclude: undefined, labels: { job: "logs" } },
      { path: "/tmp/t/telemetry/**/*.log", exclude: undefined, labels: { job: "telemetry" } },
    ]);
    expect(c.stages.map(({ stage: _s, ...rest }: Record<string, unknown>) => rest)).toEqual([
      { type: "replace", expression: "(?i)authorization:\\s*bearer\\s+([A-Za-z0-9._~+/=-]+)", replace: "***REDACTED***", source: undefined },
      { type: "replace", expression: "(?i)password=([^\\s&]+)", replace: "***REDACTED***", source: undefined },
      { type: "static_labels", values: { env: "test" } },
    ]);
    expect(c.writes).toEqual([{ url: "http://loki:3100/loki/api/v1/push" }]);
    expect(c.externalLabels).toEqual({ project: "logging-testenv" });
  });

  test("processLine redacts capture groups and adds labels", () => {
    const c = alloyCfg.extract(alloyCfg.parse(ALLOY_CONFIG));
    const out = alloyCfg.processLine("GET / Authorization: Bearer abc.def password=hunter2&next=1", { job: "logs", filename: "/f" }, c.stages, c.externalLabels);
    expect(out.line).toBe("GET / Authorization: Bearer ***REDACTED*** password=***REDACTED***&next=1");
    expect(out.labels).toEqual({ project: "logging-testenv", job: "logs", filename: "/f", env: "test" });
  });

  // The vectors the product's redaction model is tested with (test/contracts/redaction.test.ts), run
  // through the double's own stage.replace (doubles/alloy/replace.js). One differs: a template that
  // does not parse makes Alloy refuse the component (its template is parsed when the stage is
  // built), so the double does not load it at all instead of passing the line through.
  type Vector = { name: string; pattern: string; replacement: string; line: string; out: string };
  const VECTORS = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "redaction-vectors.json"), "utf8")) as { vectors: Vector[]; refused: { name: string; pattern: string }[] };
  const replace = require("./doubles/alloy/replace.js");
  test.each(VECTORS.vectors.map((v) => [v.name, v] as [string, Vector]))("stage.replace as Alloy: %s", (_n, v) => {
    const args = { expression: v.pattern, replace: v.replacement };
    if (v.replacement.includes("{{") && !v.replacement.includes("}}")) expect(() => replace.buildReplace(args)).toThrow(/failed to compile template/);
    else expect(replace.runReplace(replace.buildReplace(args), v.line, {})).toBe(v.out);
  });
  test.each(VECTORS.refused.map((v) => [v.name, v.pattern] as [string, string]))("a config with a non-RE2 expression (%s) does not load, as in Alloy", (_n, pattern) => {
    const cfg = `loki.process "r" {\n  forward_to = []\n  stage.replace {\n    expression = ${JSON.stringify(pattern)}\n    replace = "*"\n  }\n}\n`;
    expect(() => alloyCfg.extract(alloyCfg.parse(cfg))).toThrow(alloyCfg.AlloyComponentError);
    expect(() => alloyCfg.extract(alloyCfg.parse(cfg))).toThrow(/stage.replace expression/);
  });

  test("syntax errors are reported", () => {
    expect(() => alloyCfg.parse('loki.write "x" {')).toThrow(alloyCfg.AlloySyntaxError);
    expect(() => alloyCfg.parse('a = "unterminated')).toThrow("1:5: string literal not terminated");
  });
});

describe("doublestar globs", () => {
  test.each([
    ["/l/**/*.log", "/l/a.log", true],
    ["/l/**/*.log", "/l/x/y/a.log", true],
    ["/l/**/*.log", "/l/a.txt", false],
    ["/l/*.log", "/l/x/a.log", false],
    ["/l/{a,b}.log", "/l/b.log", true],
    ["/l/[!a]?.log", "/l/bc.log", true],
    ["/l/[!a]?.log", "/l/ac.log", false],
  ])("%s vs %s -> %s", (g, p, ok) => {
    expect(glob.globToRegExp(g).test(p)).toBe(ok);
  });

  test("expandGlob walks from the static prefix", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glob-"));
    fs.mkdirSync(path.join(dir, "a/b"), { recursive: true });
    for (const f of ["x.log", "a/y.log", "a/b/z.log", "a/b/z.txt"]) fs.writeFileSync(path.join(dir, f), "");
    expect(glob.staticPrefix(`${dir}/**/*.log`)).toBe(dir);
    expect(glob.expandGlob(`${dir}/**/*.log`)).toEqual([`${dir}/a/b/z.log`, `${dir}/a/y.log`, `${dir}/x.log`]);
  });
});

describe("Grafana double", () => {
  const PROVIDER = `# comment
apiVersion: 1
providers:
  - allowUiUpdates: false
    disableDeletion: DISABLE
    folder: logging-bootstrap
    name: logging-bootstrap
    options:
      foldersFromFilesStructure: false
      path: DIR
    orgId: 1
    type: file
    updateIntervalSeconds: 30
`;
  function setup(disableDeletion: boolean) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "grafana-double-"));
    const dash = path.join(root, "dash");
    fs.mkdirSync(path.join(root, "prov/dashboards"), { recursive: true });
    fs.mkdirSync(dash);
    fs.writeFileSync(path.join(root, "prov/dashboards/d.yaml"), PROVIDER.replace("DIR", dash).replace("DISABLE", String(disableDeletion)));
    fs.writeFileSync(path.join(dash, "b.json"), JSON.stringify({ uid: "b-uid", title: "Bravo", tags: ["t1"] }));
    fs.writeFileSync(path.join(dash, "a.json"), JSON.stringify({ uid: "a-uid", title: "alpha", tags: ["t1", "t2"] }));
    return { root, dash, d: new grafana.Dashboards(path.join(root, "prov"), path.join(root, "state.json")) };
  }

  test("provider YAML parse", () => {
    expect(grafana.parseYamlList(PROVIDER.replace("DIR", "/x").replace("DISABLE", "true"), "providers")).toEqual([
      { allowUiUpdates: false, disableDeletion: true, folder: "logging-bootstrap", name: "logging-bootstrap", foldersFromFilesStructure: false, path: "/x", orgId: 1, type: "file", updateIntervalSeconds: 30 },
    ]);
  });

  test("search: dash-db hits sorted by title, with the documented fields; filters", () => {
    const { d } = setup(false);
    d.refresh(true);
    const hits = d.search(new URLSearchParams({ type: "dash-db" }));
    expect(hits.map((h: { uid: string }) => h.uid)).toEqual(["a-uid", "b-uid"]);
    expect(hits[0]).toMatchObject({ uid: "a-uid", title: "alpha", type: "dash-db", uri: "db/alpha", url: "/d/a-uid/alpha", tags: ["t1", "t2"], isStarred: false, folderTitle: "logging-bootstrap" });
    expect(typeof hits[0].id).toBe("number");
    expect(d.search(new URLSearchParams({ type: "dash-db", tag: "t2" })).map((h: { uid: string }) => h.uid)).toEqual(["a-uid"]);
    expect(d.search(new URLSearchParams({ type: "dash-db", query: "brav" })).map((h: { uid: string }) => h.uid)).toEqual(["b-uid"]);
    expect(d.search(new URLSearchParams({ type: "dash-folder" })).map((h: { type: string }) => h.type)).toEqual(["dash-folder"]);
  });

  test("a removed file disappears on rescan unless disableDeletion (then it persists, across restarts)", () => {
    const del = setup(false);
    del.d.refresh(true);
    fs.rmSync(path.join(del.dash, "a.json"));
    del.d.refresh(true);
    expect(del.d.search(new URLSearchParams({ type: "dash-db" })).map((h: { uid: string }) => h.uid)).toEqual(["b-uid"]);

    const keep = setup(true);
    keep.d.refresh(true);
    fs.rmSync(path.join(keep.dash, "a.json"));
    keep.d.refresh(true);
    expect(keep.d.search(new URLSearchParams({ type: "dash-db" })).map((h: { uid: string }) => h.uid)).toEqual(["a-uid", "b-uid"]);
    const restarted = new grafana.Dashboards(path.join(keep.root, "prov"), path.join(keep.root, "state.json"));
    restarted.refresh(true);
    expect(restarted.search(new URLSearchParams({ type: "dash-db" })).map((h: { uid: string }) => h.uid)).toEqual(["a-uid", "b-uid"]);
  });

  test("basic auth against the stored credential, and GF_*__FILE expansion", () => {
    const basic = (u: string, p: string) => ({ headers: { authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` } });
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "gf-data-"));
    grafana.writeAdmin(data, "admin", "pw");
    const admin = grafana.readAdmin(data);
    expect(fs.readFileSync(path.join(data, grafana.ADMIN_STORE), "utf8")).not.toContain("pw\""); // a salted hash, not the password
    expect(fs.statSync(path.join(data, grafana.ADMIN_STORE)).mode & 0o777).toBe(0o600);
    expect(grafana.checkAuth(basic("admin", "pw"), admin)).toEqual({ ok: true, login: "admin" });
    expect(grafana.checkAuth(basic("admin", "nope"), admin)).toEqual({ ok: false, body: expect.objectContaining({ message: "Invalid username or password", statusCode: 401 }) });
    expect(grafana.checkAuth(basic("root", "pw"), admin).ok).toBe(false);
    expect(grafana.checkAuth({ headers: {} }, admin).body.message).toBe("Unauthorized");
    expect(grafana.checkAuth(basic("admin", "pw"), undefined).ok).toBe(false); // no admin user yet
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gf-")), "pw");
    fs.writeFileSync(f, "s3cret\n");
    expect(grafana.expandFileEnv({ GF_SECURITY_ADMIN_PASSWORD__FILE: f }).GF_SECURITY_ADMIN_PASSWORD).toBe("s3cret");
  });

  // The `grafana cli` double as a real process, the way `docker exec` runs it in the image.
  const CLI = path.join(__dirname, "doubles", "grafana", "cli.js");
  const runCliDouble = (args: string[], stdin: string, data: string) => spawnSync(process.execPath, [CLI, ...args], { input: stdin, env: { ...process.env, GF_PATHS_DATA: data }, encoding: "utf8" });
  const RESET = ["cli", "--homepath", "/usr/share/grafana", "--config", "/etc/grafana/grafana.ini", "admin", "reset-admin-password", "--password-from-stdin"];

  test("grafana cli admin reset-admin-password --password-from-stdin rewrites the stored credential (first stdin line)", () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "gf-cli-"));
    grafana.writeAdmin(data, "admin", "old-password");
    const r = runCliDouble(RESET, "new-password\nignored second line\n", data);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Admin password changed successfully");
    const basic = (p: string) => ({ headers: { authorization: `Basic ${Buffer.from(`admin:${p}`).toString("base64")}` } });
    expect(grafana.checkAuth(basic("new-password"), grafana.readAdmin(data)).ok).toBe(true);
    expect(grafana.checkAuth(basic("old-password"), grafana.readAdmin(data)).ok).toBe(false);
  });

  test("grafana cli refuses a short password, an unknown command and a data dir with no admin user (exit 1, stored credential untouched)", () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "gf-cli-"));
    grafana.writeAdmin(data, "admin", "old-password");
    const before = fs.readFileSync(path.join(data, grafana.ADMIN_STORE), "utf8");
    const short = runCliDouble(RESET, "abc\n", data);
    // Grafana 13's cli writes its errors to stdout (after the stdin prompt), and exits 1.
    expect([short.status, short.stdout]).toEqual([1, expect.stringContaining("Error: ✗ new password is too short\n")]);
    const other = runCliDouble(["cli", "plugins", "install", "x"], "", data);
    expect(other.status).toBe(1);
    expect(fs.readFileSync(path.join(data, grafana.ADMIN_STORE), "utf8")).toBe(before);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "gf-cli-"));
    const none = runCliDouble(RESET, "long-enough\n", empty);
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(/could not read user from database. Error: user not found/);
  });
});

describe("flag parsing shared by the doubles", () => {
  test("Go-style flags and positionals", () => {
    expect(common.parseFlags(["run", "/etc/alloy/config.alloy", "--server.http.listen-addr=0.0.0.0:12345", "--storage.path", "/d", "-config.file=/c"])).toEqual({
      flags: { "server.http.listen-addr": "0.0.0.0:12345", "storage.path": "/d", "config.file": "/c" },
      positionals: ["run", "/etc/alloy/config.alloy"],
    });
    expect(common.splitHostPort("0.0.0.0:12345", "127.0.0.1", 1)).toEqual(["0.0.0.0", 12345]);
    expect(common.splitHostPort(":9", "127.0.0.1", 1)).toEqual(["0.0.0.0", 9]);
    expect(common.splitHostPort(undefined, "127.0.0.1", 1)).toEqual(["127.0.0.1", 1]);
  });
});

describe("Alloy double: docker pipeline", () => {
  const docker = require("./doubles/alloy/docker.js");
  const CFG = alloyFixture({
    containers: ["a", "b"],
    units: ["docker.service"],
    redactions: [],
    dockerRules: [
      '  rule {\n    source_labels = ["__meta_docker_container_name"]\n    regex         = "^/(.*)$"\n    target_label  = "container"\n  }\n',
      '  rule {\n    target_label = "job"\n    replacement  = "docker"\n  }\n',
    ],
  });
  test("relabel rules from the discovery.relabel that loki.source.docker reads", () => {
    const p = docker.dockerPipeline(alloyCfg.parse(CFG));
    expect(p.socketPath).toBe("/var/run/docker.sock");
    expect(p.rules).toHaveLength(3);
    expect(docker.relabel({ __meta_docker_container_name: "/a" }, p.rules)).toEqual({ __meta_docker_container_name: "/a", container: "a", job: "docker" });
    expect(docker.relabel({ __meta_docker_container_name: "/c" }, p.rules)).toBeNull();
    expect(docker.dockerPipeline(alloyCfg.parse('loki.write "x" {\n}\n'))).toBeNull();
  });
  test("relabel drop, labelmap, labeldrop", () => {
    expect(docker.relabel({ a: "x" }, [{ source_labels: ["a"], regex: "x", action: "drop" }])).toBeNull();
    expect(docker.relabel({ __meta_k: "v" }, [{ regex: "__meta_(.*)", action: "labelmap" }])).toEqual({ __meta_k: "v", k: "v" });
    expect(docker.relabel({ a: "1", b: "2" }, [{ regex: "a", action: "labeldrop" }])).toEqual({ b: "2" });
  });
  test("demux of Docker's multiplexed log stream, and stamp order", () => {
    const frame = (stream: number, s: string) => {
      const body = Buffer.from(s);
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    expect(docker.demux(Buffer.concat([frame(1, "2024-01-01T00:00:00.5Z one\n"), frame(2, "2024-01-01T00:00:01Z two\n")]))).toEqual(["2024-01-01T00:00:00.5Z one", "2024-01-01T00:00:01Z two"]);
    expect(docker.compareStamp("10.000000002", "10.000000001")).toBe(1);
    expect(docker.compareStamp("9.9", "10.0")).toBe(-1);
  });
});
