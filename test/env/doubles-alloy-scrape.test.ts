// The Alloy double's prometheus.scrape (Prometheus v3.13's scrape loop as Alloy 1.19 runs it) and
// its Prometheus text format parser, in-process: the parser against the format's rules, the
// scrape against a local exporter (request headers, gzip, target labels, exported_ clashes,
// report series, stale markers), and scrape -> prometheus.remote_write through the double's
// runtime, decoded independently.
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { AddressInfo } from "node:net";
import { decodeWriteRequest } from "./doubles-alloy-decode";

/* eslint-disable @typescript-eslint/no-require-imports */
const { parseAlloyFile } = require("../../contracts/alloy/syntax");
const P = require("./doubles/alloy/promtext.js");
const S = require("./doubles/alloy/scrape.js");
const K = require("./doubles/alloy/components.js");
const { Tailer } = require("./doubles/alloy/server.js");

type Labels = Record<string, string>;
type Sample = { labels: Labels; value: number; timestampMs: number; stale?: boolean };

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("Prometheus text format", () => {
  test("HELP, TYPE, comments, labels with escapes, values and timestamps", () => {
    const text = [
      "# HELP node_load1 1m load average.",
      "# TYPE node_load1 gauge",
      "node_load1 0.25",
      "# a comment",
      "",
      "# HELP esc Help with \\\\ and \\n.",
      "# TYPE esc counter",
      'esc{path="C:\\\\x",quote="say \\"hi\\"",nl="a\\nb",empty="",} 1e3 1700000000000',
      "  spaced\t{ a = \"1\" , b=\"2\" }   -Inf",
      "nan_value NaN",
      "pos +Inf -5",
    ].join("\n");
    const r = P.parseText(text);
    expect(r.samples).toEqual([
      { name: "node_load1", labels: {}, value: 0.25 },
      { name: "esc", labels: { path: "C:\\x", quote: 'say "hi"', nl: "a\nb" }, value: 1000, timestampMs: 1700000000000 },
      { name: "spaced", labels: { a: "1", b: "2" }, value: -Infinity },
      { name: "nan_value", labels: {}, value: NaN },
      { name: "pos", labels: {}, value: Infinity, timestampMs: -5 },
    ]);
    expect(r.metadata).toEqual({ node_load1: { type: "gauge", help: "1m load average." }, esc: { type: "counter", help: "Help with \\ and \n." } });
  });

  test("1.0.0: a quoted name inside the braces; under the legacy scheme it is refused", () => {
    expect(() => P.parseText('{"my.metric", a="b"} 1\n')).toThrow(/invalid metric name/);
    expect(P.parseText('{"my_metric", "a"="b"} 1\n').samples).toEqual([{ name: "my_metric", labels: { a: "b" }, value: 1 }]);
  });

  test.each([
    ["metric{a=\"1\"", /unterminated label set/],
    ["metric{a=1} 1", /expected a quoted label value/],
    ["metric{a=\"\\x\"} 1", /invalid escape sequence/],
    ["metric", /expected a value/],
    ["metric 0x1p-2", /invalid syntax/],
    ["metric 1_000", /invalid syntax/],
    ["metric 1 2 3", /after the timestamp/],
    ["metric 1 1.5", /invalid timestamp/],
    ["metric{a=\"1\",a=\"2\"} 1", /is not unique/],
    ["# TYPE metric rate", /invalid metric type/],
    ["9metric 1", /expected a metric name|invalid metric name/],
  ])("refused (the whole scrape fails): %s", (line, err) => {
    expect(() => P.parseText(`${line}\n`)).toThrow(err);
  });

  test("Content-Type decides the parser (no Content-Type: the text fallback)", () => {
    expect(P.formatOf("text/plain; version=0.0.4; charset=utf-8; escaping=underscores")).toBe("text");
    expect(P.formatOf("")).toBe("text");
    expect(P.formatOf("application/openmetrics-text; version=1.0.0; charset=utf-8")).toBe("openmetrics");
    expect(P.formatOf("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited")).toBe("protobuf");
  });
});

