// A fleet host's proof (checks/host.ts) on a fake host: its engine, its agents, a marker written on
// it coming back from the central Loki with its host label, its series reaching Prometheus. Every
// finding starts with the host's name; every wait is bounded.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BootstrapError } from "../../contracts/errors";
import { agentVerdict, checkHost, HOST_MARKER_SCRIPT, hostInputFromProps, hostMarkerQuery, hostSeriesQueries, MARKER_MOUNT, markerWriteRequest, seriesFindings, vectorByJob } from "../../components/verify/checks/host";
import { fakeHost, hostInput } from "./host-fakes";
import { tmpDir } from "./fakes";

describe("checkHost", () => {
  it("is green when the engine answers, the agents are healthy, the marker comes back and both jobs' series are fresh", async () => {
    const h = fakeHost({ name: "web1" });
    const r = await checkHost(h.input, h.io);
    expect(r).toMatchObject({ host: "web1", status: "green", findings: [] });
    expect(r.code).toBeUndefined();
    expect(r.outputs?.marker).toMatch(/^lbproof-\d+-[0-9a-f]+$/);
    // The marker was written on the host with the image its node-exporter runs, and looked for with host="web1".
    expect(h.runs).toHaveLength(1);
    expect(h.runs[0].image).toBe("sha256:nodeExporter");
    expect(h.lokiQueries[0]).toBe(`{host="web1", filename="/var/log/lb/logging-bootstrap-proof.log"} |= "marker=${r.outputs!.marker}"`);
    expect(h.promQueries).toEqual(expect.arrayContaining([hostSeriesQueries("web1").fresh, hostSeriesQueries("web1").up]));
  });

  it("an engine that refuses is red E_PROOF_HOST_UNREACHABLE naming the host and its Docker URL; nothing else is tried", async () => {
    const h = fakeHost({ name: "db1", engine: new BootstrapError("E_ENV_DOCKER_UNREACHABLE", "Docker engine API not reachable (ECONNREFUSED)", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }) }, { dockerUrl: "tcp://192.0.2.22:2376" });
    const r = await checkHost(h.input, h.io);
    expect(r.status).toBe("red");
    expect(r.code).toBe("E_PROOF_HOST_UNREACHABLE");
    expect(r.findings).toEqual(["db1: its Docker engine at tcp://192.0.2.22:2376 does not answer (ECONNREFUSED)"]);
    expect(h.inspections + h.runs.length + h.lokiQueries.length).toBe(0);
  });

  it("an engine that does not answer in time is named with the bound", async () => {
    const h = fakeHost({ name: "db1", engine: new BootstrapError("E_NETWORK_TIMEOUT", "the Docker engine's /version did not finish within 3000 ms") }, { engineTimeoutMs: 3000 });
    const r = await checkHost(h.input, h.io);
    expect(r.findings).toEqual([`db1: its Docker engine at ${h.input.dockerUrl} does not answer (no answer within 3000 ms)`]);
  });

  it("an unhealthy, a missing and an exited agent are each named, red E_PROOF_HOST_AGENTS_DOWN, and no marker is written", async () => {
    const h = fakeHost({ name: "web2", agents: { cadvisor: { health: "unhealthy" }, alloy: null, nodeExporter: { running: false, state: "exited" } } });
    const r = await checkHost(h.input, h.io);
    expect(r.code).toBe("E_PROOF_HOST_AGENTS_DOWN");
    expect(r.findings).toEqual(["web2: alloy container logging-test-alloy does not exist", "web2: node-exporter container logging-test-node-exporter is exited", "web2: cadvisor container logging-test-cadvisor is unhealthy"]);
    expect(h.runs).toHaveLength(0);
  });

  it("waits for an agent still starting, bounded: green once healthy, red after the grace when it never is", async () => {
    const coming = fakeHost({ name: "c", healthSequence: { alloy: ["starting", "starting", "healthy"] } });
    const ok = await checkHost(coming.input, coming.io);
    expect(ok.status).toBe("green");
    expect((ok.diagnostics.agents as { attempts: number }).attempts).toBe(3);

    const stuck = fakeHost({ name: "c", healthSequence: { alloy: ["starting"] } }, { startingGraceSeconds: 5, pollIntervalMs: 500 });
    const r = await checkHost(stuck.input, stuck.io);
    expect(r.code).toBe("E_PROOF_HOST_AGENTS_DOWN");
    expect(r.findings).toEqual(["c: alloy container logging-test-alloy is still starting (health: starting) after 5 s"]);
    // 5 s of 0.5 s polls: bounded in attempts as in time.
    expect((r.diagnostics.agents as { attempts: number }).attempts).toBeLessThanOrEqual(11);
  });

  it("silent logs: the marker does not come back within the bound, red E_PROOF_HOST_SILENT; the series still checked", async () => {
    const h = fakeHost({ name: "web3", logsArrive: false }, { ingestionTimeoutSeconds: 4, pollIntervalMs: 500 });
    const r = await checkHost(h.input, h.io);
    expect(r.code).toBe("E_PROOF_HOST_SILENT");
    expect(r.findings).toEqual(['web3: the marker written to /var/log/lb/logging-bootstrap-proof.log on web3 did not come back from Loki with host="web3" within 4 s']);
    expect(h.lokiQueries.length).toBeGreaterThan(1);
    expect(h.lokiQueries.length).toBeLessThanOrEqual(10);
    expect(h.promQueries.length).toBeGreaterThan(0);
  });

  it("silent metrics: names the job that is missing, stale or down", async () => {
    const missing = fakeHost({ name: "m", series: { cadvisor: null } });
    const r = await checkHost(missing.input, missing.io);
    expect(r.code).toBe("E_PROOF_HOST_SILENT");
    expect(r.findings).toEqual(['m: no cadvisor series with host="m" in Prometheus']);
    // Polled for three scrape intervals, no longer.
    expect(missing.promQueries.length).toBeLessThanOrEqual(2 * (45_000 / 500 + 1));

    const stale = fakeHost({ name: "m", series: { "node-exporter": { ageSeconds: 600, up: 1 } } });
    expect((await checkHost(stale.input, stale.io)).findings).toEqual(['m: the node-exporter series with host="m" stopped: no sample within 45 s']);
    const down = fakeHost({ name: "m", series: { "node-exporter": { ageSeconds: 3, up: 0 } } });
    expect((await checkHost(down.input, down.io)).findings).toEqual(["m: node-exporter is down in Prometheus (up=0: the host's Alloy does not reach it)"]);
  });

  it("a logsRoot that is a link on the host is refused by the writer and named with its target", async () => {
    const h = fakeHost({ name: "l", write: () => ({ exitCode: 3, stdout: "", stderr: "/etc\n", timedOut: false }) });
    const r = await checkHost(h.input, h.io);
    expect(r.code).toBe("E_PROOF_HOST_SILENT");
    expect(r.findings).toEqual(["l: /var/log/lb is a symbolic link (to /etc): the marker is not written through it"]);
    expect(h.lokiQueries).toHaveLength(0);
  });

  it("a writer the engine refuses (logsRoot missing on the host) is a finding, not a throw", async () => {
    const h = fakeHost({ name: "w", write: () => Promise.reject(Object.assign(new Error("(HTTP code 400) unexpected - invalid mount config for type \"bind\": bind source path does not exist: /var/log/lb"), { statusCode: 400 })) });
    const r = await checkHost(h.input, h.io);
    expect(r.findings).toEqual(['w: the marker could not be written to /var/log/lb/logging-bootstrap-proof.log on w ((HTTP code 400) unexpected - invalid mount config for type "bind": bind source path does not exist: /var/log/lb)']);
  });
});

