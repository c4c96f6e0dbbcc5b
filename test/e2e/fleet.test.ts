// test/e2e/fleet.ts with a fake for every command (up/down, hosts.sh, verify, lan-probe, docker,
// bootstrap): the order of the steps, that each check fails its step when what it checks is not so,
// that step 1 failing skips 2-6 and down still runs (the real run is `npm run -s e2e:fleet`).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fleetAct, FleetOptions, FleetTools } from "./fleet";
import type { Run } from "../util/run";

const STACK = [
  "config:",
  "  logging-bootstrap:hosts:",
  "    - name: local",
  "      central: true",
  "    - name: b",
  "    - name: c",
  "      docker:",
  "        tls:",
  "          keyPem:",
  "            secure: v1:xyz",
  "",
].join("\n");

interface World {
  calls: string[];
  cStopped: boolean;
  /** c's container ids: new ones after repair and after c is deployed again, none after its removal. */
  cIds: string[];
  /** The bootstrap runs so far, e.g. `apply-without-c`, `drift`, `repair`. */
  runs: string[];
  /** The central engine's containers (name -> id) until down. */
  central: Record<string, string>;
  /** verify tries seen while c is stopped / after it started (to show the polls). */
  verifies: number;
  over: Partial<Record<string, (args: string[], w: World) => Run | undefined>>;
}

const ok = (stdout = ""): Run => ({ code: 0, stdout, stderr: "" });
const verifyOut = (c: string, cCode?: string) =>
  JSON.stringify({ stack: "testenv", status: c === "green" ? "green" : "red", levels: [{ level: "L1", status: "green" }], hosts: [{ host: "b", status: "green", findings: [] }, { host: "c", status: c, ...(cCode ? { code: cCode } : {}), findings: ["engine does not answer"] }] });

function setup(over: World["over"] = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-fleet-e2e-"));
  const stackFile = path.join(dir, "Pulumi.testenv.yaml");
  fs.mkdirSync(path.join(dir, "logs"));
  const w: World = { calls: [], cStopped: false, cIds: ["c1", "c2", "c3"], runs: [], central: { "logging-testenv-loki": "l1", "logging-testenv-prometheus": "p1", "logging-testenv-gateway": "g1" }, verifies: 0, over };
  let now = Date.UTC(2026, 11, 6, 1, 0, 0);
  const lines: string[] = [];
  const t: FleetTools = {
    log: (l) => lines.push(l),
    now: () => now,
    sleep: async (ms) => void (now += ms),
    async run(cmd, argv) {
      now += 1000;
      const [, c, ...args] = cmd === "timeout" ? [argv[0], ...argv.slice(1)] : [undefined, cmd, ...argv];
      const line = `${c} ${args.join(" ")}`;
      w.calls.push(line);
      const forced = w.over[c as string]?.(args, w);
      if (forced) return forced;
      if (c === "bash" && args[0] === "test/env/up.sh") {
        fs.writeFileSync(stackFile, STACK);
        return ok();
      }
      if (c === "bash" && args[1] === "stop") w.cStopped = true;
      if (c === "bash" && args[1] === "start") w.cStopped = false;
      if (c === "npm" && args.includes("verify")) {
        w.verifies++;
        if (w.cStopped) return { code: 1, stdout: verifyOut("red", "E_PROOF_HOST_UNREACHABLE"), stderr: "" };
        return ok(verifyOut("green"));
      }
      if (c === "node_modules/.bin/tsx") return ok(JSON.stringify({ ok: true, checks: [{ what: "logging-testenv-gateway (gateway) published on 10.250.0.1:19110", ok: true, detail: "" }, { what: "POST https://10.250.0.1:19110/api/v1/write without credentials", ok: true, detail: "HTTP 401" }] }));
      if (c === "npm" && args.includes("bootstrap")) {
        const mode = args[args.indexOf("--mode") + 1];
        const withC = fs.readFileSync(stackFile, "utf8").includes("name: c");
        const run = mode === "apply" ? `apply-${withC ? "with" : "without"}-c` : mode;
        w.runs.push(run);
        if (mode === "repair") w.cIds = ["c4", "c5", "c6"];
        if (mode === "apply") w.cIds = withC ? ["c7", "c8", "c9"] : [];
        // Adding c back renders new gateway credentials and Prometheus rules: those two are replaced.
        if (run === "apply-with-c") Object.assign(w.central, { "logging-testenv-prometheus": "p2", "logging-testenv-gateway": "g2" });
        return ok(JSON.stringify({ run_id: `r-${run}`, status: "green", errors: [] }));
      }
      if (c === "docker" && args[0] === "-H") {
        const host = args[1].includes("/b/") ? "b" : "c";
        if (args[2] === "ps") return ok(host === "b" ? "b1\nb2\nb3\n" : w.cIds.map((i) => `${i}\n`).join(""));
        if (args[2] === "volume") return ok("logging-testenv-alloy-data\n");
      }
      if (c === "env" && args.includes("TESTENV_FLEET=1")) w.central = {};
      if (c === "docker" && args[0] === "ps") return ok(Object.entries(w.central).map(([n, i]) => `${n} ${i}\n`).join(""));
      if (c === "ip") return ok("");
      if (c === "pulumi") return ok(JSON.stringify({ gatewayPasswordDigest: w.runs.includes("apply-with-c") ? "after c" : "without c" }));
      return ok();
    },
  };
  const o: FleetOptions = {
    stack: "testenv",
    stackFile,
    outDir: dir,
    project: "logging-testenv",
    policyConfig: "test/env/fleet/policy.json",
    secretsFile: "s.env",
    recorded: "testenv.json",
    logDir: path.join(dir, "logs"),
    socket: (h) => `/run/logging-fleet/${h}/docker.sock`,
    away: "c",
    stay: ["b"],
    probeTarget: () => ({ address: "10.250.0.1", ports: "grafana=19101,gateway=19110" }),
    centralChangedBy: (before, after) => (before !== after ? ["logging-testenv-gateway", "logging-testenv-prometheus"] : []),
    redTimeoutS: 30,
    greenTimeoutS: 30,
    intervalS: 5,
  };
  return { w, t, o, lines, stackFile };
}

