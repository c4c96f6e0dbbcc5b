// The run's pure helpers: durations and the heartbeat, the one exit-code table, the local stack from
// its template (and the registry mirror), what npm start prints last, what destroy keeps.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { formatDuration, heartbeatLine, Progress } from "../../scripts/lib/progress";
import { EXIT, EXIT_CODES_HELP, exitForCode, exitForErrors } from "../../scripts/lib/exit-codes";
import { allCodes } from "../../contracts/errors";
import { LOCAL_TEMPLATE, materializeLocalStack, mirrorRef, withMirror } from "../../scripts/lib/local-stack";
import { accessLines, lastRun } from "../../scripts/start";
import { dataVolumesOf, keptLines, pickBackup, volumesOfState } from "../../scripts/lib/bootstrap/data";
import { lintFile } from "../../scripts/lib/lint-file";
import { REPO } from "./helpers";
import { redactor } from "../../scripts/lib/redact";

describe("durations and the heartbeat", () => {
  it("s and min, never ms", () => {
    expect([870, 9_949, 12_300, 59_600, 125_000, 3_725_000].map(formatDuration)).toEqual(["0.9 s", "9.9 s", "12 s", "60 s", "2 min 05 s", "62 min 05 s"]);
  });
  it("a heartbeat only after a quiet interval, naming what is still running", () => {
    const s = { step: "up", stepStarted: 0, lastLine: 0, waitingOn: () => ["a 10 s", "b", "c", "d", "e", "f"] };
    expect(heartbeatLine(s, 29_999, 30_000)).toBeUndefined();
    expect(heartbeatLine(s, 95_000, 30_000)).toBe("... up still running (1 min 35 s); waiting on a 10 s, b, c, d and 2 more");
    expect(heartbeatLine({ ...s, waitingOn: () => [] }, 30_000, 30_000)).toBe("... up still running (30 s)");
  });
  it("Progress stamps lines with the run's elapsed time and beats while a step prints nothing", () => {
    let now = 1_000;
    const lines: string[] = [];
    const p = new Progress((l) => lines.push(l), 30_000, () => now);
    p.begin("up", "up: pulumi up");
    now += 31_000;
    p.beat();
    now += 5_000;
    p.beat(); // printed 5 s ago: quiet
    p.line("created container x (36 s)");
    p.end();
    expect(lines).toEqual(["[    0.0 s] up: pulumi up", "[     31 s] ... up still running (31 s)", "[     36 s] created container x (36 s)"]);
  });
});

describe("one exit-code table", () => {
  it("every code has one exit meaning: usage 2, refusals 4, environment 3, the rest red 1", () => {
    expect(exitForCode("E_ENV_USAGE")).toBe(EXIT.USAGE);
    for (const c of ["E_ENV_MODE_VIOLATION", "E_ENV_CONFIRMATION_REQUIRED", "E_ENV_DATA_PROTECTED", "E_ENV_ROLLBACK_UNAVAILABLE", "E_DEPS_SNAPSHOT_MISMATCH"] as const) expect(exitForCode(c)).toBe(EXIT.REFUSED);
    for (const c of ["E_ENV_TOOL_MISSING", "E_ENV_BACKEND_LOGIN", "E_ENV_NO_PASSPHRASE", "E_ENV_STACK_NOT_FOUND", "E_ENV_LOCK_HELD", "E_ENV_DOCKER_UNREACHABLE", "E_CONFIG_FILE_MISSING"] as const) expect(exitForCode(c)).toBe(EXIT.ENV);
    for (const c of ["E_PROOF_DRIFT", "E_RUNTIME_DEPLOY_FAILED", "E_CONFIG_INVALID_PORT", "E_INTERNAL"] as const) expect(exitForCode(c)).toBe(EXIT.RED);
    for (const c of allCodes()) expect([1, 2, 3, 4]).toContain(exitForCode(c));
    expect(exitForErrors([])).toBe(0);
    expect(exitForErrors([{ code: "E_PROOF_HEALTH" }, { code: "E_ENV_LOCK_HELD" }])).toBe(3);
    expect(exitForErrors([{ code: "E_ENV_LOCK_HELD" }, { code: "E_ENV_MODE_VIOLATION" }])).toBe(4);
  });
  it("the README prints the same table", () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    for (const line of EXIT_CODES_HELP.split("\n").slice(1)) expect(readme).toContain(line.trim().replace(/\s+/, " | ").replace(/^(\S+) \| /, "| $1 | "));
  });
});

