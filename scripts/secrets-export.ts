// `npm run secrets:export -- --stack <name>`: the operator's secrets file (P8), secrets.local.env,
// mode 0600 from its first byte, gitignored, refusing to write through a looser existing file.
// Values come from the stack through the Automation API: outputs and config values flagged secret,
// and Grafana's admin password (config, else the generated one in the state). Never printed.
import path from "node:path";
import { projectRoot, runCli } from "./lib/cli";
import { guardedOps } from "./lib/pulumi/stack-ops";
import { grafanaAdminPassword, readStackSecrets } from "./lib/pulumi/secrets";
import type { OpenOptions, Opened } from "./lib/pulumi/workspace";
import { EXIT, EXIT_CODES_HELP } from "./lib/exit-codes";
import { print, printJson, redactor } from "./lib/redact";
import { assertSecretsFileMode, envNameFor, renderEnvFile, SECRETS_FILE, writeSecretsFile } from "./lib/secrets-file";
import { parseStackCli } from "./lib/stack-cli";

const HELP = `Usage: npm run secrets:export -- --stack <name> [--file <path>] [--json]

Writes ${SECRETS_FILE} (or --file) with mode 0600: one NAME=value line per secret output and secret
config key (grafanaAdminPassword -> GRAFANA_ADMIN_PASSWORD; the generated one from the state when
none is configured). Refuses (E_ENV_SECRETS_FILE_MODE) when the existing file is readable by
group/others or is not a regular file. Prints key names only. 1 when the stack holds no secret.

${EXIT_CODES_HELP}`;

function flatten(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

export async function main(argv: string[], deps: { open?: (o: OpenOptions) => Promise<Opened> } = {}): Promise<number> {
  const cli = parseStackCli(argv, HELP, { file: { type: "string" } });
  if (!cli) return EXIT.OK;
  const { stack, values } = cli;
  const root = projectRoot();
  const file = path.resolve(root, values.file ?? SECRETS_FILE);
  // Refuse before reading any secret: a loose file is never written through.
  assertSecretsFileMode(file);
  const ops = guardedOps("secrets", (await (deps.open ?? (await import("./lib/pulumi/workspace")).openStack)({ root, stack, env: process.env })).ops);
  const s = await readStackSecrets(ops);
  const admin = await grafanaAdminPassword(ops);
  redactor.learn([s.outputSecrets, s.configSecrets, { password: admin.password }], true);
  const env: Record<string, string> = {};
  if (admin.password) env.GRAFANA_ADMIN_PASSWORD = admin.password;
  for (const [k, v] of Object.entries(s.configSecrets)) {
    const flat = flatten(v);
    if (flat !== undefined) env[envNameFor(k)] = flat;
  }
  for (const [k, v] of Object.entries(s.outputSecrets)) {
    const flat = flatten(v);
    if (flat !== undefined) env[envNameFor(k)] = flat; // an output wins over config: it is what was deployed
  }
  const names = Object.keys(env).sort();
  if (!names.length) {
    print(`no secret outputs or secret config keys in stack ${stack}; nothing written`);
    return EXIT.RED;
  }
  writeSecretsFile(file, renderEnvFile(env, `# ${SECRETS_FILE} for stack ${stack}: written by npm run secrets:export (mode 0600, gitignored). Do not commit.`));
  const mode = `0${assertSecretsFileMode(file).mode!.toString(8)}`;
  if (values.json) printJson({ file, mode, keys: names });
  else print(`wrote ${file} (mode ${mode}): ${names.join(", ")}`);
  return EXIT.OK;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
