// npm run -s verify -- --stack <name> [--config-file F] [--json] [--secrets-file F] ...
// Runs the L1-L9 proofs against a deployed stack with no Pulumi CLI: desired state from the real
// program evaluated under mocks (evaluateProgram), live state from the Docker engine and the
// services' APIs. Levels run in parallel (L3 takes longest). Secrets are never printed.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { ErrorCode, errorRecord, toErrorRecord } from "../contracts/errors";
import { makeIo } from "../components/verify/io";
import { driftRecordFrom, ImageRecord, imagesFromRecord, resolveImages, runSuite, SuiteOverrides, SuiteReport } from "../components/verify/suite";
import { Level, LEVELS } from "../components/verify/types";
import { REDACTED } from "../contracts/plan";
import { runCli } from "./lib/cli";
import { driftKeyFrom, grafanaPasswordFrom, hostRunsFor, loadDesired, parseEnvFile } from "./lib/verify-load";

// Kept importable from here for callers of the verify CLI's module.
export { grafanaPasswordFrom, loadDesired, parseEnvFile };
import { assertSecretsFileMode, SECRETS_FILE } from "./lib/secrets-file";
import { EXIT, EXIT_CODES_HELP, exitForCode } from "./lib/exit-codes";

export const HELP = `Usage: npm run -s verify -- --stack <name> [options]

Proves a deployed stack works (L1 health, L2 reachability, L3 ingestion, L4 labels, L5 dashboards,
L6 rules, L7 provenance, L8 config drift, L9 alert delivery) without the Pulumi CLI.

Options:
  --stack <name>          stack name (reads Pulumi.<name>.yaml unless --config-file is given)
  --config-file <file>    stack file to use instead of Pulumi.<stack>.yaml
  --secrets-file <file>   env-style file with GRAFANA_ADMIN_PASSWORD=... and CONFIG_DRIFT_KEY=... (L8's
                          drift key); default: the same names in the environment
  --recorded <file>       recorded images for L7: stack outputs JSON (images.<svc>) or testenv.json
                          (services.<svc>); default: the engine's image for each pinned reference
                          and the registry's digest for it. L8 reads the keyed hashes of the secret
                          files from it (configSecretDigests); without them, or without the drift
                          key (CONFIG_DRIFT_KEY in --secrets-file or the environment, or the
                          file's configDriftKey when written with --show-secrets: then it must be
                          mode 0600), secret files are reported "not compared" (a warning)
  --probe-image <ref>     image for in-network probes (needs BusyBox wget; default images.prometheus)
  --levels L1,L3,...      run only these levels (default: those verify.* enables)
  --sequential            run levels one after the other (default: in parallel)
  --ingestion-timeout <s> L3 wall clock (default verify.timeoutSeconds)
  --alert-timeout <s>     L9 wall clock for Watchdog to reach the receiver (default verify.timeoutSeconds)
  --json                  print the report as JSON
  --help                  this text

A fleet (hosts in the stack file, docs/FLEET.md) is proved per host as well, all hosts at once beside
the levels: each non-central host's engine is reached at its docker.host; for tcp:// its TLS client
certificate is read from the directory DOCKER_CERT_PATH_<HOST> names (ca.pem, cert.pem, key.pem mode
0600; <HOST> is the host's name in capitals, '-' as '_'), set in --secrets-file or the environment;
for ssh:// through ssh-agent (SSH_AUTH_SOCK) with the host's key in ~/.ssh/known_hosts.

A red level is exit 1; warnings alone are exit 0 (the report says warn); could not run (the
config file, the Docker engine) is exit 3.

${EXIT_CODES_HELP}`;

export interface VerifyArgs {
  stack: string;
  configFile?: string;
  secretsFile?: string;
  recorded?: string;
  probeImage?: string;
  levels?: Level[];
  sequential: boolean;
  ingestionTimeout?: number;
  alertTimeout?: number;
  json: boolean;
}

export function parseVerifyArgs(argv: string[]): VerifyArgs | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      "config-file": { type: "string" },
      "secrets-file": { type: "string" },
      recorded: { type: "string" },
      "probe-image": { type: "string" },
      levels: { type: "string" },
      sequential: { type: "boolean", default: false },
      "ingestion-timeout": { type: "string" },
      "alert-timeout": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return "help";
  if (!values.stack) throw new Error("--stack <name> is required");
  let levels: Level[] | undefined;
  if (values.levels) {
    levels = values.levels.split(",").map((s) => s.trim().toUpperCase()) as Level[];
    const bad = levels.filter((l) => !LEVELS.includes(l));
    if (bad.length) throw new Error(`unknown level(s) ${bad.join(", ")}; use L1..L9`);
  }
  const it = values["ingestion-timeout"];
  if (it !== undefined && !/^[0-9]+$/.test(it)) throw new Error("--ingestion-timeout takes whole seconds");
  const at = values["alert-timeout"];
  if (at !== undefined && !/^[0-9]+$/.test(at)) throw new Error("--alert-timeout takes whole seconds");
  return {
    stack: values.stack,
    configFile: values["config-file"],
    secretsFile: values["secrets-file"],
    recorded: values.recorded,
    probeImage: values["probe-image"],
    levels,
    sequential: values.sequential === true,
    ingestionTimeout: it === undefined ? undefined : Number(it),
    alertTimeout: at === undefined ? undefined : Number(at),
    json: values.json === true,
  };
}

