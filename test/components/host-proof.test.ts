// A fleet host's proof as the program runs it (HostProof): create/update run checkHost (a marker is
// written on the host), read (refresh) runs the read-only half on the marker the last apply wrote,
// writing nothing; the state is stable, so a healthy host refreshes unchanged. Also its input from
// the config, its outputs (no secret but the engine's TLS leaves kept for refresh), its diff, and
// verify's host proofs built from the config with the TLS material from DOCKER_CERT_PATH_<HOST>.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BootstrapError } from "../../contracts/errors";
import { checkHost } from "../../components/verify/checks/host";
import { checkHostRead } from "../../components/verify/host-read";
import { hostCheck, hostDiff, hostProofId, hostProofOutputs } from "../../components/verify/host-runtime";
import { engineFromProps, hostProofSpec } from "../../components/verify/host-spec";
import { desired, STATE_SECRET_KEYS } from "../../components/verify/runtime";
import { runHost } from "../../components/verify/suite";
import { hostCertPathVar, hostEngineTls, hostRunsFor } from "../../scripts/lib/verify-load";
import { fleetConfig } from "../util/fleet";
import { fakeHost } from "../verify/host-fakes";

const RETENTION = 7 * 86_400;

describe("the read-only half (refresh)", () => {
  it("after an apply: green on the same marker, with nothing written on the host", async () => {
    const h = fakeHost({ name: "web1" });
    const applied = await checkHost(h.input, h.io);
    expect(applied.status).toBe("green");
    const marker = applied.outputs!.marker;
    const r = await checkHostRead(h.input, marker, RETENTION, h.io);
    expect(r).toMatchObject({ host: "web1", status: "green", findings: [], outputs: { marker } });
    expect(h.runs).toHaveLength(1);
    // The last marker was asked for with the host's label, as the apply did.
    expect(h.lokiQueries[h.lokiQueries.length - 1]).toBe(`{host="web1", filename="/var/log/lb/logging-bootstrap-proof.log"} |= "marker=${marker}"`);
  });

  it("state read back twice is the same: a healthy host refreshes with no changes", async () => {
    const h = fakeHost({ name: "web1" });
    const props = { ...hostProofSpecOf("web1"), containerIds: { alloy: "a" } };
    const applied = hostProofOutputs(props, await checkHost(h.input, h.io));
    const once = hostProofOutputs(applied, await checkHostRead(h.input, applied.marker as string, RETENTION, h.io));
    const twice = hostProofOutputs(once, await checkHostRead(h.input, once.marker as string, RETENTION, h.io));
    expect(once).toEqual(applied);
    expect(twice).toEqual(applied);
    expect(hostDiff(applied, props, 1_800_000_000_000).changes).toBe(false);
  });

  it("a marker no longer in Loki is red E_PROOF_HOST_SILENT naming it; nothing is written to replace it", async () => {
    const h = fakeHost({ name: "db1" });
    const r = await checkHostRead(h.input, "lbproof-1800000000-abcdef", RETENTION, h.io);
    expect(r.status).toBe("red");
    expect(r.code).toBe("E_PROOF_HOST_SILENT");
    expect(r.findings).toEqual(['db1: the marker its last apply wrote (lbproof-1800000000-abcdef) is not in Loki with host="db1"']);
    expect(h.runs).toEqual([]);
  });

  it("no marker, or one as old as the retention, asks for a new proof (warn E_PROOF_REPROVE_NEEDED) without asking Loki", async () => {
    const h = fakeHost({ name: "db1" });
    const none = await checkHostRead(h.input, undefined, RETENTION, h.io);
    expect(none).toMatchObject({ status: "warn", code: "E_PROOF_REPROVE_NEEDED", findings: ["db1: no marker of an apply in the proof's state: the next apply writes a new one"] });
    const old = await checkHostRead(h.input, "lbproof-1700000000-abcdef", RETENTION, h.io);
    expect(old.status).toBe("warn");
    expect(old.findings[0]).toMatch(/^db1: the marker lbproof-1700000000-abcdef was written .*: the next apply writes a new one$/);
    expect(old.outputs).toEqual({ marker: "lbproof-1700000000-abcdef" });
    expect(h.lokiQueries).toEqual([]);
    expect(h.runs).toEqual([]);
  });

  it("an engine down, agents down or silent series are red with checkHost's codes and words", async () => {
    const down = fakeHost({ name: "c", engine: new BootstrapError("E_ENV_DOCKER_UNREACHABLE", "no", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }) });
    expect(await checkHostRead(down.input, undefined, RETENTION, down.io)).toMatchObject({ code: "E_PROOF_HOST_UNREACHABLE", findings: [`c: its Docker engine at ${down.input.dockerUrl} does not answer (ECONNREFUSED)`] });
    const agents = fakeHost({ name: "c", agents: { alloy: null, cadvisor: { health: "unhealthy" } } });
    const a = await checkHostRead(agents.input, undefined, RETENTION, agents.io);
    expect(a).toMatchObject({ code: "E_PROOF_HOST_AGENTS_DOWN", findings: ["c: alloy container logging-test-alloy does not exist", "c: cadvisor container logging-test-cadvisor is unhealthy"] });
    // Down is final: no wait through the starting grace.
    expect(agents.inspections).toBe(3);
    const silent = fakeHost({ name: "c", series: { cadvisor: null } });
    const applied = await checkHost(fakeHost({ name: "c" }).input, silent.io);
    const s = await checkHostRead(silent.input, applied.outputs!.marker, RETENTION, silent.io);
    expect(s).toMatchObject({ status: "red", code: "E_PROOF_HOST_SILENT" });
    expect(s.findings).toContain('c: no cadvisor series with host="c" in Prometheus');
  });

  it("waits for an agent still starting within the grace, bounded", async () => {
    const h = fakeHost({ name: "c", healthSequence: { alloy: ["starting", "healthy"] } });
    expect((await checkHostRead(h.input, undefined, RETENTION, h.io)).status).toBe("warn");
    const stuck = fakeHost({ name: "c", healthSequence: { alloy: ["starting"] } }, { startingGraceSeconds: 3 });
    const r = await checkHostRead(stuck.input, undefined, RETENTION, stuck.io);
    expect(r.findings).toEqual(["c: alloy container logging-test-alloy is still starting (health: starting) after 3 s"]);
    expect(stuck.inspections / 3).toBeLessThanOrEqual(8);
  });
});

