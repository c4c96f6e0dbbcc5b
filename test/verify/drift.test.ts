// L8 config drift (components/verify/checks/drift.ts): every config directory of a container is
// compared in full with what the image ships plus what the program uploads; secret files by a keyed
// hash. One test per kind of difference, each naming it.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Readable } from "stream";
import * as tar from "tar";
import { checkConfigDrift, DriftInput } from "../../components/verify/checks";
import { configDirs, declaredUploads, keyedHash } from "../../components/verify/config-dirs";
import { dirFromTar } from "../../components/verify/io";
import type { DirEntry } from "../../components/verify/types";
import { REDACTED } from "../../contracts/plan";
import { FakeDocker, makeTestIo, tmpDir } from "./fakes";

const sha = (t: string | Buffer) => createHash("sha256").update(t).digest("hex");
const C = "p-grafana";
const IMG = `sha256:${"e".repeat(64)}`;
const KEY = "k".repeat(64);
const PW = "Admin-Pw-0123456789";
const DS = "apiVersion: 1\ndatasources: []\n";
const DASH = '{"uid":"a","title":"A"}\n';
const INI = "[server]\n";
const SAMPLE = "# apiVersion: 1\n";

const file = (path: string, content: string, mode = 0o444, uid = 0, gid = 0): DirEntry => ({ path, kind: "file", mode, uid, gid, size: Buffer.byteLength(content), content: Buffer.from(content) });
const dir = (path: string, mode = 0o755, uid = 0, gid = 0): DirEntry => ({ path, kind: "dir", mode, uid, gid, size: 0 });

/** What a Grafana image ships under /etc/grafana (provisioning folders owned by grafana, 0777). */
const image = (): DirEntry[] => [
  dir("/etc/grafana"),
  file("/etc/grafana/grafana.ini", INI, 0o644),
  dir("/etc/grafana/provisioning", 0o777, 472, 0),
  dir("/etc/grafana/provisioning/alerting", 0o777, 472, 0),
  file("/etc/grafana/provisioning/alerting/sample.yaml", SAMPLE, 0o644, 472, 0),
  dir("/etc/grafana/provisioning/datasources", 0o777, 472, 0),
  file("/etc/grafana/provisioning/datasources/sample.yaml", SAMPLE, 0o644, 472, 0),
];
/** The running container: the image's tree plus the uploads and the directories made for them. */
const healthy = (): DirEntry[] => [
  ...image(),
  dir("/etc/grafana/dashboards"),
  file("/etc/grafana/dashboards/a.json", DASH),
  file("/etc/grafana/provisioning/datasources/datasources.yaml", DS),
  dir("/etc/grafana/secrets"),
  file("/etc/grafana/secrets/admin_password", PW, 0o440),
];

function input(over: Partial<DriftInput> = {}): DriftInput {
  const uploads = declaredUploads([
    { file: "/etc/grafana/dashboards/a.json", content: DASH, permissions: "0444" },
    { file: "/etc/grafana/provisioning/datasources/datasources.yaml", content: DS, permissions: "0444" },
    { file: "/etc/grafana/secrets/admin_password", content: REDACTED, permissions: "0440" },
  ]);
  return {
    project: "p",
    containers: [{ service: "grafana", container: C, dirs: configDirs(uploads) }],
    timeoutMs: 1000,
    driftKey: KEY,
    secretDigests: { grafana: { "/etc/grafana/secrets/admin_password": keyedHash(KEY, PW) } },
    ...over,
  };
}

function engine(entries: DirEntry[]): FakeDocker {
  const docker = new FakeDocker();
  docker.addContainer(C, { imageId: IMG });
  docker.dirs.set(`${C}:/etc/grafana`, { kind: "dir", entries });
  docker.imageDirs.set(`${IMG}:/etc/grafana`, { kind: "dir", entries: image() });
  return docker;
}

