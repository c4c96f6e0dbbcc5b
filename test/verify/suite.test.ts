// npm run verify's suite honours the program's order: L4 checks the stream of the marker L3
// wrote in the same run (so verify straight after an up cannot race ingestion), and asking for
// L4 alone brings L3 along.
import { renderServiceFiles } from "../../components/render";
import { runSuite, withPrerequisites } from "../../components/verify/suite";
import type { DesiredState } from "../../components/verify/spec";
import { SERVICES } from "../../contracts/config/schema";
import type { Io } from "../../components/verify/types";
import { stackConfig } from "../util/mocks";
import { FakeDocker } from "./fakes";
import { LEVEL_TABLE } from "../../components/verify/levels";
import { alloyApi } from "../util/alloy-api";

function desired(): DesiredState {
  const config = stackConfig("test");
  config.alloy.redactions = [];
  const files = renderServiceFiles(config);
  return {
    config,
    network: "n",
    containers: Object.fromEntries(SERVICES.map((s) => [s, `c-${s}`])) as DesiredState["containers"],
    files: Object.fromEntries(SERVICES.map((s) => [s, files[s].map((f) => ({ path: f.path, sha256: f.sha256, content: f.content }))])) as DesiredState["files"],
    uploads: Object.fromEntries(SERVICES.map((s) => [s, [] as DesiredState["uploads"][typeof s]])) as DesiredState["uploads"],
    probeImage: "p",
  };
}

/** A Loki that holds whatever line was appended to the marker file (after a short ingestion delay). */
function fakeIo(events: string[]): Io {
  let now = 1_800_000_000_000;
  let line: string | undefined;
  // Alloy's component API, running the rendered config (L4 reads the running pipeline).
  const d = desired();
  const markerFile = `${d.config.paths.logsRoot}/logging-bootstrap-proof.log`;
  // Alloy tails the marker file (the files source) and the allowlisted containers, whose last lines
  // it read a moment ago (still in flight: the docker source is shown by their lines in Loki).
  const docker = new FakeDocker();
  const tails = d.config.alloy.dockerAllowlist.map((n) => ({ id: docker.addContainer(n).id, labels: { container: n }, readOffset: String(now / 1000 - 2) }));
  const alloy = alloyApi(d.files.alloy[0].content, { state: { files: [{ path: markerFile, labels: { job: "logs", filename: markerFile }, offset: 100 }], docker: { containers: [], tails } } });
  return {
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    randomHex: () => "abcd",
    docker,
    files: {
      mkdirp: async () => undefined,
      isSymlink: async () => false,
      appendFile: async (_p, data) => {
        events.push("L3 writes the marker");
        line = data.trimEnd();
      },
    },
    http: async (req) => {
      const url = new URL(req.url);
      now += 10;
      const a = alloy(url.pathname);
      if (a) return { ...a, headers: {} };
      if (url.pathname === "/loki/api/v1/query_range") {
        const q = url.searchParams.get("query") ?? "";
        events.push(`query_range ${q.includes("marker=") ? "for the marker" : q}`);
        const result =
          line && q.includes("marker=")
            ? [{ stream: { job: "logs", filename: markerFile, project: "logging-test" }, values: [["1", line]] }]
            : q.includes("unit=~") || q.includes("container=~")
              ? [{ stream: { job: "journal", unit: "docker.service", project: "logging-test" }, values: [["1", "journal entry"]] }]
              : [];
        return { status: 200, headers: {}, body: JSON.stringify({ status: "success", data: { resultType: "streams", result } }) };
      }
      if (url.pathname === "/ready" || url.pathname === "/-/ready") return { status: 200, headers: {}, body: "ready" };
      if (url.pathname === "/loki/api/v1/labels" || url.pathname.includes("/label/")) return { status: 200, headers: {}, body: JSON.stringify({ status: "success", data: [] }) };
      return { status: 404, headers: {}, body: "" };
    },
  };
}

it("asking for L4 runs L3 first, and L4 checks the stream of L3's marker from the same run", async () => {
  const events: string[] = [];
  const r = await runSuite(desired(), fakeIo(events), { levels: ["L4"], parallel: true });
  expect(r.levels.map((l) => l.level)).toEqual(["L3", "L4"]);
  const [l3, l4] = r.levels;
  expect(l3.findings).toEqual([]);
  expect(l3.status).toBe("green");
  expect(l3.outputs).toEqual({ marker: "lbproof-1800000000-abcd" });
  expect(l4.diagnostics.marker).toMatchObject({ marker: "lbproof-1800000000-abcd", query: expect.stringContaining('|= "marker=lbproof-1800000000-abcd"') });
  expect(l4.status).toBe("warn"); // no redaction configured in this desired state: accepted risk
  // L4's first request comes only after L3 wrote its marker and saw it back.
  expect(events.indexOf("L3 writes the marker")).toBe(0);
  // L3 finds it, L3 shows the files source with it (as refresh does), L4 checks its stream.
  expect(events.filter((e) => e === "query_range for the marker")).toHaveLength(3);
});

it("withPrerequisites adds what a level runs after, in level order", () => {
  expect(withPrerequisites(["L4"])).toEqual(["L3", "L4"]);
  expect(withPrerequisites(["L8", "L4", "L1"])).toEqual(["L1", "L3", "L4", "L8"]);
  expect(withPrerequisites(["L3"])).toEqual(["L3"]);
  // L9 after L1: a service that is down is L1's finding, not a minute-long wait for an alert.
  expect(withPrerequisites(["L9"])).toEqual(["L1", "L9"]);
});

it("one probe session per run: closed after every level, also when a level throws; in parallel as soon as the probing levels are done", async () => {
  const io = fakeIo([]);
  const docker = io.docker as FakeDocker;
  await runSuite(desired(), io, { levels: ["L3"], parallel: false });
  expect(docker.probeCloses).toBe(1);
  const failing: Io = { ...io, files: { ...io.files, appendFile: async () => Promise.reject(new Error("disk full")) } };
  await runSuite(desired(), failing, { levels: ["L3", "L8"], parallel: false });
  expect(docker.probeCloses).toBe(2);
  // Parallel: L1 and L2 (the probing levels) done -> the session closes while L3 still waits for its
  // marker; the closing call at the end (a no-op once closed) still comes before the report.
  const events: string[] = [];
  const io2 = fakeIo(events);
  const d2 = io2.docker as FakeDocker;
  d2.closeProbes = async () => void events.push("probes closed");
  await runSuite(desired(), io2, { levels: ["L2", "L3"], parallel: true });
  const firstClose = events.indexOf("probes closed");
  expect(firstClose).toBeGreaterThanOrEqual(0);
  // L3 was still querying Loki after the session closed.
  expect(events.slice(firstClose + 1).filter((e) => e.startsWith("query_range")).length).toBeGreaterThan(0);
  expect(events[events.length - 1]).toBe("probes closed");
  expect(LEVEL_TABLE.filter((l) => l.probes).map((l) => l.level)).toEqual(["L1", "L2"]);
});
