// config:lint as a CLI: exit codes, the exact --json shape, human output with patches, and coded
// findings (never a stack trace) for missing, empty and malformed files. Two cases run the real
// script in a child process; the rest call main() in-process (fast).
import { execFile } from "node:child_process";
import path from "node:path";
import { main } from "../../scripts/config-lint";
import { UNREADABLE_STACK_FILES } from "../util/config-files";
import { ROOT, fixture } from "./helpers";

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const o = jest.spyOn(process.stdout, "write").mockImplementation((s: any) => ((stdout += String(s)), true));
  const e = jest.spyOn(process.stderr, "write").mockImplementation((s: any) => ((stderr += String(s)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

function runChild(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
  return new Promise((resolve) => {
    execFile(tsx, [path.join(ROOT, "scripts", "config-lint.ts"), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("config:lint", () => {
  it.each(["Pulumi.test.yaml", "Pulumi.prod.yaml"])("%s: exit 0", async (file) => {
    const r = await run([path.join(ROOT, file)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: OK \(7 warning\(s\)\)/);
  });

  it("--json prints exactly {ok, errors, warnings}", async () => {
    const r = await run([fixture("broken-everything.yaml"), "--json"]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(["ok", "errors", "warnings"]);
    expect(j.ok).toBe(false);
    expect(j.errors).toHaveLength(20);
    for (const f of [...j.errors, ...j.warnings]) expect(Object.keys(f).sort()).toEqual(["bucket", "code", "examplePatch", "message", "path"]);
    expect(r.stdout).not.toContain("hunter2-plaintext");
    expect(r.stdout).not.toContain("plaintext-token-4711");
  });

  it("--json on a clean stack: ok true, no errors", async () => {
    const j = JSON.parse((await run(["--stack", "prod", "--json"])).stdout);
    expect(j.ok).toBe(true);
    expect(j.errors).toEqual([]);
    expect(j.warnings.map((w: any) => w.code)).toEqual(Array(7).fill("E_CONFIG_IMAGE_NO_DIGEST"));
  });

  it("human output lists every finding with its code, bucket and patch", async () => {
    const r = await run([fixture("broken-everything.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/20 error\(s\), 5 warning\(s\)/);
    for (const code of ["E_CONFIG_NAME_NOT_DNS_SAFE", "E_CONFIG_NOT_BOOLEAN", "E_CONFIG_EXPOSURE", "E_CONFIG_INVALID_PORT", "E_CONFIG_PORT_DUPLICATE", "E_CONFIG_PATH_NOT_ABSOLUTE", "E_CONFIG_IMAGE_UNPINNED", "E_CONFIG_DURATION", "E_CONFIG_SECRET_PLAINTEXT", "E_CONFIG_HOST_CENTRAL", "E_CONFIG_HOST_DUPLICATE", "E_CONFIG_DOCKER_HOST_INVALID", "E_CONFIG_DOCKER_TLS_MISSING", "E_CONFIG_DOCKER_TLS_UNUSED"]) {
      expect(r.stdout).toContain(`error ${code} [config]`);
    }
    expect(r.stdout.match(/example patch:/g)).toHaveLength(25);
    expect(r.stdout).toContain("at alerting.receivers[0].webhook.url");
    expect(r.stdout).toContain("logging-bootstrap:projectName: logging-test");
    expect(r.stdout).not.toContain("hunter2-plaintext");
    expect(r.stdout).not.toContain("plaintext-token-4711");
    expect(r.stdout).not.toContain("plaintext-key-not-a-secret");
  });

  it.each([
    ["missing file", "no-such-file.yaml", "E_CONFIG_FILE_MISSING"],
    ...UNREADABLE_STACK_FILES,
    ["seed-000 JSON (v0)", "seed000-test-config.v0.json", "E_CONFIG_NEEDS_MIGRATION"],
  ])("%s -> exit 1 (3 for a missing file) with %s", async (_n, file, code) => {
    const r = await run([fixture(file), "--json"]);
    expect(r.code).toBe(code === "E_CONFIG_FILE_MISSING" ? 3 : 1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.errors[0].code).toBe(code);
  });

  it("usage errors exit 2 with E_ENV_USAGE", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([])).stderr).toContain("E_ENV_USAGE");
    expect((await run(["a.yaml", "b.yaml"])).code).toBe(2);
    expect((await run(["--bogus"])).code).toBe(2);
    expect((await run(["--stack", "../x"])).code).toBe(2);
    const h = await run(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Exit codes (the same for every logging-bootstrap command):");
  });

  it("as a process: exit 3 and a coded finding for a missing file, no stack trace", async () => {
    const r = await runChild([path.join(ROOT, "does-not-exist.yaml")]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("E_CONFIG_FILE_MISSING [config]");
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it("as a process: exit 0 on the test stack", async () => {
    const r = await runChild(["--stack", "test", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).ok).toBe(true);
  }, 60_000);
});
