// The integration suites' test environment, described by test/.tmp/testenv.json (npm run testenv:up).
import fs from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const INFO = path.join(ROOT, "test", ".tmp", "testenv.json");

/** `describe` when the test environment is up; otherwise `describe.skip`, after saying why. */
export function testenvDescribe(suite: string): { haveEnv: boolean; d: jest.Describe } {
  const haveEnv = fs.existsSync(INFO);
  // Straight to stderr: jest hides console output of a suite whose tests are all skipped.
  if (!haveEnv) process.stderr.write(`${suite} integration test skipped: ${INFO} is absent (run npm run testenv:up)` + "\n");
  return { haveEnv, d: haveEnv ? describe : describe.skip };
}
