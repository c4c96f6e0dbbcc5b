// The doubles imitate the upstream version of their image tag (DOUBLE_VERSION) where the stack's
// rendering, healthchecks or proofs depend on it: the 2024 pins' Alloy 1.2.1 and Loki 3.0.0 beside
// the current Alloy 1.19.2 and Loki 3.7.8 (facts and sources in test/env/doubles/README.md).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { alloyFixture } from "../util/alloy-fixture";
import { alloyApi } from "../util/alloy-api";

/* eslint-disable @typescript-eslint/no-require-imports */
const common = require("./doubles/lib/common.js");
const { alloyFeatures } = require("./doubles/alloy/versions.js");
const { Tailer, route } = require("./doubles/alloy/server.js");
const loki = require("./doubles/loki/server.js");
/* eslint-enable @typescript-eslint/no-require-imports */

type Json = Record<string, unknown>;
const CONFIG = alloyFixture({ containers: ["p-loki"], units: ["docker.service"], redactions: [] });
const STATE = { docker: { containers: [], tails: [{ id: "id-p-loki", labels: { container: "p-loki", job: "docker" }, readOffset: "1700000000" }] } };

/** The component API of an Alloy double imitating `version`: the list and one component's detail. */
function api(version: string) {
  const answer = alloyApi(CONFIG, { state: { ...STATE, features: alloyFeatures(version) } });
  const list = JSON.parse(answer("/api/v0/web/components")!.body) as Json[];
  const detail = (id: string) => JSON.parse(answer(`/api/v0/web/components/${id}`)!.body) as Json;
  return { list, byId: Object.fromEntries(list.map((c) => [c.localID as string, c])), detail };
}
const isRunning = (info: Json) => ((info.debugInfo as { body: { name: string; value: unknown }[] }[])[0].body.find((a) => a.name === "is_running") as { value: unknown }).value;

describe("versionAtLeast: the doubles' one version comparison", () => {
  test("tags with and without v, pre-release suffixes; a tag that is not a version counts as the newest", () => {
    expect([common.versionAtLeast("v1.2.1", "1.6.0"), common.versionAtLeast("v1.19.2", "1.13.0"), common.versionAtLeast("3.0.0", "3.6.5"), common.versionAtLeast("3.6.5", "3.6.5")]).toEqual([false, true, false, true]);
    expect([common.versionAtLeast("13.2.0-test", "13.2.0"), common.versionAtLeast("latest", "99.0.0"), common.versionAtLeast(undefined, "1.0.0")]).toEqual([true, true, true]);
  });
});

describe("Alloy double: the component API of the version it imitates", () => {
  test("1.2.1 writes neither dataFlowEdgesTo (1.8+) nor liveDebuggingEnabled (1.6+); 1.6.0 the latter only; 1.19.2 both", () => {
    const keys = (v: string) => Object.keys(api(v).byId["loki.source.docker.containers"]);
    expect(keys("v1.2.1")).toEqual(["name", "type", "localID", "moduleID", "label", "referencesTo", "referencedBy", "health", "original", "arguments", "exports", "debugInfo"]);
    expect(keys("v1.6.0")).toEqual(["name", "type", "localID", "moduleID", "label", "referencesTo", "referencedBy", "health", "original", "arguments", "exports", "debugInfo", "liveDebuggingEnabled"]);
    expect(keys("v1.19.2")).toEqual(["name", "type", "localID", "moduleID", "label", "referencesTo", "referencedBy", "dataFlowEdgesTo", "health", "original", "arguments", "exports", "debugInfo", "liveDebuggingEnabled"]);
    // What the proofs read is the same in every version: references, health, the running rules.
    const [old, cur] = [api("v1.2.1"), api("v1.19.2")];
    for (const id of Object.keys(cur.byId)) expect([old.byId[id].referencesTo, (old.byId[id].health as Json).state]).toEqual([cur.byId[id].referencesTo, (cur.byId[id].health as Json).state]);
    expect(old.detail("discovery.relabel.docker_allowlist").arguments).toEqual(cur.detail("discovery.relabel.docker_allowlist").arguments);
  });

  test("loki.source.docker targets_info is_running: the string \"true\" up to 1.12, a bool from 1.13", () => {
    expect(isRunning(api("v1.2.1").detail("loki.source.docker.containers"))).toEqual({ type: "string", value: "true" });
    expect(isRunning(api("v1.12.2").detail("loki.source.docker.containers"))).toEqual({ type: "string", value: "true" });
    expect(isRunning(api("v1.13.0").detail("loki.source.docker.containers"))).toEqual({ type: "bool", value: true });
  });

  test("loki.source.journal reports its own health from 1.11; before, the controller's (started component)", () => {
    expect(api("v1.2.1").byId["loki.source.journal.journal"].health).toMatchObject({ state: "healthy", message: "started component" });
    expect(api("v1.11.0").byId["loki.source.journal.journal"].health).toMatchObject({ state: "healthy", message: "journal tailer is running" });
  });

  test("/-/healthy: 404 before 1.6 (no such route), Alloy's answer from 1.6; /-/ready in both", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-alloy-versions-"));
    try {
      fs.writeFileSync(path.join(dir, "config.alloy"), 'logging {\n  level = "info"\n}\n');
      const get = async (version: string, p: string) => {
        const tailer = new Tailer(path.join(dir, "config.alloy"), path.join(dir, `data-${version}`), { version });
        const server = http.createServer(common.handler("alloy-double", route(tailer)));
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
          const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${p}`);
          return [res.status, await res.text()];
        } finally {
          await new Promise((r) => server.close(r));
        }
      };
      expect(await get("v1.2.1", "/-/healthy")).toEqual([404, "404 page not found\n"]);
      expect(await get("v1.6.0", "/-/healthy")).toEqual([200, "All Alloy components are healthy.\n"]);
      expect(await get("v1.2.1", "/-/ready")).toEqual([200, "Alloy is ready.\n"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Loki double: `loki -health` only where Loki has it", () => {
  test("3.7.0 and the 3.6 backport from 3.6.5 have it; 3.0.0 and 3.6.4 do not", () => {
    expect(["3.0.0", "3.5.7", "3.6.4", "3.6.5", "3.7.0", "3.7.8"].map(loki.hasHealthCommand)).toEqual([false, false, false, true, true, true]);
  });

  test("a 3.0.0 double refuses -health as Go's flag parsing does (exit 2), so a healthcheck rendered for 3.7 fails on it", async () => {
    const run = (version: string) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(__dirname, "doubles/loki/server.js"), "-health", "-health.url=http://127.0.0.1:9/ready"], { env: { ...process.env, DOUBLE_VERSION: version }, stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (c) => (err += c));
        child.on("close", (code) => resolve({ code, err }));
      });
    expect(await run("3.0.0")).toEqual({ code: 2, err: "flag provided but not defined: -health\nRun with -help to get list of available parameters\n" });
    // 3.7.8 runs the check (nothing listens on port 9: unhealthy, exit 1).
    expect((await run("3.7.8")).code).toBe(1);
  });
});
