// test/e2e/e2e.ts with a fake for pulumi, npm, docker and git: the exact order of the steps, and
// that each check fails the run when what it checks is not so (the real run is `npm run e2e`).
import fs from "node:fs";
import { e2e, E2EFailure, Run, Tools } from "../e2e/e2e";
import { tmpDir } from "../verify/fakes";

const O = { stack: "testenv", stackFile: "/t/Pulumi.testenv.yaml", project: "lt", outDir: "" };
const URN = (c: string) => `urn:pulumi:testenv::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$docker:index/container:Container::${c}`;

interface World {
  calls: string[];
  destroyed: boolean;
  faults: number;
  repaired: boolean;
  over: Partial<Record<string, (args: string[]) => Run | undefined>>;
}

function fake(w: World, outDir: string): Tools {
  const ok = (stdout = ""): Run => ({ code: 0, stdout, stderr: "" });
  return {
    log: () => undefined,
    async run(cmd, args) {
      const line = `${cmd} ${args.join(" ")}`;
      w.calls.push(line.replace(/\/tmp\/lb-e2e-[^/ ]+/g, "<tmp>"));
      const forced = w.over[cmd]?.(args);
      if (forced) return forced;
      if (cmd === "git") return ok(w.destroyed ? "" : "");
      if (cmd === "pulumi" && args[0] === "version") return ok("v3.274.1\n");
      if (cmd === "npm" && args.includes("destroy")) {
        w.destroyed = true;
        return { code: 0, stdout: "", stderr: "kept: data volume lt-grafana-data\nkept: data volume lt-loki-data\n" };
      }
      if (cmd === "pulumi" && args[0] === "stack" && args[1] === "export") {
        const file = args[args.indexOf("--file") + 1];
        const res = ["lt-loki", "lt-prometheus"].map((n) => ({ urn: URN(n), type: "docker:index/container:Container", outputs: { name: n } }));
        fs.writeFileSync(file, JSON.stringify({ deployment: { resources: res } }));
        return ok();
      }
      if (cmd === "docker" && args[0] === "cp" && args[1].startsWith("lt-loki:")) {
        fs.writeFileSync(args[2], "auth_enabled: false\n");
        return ok();
      }
      if (cmd === "docker" && args[0] === "cp") w.faults++;
      if (cmd === "docker" && args[0] === "stop") w.faults++;
      if (cmd === "docker" && args[0] === "ps") return ok(w.destroyed ? "" : "abc\n");
      if (cmd === "docker" && args[0] === "volume") return ok("lt-loki-data\nlt-grafana-data\n");
      if (cmd === "npm" && args.includes("--mode")) {
        const mode = args[args.indexOf("--mode") + 1];
        if (mode === "repair") w.repaired = true;
        if (mode === "apply" && args.includes("--json")) {
          fs.mkdirSync(`${outDir}/runs/r1`, { recursive: true });
          fs.writeFileSync(`${outDir}/runs/r1/verify.report.json`, JSON.stringify({ report: { status: "green", levels: [] } }));
          return ok(JSON.stringify({ run_id: "r1", status: "green", errors: [] }));
        }
        if (mode === "drift" && w.faults > 0 && !w.repaired) return { code: 1, stdout: JSON.stringify({ run_id: "r2", status: "red", errors: [{ code: "E_PROOF_DRIFT" }] }), stderr: "" };
        if (mode === "backup") return ok(JSON.stringify({ run_id: "b1", status: "green", errors: [] }));
        if (mode === "restore") return ok(JSON.stringify({ run_id: "r3", status: "green", errors: [] }));
      }
      return ok();
    },
  };
}

