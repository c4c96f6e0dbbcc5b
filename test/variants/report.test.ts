// test:variants' comparison on made-up bundles: a run matches only when every level is what the
// config implies (green, the implied warning with its code, or skipped with the reason).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Expected } from "../../components/verify/expectations";
import { compareOutcome, formatTable, latestBundle } from "./report";

const green: Expected = { status: "green" };
const expected: Record<string, Expected> = {
  L1: green,
  L4: { status: "skipped", why: "verify.labels is false" },
  L9: { status: "warn", code: "E_PROOF_ALERT_UNROUTED", why: "the Watchdog goes to blackhole, which has no integration" },
};
const verify = (over: Record<string, unknown> = {}) => ({
  status: "warn",
  levels: [
    { level: "L1", status: "green" },
    { level: "L9", status: "warn", code: "E_PROOF_ALERT_UNROUTED" },
  ],
  skipped: [{ level: "L4", reason: "verify.labels is false" }],
  ...over,
});

describe("compareOutcome", () => {
  test("matches: apply exit 0, levels as implied", () => {
    const r = compareOutcome("v", expected, { code: 0, ms: 1000 }, { dir: "d", verify: verify() });
    expect(r.mismatches).toEqual([]);
    expect(r.levels).toBe("green L1; warn L9; skipped L4");
  });
  test("a red level, another warning code, a skipped level that ran, a failed apply: each named", () => {
    const bad = verify({
      levels: [
        { level: "L1", status: "red", code: "E_PROOF_HEALTH", findings: ["grafana: down"] },
        { level: "L4", status: "green" },
        { level: "L9", status: "warn", code: "E_PROOF_ALERT_UNATTRIBUTED" },
      ],
      skipped: [],
    });
    const r = compareOutcome("v", expected, { code: 1, ms: 1000 }, { dir: "d", verify: bad });
    expect(r.mismatches).toEqual([
      "apply exited 1",
      "L1 red E_PROOF_HEALTH (grafana: down), expected green",
      "L4 ran (green) but the config turns it off (verify.labels is false)",
      "L9 warns E_PROOF_ALERT_UNATTRIBUTED, expected E_PROOF_ALERT_UNROUTED (the Watchdog goes to blackhole, which has no integration)",
    ]);
  });
  test("no bundle: a mismatch, never a silent pass", () => {
    expect(compareOutcome("v", expected, { code: 0, ms: 1 }, undefined).mismatches).toEqual(["no verify report in the run's bundle"]);
  });
  test("table", () => {
    const t = formatTable([compareOutcome("testenv", expected, { code: 0, ms: 51_000 }, { dir: "d", verify: verify() })]);
    expect(t.split("\n")[2]).toMatch(/^testenv\s+exit 0\s+warn\s+51 s\s+green L1; warn L9; skipped L4\s+yes$/);
  });
});

describe("latestBundle", () => {
  test("the newest apply run started after the given time, with its verify report", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "lb-variants-"));
    const mk = (id: string, ts: string, mode: string, report?: unknown) => {
      fs.mkdirSync(path.join(out, "runs", id), { recursive: true });
      if (report) fs.writeFileSync(path.join(out, "runs", id, "verify.report.json"), JSON.stringify({ mode, report }));
      fs.appendFileSync(path.join(out, "runs.jsonl"), JSON.stringify({ run_id: id, ts, mode, bundle: `runs/${id}` }) + "\n");
    };
    mk("a", "2026-12-01T10:00:00.000Z", "apply", verify());
    mk("b", "2026-12-01T10:05:00.000Z", "apply", verify({ status: "green" }));
    mk("c", "2026-12-01T10:06:00.000Z", "drift");
    expect(latestBundle(out, Date.parse("2026-12-01T10:04:00.000Z"))?.verify?.status).toBe("green");
    expect(latestBundle(out, Date.parse("2026-12-01T10:07:00.000Z"))).toBeUndefined();
  });
});
