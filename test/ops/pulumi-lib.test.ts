// The Automation API layer's pure parts: embedded defaults (backend, passphrase, stack), which CLI is
// used, the causes of failures that come before the engine runs, and what the engine's events mean.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { applyDefaults, chooseStack, loggedInBackend, resolveBackend, resolveDefaults, shortStackName, stackUsesPassphrase } from "../../scripts/lib/pulumi/defaults";
import { CliProbes, resolveCli } from "../../scripts/lib/pulumi/command";
import { cliErrorLine, commandFailure, stderrOf } from "../../scripts/lib/pulumi/stack-ops";
import { absorb, changesOf, changeSummaryText, cleanMessage, condense, failureFromTrack, firstTaxonomyCode, inFlight, levelOfType, newTrack, resourceLabel } from "../../scripts/lib/pulumi/engine-events";
import { generatedGrafanaPassword, grafanaAdminPassword, plainStateValue } from "../../scripts/lib/pulumi/secrets";
import { CONTAINER_URN, diag, done, failed, FakeCommandError, pre, PROOF_URN, summary } from "./fake-ops";

const ROOT = "/work/proj";

describe("embedded defaults", () => {
  it("backend: PULUMI_BACKEND_URL, else the `pulumi login` in credentials.json, else the project's .pulumi-state", () => {
    expect(resolveBackend({ PULUMI_BACKEND_URL: "s3://b" }, ROOT, '{"current":"file:///x"}')).toEqual({ url: "s3://b", source: "PULUMI_BACKEND_URL" });
    expect(resolveBackend({}, ROOT, '{"current":"file:///x","accounts":{}}')).toEqual({ url: "file:///x", source: "pulumi login" });
    expect(resolveBackend({}, ROOT, undefined)).toEqual({ url: "file:///work/proj/.pulumi-state", source: "default" });
    expect(loggedInBackend("not json")).toBeUndefined();
    expect(loggedInBackend('{"current":""}')).toBeUndefined();
  });
  it("passphrase: generated only for the project's own backend; another backend without one is E_ENV_NO_PASSPHRASE", () => {
    const d = resolveDefaults({ env: {}, root: ROOT });
    expect([d.passphrase, d.env]).toEqual(["generated", { PULUMI_BACKEND_URL: "file:///work/proj/.pulumi-state", PULUMI_CONFIG_PASSPHRASE_FILE: "/work/proj/.pulumi-state/passphrase" }]);
    expect(resolveDefaults({ env: { PULUMI_CONFIG_PASSPHRASE: "" }, root: ROOT }).passphrase).toBe("PULUMI_CONFIG_PASSPHRASE"); // an empty passphrase is a choice
    expect(resolveDefaults({ env: { PULUMI_CONFIG_PASSPHRASE_FILE: "/p" }, root: ROOT }).env).toEqual({ PULUMI_BACKEND_URL: "file:///work/proj/.pulumi-state" });
    expect(() => resolveDefaults({ env: { PULUMI_BACKEND_URL: "file:///elsewhere" }, root: ROOT })).toThrow(/E_ENV_NO_PASSPHRASE/);
    // a service backend keeps its own key; a stack file naming another provider needs none either
    expect(resolveDefaults({ env: { PULUMI_BACKEND_URL: "https://api.pulumi.com" }, root: ROOT }).passphrase).toBe("not needed");
    expect(resolveDefaults({ env: { PULUMI_BACKEND_URL: "file:///e" }, root: ROOT, stackFileText: "secretsprovider: awskms://k\n" }).passphrase).toBe("not needed");
    expect(stackUsesPassphrase("encryptionsalt: v1:x\n", "https://api.pulumi.com")).toBe(true);
    expect(stackUsesPassphrase(undefined, "file:///x")).toBe(true);
  });
  it("writes the state directory 0700 and the passphrase 0600 once, and refuses a passphrase file others can read", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "lb-defaults-"));
    try {
      const d = resolveDefaults({ env: {}, root });
      applyDefaults(d);
      const f = d.passphraseFile!;
      const first = fs.readFileSync(f, "utf8");
      expect([fs.statSync(f).mode & 0o777, fs.statSync(d.stateDir!).mode & 0o777, first.trim().length]).toEqual([0o600, 0o700, 44]);
      applyDefaults(d);
      expect(fs.readFileSync(f, "utf8")).toBe(first); // never regenerated: it encrypts existing stacks
      fs.chmodSync(f, 0o644);
      expect(() => applyDefaults(d)).toThrow(/E_ENV_SECRETS_FILE_MODE/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
  it("stack: --stack, else the selected one, else E_ENV_NO_STACK", () => {
    expect(chooseStack("a", "b")).toBe("a");
    expect(chooseStack(undefined, "b")).toBe("b");
    expect(() => chooseStack(undefined, undefined)).toThrow(/E_ENV_NO_STACK/);
    expect(() => chooseStack("a b", undefined)).toThrow(/E_ENV_USAGE/);
    expect(shortStackName("organization/logging-bootstrap/local")).toBe("local");
  });
});

describe("which Pulumi CLI", () => {
  const cmd = (v: string) => ({ command: "pulumi", version: v }) as unknown as PulumiCommand;
  const probes = (o: { onPath?: boolean; engine?: boolean; online?: boolean }): CliProbes & { calls: string[] } => {
    const calls: string[] = [];
    return {
      calls,
      get: async (root?: string) => {
        calls.push(`get ${root ?? "PATH"}`);
        if (!root && !o.onPath) throw new FakeCommandError("Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT");
        return cmd(root ? "3.274.1" : "3.276.0");
      },
      install: async () => (calls.push("install"), cmd("3.276.0")),
      exists: () => Boolean(o.engine),
      online: async () => (calls.push("online?"), Boolean(o.online)),
    };
  };
  it("PATH first; then the project's engine with its plugin home; then an install where online", async () => {
    expect((await resolveCli(ROOT, {}, probes({ onPath: true, engine: true }))).source).toBe("PATH");
    const engine = await resolveCli(ROOT, {}, probes({ engine: true }));
    expect([engine.source, engine.env]).toEqual(["project engine", { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_HOME: "/work/proj/.tools/engine/home" }]);
    expect((await resolveCli(ROOT, { PULUMI_HOME: "/mine" }, probes({ engine: true }))).env.PULUMI_HOME).toBeUndefined();
    const p = probes({ online: true });
    const installed = await resolveCli(ROOT, {}, p, () => undefined);
    expect([installed.source, p.calls]).toEqual(["installed", ["get PATH", "online?", "install"]]);
  });
  it("none of them: E_ENV_TOOL_MISSING naming both ways, and what was tried", async () => {
    const err = await resolveCli(ROOT, {}, probes({})).catch((e) => e);
    expect(err.code).toBe("E_ENV_TOOL_MISSING");
    expect(err.message).toBe("E_ENV_TOOL_MISSING: no Pulumi CLI: `pulumi` on PATH: not found; .tools/engine/bin/pulumi: not built (npm run -s engine:build); PulumiCommand.install 3.276.0: https://get.pulumi.com/ does not answer (offline)");
    expect(err.action).toMatch(/https:\/\/www\.pulumi\.com\/docs\/install\/.*npm run -s engine:build/);
  });
});

describe("failures before the engine runs", () => {
  it.each([
    ["error: constructing secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables", "E_ENV_NO_PASSPHRASE"],
    ["error: getting secrets manager: incorrect passphrase", "E_ENV_PASSPHRASE_WRONG"],
    ["error: this command requires logging in; try running `pulumi login` first", "E_ENV_BACKEND_LOGIN"],
    ["error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions", "E_ENV_BACKEND_LOGIN"],
    ["error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end", "E_ENV_LOCK_HELD"],
    ["error: could not load checkpoint", "E_RUNTIME_DEPLOY_FAILED"],
  ])("%s -> %s", (stderr, code) => {
    expect(commandFailure("up", new FakeCommandError(stderr), "E_RUNTIME_DEPLOY_FAILED").code).toBe(code);
  });
  it("the SDK's typed errors and the CLI's last error line", () => {
    expect(commandFailure("stack select", new FakeCommandError("error: no stack named 'x' found", "StackNotFoundError"), "E_RUNTIME_DEPLOY_FAILED").code).toBe("E_ENV_STACK_NOT_FOUND");
    expect(commandFailure("up", new FakeCommandError("error: [409] Conflict", "ConcurrentUpdateError"), "E_RUNTIME_DEPLOY_FAILED")).toMatchObject({ code: "E_ENV_LOCK_HELD", action: expect.stringContaining("locks") });
    expect(stderrOf(new FakeCommandError("line1\nerror: the cause"))).toBe("line1\nerror: the cause");
    expect(cliErrorLine("warning: a\n<{%reset%}>error: first\nerror: second\n")).toBe("error: second");
  });
});

describe("engine events", () => {
  const CONTAINER = "docker:index/container:Container";
  const PROOF = "pulumi-nodejs:dynamic/logging-bootstrap:LabelProof";
  it("one line as a resource starts and one as it ends, with its time; proofs by level; `same` is quiet", () => {
    const t = newTrack();
    expect(absorb(t, pre(CONTAINER_URN, CONTAINER, "same"), 0)).toEqual([]);
    expect(absorb(t, pre(CONTAINER_URN, CONTAINER, "replace"), 1000)).toEqual(["replacing container logging-test-loki"]);
    expect(inFlight(t, 13_000)).toEqual(["logging-test-loki 12 s"]);
    expect(absorb(t, done(CONTAINER_URN, CONTAINER, "replace"), 13_500)).toEqual(["replaced container logging-test-loki (13 s)"]);
    expect(absorb(t, pre(PROOF_URN, PROOF), 14_000)).toEqual(["creating proof L4 labels logging-test-proof-L4"]);
    expect(absorb(t, failed(PROOF_URN, PROOF), 75_000)).toEqual(["FAILED create proof L4 labels logging-test-proof-L4 after 1 min 01 s"]);
    expect(absorb(t, pre("urn:pulumi:t::p::pulumi:providers:random::default_4_21_2", "pulumi:providers:random"), 75_000)).toEqual([]); // default providers do no work
    expect(absorb(t, diag("<{%fg 1%}>E_PROOF_LABEL_MISSING: L4 proof is red\nmore", "error", PROOF_URN), 75_001)).toEqual(["error: logging-test-proof-L4: E_PROOF_LABEL_MISSING: L4 proof is red"]);
    expect(absorb(t, diag("E_PROOF_LABEL_MISSING: L4 proof is red\nmore", "error", PROOF_URN), 75_002)).toEqual([]); // the same diagnostic once
    expect(absorb(t, summary({ same: 3, replace: 1 }), 76_000)).toEqual([]);
    expect([t.sameCount, t.steps.map((s) => [s.op, s.ms, s.failed])]).toEqual([1, [["replace", 12_500, false], ["create", 61_000, true]]]);
    expect(changesOf(t.summary!.resourceChanges)).toEqual({ replace: 1 });
    expect(changeSummaryText({ same: 3, replace: 1, create: 0 })).toBe("3 unchanged, 1 replace");
    expect(condense(pre(CONTAINER_URN, CONTAINER, "update", ["envs"]), 0)).toEqual({ at: "1970-01-01T00:00:00.000Z", event: "start", op: "update", type: CONTAINER, urn: CONTAINER_URN, diffs: ["envs"] });
  });
  it("a refresh's findings come with each resource's result: update is drifted, delete is gone", () => {
    const t = newTrack();
    for (const [urn, result] of [[CONTAINER_URN, "update"], [PROOF_URN, "same"], ["urn:x::docker:index/volume:Volume::v", "delete"]] as const) {
      const type = urn === PROOF_URN ? "pulumi-nodejs:dynamic/logging-bootstrap:LabelProof" : urn.includes("volume") ? "docker:index/volume:Volume" : CONTAINER;
      expect(absorb(t, pre(urn, type, "refresh"), 0)).toEqual([]);
      absorb(t, done(urn, type, result), 0);
    }
    expect([...t.changed.entries()].map(([u, c]) => [u.split("::").pop(), c.op])).toEqual([["logging-test-loki", "update"], ["v", "delete"]]);
  });
  it("names resources and levels as an operator does", () => {
    expect(resourceLabel("random:index/randomPassword:RandomPassword", "urn:x::p-grafana-admin-password")).toBe("randomPassword p-grafana-admin-password");
    expect(levelOfType("pulumi-nodejs:dynamic/logging-bootstrap:AlertDeliveryProof")?.level).toBe("L9");
    expect(firstTaxonomyCode("E_NOT_A_CODE then E_PROOF_RULES")).toBe("E_PROOF_RULES");
  });
  it("the failure's code: the failing resource's error, never a warning; then the program's; then a mandatory policy", () => {
    const t = newTrack();
    absorb(t, diag("E_CONFIG_IMAGE_NO_DIGEST at images.grafana", "warning"), 0);
    expect(failureFromTrack("up", t, "E_RUNTIME_DEPLOY_FAILED")).toBeUndefined(); // a warning names nothing
    absorb(t, pre(CONTAINER_URN, CONTAINER), 0);
    absorb(t, failed(CONTAINER_URN, CONTAINER), 0);
    absorb(t, diag("Error pulling image grafana/loki:3.0.0: manifest unknown", "error", CONTAINER_URN), 0);
    absorb(t, diag("E_CONFIG_INVALID_PORT: unrelated program error", "error"), 0);
    expect(failureFromTrack("up", t, "E_RUNTIME_DEPLOY_FAILED")).toMatchObject({ code: "E_DEPS_IMAGE_PULL_FAILED", details: { resource: "logging-test-loki" } });
    expect(cleanMessage("  sdk-v2/provider2.go:572: sdk.helper_schema: unable to pull image x\n1 error occurred:\n\t* pull access denied\nconfig:\n  key: 1")).toBe("  unable to pull image x\n\tpull access denied\nconfig:\n  key: 1");
    const p = newTrack();
    absorb(p, diag("Running program '/p/index.ts' failed with an unhandled exception:\nBootstrapError: E_CONFIG_PORT_DUPLICATE: ports.loki and ports.alloy are both 9102", "error", "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"), 0);
    expect(failureFromTrack("preview", p, "E_RUNTIME_DEPLOY_FAILED")).toMatchObject({ code: "E_CONFIG_PORT_DUPLICATE", message: "pulumi preview: BootstrapError: E_CONFIG_PORT_DUPLICATE: ports.loki and ports.alloy are both 9102" });
    const n = newTrack();
    absorb(n, diag("panic: something the product has no code for", "error"), 0);
    expect(failureFromTrack("up", n, "E_RUNTIME_DEPLOY_FAILED")).toMatchObject({ code: "E_RUNTIME_DEPLOY_FAILED", message: "pulumi up: panic: something the product has no code for" });
  });
});

describe("Grafana's admin password from the stack", () => {
  const SIG = "4dabf18193072939515e22adb298388d";
  const state = { deployment: { resources: [{ urn: "urn:pulumi:l::logging-bootstrap::random:index/randomPassword:RandomPassword::logging-local-grafana-admin-password", type: "random:index/randomPassword:RandomPassword", outputs: { result: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: '"gen-erated-pw"' } } }] } };
  it("the configured secret first, else the generated one from the state", async () => {
    expect(plainStateValue({ [SIG]: "x", plaintext: '{"a":1}' })).toEqual({ a: 1 });
    expect(generatedGrafanaPassword(state)).toBe("gen-erated-pw");
    const ops = (config: Record<string, { value: string; secret: boolean }>) => ({ config: async () => config, exportState: async () => state as never });
    expect(await grafanaAdminPassword(ops({}))).toEqual({ password: "gen-erated-pw", source: "generated (state)" });
    expect(await grafanaAdminPassword(ops({ "logging-bootstrap:grafanaAdminPassword": { value: "set-pw", secret: true } }))).toEqual({ password: "set-pw", source: "config grafanaAdminPassword" });
  });
});
