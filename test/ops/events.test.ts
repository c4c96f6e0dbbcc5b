// events.jsonl after seed 002: per service, stable order Planned -> Started -> Step... -> Completed|Failed,
// duration_ms on every step, failures keep the envelope and end with a terminal `error` step.
import { errorRecord } from "../../contracts/errors";
import { SERVICES } from "../../contracts/config/schema";
import { buildEvents, checkEventOrder, EventRunInfo, servicesOf } from "../../scripts/lib/events";

function run(over: Partial<EventRunInfo> = {}): EventRunInfo {
  return {
    runId: "r1",
    mode: "apply",
    stack: "test",
    baseHash: "b".repeat(64),
    envKeys: ["PULUMI_SKIP_UPDATE_CHECK"],
    warnings: [],
    services: SERVICES.map((s) => ({ service: s, image: `img/${s}:1`, artifactHash: `h-${s}` })),
    stages: [
      { step: "preflight", status: "success", durationMs: 12.4, errors: [] },
      { step: "up", status: "success", durationMs: 1000, errors: [] },
      { step: "verify", status: "success", durationMs: 300, errors: [] },
    ],
    ...over,
  };
}

const kind = (e: object) => Object.keys(e)[0];
const body = (e: object) => Object.values(e)[0] as Record<string, unknown>;