let dir: string;
let w: World;
beforeEach(() => {
  dir = tmpDir("lb-e2e-test-");
  w = { calls: [], destroyed: false, faults: 0, repaired: false, over: {} };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const boot = (mode: string, ...x: string[]) => `npm run -s bootstrap -- --mode ${mode} --stack testenv --config-file /t/Pulumi.testenv.yaml${x.length ? " " + x.join(" ") : ""}`;
const VOLUMES = "docker volume ls -q --filter label=logging-bootstrap.project=lt --filter label=logging-bootstrap.data=true";

it("runs diagnose, apply, drift, idempotency, faults -> drift -> repair, backup -> restore, destroy in that order", async () => {
  await e2e(fake(w, dir), { ...O, outDir: dir });
  expect(w.calls).toEqual([
    "git status --porcelain --untracked-files=all",
    "pulumi version",
    boot("diagnose"),
    boot("apply", "--json"),
    boot("drift"),
    "pulumi preview --config-file /t/Pulumi.testenv.yaml --expect-no-changes --stack testenv --non-interactive",
    boot("apply", "--verify-idempotency"),
    "docker cp lt-loki:/etc/loki/config.yaml <tmp>/config.yaml",
    "docker cp <tmp>/config.yaml lt-loki:/etc/loki/config.yaml",
    boot("drift", "--json"),
    "docker stop -t 2 lt-prometheus",
    boot("drift", "--json"),
    "pulumi stack export --stack testenv --non-interactive --file <tmp>/state.json",
    boot("repair", "--target", URN("lt-loki"), "--target", URN("lt-prometheus")),
    boot("drift"),
    "pulumi preview --config-file /t/Pulumi.testenv.yaml --expect-no-changes --stack testenv --non-interactive",
    boot("backup", "--json"),
    boot("restore", "--run", "b1", "--json"),
    VOLUMES,
    boot("destroy"),
    "docker ps -aq --filter label=logging-bootstrap.project=lt",
    VOLUMES,
    "git status --porcelain --untracked-files=all",
    "npm run -s recall -- list --stack testenv --limit 10",
  ]);
});

const red: Run = { code: 1, stdout: "", stderr: "boom" };
it.each([
  ["verify is not green after apply", () => (w.over.npm = (a) => (a.includes("apply") && a.includes("--json") ? { code: 0, stdout: JSON.stringify({ run_id: "r1", status: "green" }), stderr: "" } : undefined)), /verify straight after apply is missing/],
  ["drift on a fresh stack", () => (w.over.npm = (a) => (a.includes("drift") && !a.includes("--json") ? red : undefined)), /drift on a freshly applied stack exited 1/],
  ["a second up would change the stack", () => (w.over.pulumi = (a) => (a[0] === "preview" ? red : undefined)), /a second up would change the stack/],
  ["a fault does not show as drift", () => (w.over.npm = (a) => (a.includes("drift") && a.includes("--json") ? { code: 0, stdout: "{}", stderr: "" } : undefined)), /should report E_PROOF_DRIFT \(exit 1\), got exit 0/],
  ["repair fails", () => (w.over.npm = (a) => (a.includes("repair") ? red : undefined)), /^repair exited 1/],
  ["restore is not green", () => (w.over.npm = (a) => (a.includes("restore") ? { code: 0, stdout: JSON.stringify({ run_id: "r3", status: "red" }), stderr: "" } : undefined)), /restore of b1 is not green/],
  ["destroy does not say what it kept", () => (w.over.npm = (a) => (a.includes("destroy") ? ((w.destroyed = true), { code: 0, stdout: "", stderr: "" }) : undefined)), /destroy did not say it kept lt-grafana-data/],
  ["containers survive destroy", () => (w.over.docker = (a) => (a[0] === "ps" ? { code: 0, stdout: "abc\n", stderr: "" } : undefined)), /survived destroy: abc/],
  ["destroy deletes a data volume", () => (w.over.docker = (a) => (a[0] === "volume" && w.destroyed ? { code: 0, stdout: "lt-loki-data\n", stderr: "" } : undefined)), /data volumes changed on destroy/],
  ["the work tree changes", () => (w.over.git = () => (w.destroyed ? { code: 0, stdout: " M Pulumi.testenv.yaml\n", stderr: "" } : undefined)), /git status changed during the run/],
] as const)("fails when %s", async (_what, arrange, message) => {
  arrange();
  const run = e2e(fake(w, dir), { ...O, outDir: dir });
  await expect(run).rejects.toBeInstanceOf(E2EFailure);
  await expect(run).rejects.toThrow(message);
});
