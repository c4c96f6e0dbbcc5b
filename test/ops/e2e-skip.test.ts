// scripts/e2e.sh needs the real Pulumi CLI; without it it must skip cleanly (exit 0, clear message).
import { execFile } from "node:child_process";
import path from "node:path";
import { REPO } from "./helpers";

it("e2e.sh skips with a message and exit 0 when pulumi is not on PATH", async () => {
  const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
    const c = execFile("bash", [path.join(REPO, "scripts", "e2e.sh")], { env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` } }, (err, stdout) =>
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout }),
    );
    c.stdin?.end();
  });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(
    "e2e: SKIPPED: the Pulumi CLI is not on PATH (install: https://www.pulumi.com/docs/install/).\n" +
      "e2e: everything else runs without it: npm test, npm run test:integration.\n",
  );
});
