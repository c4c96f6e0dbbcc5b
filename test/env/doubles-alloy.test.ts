// Conformance of the Alloy double with Alloy 1.19 where the proofs read it: the component API
// (/api/v0/web/components, shapes from grafana/alloy internal/web/api/api.go and
// internal/component/component_provider.go Info.MarshalJSON, bodies in syntax/encoding/alloyjson),
// /-/healthy from the components' health, and loki.process stage.replace as Alloy's reference
// documents it (the double's own implementation, not the product's redaction model).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { renderAlloyConfig } from "../../components/render/alloy";
import { stackConfig } from "../util/mocks";

/* eslint-disable @typescript-eslint/no-require-imports */
const alloyCfg = require("./doubles/alloy/config.js");
const replace = require("./doubles/alloy/replace.js");
const { Tailer, route } = require("./doubles/alloy/server.js");
const common = require("./doubles/lib/common.js");
const lokiPush = require("./doubles/loki/push.js");

type Json = Record<string, unknown>;
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

function listen(server: http.Server, where: string | number): Promise<void> {
  return new Promise((resolve) => server.listen(where, "127.0.0.1" as never, () => resolve()));
}
async function serve(handler: http.RequestListener, socket?: string): Promise<string> {
  const server = http.createServer(handler);
  if (socket) await new Promise<void>((r) => server.listen(socket, () => r()));
  else await listen(server, 0);
  closers.push(() => new Promise((r) => server.close(() => r())));
  return socket ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
function get(url: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), type: String(res.headers["content-type"]) }));
    }).on("error", reject);
  });
}

/** Docker's multiplexed log frame. */
const frame = (s: string) => {
  const body = Buffer.from(s);
  const h = Buffer.alloc(8);
  h[0] = 1;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
};

const LOKI_ID = "a".repeat(64);
const OTHER_ID = "b".repeat(64);
const LINE_STAMP = "2026-01-02T03:04:05.123456789Z";

/** The test stack's rendered config with its paths, socket and Loki moved to this test's own. */
async function double(opts: { journal: boolean }): Promise<{ url: string; tailer: { tick(): Promise<void>; flush(): Promise<void> }; root: string; pushes: Json[] }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lb-alloy-api-"));
  closers.push(async () => fs.rmSync(root, { recursive: true, force: true }));
  const pushes: Json[] = [];
  const loki = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      // Alloy's loki.write pushes snappy-compressed protobuf; the Loki double's decoder reads it.
      pushes.push(lokiPush.decodePush(req.headers, Buffer.concat(chunks)));
      res.writeHead(204).end();
    });
  });
  const sock = await serve((req, res) => {
    if (req.url === "/containers/json") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify([
        { Id: LOKI_ID, Names: ["/logging-test-loki"], Labels: {}, HostConfig: { NetworkMode: "lb" } },
        { Id: OTHER_ID, Names: ["/not-allowlisted"], Labels: {}, HostConfig: { NetworkMode: "bridge" } },
      ]));
    }
    if (req.url?.startsWith(`/containers/${LOKI_ID}/logs`)) return res.writeHead(200).end(frame(`${LINE_STAMP} level=info msg="loki says hi"\n`));
    return res.writeHead(404).end();
  }, path.join(root, "docker.sock"));
  const cfg = stackConfig("test");
  const logs = path.join(root, "logs");
  fs.mkdirSync(logs);
  fs.writeFileSync(path.join(logs, "logging-bootstrap-proof.log"), "marker=one password=hunter2\n");
  const journalDir = path.join(root, "journal");
  if (opts.journal) fs.mkdirSync(journalDir);
  const text = renderAlloyConfig({ ...cfg, paths: { ...cfg.paths, logsRoot: logs, telemetryRoot: path.join(root, "telemetry") } })
    .split("unix:///var/run/docker.sock").join(`unix://${sock}`)
    .split('"/var/log/journal"').join(JSON.stringify(journalDir))
    .split("http://loki:3100/loki/api/v1/push").join(`${loki}/loki/api/v1/push`);
  const file = path.join(root, "config.alloy");
  fs.writeFileSync(file, text);
  const tailer = new Tailer(file, path.join(root, "data"));
  await tailer.tick();
  await tailer.flush();
  const url = await serve(common.handler("alloy-double", route(tailer)));
  return { url, tailer, root, pushes };
}

const attr = (name: string, value: Json) => ({ name, type: "attr", value });
const s = (value: string) => ({ type: "string", value });