describe("the marker writer", () => {
  const hostile = `x' "$(touch /tmp/lbproof-pwned)" \`id\` ; exit 9 # $HOME \\ %s %n`;

  it("passes the line, the file and logsRoot's name as the environment; the command is one constant script", () => {
    const req = markerWriteRequest(hostInput("a"), "img", hostile, "n");
    expect(req.cmd).toEqual(["-c", HOST_MARKER_SCRIPT]);
    expect(req.entrypoint).toEqual(["/bin/sh"]);
    expect([...req.cmd, ...req.entrypoint].join(" ")).not.toContain("touch");
    expect(req.env).toEqual({ LB_LINE: hostile, LB_FILE: "logging-bootstrap-proof.log", LB_ROOT_NAME: "lb" });
    expect(req.mounts).toEqual([
      { source: "/var/log", target: MARKER_MOUNT.parent, readOnly: true },
      { source: "/var/log/lb", target: MARKER_MOUNT.logs, readOnly: false },
    ]);
    expect(req.user).toBe("0:0");
    expect(() => markerWriteRequest(hostInput("a", { markerFile: "../x.log" }), "img", "l", "n")).toThrow(/plain file name/);
    expect(() => markerWriteRequest(hostInput("a", { logsRoot: "/" }), "img", "l", "n")).toThrow(/other than \//);
  });

  // The script itself, run by a POSIX shell over directories standing in for the two mounts.
  const shell = fs.existsSync("/bin/busybox") ? ["/bin/busybox", "sh"] : ["/bin/sh"];
  function runScript(layout: (root: string) => void, line: string): { status: number | null; stderr: string; root: string } {
    const root = tmpDir("lb-host-marker-");
    fs.mkdirSync(path.join(root, "parent"));
    layout(root);
    const script = HOST_MARKER_SCRIPT.split(MARKER_MOUNT.parent).join(`${root}/parent`).split(MARKER_MOUNT.logs).join(`${root}/logs`);
    const r = spawnSync(shell[0], [...shell.slice(1), "-c", script], { env: { PATH: "/usr/bin:/bin", LB_LINE: line, LB_FILE: "proof.log", LB_ROOT_NAME: "lb" }, encoding: "utf8", timeout: 10_000 });
    return { status: r.status, stderr: r.stderr, root };
  }

  it("appends the line verbatim and runs nothing in it", () => {
    const r = runScript((root) => {
      fs.mkdirSync(path.join(root, "parent", "lb"));
      fs.symlinkSync(path.join(root, "parent", "lb"), path.join(root, "logs")); // the engine's mount: the same directory
    }, hostile);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(r.root, "parent", "lb", "proof.log"), "utf8")).toBe(hostile + "\n");
    expect(fs.existsSync("/tmp/lbproof-pwned")).toBe(false);
  });

  it("refuses a logsRoot that is a link (exit 3, its target), a mount that is not logsRoot (exit 4), a marker file that is a link (exit 5)", () => {
    const linked = runScript((root) => {
      fs.mkdirSync(path.join(root, "elsewhere"));
      fs.symlinkSync(path.join(root, "elsewhere"), path.join(root, "parent", "lb"));
      fs.symlinkSync(path.join(root, "elsewhere"), path.join(root, "logs"));
    }, "l");
    expect(linked.status).toBe(3);
    expect(linked.stderr.trim()).toBe(path.join(linked.root, "elsewhere"));
    expect(fs.readdirSync(path.join(linked.root, "elsewhere"))).toEqual([]);

    const swapped = runScript((root) => {
      fs.mkdirSync(path.join(root, "parent", "lb"));
      fs.mkdirSync(path.join(root, "logs"));
    }, "l");
    expect(swapped.status).toBe(4);
    expect(fs.readdirSync(path.join(swapped.root, "logs"))).toEqual([]);

    const fileLink = runScript((root) => {
      fs.mkdirSync(path.join(root, "parent", "lb"));
      fs.symlinkSync(path.join(root, "parent", "lb"), path.join(root, "logs"));
      fs.writeFileSync(path.join(root, "target"), "");
      fs.symlinkSync(path.join(root, "target"), path.join(root, "parent", "lb", "proof.log"));
    }, "l");
    expect(fileLink.status).toBe(5);
    expect(fs.readFileSync(path.join(fileLink.root, "target"), "utf8")).toBe("");
  });
});

