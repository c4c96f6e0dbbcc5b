// expectedOutcome: what a healthy stack's verify must report for a config, derived from the same
// functions that render it. The spread of configs here is the one test:variants deploys.
import YAML from "yaml";
import { renderAlertmanagerConfig, watchdogReceiverOf } from "../../components/render/alertmanager";
import { alertDeliverySpec, labelsSpec } from "../../components/verify/spec";
import { allowlistScopes } from "../../components/verify/checks/labels";
import { expectedOutcome } from "../../components/verify/expectations";
import { markerWindow, maxQueryLengthMs, newMarker } from "../../components/verify/evidence";
import type { StackConfig } from "../../contracts/config/schema";
import { stackConfig } from "../util/mocks";
import { withCfg } from "../util/stack-configs";
import { fleetConfig } from "../util/fleet";

const base = stackConfig("test");
const env = { registryDigests: true };
const desired = (cfg: StackConfig) => ({ config: cfg, network: "n", containers: {} as never, files: { alloy: [{ path: "/etc/alloy/config.alloy", sha256: "x", content: "" }] } as never, probeImage: "p" });
const withPorts = (c: StackConfig) => ({ ...c, ports: { ...c.ports, alertmanager: c.ports.alertmanager ?? 9107 } });

describe("where the Watchdog goes: one answer for the renderer and the proof", () => {
  const sink = { name: "sink", webhook: { url: "<secret>" } };
  const cases: [string, Partial<StackConfig["alerting"]>, string][] = [
    ["no receivers", {}, "blackhole"],
    ["a real default receiver, no watchdog receiver", { receivers: [sink], defaultReceiver: "sink" }, "blackhole"],
    ["a watchdog receiver", { receivers: [sink], defaultReceiver: "sink", watchdogReceiver: "sink" }, "sink"],
  ];
  test.each(cases)("%s", (_n, alerting, receiver) => {
    const cfg = withPorts(withCfg(base, (c) => Object.assign(c.alerting, alerting)));
    const rendered = YAML.parse(renderAlertmanagerConfig(cfg)).route.routes.find((r: { matchers: string[] }) => r.matchers.includes('alertname="Watchdog"'));
    expect(rendered.receiver).toBe(receiver);
    expect(alertDeliverySpec(desired(cfg) as never).receiver).toBe(receiver);
    expect(watchdogReceiverOf(cfg.alerting)).toBe(receiver);
  });
});

describe("L4's marker window fits Loki's max_query_length for every retention the schema accepts", () => {
  test.each(["24h", "7d", "30d", "31d", "90d", "1y", "10y"])("retention %s", (logs) => {
    const cfg = withCfg(base, (c) => (c.retention.logs = logs));
    const spec = labelsSpec(desired(cfg) as never);
    const now = 1_800_000_000_000;
    for (const age of [0, 60_000, 86_400_000]) {
      const w = markerWindow(newMarker(now - age, "ab"), now, spec);
      expect(w.endMs - w.startMs).toBeLessThanOrEqual(maxQueryLengthMs());
      expect(w.endMs).toBeGreaterThan(w.startMs);
    }
  });
});

describe("L4 in a fleet: each other host's Alloy lists, for its streams", () => {
  test("the fleet's hosts with their lists (db1's own allowlist, web1 the top-level one); for one host only the central host's name", () => {
    const cfg = fleetConfig();
    expect(labelsSpec(desired(cfg) as never).centralHost).toBe("local");
    expect(labelsSpec(desired(cfg) as never).hostAllowlists).toEqual([
      { host: "web1", dockerAllowlist: cfg.alloy.dockerAllowlist, journaldUnits: cfg.alloy.journaldUnits },
      { host: "db1", dockerAllowlist: ["db1-postgres"], journaldUnits: cfg.alloy.journaldUnits },
    ]);
    expect(labelsSpec(desired(base) as never)).not.toHaveProperty("hostAllowlists");
    expect(labelsSpec(desired(base) as never).centralHost).toBe(base.hosts[0].name);
  });

  test("a fleet cut back to one host: the central lists judge only the central host's streams (a removed host's stay in Loki)", () => {
    const cfg = fleetConfig();
    const one = { ...cfg, hosts: cfg.hosts.filter((h) => h.central) };
    const scopes = allowlistScopes(labelsSpec(desired(one as never) as never));
    expect(scopes).toEqual([{ prefix: "", selector: '{project="logging-test",host=~"local|"}', lists: { container: cfg.alloy.dockerAllowlist, unit: cfg.alloy.journaldUnits } }]);
    // Without the central host's name (a desired state from before hosts): every stream of the stack.
    expect(allowlistScopes({ projectName: "p", dockerAllowlist: [], journaldUnits: [] })[0].selector).toBe('{project="p"}');
  });
});

describe("expectedOutcome", () => {
  test("the test stack: every level green but L9 (no watchdog receiver: the Watchdog goes to blackhole)", () => {
    const o = expectedOutcome(base, env);
    expect(Object.entries(o).filter(([, e]) => e.status !== "green")).toEqual([["L9", { status: "warn", code: "E_PROOF_ALERT_UNROUTED", why: "the Watchdog goes to blackhole, which has no integration" }]]);
  });
  test("a disabled level is skipped with its reason; L4 goes with L3", () => {
    const o = expectedOutcome(withCfg(base, (c) => (c.verify.ingestion = false)), env);
    expect(o.L3).toEqual({ status: "skipped", why: "verify.ingestion is false" });
    expect(o.L4.status).toBe("skipped");
  });
  test("no redactions: L4 warns E_PROOF_REDACTION_ABSENT; a redaction without canary: E_PROOF_REDACTION_UNPROVEN", () => {
    expect(expectedOutcome(withCfg(base, (c) => (c.alloy.redactions = [])), env).L4).toMatchObject({ status: "warn", code: "E_PROOF_REDACTION_ABSENT" });
    expect(expectedOutcome(withCfg(base, (c) => delete c.alloy.redactions[0].canary), env).L4).toMatchObject({ status: "warn", code: "E_PROOF_REDACTION_UNPROVEN" });
  });
  test("a Watchdog receiver with an integration: L9 green; counters shared with another receiver on Alertmanager 0.26: unattributed", () => {
    const slack = (name: string) => ({ name, slack: { apiUrl: "<secret>", channel: "#x" } });
    const two = withCfg(base, (c) => Object.assign(c.alerting, { receivers: [slack("chat"), slack("team")], watchdogReceiver: "chat" }));
    expect(expectedOutcome(two, env).L9).toEqual({ status: "green" });
    const old = withCfg(two, (c) => (c.images.alertmanager = "prom/alertmanager:v0.26.0"));
    expect(expectedOutcome(old, env).L9).toMatchObject({ status: "warn", code: "E_PROOF_ALERT_UNATTRIBUTED" });
  });
  test("tag-only pins and no registry to ask: L7 unverified", () => {
    expect(expectedOutcome(base, { registryDigests: false }).L7).toMatchObject({ status: "warn", code: "E_PROOF_PROVENANCE_UNPINNED" });
  });
});
