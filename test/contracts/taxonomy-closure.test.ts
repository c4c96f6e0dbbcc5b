// Taxonomy closure (P4): every error code literal in the product's source is defined in
// contracts/error_taxonomy.json, and the one error type refuses an unknown code at run time.
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "./helpers";
import taxonomy from "../../contracts/error_taxonomy.json";
import { BootstrapError, ErrorCode, assertKnownCode, bucketOf, errorRecord, toErrorRecord } from "../../contracts/errors";
import { finding } from "../../contracts/config/findings";

const SCANNED_DIRS = ["contracts", "components", "scripts", "policy"];
const SKIP = new Set(["node_modules", "bin", "out", ".git"]);
// A code literal: E_ followed by upper-case words. A template like `E_CONFIG_${x}` yields
// "E_CONFIG", which is not a code, so a dynamically built code fails this test (as it should).
const CODE_RE = /\bE_[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?![A-Za-z0-9])/g;

// Source text without line and block comments (strings kept), so prose like "E_CONFIG_*" is not a code.
export function stripComments(src: string): string {
  let out = "";
  let i = 0;
  let quote: string | undefined;
  while (i < src.length) {
    const c = src[i];
    if (quote) {
      out += c;
      if (c === "\\") {
        out += src[i + 1] ?? "";
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i++;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      quote = c;
      out += c;
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

describe("taxonomy closure", () => {
  const known = new Set(Object.keys(taxonomy.codes));
  const files = SCANNED_DIRS.flatMap((d) => tsFiles(path.join(ROOT, d)));
  const uses = files.flatMap((f) => {
    const text = stripComments(fs.readFileSync(f, "utf8"));
    return [...text.matchAll(CODE_RE)].map((m) => ({ file: path.relative(ROOT, f), code: m[0] }));
  });

  it("scans the product's source (not vacuous)", () => {
    expect(files.map((f) => path.relative(ROOT, f))).toEqual(expect.arrayContaining(["contracts/errors.ts", "contracts/config/rules/ports.ts", "scripts/config-lint.ts"]));
    const distinct = new Set(uses.map((u) => u.code));
    // the rules alone emit these; the scan must see them.
    for (const c of ["E_CONFIG_INVALID_PORT", "E_CONFIG_PORT_DUPLICATE", "E_CONFIG_IMAGE_UNPINNED", "E_CONFIG_SECRET_PLAINTEXT"]) expect(distinct).toContain(c);
  });

  it("every E_* literal in contracts/, components/, scripts/, policy/ is in the taxonomy", () => {
    const unknown = uses.filter((u) => !known.has(u.code));
    expect(unknown).toEqual([]);
  });

  it("comments are ignored, string literals are not", () => {
    const src = `// E_CONFIG_* in prose\n/* E_FOO_BAR */ const a = "E_REAL_ONE"; // E_NOT\nconst b = 'x // E_IN_STRING';`;
    expect([...stripComments(src).matchAll(CODE_RE)].map((m) => m[0])).toEqual(["E_REAL_ONE", "E_IN_STRING"]);
  });

  it("the regex would catch an unknown code (self-check)", () => {
    const sample = `throw new BootstrapError("E_CONFIG_NOPE", "x"); const c = \`E_CONFIG_\${kind}\`;`;
    const found = [...sample.matchAll(CODE_RE)].map((m) => m[0]);
    expect(found).toEqual(["E_CONFIG_NOPE", "E_CONFIG"]);
    expect(found.filter((c) => !known.has(c))).toEqual(["E_CONFIG_NOPE", "E_CONFIG"]);
  });
});

describe("the one error type refuses unknown codes at run time", () => {
  it("BootstrapError throws on a code outside the taxonomy", () => {
    expect(() => new BootstrapError("E_NOT_A_CODE" as ErrorCode, "boom")).toThrow(/E_NOT_A_CODE.*not defined in contracts\/error_taxonomy.json/);
  });
  it("assertKnownCode, errorRecord and finding() refuse it too", () => {
    expect(() => assertKnownCode("E_CONFIG_TYPO")).toThrow(/not defined/);
    expect(() => errorRecord("E_CONFIG_TYPO" as ErrorCode, "x")).toThrow(/not defined/);
    expect(() => finding("E_CONFIG_TYPO" as ErrorCode, "ports", "x", "config: {}\n")).toThrow(/not defined/);
  });
  it("a known code carries the taxonomy's bucket and action", () => {
    const e = new BootstrapError("E_CONFIG_PORT_DUPLICATE", "ports.loki clashes");
    expect(e.bucket).toBe("config");
    expect(e.action).toBe(taxonomy.codes.E_CONFIG_PORT_DUPLICATE.action);
    expect(e.message).toBe("E_CONFIG_PORT_DUPLICATE: ports.loki clashes");
    expect(bucketOf("E_PROOF_HEALTH")).toBe("proof");
    expect(toErrorRecord(new Error("x")).code).toBe("E_INTERNAL");
  });
  it("findings take their bucket from the taxonomy", () => {
    const f = finding("E_NETWORK_TIMEOUT", ["ports", "loki"], "m", "config: {}\n");
    expect(f).toEqual({ code: "E_NETWORK_TIMEOUT", bucket: "network", path: "ports.loki", message: "m", examplePatch: "config: {}\n" });
  });
});
