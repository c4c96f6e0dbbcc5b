// out/runs.jsonl: one complete line per record, with concurrent writer processes and with a writer
// killed (SIGKILL) in the middle of its write loop; readers stream it and filter it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { appendIndexLine, findRun, matchesFilter, parseDateArg, queryRuns, repairTornTail, RunRecord, streamRuns } from "../../scripts/lib/runs-index";
import { REPO, TSX_LOADER } from "./helpers";

const WRITER = path.join(REPO, "test", "fixtures", "ops", "index-writer.ts");

function startWriter(file: string, count: number, tag: string, pad: number) {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, WRITER, file, String(count), tag, String(pad)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (err += c));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((r) => child.on("close", (code, signal) => r({ code, signal, out, err })));
  return { child, done, output: () => out };
}

function lines(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text.slice(0, -1).split("\n");
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "runs-index-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("runs.jsonl appends", () => {
  it("N concurrent writer processes: every line is one complete record, none lost", async () => {
    const file = path.join(dir, "runs.jsonl");
    const N = 4;
    const M = 25;
    // 6 KB of padding: each line spans more than one page, so interleaving would show.
    const writers = Array.from({ length: N }, (_, i) => startWriter(file, M, `w${i}`, 6000));
    const results = await Promise.all(writers.map((w) => w.done));
    for (const r of results) expect(r).toMatchObject({ code: 0 });
    const all = lines(file).map((l) => JSON.parse(l) as { writer: string; seq: number });
    expect(all).toHaveLength(N * M);
    for (let i = 0; i < N; i++) {
      // Each writer's own records appear in its order.
      expect(all.filter((r) => r.writer === `w${i}`).map((r) => r.seq)).toEqual(Array.from({ length: M }, (_, k) => k));
    }
  }, 60_000);

  it("a writer SIGKILLed mid-loop leaves only complete lines; the next append still lands whole", async () => {
    const file = path.join(dir, "runs.jsonl");
    const w = startWriter(file, 0, "killed", 20000);
    const other = startWriter(file, 40, "other", 20000);
    const t0 = Date.now();
    while (!w.output().includes("started") && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 150));
    w.child.kill("SIGKILL");
    const killed = await w.done;
    expect(killed.signal).toBe("SIGKILL");
    expect((await other.done).code).toBe(0);
    // A final append (after any stale lock of the killed writer expires) must also land whole.
    await appendIndexLine(file, JSON.stringify({ run_id: "after-kill", ts: new Date().toISOString() }));
    const parsed = lines(file).map((l) => JSON.parse(l) as { run_id: string; writer?: string });
    expect(parsed.filter((r) => r.writer === "other")).toHaveLength(40);
    expect(parsed.filter((r) => r.writer === "killed").length).toBeGreaterThan(0);
    expect(parsed[parsed.length - 1].run_id).toBe("after-kill");
  }, 60_000);

  it("a writer killed in the middle of a record (holding the lock): the next writers cut the fragment and append whole lines", async () => {
    const file = path.join(dir, "runs.jsonl");
    await appendIndexLine(file, JSON.stringify({ run_id: "before", ts: "2026-01-01T00:00:00.000Z" }));
    const t = startWriter(file, 0, "torn", 20000);
    const t0 = Date.now();
    while (!t.output().includes("torn") && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(fs.readFileSync(file, "utf8").endsWith("\n")).toBe(false); // a torn line is really there
    t.child.kill("SIGKILL");
    expect((await t.done).signal).toBe("SIGKILL");
    // Its lock goes stale (no heartbeat); two writers then race for the index.
    const ws = [startWriter(file, 5, "a", 100), startWriter(file, 5, "b", 100)];
    const rs = await Promise.all(ws.map((w) => w.done));
    for (const r of rs) expect(r.code).toBe(0);
    const parsed = lines(file).map((l) => JSON.parse(l) as { run_id: string; writer?: string });
    expect(parsed.map((r) => r.run_id).filter((id) => !/^[ab]-/.test(id))).toEqual(["before"]);
    expect(parsed.filter((r) => r.writer === "a").length + parsed.filter((r) => r.writer === "b").length).toBe(10);
    const warnings = rs.map((r) => r.err).join("").match(/removed a torn last line of \d+ bytes/g) ?? [];
    expect(warnings).toHaveLength(1); // exactly one writer found and cut the fragment
  }, 60_000);

  it("cuts a torn tail back to the last complete line, and readers skip an unterminated line", async () => {
    const file = path.join(dir, "runs.jsonl");
    fs.writeFileSync(file, '{"run_id":"a","ts":"2026-01-01T00:00:00Z"}\n{"run_id":"b","ts":');
    const seen: string[] = [];
    for await (const r of streamRuns(file)) seen.push(r.run_id);
    expect(seen).toEqual(["a"]);
    expect(repairTornTail(file)).toBe('{"run_id":"b","ts":'.length);
    await appendIndexLine(file, '{"run_id":"c","ts":"2026-01-02T00:00:00Z"}');
    expect(fs.readFileSync(file, "utf8")).toBe('{"run_id":"a","ts":"2026-01-01T00:00:00Z"}\n{"run_id":"c","ts":"2026-01-02T00:00:00Z"}\n');
  });

  it("refuses a record with a newline in it", async () => {
    await expect(appendIndexLine(path.join(dir, "x.jsonl"), "a\nb")).rejects.toThrow(/single line/);
  });
});

describe("runs.jsonl queries", () => {
  const rec = (id: string, ts: string, status: "green" | "red", buckets: string[]): RunRecord => ({
    run_id: id, ts, finished_at: ts, mode: "apply", stack: "test", status, exit_code: status === "red" ? 1 : 0,
    errors: buckets.length, warnings: 0, buckets, codes: [], duration_ms: 1, config: null, config_sha256: null, bundle: `runs/${id}`,
  });
  it("filters by status, bucket and an inclusive date range", async () => {
    const file = path.join(dir, "runs.jsonl");
    const rs = [
      rec("r1", "2026-02-10T10:00:00.000Z", "green", []),
      rec("r2", "2026-02-11T23:59:00.000Z", "red", ["config"]),
      rec("r3", "2026-02-13T00:00:00.000Z", "red", ["proof", "deps"]),
    ];
    fs.writeFileSync(file, rs.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const ids = async (f: Parameters<typeof queryRuns>[1]) => (await queryRuns(file, f)).runs.map((r) => r.run_id);
    expect(await ids({ status: "red" })).toEqual(["r2", "r3"]);
    expect(await ids({ bucket: "deps" })).toEqual(["r3"]);
    expect(await ids({ since: parseDateArg("2026-02-11", false), until: parseDateArg("2026-02-11", true) })).toEqual(["r2"]);
    expect(await ids({ until: parseDateArg("2026-02-12", true) })).toEqual(["r1", "r2"]);
    expect((await findRun(file, "r3"))?.status).toBe("red");
    expect((await findRun(file, "latest"))?.run_id).toBe("r3");
    expect(await findRun(file, "r")).toBeUndefined(); // ambiguous prefix
    expect(matchesFilter(rs[0], {})).toBe(true);
    expect(() => parseDateArg("yesterday", false)).toThrow(/E_ENV_USAGE/);
  });
});
