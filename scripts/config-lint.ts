// config:lint — check a stack file (Pulumi.<stack>.yaml as Pulumi writes it, or an original JSON
// config) against the config contract: schema version, semantic rules, zod schema. Every finding
// is printed with its code, bucket and an example patch; all of them, not just the first.
import { parseArgs } from "node:util";
import { stackFilePath } from "../contracts/config/stackfile";
import { runCli } from "./lib/cli";
import { formatHuman, lintFile, localDigests } from "./lib/lint-file";
import { EXIT, EXIT_CODES_HELP, exitForErrors } from "./lib/exit-codes";

const HELP = `Usage: npm run -s config:lint -- <stack file> [--json]
       npm run -s config:lint -- --stack <name> [--json]

Checks a Pulumi.<stack>.yaml (keys namespaced logging-bootstrap:, secure: values, structured
values) or an original JSON config (v0) (reported as E_CONFIG_NEEDS_MIGRATION) against the current schema and
the semantic rules. Prints every finding with its code, bucket and an example YAML patch.

Options:
  --stack <name>  lint Pulumi.<name>.yaml at the repository root
  --json          print exactly {"ok": bool, "errors": [...], "warnings": [...]}; each finding is
                  {code, bucket, path, message, examplePatch}
  -h, --help      this text

The config having errors is exit 1 (red; a file that is not there: 3); warnings alone are exit 0.

${EXIT_CODES_HELP}`;

function usage(message: string, json: boolean): number {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, errors: [{ code: "E_ENV_USAGE", bucket: "env", path: "", message, examplePatch: "" }], warnings: [] }, null, 2)}\n`);
  } else {
    process.stderr.write(`E_ENV_USAGE [env]: ${message}\n\n${HELP}\n`);
  }
  return EXIT.USAGE;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean" }, stack: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err), json);
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const files = parsed.positionals;
  let file: string;
  if (parsed.values.stack !== undefined) {
    if (files.length > 0) return usage("pass either a file or --stack, not both", json);
    try {
      file = stackFilePath(parsed.values.stack);
    } catch (err) {
      return usage(err instanceof Error ? err.message : String(err), json);
    }
  } else {
    if (files.length !== 1) return usage(files.length === 0 ? "missing <stack file>" : "pass exactly one stack file", json);
    file = files[0];
  }
  const report = lintFile(file, await localDigests(file));
  if (json) process.stdout.write(`${JSON.stringify({ ok: report.ok, errors: report.errors, warnings: report.warnings }, null, 2)}\n`);
  else process.stdout.write(formatHuman(file, report));
  return report.ok ? EXIT.OK : exitForErrors(report.errors);
}

// Never a stack trace: an unexpected failure is reported as a coded record.
if (require.main === module) runCli(() => main(process.argv.slice(2)));
