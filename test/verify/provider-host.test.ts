// The proof providers through Pulumi's own dynamic-provider host over gRPC (as the engine calls
// them): Check, Diff, Create, Read, Update, Delete; green and red for real against in-process
// Prometheus and Grafana API servers.
import { spawn } from "child_process";
import { GRAFANA_RESET_COMMAND } from "../../components/defaults";
import { grafanaAdminProvider, proofProvider } from "../../components/verify/providers";
import { PROJECT_ROOT, ProviderHost, serializeProvider, startHost, urnOf, writeProviderModule } from "../util/provider-host";
import { startServer, TestServer } from "./fakes";

const PASSWORD = "host-test-Pa55word-xyz";
let host: ProviderHost;
let prom: TestServer;
let grafana: TestServer;
let groups: { name: string; rules: { name: string; health: string }[] }[];
let uids: string[];
let rulesText: string;
let dashText: string;
let adminText: string;
/** The password the fake Grafana's database holds. */
let grafanaStored = PASSWORD;

beforeAll(async () => {
  groups = [{ name: "lb.alerts", rules: [{ name: "TargetDown", health: "ok" }] }];
  uids = ["lb-health"];
  prom = await startServer((_r, url) =>
    url.pathname === "/metrics" ? { status: 200, body: "prometheus_config_last_reload_successful 1\n" } : { status: 200, body: { status: "success", data: { groups } } },
  );
  grafana = await startServer((req, url) =>
    req.headers.authorization !== `Basic ${Buffer.from(`admin:${grafanaStored}`).toString("base64")}`
      ? { status: 401, body: { message: "Unauthorized" } }
      : url.pathname === "/api/user"
        ? { status: 200, body: { id: 1, login: "admin", isGrafanaAdmin: true } }
        : url.pathname.startsWith("/api/dashboards/uid/")
          ? uids.includes(url.pathname.split("/").pop()!)
            ? { status: 200, body: { dashboard: { uid: url.pathname.split("/").pop(), title: "Health" }, meta: { provisioned: true } } }
            : { status: 404, body: { message: "Dashboard not found" } }
          : { status: 200, body: uids.map((uid) => ({ uid, type: "dash-db", title: "Health" })) },
  );
  rulesText = await serializeProvider(proofProvider("L6"));
  dashText = await serializeProvider(proofProvider("L5"));
  adminText = await serializeProvider(grafanaAdminProvider());
  host = await startHost({ env: { GRAFANA_ADMIN_PASSWORD: PASSWORD } });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await prom?.close();
  await grafana?.close();
});

const RULE_URN = urnOf("pulumi-nodejs:dynamic/logging-bootstrap:RuleProof", "lb-rules");
const DASH_URN = urnOf("pulumi-nodejs:dynamic/logging-bootstrap:DashboardProof", "lb-dashboards");
const ruleInputs = () => ({ __provider: rulesText, prometheusUrl: prom.url, expectedRules: { "lb.alerts": ["TargetDown"] }, deadlineSeconds: 1, timeoutMs: 1000, containerIds: { prometheus: "c1" } });
const strip = (p: Record<string, unknown>) => {
  const { __provider, ...rest } = p;
  void __provider;
  return rest;
};

describe("serialized provider", () => {
  test("captures no module or client: a small CommonJS module exporting handler", async () => {
    expect(rulesText).toMatch(/^exports\.handler = __f0;/m);
    expect(rulesText.length).toBeLessThan(20_000);
    // Only the level string is captured; modules are loaded inside the methods.
    expect(rulesText).toContain('level: "L6"');
    expect(rulesText).not.toMatch(/undici|dockerode/);
  });

  test.each(["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8", "L9"] as const)("%s: the only captured values are the level string and the provider object itself", async (level) => {
    const text = await serializeProvider(proofProvider(level));
    // Pulumi's serializer puts every captured free variable in a `with({ name: value, ... })` scope.
    const captured = new Set<string>();
    for (const m of text.matchAll(/with\(\{ (.*?) \}\)/g)) for (const entry of m[1].split(/, (?=[A-Za-z_$][\w$]*: )/)) captured.add(entry.slice(0, entry.indexOf(":")));
    // Under ts-jest `await import()` compiles to TypeScript's interop helpers (functions, not modules).
    const helpers = ["__createBinding", "__importStar", "__setModuleDefault", "ownKeys"];
    expect([...captured].filter((n) => !helpers.includes(n)).sort()).toEqual(["arguments", "level", "provider", "this"]);
    expect(text).toContain(`level: ${JSON.stringify(level)}`);
    expect(text).toContain("provider: __provider");
    // Nothing but the provider's own functions is defined at module level (no serialized module object).
    expect([...text.matchAll(/^var (\w+) = /gm)].map((m) => m[1]).filter((n) => n !== "__provider" && !/^__f?\d+$/.test(n))).toEqual([]);
  });

  test("written inside the project, it loads in a fresh node process and yields the six methods", async () => {
    const file = writeProviderModule(rulesText);
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ["-e", `const h=require(${JSON.stringify(file)}).handler();console.log(JSON.stringify(Object.keys(h).filter(k=>typeof h[k]==="function").sort()))`], { cwd: PROJECT_ROOT });
      let s = "";
      p.stdout.on("data", (d) => (s += d));
      p.on("exit", (code) => (code === 0 ? resolve(s) : reject(new Error(`exit ${code}`))));
    });
    expect(JSON.parse(out)).toEqual(["check", "create", "delete", "diff", "load", "read", "update"]);
  }, 30_000);
});

