// Evidence, recall and autoheal over bundles from REAL verify runs against the test environment:
// the real `npm run -s verify` proves the running testenv stack (green), and once more with a
// recorded digest altered for loki (L7 red). The wrapper runs with the fake Pulumi operations (no CLI here) and
// the real Docker engine; its verify step replays the two real reports. Skips without testenv.json.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { makeSandbox, runCli, Sandbox } from "../ops/helpers";
import { INFO, ROOT, testenvDescribe } from "../util/testenv";

const { haveEnv, d } = testenvDescribe("ops");
jest.setTimeout(240_000);

function realVerify(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    // The generated stack file (testenv.json configFile): what up deployed, the alert sink receiver included.
    const configFile = JSON.parse(fs.readFileSync(INFO, "utf8")).configFile as string;
    const child = execFile("npm", ["run", "-s", "verify", "--", "--stack", "testenv", "--config-file", configFile, "--secrets-file", "test/.tmp/secrets.env", "--json", ...args], { cwd: ROOT, maxBuffer: 64 << 20 }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout });
    });
    child.stdin?.end();
  });
}

d("bundles from real verify runs", () => {
  let sb: Sandbox;
  const info = haveEnv ? JSON.parse(fs.readFileSync(INFO, "utf8")) : undefined;
  beforeAll(async () => {
    sb = await makeSandbox({ stackFile: path.join(ROOT, "test", "env", "Pulumi.testenv.yaml") });
    fs.renameSync(path.join(sb.dir, "Pulumi.test.yaml"), path.join(sb.dir, "Pulumi.testenv.yaml"));
    sb.env.DOCKER_HOST = info.engine.host;
  });
  afterAll(async () => sb && (await sb.cleanup()));

  it("green run, then an L7-red run: bundles, events, recall and autoheal agree with the reports", async () => {
    const green = await realVerify(["--recorded", "test/.tmp/testenv.json"]);
    expect(green.code).toBe(0); // green, or warnings only
    const recorded = JSON.parse(fs.readFileSync(INFO, "utf8"));
    recorded.services.loki.imageId = "sha256:" + "0".repeat(64);
    recorded.services.loki.repoDigest = `${recorded.services.loki.repoDigest.split("@")[0]}@sha256:${"0".repeat(64)}`;
    const altered = path.join(sb.dir, "recorded-altered.json");
    fs.writeFileSync(altered, JSON.stringify(recorded));
    const red = await realVerify(["--recorded", altered, "--levels", "L7"]);
    expect(red.code).toBe(1);
    const greenFile = path.join(sb.dir, "verify-green.json");
    const redFile = path.join(sb.dir, "verify-red.json");
    fs.writeFileSync(greenFile, green.stdout);
    fs.writeFileSync(redFile, red.stdout);

    const a = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "testenv", "--json"], sb, { STUB_VERIFY_JSON: greenFile, STUB_VERIFY_EXIT: String(green.code) });
    expect(a.code).toBe(0);
    const b = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "testenv", "--json"], sb, { STUB_VERIFY_JSON: redFile, STUB_VERIFY_EXIT: "1" });
    expect(b.code).toBe(1);

    const list = JSON.parse((await runCli("recall.ts", ["list", "--json"], sb)).stdout);
    expect(list.map((r: { status: string }) => r.status)).toEqual(["green", "red"]);
    const reds = JSON.parse((await runCli("recall.ts", ["list", "--status", "red", "--bucket", "proof", "--json"], sb)).stdout);
    expect(reds).toHaveLength(1);
    expect(reds[0].codes).toEqual(["E_PROOF_PROVENANCE_MISMATCH"]);

    const greenDir = path.join(sb.outDir, list[0].bundle);
    const redDir = path.join(sb.outDir, list[1].bundle);
    // The real report is in the bundle, and the engine's view of every pinned image is recorded.
    expect(JSON.parse(fs.readFileSync(path.join(greenDir, "verify.report.json"), "utf8")).report.levels.map((l: { level: string }) => l.level)).toEqual(
      JSON.parse(green.stdout).levels.map((l: { level: string }) => l.level),
    );
    const prov = JSON.parse(fs.readFileSync(path.join(greenDir, "provenance.json"), "utf8"));
    for (const img of prov.images) expect(img.local.id).toBe(info.services[img.service].imageId);

    const events = fs.readFileSync(path.join(redDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(events.filter((e) => e.BootstrapFailed).map((e) => e.BootstrapFailed.service)).toEqual(["loki"]);
    expect(events.filter((e) => e.BootstrapCompleted)).toHaveLength(6); // the seven services but loki

    const ah = await runCli("autoheal.ts", ["latest", "--json"], sb);
    expect(ah.code).toBe(1);
    const s = JSON.parse(ah.stdout);
    expect(s.active_buckets).toHaveLength(1);
    expect(s.active_buckets[0]).toMatchObject({ bucket: "proof", error_codes: ["E_PROOF_PROVENANCE_MISMATCH"], count: 2, primary: { service: "loki", level: "L7" } });
    const ahGreen = await runCli("autoheal.ts", [greenDir, "--json"], sb);
    expect(ahGreen.code).toBe(0);
    expect(JSON.parse(ahGreen.stdout).active_buckets).toEqual([]);
    // The Grafana admin password the real verify used never reaches a bundle.
    const pw = fs.readFileSync(info.secretsFile, "utf8").split("\n").find((l: string) => l.startsWith("GRAFANA_ADMIN_PASSWORD="))!.split("=")[1];
    for (const dir of [greenDir, redDir]) for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
      const p = path.join(dir, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, "utf8").includes(pw)).toBe(false);
    }
  });
});
