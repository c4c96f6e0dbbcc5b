// npm run policy:build [-- --force] [--json]
// Compiles the policy pack into policy/bin, unless policy/bin already is the build of the current
// inputs (scripts/lib/policy-pack.ts: the pack's sources and what they import, policy/tsconfig.json
// and the installed compiler packages, hashed and compared with the record of the last build).
// --force compiles anyway. Exit 0 built or current; 1 the compiler reported errors; 2 usage.
import { parseCli, projectRoot, runCli } from "./lib/cli";
import { EXIT } from "./lib/exit-codes";
import { buildPack, packFreshness } from "./lib/policy-pack";
import { print, printErr, printJson } from "./lib/redact";

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { force: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    print("Usage: npm run policy:build [-- --force] [--json]\nCompiles policy/ into policy/bin unless it is already the build of the current sources, tsconfig and compiler packages (--force: always).\nExit: 0 built or current; 1 compiler errors; 2 usage.");
    return EXIT.OK;
  }
  const root = projectRoot();
  const f = values.force ? ({ fresh: false, reason: "--force" } as const) : packFreshness(root);
  if (f.fresh) {
    if (values.json) printJson({ built: false, current: true, hash: f.hash });
    else printErr(`policy:build: policy/bin is current (inputs sha256 ${f.hash.slice(0, 12)}): not rebuilt`);
    return EXIT.OK;
  }
  const r = buildPack(root);
  if (r.diagnostics) printErr(r.diagnostics.trimEnd());
  if (values.json) printJson({ built: r.ok, current: r.ok, reason: f.reason, hash: r.stamp?.hash ?? null, durationMs: r.durationMs });
  else if (r.ok) printErr(`policy:build: compiled policy/bin in ${(r.durationMs / 1000).toFixed(1)} s (${f.reason})`);
  return r.ok ? EXIT.OK : EXIT.RED;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { json: () => process.argv.includes("--json") });