describe("pure parts", () => {
  it("agentVerdict follows the engine's health states", () => {
    const c = (over: object) => ({ id: "i", name: "n", imageId: "s", imageRef: "r", state: "running", running: true, networks: [], ...over });
    expect(agentVerdict("h", "alloy", "n", c({ health: "healthy" }))).toEqual({ kind: "ok" });
    expect(agentVerdict("h", "alloy", "n", c({}))).toEqual({ kind: "ok" }); // no health check: running is all there is
    expect(agentVerdict("h", "alloy", "n", c({ health: "none" }))).toEqual({ kind: "ok" });
    expect(agentVerdict("h", "alloy", "n", c({ health: "starting" })).kind).toBe("starting");
    expect(agentVerdict("h", "alloy", "n", c({ state: "restarting", running: false })).kind).toBe("starting");
    expect(agentVerdict("h", "cadvisor", "n", c({ health: "unhealthy" }))).toEqual({ kind: "down", finding: "h: cadvisor container n is unhealthy" });
    expect(agentVerdict("h", "nodeExporter", "n", null)).toEqual({ kind: "down", finding: "h: node-exporter container n does not exist" });
  });

  it("the queries name the host; the series are judged on the server's own clock", () => {
    expect(hostMarkerQuery({ host: "b", logsRoot: "/srv/logs/", markerFile: "f.log" }, "lbproof-1-ab")).toBe('{host="b", filename="/srv/logs/f.log"} |= "marker=lbproof-1-ab"');
    // The jobs the stack scrapes node-exporter and cAdvisor under (render/jobs.ts), on every host.
    expect(hostSeriesQueries("b")).toEqual({ fresh: 'max by (job) (timestamp(up{host="b", job=~"node-exporter|cadvisor"}))', up: 'max by (job) (up{host="b", job=~"node-exporter|cadvisor"})' });
    const v = vectorByJob({ status: "success", data: { resultType: "vector", result: [{ metric: { job: "node-exporter" }, value: [1000.5, "990"] }, { metric: {}, value: [1, "1"] }] } });
    expect(v).toEqual({ ok: true, byJob: { "node-exporter": [1000.5, 990] } });
    expect(vectorByJob({ status: "error" }).ok).toBe(false);
    const both = { "node-exporter": [1000, 1] as [number, number], cadvisor: [1000, 1] as [number, number] };
    expect(seriesFindings("b", { "node-exporter": [1000, 990], cadvisor: [1000, 950] }, both, 45)).toEqual(['b: the cadvisor series with host="b" stopped: no sample within 45 s']);
    expect(seriesFindings("b", { "node-exporter": [1000, 990], cadvisor: [1000, 990] }, both, 45)).toEqual([]);
  });

  it("hostInputFromProps gives the input back, or lists what is missing", () => {
    const input = hostInput("p", { markerImage: "img" });
    expect(hostInputFromProps(JSON.parse(JSON.stringify(input)))).toEqual({ ok: true, input });
    const bad = hostInputFromProps({ host: "p", agents: { alloy: "a" }, scrapeIntervalSeconds: 0 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems).toEqual(expect.arrayContaining(["agents.nodeExporter must be a container name", "lokiUrl must be a non-empty string", "scrapeIntervalSeconds must be a positive number"]));
  });
});