describe("prometheus.scrape: targets and samples as Prometheus makes them", () => {
  const args = (extra = "") => S.scrapeArgs(parseAlloyFile(`prometheus.scrape "node" {\n  targets = [{"__address__" = "ne:9100"}]\n  forward_to = []\n${extra}\n}\n`).blocks[0], "prometheus.scrape.node");

  test("PopulateLabels: job from job_name (else the component id), instance from the address, params, meta labels gone", () => {
    const a = args(`  job_name = "node"\n  params = {"collect[]" = ["cpu"]}`);
    expect(S.targetOf({ __address__: "ne:9100", __meta_docker_x: "y", env: "prod" }, a)).toEqual({ labels: { env: "prod", instance: "ne:9100", job: "node" }, url: "http://ne:9100/metrics?collect%5B%5D=cpu", intervalMs: 60000, timeoutMs: 10000 });
    expect(S.targetOf({ __address__: "ne:9100", job: "own", instance: "mine", __metrics_path__: "/m", __scheme__: "https" }, args()).labels).toEqual({ instance: "mine", job: "own" });
    expect(S.targetOf({ __address__: "ne:9100" }, args()).labels.job).toBe("prometheus.scrape.node");
    expect(S.targetOf({ job: "x" }, args())).toEqual({ error: "no address" });
    expect(() => args(`  scrape_interval = "5s"`)).toThrow('scrape_timeout (10s) greater than scrape_interval (5s) for scrape config with job name ""');
  });

  test("the Accept header of Alloy's default scrape_protocols", () => {
    expect(S.acceptHeader(S.DEFAULT_PROTOCOLS)).toBe("application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
    expect(S.acceptHeader(["PrometheusText0.0.4"])).toBe("text/plain;version=0.0.4;q=0.6,*/*;q=0.5");
  });

  test("honor_labels = false: a scraped label the target also has is kept as exported_<name>", () => {
    expect(S.withTargetLabels({ __name__: "m", job: "scraped", exported_job: "taken", instance: "i" }, { job: "node", instance: "ne:9100" }, false)).toEqual({ __name__: "m", job: "node", instance: "ne:9100", exported_job: "taken", exported_exported_job: "scraped", exported_instance: "i" });
    expect(S.withTargetLabels({ __name__: "m", job: "scraped" }, { job: "node", instance: "x" }, true)).toEqual({ __name__: "m", job: "scraped", instance: "x" });
  });

  test("a scrape against an exporter: headers, gzip, samples at the scrape's time, report series; a failed scrape marks the series stale", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    let fail = false;
    const addr = await listen((req, res) => {
      seen.push(req.headers);
      if (fail) {
        res.writeHead(500).end("down");
        return;
      }
      const body = zlib.gzipSync("# TYPE node_load1 gauge\nnode_load1 0.5\nnode_boot_time_seconds{job=\"x\"} 17e8\nwith_ts 3 1600000000000\n");
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8; escaping=underscores", "Content-Encoding": "gzip" }).end(body);
    });
    const a = args(`  job_name = "node"\n  scrape_interval = "15s"`);
    const target = S.targetOf({ __address__: addr }, a);
    const got: Sample[][] = [];
    const loop = new S.ScrapeLoop(target, a, (s: Sample[]) => got.push(s), { version: "v1.19.2" });
    await loop.scrapeOnce(1_700_000_000_000);
    expect(seen[0]).toMatchObject({ accept: S.acceptHeader(S.DEFAULT_PROTOCOLS), "accept-encoding": "gzip", "x-prometheus-scrape-timeout-seconds": "10" });
    expect(seen[0]["user-agent"]).toMatch(/^Alloy\/v1\.19\.2 \(linux; /);
    const byName = (ss: Sample[]) => Object.fromEntries(ss.map((s) => [s.labels.__name__, s]));
    const first = byName(got[0]);
    expect(first.node_load1).toEqual({ labels: { __name__: "node_load1", job: "node", instance: addr }, value: 0.5, timestampMs: 1_700_000_000_000 });
    expect(first.node_boot_time_seconds.labels).toEqual({ __name__: "node_boot_time_seconds", job: "node", instance: addr, exported_job: "x" });
    expect(first.with_ts.timestampMs).toBe(1_600_000_000_000);
    expect(first.up).toEqual({ labels: { __name__: "up", job: "node", instance: addr }, value: 1, timestampMs: 1_700_000_000_000 });
    expect([first.scrape_samples_scraped.value, first.scrape_samples_post_metric_relabeling.value, first.scrape_series_added.value]).toEqual([3, 3, 3]);
    expect(first.scrape_duration_seconds.value).toBeGreaterThanOrEqual(0);
    expect(loop.status).toMatchObject({ health: "up", lastError: "" });
    fail = true;
    await loop.scrapeOnce(1_700_000_015_000);
    const second = got[1];
    // The series of the last good scrape get stale markers (not the one with its own timestamp).
    expect(second.filter((s) => s.stale).map((s) => s.labels.__name__).sort()).toEqual(["node_boot_time_seconds", "node_load1"]);
    expect(byName(second.filter((s) => !s.stale)).up.value).toBe(0);
    expect(loop.status).toMatchObject({ health: "down", lastError: "server returned HTTP status 500 Internal Server Error" });
  });

  test("an OpenMetrics answer fails the scrape with the double's own limit named", async () => {
    const addr = await listen((_req, res) => res.writeHead(200, { "Content-Type": "application/openmetrics-text; version=1.0.0; charset=utf-8" }).end("m 1\n# EOF\n"));
    const a = args();
    const got: Sample[][] = [];
    const loop = new S.ScrapeLoop(S.targetOf({ __address__: addr }, a), a, (s: Sample[]) => got.push(s));
    await loop.scrapeOnce();
    expect(loop.status.lastError).toMatch(/only the Prometheus text format is implemented by the Alloy test double/);
    expect(got[0].find((s) => s.labels.__name__ === "up")!.value).toBe(0);
  });
});

describe("scrape -> remote_write through the double's runtime", () => {
  test("the rendered shape of a fleet host (literal targets, job_name, external host label): series arrive with job, instance, host; the component API shows the target", async () => {
    const exporter = await listen((_req, res) => res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end("node_load1 1.5\n"));
    const writes: Buffer[] = [];
    const rx = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => (writes.push(Buffer.concat(chunks)), res.writeHead(204).end()));
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-alloy-scrape-"));
    closers.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, "config.alloy"), `prometheus.scrape "node_exporter" {\n  targets = [{"__address__" = "${exporter}"}]\n  job_name = "node"\n  scrape_interval = "15s"\n  forward_to = [prometheus.remote_write.central.receiver]\n}\nprometheus.scrape "orphan" {\n  targets = [{"__address__" = "${exporter}"}]\n  forward_to = [prometheus.relabel.x.receiver]\n}\nprometheus.remote_write "central" {\n  external_labels = {"host" = "web1"}\n  endpoint {\n    url = "http://${rx}/api/v1/write"\n  }\n}\n`);
    const t = new Tailer(path.join(dir, "config.alloy"), path.join(dir, "data"));
    await t.metrics.scrapeNow();
    await t.flush();
    const series = writes.flatMap((w) => decodeWriteRequest(w).series);
    const load = series.find((s) => s.labels.some(([k, v]) => k === "__name__" && v === "node_load1"))!;
    expect(load.labels).toEqual([["__name__", "node_load1"], ["host", "web1"], ["instance", exporter], ["job", "node"]]);
    expect(load.samples[0].value).toBe(1.5);
    expect(series.filter((s) => s.labels.some(([k, v]) => k === "__name__" && v === "up"))).toHaveLength(1); // the orphan's samples go nowhere
    const st = t.metrics.status();
    expect(st.scrapes["prometheus.scrape.orphan"].droppedReceivers).toEqual(["prometheus.relabel.x"]);
    const info = K.getComponent(t.cfg.root, t.componentState(), "prometheus.scrape.node_exporter");
    expect(info.health.state).toBe("healthy");
    const target = info.debugInfo[0].body.map((x: { name: string; value: { value: unknown } }) => [x.name, x.value.value]);
    expect(Object.fromEntries(target)).toMatchObject({ job: "node", url: `http://${exporter}/metrics`, health: "up" });
    expect(K.listComponents(t.cfg.root, t.componentState()).find((c: { localID: string }) => c.localID === "prometheus.scrape.node_exporter").dataFlowEdgesTo).toEqual(["prometheus.remote_write.central"]);
    t.metrics.stop();
  });
});
