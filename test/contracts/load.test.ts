// The one config loader (contracts/config/load.ts): the program, verify and config:lint judge a
// stack the same way, so the same file gives the same findings through every entry point.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { checkConfig, fileConfigSource, formatFindings, loadConfigFile } from "../../contracts/config/load";
import { loadStackConfig } from "../../contracts/config/pulumi";
import { readStackFile } from "../../contracts/config/stackfile";
import { BootstrapError } from "../../contracts/errors";
import { lintFile } from "../../scripts/lib/lint-file";
import { thrownBy } from "../util/thrown";
import { ROOT, fixture } from "./helpers";

const thrown = (fn: () => unknown) => thrownBy(fn, BootstrapError);

/** Pulumi.test.yaml plus one key in a misspelt namespace. */
function withStrayNamespace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lb-load-"));
  const file = path.join(dir, "Pulumi.stray.yaml");
  fs.writeFileSync(file, fs.readFileSync(path.join(ROOT, "Pulumi.test.yaml"), "utf8").replace(/^config:\n/m, "config:\n  logging-bootstrapp:projectName: typo\n"));
  return file;
}

describe("one config loader", () => {
  let warn: jest.SpyInstance;
  beforeEach(() => (warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve())));
  afterEach(() => warn.mockRestore());

  test("a valid file: the same config through the file loader and the program's loader", () => {
    const file = path.join(ROOT, "Pulumi.test.yaml");
    const f = readStackFile(file);
    pulumi.runtime.setAllConfig(f.pulumiConfig, f.secretKeys);
    const { config } = loadStackConfig();
    expect(loadConfigFile(file)).toEqual(config);
    expect(lintFile(file)).toEqual({ ok: true, errors: [], warnings: checkConfig(fileConfigSource(file), { migrate: false }).warnings });
  });

  test("a broken file: config:lint, verify and the program name the same findings", () => {
    const file = fixture("broken-everything.yaml");
    const lint = lintFile(file);
    expect(lint.ok).toBe(false);
    const fromFile = thrown(() => loadConfigFile(file));
    expect(fromFile.code).toBe(lint.errors[0].code);
    expect(fromFile.message).toBe(`${lint.errors[0].code}: ${formatFindings(lint.errors)}`);
    const f = readStackFile(file);
    pulumi.runtime.setAllConfig(f.pulumiConfig, f.secretKeys);
    expect(thrown(() => loadStackConfig()).message).toBe(fromFile.message);
  });

  test("a key in a misspelt namespace is refused by every entry point, not only by config:lint", () => {
    const file = withStrayNamespace();
    const finding = expect.objectContaining({ code: "E_CONFIG_SCHEMA", message: expect.stringMatching(/namespace "logging-bootstrapp", not logging-bootstrap/) });
    expect(lintFile(file).errors).toEqual([finding]);
    expect(thrown(() => loadConfigFile(file)).details?.findings).toEqual([finding]);
    const f = readStackFile(file);
    pulumi.runtime.setAllConfig(f.pulumiConfig, f.secretKeys);
    expect(thrown(() => loadStackConfig()).details?.findings).toEqual([finding]);
  });

  test("a file that cannot be read is one finding, nothing else judged", () => {
    const r = checkConfig(fileConfigSource(path.join(os.tmpdir(), "no-such-stack-file.yaml")), { migrate: true });
    expect(r.errors.map((e) => e.code)).toEqual(["E_CONFIG_FILE_MISSING"]);
    expect(r.config).toBeUndefined();
  });
});