const patch = (entries: DirEntry[], path: string, over: Partial<DirEntry>) => entries.map((e) => (e.path === path ? { ...e, ...over } : e));

describe("L8 config drift: whole directories", () => {
  test("healthy: green; the image's own files (grafana.ini, sample.yaml) belong to the expected tree; read through the archive API, nothing exec'd", async () => {
    const docker = engine(healthy());
    const r = await checkConfigDrift(input(), makeTestIo(docker));
    expect(r).toMatchObject({ level: "L8", status: "green", findings: [] });
    expect(docker.dirReads).toEqual([
      { container: C, path: "/etc/grafana" },
      { image: IMG, path: "/etc/grafana" },
    ]);
    expect(docker.execs).toEqual([]);
  });

  test("an extra dashboard JSON in the dashboards folder and an extra file in an image's provisioning folder: each named", async () => {
    const docker = engine([...healthy(), file("/etc/grafana/dashboards/extra.json", "{}"), file("/etc/grafana/provisioning/alerting/evil.yaml", "x", 0o644, 472, 0)]);
    const r = await checkConfigDrift(input(), makeTestIo(docker));
    expect(r.code).toBe("E_PROOF_CONFIG_DRIFT");
    expect(r.findings).toEqual([`grafana: extra file /etc/grafana/dashboards/extra.json in ${C}`, `grafana: extra file /etc/grafana/provisioning/alerting/evil.yaml in ${C}`]);
  });

  test("a missing upload and a missing image file", async () => {
    const gone = new Set(["/etc/grafana/dashboards/a.json", "/etc/grafana/provisioning/alerting/sample.yaml"]);
    const r = await checkConfigDrift(input(), makeTestIo(engine(healthy().filter((e) => !gone.has(e.path)))));
    expect(r.findings).toEqual([`grafana: missing file /etc/grafana/dashboards/a.json in ${C}`, `grafana: missing file /etc/grafana/provisioning/alerting/sample.yaml in ${C}`]);
  });

  test("content changed: a rendered file against its rendered sha256, an image file against the image's", async () => {
    let e = patch(healthy(), "/etc/grafana/provisioning/datasources/datasources.yaml", { content: Buffer.from("edited\n") });
    e = patch(e, "/etc/grafana/grafana.ini", { content: Buffer.from("[auth]\ndisable_login_form = true\n") });
    const r = await checkConfigDrift(input(), makeTestIo(engine(e)));
    expect(r.findings).toEqual([
      `grafana: /etc/grafana/grafana.ini in ${C} has sha256 ${sha("[auth]\ndisable_login_form = true\n")}, the image ships ${sha(INI)}`,
      `grafana: /etc/grafana/provisioning/datasources/datasources.yaml in ${C} has sha256 ${sha("edited\n")}, rendered ${sha(DS)}`,
    ]);
  });

  test("a rewritten secret file: 'secret file <path> changed', and no value, keyed hash or plain sha256 of either content anywhere in the result", async () => {
    const NEW = "Attacker-Pw-99";
    const r = await checkConfigDrift(input(), makeTestIo(engine(patch(healthy(), "/etc/grafana/secrets/admin_password", { content: Buffer.from(NEW) }))));
    expect(r.findings).toEqual([`grafana: secret file /etc/grafana/secrets/admin_password in ${C} changed`]);
    const text = JSON.stringify(r);
    for (const s of [PW, NEW, sha(PW), sha(NEW), keyedHash(KEY, NEW), KEY]) expect(text).not.toContain(s);
  });

  test("an Alertmanager credential file rewritten (alerts silently redirected): red, named, no value", async () => {
    const AM = "p-am";
    const AMG = `sha256:${"a".repeat(64)}`;
    const url = "http://sink:8080/hook";
    const cred = "/etc/alertmanager/secrets/sink-webhook-url";
    const uploads = declaredUploads([
      { file: "/etc/alertmanager/alertmanager.yml", content: "route: {}\n", permissions: "0444" },
      { file: cred, content: REDACTED, permissions: "0440" },
    ]);
    const docker = new FakeDocker();
    docker.addContainer(AM, { imageId: AMG });
    docker.imageDirs.set(`${AMG}:/etc/alertmanager`, { kind: "dir", entries: [dir("/etc/alertmanager"), file("/etc/alertmanager/alertmanager.yml", "image default\n", 0o644)] });
    const tree = (credential: string) => [dir("/etc/alertmanager"), file("/etc/alertmanager/alertmanager.yml", "route: {}\n"), dir("/etc/alertmanager/secrets"), file(cred, credential, 0o440)];
    const inp: DriftInput = { project: "p", containers: [{ service: "alertmanager", container: AM, dirs: configDirs(uploads) }], timeoutMs: 1000, driftKey: KEY, secretDigests: { alertmanager: { [cred]: keyedHash(KEY, url) } } };
    docker.dirs.set(`${AM}:/etc/alertmanager`, { kind: "dir", entries: tree(url) });
    expect((await checkConfigDrift(inp, makeTestIo(docker))).status).toBe("green");
    docker.dirs.set(`${AM}:/etc/alertmanager`, { kind: "dir", entries: tree("http://elsewhere.example/hook") });
    const r = await checkConfigDrift(inp, makeTestIo(docker));
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_CONFIG_DRIFT", findings: [`alertmanager: secret file ${cred} in ${AM} changed`] });
    expect(JSON.stringify(r)).not.toContain("elsewhere.example");
    expect(JSON.stringify(r)).not.toContain(url);
  });

  test("mode changed (a chmod of a config file, of a directory the upload created)", async () => {
    let e = patch(healthy(), "/etc/grafana/provisioning/datasources/datasources.yaml", { mode: 0o666 });
    e = patch(e, "/etc/grafana/dashboards", { mode: 0o777 });
    const r = await checkConfigDrift(input(), makeTestIo(engine(e)));
    expect(r.findings).toEqual([`grafana: /etc/grafana/dashboards in ${C}: mode changed 0755 -> 0777`, `grafana: /etc/grafana/provisioning/datasources/datasources.yaml in ${C}: mode changed 0444 -> 0666`]);
  });

  test("owner changed (a chown of a secret file, of an image folder)", async () => {
    let e = patch(healthy(), "/etc/grafana/secrets/admin_password", { uid: 472 });
    e = patch(e, "/etc/grafana/provisioning/alerting", { uid: 0 });
    const r = await checkConfigDrift(input(), makeTestIo(engine(e)));
    expect(r.findings).toEqual([`grafana: /etc/grafana/provisioning/alerting in ${C}: owner changed 472:0 -> 0:0`, `grafana: /etc/grafana/secrets/admin_password in ${C}: owner changed 0:0 -> 472:0`]);
  });

  test("a file replaced by a symlink, a symlink retargeted", async () => {
    const img = [...image(), { path: "/etc/grafana/link", kind: "symlink" as const, mode: 0o777, uid: 0, gid: 0, size: 0, linkname: "grafana.ini" }];
    const docker = engine([...healthy().filter((x) => x.path !== "/etc/grafana/dashboards/a.json"), { path: "/etc/grafana/dashboards/a.json", kind: "symlink", mode: 0o777, uid: 0, gid: 0, size: 0, linkname: "/tmp/x.json" }, { ...img[img.length - 1], linkname: "/tmp/other.ini" }]);
    docker.imageDirs.set(`${IMG}:/etc/grafana`, { kind: "dir", entries: img });
    const r = await checkConfigDrift(input(), makeTestIo(docker));
    expect(r.findings).toEqual([`grafana: /etc/grafana/dashboards/a.json in ${C} is a symlink, expected a file`, `grafana: /etc/grafana/link in ${C}: symlink target changed grafana.ini -> /tmp/other.ini`]);
  });

  test("no key (verify without the stack's record): secret files are 'not compared' in a warning, never green by omission; metadata still compared", async () => {
    const r = await checkConfigDrift(input({ driftKey: undefined }), makeTestIo(engine(healthy())));
    expect(r).toMatchObject({ status: "warn", code: "E_PROOF_CONFIG_SECRETS_UNCHECKED" });
    expect(r.findings).toEqual([`grafana: secret file /etc/grafana/secrets/admin_password in ${C} not compared (no key for its keyed hash)`]);
    const noDigest = await checkConfigDrift(input({ secretDigests: {} }), makeTestIo(engine(healthy())));
    expect(noDigest.findings).toEqual([`grafana: secret file /etc/grafana/secrets/admin_password in ${C} not compared (no recorded keyed hash)`]);
    const chmodded = await checkConfigDrift(input({ driftKey: undefined }), makeTestIo(engine(patch(healthy(), "/etc/grafana/secrets/admin_password", { mode: 0o644 }))));
    expect(chmodded).toMatchObject({ status: "red", findings: [`grafana: /etc/grafana/secrets/admin_password in ${C}: mode changed 0440 -> 0644`] });
  });

  test("the config directory missing, replaced by a symlink, or too large to compare", async () => {
    const docker = engine([]);
    docker.dirs.delete(`${C}:/etc/grafana`);
    expect((await checkConfigDrift(input(), makeTestIo(docker))).findings).toEqual([`grafana: config directory /etc/grafana is missing in ${C}`]);
    docker.dirs.set(`${C}:/etc/grafana`, { kind: "not-a-dir", type: "SymbolicLink" });
    expect((await checkConfigDrift(input(), makeTestIo(docker))).findings).toEqual([`grafana: /etc/grafana in ${C} is a SymbolicLink, not a directory`]);
    docker.dirs.set(`${C}:/etc/grafana`, { kind: "too-large", reason: "more than 2000 entries" });
    expect((await checkConfigDrift(input(), makeTestIo(docker))).findings).toEqual([`grafana: /etc/grafana in ${C} cannot be compared: more than 2000 entries`]);
  });

  test("an oversized file where a rendered one belongs", async () => {
    const e = patch(healthy(), "/etc/grafana/dashboards/a.json", { content: undefined, size: 9e6 });
    const r = await checkConfigDrift(input(), makeTestIo(engine(e)));
    expect(r.findings).toEqual([`grafana: /etc/grafana/dashboards/a.json in ${C} is 9000000 bytes, larger than L8 reads`]);
  });

  test("a stopped or missing container: red, says so, reads nothing", async () => {
    const docker = new FakeDocker();
    docker.addContainer("p-x", { running: false, state: "exited" });
    const dirs = configDirs(declaredUploads([{ file: "/etc/loki/config.yaml", content: "a" }]));
    const r = await checkConfigDrift({ project: "p", containers: [{ service: "loki", container: "p-x", dirs }, { service: "alloy", container: "p-gone", dirs }], timeoutMs: 1000 }, makeTestIo(docker));
    expect(r.findings).toEqual(["loki: container p-x is exited", "alloy: container p-gone does not exist"]);
    expect(docker.dirReads).toEqual([]);
  });

  test("the engine failing mid-read is a finding with a stable reason, not a throw", async () => {
    const docker = engine(healthy());
    docker.readDir = async () => {
      throw Object.assign(new Error("connect ECONNREFUSED /var/run/docker.sock"), { code: "ECONNREFUSED" });
    };
    const r = await checkConfigDrift(input(), makeTestIo(docker));
    expect(r.findings).toEqual([`grafana: container ${C} cannot be read (ECONNREFUSED)`]);
  });

  test("a flood of extra files is summarised, not listed without end", async () => {
    const flood = Array.from({ length: 60 }, (_, i) => file(`/etc/grafana/dashboards/x${String(i).padStart(2, "0")}.json`, "{}"));
    const r = await checkConfigDrift(input(), makeTestIo(engine([...healthy(), ...flood])));
    expect(r.findings).toHaveLength(21);
    expect(r.findings[20]).toBe(`grafana: /etc/grafana in ${C}: 40 more differences`);
  });
});

