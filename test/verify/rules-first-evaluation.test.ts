// L6 and a rule group's first evaluation: a rule that is loaded and not yet evaluated (health
// "unknown", Prometheus's zero lastEvaluation) passes while its group can still be waiting for the
// first evaluation after the last reload, with the same verdict apply and refresh record (green, no
// findings); past that window, or without the fields that show it, "unknown" is waited out and red.
import { awaitingFirstEvaluation, checkRules, FIRST_EVALUATION_GRACE_SECONDS, neverEvaluated } from "../../components/verify/checks/rules";
import { makeTestIo, startServer, TestServer } from "./fakes";

const ZERO = "0001-01-01T00:00:00Z";
const servers: TestServer[] = [];
afterAll(async () => Promise.all(servers.map((s) => s.close())));

/** A Prometheus whose rules API returns `groups()` and whose /metrics says the last reload succeeded `reloadAgoS` seconds ago. */
async function prom(groups: () => unknown[], reloadAgoS: number | undefined) {
  const metrics = () =>
    [
      "prometheus_config_last_reload_successful 1",
      ...(reloadAgoS === undefined ? [] : [`prometheus_config_last_reload_success_timestamp_seconds ${((Date.now() - reloadAgoS * 1000) / 1000).toExponential(9)}`]),
    ].join("\n") + "\n";
  const s = await startServer((_r, url) => (url.pathname === "/metrics" ? { status: 200, body: metrics() } : { status: 200, body: { status: "success", data: { groups: groups() } } }));
  servers.push(s);
  return s;
}
const input = (url: string, deadlineSeconds = 0) => ({ prometheusUrl: url, expectedRules: { "g.alerts": ["A"], "g.rec": ["r"] }, deadlineSeconds, timeoutMs: 1000 });
const group = (name: string, interval: number, rules: Array<{ name: string; health: string; lastEvaluation?: string }>) => ({ name, interval, rules });

describe("L6 before the first evaluation", () => {
  test("just started: loaded, not yet evaluated, green at the first attempt with no findings; the rules are named in the diagnostics", async () => {
    const s = await prom(() => [group("g.alerts", 15, [{ name: "A", health: "ok", lastEvaluation: "2026-01-01T00:00:00Z" }]), group("g.rec", 30, [{ name: "r", health: "unknown", lastEvaluation: ZERO }])], 3);
    const r = await checkRules(input(s.url, 30), makeTestIo());
    expect(r).toMatchObject({ level: "L6", status: "green", findings: [] });
    expect(r.diagnostics).toMatchObject({ attempts: 1, notYetEvaluated: ["g.rec/r"], secondsSinceReload: 3 });
    expect(r.code).toBeUndefined();
  });

  test("the verdict is the same before and after the first evaluation (what apply and a later refresh record)", async () => {
    let evaluated = false;
    const s = await prom(() => [group("g.alerts", 15, [{ name: "A", health: evaluated ? "ok" : "unknown", lastEvaluation: evaluated ? "2026-01-01T00:00:15Z" : ZERO }]), group("g.rec", 30, [{ name: "r", health: "ok", lastEvaluation: "2026-01-01T00:00:00Z" }])], 5);
    const before = await checkRules(input(s.url), makeTestIo());
    evaluated = true;
    const after = await checkRules(input(s.url), makeTestIo());
    expect([before.status, before.findings, before.code]).toEqual([after.status, after.findings, after.code]);
    expect(after.diagnostics.notYetEvaluated).toEqual([]);
  });

  test("an evaluation error is red as soon as it shows, whatever the time since the reload", async () => {
    const s = await prom(() => [group("g.alerts", 15, [{ name: "A", health: "err", lastEvaluation: "2026-01-01T00:00:00Z" }]), group("g.rec", 30, [{ name: "r", health: "ok", lastEvaluation: "2026-01-01T00:00:00Z" }])], 1);
    const r = await checkRules(input(s.url), makeTestIo());
    expect(r).toMatchObject({ status: "red", code: "E_PROOF_RULES", findings: ['rule A in group g.alerts has health "err"'] });
  });

  test("still not evaluated two intervals and the grace after the reload: red (a stuck rule manager is not waited for forever)", async () => {
    const ago = 2 * 15 + FIRST_EVALUATION_GRACE_SECONDS + 5;
    const s = await prom(() => [group("g.alerts", 15, [{ name: "A", health: "unknown", lastEvaluation: ZERO }]), group("g.rec", 30, [{ name: "r", health: "ok", lastEvaluation: "2026-01-01T00:00:00Z" }])], ago);
    const r = await checkRules(input(s.url), makeTestIo());
    expect(r).toMatchObject({ status: "red", findings: ['rule A in group g.alerts has health "unknown"'] });
  });

  test("without lastEvaluation or the reload time, 'unknown' is a finding (waited out until the deadline)", async () => {
    const s1 = await prom(() => [group("g.alerts", 15, [{ name: "A", health: "unknown" }]), group("g.rec", 30, [{ name: "r", health: "ok" }])], 2);
    expect((await checkRules(input(s1.url), makeTestIo())).status).toBe("red");
    const s2 = await prom(() => [group("g.alerts", 15, [{ name: "A", health: "unknown", lastEvaluation: ZERO }]), group("g.rec", 30, [{ name: "r", health: "ok" }])], undefined);
    expect((await checkRules(input(s2.url), makeTestIo())).status).toBe("red");
  });

  test("awaitingFirstEvaluation and neverEvaluated, the pure parts", () => {
    expect(neverEvaluated(ZERO)).toBe(true);
    expect(neverEvaluated("0001-01-01T00:00:00.000Z")).toBe(true);
    expect(neverEvaluated("2026-01-01T00:00:00Z")).toBe(false);
    expect(neverEvaluated(undefined)).toBe(false);
    const r = { health: "unknown", lastEvaluation: ZERO };
    expect(awaitingFirstEvaluation(r, 30, 0)).toBe(true);
    expect(awaitingFirstEvaluation(r, 30, 70)).toBe(true);
    expect(awaitingFirstEvaluation(r, 30, 71)).toBe(false);
    expect(awaitingFirstEvaluation(r, undefined, 1)).toBe(false);
    expect(awaitingFirstEvaluation(r, 30, undefined)).toBe(false);
    expect(awaitingFirstEvaluation({ health: "err", lastEvaluation: ZERO }, 30, 1)).toBe(false);
  });
});
