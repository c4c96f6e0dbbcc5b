// A stack file as `pulumi config set [--secret] --path` leaves it: Pulumi.test.yaml with another
// alerting block, where a credential written with --secret is `{secure: v1:...}`. Used to give the
// program (loadStackConfig reads the file's own secure: markers) the file the CLI would have read.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";

export const ROOT = path.resolve(__dirname, "..", "..");

/** What `pulumi config set --secret` writes in place of a value (the ciphertext is never read here). */
export const SECURE = { secure: "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };

/** Pulumi.test.yaml with `alerting` replaced; returns the new file's path (in a fresh temp dir). */
export function stackFileWithAlerting(alerting: unknown, base = "Pulumi.test.yaml"): string {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, base), "utf8")) as { config: Record<string, unknown> };
  doc.config["logging-bootstrap:alerting"] = alerting;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-secure-"));
  const file = path.join(dir, "Pulumi.test.yaml");
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

/** Run `fn` with LOGGING_BOOTSTRAP_STACK_FILE set to `file`, restoring the previous value after. */
export async function withStackFileEnv<T>(file: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const before = process.env.LOGGING_BOOTSTRAP_STACK_FILE;
  if (file === undefined) delete process.env.LOGGING_BOOTSTRAP_STACK_FILE;
  else process.env.LOGGING_BOOTSTRAP_STACK_FILE = file;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.LOGGING_BOOTSTRAP_STACK_FILE;
    else process.env.LOGGING_BOOTSTRAP_STACK_FILE = before;
  }
}
