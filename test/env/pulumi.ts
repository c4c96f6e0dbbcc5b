// The testenv stack through the real Pulumi CLI, for tools that change it after `testenv:up`
// (the fault matrix's restores): the same engine, backend, passphrase and stack file up.sh uses,
// as recorded in testenv.json.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestenvInfo } from "./describe";
import { HOST_AGENTS_TYPE } from "../../scripts/lib/pulumi/fleet";

const ROOT = path.resolve(__dirname, "..", "..");

/** The environment of every pulumi call: the project's engine first on PATH, nothing downloaded. */
export function pulumiEnv(info: Pick<TestenvInfo, "pulumi">, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const engine = path.join(ROOT, ".tools", "engine");
  const env: NodeJS.ProcessEnv = {
    ...base,
    PULUMI_BACKEND_URL: info.pulumi.backendUrl,
    PULUMI_CONFIG_PASSPHRASE_FILE: info.pulumi.passphraseFile,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The --config-file of every call: the program reads the secure: markers of alerting from it.
    LOGGING_BOOTSTRAP_STACK_FILE: info.pulumi.stackFile,
  };
  delete env.PULUMI_CONFIG_PASSPHRASE;
  if (fs.existsSync(path.join(engine, "bin", "pulumi"))) {
    env.PATH = `${path.join(engine, "bin")}:${base.PATH ?? ""}`;
    env.PULUMI_HOME = path.join(engine, "home");
  }
  return env;
}

export function runPulumi(info: Pick<TestenvInfo, "pulumi">, args: string[], timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("pulumi", args, { cwd: ROOT, env: pulumiEnv(info), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Container name -> URN, from the stack's state (secrets stay encrypted in the export). */
export async function containerUrns(info: Pick<TestenvInfo, "pulumi" | "stack">): Promise<Record<string, string>> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lb-export-")), "state.json");
  try {
    const r = await runPulumi(info, ["stack", "export", "--stack", info.stack, "--non-interactive", "--file", file], 60_000);
    if (r.code !== 0) throw new Error(`pulumi stack export exited ${r.code}: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { deployment: { resources?: { urn: string; type: string; outputs?: { name?: string } }[] } };
    const out: Record<string, string> = {};
    // The central host's containers: another host's agents carry the same container names on their own engines.
    for (const r of doc.deployment.resources ?? []) if (r.type === "docker:index/container:Container" && r.outputs?.name && !r.urn.includes(HOST_AGENTS_TYPE)) out[r.outputs.name] = r.urn;
    return out;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/**
 * Rebuild the named containers from the program's desired state (what `bootstrap --mode repair`
 * does: repairArgv): an `up` that replaces them and re-runs what depends on them. Their data
 * volumes are kept.
 */
export async function repairContainers(info: Pick<TestenvInfo, "pulumi" | "stack">, names: string[]): Promise<void> {
  const urns = await containerUrns(info);
  const targets = names.map((n) => {
    if (!urns[n]) throw new Error(`no container ${n} in stack ${info.stack}`);
    return ["--target-replace", urns[n]];
  });
  const args = ["up", "--stack", info.stack, "--config-file", info.pulumi.stackFile, "--yes", "--non-interactive", "--target-dependents", ...targets.flat()];
  const r = await runPulumi(info, args);
  if (r.code !== 0) throw new Error(`pulumi up (repair of ${names.join(", ")}) exited ${r.code}: ${`${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-8).join(" | ")}`);
}
