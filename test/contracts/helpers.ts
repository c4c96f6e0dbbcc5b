// Shared test helpers for the config contract tests.
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { readStackFile } from "../../contracts/config/stackfile";

export const ROOT = path.resolve(__dirname, "..", "..");
export const FIXTURES = path.join(ROOT, "test", "fixtures", "config");

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** The namespace object of a stack file at the repo root (typed values, secure -> placeholder). */
export function stackConfig(stack: string): Record<string, unknown> {
  const f = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
  if (f.findings.length > 0) throw new Error(`cannot read Pulumi.${stack}.yaml: ${JSON.stringify(f.findings)}`);
  return f.projectConfig;
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}
