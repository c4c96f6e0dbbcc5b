// Prints the serialized text of one provider, from a fresh process (argv: proof <level> | admin).
// A jest worker that already evaluated the program under mocks serializes without the TypeScript
// interop helpers the provider's `await import()` needs; a fresh process, like the engine's
// program process, captures them.
import * as pulumi from "@pulumi/pulumi";
import { grafanaAdminProvider, proofProvider } from "../../components/verify/providers";
import type { Level } from "../../components/verify/types";

async function main(): Promise<void> {
  const [kind, level] = process.argv.slice(2);
  const provider = kind === "admin" ? grafanaAdminProvider() : proofProvider(level as Level);
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  process.stdout.write(sf.text);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
