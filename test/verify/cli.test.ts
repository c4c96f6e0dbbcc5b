// The verify CLI's pure parts and the suite's aggregation (no Docker, no network beyond 127.0.0.1).
import { exitCodeOf, imagesFromRecord, mergeHealth, resolveImages } from "../../components/verify/suite";
import { enabledLevels, levelPlan } from "../../components/verify/spec";
import type { Level, ProofResult } from "../../components/verify/types";
import type { ErrorCode } from "../../contracts/errors";
import { formatReport, grafanaPasswordFrom, HELP, main, parseEnvFile, parseVerifyArgs, redact } from "../../scripts/verify";
import { EXPECTED, Fault, FaultContext, tarOf } from "../tools/faults/support";
import { faults } from "../tools/faults/catalog";
import { runMatrix } from "../tools/faults/matrix";
import { FakeDocker, makeTestIo, tmpDir } from "./fakes";
import * as fs from "fs";
import * as path from "path";

const res = (status: ProofResult["status"], extra: Partial<ProofResult> = {}): ProofResult => ({ level: "L2", status, durationMs: 1, findings: [], diagnostics: {}, ...extra });

describe("verify CLI", () => {
  test("arguments: stack required, levels validated, defaults", () => {
    expect(parseVerifyArgs(["--stack", "test"])).toEqual({ stack: "test", sequential: false, json: false, configFile: undefined, secretsFile: undefined, recorded: undefined, probeImage: undefined, levels: undefined, ingestionTimeout: undefined });
    expect(parseVerifyArgs(["--stack", "t", "--levels", "l1,L8", "--json", "--sequential"])).toMatchObject({ levels: ["L1", "L8"], json: true, sequential: true });
    expect(() => parseVerifyArgs([])).toThrow("--stack <name> is required");
    expect(() => parseVerifyArgs(["--stack", "t", "--levels", "L10"])).toThrow("unknown level(s) L10; use L1..L9");
    expect(parseVerifyArgs(["--stack", "t", "--levels", "L9", "--alert-timeout", "30"])).toMatchObject({ levels: ["L9"], alertTimeout: 30 });
    expect(() => parseVerifyArgs(["--stack", "t", "--alert-timeout", "1.5"])).toThrow("--alert-timeout takes whole seconds");
    expect(() => parseVerifyArgs(["--stack", "t", "--bogus"])).toThrow();
    expect(parseVerifyArgs(["--help"])).toBe("help");
    expect(HELP).toContain("Exit codes (the same for every logging-bootstrap command):");
  });
  test("secrets file: env style, quotes, comments; env var as fallback", () => {
    expect(parseEnvFile('# c\nGRAFANA_ADMIN_PASSWORD="a b"\nexport X=1\nbad line\n')).toEqual({ GRAFANA_ADMIN_PASSWORD: "a b", X: "1" });
    const dir = tmpDir();
    const f = path.join(dir, "s.env");
    fs.writeFileSync(f, "GRAFANA_ADMIN_PASSWORD=fromfile\n");
    expect(grafanaPasswordFrom(f, { GRAFANA_ADMIN_PASSWORD: "fromenv" })).toBe("fromfile");
    expect(grafanaPasswordFrom(undefined, { GRAFANA_ADMIN_PASSWORD: "fromenv" })).toBe("fromenv");
    expect(grafanaPasswordFrom(undefined, {})).toBeUndefined();
  });
  test("redact replaces every occurrence of a secret", () => {
    expect(redact("x=pw1234 y=pw1234", ["pw1234", undefined])).toBe("x=***REDACTED*** y=***REDACTED***");
  });
  test("report: status, code with bucket, findings, diagnostics and the fix for non-green levels", () => {
    const skipped = [{ level: "L4" as const, name: "labels", reason: "verify.labels is false" }];
    const text = formatReport({ status: "red", exitCode: 2, parallel: true, durationMs: 1500, levels: [{ ...res("red", { level: "L6", code: "E_PROOF_RULES", findings: ["rule group g is not loaded"], diagnostics: { url: "u" } }), name: "rules", bucket: "proof" }], skipped }, "test");
    expect(text.split("\n")).toEqual([
      "verify test: RED in 1.50 s (parallel)",
      "  L6 rules        red      0.00 s  E_PROOF_RULES (proof)",
      "      - rule group g is not loaded",
      '      diagnostics: {"url":"u"}',
      "      fix: Run promtool check rules on the rendered rules file and check Prometheus' logs.",
      "  L4 labels       skipped  (verify.labels is false)",
    ]);
  });
});