describe("dirFromTar (what the archive API sends for a directory)", () => {
  /** A directory tree on disk, archived as the engine does for GET /containers/{id}/archive?path=<dir>. */
  function archive(build: (root: string) => void): NodeJS.ReadableStream {
    const base = tmpDir("lb-dirtar-");
    build(path.join(base, "grafana"));
    return tar.c({ cwd: base }, ["grafana"]) as unknown as NodeJS.ReadableStream;
  }
  const LIMITS = { maxEntries: 100, maxBytes: 1 << 20, maxFileBytes: 1 << 16 };

  test("every entry with its absolute path, kind, mode, owner and a regular file's bytes", async () => {
    const s = archive((root) => {
      fs.mkdirSync(path.join(root, "provisioning", "datasources"), { recursive: true });
      fs.writeFileSync(path.join(root, "provisioning", "datasources", "ds.yaml"), DS);
      fs.chmodSync(path.join(root, "provisioning", "datasources", "ds.yaml"), 0o640);
      fs.chmodSync(path.join(root, "provisioning"), 0o777);
      fs.symlinkSync("provisioning/datasources/ds.yaml", path.join(root, "link"));
    });
    const got = await dirFromTar(s, "/etc/grafana", LIMITS);
    expect(got.kind).toBe("dir");
    const entries = got.kind === "dir" ? got.entries : [];
    const uid = process.getuid!();
    expect(entries.map((e) => [e.path, e.kind, e.kind === "symlink" ? "-" : e.mode.toString(8), e.uid === uid, e.linkname ?? "", e.content?.toString() ?? ""])).toEqual([
      ["/etc/grafana", "dir", expect.any(String), true, "", ""],
      ["/etc/grafana/link", "symlink", "-", true, "provisioning/datasources/ds.yaml", ""],
      ["/etc/grafana/provisioning", "dir", "777", true, "", ""],
      ["/etc/grafana/provisioning/datasources", "dir", expect.any(String), true, "", ""],
      ["/etc/grafana/provisioning/datasources/ds.yaml", "file", "640", true, "", DS],
    ]);
  });

  test("bounded: more entries than allowed, more bytes than allowed, a file over the per-file bound (kept without its bytes)", async () => {
    const many = () => archive((root) => {
      fs.mkdirSync(root);
      for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, `f${i}`), "x".repeat(100));
    });
    expect(await dirFromTar(many(), "/etc/grafana", { ...LIMITS, maxEntries: 5 })).toEqual({ kind: "too-large", reason: "more than 5 entries" });
    expect(await dirFromTar(many(), "/etc/grafana", { ...LIMITS, maxBytes: 1000 })).toEqual({ kind: "too-large", reason: "more than 1000 bytes of files" });
    const big = await dirFromTar(many(), "/etc/grafana", { ...LIMITS, maxFileBytes: 50 });
    expect(big.kind === "dir" && big.entries.filter((e) => e.kind === "file").every((e) => e.content === undefined && e.size === 100)).toBe(true);
  });

  test("a path that is not a directory, an empty archive", async () => {
    const base = tmpDir("lb-dirtar-");
    fs.writeFileSync(path.join(base, "grafana"), "x");
    expect(await dirFromTar(tar.c({ cwd: base }, ["grafana"]) as unknown as NodeJS.ReadableStream, "/etc/grafana", LIMITS)).toEqual({ kind: "not-a-dir", type: "File" });
    expect(await dirFromTar(Readable.from([Buffer.alloc(1024)]), "/etc/grafana", LIMITS)).toEqual({ kind: "missing" });
  });
});
