// policy:build builds only when the pack's inputs changed: a small pack in a temp project (its own
// policy/tsconfig.json, a policy file importing a contracts file, the repository's node_modules),
// compiled through the real TypeScript compiler API, then each kind of change rebuilds it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildPack, classifyRead, inputsHash, packFreshness, PACK_STAMP, readStamp } from "../../scripts/lib/policy-pack";
import { makeSandbox, REPO, runCli, stubCalls } from "./helpers";
import { bundleDir, readJson } from "./bundle-helpers";

jest.setTimeout(60_000);

let root: string;
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "lb-pack-"));
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"));
  write(
    "policy/tsconfig.json",
    JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "commonjs", lib: ["ES2022"], types: [], skipLibCheck: true, rootDir: "..", outDir: "bin" }, include: ["index.ts", "policies/**/*.ts"] }),
  );
  write("policy/index.ts", 'import { rule } from "./policies/one";\nimport { LIMIT } from "../contracts/limit";\nexport const pack = [rule, LIMIT];\n');
  write("policy/policies/one.ts", 'export const rule = "one";\n');
  write("contracts/limit.ts", "export const LIMIT = 3;\n");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function built() {
  const r = buildPack(root);
  expect([r.ok, r.diagnostics]).toEqual([true, ""]);
  expect(packFreshness(root)).toEqual({ fresh: true, hash: r.stamp!.hash });
  return r.stamp!;
}

describe("policy pack freshness", () => {
  test("no bin, then a build: its record lists what the compiler read and emitted; current until something changes", () => {
    expect(packFreshness(root)).toEqual({ fresh: false, reason: "policy/bin does not exist" });
    const s = built();
    expect(s.files).toEqual(["contracts/limit.ts", "policy/index.ts", "policy/policies/one.ts"]);
    expect(s.emitted).toEqual(["policy/bin/contracts/limit.js", "policy/bin/policy/index.js", "policy/bin/policy/policies/one.js"]);
    expect(s.packages.typescript).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.packages["@pulumi/policy"]).toBeDefined();
    expect(readStamp(root)).toEqual(s);
  });

  test("a changed policy file rebuilds, and the rebuild is current again with the new output", () => {
    const before = built();
    write("policy/policies/one.ts", 'export const rule = "changed";\n');
    const f = packFreshness(root);
    expect(f).toMatchObject({ fresh: false, reason: "its sources, tsconfig or compiler packages changed since the last build" });
    const after = built();
    expect(after.hash).not.toBe(before.hash);
    expect(fs.readFileSync(path.join(root, "policy/bin/policy/policies/one.js"), "utf8")).toContain('"changed"');
  });

  test("an imported file outside policy/, the tsconfig, a new .ts under policy/ and a removed source each make it stale", () => {
    built();
    write("contracts/limit.ts", "export const LIMIT = 4;\n");
    expect(packFreshness(root).fresh).toBe(false);
    built();
    write("policy/tsconfig.json", fs.readFileSync(path.join(root, "policy/tsconfig.json"), "utf8").replace('"ES2022"', '"ES2023"'));
    expect(packFreshness(root).fresh).toBe(false);
    built();
    write("policy/policies/two.ts", 'export const two = "two";\n');
    expect(packFreshness(root).fresh).toBe(false);
    built();
    fs.rmSync(path.join(root, "policy/policies/two.ts"));
    expect(packFreshness(root).fresh).toBe(false);
  });

  test("another installed version of a compiler package makes it stale (policy/node_modules comes first)", () => {
    built();
    write("policy/node_modules/@pulumi/policy/package.json", JSON.stringify({ name: "@pulumi/policy", version: "0.0.1-other" }));
    expect(packFreshness(root)).toMatchObject({ fresh: false });
  });

  test("an emitted file gone, or the record gone, rebuilds", () => {
    built();
    fs.rmSync(path.join(root, "policy/bin/policy/index.js"));
    expect(packFreshness(root)).toEqual({ fresh: false, reason: "policy/bin/policy/index.js is missing" });
    built();
    fs.rmSync(path.join(root, PACK_STAMP));
    expect(packFreshness(root)).toEqual({ fresh: false, reason: `no record of the last build (${PACK_STAMP})` });
  });

  test("a compiler error fails the build and leaves no record, so the next run builds again", () => {
    built();
    write("policy/policies/one.ts", "export const rule: number = \"one\";\n");
    const r = buildPack(root);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toMatch(/TS2322/);
    expect(fs.existsSync(path.join(root, PACK_STAMP))).toBe(false);
    expect(packFreshness(root).fresh).toBe(false);
  });

  test("inputsHash: order-independent, a missing file hashes as absent; classifyRead splits project files from packages", () => {
    write("a.ts", "a");
    expect(inputsHash(root, ["a.ts", "b.ts"], { x: "1", y: "2" })).toBe(inputsHash(root, ["b.ts", "a.ts"], { y: "2", x: "1" }));
    expect(inputsHash(root, ["a.ts"], {})).not.toBe(inputsHash(root, ["a.ts", "b.ts"], {}));
    expect(classifyRead(root, path.join(root, "node_modules/@pulumi/policy/index.d.ts"))).toEqual({ package: "@pulumi/policy" });
    expect(classifyRead(root, path.join(root, "node_modules/typescript/lib/lib.es2022.d.ts"))).toEqual({ package: "typescript" });
    expect(classifyRead(root, path.join(root, "policy/index.ts"))).toEqual({ file: "policy/index.ts" });
    expect(classifyRead(root, "/elsewhere/x.ts")).toBeUndefined();
  });
});

describe("the run wrapper's policy-build step", () => {
  test("a current pack is not rebuilt (no npm, no compiler); a changed policy file makes the next run build it", async () => {
    const sb = await makeSandbox();
    const own = root;
    try {
      root = sb.dir;
      fs.symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"));
      write("policy/tsconfig.json", JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", types: [], skipLibCheck: true, rootDir: "..", outDir: "bin" }, include: ["index.ts"] }));
      write("policy/index.ts", "export const pack = 1;\n");
      expect(buildPack(root).ok).toBe(true);
      const builds = () => stubCalls(sb).filter((c) => c.tool === "npm" && c.argv.includes("policy:build")).length;
      expect((await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb)).code).toBe(0);
      expect(builds()).toBe(0);
      const step = readJson(path.join(bundleDir(sb), "summary.json")).steps.find((x: { step: string }) => x.step === "policy-build");
      expect(step).toMatchObject({ status: "success", detail: expect.stringMatching(/^policy\/bin is current \(inputs sha256 [0-9a-f]{12}\): not rebuilt$/) });
      write("policy/index.ts", "export const pack = 2;\n");
      const r = await runCli("bootstrap.ts", ["--mode", "apply", "--stack", "test"], sb);
      expect(r.code).toBe(0);
      expect(builds()).toBe(1);
      expect(r.stderr).toContain("policy-build: rebuilding, its sources, tsconfig or compiler packages changed since the last build");
    } finally {
      await sb.cleanup();
      root = own;
    }
  });
});