describe("verify CLI: secrets file mode (P8)", () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
    try {
      return { code: await main(argv), out: out.join("") };
    } finally {
      spy.mockRestore();
    }
  };
  /** verify --json on `stack` with a secrets file holding `secret`, at `mode` (chmod: the umask does not narrow it). */
  const runWithSecretsFile = (stack: string, secret: string, mode: number) => {
    const f = path.join(tmpDir(), "secrets.env");
    fs.writeFileSync(f, `GRAFANA_ADMIN_PASSWORD=${secret}\n`, { mode });
    fs.chmodSync(f, mode);
    return run(["--stack", stack, "--secrets-file", f, "--json"]);
  };
  test("a --secrets-file readable by others is refused before it is read, with E_ENV_SECRETS_FILE_MODE (exit 3)", async () => {
    const r = await runWithSecretsFile("test", "loose-secret-value", 0o644);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ stack: "test", status: "error", error: { code: "E_ENV_SECRETS_FILE_MODE", bucket: "env" } });
    expect(r.out).not.toContain("loose-secret-value");
  });
  test("the same file at 0600 passes the mode check (the run then fails later, for another reason)", async () => {
    const r = await runWithSecretsFile("no-such-stack", "tight-secret-value", 0o600);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.out).error.code).toBe("E_CONFIG_FILE_MISSING");
    expect(r.out).not.toContain("tight-secret-value");
  });
});

