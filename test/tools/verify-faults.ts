// npm run -s verify:faults [-- --json] [--testenv F] [--levels L1,..]
// The fault matrix against the running test environment (test/.tmp/testenv.json): for each level
// inject its fault(s), show the proof goes red with the right code, restore, show it green again.
// A proof that stays green under its fault fails the matrix (exit 1).
import * as path from "path";
import { parseArgs } from "util";
import { LEVELS, type Level } from "../../components/verify/types";
import { runCli } from "../../scripts/lib/cli";
import { contextFor, restoreActiveAndExit, runMatrix } from "./faults/matrix";

export const HELP = `Usage: npm run -s verify:faults [-- --json] [--testenv <file>] [--levels L1,L2,...]

For each verification level, inject its fault into the running test environment, show the proof
goes red with its code, restore, and show it green again:
  L1 stop a container (cadvisor)            -> E_PROOF_HEALTH
  L2 stop Loki's process (docker pause)     -> E_NETWORK_UNREACHABLE
  L3 stop ingestion (stop Alloy)            -> E_PROOF_INGESTION_TIMEOUT
  L3 the running Alloy stops redacting (its config's stage.replace put back what they capture,
     then /-/reload)                        -> E_PROOF_REDACTION_FAILED (restored: the rendered config, /-/reload)
  L4 push > limit values of one label       -> E_PROOF_CARDINALITY
  L5 remove a dashboard (its JSON in the container and Grafana's stored copy) -> E_PROOF_DASHBOARDS
  L6 drop a rule group + /-/reload          -> E_PROOF_RULES
  L7 re-tag node-exporter's image to other content and recreate the container -> E_PROOF_PROVENANCE_MISMATCH
     (restored as bootstrap --mode repair does: a pulumi up that rebuilds the container)
  L8 edit Loki's config file inside the running container -> E_PROOF_CONFIG_DRIFT
  L8 drop an extra dashboard JSON into Grafana's dashboards folder -> E_PROOF_CONFIG_DRIFT
  L8 rewrite Alertmanager's webhook credential file -> E_PROOF_CONFIG_DRIFT (compared by keyed hash)
  L8 chmod 0666 Prometheus' config file -> E_PROOF_CONFIG_DRIFT
  L9 silence Watchdog through Alertmanager's API -> E_PROOF_ALERT_NOT_DELIVERED
     (restored by expiring the silence)

Options:
  --testenv <file>   test environment description (default test/.tmp/testenv.json)
  --levels L1,...    run only these faults
  --json             print the matrix as JSON
Exit codes: 0 every fault went red with its code and green after restore; 1 otherwise;
            3 could not run (no test environment, bad arguments).`;


async function main(argv: string[]): Promise<number> {
  let values: { json?: boolean; testenv?: string; levels?: string; help?: boolean };
  try {
    values = parseArgs({ args: argv, options: { json: { type: "boolean" }, testenv: { type: "string" }, levels: { type: "string" }, help: { type: "boolean" } }, strict: true }).values;
  } catch (e) {
    process.stderr.write(`E_ENV_USAGE: ${(e as Error).message}\n${HELP}\n`);
    return 3;
  }
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const levels = values.levels ? (values.levels.split(",").map((s) => s.trim().toUpperCase()) as Level[]) : [...LEVELS];
  if (levels.some((l) => !LEVELS.includes(l))) {
    process.stderr.write("E_ENV_USAGE: --levels takes L1..L9\n");
    return 3;
  }
  const envFile = path.resolve(values.testenv ?? path.join(__dirname, "..", ".tmp", "testenv.json"));
  let setup;
  try {
    setup = await contextFor(envFile, (m) => process.stderr.write(`[faults] ${m}\n`));
  } catch (e) {
    process.stderr.write(`E_ENV_TOOL_MISSING: ${(e as Error).message}\n`);
    return 3;
  }
  process.once("SIGINT", () => void restoreActiveAndExit("SIGINT", 130));
  process.once("SIGTERM", () => void restoreActiveAndExit("SIGTERM", 143));
  const t0 = Date.now();
  const outcomes = await runMatrix(setup.ctx, setup.base, levels);
  const passed = outcomes.filter((o) => o.pass).length;
  const summary = { passed, total: outcomes.length, seconds: (Date.now() - t0) / 1000, outcomes };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else {
    process.stdout.write(`fault matrix: ${passed}/${outcomes.length} proofs went red under their fault and green after restore (${summary.seconds.toFixed(1)} s)\n`);
    for (const o of outcomes) {
      process.stdout.write(`  ${o.pass ? "PASS" : "FAIL"} ${o.level} ${o.fault}\n      under fault: ${o.underFault.status} ${o.underFault.code ?? ""} (${o.underFault.seconds.toFixed(1)} s) ${o.underFault.findings.slice(0, 2).join("; ")}\n      after restore: ${o.afterRestore.status} (${o.afterRestore.seconds.toFixed(1)} s)${o.error ? `\n      error: ${o.error}` : ""}\n`);
    }
  }
  return passed === outcomes.length ? 0 : 1;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { failExit: () => 3, exit: true });
