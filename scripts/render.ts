// render: the offline plan. Evaluates the real program under Pulumi's mocks (no CLI, no Docker)
// and writes what a reviewer diffs, the way `helm template` output is diffed:
//   <out>/plan.json                     every resource: type, name, urn, inputs, options; outputs
//   <out>/files/<service>/<path>        every non-secret file a container receives, byte-identical
//   <out>/files/<host>/<service>/<path> the same for a fleet's other host <host>
// Secret values never reach either: they are `***REDACTED***` in plan.json, and secret files
// (Grafana's admin password and secret key) are not written.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatHuman, lintFile } from "./lib/lint-file";
import { resolveConfigFile } from "../contracts/config/stackfile";
import { Evaluation, evaluateProgram, toPlan } from "./lib/evaluate";
import { desiredFiles } from "../contracts/plan";
import { runCli } from "./lib/cli";
import { EXIT, EXIT_CODES_HELP } from "./lib/exit-codes";

const HELP = `Usage: npm run -s render -- --stack <name> [--config-file <file>] --out <dir>

Evaluates the program for stack <name> with Pulumi's mocks (no Pulumi CLI, no Docker engine) and
writes <dir>/plan.json (resources with type, name, urn, inputs and options protect, retainOnDelete,
deleteBeforeReplace, dependsOn, parent; the stack outputs) and <dir>/files/<service>/<path> (each
rendered config file exactly as its container receives it; a fleet's other host's under
<dir>/files/<host>/<service>/<path>). Secret values appear as ***REDACTED***.

Options:
  --stack <name>        stack name (reads Pulumi.<name>.yaml unless --config-file is given)
  --config-file <file>  stack file to read instead of Pulumi.<name>.yaml
  --out <dir>           output directory (created; plan.json and files/ are replaced)
  -h, --help            this text

A config with errors is exit 1 (its config:lint findings printed), nothing written.

${EXIT_CODES_HELP}`;

export interface RenderedOutput {
  plan: Record<string, unknown>;
  /** files/<service>/<path> relative name -> content */
  files: Record<string, string>;
  /** The program's warnings (as `pulumi preview` shows them). */
  warnings: string[];
}

/** Files to write, taken from each container's `uploads` input (what Docker receives). */
export function filesFromEvaluation(ev: Evaluation): Record<string, string> {
  const out: Record<string, string> = {};
  // Secret files are never written (desiredFiles leaves them out).
  for (const { resource: r, service: svc, host, files } of desiredFiles(ev)) {
    if (!svc) throw new Error(`container ${r.name} has no logging-bootstrap.service label`);
    // A fleet's other host's containers: files/<host>/<service>/... (the central host's: files/<service>/...).
    for (const u of files) out[path.posix.join("files", ...(host !== undefined ? [host] : []), svc, u.path.replace(/^\/+/, ""))] = u.content;
  }
  return out;
}

export async function render(opts: { stack: string; configFile?: string }): Promise<RenderedOutput> {
  const ev = await evaluateProgram(opts);
  return { plan: toPlan(ev), files: filesFromEvaluation(ev), warnings: ev.warnings };
}

export function writeRendered(outDir: string, r: RenderedOutput): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  fs.rmSync(path.join(outDir, "files"), { recursive: true, force: true });
  const written = ["plan.json"];
  fs.writeFileSync(path.join(outDir, "plan.json"), JSON.stringify(r.plan, null, 2) + "\n");
  for (const rel of Object.keys(r.files).sort()) {
    const target = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, r.files[rel]);
    written.push(rel);
  }
  return written;
}

function usage(message: string): number {
  process.stderr.write(`E_ENV_USAGE [env]: ${message}\n\n${HELP}\n`);
  return EXIT.USAGE;
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { stack: { type: "string" }, "config-file": { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!values.stack) return usage("missing --stack <name>");
  if (!values.out) return usage("missing --out <dir>");
  const file = values["config-file"] ? resolveConfigFile({ configFile: values["config-file"] }) : resolveConfigFile({ stack: values.stack });
  // Same gate as the program and config:lint: no evaluation of a config with errors.
  const report = lintFile(file);
  if (!report.ok) {
    process.stderr.write(formatHuman(file, report));
    return EXIT.RED;
  }
  const rendered = await render({ stack: values.stack, configFile: file });
  const written = writeRendered(values.out, rendered);
  for (const w of rendered.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`render: stack ${values.stack} (${file}): ${(rendered.plan.resources as unknown[]).length} resources; wrote ${written.length} files under ${values.out}\n`);
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
