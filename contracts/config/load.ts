// The one path from a stack's config namespace to a validated StackConfig. Where the namespace
// comes from differs (the Pulumi runtime inside the program, a stack file for the CLIs and for
// verify), what is judged and how does not: the lint on the project's keys, plus the keys set in
// a misspelt namespace that the program would never read.
import { BootstrapError } from "../errors";
import { Finding, PROJECT_NAMESPACE, formatFinding } from "./findings";
import { LintResult, lintConfig, namespaceFindings } from "./lint";
import { StackConfig } from "./schema";
import { readStackFile } from "./stackfile";

export interface ConfigSource {
  /** The project's keys as Pulumi hands them to the program (secret values are stand-ins). */
  projectConfig: Record<string, unknown>;
  /** Project keys that hold a Pulumi secret. */
  secretKeys: string[];
  /** Every key of the stack with its namespace (`ns:key`). */
  fullKeys: string[];
  /** Problems with the source itself (a missing file, a YAML error); nothing else is judged then. */
  findings: Finding[];
}

export interface CheckOptions {
  /** Migrate an older schema in memory (the program and verify) instead of refusing it (config:lint). */
  migrate: boolean;
  /** image ref -> digest where known, for the digest advice. */
  digests?: Record<string, string>;
}

/** A stack file read as Pulumi reads it. */
export function fileConfigSource(file: string): ConfigSource {
  const f = readStackFile(file);
  return { projectConfig: f.projectConfig, secretKeys: f.projectSecretKeys, fullKeys: Object.keys(f.pulumiConfig), findings: f.findings };
}

/** Judge a config source; never throws. */
export function checkConfig(src: ConfigSource, opts: CheckOptions): LintResult {
  if (src.findings.length > 0) return { ok: false, errors: src.findings, warnings: [] };
  const linted = lintConfig(src.projectConfig, { secretKeys: src.secretKeys, migrate: opts.migrate, digests: opts.digests });
  const nsErrors = namespaceFindings(src.fullKeys);
  if (nsErrors.length === 0) return linted;
  const { config: _invalid, ...rest } = linted;
  void _invalid;
  return { ...rest, ok: false, errors: [...linted.errors, ...nsErrors] };
}

export function formatFindings(errors: Finding[], warnings: Finding[] = []): string {
  const lines = [
    `stack config for ${PROJECT_NAMESPACE} has ${errors.length} error(s)${warnings.length ? ` and ${warnings.length} warning(s)` : ""} (the same findings as \`npm run -s config:lint -- Pulumi.<stack>.yaml\`):`,
    ...errors.map((f) => formatFinding(f, "error")),
    ...warnings.map((f) => formatFinding(f, "warning")),
  ];
  return lines.join("\n");
}

/** The validated config, or a BootstrapError carrying every finding (coded by the first). */
export function requireValid(result: LintResult): StackConfig {
  if (result.ok && result.config) return result.config;
  throw new BootstrapError(result.errors[0]?.code ?? "E_CONFIG_SCHEMA", formatFindings(result.errors), {
    details: { findings: result.errors, warnings: result.warnings },
  });
}

/** The validated config of a stack file, as the program would load it, the admin password left out. */
export function loadConfigFile(file: string): Omit<StackConfig, "grafanaAdminPassword"> {
  const { grafanaAdminPassword: _secret, ...cfg } = requireValid(checkConfig(fileConfigSource(file), { migrate: true }));
  void _secret;
  return cfg;
}
