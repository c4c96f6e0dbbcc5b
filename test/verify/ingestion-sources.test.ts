// L3 at refresh shows each configured source flowing on its own (files, docker, journal), with
// only what the proof can rely on; a quiet host is a warning that says why, never red, never green.
import { checkIngestionPath, checkIngestionProof, ingestionReadInput } from "../../components/verify/checks";
import { newMarker } from "../../components/verify/evidence";
import { alloyFixture } from "../util/alloy-fixture";
import { alloyApi, AlloyApiOptions } from "../util/alloy-api";
import { FakeDocker, makeTestIo, startServer, TestServer } from "./fakes";
/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const { alloyFeatures } = require("../env/doubles/alloy/versions.js") as { alloyFeatures: (version: string) => Record<string, boolean> };

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const MARKER_FILE = "/l/logging-bootstrap-proof.log";
const MARKER = newMarker(Date.now() - 3600_000, "00aa");
/** The fixture (docker + journal sources) plus the files source the renderer always has. */
const CONFIG = `${alloyFixture({ containers: ["p-loki", "p-grafana"], units: ["docker.service"], redactions: [] })}
local.file_match "files" {
  path_targets = [{"__path__" = "/l/**/*.log", "job" = "logs"}]
}

loki.source.file "files" {
  targets    = local.file_match.files.targets
  forward_to = [loki.process.redact.receiver]
}
`;

interface Entry {
  labels: Record<string, string>;
  ns: bigint;
  line: string;
}
const sec = (ms: number) => Math.floor(ms / 1000);
const nsOf = (ms: number) => BigInt(ms) * 1_000_000n;

