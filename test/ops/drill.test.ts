// The upgrade drill's checks against a fake world (bootstrap, Prometheus and the bundle simulated):
// the happy path passes and prints the final line naming the rollback; each way a broken upgrade or
// rollback could look green fails the drill with its reason.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { drill, DrillOptions, Run, Tools } from "../upgrade/drill";

const FROM = "reg/prometheus:v2.55.1";
const TO = "reg/prometheus:v3.14.0";

interface World {
  version: string;
  /** version -> sample timestamps (ms) */
  samples: Record<string, number[]>;
  clock: number;
  snapshot?: Record<string, number[]>;
  broken: Partial<{
    staleVolume: boolean;
    noSnapshot: boolean;
    rollbackKeepsData: boolean;
    newLosesOld: boolean;
    tamperAccepted: boolean;
    rollbackKeepsPin: boolean;
    verifyRed: string;
    badSha: boolean;
  }>;
}

function fakeTools(w: World, o: DrillOptions, logs: string[]): Tools {
  let runN = 0;
  const summary = (mode: string, steps: Array<[string, string]>, errors: Array<{ code: string }> = [], code = 0): Run => ({
    code,
    stdout: JSON.stringify({ run_id: `run-${++runN}-${mode}`, status: code ? "red" : "green", errors, steps: steps.map(([step, status]) => ({ step, status })) }),
    stderr: "",
  });
  const scrape = () => {
    w.clock += 15_000;
    (w.samples[w.version.replace(/^v/, "")] ??= []).push(w.clock);
  };
  return {
    async run(_cmd, args) {
      const mode = args[args.indexOf("--mode") + 1];
      const verify: [string, string] = ["verify", w.broken.verifyRed === mode ? "failed" : "success"];
      const file = fs.readFileSync(o.stackFile, "utf8");
      if (mode === "apply" && !file.includes(TO)) {
        w.version = "2.55.1";
        return summary(mode, [["up", "success"], verify]);
      }
      if (mode === "apply") {
        const res = summary(mode, [["snapshot", w.broken.noSnapshot ? "skipped" : "success"], ["up", "success"], verify]);
        const run = JSON.parse(res.stdout).run_id;
        const dir = path.join(o.outDir, "runs", run, "backups");
        fs.mkdirSync(dir, { recursive: true });
        const body = Buffer.from(JSON.stringify(w.samples));
        fs.writeFileSync(path.join(dir, "p.tar.gz"), body, { mode: 0o600 });
        const sha = crypto.createHash("sha256").update(w.broken.badSha ? "x" : body).digest("hex");
        fs.writeFileSync(path.join(o.outDir, "runs", run, "upgrade.json"), JSON.stringify({ previousImages: { prometheus: FROM }, backups: [{ service: "prometheus", file: "backups/p.tar.gz", sha256: sha }] }));
        w.snapshot = JSON.parse(JSON.stringify(w.samples));
        w.version = "3.14.0";
        if (w.broken.newLosesOld) delete w.samples["2.55.1"];
        return res;
      }
      if (mode === "rollback" && args.includes("--run")) {
        if (w.broken.tamperAccepted) return summary(mode, [["restore", "success"], ["up", "success"], verify]);
        return summary(mode, [["restore", "failed"]], [{ code: "E_DEPS_SNAPSHOT_MISMATCH" }], 4);
      }
      if (!w.broken.rollbackKeepsPin) fs.writeFileSync(o.stackFile, file.split(TO).join(FROM));
      if (!w.broken.rollbackKeepsData) w.samples = JSON.parse(JSON.stringify(w.snapshot));
      w.version = "2.55.1";
      return summary(mode, [["restore", "success"], ["up", "success"], verify]);
    },
    async get(url) {
      if (url.endsWith("/buildinfo")) return { status: 200, body: JSON.stringify({ data: { version: w.version } }) };
      if (url.includes("/api/v1/series")) return { status: 200, body: JSON.stringify({ data: Object.keys(w.samples).map((version) => ({ __name__: "prometheus_build_info", version })) }) };
      const u = new URL(url);
      const v = /version="([^"]+)"/.exec(u.searchParams.get("query")!)![1];
      const at = Number(u.searchParams.get("time")) * 1000;
      const n = (w.samples[v] ?? []).filter((ts) => ts <= at && ts > at - 3600e3).length;
      return { status: 200, body: JSON.stringify({ data: { result: n ? [{ value: [at / 1000, String(n)] }] : [] } }) };
    },
    async sleep() {
      scrape();
    },
    now: () => w.clock,
    log: (l) => logs.push(l),
  };
}

async function runDrill(broken: World["broken"] = {}): Promise<{ line?: string; error?: string; logs: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-"));
  const o: DrillOptions = { stack: "testenv", stackFile: path.join(dir, "Pulumi.testenv.yaml"), outDir: path.join(dir, "out"), prometheusUrl: "http://p", from: FROM, to: TO };
  fs.writeFileSync(o.stackFile, `config:\n  logging-bootstrap:images:\n    prometheus: ${FROM}\n`);
  const w: World = { version: "none", samples: broken.staleVolume ? { "3.14.0": [1_700_000_000_000 - 60_000] } : {}, clock: 1_700_000_000_000, broken };
  const logs: string[] = [];
  try {
    return { line: await drill(fakeTools(w, o, logs), o), logs };
  } catch (e) {
    return { error: (e as Error).message, logs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("upgrade drill", () => {
  it("passes on a real upgrade and rollback, and its last line names the rollback", async () => {
    const r = await runDrill();
    expect(r.error).toBeUndefined();
    expect(r.line).toMatch(/^drill:upgrade PASSED: Prometheus 2\.55\.1 -> 3\.14\.0 by apply \(run run-2-apply, snapshot sha256 [0-9a-f]{12}\) -> rollback \(run run-4-rollback\) back on 2\.55\.1: all 2 samples written before the upgrade queryable, none written by 3\.14\.0, verify green$/);
    expect(r.logs.filter((l) => /^\[drill\] \d\/5 .* \(at \d+ s\)$/.test(l))).toHaveLength(5);
    // Each bootstrap run is timed with its steps.
    expect(r.logs.filter((l) => l.startsWith("[drill]   bootstrap --mode "))).toEqual([
      expect.stringMatching(/^\[drill\]   bootstrap --mode apply: \d+\.\d s \(up \?, verify \?\)$/),
      expect.stringMatching(/^\[drill\]   bootstrap --mode apply: /),
      expect.stringMatching(/^\[drill\]   bootstrap --mode rollback --run run-2-apply-tampered: /),
      expect.stringMatching(/^\[drill\]   bootstrap --mode rollback: /),
    ]);
  });
  it.each([
    [{ staleVolume: true }, /the environment is not fresh: 1 samples written by 3\.14\.0 exist before the upgrade/],
    [{ noSnapshot: true }, /without a snapshot step/],
    [{ rollbackKeepsData: true }, /samples written by 3\.14\.0 are still there: the volume was not restored/],
    [{ newLosesOld: true }, /Prometheus 3\.14\.0 reads 0 of the 2 samples/],
    [{ tamperAccepted: true }, /tampered snapshot: exit 0/],
    [{ rollbackKeepsPin: true }, /does not pin reg\/prometheus:v2\.55\.1 again/],
    [{ verifyRed: "rollback" }, /rollback: verify did not run green/],
    [{ badSha: true }, /does not match its recorded sha256/],
  ] as const)("fails when %j", async (broken, why) => {
    const r = await runDrill(broken);
    expect(r.line).toBeUndefined();
    expect(r.error).toMatch(why);
  });
});
