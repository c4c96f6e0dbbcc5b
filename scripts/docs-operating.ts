// `npx tsx scripts/docs-operating.ts [--check]`: writes the troubleshooting tables of docs/OPERATING.md
// from contracts/error_taxonomy.json (between the generated-section markers; the rest of the guide is
// written by hand). --check writes nothing and exits 1 when the file is out of date.
import fs from "node:fs";
import path from "node:path";
import { BootstrapError } from "../contracts/errors";
import { parseCli, projectRoot, runCli } from "./lib/cli";
import { GUIDE_PATH, withTroubleshooting } from "./lib/operating-guide";
import { print } from "./lib/redact";

const HELP = `Usage: npx tsx scripts/docs-operating.ts [--check]

Regenerates the "Troubleshooting by error code" tables of ${GUIDE_PATH} from contracts/error_taxonomy.json
(run it after adding or changing a code). --check: write nothing, exit 1 when the file is out of date.

Exit codes: 0 written or up to date; 1 out of date (--check), or the guide has no generated section (E_INTERNAL); 2 usage.`;

function main(argv: string[]): number {
  const { values } = parseCli(argv, { check: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    print(HELP);
    return 0;
  }
  const file = path.join(projectRoot(), GUIDE_PATH);
  let doc: string;
  let next: string;
  try {
    doc = fs.readFileSync(file, "utf8");
    next = withTroubleshooting(doc);
  } catch (err) {
    throw new BootstrapError("E_INTERNAL", (err as Error).message);
  }
  if (next === doc) {
    print(`${GUIDE_PATH}: up to date`);
    return 0;
  }
  if (values.check) {
    print(`${GUIDE_PATH}: out of date; run npx tsx scripts/docs-operating.ts`);
    return 1;
  }
  fs.writeFileSync(file, next);
  print(`${GUIDE_PATH}: troubleshooting tables written`);
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
