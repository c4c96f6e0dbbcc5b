// policy:check — the CrossGuard pack, offline. Evaluates the real program under Pulumi's mocks (the
// same evaluation as `render`, scripts/lib/evaluate.ts) and runs the very policy objects the pack
// serves (policy/lib/catalog.ts) over every resource and over the stack, the way the analyzer
// server does (policy/lib/runner.ts). Verdicts match `pulumi preview --policy-pack policy` with
// `--policy-pack-config policy/config/<stack>.json`, except that data-retained also sees
// retainOnDelete here (the analyzer protocol does not carry it).
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { lintFile } from "./lib/lint-file";
import { readStackFile, resolveConfigFile } from "../contracts/config/stackfile";
import { errorRecord, toErrorRecord } from "../contracts/errors";
import { evaluateProgram, PROJECT_ROOT } from "./lib/evaluate";
import { POLICIES } from "../policy/lib/catalog";
import { mandatory, PackConfig, runPolicies, Violation } from "../policy/lib/runner";
import { runCli } from "./lib/cli";
import { EXIT, EXIT_CODES_HELP } from "./lib/exit-codes";

const HELP = `Usage: npm run -s policy:check -- --stack <name> [--config-file <file>] [--policy-config <file>] [--json]

Evaluates the program for stack <name> under Pulumi's mocks (no Pulumi CLI, no Docker engine) and
runs the CrossGuard pack's policies (policy/) over every resource and over the stack.

Options:
  --stack <name>          stack name (reads Pulumi.<name>.yaml unless --config-file is given)
  --config-file <file>    stack file to evaluate instead of Pulumi.<name>.yaml
  --policy-config <file>  policy pack config, same format as the CLI's --policy-pack-config
                          (default: policy/config/<name>.json when it exists). exposure-explicit's
                          lanExposed is always taken from the stack file's exposure.lanExposed.
  --json                  print {"violations":[{"policy","enforcementLevel","resource","message"}]}
                          (plus "errors":[...] for config errors) instead of a table
  -h, --help              this text

A mandatory violation or a config error is exit 1 (red); advisory violations alone are exit 0.

${EXIT_CODES_HELP}`;

export interface CheckResult {
  violations: Violation[];
  errors?: { code: string; bucket: string; path?: string; message: string; action?: string; examplePatch?: string }[];
}

/** Policy config for a stack: the file (if any), with exposure-explicit.lanExposed (and alertmanagerLanExposed, from alerting.lanExposed) from the stack config. */
export function packConfigFor(stackFile: string, policyConfigFile: string | undefined): PackConfig {
  let config: PackConfig = {};
  if (policyConfigFile) config = JSON.parse(fs.readFileSync(policyConfigFile, "utf8")) as PackConfig;
  const proj = readStackFile(stackFile).projectConfig;
  const exposure = proj.exposure as { lanExposed?: unknown } | undefined;
  const lanExposed = exposure?.lanExposed === true;
  const alerting = proj.alerting as { lanExposed?: unknown } | undefined;
  const alertmanagerLanExposed = alerting?.lanExposed === true;
  const prev = config["exposure-explicit"];
  const base = typeof prev === "string" ? { enforcementLevel: prev } : (prev ?? {});
  config["exposure-explicit"] = { ...base, lanExposed, alertmanagerLanExposed };
  return config;
}

export function defaultPolicyConfigFile(stack: string): string | undefined {
  const f = path.join(PROJECT_ROOT, "policy", "config", `${stack}.json`);
  return fs.existsSync(f) ? f : undefined;
}

/** Evaluate + run the pack. Config errors come back in `errors` (no evaluation happens). */
export async function policyCheck(opts: { stack: string; configFile?: string; policyConfigFile?: string }): Promise<CheckResult> {
  const file = opts.configFile ? resolveConfigFile({ configFile: opts.configFile }) : resolveConfigFile({ stack: opts.stack });
  const lint = lintFile(file);
  if (!lint.ok) {
    return { violations: [], errors: lint.errors.map((f) => ({ code: f.code, bucket: f.bucket, path: f.path, message: f.message, examplePatch: f.examplePatch })) };
  }
  const config = packConfigFor(file, opts.policyConfigFile ?? defaultPolicyConfigFile(opts.stack));
  const ev = await evaluateProgram({ stack: opts.stack, configFile: file });
  const run = await runPolicies(POLICIES, ev.resources, config);
  return { violations: run.violations };
}

export function isFailing(r: CheckResult): boolean {
  return (r.errors?.length ?? 0) > 0 || mandatory({ violations: r.violations, notApplicable: [] }).length > 0;
}

/** Human table: one block per violation, mandatory first. */
export function formatTable(r: CheckResult): string {
  const lines: string[] = [];
  for (const e of r.errors ?? []) lines.push(`${e.code} [${e.bucket}] ${e.path ?? ""}: ${e.message}${e.examplePatch ? `\n  patch:\n${e.examplePatch.replace(/^/gm, "    ")}` : ""}`);
  const rank = (v: Violation) => (v.enforcementLevel === "mandatory" ? 0 : 1);
  const sorted = [...r.violations].sort((a, b) => rank(a) - rank(b) || a.policy.localeCompare(b.policy) || a.resource.localeCompare(b.resource));
  const short = (urn: string) => (urn === "" ? "(stack)" : urn.split("::").pop() ?? urn);
  const w1 = Math.max(10, ...sorted.map((v) => v.enforcementLevel.length));
  const w2 = Math.max(6, ...sorted.map((v) => v.policy.length));
  const w3 = Math.max(8, ...sorted.map((v) => short(v.resource).length));
  if (sorted.length > 0) {
    lines.push(`${"LEVEL".padEnd(w1)}  ${"POLICY".padEnd(w2)}  ${"RESOURCE".padEnd(w3)}  MESSAGE`);
    for (const v of sorted) lines.push(`${v.enforcementLevel.padEnd(w1)}  ${v.policy.padEnd(w2)}  ${short(v.resource).padEnd(w3)}  ${v.message}`);
  }
  const m = sorted.filter((v) => v.enforcementLevel === "mandatory").length;
  lines.push(
    r.errors?.length
      ? `policy:check: ${r.errors.length} config error(s); the program was not evaluated`
      : `policy:check: ${m} mandatory, ${sorted.length - m} advisory violation(s)${m === 0 ? ": OK" : ""}`,
  );
  return lines.join("\n") + "\n";
}

function usage(message: string, json: boolean): number {
  const rec = errorRecord("E_ENV_USAGE", message);
  if (json) process.stdout.write(`${JSON.stringify({ violations: [], errors: [rec] }, null, 2)}\n`);
  else process.stderr.write(`${rec.code} [${rec.bucket}]: ${message}\n\n${HELP}\n`);
  return EXIT.USAGE;
}

export async function main(argv: string[]): Promise<number> {
  let values;
  const json = argv.includes("--json");
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, "config-file": { type: "string" }, "policy-config": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err), json);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!values.stack) return usage("missing --stack <name>", json);
  let result: CheckResult;
  try {
    result = await policyCheck({ stack: values.stack, configFile: values["config-file"], policyConfigFile: values["policy-config"] });
  } catch (err) {
    // A program that refuses its config (BootstrapError E_CONFIG_*) or crashes: reported, exit 1.
    const rec = toErrorRecord(err);
    result = { violations: [], errors: [rec] };
  }
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(formatTable(result));
  if (result.errors?.length && !json) process.stderr.write(`fix the config errors above (npm run -s config:lint -- <file>) and run again\n`);
  return isFailing(result) ? 1 : 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
