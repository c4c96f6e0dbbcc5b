// The host-dirs script on real directories: a symbolic link planted anywhere on a logs, telemetry or
// data directory's path is refused with E_RUNTIME_PATH_SYMLINK and never followed (chown runs as
// root: following a link at <dataRoot>/<service> would hand the link's target to a container user).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hostDirsScript } from "../../components/stack";
import { centralHostDirs, hostDirsRunRequest, hostDirsScriptFor, HOST_DIRS_TIMEOUT_MS, HOST_ROOT_MOUNT, remoteHostDirs } from "../../components/host-dirs";
import { hostDirsCheck, hostDirsDiff, hostDirsFailure, hostDirsOutputs, hostDirsRunError } from "../../components/host-dirs-runtime";
import { BootstrapError } from "../../contracts/errors";
import { stackConfig } from "../util/mocks";
import { commandRunner } from "../util/run";
import { withCfg } from "../util/stack-configs";

const run = commandRunner(os.tmpdir());
const isRoot = process.getuid?.() === 0;
let tmp: string;

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lb-hostdirs-links-")));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function script(paths: { logsRoot?: string; telemetryRoot?: string; dataRoot?: string }): string {
  return hostDirsScript(
    withCfg(stackConfig("test"), (c) => {
      c.paths.logsRoot = paths.logsRoot ?? `${tmp}/logs`;
      c.paths.telemetryRoot = paths.telemetryRoot ?? `${tmp}/telemetry`;
      c.paths.dataRoot = paths.dataRoot ?? `${tmp}/data`;
    }),
  );
}

/** A directory a link could point at: root-owned (when root), with nothing in it. */
function victim(): string {
  const v = path.join(tmp, "victim");
  fs.mkdirSync(v, { mode: 0o700 });
  return v;
}

it("creates every directory, one component at a time, and gives each data directory its owner", async () => {
  const r = await run("/bin/sh", ["-c", script({})]);
  expect(r.stderr).toBe(isRoot ? "" : expect.stringContaining("warning: could not chown"));
  expect(r.code).toBe(0);
  for (const d of ["logs", "telemetry", "data/loki", "data/grafana", "data/prometheus", "data/alertmanager"]) expect(fs.lstatSync(`${tmp}/${d}`).isDirectory()).toBe(true);
  if (isRoot) expect(fs.statSync(`${tmp}/data/loki`).uid).toBe(10001);
  // Idempotent: a second run over existing directories changes nothing and succeeds.
  expect((await run("/bin/sh", ["-c", script({})])).code).toBe(0);
});

it("a link planted at <dataRoot>/<service> is refused with E_RUNTIME_PATH_SYMLINK; its target keeps its owner", async () => {
  const v = victim();
  fs.mkdirSync(`${tmp}/data`);
  fs.symlinkSync(v, `${tmp}/data/loki`);
  const before = fs.statSync(v);
  const r = await run("/bin/sh", ["-c", script({})]);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain(`E_RUNTIME_PATH_SYMLINK: ${tmp}/data/loki is a symbolic link`);
  const after = fs.statSync(v);
  expect([after.uid, after.gid, after.mode]).toEqual([before.uid, before.gid, before.mode]);
  expect(fs.readdirSync(v)).toEqual([]);
});

it.each([
  ["an intermediate component of logsRoot", (t: string) => ({ logsRoot: `${t}/via/logs` })],
  ["logsRoot itself", (t: string) => ({ logsRoot: `${t}/via` })],
  ["telemetryRoot itself", (t: string) => ({ telemetryRoot: `${t}/via` })],
  ["dataRoot", (t: string) => ({ dataRoot: `${t}/via` })],
])("a link at %s is refused and nothing is created through it", async (_what, paths) => {
  const v = victim();
  fs.symlinkSync(v, `${tmp}/via`);
  const r = await run("/bin/sh", ["-c", script(paths(tmp))]);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain(`E_RUNTIME_PATH_SYMLINK: ${tmp}/via is a symbolic link`);
  expect(fs.readdirSync(v)).toEqual([]);
});

it("chown never dereferences: -h on the directory it entered", () => {
  const s = script({});
  expect(s).toMatch(/chown -h -- "\$2" \./);
  expect(s).not.toMatch(/chown -- /);
});

