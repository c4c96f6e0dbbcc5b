import { backoffMs, endpointsFor, evaluateGreen, HEALTH_CONTRACT, jsonPath, metricNames } from "../../components/verify/contract";

describe("health contract evaluation (P3, P13)", () => {
  const ep = { id: "x", expectStatus: 200, green: { json: [{ path: "database", equals: "ok" }, { path: "version", type: "string" as const }] } };

  test("status mismatch is reported and stops further criteria", () => {
    expect(evaluateGreen(ep, 503, "{}")).toEqual(["x: HTTP 503, expected 200"]);
  });
  test("json fields: equals, type, missing, not JSON", () => {
    expect(evaluateGreen(ep, 200, JSON.stringify({ database: "ok", version: "11.1.0" }))).toEqual([]);
    expect(evaluateGreen(ep, 200, JSON.stringify({ database: "failing", version: 11 }))).toEqual([
      'x: JSON field database is "failing", expected "ok"',
      "x: JSON field version is a number, expected string",
    ]);
    expect(evaluateGreen(ep, 200, JSON.stringify({ version: "1" }))).toEqual(["x: JSON field database is missing"]);
    expect(evaluateGreen(ep, 200, "database ok")).toEqual(["x: body is not JSON"]);
  });
  test("text equals the whole trimmed body, never a substring", () => {
    const t = { id: "t", expectStatus: 200, green: { text: { equals: "ready" } } };
    expect(evaluateGreen(t, 200, "ready\n")).toEqual([]);
    expect(evaluateGreen(t, 200, "not ready")).toHaveLength(1);
    expect(evaluateGreen(t, 200, "ready ready")).toHaveLength(1);
  });
  test("metrics: only sample lines count, HELP/TYPE comments do not", () => {
    const m = { id: "m", expectStatus: 200, green: { metrics: { present: ["node_exporter_build_info"] } } };
    const commentOnly = "# HELP node_exporter_build_info x\n# TYPE node_exporter_build_info gauge\n";
    expect(evaluateGreen(m, 200, commentOnly)).toEqual(["m: metric node_exporter_build_info is not exposed"]);
    expect(evaluateGreen(m, 200, commentOnly + 'node_exporter_build_info{version="1.5.0"} 1\n')).toEqual([]);
    expect([...metricNames("a 1\nb{x=\"1\"} 2\n# c 3\nab_c 4")].sort()).toEqual(["a", "ab_c", "b"]);
  });
  test("jsonPath walks objects and arrays", () => {
    expect(jsonPath({ a: [{ b: 1 }] }, "a.0.b")).toBe(1);
    expect(jsonPath({ a: [] }, "a.x")).toBeUndefined();
    expect(jsonPath(null, "a")).toBeUndefined();
  });
  test("backoff grows by the factor and is capped", () => {
    const b = { initialMs: 250, factor: 1.5, maxMs: 500 };
    expect([1, 2, 3, 4].map((n) => backoffMs(b, n))).toEqual([250, 375, 500, 500]);
  });
  test("the contract has endpoints for every service", () => {
    expect(endpointsFor("cadvisor").map((e) => e.id)).toEqual(["cadvisor-healthz", "cadvisor-metrics"]);
    expect(HEALTH_CONTRACT.defaults.consecutiveSuccesses).toBe(2);
  });
});

describe("every endpoint proves something beyond its status", () => {
  it.each(HEALTH_CONTRACT.endpoints.map((e) => [e.id, e] as const))("%s states a body criterion (a bare HTTP 200 proves nothing)", (_id, e) => {
    const g = e.green ?? {};
    expect([Boolean(g.json?.length), Boolean(g.text), Boolean(g.metrics?.present.length)].some((x) => x)).toBe(true);
  });
  it("readiness bodies are the upstream texts (Prometheus web.go: \"<AppName> is Ready.\"; Alloy: \"Alloy is ready.\")", () => {
    const text = (id: string) => HEALTH_CONTRACT.endpoints.find((e) => e.id === id)!.green.text?.equals;
    expect(text("prometheus-ready")).toBe("Prometheus Server is Ready.");
    expect(text("alloy-ready")).toBe("Alloy is ready.");
    expect(evaluateGreen(HEALTH_CONTRACT.endpoints.find((e) => e.id === "prometheus-ready")!, 200, "OK")).toEqual(['prometheus-ready: body is "OK", expected "Prometheus Server is Ready."']);
  });
});
