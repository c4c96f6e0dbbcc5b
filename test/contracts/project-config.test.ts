// Pulumi.yaml's `config:` block declares the schema's top-level keys for `pulumi config` and editors.
// It must say what contracts/config/schema.ts says: the same keys, the same types, a description
// naming every field of an object, a key required by Pulumi exactly when a stack without it is
// refused by the lint, and as default the value the program would use for an absent key, so the
// defaults Pulumi fills in never change what the lint finds.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { lintConfig } from "../../contracts/config/lint";
import { CONFIG_KEYS, CURRENT_SCHEMA_VERSION, StackConfigSchema } from "../../contracts/config/schema";
import { readStackFile } from "../../contracts/config/stackfile";
import { clone, ROOT, stackConfig } from "./helpers";

interface Declaration {
  type?: string;
  items?: unknown;
  description?: string;
  default?: unknown;
  secret?: boolean;
}

const PROJECT_FILE = path.join(ROOT, "Pulumi.yaml");
const projectText = fs.readFileSync(PROJECT_FILE, "utf8");
const declared = (YAML.parse(projectText) as { config?: Record<string, Declaration> }).config ?? {};
const shape = StackConfigSchema.shape as Record<string, z.ZodType>;

function core(t: z.ZodType): z.ZodType {
  let cur = t;
  while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodType;
  return cur;
}

/** The type Pulumi's project schema has for a zod type (string, integer, boolean, object, array). */
export function pulumiType(t: z.ZodType): { type: string; items?: unknown } {
  const c = core(t);
  if (c instanceof z.ZodString || c instanceof z.ZodEnum) return { type: "string" };
  if (c instanceof z.ZodBoolean) return { type: "boolean" };
  if (c instanceof z.ZodNumber) {
    if (!c.isInt) throw new Error("Pulumi's project config has no non-integer number type");
    return { type: "integer" };
  }
  if (c instanceof z.ZodLiteral) {
    const kinds = new Set([...c.values].map((v) => typeof v));
    if (kinds.size === 1 && kinds.has("number")) return { type: "integer" };
    if (kinds.size === 1 && kinds.has("string")) return { type: "string" };
  }
  if (c instanceof z.ZodObject) return { type: "object" };
  if (c instanceof z.ZodArray) return { type: "array", items: pulumiType(c.element as z.ZodType) };
  throw new Error(`no Pulumi config type for ${c.constructor.name}`);
}

/** Optional with no default: Pulumi can declare no such key (no default = required). */
const optionalNoDefault = CONFIG_KEYS.filter((k) => {
  const r = shape[k].safeParse(undefined);
  return r.success && r.data === undefined;
});

/**
 * The previous schema's stack file (the test stack as it was at v2). Pulumi refuses a stack file that
 * lacks a key declared without a default before the program runs, so a key the current schema
 * requires but an older stack file lacks (the migration adds it) cannot be declared either: the
 * program must still get to migrate that file in memory.
 */
const V2_FILE = path.join(ROOT, "test", "fixtures", "config", "Pulumi.test.v2.yaml");
const v2 = readStackFile(V2_FILE);
const addedByMigration = CONFIG_KEYS.filter((k) => !shape[k].safeParse(undefined).success && !(k in v2.projectConfig));

const undeclarable = CONFIG_KEYS.filter((k) => optionalNoDefault.includes(k) || addedByMigration.includes(k));

