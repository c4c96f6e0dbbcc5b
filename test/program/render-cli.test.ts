// `npm run -s render` end to end for both stacks (child process, as CI runs it): plan.json shape,
// files byte-identical to the renderers, no secret, bad config exits 2 with lint findings.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderServiceFiles } from "../../components/render";
import { scrubValues } from "../../scripts/lib/evaluate";
import { stackConfig } from "../util/mocks";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

function render(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [path.join(ROOT, "scripts", "render.ts"), ...args], { cwd: ROOT, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))]));
}

describe.each(["test", "prod"] as const)("render --stack %s", (stack) => {
  let out: string;
  let result: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), `render-${stack}-`));
    result = await render(["--stack", stack, "--out", out]);
  });

  it("exits 0 and writes plan.json plus every rendered file", () => {
    expect(result.stderr).not.toMatch(/Error|\n\s+at /);
    expect(result.code).toBe(0);
    const rendered = renderServiceFiles(stackConfig(stack));
    const expected = Object.entries(rendered).flatMap(([svc, list]) => list.map((f) => path.join("files", svc, f.path.slice(1))));
    expect(listFiles(out).sort()).toEqual(["plan.json", ...expected].sort());
    for (const [svc, list] of Object.entries(rendered)) {
      for (const f of list) expect(fs.readFileSync(path.join(out, "files", svc, f.path.slice(1)), "utf8")).toBe(f.content);
    }
  });

  it("plan.json has the agreed shape and options", () => {
    const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"));
    expect(Object.keys(plan).sort()).toEqual(["outputs", "project", "resources", "stack"]);
    expect(plan.project).toBe("logging-bootstrap");
    expect(plan.stack).toBe(stack);
    for (const r of plan.resources) {
      expect(Object.keys(r).sort()).toEqual(["inputs", "name", "options", "type", "urn"]);
      expect(Object.keys(r.options).sort()).toEqual(["deleteBeforeReplace", "dependsOn", "parent", "protect", "retainOnDelete"]);
    }
    const volumes = plan.resources.filter((r: { type: string }) => r.type === "docker:index/volume:Volume");
    expect(volumes).toHaveLength(5);
    for (const v of volumes) expect(v.options).toEqual(expect.objectContaining({ retainOnDelete: true, protect: stack === "prod" }));
  });

  it("is byte-for-byte repeatable in a fresh process (no timestamps, random names or ordering drift: P6)", async () => {
    const again = fs.mkdtempSync(path.join(os.tmpdir(), `render-${stack}-again-`));
    const second = await render(["--stack", stack, "--out", again]);
    expect(second.code).toBe(0);
    const files = listFiles(out).sort();
    expect(listFiles(again).sort()).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(again, f)).equals(fs.readFileSync(path.join(out, f)))).toBe(true);
  });

  it("contains no secret value, only ***REDACTED***", () => {
    const all = listFiles(out).map((f) => fs.readFileSync(path.join(out, f), "utf8")).join("\n");
    expect(all).not.toContain("MOCKSECRET");
    expect(all).not.toContain("__logging-bootstrap:secure-value-not-decrypted__");
    expect(fs.readFileSync(path.join(out, "plan.json"), "utf8")).toContain('"content": "***REDACTED***"');
    expect(listFiles(out).some((f) => f.includes("secrets"))).toBe(false);
  });
});

describe("render refuses a bad config", () => {
  it("exits 1 with the config:lint findings", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-bad-"));
    const bad = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(bad, fs.readFileSync(path.join(ROOT, "Pulumi.test.yaml"), "utf8").replace("projectName: logging-test", "projectName: Logging_Test"));
    const r = await render(["--stack", "bad", "--config-file", bad, "--out", path.join(dir, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("E_CONFIG_NAME_NOT_DNS_SAFE [config] at projectName");
    expect(r.stderr).toContain("example patch");
    expect(fs.existsSync(path.join(dir, "out", "plan.json"))).toBe(false);
  });

  it("exits 2 on usage errors", async () => {
    const r = await render(["--stack", "test"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing --out");
  });
});

describe("scrubValues", () => {
  it("replaces a plain-text secret and records where it was found", () => {
    const hits: string[] = [];
    expect(scrubValues({ a: ["x MOCKSECRET-1 y"], b: "ok" }, ["MOCKSECRET-1"], hits)).toEqual({ a: ["x ***REDACTED*** y"], b: "ok" });
    expect(hits).toEqual(["a[0]"]);
  });
});
