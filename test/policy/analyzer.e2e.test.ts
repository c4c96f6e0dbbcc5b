// End to end: compile the pack (policy/tsconfig.json -> policy/bin), start it with node through
// @pulumi/pulumi's policy-pack runner as the Pulumi CLI does, and call it over the analyzer gRPC
// protocol (getAnalyzerInfo, configure, analyze, analyzeStack). Proves that `pulumi preview --policy-pack policy` would block every
// mandatory violation, that notes arrive as advisory, and that the offline runner (policy:check)
// gives the same verdicts as the served pack.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as fs from "fs";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as apb from "@pulumi/pulumi/proto/analyzer_pb";
import { evaluateProgram, PROJECT_ROOT } from "../../scripts/lib/evaluate";
import { defaultPolicyConfigFile, packConfigFor } from "../../scripts/policy-check";
import { POLICIES } from "../../policy/lib/catalog";
import { TYPES } from "../../policy/lib/resources";
import { effectiveLevel, PackConfig, policyProperties, RunnerResource, runPolicies } from "../../policy/lib/runner";
import { container, containerInputs, image, volume } from "./fixtures";
import { mutate, res } from "../util/policy";

jest.setTimeout(180_000);

// Use the grpc-js and google-protobuf instances @pulumi/pulumi's generated code uses (instanceof checks).
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [pulumiDir] }));

