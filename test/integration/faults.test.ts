// The fault matrix on the running test environment: every proof red with its code under
// their fault, green again after restore. A proof that stays green under its fault fails here.
import * as path from "path";
import { runTsx } from "../util/provider-host";

const ENV_FILE = path.resolve(__dirname, "..", ".tmp", "testenv.json");

test("verify:faults: every fault red-then-green with the right codes", async () => {
  const r = await runTsx(["test/tools/verify-faults.ts", "--json", "--testenv", ENV_FILE], 900_000);
  const m = JSON.parse(r.stdout);
  const rows = m.outcomes.map((o: { level: string; underFault: { status: string; code?: string }; afterRestore: { status: string }; error?: string }) => `${o.level} ${o.underFault.status} ${o.underFault.code} -> ${o.afterRestore.status}${o.error ? ` (${o.error})` : ""}`);
  expect(rows).toEqual([
    "L1 red E_PROOF_HEALTH -> green",
    "L2 red E_NETWORK_UNREACHABLE -> green",
    "L3 red E_PROOF_INGESTION_TIMEOUT -> green",
    // The redaction fault: Alloy ships the canary unredacted; L3 finds it in Loki as written.
    "L3 red E_PROOF_REDACTION_FAILED -> green",
    "L4 red E_PROOF_CARDINALITY -> green",
    "L5 red E_PROOF_DASHBOARDS -> green",
    "L6 red E_PROOF_RULES -> green",
    "L7 red E_PROOF_PROVENANCE_MISMATCH -> green",
    "L8 red E_PROOF_CONFIG_DRIFT -> green",
    "L8 red E_PROOF_CONFIG_DRIFT -> green",
    "L8 red E_PROOF_CONFIG_DRIFT -> green",
    "L8 red E_PROOF_CONFIG_DRIFT -> green",
    "L9 red E_PROOF_ALERT_NOT_DELIVERED -> green",
  ]);
  expect(m.passed).toBe(rows.length);
  expect(r.code).toBe(0);
}, 960_000);