/** Replace any occurrence of a secret in text (belt and braces; the report should hold none). */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

/** Under a level's or a host's line: its findings, and when it is not green its diagnostics (cut) and fix. */
function detailLines(e: { status: string; code?: ErrorCode; findings: string[]; diagnostics: Record<string, unknown> }): string[] {
  const lines = e.findings.map((f) => `      - ${f}`);
  if (e.status !== "green") {
    const d = JSON.stringify(e.diagnostics);
    lines.push(`      diagnostics: ${d.length > 1500 ? d.slice(0, 1500) + "…" : d}`);
    if (e.code) lines.push(`      fix: ${errorRecord(e.code, "x").action}`);
  }
  return lines;
}

export function formatReport(r: SuiteReport, stack: string): string {
  const lines = [`verify ${stack}: ${r.status.toUpperCase()} in ${(r.durationMs / 1000).toFixed(2)} s (${r.parallel ? "parallel" : "sequential"})`];
  for (const l of r.levels) {
    lines.push(`  ${l.level} ${l.name.padEnd(12)} ${l.status.padEnd(5)} ${(l.durationMs / 1000).toFixed(2).padStart(7)} s${l.code ? `  ${l.code} (${l.bucket})` : ""}`);
    lines.push(...detailLines(l));
  }
  // Nothing disappears: a level that did not run says so, and why.
  for (const k of r.skipped ?? []) lines.push(`  ${k.level} ${k.name.padEnd(12)} skipped  (${k.reason})`);
  // One line per fleet host (its proof ran beside the levels), the same details under it.
  for (const h of r.hosts ?? []) {
    lines.push(`  host ${h.host.padEnd(13)} ${h.status.padEnd(5)} ${(h.durationMs / 1000).toFixed(2).padStart(7)} s${h.code ? `  ${h.code} (${h.bucket})` : ""}`);
    lines.push(...detailLines(h));
  }
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  let args: VerifyArgs | "help";
  try {
    args = parseVerifyArgs(argv);
  } catch (e) {
    const rec = errorRecord("E_ENV_USAGE", (e as Error).message);
    process.stderr.write(`${rec.code} (${rec.bucket}): ${rec.message}\n${rec.action}\n`);
    return EXIT.USAGE;
  }
  if (args === "help") {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  let password: string | undefined;
  let driftKey: string | undefined;
  try {
    // P8: the operator secrets file, and any --secrets-file, must be mode 0600 when present
    // (checked from its metadata, before anything reads it).
    assertSecretsFileMode(path.resolve(SECRETS_FILE));
    if (args.secretsFile) assertSecretsFileMode(path.resolve(args.secretsFile));
    password = grafanaPasswordFrom(args.secretsFile, process.env);
    driftKey = driftKeyFrom(args.secretsFile, process.env);
    const desired = await loadDesired(args);
    const io = await makeIo();
    let images: ImageRecord;
    const recorded: unknown = args.recorded ? JSON.parse(fs.readFileSync(path.resolve(args.recorded), "utf8")) : undefined;
    if (recorded !== undefined) images = imagesFromRecord(recorded);
    else images = await resolveImages(desired, io);
    const drift = driftRecordFrom(recorded, driftKey);
    // A recorded file that holds the key in clear is a secrets file: owner-only, like --secrets-file.
    if (args.recorded && drift.key && drift.key !== driftKey) assertSecretsFileMode(path.resolve(args.recorded));
    driftKey = drift.key;
    const overrides: SuiteOverrides = {};
    if (args.ingestionTimeout !== undefined) overrides.ingestionTimeoutSeconds = args.ingestionTimeout;
    if (args.alertTimeout !== undefined) overrides.alertTimeoutMs = args.alertTimeout * 1000;
    // A fleet: one proof per other host, each through its own engine (never printed: its TLS key).
    const hosts = await hostRunsFor(desired.config, args.secretsFile, process.env);
    const report = await runSuite(desired, io, { levels: args.levels, password, images, drift, parallel: !args.sequential, overrides, ...(hosts.length ? { hosts } : {}) });
    const text = args.json ? JSON.stringify({ stack: args.stack, ...report }, null, 2) : formatReport(report, args.stack);
    process.stdout.write(redact(text, [password, driftKey]) + "\n");
    return report.status === "red" ? EXIT.RED : EXIT.OK;
  } catch (e) {
    const rec = toErrorRecord(e);
    const msg = redact(`${rec.code} (${rec.bucket}): ${rec.message}\n${rec.action}\n`, [password, driftKey]);
    if (args.json) process.stdout.write(JSON.stringify({ stack: args.stack, status: "error", error: { ...rec, message: redact(rec.message, [password, driftKey]) } }) + "\n");
    else process.stderr.write(msg);
    return exitForCode(rec.code);
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { exit: true });
