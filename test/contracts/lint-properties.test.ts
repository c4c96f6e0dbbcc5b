// Property tests (fast-check): arbitrary and mutated configs never crash the linter, and every
// outcome is either a clean pass (with a parsed config) or coded findings from the taxonomy.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import YAML from "yaml";
import { EXAMPLE_CONFIG, LintResult, lintConfig } from "../../contracts/config/lint";
import { readStackFile } from "../../contracts/config/stackfile";
import { CURRENT_SCHEMA_VERSION } from "../../contracts/config/schema";
import { taxonomyEntry } from "../../contracts/errors";
import { clone } from "./helpers";

type Cfg = Record<string, any>;

function assertWellFormed(r: LintResult): void {
  expect(typeof r.ok).toBe("boolean");
  if (r.ok) {
    expect(r.errors).toEqual([]);
    expect(r.config).toBeDefined();
  } else {
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.config).toBeUndefined();
  }
  for (const f of [...r.errors, ...r.warnings]) {
    expect(Object.keys(f).sort()).toEqual(["bucket", "code", "examplePatch", "message", "path"]);
    expect(f.code).not.toBe("E_INTERNAL"); // a rule crashing is reported as E_INTERNAL: must never happen
    expect(taxonomyEntry(f.code).bucket).toBe(f.bucket);
    expect(typeof f.path).toBe("string");
    expect(f.message.length).toBeGreaterThan(0);
    expect(() => YAML.parse(f.examplePatch)).not.toThrow();
    expect(YAML.parse(f.examplePatch)).toHaveProperty("config");
  }
}

const anyValue = fc.oneof(
  fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true }),
  fc.constantFrom("true", "false", "30d", "0.0.0.0", "rel/path", "grafana/grafana:latest", "__proto__", "constructor", 0, -1, 1e308, NaN, Infinity),
);

describe("the linter never crashes", () => {
  it("on arbitrary values", () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        assertWellFormed(lintConfig(v));
        assertWellFormed(lintConfig(v, { migrate: true }));
      }),
      { numRuns: 300 },
    );
  });

  it("on arbitrary objects with the schema's keys", () => {
    const keys = Object.keys(EXAMPLE_CONFIG).concat(["grafanaAdminPassword", "schema_version", "compose_project_name", "ports", "toggles", "image_pins", "path_map"]);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), anyValue, { maxKeys: 8 }), fc.boolean(), (obj, migrate) => {
        assertWellFormed(lintConfig(obj, { migrate, secretKeys: ["grafanaAdminPassword"] }));
      }),
      { numRuns: 300 },
    );
  });

  it("on mutations of a valid config (replace, delete, stringify any node)", () => {
    const paths: string[][] = [];
    const collect = (v: unknown, p: string[]) => {
      if (p.length) paths.push(p);
      if (v && typeof v === "object") for (const [k, e] of Object.entries(v)) collect(e, [...p, k]);
    };
    collect(EXAMPLE_CONFIG, []);
    const mutation = fc.tuple(fc.constantFrom(...paths), fc.constantFrom("delete", "replace", "stringify"), anyValue);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        const c = clone(EXAMPLE_CONFIG) as Cfg;
        for (const [p, kind, v] of muts) {
          let cur: any = c;
          for (const seg of p.slice(0, -1)) cur = cur && typeof cur === "object" ? cur[seg] : undefined;
          if (!cur || typeof cur !== "object") continue;
          const k = p[p.length - 1];
          if (kind === "delete") delete cur[k];
          else if (kind === "replace") cur[k] = v;
          else cur[k] = JSON.stringify(cur[k]) ?? "undefined";
        }
        const r = lintConfig(c);
        assertWellFormed(r);
        // A mutated config passes only if the schema accepts it too.
        if (r.ok) expect(r.config!.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
      }),
      { numRuns: 400 },
    );
  });

  it("on arbitrary file contents (readStackFile + lint)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-prop-"));
    const file = path.join(dir, "Pulumi.fuzz.yaml");
    const validYaml = YAML.stringify({ config: Object.fromEntries(Object.entries(EXAMPLE_CONFIG).map(([k, v]) => [`logging-bootstrap:${k}`, v])) });
    try {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.constantFrom("", "   \n", "# c\n", "config:", "config: 3", "- a\n- b", "{", "config:\n  a: [", "a: &x [*x]", "config:\n  x: 1\n  x: 2\n"),
            fc.nat({ max: validYaml.length }).map((n) => validYaml.slice(0, n)),
          ),
          (text) => {
            fs.writeFileSync(file, text);
            const f = readStackFile(file);
            for (const x of f.findings) expect(taxonomyEntry(x.code).bucket).toBe(x.bucket);
            if (f.findings.length === 0) assertWellFormed(lintConfig(f.projectConfig, { secretKeys: f.projectSecretKeys }));
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
