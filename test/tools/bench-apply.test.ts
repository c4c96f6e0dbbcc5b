// bench:apply's analysis of a run bundle: per-resource steps from the engine's events, the critical
// path through the state's dependencies, the bounded health poll of the floor, the printed report.
import { criticalPath, EngineEventLine, formatApplyBench, formatTimedRuns, resourceSteps, stepTimes, waitHealthy } from "./bench-apply-analysis";

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + s * 1000).toISOString();
const urn = (type: string, name: string) => `urn:pulumi:testenv::logging-bootstrap::logging-bootstrap:stack:ObservabilityStack$${type}::${name}`;
const NET = urn("docker:index/network:Network", "net");
const LOKI = urn("docker:index/container:Container", "loki");
const ALLOY = urn("docker:index/container:Container", "alloy");
const PROOF = urn("pulumi-nodejs:dynamic/logging-bootstrap:IngestionProof", "ingestion");
const C = "docker:index/container:Container";

const lines: EngineEventLine[] = [
  { step: "up", at: T(0), event: "diagnostic", message: "Running program '/x/index.ts'" },
  { step: "up", at: T(0), event: "start", op: "create", type: "pulumi:pulumi:Stack", urn: "urn:pulumi:testenv::p::pulumi:pulumi:Stack::s" },
  { step: "up", at: T(4), event: "start", op: "same", type: "docker:index/network:Network", urn: NET },
  { step: "up", at: T(4.1), event: "done", op: "same", type: "docker:index/network:Network", urn: NET },
  { step: "up", at: T(4.2), event: "start", op: "create", type: C, urn: LOKI },
  { step: "up", at: T(4.3), event: "start", op: "create", type: C, urn: ALLOY },
  { step: "up", at: T(10), event: "done", op: "create", type: C, urn: ALLOY },
  { step: "up", at: T(24), event: "done", op: "create", type: C, urn: LOKI },
  { step: "up", at: T(24.5), event: "start", op: "update", type: "pulumi-nodejs:dynamic/logging-bootstrap:IngestionProof", urn: PROOF },
  { step: "up", at: T(26), event: "done", op: "update", type: "pulumi-nodejs:dynamic/logging-bootstrap:IngestionProof", urn: PROOF },
  { step: "up", at: T(27), event: "summary" },
  { step: "verify", at: T(40), event: "start", op: "create", type: C, urn: "other" },
];

test("resourceSteps pairs each resource's start with its end, relative to the operation's first event, leaving the stack out", () => {
  const r = resourceSteps(lines, "up");
  expect(r.endMs).toBe(27_000);
  expect(r.steps.map((s) => [s.name, s.op, s.startMs, s.endMs])).toEqual([
    ["net", "same", 4000, 4100],
    ["loki", "create", 4200, 24_000],
    ["alloy", "create", 4300, 10_000],
    ["ingestion", "update", 24_500, 26_000],
  ]);
});

test("criticalPath follows, from the last step to end, the dependency that finished last", () => {
  const steps = resourceSteps(lines, "up").steps;
  const path = criticalPath(steps, [
    { urn: NET },
    { urn: LOKI, dependencies: [NET] },
    { urn: ALLOY, dependencies: [NET] },
    { urn: PROOF, dependencies: [ALLOY, LOKI] },
  ]);
  expect(path.map((l) => [l.step.name, l.after?.name])).toEqual([
    ["net", undefined],
    ["loki", "net"],
    ["ingestion", "loki"],
  ]);
  expect(criticalPath([], [])).toEqual([]);
});

test("waitHealthy polls until each container is healthy and names those that never were by the deadline", async () => {
  let now = 0;
  const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
  const healthyFrom: Record<string, number> = { a: 300, b: 1000, c: Infinity };
  const r = await waitHealthy(["a", "b", "c"], async (n) => (now >= healthyFrom[n] ? "healthy" : "starting"), clock, { t0: 0, deadlineMs: 2000, pollMs: 100 });
  expect(r.healthyAt).toEqual({ a: 300, b: 1000 });
  expect(r.notHealthy).toEqual(["c"]);
});

test("the report's first line is the headline with the ratio; steps, resources and the path follow", () => {
  const up = resourceSteps(lines, "up");
  const text = formatApplyBench({
    applyMs: 33_000,
    floorMs: 22_000,
    floorPerContainer: { loki: 22_000, alloy: 6000 },
    steps: stepTimes({ steps: [{ step: "up", status: "success", duration_ms: 27_000 }, { step: "verify", status: "success", duration_ms: 3000 }] }),
    up,
    path: criticalPath(up.steps, [{ urn: PROOF, dependencies: [LOKI] }]),
  });
  const out = text.split("\n");
  expect(out[0]).toBe("apply-to-green 33.0 s, start floor 22.0 s, ratio 1.5");
  expect(text).toContain("3.00 s  outside the steps");
  expect(text).toMatch(/0\.00 s  before the engine's first event/);
  expect(text).toContain("create loki");
  expect(text).not.toContain("same net");
  expect(text).toMatch(/update ingestion, 0\.50 s after loki/);
});

test("formatTimedRuns: one line per run with each step's time and what was outside the steps", () => {
  const steps = stepTimes({ steps: [{ step: "preflight", status: "success", duration_ms: 1200 }, { step: "up", status: "success", duration_ms: 6400 }, { step: "verify", status: "failed", duration_ms: 2100 }] });
  expect(formatTimedRuns([{ what: "no-op apply", ms: 11_000, code: 0, steps }, { what: "diagnose", ms: 7000, code: 1, steps: [] }])).toBe(
    "no-op apply 11.0 s: preflight 1.20 s, up 6.40 s, verify 2.10 s (failed), outside the steps 1.30 s\ndiagnose 7.0 s (exit 1): outside the steps 7.00 s",
  );
});
