// npm run -s test:variants: the real engine applies each stack config of the catalog to the one warm
// test environment, in place (bootstrap --mode apply: up with the proofs, then verify, then the
// bundle), and holds what verify reported to what the config implies (expectedOutcome). Prints a
// table (variant, apply, verify, levels green/warn/skipped, mismatches) and ends by re-applying the
// environment's own stack file. Exit 0 only when every variant matched.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { expectedOutcome, type Expected } from "../../components/verify/expectations";
import { loadConfigFile } from "../../contracts/config/load";
import type { TestenvInfo } from "../env/describe";
import { pulumiEnv, runPulumi } from "../env/pulumi";
import { VARIANTS, type Variant, type VariantEnv } from "./catalog";
import { compareOutcome, formatTable, latestBundle, type VariantRow } from "./report";

const ROOT = path.resolve(__dirname, "..", "..");
const TMP = path.join(ROOT, "test", ".tmp");
const DIR = path.join(TMP, "variants");
const LAN_ADDRESS = "10.253.0.1";

function log(msg: string): void {
  process.stderr.write(`[variants ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 900_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The docker bridge gateway (containers reach the alert sink there) and each image's registry digest. */
async function variantEnv(info: TestenvInfo, images: string[]): Promise<VariantEnv> {
  const gw = await run("docker", ["network", "inspect", "bridge", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"]);
  let gateway = gw.stdout.trim();
  if (!gateway) {
    // IPAM may list only the subnet on an engine's first start: the bridge interface holds the address.
    const ip = await run("ip", ["-4", "-o", "addr", "show", "docker0"]);
    gateway = /inet ([0-9.]+)\//.exec(ip.stdout)?.[1] ?? "";
  }
  if (!gateway) throw new Error(`no gateway address on Docker's default bridge (docker network inspect: ${gw.stderr.trim() || "empty"})`);
  const digests: Record<string, string> = {};
  for (const ref of images) {
    const r = await run("docker", ["image", "inspect", ref, "--format", "{{json .RepoDigests}}"]);
    const repo = ref.replace(/:[^/:]+$/, "");
    const list = r.code === 0 ? (JSON.parse(r.stdout) as string[]) : [];
    const d = list.find((x) => x.startsWith(`${repo}@`));
    if (d) digests[ref] = d.slice(repo.length + 1);
  }
  void info;
  return { gateway, lanAddress: LAN_ADDRESS, digests };
}

/**
 * The LAN test address: a non-loopback address on this host (added to `lo`: reachable from this
 * host and its containers only; the kernel here may have no dummy interfaces).
 */
async function lanUp(): Promise<void> {
  const have = await run("ip", ["-4", "-o", "addr", "show", "dev", "lo"]);
  if (have.stdout.includes(`${LAN_ADDRESS}/`)) return;
  const r = await run("ip", ["addr", "add", `${LAN_ADDRESS}/32`, "dev", "lo"]);
  if (r.code !== 0) throw new Error(`ip addr add ${LAN_ADDRESS}/32 dev lo: ${r.stderr.trim()}`);
}
async function lanDown(): Promise<void> {
  await run("ip", ["addr", "del", `${LAN_ADDRESS}/32`, "dev", "lo"]);
}

/** The variant's stack file: the environment's own (salt and sink receiver included), patched, its secrets set by the CLI. */
async function writeVariant(info: TestenvInfo, v: Variant, env: VariantEnv): Promise<string> {
  fs.mkdirSync(DIR, { recursive: true });
  const doc = YAML.parse(fs.readFileSync(info.pulumi.stackFile, "utf8")) as { config: Record<string, unknown> };
  v.patch(doc.config, env);
  const file = path.join(DIR, `Pulumi.${info.stack}.yaml`);
  fs.writeFileSync(file, `# test:variants ${v.name}: ${v.about}\n${YAML.stringify(doc)}`);
  for (const [p, value] of Object.entries(v.secrets?.(env) ?? {})) {
    const r = await runPulumi({ pulumi: { ...info.pulumi, stackFile: file } }, ["config", "set", "--secret", "--path", p, value, "--stack", info.stack, "--config-file", file, "--non-interactive"], 120_000);
    if (r.code !== 0) throw new Error(`pulumi config set --secret --path ${p}: exit ${r.code}: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
  }
  return file;
}

async function apply(info: TestenvInfo, file: string, policyConfig: string | undefined): Promise<{ code: number; ms: number; tail: string }> {
  const env = { ...pulumiEnv({ pulumi: { ...info.pulumi, stackFile: file } }), LOGGING_BOOTSTRAP_OUT_DIR: path.join(TMP, "out") };
  const t0 = Date.now();
  const args = ["run", "-s", "bootstrap", "--", "--mode", "apply", "--stack", info.stack, "--config-file", file, ...(policyConfig ? ["--policy-config", policyConfig] : [])];
  const r = await run("npm", args, { env, timeoutMs: 900_000 });
  return { code: r.code, ms: Date.now() - t0, tail: `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-15).join("\n") };
}

async function main(): Promise<number> {
  const infoFile = path.join(TMP, "testenv.json");
  if (!fs.existsSync(infoFile)) throw new Error(`${infoFile} is missing: run npm run testenv:up first`);
  const info = JSON.parse(fs.readFileSync(infoFile, "utf8")) as TestenvInfo;
  const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const chosen = only.length ? VARIANTS.filter((v) => only.includes(v.name)) : VARIANTS;
  if (only.length && chosen.length !== only.length) throw new Error(`unknown variant(s): ${only.filter((n) => !VARIANTS.some((v) => v.name === n)).join(", ")}; known: ${VARIANTS.map((v) => v.name).join(", ")}`);
  const baseCfg = loadConfigFile(info.pulumi.stackFile);
  const env = await variantEnv(info, Object.values(baseCfg.images));
  const rows: VariantRow[] = [];
  try {
    if (chosen.some((v) => v.lan)) await lanUp();
    for (const v of chosen) {
      log(`${v.name}: ${v.about}`);
      const file = await writeVariant(info, v, env);
      const policy = v.policyConfig ? path.join(DIR, "policy.json") : undefined;
      if (policy) fs.writeFileSync(policy, JSON.stringify(v.policyConfig, null, 2));
      const cfg = loadConfigFile(file);
      const expected = expectedOutcome(cfg, { registryDigests: true });
      const started = Date.now();
      const a = await apply(info, file, policy);
      const bundle = latestBundle(path.join(TMP, "out"), started);
      const row = compareOutcome(v.name, expected as Record<string, Expected>, a, bundle);
      rows.push(row);
      log(`${v.name}: apply exit ${a.code} in ${(a.ms / 1000).toFixed(1)} s, ${row.mismatches.length ? `MISMATCH: ${row.mismatches.join("; ")}` : "as expected"}`);
      if (row.mismatches.length && a.code !== 0) process.stderr.write(`${a.tail}\n`);
    }
  } finally {
    // Leave the environment as up.sh made it: its own stack file again.
    log("restoring the environment's own stack file");
    const back = await apply(info, info.pulumi.stackFile, undefined);
    if (back.code !== 0) {
      process.stderr.write(`${back.tail}\n`);
      rows.push({ name: "(restore)", apply: `exit ${back.code}`, verify: "-", levels: "-", mismatches: ["re-applying the environment's stack file failed"], seconds: back.ms / 1000 });
    }
    if (chosen.some((v) => v.lan)) await lanDown();
  }
  process.stdout.write(formatTable(rows) + "\n");
  const bad = rows.filter((r) => r.mismatches.length);
  process.stdout.write(`${rows.length - bad.length}/${rows.length} variants as their config implies\n`);
  return bad.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`test:variants could not run: ${(e as Error).message}\n`);
      process.exit(2);
    },
  );
}