describe("buildEvents", () => {
  it("emits every service in SERVICES order, each Planned, Started, one Step per stage, Completed", () => {
    const { events, logs } = buildEvents(run());
    expect(events).toHaveLength(SERVICES.length * 6);
    expect(events.slice(0, 6).map(kind)).toEqual(["BootstrapPlanned", "BootstrapStarted", "BootstrapStep", "BootstrapStep", "BootstrapStep", "BootstrapCompleted"]);
    expect(events.filter((e) => kind(e) === "BootstrapPlanned").map((e) => body(e).service)).toEqual([...SERVICES]);
    expect(body(events[0])).toMatchObject({ service: "grafana", mode: "apply", action: "up", image: "img/grafana:1", env_keys: ["PULUMI_SKIP_UPDATE_CHECK"], artifact_hash: "h-grafana" });
    expect(body(events[1])).toEqual({ service: "grafana", run_id: "r1", base_hash: "b".repeat(64), artifact_hash: "h-grafana", trigger: "apply" });
    expect(body(events[2])).toEqual({ service: "grafana", run_id: "r1", step: "preflight", status: "success", duration_ms: 12 });
    expect(body(events[5])).toEqual({ service: "grafana", run_id: "r1", status: "Success", duration_ms: 1312, stamp: null });
    expect(checkEventOrder(events)).toEqual([]);
    expect(logs[0]).toMatchObject({ service: "grafana", status: "success", duration_ms: 1312, steps: [{ step: "preflight" }, { step: "up" }, { step: "verify" }] });
  });

  it("fails only the service an error names, with a terminal error step and BootstrapFailed", () => {
    const err = errorRecord("E_PROOF_HEALTH", "L1: logging-test-loki /ready answered 503", { details: { level: "L1" } });
    const { events, logs } = buildEvents(run({ stages: [
      { step: "up", status: "success", durationMs: 10, errors: [] },
      { step: "verify", status: "failed", durationMs: 20, errors: [err] },
    ] }));
    const loki = events.filter((e) => body(e).service === "loki");
    expect(loki.map(kind)).toEqual(["BootstrapPlanned", "BootstrapStarted", "BootstrapStep", "BootstrapStep", "BootstrapStep", "BootstrapFailed"]);
    expect(body(loki[3])).toMatchObject({ step: "verify", status: "failed", duration_ms: 20 });
    expect(body(loki[4])).toEqual({ service: "loki", run_id: "r1", step: "error", status: "failed", duration_ms: 0, detail: "E_PROOF_HEALTH: L1: logging-test-loki /ready answered 503" });
    expect(body(loki[5])).toEqual({ service: "loki", run_id: "r1", duration_ms: 30, error: "E_PROOF_HEALTH: L1: logging-test-loki /ready answered 503" });
    const grafana = events.filter((e) => body(e).service === "grafana");
    expect(kind(grafana[grafana.length - 1])).toBe("BootstrapCompleted");
    // The durable log keeps the same envelope and appends the error step.
    const lokiLog = logs.find((l) => l.service === "loki")!;
    expect(Object.keys(lokiLog).sort()).toEqual(Object.keys(logs[0]).sort());
    expect(lokiLog.status).toBe("failed");
    expect(lokiLog.steps[lokiLog.steps.length - 1]).toEqual({ step: "error", status: "failed", duration_ms: 0, detail: "E_PROOF_HEALTH: L1: logging-test-loki /ready answered 503" });
    expect(checkEventOrder(events)).toEqual([]);
  });

  it("fails every service on a stack-wide error; NoOp for read-only modes; skip for untargeted repair", () => {
    const err = errorRecord("E_ENV_DOCKER_UNREACHABLE", "no engine");
    const failed = buildEvents(run({ mode: "diagnose", stages: [{ step: "preflight", status: "failed", durationMs: 5, errors: [err] }] }));
    expect(failed.events.filter((e) => kind(e) === "BootstrapFailed")).toHaveLength(SERVICES.length);
    const noop = buildEvents(run({ mode: "drift", stages: [{ step: "refresh", status: "success", durationMs: 5, errors: [] }] }));
    expect(noop.events.filter((e) => kind(e) === "BootstrapCompleted").map((e) => body(e).status)).toEqual(SERVICES.map(() => "NoOp"));
    const repair = buildEvents(run({ mode: "repair", services: SERVICES.map((s) => ({ service: s, targeted: s === "loki" })) }));
    const up = repair.events.filter((e) => kind(e) === "BootstrapStep" && body(e).step === "up");
    expect(up.map((e) => [body(e).service, body(e).status])).toEqual(SERVICES.map((s) => [s, s === "loki" ? "success" : "skipped"]));
    expect(repair.events.filter((e) => kind(e) === "BootstrapPlanned").map((e) => body(e).action)).toEqual(SERVICES.map((s) => (s === "loki" ? "up-targeted" : "skip")));
  });

  it("checkEventOrder catches out-of-order streams, steps without duration, failures without the error step", () => {
    const head = [{ BootstrapPlanned: { service: "a" } }, { BootstrapStarted: { service: "a" } }];
    const step = (name: string, status = "success") => ({ BootstrapStep: { service: "a", step: name, status, duration_ms: 1 } });
    expect(checkEventOrder([{ BootstrapStarted: { service: "loki" } }])).toEqual(["loki: BootstrapStarted after nothing", "loki: ends with BootstrapStarted"]);
    expect(checkEventOrder([...head, { BootstrapStep: { service: "a", step: "up" } }, { BootstrapCompleted: { service: "a" } }])).toEqual(["a: step up without duration_ms"]);
    expect(checkEventOrder([...head, step("up"), { BootstrapStep: { service: "a", step: "verify", duration_ms: 1.5 } }, { BootstrapCompleted: { service: "a" } }])).toEqual(["a: step verify without duration_ms"]);
    expect(checkEventOrder([...head, step("up", "failed"), { BootstrapFailed: { service: "a" } }])).toEqual(["a: BootstrapFailed after BootstrapStep up"]);
    expect(checkEventOrder([...head, step("up", "failed"), step("error", "failed"), step("verify")])).toEqual(["a: BootstrapStep verify after BootstrapStep error", "a: ends with BootstrapStep"]);
    expect(checkEventOrder([...head, step("error", "failed"), { BootstrapCompleted: { service: "a" } }])).toEqual(["a: BootstrapCompleted after BootstrapStep error"]);
    expect(checkEventOrder([...head, step("up", "failed"), step("error", "failed"), { BootstrapFailed: { service: "a" } }])).toEqual([]);
  });
});

describe("servicesOf", () => {
  it.each([
    [{ message: "x", details: { service: "nodeExporter" } }, ["nodeExporter"]],
    [{ message: "container logging-test-node-exporter is not running", details: {} }, ["nodeExporter"]],
    [{ message: "x", details: { resource: "urn:pulumi:test::logging-bootstrap::docker:index/container:Container::logging-test-grafana" } }, ["grafana"]],
    [{ message: "volume logging-test-loki-data missing", details: {} }, ["loki"]],
    [{ message: "stack-wide failure", details: {} }, []],
  ])("%j -> %j", (e, expected) => {
    expect(servicesOf(e)).toEqual(expected);
  });
});