function hostProofSpecOf(x: string) {
  return hostProofSpec(fleetConfig(), x);
}

describe("the HostProof resource's runtime", () => {
  it("its input comes from the config: the host's engine and logs root, the central Loki and Prometheus, the agents by their names on every engine", () => {
    expect(hostProofSpecOf("db1")).toEqual({
      host: "db1",
      dockerUrl: "ssh://deploy@192.0.2.22",
      projectName: "logging-test",
      agents: { alloy: "logging-test-alloy", nodeExporter: "logging-test-node-exporter", cadvisor: "logging-test-cadvisor" },
      logsRoot: "/srv/logs",
      markerFile: "logging-bootstrap-proof.log",
      lokiUrl: "http://127.0.0.1:9102",
      prometheusUrl: "http://127.0.0.1:9104",
      scrapeIntervalSeconds: 15,
      ingestionTimeoutSeconds: fleetConfig().verify.timeoutSeconds,
      retentionSeconds: RETENTION,
    });
    expect(() => hostProofSpec(fleetConfig(), "local")).toThrow(/not a non-central host/);
  });

  it("keeps the engine's TLS leaves in state for refresh, never in its desired inputs or id", () => {
    const props = { ...hostProofSpecOf("db1"), engineCaPem: "CA", engineCertPem: "CERT", engineKeyPem: "KEY", __provider: "text" };
    const out = hostProofOutputs(props, { status: "green", findings: [], outputs: { marker: "lbproof-1800000000-ab" } });
    expect(out).toEqual(expect.objectContaining({ engineCaPem: "CA", engineCertPem: "CERT", engineKeyPem: "KEY", status: "green", marker: "lbproof-1800000000-ab", findings: [] }));
    expect(out.__provider).toBeUndefined();
    expect(STATE_SECRET_KEYS).toEqual(expect.arrayContaining(["engineCaPem", "engineCertPem", "engineKeyPem"]));
    for (const k of ["engineCaPem", "engineCertPem", "engineKeyPem", "status", "marker"]) expect(desired(out)[k]).toBeUndefined();
    expect(hostProofId(props)).toBe(hostProofId({ ...props, engineKeyPem: "ANOTHER" }));
    expect(engineFromProps(props)).toEqual({ host: "ssh://deploy@192.0.2.22", tls: { ca: "CA", cert: "CERT", key: "KEY" } });
    expect(engineFromProps({ dockerUrl: "unix:///x.sock", engineCaPem: "CA" })).toEqual({ host: "unix:///x.sock" });
  });

  it("runs again when its inputs change, when it was not green, when its marker aged out", () => {
    const props = { ...hostProofSpecOf("web1"), containerIds: { alloy: "a" } };
    const green = hostProofOutputs(props, { status: "green", findings: [], outputs: { marker: "lbproof-1800000000-ab" } });
    const now = 1_800_000_100_000;
    expect(hostDiff(green, props, now).changes).toBe(false);
    expect(hostDiff(green, { ...props, containerIds: { alloy: "b" } }, now).changes).toBe(true);
    expect(hostDiff({ ...green, status: "red" }, props, now).changes).toBe(true);
    expect(hostDiff(green, props, now + (RETENTION + 1) * 1000).changes).toBe(true);
  });

  it("Check lists what is missing before anything runs", () => {
    expect(hostCheck({ ...hostProofSpecOf("web1") }).failures).toEqual([]);
    const { lokiUrl: _l, ...noLoki } = hostProofSpecOf("web1");
    expect(hostCheck(noLoki).failures).toEqual([{ property: "lokiUrl", reason: "the host proof needs lokiUrl" }]);
  });
});

