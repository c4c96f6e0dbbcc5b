// The fleet act's pure helpers (test/e2e/fleet/judge.ts): reading verify's --json report, judging it,
// the stack file without a host, the bounded poll and the summary.
import YAML from "yaml";
import { describeVerify, formatSummary, hostNames, parseVerifyReport, poll, problemsAllGreen, problemsHostDown, sameSet, withoutHost } from "./fleet/judge";

const report = (over: { status?: string; levels?: unknown[]; hosts?: unknown[] } = {}) =>
  JSON.stringify({
    stack: "testenv",
    status: over.status ?? "green",
    levels: over.levels ?? [
      { level: "L1", status: "green", findings: [] },
      { level: "L3", status: "green", findings: [] },
    ],
    hosts: over.hosts ?? [
      { host: "b", status: "green", findings: ["ok"], durationMs: 1 },
      { host: "c", status: "green", findings: ["ok"], durationMs: 1 },
    ],
  });
const cDown = report({ status: "red", hosts: [{ host: "b", status: "green", findings: [] }, { host: "c", status: "red", code: "E_PROOF_HOST_UNREACHABLE", findings: ["host c: its engine at tcp://10.250.2.2:2376 does not answer"] }] });

describe("verify's report", () => {
  it("is read from stdout (anything before the JSON ignored), and a could-not-run record names its code", () => {
    const v = parseVerifyReport("npm notice\n" + cDown);
    expect(v?.hosts.map((h) => `${h.host}:${h.status}:${h.code ?? ""}`)).toEqual(["b:green:", "c:red:E_PROOF_HOST_UNREACHABLE"]);
    expect(parseVerifyReport("no json")).toBeUndefined();
    expect(parseVerifyReport('{"stack":"s","status":"error","error":{"code":"E_ENV_DOCKER"}}')?.error).toBe("E_ENV_DOCKER");
  });

  it("is described in one line: exit, status, levels not green, every host (a red host's first finding)", () => {
    expect(describeVerify(0, parseVerifyReport(report()))).toBe("exit 0, green; 2 levels green; host b green; host c green");
    expect(describeVerify(1, parseVerifyReport(cDown))).toBe("exit 1, red; 2 levels green; host b green; host c red E_PROOF_HOST_UNREACHABLE (host c: its engine at tcp://10.250.2.2:2376 does not answer)");
    expect(describeVerify(3, undefined)).toBe("exit 3, no JSON report on stdout");
  });

  it("all green: exit 0, status green, every level and every named host green", () => {
    expect(problemsAllGreen(0, parseVerifyReport(report()), ["b", "c"])).toEqual([]);
    expect(problemsAllGreen(1, parseVerifyReport(cDown), ["b", "c"])).toEqual(["exit 1, want 0", "status red, want green", "host c is red (E_PROOF_HOST_UNREACHABLE)"]);
    expect(problemsAllGreen(0, parseVerifyReport(report({ hosts: [{ host: "b", status: "green" }] })), ["b", "c"])).toEqual(["no line for host c"]);
    expect(problemsAllGreen(0, parseVerifyReport(report({ status: "warn", levels: [{ level: "L7", status: "warn" }] })), [])).toEqual(["status warn, want green", "L7 is warn"]);
  });

  it("host down: exit 1, red, that host red with E_PROOF_HOST_*, the others green, no level red", () => {
    expect(problemsHostDown(1, parseVerifyReport(cDown), "c", ["b"])).toEqual([]);
    expect(problemsHostDown(0, parseVerifyReport(report()), "c", ["b"])).toEqual(["exit 0, want 1", "status green, want red", "host c is green, want red", "host c's code is none, want E_PROOF_HOST_*"]);
    const otherCode = report({ status: "red", levels: [{ level: "L3", status: "red", code: "E_PROOF_INGESTION" }], hosts: [{ host: "b", status: "red", code: "E_PROOF_HOST_SILENT" }, { host: "c", status: "red", code: "E_INTERNAL" }] });
    expect(problemsHostDown(1, parseVerifyReport(otherCode), "c", ["b"])).toEqual(["host c's code is E_INTERNAL, want E_PROOF_HOST_*", "host b is red (E_PROOF_HOST_SILENT), want green", "L3 is red (E_PROOF_INGESTION)"]);
  });
});

