// The head of the per-stack operator CLIs (images:export, secrets:export): `--stack <name> [--json]
// [-h]` plus the CLI's own options; --help is answered before the stack name is checked.
import type { ParseArgsConfig } from "node:util";
import { parseCli, requireStack } from "./cli";
import { print } from "./redact";

const STACK_OPTIONS = { stack: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;

/** The parsed options and the checked stack name; undefined when --help printed `help` (exit 0). */
export function parseStackCli<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], help: string, options: T) {
  const { values } = parseCli(argv, { ...STACK_OPTIONS, ...options });
  // TypeScript cannot see STACK_OPTIONS' keys through the generic spread; they are there.
  const own = values as { stack?: string; help?: boolean };
  if (own.help) {
    print(help);
    return undefined;
  }
  return { stack: requireStack(own.stack), values };
}
