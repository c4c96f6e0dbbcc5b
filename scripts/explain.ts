// `npm run -s explain <code>`: one entry of the error taxonomy as an operator reads it (what happened,
// what to do, its bucket) and where docs/OPERATING.md covers it. An unknown code is a usage error
// that names the nearest known codes.
import fs from "node:fs";
import path from "node:path";
import taxonomy from "../contracts/error_taxonomy.json";
import { Bucket, BootstrapError, ErrorCode, allCodes, taxonomyEntry } from "../contracts/errors";
import { parseCli, projectRoot, runCli } from "./lib/cli";
import { GUIDE_PATH, GuideSection, sectionsNaming } from "./lib/operating-guide";
import { print, redactor } from "./lib/redact";

const HELP = `Usage: npm run -s explain <code> [-- --json]

Prints the error taxonomy's entry for <code> (contracts/error_taxonomy.json): its bucket, what
happened, what to do, and each section of ${GUIDE_PATH} that covers it. Case does not matter.

Exit codes: 0 known code; 2 usage or unknown code (the nearest known codes are named).`;

export interface Explanation {
  code: ErrorCode;
  bucket: Bucket;
  bucketDescription: string;
  description: string;
  action: string;
  /** Where the guide names the code (the troubleshooting table among them). */
  guide: Array<GuideSection & { file: string }>;
}

/** Character bigrams of a code, for similarity (E_PROOF_DRIFT -> "E_", "_P", "PR", ...). */
function bigrams(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length - 1; i++) out.push(s.slice(i, i + 2));
  return out;
}

/** Dice similarity of two strings' bigrams, 0..1. */
function similarity(a: string, b: string): number {
  const x = bigrams(a);
  const y = bigrams(b);
  if (x.length === 0 || y.length === 0) return 0;
  const pool = new Map<string, number>();
  for (const g of y) pool.set(g, (pool.get(g) ?? 0) + 1);
  let shared = 0;
  for (const g of x) {
    const n = pool.get(g) ?? 0;
    if (n > 0) {
      shared++;
      pool.set(g, n - 1);
    }
  }
  return (2 * shared) / (x.length + y.length);
}

/** How a typed code is compared: upper case, '-' and spaces as '_', E_ prefixed. */
export function normalizeCode(input: string): string {
  const s = input.trim().toUpperCase().replace(/[\s-]+/g, "_");
  return s.startsWith("E_") ? s : `E_${s}`;
}

/**
 * The known codes nearest to `input`, best first: codes containing it (DRIFT -> E_PROOF_DRIFT,
 * E_PROOF_CONFIG_DRIFT), then by bigram similarity; at most `n`, none below a floor of similarity.
 */
export function nearestCodes(input: string, codes: readonly string[] = allCodes(), n = 3): string[] {
  const want = normalizeCode(input);
  const bare = want.slice(2);
  const scored = codes.map((c) => ({ c, contains: bare.length >= 3 && c.includes(bare), s: similarity(want, c) }));
  return scored
    .filter((x) => x.contains || x.s >= 0.4)
    .sort((a, b) => Number(b.contains) - Number(a.contains) || b.s - a.s || a.c.localeCompare(b.c))
    .slice(0, n)
    .map((x) => x.c);
}

/** The entry for `input` (case-insensitive), or E_ENV_USAGE naming the nearest codes. */
export function explain(input: string, guideText: string): Explanation {
  const codes = allCodes();
  const code = codes.find((c) => c === normalizeCode(input));
  if (!code) {
    const near = nearestCodes(input, codes);
    throw new BootstrapError("E_ENV_USAGE", `${JSON.stringify(input)} is not an error code of contracts/error_taxonomy.json${near.length ? `; nearest: ${near.join(", ")}` : ""}`, {
      action: near.length ? `Run npm run -s explain ${near[0]} (or another code the run printed).` : "Pass a code a run printed (E_<BUCKET>_<NAME>); every code is listed in contracts/error_taxonomy.json.",
      details: { input, nearest: near },
    });
  }
  const e = taxonomyEntry(code);
  return {
    code,
    bucket: e.bucket,
    bucketDescription: (taxonomy.buckets as Record<Bucket, string>)[e.bucket],
    description: e.description,
    action: e.action,
    guide: sectionsNaming(guideText, code).map((s) => ({ file: GUIDE_PATH, ...s })),
  };
}

export function formatExplanation(x: Explanation): string {
  const lines = [`${x.code} (${x.bucket}: ${x.bucketDescription})`, `  what happened: ${x.description}`, `  what to do:    ${x.action}`];
  if (x.guide.length === 0) lines.push(`  guide:         not covered by ${GUIDE_PATH} (npx tsx scripts/docs-operating.ts regenerates its troubleshooting tables)`);
  x.guide.forEach((g, i) => lines.push(`  ${i === 0 ? "guide:        " : "              "} ${g.file}:${g.line} "${g.trail.slice(1).join(" > ")}" (#${g.anchor})`));
  return lines.join("\n");
}

function readGuide(root: string): string {
  try {
    return fs.readFileSync(path.join(root, GUIDE_PATH), "utf8");
  } catch {
    return "";
  }
}

function main(argv: string[]): number {
  const { values, positionals } = parseCli(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, true);
  if (values.help) {
    print(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new BootstrapError("E_ENV_USAGE", "pass exactly one error code, e.g. npm run -s explain E_PROOF_DRIFT", { action: HELP.split("\n")[0] });
  const x = explain(positionals[0], readGuide(projectRoot()));
  // Repository text only (the taxonomy, the guide's headings): scrubbed of known secret values, but
  // not by the free-text patterns, which would mangle an action such as
  // "export PULUMI_CONFIG_PASSPHRASE_FILE=<a file ...>" into a redaction.
  const text = values.json ? JSON.stringify(x, null, 2) : formatExplanation(x);
  process.stdout.write(`${redactor.known(text)}\n`);
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