describe("RuleProof (L6) through the host", () => {
  test("Check passes inputs through with __provider", async () => {
    const r = await host.check(RULE_URN, {}, ruleInputs());
    expect(r.failures).toEqual([]);
    expect(strip(r.inputs)).toEqual(strip(ruleInputs()));
    expect(r.inputs.__provider).toBe(rulesText);
  });

  test("Check reports a missing required input as a check failure", async () => {
    const { expectedRules, ...rest } = ruleInputs();
    void expectedRules;
    const r = await host.check(RULE_URN, {}, rest);
    expect(r.failures).toEqual([{ property: "expectedRules", reason: "L6 proof needs expectedRules" }]);
  });

  test("Create green -> outputs = desired inputs + verdict, no timestamps; Read of a healthy stack returns the same", async () => {
    groups = [{ name: "lb.alerts", rules: [{ name: "TargetDown", health: "ok" }] }];
    const c = await host.create(RULE_URN, ruleInputs());
    expect(c.id).toMatch(/^L6-[0-9a-f]{16}$/);
    expect(strip(c.properties)).toEqual({ ...strip(ruleInputs()), level: "L6", status: "green", findings: [] });
    const again = await host.create(RULE_URN, ruleInputs());
    expect(again).toEqual(c);
    const r = await host.read(RULE_URN, c.id, c.properties);
    expect(r.id).toBe(c.id);
    expect(r.properties).toEqual(c.properties);
  });

  test("Read after a rule group was dropped reports the drift (refresh shows a change)", async () => {
    groups = [{ name: "lb.alerts", rules: [{ name: "TargetDown", health: "ok" }] }];
    const c = await host.create(RULE_URN, ruleInputs());
    groups = [];
    const r = await host.read(RULE_URN, c.id, c.properties);
    expect(strip(r.properties)).toEqual({ ...strip(ruleInputs()), level: "L6", status: "red", code: "E_PROOF_RULES", findings: ["rule group lb.alerts is not loaded"] });
    // Next `up`: the red state differs from the desired one, so the proof runs again.
    expect(await host.diff(RULE_URN, c.id, r.properties, ruleInputs())).toEqual({ changes: "SOME", replaces: [] });
  });

  test("Create red fails with the taxonomy code and diagnostics (gRPC UNKNOWN = 2)", async () => {
    groups = [];
    await expect(host.create(RULE_URN, ruleInputs())).rejects.toMatchObject({
      code: 2,
      details: expect.stringMatching(/^E_PROOF_RULES: L6 proof is red: rule group lb\.alerts is not loaded\ndiagnostics: \{"url":/),
    });
  });

  test("Diff: none on the same normalized inputs, some when an input changes", async () => {
    groups = [{ name: "lb.alerts", rules: [{ name: "TargetDown", health: "ok" }] }];
    const c = await host.create(RULE_URN, ruleInputs());
    expect(await host.diff(RULE_URN, c.id, c.properties, ruleInputs())).toEqual({ changes: "NONE", replaces: [] });
    expect((await host.diff(RULE_URN, c.id, c.properties, { ...ruleInputs(), containerIds: { prometheus: "c2" } })).changes).toBe("SOME");
    expect((await host.diff(RULE_URN, c.id, c.properties, { ...ruleInputs(), expectedGroups: ["lb.alerts", "x"] })).changes).toBe("SOME");
  });

  test("Update re-runs the proof: green returns outputs, red fails", async () => {
    groups = [{ name: "lb.alerts", rules: [{ name: "TargetDown", health: "ok" }] }];
    const c = await host.create(RULE_URN, ruleInputs());
    const u = await host.update(RULE_URN, c.id, c.properties, ruleInputs());
    expect(u.properties).toEqual(c.properties);
    groups = [{ name: "lb.alerts", rules: [{ name: "TargetDown", health: "err" }] }];
    await expect(host.update(RULE_URN, c.id, c.properties, ruleInputs())).rejects.toMatchObject({ code: 2, details: expect.stringMatching(/^E_PROOF_RULES: /) });
  });

  test("Delete is a no-op", async () => {
    await expect(host.delete(RULE_URN, "L6-x", ruleInputs())).resolves.toBeUndefined();
  });
});

describe("DashboardProof (L5): the secret password is an input only", () => {
  const inputs = () => ({ __provider: dashText, grafanaUrl: grafana.url, user: "admin", adminPassword: PASSWORD, dashboards: [{ uid: "lb-health", title: "Health" }], deadlineSeconds: 0, timeoutMs: 1000, grafanaContainer: "none", passwordFile: "/none" });

  test("Create green; the password appears nowhere in the outputs; Read (no password in state) stays green", async () => {
    uids = ["lb-health"];
    const c = await host.create(DASH_URN, inputs());
    expect(c.properties.status).toBe("green");
    expect(c.properties).not.toHaveProperty("adminPassword");
    expect(JSON.stringify(strip(c.properties))).not.toContain(PASSWORD);
    const r = await host.read(DASH_URN, c.id, c.properties);
    expect(r.properties).toEqual(c.properties);
  });

  test("a removed dashboard: Read red with E_PROOF_DASHBOARDS; Create fails", async () => {
    uids = ["lb-health"];
    const c = await host.create(DASH_URN, inputs());
    uids = [];
    const r = await host.read(DASH_URN, c.id, c.properties);
    expect(r.properties).toMatchObject({ status: "red", code: "E_PROOF_DASHBOARDS", findings: ["dashboard lb-health is not listed by Grafana"] });
    await expect(host.create(DASH_URN, inputs())).rejects.toMatchObject({ details: expect.stringMatching(/^E_PROOF_DASHBOARDS: /) });
    uids = ["lb-health"];
  });

  test("a password change alone does not churn diff (container replacement re-runs the proof)", async () => {
    const c = await host.create(DASH_URN, inputs());
    expect((await host.diff(DASH_URN, c.id, c.properties, { ...inputs(), adminPassword: "other" })).changes).toBe("NONE");
  });
});

describe("GrafanaAdminPassword through the host", () => {
  const URN = urnOf("pulumi-nodejs:dynamic/logging-bootstrap:GrafanaAdminPassword", "lb-grafana-admin-sync");
  const inputs = () => ({
    __provider: adminText,
    grafanaUrl: grafana.url,
    user: "admin",
    container: "lb-grafana",
    passwordFile: "/etc/grafana/secrets/admin_password",
    resetCommand: [...GRAFANA_RESET_COMMAND],
    deadlineSeconds: 1,
    timeoutMs: 1000,
    containerId: "c1",
    adminPassword: PASSWORD,
  });

  test("serialized: captures nothing but the provider object (modules load inside the methods)", () => {
    const captured = new Set<string>();
    for (const m of adminText.matchAll(/with\(\{ (.*?) \}\)/g)) for (const entry of m[1].split(/, (?=[A-Za-z_$][\w$]*: )/)) captured.add(entry.slice(0, entry.indexOf(":")));
    const helpers = ["__createBinding", "__importStar", "__setModuleDefault", "ownKeys"];
    expect([...captured].filter((n) => !helpers.includes(n)).sort()).toEqual(["arguments", "provider", "this"]);
    expect(adminText).not.toMatch(/undici|dockerode/);
  });

  test("Check reports a missing password; Create in sync: outputs = inputs minus the password + state; Read the same; Diff none", async () => {
    grafanaStored = PASSWORD;
    const { adminPassword: _p, ...noPw } = inputs();
    void _p;
    expect((await host.check(URN, {}, noPw)).failures).toEqual([{ property: "adminPassword", reason: "GrafanaAdminPassword needs a non-empty adminPassword" }]);
    const c = await host.create(URN, inputs());
    expect(c.id).toBe("grafana-admin-lb-grafana");
    expect(strip(c.properties)).toEqual({ ...strip(noPw), state: "in-sync" });
    expect(JSON.stringify(c.properties)).not.toContain(PASSWORD);
    // The host has GRAFANA_ADMIN_PASSWORD: Read logs in with it, no state needed.
    const r = await host.read(URN, c.id, c.properties);
    expect(r.properties).toEqual(c.properties);
    expect(await host.diff(URN, c.id, c.properties, inputs())).toEqual({ changes: "NONE", replaces: [] });
    expect((await host.diff(URN, c.id, c.properties, { ...inputs(), containerId: "c2" })).changes).toBe("SOME");
  });

  test("a password changed behind the stack: Read records refused, and the next up's Diff wants an update", async () => {
    grafanaStored = PASSWORD;
    const c = await host.create(URN, inputs());
    grafanaStored = "changed-in-the-ui";
    try {
      const r = await host.read(URN, c.id, c.properties);
      expect(r.properties.state).toBe("refused");
      expect(await host.diff(URN, c.id, r.properties, inputs())).toEqual({ changes: "SOME", replaces: [] });
    } finally {
      grafanaStored = PASSWORD;
    }
  });
});