/** Loki over `entries` (selector = every `k="v"`/`k=~"re"` matcher, `|= "x"` filters; [start, end)) and Alloy answering from CONFIG. */
async function stack(entries: Entry[], o: AlloyApiOptions & { alloyReady?: number } = {}): Promise<TestServer> {
  const alloy = alloyApi(CONFIG, o);
  const s = await startServer((_r, url) => {
    if (url.pathname === "/ready") return { status: 200, body: "ready\n" };
    if (url.pathname === "/-/ready") return { status: o.alloyReady ?? 200, body: "Alloy is ready.\n" };
    const a = alloy(url.pathname);
    if (a) return a;
    if (url.pathname !== "/loki/api/v1/query_range") return { status: 404, body: "404 page not found\n" };
    const q = url.searchParams.get("query") ?? "";
    const [, sel, filters] = /^\{(.*?)\}(.*)$/.exec(q)!;
    const matchers = [...sel.matchAll(/(\w+)(=~|=)"((?:[^"\\]|\\.)*)"/g)].map(([, k, op, v]) => ({ k, op, v: JSON.parse(`"${v}"`) as string }));
    const contains = [...filters.matchAll(/\|= "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    const start = BigInt(url.searchParams.get("start")!);
    const end = BigInt(url.searchParams.get("end")!);
    const hits = entries.filter((e) => e.ns >= start && e.ns < end && contains.every((c) => e.line.includes(c)) && matchers.every((m) => (m.op === "=" ? e.labels[m.k] === m.v : new RegExp(`^(?:${m.v})$`).test(e.labels[m.k] ?? ""))));
    return { status: 200, body: { status: "success", data: { resultType: "streams", result: hits.map((e) => ({ stream: e.labels, values: [[e.ns.toString(), e.line]] })) } } };
  });
  servers.push(s);
  return s;
}

const props = (s: TestServer, over: Record<string, unknown> = {}) => ({
  lokiUrl: s.url,
  alloyUrl: s.url,
  projectName: "p",
  marker: MARKER,
  logsRoot: "/l",
  markerFile: "logging-bootstrap-proof.log",
  retentionSeconds: 7 * 86400,
  timeoutSeconds: 120,
  dockerAllowlist: ["p-loki", "p-grafana"],
  journaldUnits: ["docker.service"],
  ...over,
});

const now = Date.now();
const markerEntry: Entry = { labels: { project: "p", job: "logs", filename: MARKER_FILE }, ns: nsOf(now - 3600_000 + 2000), line: `logging-bootstrap ingestion proof marker=${MARKER}` };
const lokiLine = (agoMs: number): Entry => ({ labels: { project: "p", job: "docker", container: "p-loki" }, ns: nsOf(now - agoMs) + 123n, line: "loki logs" });
const unitLine: Entry = { labels: { project: "p", job: "journal", unit: "docker.service" }, ns: nsOf(now - 5 * 3600_000), line: "started" };
/** What the running Alloy reports: it tails the marker file, and p-loki's tailer read a line `agoMs` ago. */
const alloyState = (agoMs: number | undefined) => ({
  files: [{ path: MARKER_FILE, labels: { filename: MARKER_FILE, job: "logs" }, offset: 120 }],
  docker: { containers: [], tails: [{ id: "id-p-loki", labels: { container: "p-loki", job: "docker" }, readOffset: agoMs === undefined ? "" : String(sec(now - agoMs)) }] },
});
function docker(): FakeDocker {
  const d = new FakeDocker();
  d.addContainer("p-loki");
  return d;
}
function io(d = docker()) {
  const x = makeTestIo(d);
  x.files = { appendFile: async () => { throw new Error("refresh must not write"); }, mkdirp: async () => { throw new Error("refresh must not write"); }, isSymlink: async () => false };
  return x;
}

describe("L3 refresh: each configured source shown on its own", () => {
  test("green only when files, docker and journal are each shown; nothing is written", async () => {
    const s = await stack([markerEntry, lokiLine(120_000), unitLine], { state: alloyState(120_000) });
    const r = await checkIngestionPath(ingestionReadInput(props(s)), io());
    expect(r).toMatchObject({ status: "green", findings: [], outputs: { marker: MARKER } });
    expect(r.diagnostics.sources).toMatchObject({ files: { status: "green" }, docker: { status: "green", "p-loki": { readOffset: sec(now - 120_000), count: 1 }, "p-grafana": "not running" }, journal: { status: "green" } });
    // docker: Loki was asked for p-loki's line in the one second Alloy's tailer reported.
    const q = s.requests.map((x) => new URL(s.url + x.path).searchParams).find((p) => (p.get("query") ?? "").includes('container="p-loki"'))!;
    expect(BigInt(q.get("end")!) - BigInt(q.get("start")!)).toBe(1_000_000_000n);
  });

  test("any stream of the stack's project is no longer enough: the sources are judged each (was green)", async () => {
    const s = await stack([{ labels: { project: "p", job: "telemetry", filename: "/t/x.log" }, ns: nsOf(now - 1000), line: "x" }], { state: alloyState(undefined) });
    const r = await checkIngestionPath(ingestionReadInput(props(s)), io());
    expect(r.status).not.toBe("green");
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_STALLED", findings: [`files: the marker ${MARKER} that the last apply proved is no longer in Loki`] });
  });

  test("files: Alloy no longer tails the marker file: red", async () => {
    const s = await stack([markerEntry, lokiLine(120_000), unitLine], { state: { ...alloyState(120_000), files: [] } });
    const r = await checkIngestionPath(ingestionReadInput(props(s)), io());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_STALLED", findings: [`files: the running Alloy does not tail ${MARKER_FILE} (no loki.source.file target for it)`] });
  });

  test("docker: a line Alloy read is not in Loki: red; a running allowlisted container Alloy does not tail: red", async () => {
    const lost = await stack([markerEntry, unitLine], { state: alloyState(120_000) });
    expect(await checkIngestionPath(ingestionReadInput(props(lost)), io())).toMatchObject({ status: "red", findings: ["docker: Alloy read a line of p-loki that is not in Loki: the docker source is not delivering"] });
    const d = docker();
    d.addContainer("p-grafana");
    const untailed = await stack([markerEntry, lokiLine(120_000), unitLine], { state: alloyState(120_000) });
    expect(await checkIngestionPath(ingestionReadInput(props(untailed)), io(d))).toMatchObject({ status: "red", findings: ["docker: p-grafana runs and is allowlisted, but the running Alloy does not tail it"] });
  });

  test("a quiet host: docker and journal not shown (warn, saying why), never red and never green", async () => {
    // p-loki's last line was read 2 hours ago (outside the window); no unit logged for 12 hours.
    const s = await stack([markerEntry, lokiLine(2 * 3600_000)], { state: alloyState(2 * 3600_000) });
    const r = await checkIngestionPath(ingestionReadInput(props(s)), io());
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_INGESTION_UNSHOWN" });
    expect(r.findings).toEqual([
      "docker: not shown: none of p-loki, p-grafana logged a line the running Alloy read between 30 s and 60 minutes ago",
      "journal: not shown: no entry of docker.service reached Loki in the last 12 hours; the proof cannot make these units log, and a quiet host has nothing to ship (not a fault by itself)",
    ]);
    // A line read seconds ago may still be in flight: not judged either way.
    const fresh = await stack([markerEntry, unitLine], { state: alloyState(5_000) });
    expect((await checkIngestionPath(ingestionReadInput(props(fresh)), io())).findings).toEqual(["docker: not shown: none of p-loki, p-grafana logged a line the running Alloy read between 30 s and 60 minutes ago"]);
  });

  test("docker: every last line still in flight (a chatty container): shown by its lines of the window in Loki, so refresh after refresh agrees", async () => {
    const s = await stack([markerEntry, lokiLine(40_000), lokiLine(3_000), unitLine], { state: alloyState(2_000) });
    const r = await checkIngestionPath(ingestionReadInput(props(s)), io());
    expect(r).toMatchObject({ status: "green", findings: [] });
    expect(r.diagnostics.sources).toMatchObject({ docker: { status: "green", "p-loki": { judged: false }, window: { count: expect.any(Number) } } });
    // Nothing of it in Loki in the window: not shown (warn), as before.
    const none = await stack([markerEntry, unitLine], { state: alloyState(2_000) });
    expect((await checkIngestionPath(ingestionReadInput(props(none)), io())).status).toBe("warn");
  });

  test("apply runs the same source checks after its marker: a quiet host's journal warns at apply as at refresh (no change for refresh to report)", async () => {
    // A Loki that receives what apply appends to the marker file (Alloy ships it at once).
    const entries: Entry[] = [lokiLine(120_000)];
    const s = await stack(entries, { state: alloyState(120_000) });
    const x = io();
    x.files = {
      appendFile: async (_p, data) => void entries.push({ labels: { project: "p", job: "logs", filename: MARKER_FILE }, ns: nsOf(Date.now() - 100), line: data.trimEnd() }),
      mkdirp: async () => undefined,
      isSymlink: async () => false,
    };
    const applied = await checkIngestionProof({ ...props(s), markerFile: "logging-bootstrap-proof.log", pollIntervalMs: 100, timeoutSeconds: 2, redactions: [] } as never, x);
    expect(applied).toMatchObject({ status: "warn", code: "E_PROOF_INGESTION_UNSHOWN" });
    expect(applied.findings).toEqual(["journal: not shown: no entry of docker.service reached Loki in the last 12 hours; the proof cannot make these units log, and a quiet host has nothing to ship (not a fault by itself)"]);
    const refreshed = await checkIngestionPath(ingestionReadInput({ ...props(s), marker: applied.outputs!.marker }), io());
    expect([refreshed.status, refreshed.code, refreshed.findings]).toEqual([applied.status, applied.code, applied.findings]);
  });

  test("docker: Alloy up to 1.12 reports a tailer's is_running as the string \"true\"/\"false\": read as 1.13+'s bool (was red on a healthy 1.2 stack)", async () => {
    const v12 = alloyFeatures("v1.2.1");
    const s = await stack([markerEntry, lokiLine(120_000), unitLine], { state: { ...alloyState(120_000), features: v12 } });
    const detail = JSON.parse(alloyApi(CONFIG, { state: { ...alloyState(120_000), features: v12 } })("/api/v0/web/components/loki.source.docker.containers")!.body) as { debugInfo: { body: { name: string; value: unknown }[] }[] };
    expect(detail.debugInfo[0].body.find((a) => a.name === "is_running")!.value).toEqual({ type: "string", value: "true" });
    expect(await checkIngestionPath(ingestionReadInput(props(s)), io())).toMatchObject({ status: "green", findings: [] });
    const stopped = alloyState(120_000);
    stopped.docker.tails = stopped.docker.tails.map((t) => ({ ...t, error: "container stopped" }));
    const s2 = await stack([markerEntry, lokiLine(120_000), unitLine], { state: { ...stopped, features: v12 } });
    expect(await checkIngestionPath(ingestionReadInput(props(s2)), io())).toMatchObject({ status: "red", findings: ["docker: the running Alloy's tailer of p-loki is not running"] });
  });

  test("journal: the running journal source is unhealthy or absent: red", async () => {
    const s = await stack([markerEntry, lokiLine(120_000), unitLine], { state: { ...alloyState(120_000), journal: { error: "open /var/log/journal: no such file or directory" } } });
    expect(await checkIngestionPath(ingestionReadInput(props(s)), io())).toMatchObject({
      status: "red",
      findings: ["journal: the running loki.source.journal.journal is unhealthy: error creating journal tailer: open /var/log/journal: no such file or directory"],
    });
  });

  test("Alloy answers /-/ready but its component API does not: red (a 200 alone is not flow)", async () => {
    const s = await startServer((_r, url) => (url.pathname === "/ready" ? { status: 200, body: "ready\n" } : url.pathname === "/-/ready" ? { status: 200, body: "Alloy is ready.\n" } : { status: 404, body: "404 page not found\n" }));
    servers.push(s);
    expect(await checkIngestionPath(ingestionReadInput(props(s)), io())).toMatchObject({ status: "red", code: "E_PROOF_INGESTION_STALLED", findings: ["alloy: Alloy component API /api/v0/web/components: HTTP 404"] });
  });

  test("without Alloy's port: files and docker from Loki alone; a source not configured is not judged", async () => {
    const s = await stack([markerEntry, lokiLine(120_000)]);
    const r = await checkIngestionPath(ingestionReadInput(props(s, { alloyUrl: undefined, journaldUnits: [] })), io());
    expect(r).toMatchObject({ status: "green" });
    expect(Object.keys(r.diagnostics.sources as object)).toEqual(["files", "docker"]);
  });
});