describe("the fleet act", () => {
  it("runs the seven steps in order, each printing one line with its time and what it saw; all pass", async () => {
    const { w, t, o, lines, stackFile } = setup();
    const r = await fleetAct(t, o);
    expect(r.steps.map((s) => `${s.n}:${s.status}`)).toEqual(["1:pass", "2:pass", "3:pass", "4:pass", "5:pass", "6:pass", "7:pass"]);
    expect(r.ok).toBe(true);
    const order = w.calls.filter((c) => /down\.sh|up\.sh|hosts\.sh|lan-probe|run -s bootstrap/.test(c));
    expect(order).toEqual([
      "env TESTENV_FLEET=0 TESTENV_KEEP_ENGINE=1 bash test/env/down.sh",
      "bash test/env/up.sh",
      "node_modules/.bin/tsx test/e2e/lan-probe.ts --project logging-testenv --address 10.250.0.1 --ports grafana=19101,gateway=19110 --json",
      "bash test/env/fleet/hosts.sh stop c",
      `npm run -s bootstrap -- --mode drift --host b --stack testenv --config-file ${stackFile} --policy-config test/env/fleet/policy.json --json`,
      "bash test/env/fleet/hosts.sh start c",
      `npm run -s bootstrap -- --mode repair --host c --stack testenv --config-file ${stackFile} --policy-config test/env/fleet/policy.json --json`,
      `npm run -s bootstrap -- --mode apply --stack testenv --config-file ${stackFile} --policy-config test/env/fleet/policy.json --json`,
      `npm run -s bootstrap -- --mode apply --stack testenv --config-file ${stackFile} --policy-config test/env/fleet/policy.json --json`,
      "env TESTENV_FLEET=1 TESTENV_KEEP_ENGINE=1 bash test/env/down.sh",
    ]);
    expect(w.runs).toEqual(["drift", "repair", "apply-without-c", "apply-with-c"]);
    expect(r.steps[3].saw).toMatch(/repair --host c green \(run r-repair\): 3 new container ids on c, b unchanged$/);
    expect(r.steps[5].saw).toMatch(/^apply green \(run r-apply-with-c\); c: 3 containers on its kept data volume logging-testenv-alloy-data; b the same ids; central: 1 containers the same, replaced only those whose config names the hosts: logging-testenv-gateway, logging-testenv-prometheus; /);
    // verify compares with what up recorded, after the apply that adds c back with that apply's outputs
    const verifies = w.calls.filter((c) => c.includes(" verify "));
    const recordedWithC = path.join(o.outDir, "outputs-with-c.json");
    expect(verifies.slice(0, -1).every((c) => c.includes("--secrets-file s.env --recorded testenv.json --json"))).toBe(true);
    expect(verifies.at(-1)).toContain(`--secrets-file s.env --recorded ${recordedWithC} --json`);
    expect(fs.readFileSync(recordedWithC, "utf8")).toBe('{"gatewayPasswordDigest":"after c"}');
    expect(w.calls.filter((c) => c.startsWith("pulumi "))).toEqual(["pulumi stack output --stack testenv --json --non-interactive", "pulumi stack output --stack testenv --json --non-interactive"]);
    // c left the stack file and came back: the file is the one up wrote
    expect(fs.readFileSync(stackFile, "utf8")).toBe(STACK);
    expect(lines.some((l) => /^\[e2e:fleet 01:0\d:\d\d \+\d+s\] step 3 .*PASS in \d+ s: .*host c red E_PROOF_HOST_UNREACHABLE/.test(l))).toBe(true);
    expect(r.summary).toMatch(/e2e:fleet: PASSED \(7\/7 steps passed\)/);
    expect(fs.readdirSync(o.logDir).length).toBe(w.calls.length);
  });

  it("step 3 fails when verify stays green with c stopped (a bounded poll, every try printed); the later steps still run", async () => {
    const { t, o, lines } = setup({ bash: (a) => (a[1] === "stop" ? ok() : undefined) });
    const r = await fleetAct(t, o);
    expect(r.steps.map((s) => s.status)).toEqual(["pass", "pass", "fail", "pass", "pass", "pass", "pass"]);
    expect(r.steps[2].saw).toMatch(/^verify was not red naming c only within 30 s \(\d+ tries\); the last: exit 0, green/);
    expect(lines.filter((l) => /step 3 verify try \d+/.test(l)).length).toBeGreaterThan(1);
    expect(r.ok).toBe(false);
  });

  it("step 5 fails when c's containers survive the apply, or b's change, or c's data volume goes", async () => {
    const survive = setup({ docker: (a) => (a[2] === "ps" && a[1].includes("/c/") ? ok("c1\n") : undefined) });
    const s = await fleetAct(survive.t, survive.o);
    expect(s.steps[3].saw).toMatch(/^repair --host c did not rebuild its containers/);
    expect(s.steps[4].saw).toMatch(/^host c still has 1 container/);
    const bChanged = setup({ docker: (a, w) => (a[2] === "ps" && a[1].includes("/b/") ? ok(w.runs.includes("apply-without-c") ? "b9\n" : "b1\n") : undefined) });
    const b = await fleetAct(bChanged.t, bChanged.o);
    expect(b.steps[3].status).toBe("pass");
    expect(b.steps[4].saw).toMatch(/^host b's containers changed/);
    let v = 0;
    const gone = setup({ docker: (a) => (a[2] === "volume" ? ok(++v > 1 ? "" : "logging-testenv-alloy-data\n") : undefined) });
    expect((await fleetAct(gone.t, gone.o)).steps[4].saw).toMatch(/^host c's data volumes changed/);
  });

  it("step 4 fails when repair --host c touches b; step 6 when adding c back changes b or leaves c empty", async () => {
    const touched = setup({ docker: (a, w) => (a[2] === "ps" && a[1].includes("/b/") ? ok(w.runs.includes("repair") ? "b8\n" : "b1\n") : undefined) });
    expect((await fleetAct(touched.t, touched.o)).steps[3].saw).toMatch(/^repair --host c changed host b's containers/);
    const bMoved = setup({ docker: (a, w) => (a[2] === "ps" && a[1].includes("/b/") ? ok(w.runs.includes("apply-with-c") ? "b7\n" : "b1\n") : undefined) });
    const m = await fleetAct(bMoved.t, bMoved.o);
    expect(m.steps.map((x) => x.status)).toEqual(["pass", "pass", "pass", "pass", "pass", "fail", "pass"]);
    expect(m.steps[5].saw).toMatch(/^adding host c changed host b's containers/);
    const lokiToo = setup({ docker: (a, w) => (a[0] === "ps" && w.runs.includes("apply-with-c") && w.central["logging-testenv-loki"] ? ok("logging-testenv-loki l9\nlogging-testenv-prometheus p2\nlogging-testenv-gateway g2\n") : undefined) });
    expect((await fleetAct(lokiToo.t, lokiToo.o)).steps[5].saw).toBe("adding host c replaced central containers [logging-testenv-gateway logging-testenv-loki logging-testenv-prometheus]; their rendered config changes only for [logging-testenv-gateway logging-testenv-prometheus]");
    const empty = setup({ docker: (a, w) => (a[2] === "ps" && a[1].includes("/c/") && w.runs.includes("apply-with-c") ? ok("") : undefined) });
    expect((await fleetAct(empty.t, empty.o)).steps[5].saw).toBe("host c has no container of logging-testenv after it was added back");
  });

  it("step 1 failing skips 2-6 and still takes the environment down", async () => {
    const { w, t, o } = setup({ bash: (a) => (a[0] === "test/env/up.sh" ? { code: 1, stdout: "", stderr: "bootstrap --mode apply failed" } : undefined) });
    const r = await fleetAct(t, o);
    expect(r.steps.map((s) => s.status)).toEqual(["fail", "skipped", "skipped", "skipped", "skipped", "skipped", "pass"]);
    expect(r.steps[0].saw).toMatch(/up\.sh .* exited 1/);
    expect(w.calls.some((c) => c.includes("hosts.sh"))).toBe(false);
    expect(w.calls.at(-3)).toBe("env TESTENV_FLEET=1 TESTENV_KEEP_ENGINE=1 bash test/env/down.sh");
  });

  it("step 2 and step 7 fail on what they see: a LAN check that does not hold, a fleet host left after down", async () => {
    const { t, o } = setup({
      "node_modules/.bin/tsx": () => ({ code: 1, stdout: JSON.stringify({ ok: false, checks: [{ what: "loki's port 19102 on 10.250.0.1", ok: false, detail: "accepts a connection" }] }), stderr: "" }),
      ip: () => ok("fleet-c (id: 1)\n"),
    });
    const r = await fleetAct(t, o);
    expect(r.steps[1].saw).toBe("lan-probe exited 1 against 10.250.0.1: loki's port 19102 on 10.250.0.1: accepts a connection");
    expect(r.steps[6].saw).toBe("fleet hosts left after down: fleet-c");
  });
});
