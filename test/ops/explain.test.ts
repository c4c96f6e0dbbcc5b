// `npm run -s explain <code>`: the taxonomy entry, where the guide covers it, and for an unknown code
// a coded usage error naming the nearest codes.
import fs from "node:fs";
import path from "node:path";
import taxonomy from "../../contracts/error_taxonomy.json";
import { BootstrapError, allCodes, taxonomyEntry } from "../../contracts/errors";
import { explain, formatExplanation, nearestCodes, normalizeCode } from "../../scripts/explain";
import { GUIDE_PATH, TROUBLESHOOTING_HEADING, bucketHeading } from "../../scripts/lib/operating-guide";
import { redactor } from "../../scripts/lib/redact";
import { PROJECT_ROOT, runTsx } from "../util/provider-host";
import { thrownBy } from "../util/thrown";

const GUIDE = fs.readFileSync(path.join(PROJECT_ROOT, GUIDE_PATH), "utf8");

describe("explain", () => {
  it.each(allCodes())("%s: the taxonomy's entry and its row in the guide's troubleshooting tables", (code) => {
    const x = explain(code, GUIDE);
    const e = taxonomyEntry(code);
    expect(x).toMatchObject({ code, bucket: e.bucket, description: e.description, action: e.action });
    expect(x.bucketDescription).toBe((taxonomy.buckets as Record<string, string>)[e.bucket]);
    expect(x.guide.map((g) => g.trail.slice(1))).toContainEqual([TROUBLESHOOTING_HEADING, bucketHeading(e.bucket)]);
    for (const g of x.guide) expect(GUIDE.split("\n")[g.line - 1]).toMatch(/^#+ /);
  });

  it("names the hand-written sections too (a code the guide discusses)", () => {
    const trails = explain("E_ENV_CONFIRMATION_REQUIRED", GUIDE).guide.map((g) => `${g.trail.at(-1)} #${g.anchor}`);
    expect(trails).toContain("Uninstall #uninstall");
  });

  it("reads case and separators loosely, answers with the code as defined", () => {
    expect(explain("e_proof_drift", GUIDE).code).toBe("E_PROOF_DRIFT");
    expect(explain(" E-PROOF-DRIFT ", GUIDE).code).toBe("E_PROOF_DRIFT");
    expect(normalizeCode("proof drift")).toBe("E_PROOF_DRIFT");
  });

  it("without the guide, says so instead of pointing nowhere", () => {
    const x = explain("E_PROOF_DRIFT", "");
    expect(x.guide).toEqual([]);
    expect(formatExplanation(x)).toContain(`not covered by ${GUIDE_PATH}`);
  });

  it("an unknown code is E_ENV_USAGE naming the nearest codes", () => {
    const err = thrownBy(() => explain("E_PROOF_DRIFTT", GUIDE), BootstrapError);
    expect(err.code).toBe("E_ENV_USAGE");
    expect(err.message).toMatch(/"E_PROOF_DRIFTT" is not an error code of contracts\/error_taxonomy\.json; nearest: E_PROOF_DRIFT, /);
    expect((err.details as { nearest: string[] }).nearest[0]).toBe("E_PROOF_DRIFT");
    expect(err.action).toBe("Run npm run -s explain E_PROOF_DRIFT (or another code the run printed).");
  });
});

describe("nearestCodes", () => {
  const codes = ["E_PROOF_DRIFT", "E_PROOF_CONFIG_DRIFT", "E_PROOF_RULES", "E_ENV_LOCK_HELD", "E_CONFIG_SCHEMA"];
  it.each([
    ["E_PROOF_DRFIT", ["E_PROOF_DRIFT", "E_PROOF_CONFIG_DRIFT"]],
    ["drift", ["E_PROOF_DRIFT", "E_PROOF_CONFIG_DRIFT"]],
    ["LOCK", ["E_ENV_LOCK_HELD"]],
    ["E_CONFIG_SCHEME", ["E_CONFIG_SCHEMA"]],
    ["xyz", []],
    ["", []],
  ])("%p -> %p", (input, want) => {
    expect(nearestCodes(input, codes).slice(0, want.length)).toEqual(want);
    if (want.length === 0) expect(nearestCodes(input, codes)).toEqual([]);
  });
  it("at most n, from the real taxonomy", () => {
    expect(nearestCodes("E_PROOF_ALERT", allCodes(), 3)).toHaveLength(3);
  });
});

describe("the CLI", () => {
  // A code whose text the redactor's free-text patterns would rewrite, when the taxonomy has one:
  // explain prints repository text, so it must come out exactly as written.
  const patternBait = allCodes().find((c) => redactor.text(taxonomyEntry(c).action) !== taxonomyEntry(c).action) ?? "E_PROOF_DRIFT";

  it(`prints the entry exactly as formatExplanation does (${patternBait})`, async () => {
    const r = await runTsx(["scripts/explain.ts", patternBait.toLowerCase()], 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${formatExplanation(explain(patternBait, GUIDE))}\n`);
    expect(r.stdout).toContain(taxonomyEntry(patternBait).action);
  }, 70_000);

  it("--json: the same explanation as data", async () => {
    const r = await runTsx(["scripts/explain.ts", "E_PROOF_DRIFT", "--json"], 60_000);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(explain("E_PROOF_DRIFT", GUIDE))));
  }, 70_000);

  it.each([
    [["E_NOPE_NOPE"], /^E_ENV_USAGE \(env\): "E_NOPE_NOPE" is not an error code/],
    [["E_PROOF_DRIFTT"], /nearest: E_PROOF_DRIFT,/],
    [[], /^E_ENV_USAGE \(env\): pass exactly one error code/],
    [["E_PROOF_DRIFT", "E_PROOF_RULES"], /^E_ENV_USAGE \(env\): pass exactly one error code/],
    [["--bogus"], /^E_ENV_USAGE \(env\): Unknown option '--bogus'/],
  ])("%j: a usage error, exit 2, nothing on stdout", async (args, stderr) => {
    const r = await runTsx(["scripts/explain.ts", ...args], 60_000);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(stderr);
  }, 70_000);
});