const POLICY_DIR = path.join(PROJECT_ROOT, "policy");
const LEVEL = ["advisory", "mandatory", "disabled", "remediate"] as const;
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Diag {
  policy: string;
  level: string;
  urn: string;
  message: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out\n${out}`));
    }, timeoutMs);
    p.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

let server: ChildProcess | undefined;
let client: AnalyzerClient;
let stderr = "";

beforeAll(async () => {
  const tsc = await run(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], POLICY_DIR, 150_000);
  expect(tsc).toEqual({ code: 0, out: "" });
  expect(fs.existsSync(path.join(POLICY_DIR, "bin/policy/index.js"))).toBe(true);
  // Started the way the CLI's pulumi-analyzer-policy does: @pulumi/pulumi's run-policy-pack runner
  // (ts-node registered, package.json "main" resolved) with cwd = the pack, so PolicyPack reads
  // ./package.json for its version. The engine address is required but only dialled to log errors.
  const runner = path.join(pulumiDir, "cmd", "run-policy-pack", "index.js");
  server = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
  server.stderr!.on("data", (d) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error(`pack did not print its port within 30 s; stderr: ${stderr}`)), 30_000);
    server!.stdout!.on("data", (d) => {
      buf += d;
      const m = /^(\d+)\s*$/m.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    server!.on("exit", (code) => reject(new Error(`pack exited with ${code}: ${stderr}`)));
  });
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  if (server && server.exitCode === null) server.kill("SIGTERM");
});

function call<Req, Resp>(method: (req: Req, cb: (err: Error | null, resp: Resp) => void) => unknown, req: Req): Promise<Resp> {
  return new Promise((resolve, reject) => method.call(client, req, (err: Error | null, resp: Resp) => (err ? reject(err) : resolve(resp))));
}

function options(r: RunnerResource): apb.AnalyzerResourceOptions {
  const o = new apb.AnalyzerResourceOptions();
  o.setProtect(r.options.protect === true);
  if (r.options.parent) o.setParent(r.options.parent);
  return o;
}

function diags(resp: apb.AnalyzeResponse): Diag[] {
  return resp.getDiagnosticsList().map((d) => {
    // String reports arrive as "<description>\n<message>", object reports (notes) as the message alone.
    const msg = d.getMessage();
    const description = d.getDescription();
    return { policy: d.getPolicyname(), level: LEVEL[d.getEnforcementlevel()], urn: d.getUrn(), message: msg.startsWith(`${description}\n`) ? msg.slice(description.length + 1) : msg };
  });
}

/** Fills the resource fields analyze's request and analyzeStack's resources share. */
function withResource<M extends apb.AnalyzeRequest | apb.AnalyzerResource>(m: M, r: RunnerResource, properties: Record<string, unknown>): M {
  m.setType(r.type);
  m.setName(r.name);
  m.setUrn(r.urn);
  m.setProperties(Struct.fromJavaScript(properties));
  m.setOptions(options(r));
  return m;
}

async function analyze(r: RunnerResource): Promise<Diag[]> {
  const req = withResource(new apb.AnalyzeRequest(), r, r.inputs);
  return diags(await call(client.analyze, req)).map((d) => ({ ...d, urn: r.urn }));
}

async function analyzeStack(resources: RunnerResource[]): Promise<Diag[]> {
  const req = new apb.AnalyzeStackRequest();
  req.setResourcesList(
    resources.map((r) => {
      const a = withResource(new apb.AnalyzerResource(), r, r.outputs);
      if (r.options.parent) a.setParent(r.options.parent);
      a.setDependenciesList(r.dependencies);
      for (const [k, urns] of Object.entries(r.propertyDependencies)) {
        const pd = new apb.AnalyzerPropertyDependencies();
        pd.setUrnsList(urns);
        a.getPropertydependenciesMap().set(k, pd);
      }
      return a;
    }),
  );
  return diags(await call(client.analyzeStack, req));
}

/** Send a pack config the way the CLI does: every policy with its effective level and properties. */
async function configure(config: PackConfig): Promise<void> {
  const req = new apb.ConfigureAnalyzerRequest();
  for (const p of POLICIES) {
    const pc = new apb.PolicyConfig();
    pc.setEnforcementlevel(LEVEL.indexOf(effectiveLevel(p, config)) as apb.EnforcementLevel);
    pc.setProperties(Struct.fromJavaScript(policyProperties(p, config) as Record<string, any>));
    req.getPolicyconfigMap().set(p.name, pc);
  }
  await call(client.configure, req);
}

describe("the served pack", () => {
  it("describes itself: name, version from policy/package.json, the 13 policies with their default levels", async () => {
    const info: apb.AnalyzerInfo = await call(client.getAnalyzerInfo, new Empty());
    expect(info.getName()).toBe("logging-bootstrap");
    expect(info.getVersion()).toBe(JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")).version);
    const policies = info.getPoliciesList().map((p) => [p.getName(), LEVEL[p.getEnforcementlevel()]]);
    expect(policies).toEqual([
      ["images-pinned", "mandatory"],
      ["host-ports-valid", "mandatory"],
      ["names-dns-safe", "mandatory"],
      ["host-paths-absolute", "mandatory"],
      ["secrets-not-plaintext", "mandatory"],
      ["exposure-explicit", "mandatory"],
      ["unauthenticated-exposure", "mandatory"],
      ["lifecycle-api-local", "mandatory"],
      ["containers-hardened", "advisory"],
      ["retention-enforced", "mandatory"],
      ["alloy-allowlists", "mandatory"],
      ["data-retained", "mandatory"],
      ["every-service-verified", "mandatory"],
    ]);
    for (const p of info.getPoliciesList()) expect(p.getDescription()).toMatch(/^[A-Z].{30,}\.$/);
  });

  it("blocks a :latest image (mandatory) and notes a tag without digest (advisory)", async () => {
    const latest = image("grafana/loki:latest");
    expect(await analyze(latest)).toEqual([{ policy: "images-pinned", level: "mandatory", urn: latest.urn, message: expect.stringMatching(/moving tag :latest\. Fix: /) }]);
    expect(await analyze(image("grafana/loki:3.0.0"))).toEqual([expect.objectContaining({ policy: "images-pinned", level: "advisory", message: expect.stringMatching(/pinned by tag only/) })]);
  });

  it("passes a clean container, and blocks one mutation per mandatory container policy", async () => {
    expect(await analyze(container("grafana"))).toEqual([]);
    const g = containerInputs("grafana");
    const cases: [string, (c: any) => void][] = [
      ["host-ports-valid", (c) => (c.ports[0].external = 80)],
      ["names-dns-safe", (c) => (c.name = "Bad_Name")],
      ["host-paths-absolute", (c) => c.volumes.push({ hostPath: "rel/path", containerPath: "/x", readOnly: true })],
      ["secrets-not-plaintext", (c) => c.envs.push("GF_DATABASE_PASSWORD=x")],
      ["exposure-explicit", (c) => (c.ports[0].ip = "0.0.0.0")],
    ];
    for (const [policy, f] of cases) {
      const d = await analyze(container("grafana", mutate(g, f)));
      expect({ policy, got: d.map((x) => [x.policy, x.level]) }).toEqual({ policy, got: [[policy, "mandatory"]] });
    }
    const lokiNoRetention = mutate(containerInputs("loki"), (c) => (c.uploads[0].content = "compactor: {}\n"));
    expect((await analyze(container("loki", lokiNoRetention))).map((x) => [x.policy, x.level])).toEqual([
      ["retention-enforced", "mandatory"],
      ["retention-enforced", "mandatory"],
      ["retention-enforced", "mandatory"],
    ]);
    // Loki on the LAN: refused whatever the stack's exposure decision (and, here, without one).
    const lokiLan = mutate(containerInputs("loki"), (c) => (c.ports[0].ip = "0.0.0.0"));
    expect((await analyze(container("loki", lokiLan))).map((x) => [x.policy, x.level])).toEqual([
      ["exposure-explicit", "mandatory"],
      ["unauthenticated-exposure", "mandatory"],
    ]);
    const alloyOpen = mutate(containerInputs("alloy"), (c) => (c.uploads[0].content = 'loki.process "p" {\n  stage.replace {\n    expression = "x"\n  }\n}\n'));
    expect((await analyze(container("alloy", alloyOpen))).map((x) => [x.policy, x.level])).toEqual([
      ["alloy-allowlists", "mandatory"],
      ["alloy-allowlists", "mandatory"],
    ]);
  });

  it("runs the container policies on a first preview: image id and generated secret files still unknown", async () => {
    // Policies never read what they do not judge, so an unknown value does not turn into the SDK's
    // "can't run policy during preview" advisory.
    expect(await analyze(container("alloy", mutate(containerInputs("alloy"), (c) => (c.image = UNKNOWN_STRING))))).toEqual([]);
    const grafana = mutate(containerInputs("grafana"), (c) => {
      c.image = UNKNOWN_STRING;
      for (const u of c.uploads) u.content = UNKNOWN_STRING;
    });
    expect(await analyze(container("grafana", grafana))).toEqual([]);
    // ...whereas a judged value that is unknown is reported as advisory, never as a pass or a block.
    const lokiUnknown = mutate(containerInputs("loki"), (c) => (c.uploads[0].content = UNKNOWN_STRING));
    expect((await analyze(container("loki", lokiUnknown))).map((d) => [d.policy, d.level, /can't run .* during preview/.test(d.message)])).toEqual([["retention-enforced", "advisory", true]]);
  });

  it("judges the stack: duplicate host ports, unretained data, unverified services", async () => {
    const loki = container("loki", mutate(containerInputs("loki"), (c) => (c.ports[0].external = 9101)));
    const grafana = container("grafana");
    const vol = volume("t-loki-data", [{ label: "logging-bootstrap.data", value: "true" }]);
    const protectedVol = volume("t-grafana-data", [{ label: "logging-bootstrap.data", value: "true" }], { protect: true });
    const proof = res(TYPES.healthProof, "t-grafana-health", {}, { dependencies: [grafana.urn] });
    const d = await analyzeStack([grafana, loki, vol, protectedVol, proof]);
    expect(d.map((x) => [x.policy, x.level, x.urn])).toEqual([
      ["host-ports-valid", "mandatory", loki.urn],
      ["data-retained", "mandatory", vol.urn],
      ["every-service-verified", "mandatory", loki.urn],
    ]);
  });

  it("takes enforcement levels and properties from policy config (per stack)", async () => {
    const lan = container("grafana", mutate(containerInputs("grafana"), (c) => (c.ports[0].ip = "0.0.0.0")));
    await configure({ "exposure-explicit": { lanExposed: true }, "images-pinned": "advisory", "every-service-verified": "advisory" });
    try {
      expect(await analyze(lan)).toEqual([]);
      expect((await analyze(image("a/b:latest"))).map((x) => x.level)).toEqual(["advisory"]);
      expect((await analyzeStack([container("grafana")])).map((x) => [x.policy, x.level])).toEqual([["every-service-verified", "advisory"]]);
    } finally {
      await configure({});
    }
    expect((await analyze(lan)).map((x) => x.policy)).toEqual(["exposure-explicit"]);
  });

  describe.each(["test", "prod"])("the whole %s stack, as policy:check sees it", (stack) => {
    it("gets the same verdicts over gRPC as offline (except what the protocol cannot carry)", async () => {
      const ev = await evaluateProgram({ stack });
      const config = packConfigFor(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), defaultPolicyConfigFile(stack));
      const offline = await runPolicies(POLICIES, ev.resources, config);
      await configure(config);
      try {
        const grpcDiags: Diag[] = [];
        for (const r of ev.resources) grpcDiags.push(...(await analyze(r)));
        grpcDiags.push(...(await analyzeStack(ev.resources)));
        const key = (policy: string, level: string, urn: string, message: string) => `${level} ${policy} ${urn} ${message}`;
        const got = grpcDiags.map((d) => key(d.policy, d.level, d.urn, d.message)).sort();
        const want = offline.violations.map((v) => key(v.policy, v.enforcementLevel, v.resource, v.message)).sort();
        // retainOnDelete is not in the analyzer protocol; the program labels every retained data
        // volume logging-bootstrap.retain=true, so the CLI sees exactly the offline verdicts.
        expect(got).toEqual(want);
        expect(want.length).toBeGreaterThanOrEqual(6); // at least the six tag-only image notes
        expect(grpcDiags.filter((d) => d.level === "mandatory")).toEqual([]);
      } finally {
        await configure({});
      }
    });
  });
});