describe("suite", () => {
  test("exit codes: 0 green, 1 warn only, 2 any red", () => {
    expect(exitCodeOf([res("green")])).toBe(0);
    expect(exitCodeOf([res("green"), res("warn")])).toBe(1);
    expect(exitCodeOf([res("warn"), res("red")])).toBe(2);
  });
  test("L1 per-service results merge into one level", () => {
    const m = mergeHealth([res("green", { level: "L1", diagnostics: { service: "a" } }), res("red", { level: "L1", code: "E_PROOF_HEALTH", findings: ["b: x"], diagnostics: { service: "b" } })], 7);
    expect(m).toEqual({ level: "L1", status: "red", code: "E_PROOF_HEALTH", durationMs: 7, findings: ["b: x"], diagnostics: { a: { service: "a" }, b: { service: "b" } } });
  });
  test("recorded images from stack outputs or testenv.json; incomplete records refused", () => {
    const svc = (id: string) => ({ imageId: id, repoDigest: `r@${id}` });
    const all = Object.fromEntries(["grafana", "loki", "alloy", "prometheus", "nodeExporter", "cadvisor", "alertmanager"].map((s) => [s, svc(`sha256:${s}`)]));
    expect(imagesFromRecord({ images: all }).loki).toEqual({ imageId: "sha256:loki", repoDigest: "r@sha256:loki" });
    expect(imagesFromRecord({ services: all }).cadvisor.imageId).toBe("sha256:cadvisor");
    expect(() => imagesFromRecord({ services: { loki: svc("x") } })).toThrow("record has no imageId for grafana");
  });
  test("without a record, L7 expects the registry's digest for the pinned tag (a re-tagged local image does not vouch for itself)", async () => {
    const docker = new FakeDocker();
    const D = `sha256:${"d".repeat(64)}`;
    docker.images.set("reg:5000/p/loki:3.0.0", { id: "sha256:local", repoDigests: [], repoTags: ["reg:5000/p/loki:3.0.0"] });
    docker.registryDigest = async (ref: string) => (ref === "reg:5000/p/loki:3.0.0" ? D : null);
    const images = { grafana: "g:1", loki: "reg:5000/p/loki:3.0.0", alloy: "a:1", prometheus: "p:1", nodeExporter: "n:1", cadvisor: "c:1", alertmanager: "am:1" };
    const d = { config: { images } } as never;
    const out = await resolveImages(d, makeTestIo(docker));
    expect(out.loki).toEqual({ imageId: "sha256:local", repoDigest: `reg:5000/p/loki@${D}` });
    expect(out.grafana).toEqual({ imageId: "<image not on the engine>", repoDigest: "", unverified: "the registry did not answer for this tag" });
    // No registry answer: the image's own RepoDigests are not evidence (it would vouch for itself).
    docker.images.set("reg:5000/p/alloy:1.0.0", { id: "sha256:a", repoDigests: [`reg:5000/p/alloy@${D}`], repoTags: [] });
    const silent = await resolveImages({ config: { images: { ...images, alloy: "reg:5000/p/alloy:1.0.0" } } } as never, makeTestIo(docker));
    expect(silent.alloy).toEqual({ imageId: "sha256:a", repoDigest: "", unverified: "the registry did not answer for this tag" });
    // offlineMode: no registry lookup at all.
    let asked = 0;
    docker.registryDigest = async () => (asked++, D);
    const offline = await resolveImages({ config: { images, offlineMode: true } } as never, makeTestIo(docker));
    expect(asked).toBe(0);
    expect(offline.loki.repoDigest).toBe("");
  });
  test("levels the config turns off are listed as skipped with the reason; L4 is off with L3 (it checks L3's marker)", () => {
    const on = { enabled: true, health: true, reachability: true, ingestion: true, labels: true, dashboards: true, rules: true, provenance: true, configDrift: true, alertDelivery: true };
    expect(levelPlan({ verify: { ...on, labels: false } as never }).skipped).toEqual([{ level: "L4", name: "labels", reason: "verify.labels is false" }]);
    expect(levelPlan({ verify: { ...on, ingestion: false } as never })).toEqual({
      run: ["L1", "L2", "L5", "L6", "L7", "L8", "L9"],
      skipped: [
        { level: "L3", name: "ingestion", reason: "verify.ingestion is false" },
        { level: "L4", name: "labels", reason: "it checks the output of L3 ingestion and verify.ingestion is false" },
      ],
    });
    expect(levelPlan({ verify: { ...on, enabled: false } as never }).skipped.map((k) => k.reason)).toEqual(Array(9).fill("verify.enabled is false"));
    expect(levelPlan({ verify: on as never }, ["L3", "L4"]).skipped.map((k) => `${k.level} ${k.reason}`)).toContain("L1 not asked for (--levels)");
  });
  test("verify.* toggles select levels", () => {
    const v = { enabled: true, health: true, reachability: false, ingestion: true, labels: true, dashboards: false, rules: true, provenance: true, configDrift: true } as never;
    expect(enabledLevels({ verify: v })).toEqual(["L1", "L3", "L4", "L6", "L7", "L8"]);
    expect(enabledLevels({ verify: { ...(v as object), alertDelivery: true } as never })).toEqual(["L1", "L3", "L4", "L6", "L7", "L8", "L9"]);
    expect(enabledLevels({ verify: { ...(v as object), enabled: false } as never })).toEqual([]);
  });
});

describe("fault tooling", () => {
  test("tarOf builds a valid one-file ustar archive", () => {
    const t = tarOf("f.yml", Buffer.from("hello\n"), 0o444);
    expect(t.length % 512).toBe(0);
    expect(t.subarray(0, 5).toString()).toBe("f.yml");
    expect(t.subarray(257, 262).toString()).toBe("ustar");
    expect(t.subarray(512, 518).toString()).toBe("hello\n");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : t[i];
    expect(parseInt(t.subarray(148, 154).toString(), 8)).toBe(sum);
  });
});