describe("Alloy double: component API as Alloy 1.19 serves it", () => {
  test("GET /api/v0/web/components: every component the config declares, dependencies first, health only", async () => {
    const d = await double({ journal: true });
    const r = await get(`${d.url}/api/v0/web/components`);
    expect(r.status).toBe(200);
    // Alloy writes the JSON without a Content-Type: Go's sniffing calls it text/plain.
    expect(r.type).toBe("text/plain; charset=utf-8");
    const list = JSON.parse(r.body) as Json[];
    expect(list.map((c) => c.localID)).toEqual([
      "discovery.docker.containers",
      "discovery.relabel.docker_allowlist",
      "local.file_match.files",
      "loki.relabel.journal_allowlist",
      "loki.write.loki",
      "loki.process.redact",
      "loki.source.docker.containers",
      "loki.source.file.files",
      "loki.source.journal.journal",
    ]);
    // Field names and order of component.Info.MarshalJSON.
    expect(Object.keys(list[0])).toEqual(["name", "type", "localID", "moduleID", "label", "referencesTo", "referencedBy", "dataFlowEdgesTo", "health", "original", "arguments", "exports", "debugInfo", "liveDebuggingEnabled"]);
    const byId = Object.fromEntries(list.map((c) => [c.localID as string, c]));
    expect(byId["loki.source.docker.containers"]).toMatchObject({
      name: "loki.source.docker",
      type: "block",
      moduleID: "",
      label: "containers",
      referencesTo: ["discovery.relabel.docker_allowlist", "loki.process.redact"],
      referencedBy: [],
      dataFlowEdgesTo: ["loki.process.redact"],
      health: { state: "healthy", message: "started component" },
      original: "",
      arguments: [],
      exports: [],
      debugInfo: [],
      liveDebuggingEnabled: false,
    });
    expect(new Date(String((byId["loki.write.loki"].health as Json).updatedTime)).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // Data flows from the owner of targets/output/rules to its reader, and into a receiver.
    expect(byId["discovery.docker.containers"].dataFlowEdgesTo).toEqual(["discovery.relabel.docker_allowlist"]);
    expect(byId["discovery.relabel.docker_allowlist"].dataFlowEdgesTo).toEqual(["loki.source.docker.containers"]);
    expect(byId["loki.relabel.journal_allowlist"]).toMatchObject({ dataFlowEdgesTo: ["loki.source.journal.journal"], referencedBy: ["loki.source.journal.journal"], liveDebuggingEnabled: true });
    expect(byId["loki.process.redact"]).toMatchObject({ referencedBy: ["loki.source.docker.containers", "loki.source.file.files", "loki.source.journal.journal"], dataFlowEdgesTo: ["loki.write.loki"] });
    expect(byId["loki.source.journal.journal"].health).toMatchObject({ state: "healthy", message: "journal tailer is running" });
  });

  test("GET /api/v0/web/components/{id}: the running keep rules and their output, as alloyjson", async () => {
    const d = await double({ journal: true });
    const info = JSON.parse((await get(`${d.url}/api/v0/web/components/discovery.relabel.docker_allowlist`)).body) as Json;
    const args = info.arguments as Json[];
    expect(args[0]).toMatchObject({ name: "targets", type: "attr", value: { type: "array" } });
    // The discovered targets, evaluated: both containers with discovery.docker's meta labels (keys sorted).
    const targets = (args[0].value as Json).value as { value: { key: string; value: Json }[] }[];
    expect(targets.map((t) => t.value.find((f) => f.key === "__meta_docker_container_name")?.value)).toEqual([s("/logging-test-loki"), s("/not-allowlisted")]);
    expect(targets[0].value.map((f) => f.key)).toEqual([...targets[0].value.map((f) => f.key)].sort());
    // rule blocks: regex always (a compiled regexp never equals the default), the rest when not default.
    expect(args.slice(1)).toEqual([
      { name: "rule", type: "block", body: [attr("source_labels", { type: "array", value: [s("__meta_docker_container_name")] }), attr("regex", s("^(/logging-test-grafana|/logging-test-loki|/logging-test-prometheus)$")), attr("action", s("keep"))] },
      { name: "rule", type: "block", body: [attr("source_labels", { type: "array", value: [s("__meta_docker_container_name")] }), attr("regex", s("^/(.*)$")), attr("target_label", s("container"))] },
      { name: "rule", type: "block", body: [attr("regex", s("(.*)")), attr("target_label", s("job")), attr("replacement", s("docker"))] },
    ]);
    const exportsBody = info.exports as Json[];
    expect(exportsBody.map((e) => e.name)).toEqual(["output", "rules"]);
    const output = (exportsBody[0].value as Json).value as { value: { key: string; value: Json }[] }[];
    expect(output).toHaveLength(1);
    expect(output[0].value.filter((f) => !f.key.startsWith("__"))).toEqual([{ key: "container", value: s("logging-test-loki") }, { key: "job", value: s("docker") }]);
    expect(exportsBody[1]).toEqual(attr("rules", { type: "capsule", value: 'capsule("relabel.Rules")' }));
  });

  test("loki.process: forward_to receivers and the stage.replace blocks it runs", async () => {
    const d = await double({ journal: true });
    const info = JSON.parse((await get(`${d.url}/api/v0/web/components/loki.process.redact`)).body) as Json;
    expect(info.arguments).toEqual([
      attr("forward_to", { type: "array", value: [{ type: "capsule", value: "loki.write.loki.receiver" }] }),
      { name: "stage.replace", type: "block", body: [attr("expression", s("(?i)authorization:\\s*bearer\\s+([A-Za-z0-9._~+/=-]+)")), attr("replace", s("***REDACTED***"))] },
      { name: "stage.replace", type: "block", body: [attr("expression", s("(?i)password=([^\\s&]+)")), attr("replace", s("***REDACTED***"))] },
    ]);
    expect(info.exports).toEqual([attr("receiver", { type: "capsule", value: "loki.process.redact.receiver" })]);
  });

  test("the sources' debugInfo: what each tailer has read (files: bytes; docker: the last line's second)", async () => {
    const d = await double({ journal: true });
    const file = JSON.parse((await get(`${d.url}/api/v0/web/components/loki.source.file.files`)).body) as Json;
    const marker = path.join(d.root, "logs", "logging-bootstrap-proof.log");
    expect(file.debugInfo).toEqual([
      { name: "targets_info", type: "block", body: [attr("path", s(marker)), attr("labels", s(`{filename=${JSON.stringify(marker)}, job="logs"}`)), attr("is_running", { type: "bool", value: true }), attr("read_offset", { type: "number", value: Buffer.byteLength("marker=one password=hunter2\n") })] },
    ]);
    const docker = JSON.parse((await get(`${d.url}/api/v0/web/components/loki.source.docker.containers`)).body) as Json;
    const ti = (docker.debugInfo as { body: Json[] }[]).map((b) => Object.fromEntries(b.body.map((x) => [x.name, (x.value as Json).value])));
    expect(ti).toEqual([{ id: LOKI_ID, last_error: "", labels: expect.stringContaining('container="logging-test-loki"'), is_running: true, read_offset: String(Date.parse(LINE_STAMP) / 1000 | 0) }]);
    // What was pushed is what the component API says was read.
    expect(JSON.stringify(d.pushes, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).toContain("loki says hi");
  });

  test("unknown ids and module paths are 404, as Alloy's http.NotFound", async () => {
    const d = await double({ journal: true });
    expect(await get(`${d.url}/api/v0/web/components/loki.process.nope`)).toMatchObject({ status: 404, body: "404 page not found\n" });
    expect(await get(`${d.url}/api/v0/web/components/mod/loki.process.redact`)).toMatchObject({ status: 404 });
  });

  test("/-/healthy follows the components' health: an unreadable journal makes loki.source.journal unhealthy", async () => {
    const d = await double({ journal: false });
    expect(await get(`${d.url}/-/healthy`)).toMatchObject({ status: 500, body: "unhealthy components: loki.source.journal\n" });
    const info = JSON.parse((await get(`${d.url}/api/v0/web/components/loki.source.journal.journal`)).body) as Json;
    expect(info.health).toMatchObject({ state: "unhealthy", message: expect.stringMatching(/^error creating journal tailer: /) });
    fs.mkdirSync(path.join(d.root, "journal"));
    await d.tailer.tick();
    expect(await get(`${d.url}/-/healthy`)).toMatchObject({ status: 200, body: "All Alloy components are healthy.\n" });
  });

  test("a reload that changes a stage shows in the API at once (what L4 reads)", async () => {
    const d = await double({ journal: true });
    const file = path.join(d.root, "config.alloy");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").split('"***REDACTED***"').join('"{{ .Value }}"'));
    expect(await get(`${d.url}/-/reload`)).toMatchObject({ status: 200, body: "config reloaded\n" });
    const info = JSON.parse((await get(`${d.url}/api/v0/web/components/loki.process.redact`)).body) as Json;
    expect(JSON.stringify(info.arguments)).toContain("{{ .Value }}");
    expect((info.health as Json).message).toBe("component evaluated");
  });
});

describe("Alloy double: stage.replace as Alloy's reference documents it", () => {
  const stage = (args: Json) => replace.buildReplace(args);
  const run = (args: Json, line: string, extracted: Json = {}) => replace.runReplace(stage(args), line, extracted);

  test("the reference's first example: the capture group is replaced, the rest kept", () => {
    const line = "2023-01-01T01:00:00.000000001Z stderr P i'm a log message who has sensitive information with password xyz!";
    // The reference shows "password *****!", but \S+ also takes the "!" (RE2, greedy): it is replaced too.
    expect(run({ expression: "password (\\S+)", replace: "*****" }, line)).toBe("2023-01-01T01:00:00.000000001Z stderr P i'm a log message who has sensitive information with password *****");
    expect(run({ expression: "password (\\w+)", replace: "*****" }, line)).toBe("2023-01-01T01:00:00.000000001Z stderr P i'm a log message who has sensitive information with password *****!");
  });

  test("named groups: every group replaced through the template, the replaced values extracted by name", () => {
    const extracted: Json = {};
    const out = run({ expression: "^(?P<ip>\\S+) (?P<identd>\\S+) (?P<user>\\S+) \\[(?P<timestamp>[\\w:/]+\\s[+\\-]\\d{4})\\]", replace: "{{ .Value | ToUpper }}" }, "11.11.11.11 - alloy [01/Jan/2023:00:00:01 +0200]", extracted);
    expect(out).toBe("11.11.11.11 - ALLOY [01/JAN/2023:00:00:01 +0200]");
    expect(extracted).toEqual({ ip: "11.11.11.11", identd: "-", user: "ALLOY", timestamp: "01/JAN/2023:00:00:01 +0200" });
  });

  test("source: the extracted value is parsed and replaced, the line is not", () => {
    const extracted: Json = { msg: '11.11.11.11 - "POST /loki/api/push/ HTTP/1.1" 200 932 "-" "Mozilla/5.0' };
    expect(run({ expression: '\\S+ - "POST (\\S+) .*', source: "msg", replace: "redacted_url" }, "the line", extracted)).toBe("the line");
    expect(extracted.msg).toBe('11.11.11.11 - "POST redacted_url HTTP/1.1" 200 932 "-" "Mozilla/5.0');
    expect(run({ expression: "(x)", source: "absent", replace: "y" }, "x")).toBe("x");
  });

  test("an empty replace omits the captured value; every match counts; no group changes nothing", () => {
    expect(run({ expression: "token=(\\S+)" }, "token=abc rest")).toBe("token= rest");
    expect(run({ expression: "k=(\\w+)", replace: "_" }, "k=a k=b")).toBe("k=_ k=_");
    expect(run({ expression: "password=\\S+", replace: "*" }, "password=x")).toBe("password=x");
  });

  test("matches are Go's FindAll: an empty match right after a match does not count", () => {
    // Go: "", "aaa", "" at the end; a Java-style loop would also report the empty match at 4.
    expect(run({ expression: "(a*)", replace: "X" }, "baaac")).toBe("XbXcX");
  });

  test("template functions: Hash is SHA3-256 of its two arguments joined (the piped value last), Sha2Hash SHA-256", () => {
    const sha3 = crypto.createHash("sha3-256").update("saltsecret").digest("hex");
    expect(run({ expression: "pw=(\\S+)", replace: '{{ .Value | Hash "salt" }}' }, "pw=secret")).toBe(`pw=${sha3}`);
    expect(run({ expression: "pw=(\\S+)", replace: '{{ Sha2Hash .Value "salt" }}' }, "pw=secret")).toBe(`pw=${crypto.createHash("sha256").update("secretsalt").digest("hex")}`);
    expect(run({ expression: "code=(\\d+)", replace: '{{ if eq .Value "200" }}{{ Replace .Value "200" "HttpStatusOk" -1 }}{{ else }}{{ .Value | ToUpper }}{{ end }}' }, "code=200 code=404")).toBe("code=HttpStatusOk code=404");
    expect(run({ expression: "id=(\\d+)", replace: "[ {{- .Value -}} ]" }, "id=42")).toBe("id=[42]");
    expect(run({ expression: "f=(\\S+)", replace: "{{ .filename }}" }, "f=x", { filename: "/l/a.log" })).toBe("f=/l/a.log");
  });

  test("a template or expression Alloy cannot build stops the config; a template that fails at run time leaves the line", () => {
    const cfg = (expr: string, repl: string) => `loki.process "r" {\n  forward_to = []\n  stage.replace {\n    expression = ${JSON.stringify(expr)}\n    replace = ${JSON.stringify(repl)}\n  }\n}\n`;
    expect(() => alloyCfg.extract(alloyCfg.parse(cfg("k=(\\w+)", "{{ .Value")))).toThrow(/failed to compile template/);
    expect(() => alloyCfg.extract(alloyCfg.parse(cfg("(a)\\1", "x")))).toThrow(/could not compile regular expression/);
    expect(() => alloyCfg.extract(alloyCfg.parse(cfg("(a)", "{{ NoSuchFunction .Value }}")))).toThrow(/function "NoSuchFunction" not defined/);
    // Replace wants an int: an execution error, so the stage does nothing to this line.
    expect(run({ expression: "k=(\\w+)", replace: '{{ Replace .Value "a" "b" "x" }}' }, "k=abc")).toBe("k=abc");
  });
});
