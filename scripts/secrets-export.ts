// `npm run secrets:export -- --stack <name>`: the operator's secrets file (P8), secrets.local.env,
// mode 0600 from its first byte, gitignored, refusing to write through a looser existing file.
// Values come from the Pulumi CLI: outputs masked as [secret] by `pulumi stack output --json` (read
// with --show-secrets) and config keys marked secret (`pulumi config get`). Values are never printed.
import path from "node:path";
import { projectRoot, runCli } from "./lib/cli";
import { pulumiRunner, readStackSecrets, versionArgv } from "./lib/pulumi-cli";
import { print, printJson, redactor } from "./lib/redact";
import { assertSecretsFileMode, envNameFor, renderEnvFile, SECRETS_FILE, writeSecretsFile } from "./lib/secrets-file";
import { parseStackCli } from "./lib/stack-cli";

const HELP = `Usage: npm run secrets:export -- --stack <name> [--file <path>] [--json]

Writes ${SECRETS_FILE} (or --file) with mode 0600: one NAME=value line per secret output and secret
config key (grafanaAdminPassword -> GRAFANA_ADMIN_PASSWORD). Refuses (E_ENV_SECRETS_FILE_MODE) when the
existing file is readable by group/others or is not a regular file. Prints key names only.

Exit codes: 0 written; 1 no secret found; 2 usage, Pulumi CLI missing or file mode refused.`;

function flatten(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

async function main(argv: string[]): Promise<number> {
  const cli = parseStackCli(argv, HELP, { file: { type: "string" } });
  if (!cli) return 0;
  const { stack, values } = cli;
  const root = projectRoot();
  const file = path.resolve(root, values.file ?? SECRETS_FILE);
  // Refuse before reading any secret: a loose file is never written through.
  assertSecretsFileMode(file);
  const runner = pulumiRunner("secrets", root);
  await runner.run(versionArgv());
  const s = await readStackSecrets(runner, stack);
  redactor.learn([s.outputSecrets, s.configSecrets], true);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.configSecrets)) env[envNameFor(k)] = v;
  for (const [k, v] of Object.entries(s.outputSecrets)) {
    const flat = flatten(v);
    if (flat !== undefined) env[envNameFor(k)] = flat; // an output wins over config: it is what was deployed
  }
  const names = Object.keys(env).sort();
  if (!names.length) {
    print(`no secret outputs or secret config keys in stack ${stack}${s.problems.length ? ` (${s.problems.join("; ")})` : ""}; nothing written`);
    return 1;
  }
  writeSecretsFile(file, renderEnvFile(env, `# ${SECRETS_FILE} for stack ${stack}: written by npm run secrets:export (mode 0600, gitignored). Do not commit.`));
  const mode = `0${assertSecretsFileMode(file).mode!.toString(8)}`;
  if (values.json) printJson({ file, mode, keys: names });
  else print(`wrote ${file} (mode ${mode}): ${names.join(", ")}`);
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