describe("verify's host proofs (SuiteOptions.hosts)", () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lb-hostruns-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function certDir(mode: number): string {
    const d = path.join(tmp, "db1");
    fs.mkdirSync(d);
    for (const [f, v] of [["ca.pem", "CA-PEM"], ["cert.pem", "CERT-PEM"], ["key.pem", "KEY-PEM"]]) fs.writeFileSync(path.join(d, f), v, { mode: f === "key.pem" ? mode : 0o644 });
    fs.chmodSync(path.join(d, "key.pem"), mode);
    return d;
  }

  it("one per non-central host, the program's input, each engine at its docker.host with its TLS material from DOCKER_CERT_PATH_<HOST>", async () => {
    const cfg = fleetConfig();
    const dir = certDir(0o600);
    const seen: unknown[] = [];
    const io = (async (o: unknown) => (seen.push(o), fakeHost({ name: "x" }).io)) as never;
    const runs = await hostRunsFor(cfg, undefined, { [hostCertPathVar("db1")]: dir }, io);
    expect(runs.map((r) => r.input.host)).toEqual(["web1", "db1"]);
    const { retentionSeconds: _r, ...input } = hostProofSpecOf("db1");
    expect(runs[1].input).toEqual(input);
    expect(runs[1].budgetMs).toBeGreaterThan(0);
    expect(seen).toEqual([{ docker: { host: "ssh://deploy@192.0.2.21" } }, { docker: { host: "ssh://deploy@192.0.2.22", tls: { ca: "CA-PEM", cert: "CERT-PEM", key: "KEY-PEM" } } }]);
    expect(hostCertPathVar("db-1")).toBe("DOCKER_CERT_PATH_DB_1");
  });

  it("reads the directory from the secrets file before the environment; a key others can read is refused", () => {
    const dir = certDir(0o644);
    const file = path.join(tmp, "secrets.env");
    fs.writeFileSync(file, `${hostCertPathVar("db1")}=${dir}\n`, { mode: 0o600 });
    expect(() => hostEngineTls("db1", file, {})).toThrow(/E_ENV_SECRETS_FILE_MODE/);
    fs.chmodSync(path.join(dir, "key.pem"), 0o600);
    expect(hostEngineTls("db1", file, { [hostCertPathVar("db1")]: "/nonexistent" })).toEqual({ ca: "CA-PEM", cert: "CERT-PEM", key: "KEY-PEM" });
    expect(hostEngineTls("web1", file, {})).toBeUndefined();
  });

  it("a host whose engine cannot even be set up is red naming why, and the others still run", async () => {
    const cfg = fleetConfig();
    const io = (async (o: { docker: { host: string } }) => {
      if (o.docker.host.includes("192.0.2.22")) throw new BootstrapError("E_PROOF_HOST_UNREACHABLE", "the Docker engine at ssh://deploy@192.0.2.22 is not reached: ssh:// needs an ssh-agent (SSH_AUTH_SOCK) or a private key");
      return fakeHost({ name: "web1" }).io;
    }) as never;
    const runs = await hostRunsFor(cfg, undefined, {}, io);
    const [web1, db1] = await Promise.all(runs.map(runHost));
    expect(db1.status).toBe("red");
    expect(db1.code).toBe("E_PROOF_HOST_UNREACHABLE");
    expect(db1.findings[0]).toMatch(/^db1: its Docker engine at ssh:\/\/deploy@192\.0\.2\.22 does not answer/);
    expect(web1.host).toBe("web1");
  });
});
