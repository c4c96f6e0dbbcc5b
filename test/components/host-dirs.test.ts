// The host-dirs script on real directories: a symbolic link planted anywhere on a logs, telemetry or
// data directory's path is refused with E_RUNTIME_PATH_SYMLINK and never followed (chown runs as
// root: following a link at <dataRoot>/<service> would hand the link's target to a container user).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hostDirsScript } from "../../components/stack";
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
