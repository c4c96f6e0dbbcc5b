// L8 against the real Docker engine, without the test environment: a small image of the host's
// static BusyBox that ships a config directory of its own, a container that receives uploads the
// way the Docker provider sends them (one tar entry per file, absolute name, the upload's mode,
// owner 0:0, put at /), and the real archive reads (container and image side). Green as uploaded;
// an extra file, a chmod, a chown and a rewritten secret are each named; no scratch container stays.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Docker from "dockerode";
import * as tar from "tar";
import { checkConfigDrift, DriftInput } from "../../components/verify/checks";
import { configDirs, declaredUploads, keyedHash } from "../../components/verify/config-dirs";
import { makeIo } from "../../components/verify/io";
import { REDACTED } from "../../contracts/plan";
import { tarOf } from "../tools/faults/support";

jest.setTimeout(120_000);

const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? "/var/run/docker.sock" });
const TAG = `l8-engine-test:${process.pid}`;
const NAME = `l8-engine-test-${process.pid}`;
const PROJECT = `l8-engine-test-${process.pid}`;
const KEY = "d".repeat(64);
const CONF = "listen: 8080\n";
const TOKEN = "s3cret-token-value";

let ready = false;

async function exec(cmd: string[]): Promise<number> {
  const ex = await docker.getContainer(NAME).exec({ Cmd: ["/bin/busybox", ...cmd], User: "0", AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  await new Promise<void>((r) => {
    stream.on("end", () => r());
    stream.resume();
  });
  return (await ex.inspect()).ExitCode ?? -1;
}

/** Uploads as the Docker provider sends them: one entry, the absolute path as its name, put at /. */
const upload = (file: string, content: string, mode: number) => docker.getContainer(NAME).putArchive(tarOf(file, Buffer.from(content), mode), { path: "/" });

function input(): DriftInput {
  const uploads = declaredUploads([
    { file: "/etc/app/conf/app.yml", content: CONF, permissions: "0444" },
    { file: "/etc/app/secrets/token", content: REDACTED, permissions: "0440" },
  ]);
  return { project: PROJECT, containers: [{ service: "app", container: NAME, dirs: configDirs(uploads) }], timeoutMs: 20_000, driftKey: KEY, secretDigests: { app: { "/etc/app/secrets/token": keyedHash(KEY, TOKEN) } } };
}

beforeAll(async () => {
  try {
    await docker.ping();
  } catch {
    return; // no engine: the tests below say so
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "l8-engine-"));
  fs.mkdirSync(path.join(root, "bin"));
  fs.copyFileSync("/bin/busybox", path.join(root, "bin", "busybox"));
  fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
  fs.mkdirSync(path.join(root, "etc", "app", "shipped"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc", "app", "shipped", "default.yml"), "# the image's own\n");
  const stream = tar.c({ cwd: root, portable: true }, ["bin", "etc"]) as unknown as NodeJS.ReadableStream;
  const progress = await docker.importImage(stream, { repo: TAG.split(":")[0], tag: TAG.split(":")[1], changes: ['ENTRYPOINT ["/bin/busybox"]'] });
  await new Promise<void>((res, rej) => docker.modem.followProgress(progress as NodeJS.ReadableStream, (e: Error | null) => (e ? rej(e) : res())));
  const c = await docker.createContainer({ name: NAME, Image: TAG, Cmd: ["sleep", "600"], HostConfig: { NetworkMode: "none" } });
  await upload("/etc/app/conf/app.yml", CONF, 0o444);
  await upload("/etc/app/secrets/token", TOKEN, 0o440);
  await c.start();
  ready = true;
});

afterAll(async () => {
  await docker.getContainer(NAME).remove({ force: true, v: true }).catch(() => undefined);
  await docker.getImage(TAG).remove({ force: true }).catch(() => undefined);
});

describe("L8 on the real engine", () => {
  test("as uploaded: green; the image's own file is part of the expected tree; upload directories 0755 root", async () => {
    expect(ready).toBe(true);
    const io = await makeIo();
    const r = await checkConfigDrift(input(), io);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe("green");
    const listing = await io.docker.readDir(NAME, "/etc/app", { maxEntries: 100, maxBytes: 1 << 20, maxFileBytes: 1 << 16 }, 10_000);
    const by = Object.fromEntries((listing.kind === "dir" ? listing.entries : []).map((e) => [e.path, `${e.kind} ${e.mode.toString(8)} ${e.uid}:${e.gid}`]));
    expect(by).toMatchObject({ "/etc/app/conf": "dir 755 0:0", "/etc/app/conf/app.yml": "file 444 0:0", "/etc/app/secrets": "dir 755 0:0", "/etc/app/secrets/token": "file 440 0:0", "/etc/app/shipped/default.yml": expect.stringMatching(/^file /) });
  });

  test("an extra file, a chmod, a chown and a rewritten secret: each named, red; no scratch container left behind", async () => {
    expect(ready).toBe(true);
    await upload("/etc/app/shipped/extra.yml", "x: 1\n", 0o644);
    expect(await exec(["chmod", "0666", "/etc/app/conf/app.yml"])).toBe(0);
    expect(await exec(["chown", "472:0", "/etc/app/shipped/default.yml"])).toBe(0);
    await upload("/etc/app/secrets/token", "redirected", 0o440);
    const r = await checkConfigDrift(input(), await makeIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_CONFIG_DRIFT" });
    expect(r.findings).toEqual([
      `app: /etc/app/conf/app.yml in ${NAME}: mode changed 0444 -> 0666`,
      `app: secret file /etc/app/secrets/token in ${NAME} changed`,
      `app: /etc/app/shipped/default.yml in ${NAME}: owner changed 0:0 -> 472:0`,
      `app: extra file /etc/app/shipped/extra.yml in ${NAME}`,
    ]);
    expect(JSON.stringify(r)).not.toContain("redirected");
    const scratch = await docker.listContainers({ all: true, filters: { label: [`logging-bootstrap.project=${PROJECT}`] } });
    expect(scratch).toEqual([]);
  });
});