describe("the local stack from its template", () => {
  it("a mirror serves every image under the same repository path and tag", () => {
    expect(mirrorRef("grafana/grafana:13.2.0", "127.0.0.1:5000/mirror")).toBe("127.0.0.1:5000/mirror/grafana/grafana:13.2.0");
    expect(mirrorRef("ghcr.io/google/cadvisor:v0.60.5@sha256:" + "a".repeat(64), "reg.lan:5000/")).toBe(`reg.lan:5000/google/cadvisor:v0.60.5@sha256:${"a".repeat(64)}`);
    expect(mirrorRef("localhost/x/y:1", "m.lan")).toBe("m.lan/x/y:1");
    expect(() => mirrorRef("a:1", "not a host")).toThrow(/E_ENV_USAGE/);
  });
  it("writes Pulumi.local.yaml once from the template (mirror applied, nothing else changed), never the template", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "lb-local-"));
    try {
      fs.mkdirSync(path.join(root, "stacks"));
      fs.copyFileSync(path.join(REPO, LOCAL_TEMPLATE), path.join(root, LOCAL_TEMPLATE));
      const template = fs.readFileSync(path.join(root, LOCAL_TEMPLATE), "utf8");
      expect(materializeLocalStack(root, "test", {})).toBeUndefined(); // only the template-backed stack
      expect(materializeLocalStack(root, "local", { LOGGING_BOOTSTRAP_REGISTRY_MIRROR: "127.0.0.1:5000/mirror" })).toBe("Pulumi.local.yaml written from stacks/local.template.yaml (images from the mirror 127.0.0.1:5000/mirror)");
      const copy = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.local.yaml"), "utf8")).config;
      const orig = YAML.parse(template).config;
      expect(copy["logging-bootstrap:images"].cadvisor).toBe("127.0.0.1:5000/mirror/google/cadvisor:v0.60.5");
      expect({ ...copy, "logging-bootstrap:images": undefined }).toEqual({ ...orig, "logging-bootstrap:images": undefined });
      fs.appendFileSync(path.join(root, "Pulumi.local.yaml"), "encryptionsalt: v1:x\n");
      expect(materializeLocalStack(root, "local", {})).toBeUndefined(); // the copy holds the salt and the operator's changes
      expect(fs.readFileSync(path.join(root, "Pulumi.local.yaml"), "utf8")).toContain("encryptionsalt: v1:x");
      expect(fs.readFileSync(path.join(root, LOCAL_TEMPLATE), "utf8")).toBe(template);
      expect(withMirror(template, undefined)).toBe(template);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
  it("the template passes config:lint (warnings only) and is gitignored as a copy", () => {
    const report = lintFile(path.join(REPO, LOCAL_TEMPLATE));
    expect([report.ok, report.errors]).toEqual([true, []]);
    expect(fs.readFileSync(path.join(REPO, ".gitignore"), "utf8").split("\n")).toEqual(expect.arrayContaining(["Pulumi.local.yaml", ".pulumi-state/"]));
  });
});

describe("what npm start prints last", () => {
  it("the Grafana URL from the apply's outputs, the user, and the password command", () => {
    const runs = ['{"mode":"apply","stack":"local","bundle":"runs/a"}', '{"mode":"diagnose","stack":"local","bundle":"runs/b"}', "not json", '{"mode":"apply","stack":"other","bundle":"runs/c"}', ""].join("\n");
    expect(lastRun(runs, "apply", "local")).toMatchObject({ bundle: "runs/a" });
    const lines = accessLines("local", { endpoints: { grafana: "http://127.0.0.1:9201" } }, true);
    expect(lines).toEqual(["Grafana:          http://127.0.0.1:9201", "user:             admin", "password command: npm run -s password"]);
    expect(accessLines("dev", undefined, false)[2]).toBe("password command: npm run -s password -- --stack dev");
    // printed through the redactor, the command stays readable
    expect(redactor.text(lines.join("\n"))).toBe(lines.join("\n"));
  });
});

describe("what destroy keeps, what backup archives, which backup restore uses", () => {
  it("reads volumes, their protection and bound host directories from the state", () => {
    const r = (name: string, extra: Record<string, unknown> = {}) => ({ urn: `u::${name}`, type: "docker:index/volume:Volume", outputs: { name }, ...extra });
    const vols = volumesOfState({ resources: [r("b"), r("a", { protect: true, outputs: { name: "a", driverOpts: { device: "/srv/a" } } }), { type: "docker:index/container:Container", outputs: { name: "c" } }] });
    expect(vols).toEqual([{ urn: "u::a", name: "a", protect: true, hostDir: "/srv/a" }, { urn: "u::b", name: "b", protect: false }]);
    expect(keptLines(vols, false)).toEqual(["kept (protected, still in state): volume a (host data in /srv/a)", "kept: data volume b"]);
    expect(keptLines(vols, true)).toEqual(["kept (protected, still in state): volume a (host data in /srv/a)"]);
    expect(dataVolumesOf({ images: { loki: { ref: "l:1" }, grafana: { ref: "g:1" } }, containers: { loki: "c-loki" }, volumes: { loki: "c-loki-data" } })).toEqual([{ service: "loki", volume: "c-loki-data", container: "c-loki", dataPath: "/loki", image: "l:1" }]);
    expect(pickBackup([{ run: "r1", stack: "s" }, { run: "r2", stack: "s" }, { run: "r3", stack: "o" }], "s")).toBe("r2");
    expect(pickBackup([{ run: "r1", stack: "s" }], "s", "r3")).toBeUndefined();
  });
});

describe("secrets learned from a state export", () => {
  it("a secret scalar is learned as it is; a secret structure only by its secret leaves; no document-sized value", async () => {
    const { learnStateSecrets } = await import("../../scripts/lib/bootstrap/run-step");
    const { redactor } = await import("../../scripts/lib/redact");
    const SIG = "4dabf18193072939515e22adb298388d";
    const secret = (v: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) });
    const before = redactor.size;
    learnStateSecrets({
      deployment: {
        resources: [
          { outputs: { result: secret("gen-pw-7Qx2") } },
          { outputs: { uploads: secret([{ file: "/etc/grafana/dashboards/health.json", content: '{"title":"Stack health dashboard"}' }, { file: "/x", password: "leaf-pw-9Zk" }]) } },
          { outputs: { big: secret("x".repeat(20_000)) } },
        ],
      },
    });
    expect(redactor.text("login gen-pw-7Qx2 leaf-pw-9Zk")).toBe("login ***REDACTED*** ***REDACTED***");
    expect(redactor.text('{"title":"Stack health dashboard"}')).toBe('{"title":"Stack health dashboard"}');
    expect(redactor.size).toBe(before + 2);
  });
});
