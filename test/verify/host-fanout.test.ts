// The verify suite's fan-out over fleet hosts (suite.ts runHosts): one proof per host, all at once,
// each bounded; a host that is down or hangs stops no other; the report's status counts the hosts
// and formatReport prints a line per host.
import { runHost, runSuite, SuiteOptions } from "../../components/verify/suite";
import type { DesiredState } from "../../components/verify/spec";
import { formatReport } from "../../scripts/verify";
import { FakeDocker, makeTestIo } from "./fakes";
import { fakeHost } from "./host-fakes";

// No level runs (none asked for): the report is the hosts'.
const desired = { config: { verify: { enabled: true } } } as unknown as DesiredState;
const onlyHosts = (hosts: SuiteOptions["hosts"], parallel = true) => runSuite(desired, makeTestIo(new FakeDocker()), { levels: [], hosts, parallel });

it("one host down, the others green: each reported by name, the report red", async () => {
  const b = fakeHost({ name: "b" });
  const c = fakeHost({ name: "c", engine: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
  const d = fakeHost({ name: "d" });
  const r = await onlyHosts([b, c, d]);
  expect(r.levels).toEqual([]);
  expect(r.hosts!.map((h) => [h.host, h.status, h.code ?? null])).toEqual([
    ["b", "green", null],
    ["c", "red", "E_PROOF_HOST_UNREACHABLE"],
    ["d", "green", null],
  ]);
  expect(r.hosts![1]).toMatchObject({ bucket: "proof", findings: [`c: its Docker engine at ${c.input.dockerUrl} does not answer (ECONNREFUSED)`] });
  expect(r.status).toBe("red");
  expect(r.exitCode).toBe(2);
  // b and d were proven in full although c was down.
  for (const h of [b, d]) expect(h.runs).toHaveLength(1);

  const text = formatReport(r, "fleet");
  const hostLines = text.split("\n").filter((l) => /^ {2}host /.test(l));
  expect(hostLines).toHaveLength(3);
  expect(hostLines[1]).toMatch(/^ {2}host c\s+red\s+\d+\.\d{2} s {2}E_PROOF_HOST_UNREACHABLE \(proof\)$/);
  expect(text).toContain(`      - c: its Docker engine at ${c.input.dockerUrl} does not answer (ECONNREFUSED)`);
  expect(text).toMatch(/fix: Check that the host is up/);
});

it("all hosts green: the report is green; no hosts given: no hosts in the report", async () => {
  const r = await onlyHosts([fakeHost({ name: "b" }), fakeHost({ name: "c" })]);
  expect(r.status).toBe("green");
  expect(r.hosts!.every((h) => h.status === "green" && h.findings.length === 0)).toBe(true);
  const none = await runSuite(desired, makeTestIo(new FakeDocker()), { levels: [] });
  expect(none.hosts).toBeUndefined();
});

it("a host whose proof hangs is red with its name at its bound; the others are not held up", async () => {
  const hung = fakeHost({ name: "h", engine: "hang" });
  const ok = fakeHost({ name: "ok", realClock: true });
  const t0 = Date.now();
  const r = await onlyHosts([{ ...hung, budgetMs: 400 }, ok]);
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(r.hosts![0]).toMatchObject({ host: "h", status: "red", code: "E_PROOF_HOST_UNREACHABLE", findings: ["h: the host's proof did not finish within 0.4 s"] });
  expect(r.hosts![1].status).toBe("green");
});

it("a proof that throws is red with the host's name, not a failed suite", async () => {
  const h = fakeHost({ name: "x" });
  const r = await runHost({ ...h, io: { ...h.io, randomHex: () => { throw new TypeError("boom"); } } });
  expect(r).toMatchObject({ host: "x", status: "red", code: "E_INTERNAL", findings: ["x: boom"] });
});

it("hosts run in parallel: three hosts take about as long as one, in sequence about three times as long", async () => {
  // Every engine and HTTP answer takes 40 ms, on the real clock.
  const mk = (n: number) => Array.from({ length: n }, (_, i) => fakeHost({ name: `h${i}`, latencyMs: 40, realClock: true }));
  const wall = async (n: number, parallel: boolean) => {
    const t0 = Date.now();
    const r = await onlyHosts(mk(n), parallel);
    expect(r.status).toBe("green");
    return Date.now() - t0;
  };
  await wall(1, true); // warm-up
  const one = await wall(1, true);
  const three = await wall(3, true);
  const serial = await wall(3, false);
  expect(three).toBeLessThan(one * 1.8);
  expect(serial).toBeGreaterThan(one * 2.5);
});
