// config:migrate — print a config upgraded to the current schema as Pulumi.<stack>.yaml text (P2).
// Input: an original JSON config (v0, snake_case keys) or a stack file of any supported version. Output on stdout is
// the stack file to save; notes (what moved, what was dropped and why) are YAML comments at its top,
// and a lint summary of the result goes to stderr. `secure:` values are carried over untouched.
// A file already at the current version is printed unchanged (so migrating twice equals once).
import fs from "node:fs";
import { parseArgs } from "node:util";
import YAML from "yaml";
import { PROJECT_NAMESPACE, formatFinding } from "../contracts/config/findings";
import { lintConfig } from "../contracts/config/lint";
import { CURRENT_SCHEMA_VERSION } from "../contracts/config/schema";
import { readStackFile, stripSecure } from "../contracts/config/stackfile";
import { detectVersion, migrateConfig } from "../contracts/migrations";
import { runCli } from "./lib/cli";
import { EXIT, EXIT_CODES_HELP, exitForErrors } from "./lib/exit-codes";

const HELP = `Usage: npm run -s config:migrate -- <file> [> Pulumi.<stack>.yaml]

Upgrades a config to schema v${CURRENT_SCHEMA_VERSION}, one version at a time, and prints the
resulting Pulumi.<stack>.yaml on stdout (notes as comments at the top; a lint summary on stderr).
<file> is an original JSON config (v0, snake_case keys) or a Pulumi.<stack>.yaml. A file already at v${CURRENT_SCHEMA_VERSION}
is printed unchanged. secure: values are kept as they are.

Steps: v0 -> v1 (the original JSON's keys), v1 -> v2 (Alertmanager and the alerting defaults),
v2 -> v3 (the fleet: a v2 stack becomes a fleet of one, hosts: [local], central, reached at
unix://<paths.dockerSocket> and 127.0.0.1; nothing it deploys changes). The program also runs an
older file as it is, migrated in memory with a warning; config:lint refuses it until migrated.

Options:
  -h, --help  this text

A file that cannot be migrated (unreadable/empty/invalid YAML, schemaVersion missing or newer than
this code) is exit 1; a missing file exit 3.

${EXIT_CODES_HELP}`;

export interface MigrateOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Everything the CLI does, as a pure-ish function (reads one file) for tests. */
export function migrateFile(file: string): MigrateOutput {
  const f = readStackFile(file);
  if (f.findings.length > 0) {
    return { exitCode: exitForErrors(f.findings), stdout: "", stderr: f.findings.map((x) => formatFinding(x)).join("\n") + "\n" };
  }
  const raw = f.raw as Record<string, unknown>;
  // Work on the original values (secure: objects intact), not the placeholder copy.
  const ns: Record<string, unknown> = {};
  const others: [string, unknown][] = [];
  const entries: [string, unknown][] = f.kind === "stack" ? Object.entries(raw.config as Record<string, unknown>) : Object.entries(raw);
  for (const [k, v] of entries) {
    if (f.kind !== "stack") ns[k] = v;
    else if (!k.includes(":")) ns[k] = v;
    else if (k.startsWith(`${PROJECT_NAMESPACE}:`)) ns[k.slice(PROJECT_NAMESPACE.length + 1)] = v;
    else others.push([k, v]);
  }

  const detected = detectVersion(ns);
  if (f.kind === "stack" && detected.kind === "version" && detected.version === CURRENT_SCHEMA_VERSION) {
    return { exitCode: 0, stdout: fs.readFileSync(file, "utf8"), stderr: `config:migrate: ${file} is already at schema v${CURRENT_SCHEMA_VERSION}; printed unchanged\n` };
  }
  const m = migrateConfig(ns);
  if (!m.config) {
    return { exitCode: exitForErrors(m.findings), stdout: "", stderr: m.findings.map((x) => formatFinding(x)).join("\n") + "\n" };
  }

  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.config)) config[`${PROJECT_NAMESPACE}:${k}`] = v;
  for (const [k, v] of others) config[k] = v;
  const doc: Record<string, unknown> = {};
  if (f.kind === "stack") for (const [k, v] of Object.entries(raw)) doc[k] = k === "config" ? config : v;
  else doc.config = config;

  const header = [
    `# Migrated by \`npm run -s config:migrate\` from schema v${m.fromVersion} to v${m.toVersion} (source: ${file}).`,
    "# Review these notes, then delete them:",
    ...m.notes.map((n) => `# - ${n}`),
  ].join("\n");
  const stdout = `${header}\n${YAML.stringify(doc, { lineWidth: 0 })}`;

  // Lint the result so the operator sees what is still left to fix (stderr keeps stdout a clean file),
  // read as a stack file is read: every secure: value (a whole key or a leaf) is a secret.
  const lintInput: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(m.config)) {
    const r = stripSecure(v);
    lintInput[k] = r.value;
    if (r.secret) secretKeys.push(k);
  }
  const lint = lintConfig(lintInput, { secretKeys });
  const stderr = lint.ok
    ? `config:migrate: migrated v${m.fromVersion} -> v${m.toVersion}; the result lints clean${lint.warnings.length ? ` (${lint.warnings.length} warning(s))` : ""}\n`
    : `config:migrate: migrated v${m.fromVersion} -> v${m.toVersion}; the result still has ${lint.errors.length} lint error(s):\n${lint.errors.map((x) => formatFinding(x)).join("\n")}\n`;
  return { exitCode: 0, stdout, stderr };
}

export function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
  } catch (err) {
    process.stderr.write(`E_ENV_USAGE [env]: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}\n`);
    return EXIT.USAGE;
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    process.stderr.write(`E_ENV_USAGE [env]: ${parsed.positionals.length === 0 ? "missing <file>" : "pass exactly one file"}\n\n${HELP}\n`);
    return EXIT.USAGE;
  }
  const out = migrateFile(parsed.positionals[0]);
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  return out.exitCode;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