describe("Pulumi.yaml config block = contracts/config/schema.ts", () => {
  it("declares every top-level key but those Pulumi cannot declare, in the schema's order", () => {
    expect(Object.keys(declared)).toEqual(CONFIG_KEYS.filter((k) => !undeclarable.includes(k)));
    expect(Object.keys(declared).length).toBeGreaterThan(10);
  });

  it("names each key it cannot declare, with its type and why, in its comments", () => {
    expect(optionalNoDefault).toEqual(["gateway", "grafanaAdminPassword"]);
    expect(addedByMigration).toEqual(["hosts"]);
    const comments = projectText.split("\n").filter((l) => l.trimStart().startsWith("#")).join("\n");
    for (const k of optionalNoDefault) expect(comments).toMatch(new RegExp(`Not declared: ${k} \\(${pulumiType(shape[k]).type}, optional`));
    for (const k of addedByMigration) expect(comments).toMatch(new RegExp(`Not declared: ${k} \\(${pulumiType(shape[k]).type}, required from schema v${CURRENT_SCHEMA_VERSION}`));
  });

  it("Pulumi accepts the previous schema's stack file: it has every key declared without a default, and the program migrates it", () => {
    expect(v2.findings).toEqual([]);
    expect(v2.projectConfig.schemaVersion).toBe(CURRENT_SCHEMA_VERSION - 1);
    const requiredByPulumi = Object.entries(declared).filter(([, d]) => d.default === undefined).map(([k]) => k);
    expect(requiredByPulumi.length).toBeGreaterThan(3);
    expect(requiredByPulumi.filter((k) => !(k in v2.projectConfig))).toEqual([]);
    const r = lintConfig(v2.projectConfig, { migrate: true, secretKeys: v2.projectSecretKeys });
    expect(r.errors).toEqual([]);
    expect(r.migratedFrom).toBe(CURRENT_SCHEMA_VERSION - 1);
  });

  it.each(Object.keys(declared))("%s: the schema's type, and a description", (key) => {
    const d = declared[key];
    const want = pulumiType(shape[key]);
    expect({ type: d.type, items: d.items }).toEqual({ type: want.type, items: want.items });
    expect(typeof d.description).toBe("string");
    expect(d.description!.length).toBeGreaterThan(20);
  });

  it.each(Object.keys(declared).filter((k) => core(shape[k]) instanceof z.ZodObject))("%s: the description names every field", (key) => {
    const fields = Object.keys((core(shape[key]) as z.ZodObject).shape);
    const missing = fields.filter((f) => !new RegExp(`\\b${f}\\b`).test(declared[key].description ?? ""));
    expect(missing).toEqual([]);
  });

  it("schemaVersion's description names the current version", () => {
    expect(declared.schemaVersion.description).toContain(`Current is ${CURRENT_SCHEMA_VERSION};`);
  });

  it("declares no secret (a declared secret must be set on every stack) and no fixed value", () => {
    for (const d of Object.values(declared)) {
      expect(d.secret).toBeUndefined();
      expect(Object.keys(d).sort()).toEqual(expect.arrayContaining(["description", "type"]));
      for (const attr of Object.keys(d)) expect(["type", "items", "description", "default"]).toContain(attr);
    }
  });
});

describe("required and default: what Pulumi fills in is what the program would use", () => {
  const base = stackConfig("test");

  it("the test stack is valid as it is (the starting point of the cases below)", () => {
    expect(lintConfig(base, { migrate: true }).errors).toEqual([]);
  });

  it.each(Object.keys(declared))("%s", (key) => {
    const without = clone(base);
    delete without[key];
    const r = lintConfig(without, { migrate: true });
    if (r.errors.length > 0) {
      // The lint refuses a stack without it, so Pulumi requires it too (no default).
      expect(r.errors.map((e) => e.path.split(".")[0])).toContain(key);
      expect(declared[key]).not.toHaveProperty("default");
    } else {
      expect(declared[key]).toHaveProperty("default");
      expect(declared[key].default).toEqual((r.config as Record<string, unknown>)[key]);
      expect(declared[key].default).toEqual(shape[key].parse(undefined));
    }
  });

  const stackFiles = [path.join(ROOT, "Pulumi.test.yaml"), path.join(ROOT, "Pulumi.prod.yaml"), path.join(ROOT, "test", "env", "Pulumi.testenv.yaml"), path.join(ROOT, "stacks", "local.template.yaml"), V2_FILE];
  it.each(stackFiles.map((f) => [path.relative(ROOT, f), f]))("%s: the same findings and config with Pulumi's defaults filled in", (_name, file) => {
    const f = readStackFile(file);
    expect(f.findings).toEqual([]);
    const filled: Record<string, unknown> = { ...f.projectConfig };
    let added = 0;
    for (const [k, d] of Object.entries(declared)) {
      if (!(k in filled) && d.default !== undefined) {
        filled[k] = clone(d.default);
        added++;
      }
    }
    expect(added).toBeGreaterThan(0);
    const opts = { migrate: true, secretKeys: f.projectSecretKeys };
    const asWritten = lintConfig(f.projectConfig, opts);
    const asPulumiHandsIt = lintConfig(filled, opts);
    expect(asPulumiHandsIt.errors).toEqual(asWritten.errors);
    expect(asPulumiHandsIt.warnings).toEqual(asWritten.warnings);
    expect(asPulumiHandsIt.config).toEqual(asWritten.config);
  });
});
