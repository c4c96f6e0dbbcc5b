// recall export: a bundle's archive is owner-only (0600) whatever the umask, and the data snapshots
// under backups/ (0600 volume archives: everything a service stored) stay out unless asked for.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { exportRun } from "../../scripts/lib/run-export";
import { runCli } from "./helpers";

jest.setTimeout(60_000);

const RUN = "2026-03-01T10-00-00.000Z";
let dir: string;
let runs: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "recall-export-"));
  runs = path.join(dir, "out", "runs");
  const b = path.join(runs, RUN);
  fs.mkdirSync(path.join(b, "backups"), { recursive: true });
  fs.writeFileSync(path.join(b, "summary.json"), "{}\n");
  fs.writeFileSync(path.join(b, "upgrade.json"), "{}\n");
  fs.writeFileSync(path.join(b, "backups", "logging-test-loki-data.tar.gz"), "data", { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "out", "runs.jsonl"), JSON.stringify({ run_id: RUN, ts: "2026-03-01T10:00:00.000Z", status: "green", mode: "apply", stack: "test" }) + "\n");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function entries(file: string): Promise<string[]> {
  const out: string[] = [];
  await tar.t({ file, onReadEntry: (e) => out.push(e.path) });
  return out.filter((e) => !e.endsWith("/")).sort();
}

it("writes a 0600 archive without backups/ by default, naming what it left out", async () => {
  const dest = path.join(dir, "x.tar.gz");
  const old = process.umask(0o022);
  try {
    const r = await exportRun(runs, RUN, dest, { withBackups: false });
    expect(r.leftOut).toEqual([`${RUN}/backups/logging-test-loki-data.tar.gz`]);
  } finally {
    process.umask(old);
  }
  expect(fs.statSync(dest).mode & 0o777).toBe(0o600);
  expect(await entries(dest)).toEqual([`${RUN}/summary.json`, `${RUN}/upgrade.json`]);
});

it("--with-backups includes them, still 0600; an existing archive is replaced, never written through", async () => {
  const dest = path.join(dir, "x.tar.gz");
  fs.writeFileSync(dest, "old", { mode: 0o644 });
  const r = await exportRun(runs, RUN, dest, { withBackups: true });
  expect(r.leftOut).toEqual([]);
  expect(fs.statSync(dest).mode & 0o777).toBe(0o600);
  expect(await entries(dest)).toEqual([`${RUN}/backups/logging-test-loki-data.tar.gz`, `${RUN}/summary.json`, `${RUN}/upgrade.json`]);
});

it("the CLI: export leaves backups out and says so; --with-backups takes them", async () => {
  const sb = { dir, env: { PATH: process.env.PATH, LOGGING_BOOTSTRAP_OUT_DIR: path.join(dir, "out") } };
  const r = await runCli("recall.ts", ["export", RUN], sb);
  expect(r.code).toBe(0);
  const file = path.join(dir, "out", "exports", `${RUN}.tar.gz`);
  expect(r.stdout.trim()).toBe(file);
  expect(r.stderr).toContain("left out 1 file(s) under backups/");
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(await entries(file)).not.toContain(`${RUN}/backups/logging-test-loki-data.tar.gz`);
  const w = await runCli("recall.ts", ["export", RUN, "--with-backups", "--json"], sb);
  expect(w.code).toBe(0);
  expect(JSON.parse(w.stdout)).toMatchObject({ run_id: RUN, file, left_out: [] });
  expect(await entries(file)).toContain(`${RUN}/backups/logging-test-loki-data.tar.gz`);
});