describe("the stack file without a host", () => {
  const file = [
    "# the fleet",
    "config:",
    "  logging-bootstrap:projectName: logging-testenv",
    "  logging-bootstrap:hosts:",
    "    - name: local",
    "      central: true",
    "      address: 10.250.0.1",
    "    - name: b # unix socket",
    "      address: 10.250.1.2",
    "    - name: c",
    "      address: 10.250.2.2",
    "      docker:",
    "        host: tcp://10.250.2.2:2376",
    "        tls:",
    "          keyPem:",
    "            secure: v1:abc",
    "encryptionsalt: v1:salt",
    "",
  ].join("\n");

  it("drops that entry only; comments, other keys and the salt stay", () => {
    const out = withoutHost(file, "c");
    expect(hostNames(out)).toEqual(["local", "b"]);
    expect(out).toContain("# the fleet");
    expect(out).toContain("- name: b # unix socket");
    expect(out).toContain("encryptionsalt: v1:salt");
    expect(out).not.toContain("secure: v1:abc");
    expect(YAML.parse(out).config["logging-bootstrap:projectName"]).toBe("logging-testenv");
    expect(hostNames(withoutHost(file, "b"))).toEqual(["local", "c"]);
  });

  it("refuses a host that is not there, the central host, and a file without hosts", () => {
    expect(() => withoutHost(file, "d")).toThrow("host d is not in logging-bootstrap:hosts");
    expect(() => withoutHost(file, "local")).toThrow("central");
    expect(() => withoutHost("config:\n  a: 1\n", "c")).toThrow("no logging-bootstrap:hosts list");
  });
});

describe("poll", () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, sleep: async (ms: number) => void (now += ms), advance: (ms: number) => void (now += ms) };
  };

  it("stops at the first try that is done, printing every try", async () => {
    const c = clock();
    const seen: string[] = [];
    const r = await poll(c, 60_000, 5000, async (n) => ({ done: n === 3, seen: `try ${n}` }), (n, s, what) => seen.push(`${n}@${s}:${what}`));
    expect(r).toMatchObject({ done: true, tries: 3 });
    expect(seen).toEqual(["1@0:try 1", "2@5:try 2", "3@10:try 3"]);
  });

  it("starts no try after its deadline (each try's own time counts) and says what the last one saw", async () => {
    const c = clock();
    const r = await poll(c, 30_000, 5000, async (n) => (c.advance(7000), { done: false, seen: `try ${n}` }), () => undefined);
    expect(r.done).toBe(false);
    expect(r.tries).toBe(3); // 7 s, 19 s, 31 s: no fourth
    expect(r.last.seen).toBe("try 3");
    expect(c.now()).toBeLessThanOrEqual(31_000);
  });
});

describe("summary", () => {
  it("one line per step with its status and seconds, then the verdict", () => {
    const s = formatSummary(
      [
        { n: 1, title: "up", status: "pass", seconds: 300, saw: "green" },
        { n: 2, title: "probe", status: "fail", seconds: 3, saw: "exit 1" },
        { n: 3, title: "stop", status: "skipped", seconds: 0, saw: "not run" },
      ],
      303,
    );
    expect(s.split("\n")).toEqual([
      "e2e:fleet summary",
      "  1. up          PASS      300 s  green",
      "  2. probe       FAIL        3 s  exit 1",
      "  3. stop        SKIPPED     0 s  not run",
      "e2e:fleet: FAILED (1/3 steps passed) in 303 s",
    ]);
    expect(formatSummary([{ n: 1, title: "up", status: "pass", seconds: 1, saw: "" }], 1)).toContain("PASSED (1/1 steps passed)");
  });

  it("sameSet ignores order", () => {
    expect(sameSet(["b", "a"], ["a", "b"])).toBe(true);
    expect(sameSet(["a"], ["a", "b"])).toBe(false);
  });
});
