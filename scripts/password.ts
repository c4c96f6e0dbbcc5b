// `npm run -s password [-- --stack <name>]`: Grafana's admin password (user admin) of a stack, on
// stdout and nothing else there. The one command that prints a secret, because asking for it is
// its whole purpose: the `grafanaAdminPassword` secret when configured, else the generated one
// from the stack's state (Automation API exportStack). Same CLI/backend/passphrase defaults as bootstrap.
import { parseCli, projectRoot, runCli } from "./lib/cli";
import { EXIT, EXIT_CODES_HELP } from "./lib/exit-codes";
import { print, printErr } from "./lib/redact";
import { grafanaAdminPassword } from "./lib/pulumi/secrets";
import { guardedOps } from "./lib/pulumi/stack-ops";
import type { OpenOptions, Opened } from "./lib/pulumi/workspace";
import { BootstrapError } from "../contracts/errors";
import path from "node:path";

const HELP = `Usage: npm run -s password [-- --stack <name>] [--config-file <file>]

Prints Grafana's admin password (user: admin) of the stack (default: the selected one) on stdout:
the grafanaAdminPassword secret when it is set, else the password the stack generated (from its
state). Nothing else is printed on stdout, so \`npm run -s password | xclip\` works.

${EXIT_CODES_HELP}`;

export async function main(argv: string[], deps: { open?: (o: OpenOptions) => Promise<Opened> } = {}): Promise<number> {
  const { values } = parseCli(argv, { stack: { type: "string" }, "config-file": { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    print(HELP);
    return EXIT.OK;
  }
  const root = projectRoot();
  const configFile = values["config-file"] ? path.resolve(values["config-file"]) : undefined;
  const opened = await (deps.open ?? (await import("./lib/pulumi/workspace")).openStack)({ root, stack: values.stack, env: process.env, ...(configFile ? { stackFile: () => configFile } : {}) });
  const ops = guardedOps("password", opened.ops);
  const r = await grafanaAdminPassword(ops, configFile);
  if (!r.password) throw new BootstrapError("E_RUNTIME_CONTAINER_MISSING", `stack ${opened.stack} has no Grafana admin password yet (${r.source})`, { action: "Deploy the stack first: npm start (or npm run -s bootstrap -- --mode apply)." });
  // Deliberately unredacted: the operator asked for this value. Only the value goes to stdout.
  process.stdout.write(`${r.password}\n`);
  printErr(`(user admin, stack ${opened.stack}, ${r.source})`);
  return EXIT.OK;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