// Another host's directories: the same script over that host's `/` as a run-once container sees it
// (HOST_ROOT_MOUNT), played here with the temp directory as the host's root.
describe("on another host, through its engine", () => {
  const remote = (logsRoot = "/srv/logs", telemetryRoot = "/srv/telemetry") => hostDirsScriptFor(remoteHostDirs({ logsRoot, telemetryRoot }), tmp);

  it("creates the host's logs and telemetry roots under the mounted root, nothing chowned", async () => {
    const r = await run("/bin/sh", ["-c", remote()]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    for (const d of ["srv/logs", "srv/telemetry"]) expect(fs.lstatSync(`${tmp}/${d}`).isDirectory()).toBe(true);
    expect(remote()).not.toMatch(/^host_dir .* .*'$/m);
    expect((await run("/bin/sh", ["-c", remote()])).code).toBe(0);
  });

  // The images' shell is BusyBox ash (the host's node-exporter image runs the script).
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((b) => fs.existsSync(b));
  (busybox ? it : it.skip)("BusyBox sh runs it the same: creates, and refuses a link", async () => {
    expect((await run(busybox!, ["sh", "-c", remote("/a/logs", "/a/tel")])).code).toBe(0);
    expect(fs.lstatSync(`${tmp}/a/logs`).isDirectory()).toBe(true);
    fs.symlinkSync(victim(), `${tmp}/b`);
    const r = await run(busybox!, ["sh", "-c", remote("/b/logs")]);
    expect([r.code, r.stderr.split(" is a symbolic link")[0]]).toEqual([3, "E_RUNTIME_PATH_SYMLINK: /b"]);
  });

  it("a link on the host's path is refused, named by the host's path, never followed", async () => {
    const v = victim();
    fs.symlinkSync(v, `${tmp}/srv`);
    const r = await run("/bin/sh", ["-c", remote()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("E_RUNTIME_PATH_SYMLINK: /srv is a symbolic link (or changed while it was entered); host directories are never created or chowned through one: set paths.* to the real directory\n");
    expect(fs.readdirSync(v)).toEqual([]);
  });

  it("the central host's script is v2's: the same walk from / with the same lines", () => {
    const cfg = stackConfig("test");
    expect(hostDirsScript(cfg)).toBe(hostDirsScriptFor(centralHostDirs(cfg)));
    expect(hostDirsScript(cfg)).toContain("\n  cd /\n");
    expect(hostDirsScript(cfg)).toContain('\n    [ "$(pwd -P)" = "$at" ] || no_link "$at"\n');
    expect(hostDirsScriptFor([], "/host")).toContain(`\n    [ "$(pwd -P)" = '/host'"$at" ] || no_link "$at"\n`);
    expect(() => hostDirsScriptFor([], "/")).toThrow(/absolute directory other than \//);
  });

  it("runs in a container of the host's node-exporter image as root, no network, the host's / read-write at /host, bounded", () => {
    const req = hostDirsRunRequest({ projectName: "logging-test", host: "web1", image: "sha256:ne", script: "true", name: "logging-test-host-dirs-1" });
    expect(req).toEqual({
      image: "sha256:ne",
      entrypoint: ["/bin/sh"],
      cmd: ["-c", "true"],
      env: {},
      mounts: [{ source: "/", target: HOST_ROOT_MOUNT, readOnly: false }],
      user: "0:0",
      name: "logging-test-host-dirs-1",
      labels: { "logging-bootstrap.project": "logging-test", "logging-bootstrap.probe": "true", "logging-bootstrap.host": "web1" },
      timeoutMs: HOST_DIRS_TIMEOUT_MS,
    });
  });

  it("a refusal or a failed run stops the apply with its code and the host's name; a change of paths runs it again", () => {
    const ok = { exitCode: 0, timedOut: false, stdout: "", stderr: "" };
    expect(hostDirsFailure("web1", "ssh://u@h", ok)).toBeUndefined();
    const link = hostDirsFailure("web1", "ssh://u@h", { ...ok, exitCode: 3, stderr: "E_RUNTIME_PATH_SYMLINK: /srv is a symbolic link (or changed)\n" })!;
    expect([link.code, link.message]).toEqual(["E_RUNTIME_PATH_SYMLINK", "E_RUNTIME_PATH_SYMLINK: web1: /srv is a symbolic link (or changed)"]);
    const other = hostDirsFailure("web1", "ssh://u@h", { ...ok, exitCode: 1, stderr: "mkdir: can't create directory './srv': Read-only file system\n" })!;
    expect(other.code).toBe("E_RUNTIME_DEPLOY_FAILED");
    expect(other.message).toContain("web1: creating its host directories through its Docker engine ssh://u@h exited 1: mkdir: can't create");
    expect(hostDirsFailure("web1", "ssh://u@h", { ...ok, timedOut: true })!.message).toContain("did not finish within its bound");
    const unreached = hostDirsRunError("web1", "ssh://u@h", new BootstrapError("E_NETWORK_TIMEOUT", "x did not finish within 10 ms"));
    expect([unreached.code, unreached.message]).toEqual(["E_ENV_DOCKER_UNREACHABLE", "E_ENV_DOCKER_UNREACHABLE: web1: its Docker engine at ssh://u@h was not reached to create its host directories (E_NETWORK_TIMEOUT: x did not finish within 10 ms)"]);
    expect(hostDirsRunError("web1", "ssh://u@h", Object.assign(new Error("(HTTP code 404) no such image - No such image: sha256:ne"), { statusCode: 404 })).message).toBe("E_RUNTIME_DEPLOY_FAILED: web1: its Docker engine at ssh://u@h refused the container that creates its host directories ((HTTP code 404) no such image - No such image: sha256:ne)");
    const big = new BootstrapError("E_RUNTIME_OUTPUT_TOO_LARGE", "too much");
    expect(hostDirsRunError("web1", "ssh://u@h", big)).toBe(big);
    const props = { projectName: "p", host: "web1", dockerUrl: "ssh://u@h", image: "i", script: "s", engineKeyPem: "KEY" };
    expect(hostDirsDiff(props, { ...props, image: "j", engineKeyPem: "OTHER" }).changes).toBe(false);
    expect(hostDirsDiff(props, { ...props, script: "t" }).changes).toBe(true);
    expect(hostDirsOutputs({ ...props, __provider: "x" })).toEqual({ projectName: "p", host: "web1", dockerUrl: "ssh://u@h", image: "i", script: "s" });
    expect(hostDirsCheck({ ...props, script: "" }).failures).toEqual([{ property: "script", reason: "HostDirs needs script" }]);
  });
});