describe("fault matrix (runMatrix with scripted faults and proofs)", () => {
  const healthy = { getContainer: () => ({ inspect: async () => ({ State: { Running: true, Status: "running", Health: { Status: "healthy" } } }) }) };
  const ctx = () => ({ docker: healthy, envFile: "/x/testenv.json", env: { services: { loki: { container: "p-loki" } } }, log: () => undefined }) as unknown as FaultContext;
  const result = (level: Level, status: "green" | "red", code?: ErrorCode): ProofResult => ({ level, status, ...(code ? { code } : {}), durationMs: 1, findings: status === "red" ? ["broken"] : [], diagnostics: {} });
  const limits = { baseline: 1, red: 1, green: 1 };

  function scripted(level: Level, underFault: ProofResult, opts: { injectThrows?: boolean } = {}) {
    let faulted = false;
    const calls: string[] = [];
    const fault: Fault = {
      level,
      title: "t",
      inject: async () => {
        calls.push("inject");
        faulted = true;
        if (opts.injectThrows) throw new Error("half-way");
      },
      restore: async () => {
        calls.push("restore");
        faulted = false;
      },
    };
    const run = async () => (faulted ? underFault : result(level, "green"));
    return { fault, run, calls };
  }

  test("red with the expected code under the fault, green after restore: pass", async () => {
    const s = scripted("L8", result("L8", "red", "E_PROOF_CONFIG_DRIFT"));
    const [o] = await runMatrix(ctx(), {}, ["L8"], { faults: [s.fault], run: s.run, limits });
    expect(o).toMatchObject({ level: "L8", pass: true, underFault: { status: "red", code: "E_PROOF_CONFIG_DRIFT" }, afterRestore: { status: "green" } });
    expect(s.calls).toEqual(["inject", "restore"]);
  });

  test("a proof that stays green under its fault fails the matrix", async () => {
    const s = scripted("L8", result("L8", "green"));
    const [o] = await runMatrix(ctx(), {}, ["L8"], { faults: [s.fault], run: s.run, limits });
    expect(o).toMatchObject({ pass: false, underFault: { status: "green" } });
  });

  test("red with another code fails the matrix", async () => {
    const s = scripted("L4", result("L4", "red", "E_PROOF_LABEL_MISSING"));
    const [o] = await runMatrix(ctx(), {}, ["L4"], { faults: [s.fault], run: s.run, limits });
    expect(o).toMatchObject({ pass: false, expectedCode: "E_PROOF_CARDINALITY", underFault: { code: "E_PROOF_LABEL_MISSING" } });
  });

  test("an inject that fails half-way is still restored, and the outcome says so", async () => {
    const s = scripted("L7", result("L7", "red", "E_PROOF_PROVENANCE_MISMATCH"), { injectThrows: true });
    const [o] = await runMatrix(ctx(), {}, ["L7"], { faults: [s.fault], run: s.run, limits });
    expect(s.calls).toEqual(["inject", "restore"]);
    expect(o).toMatchObject({ pass: false, error: "inject failed: half-way", afterRestore: { status: "green" } });
  });

  test("the real matrix has a fault per level (L3: two), in order, each expecting its taxonomy code", () => {
    expect(faults().map((f) => `${f.level} ${f.expectedCode ?? EXPECTED[f.level]}`)).toEqual([
      "L1 E_PROOF_HEALTH",
      "L2 E_NETWORK_UNREACHABLE",
      "L3 E_PROOF_INGESTION_TIMEOUT",
      "L3 E_PROOF_REDACTION_FAILED",
      "L4 E_PROOF_CARDINALITY",
      "L5 E_PROOF_DASHBOARDS",
      "L6 E_PROOF_RULES",
      "L7 E_PROOF_PROVENANCE_MISMATCH",
      "L8 E_PROOF_CONFIG_DRIFT",
      "L8 E_PROOF_CONFIG_DRIFT",
      "L8 E_PROOF_CONFIG_DRIFT",
      "L8 E_PROOF_CONFIG_DRIFT",
      "L9 E_PROOF_ALERT_NOT_DELIVERED",
    ]);
  });
});
