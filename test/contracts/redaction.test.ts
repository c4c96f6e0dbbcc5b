// contracts/config/redaction.ts against the shared vectors (test/fixtures/redaction-vectors.json,
// read from Alloy's replace stage); the Alloy double passes the same vectors (test/env/doubles.test.ts),
// so the product's expectations and the double's behaviour cannot drift apart.
import * as fs from "fs";
import * as path from "path";
import { applyReplace, compileRe2, parseTemplate, redactionProblems, redactLine } from "../../contracts/config/redaction";

const V = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "redaction-vectors.json"), "utf8")) as {
  vectors: { name: string; pattern: string; replacement: string; line: string; out: string }[];
  refused: { name: string; pattern: string }[];
};

describe("Alloy's stage.replace semantics", () => {
  it.each(V.vectors.map((v) => [v.name, v] as const))("%s", (_n, v) => {
    expect(redactLine([{ name: "x", pattern: v.pattern, replacement: v.replacement }], v.line)).toBe(v.out);
  });
  it.each(V.refused.map((v) => [v.name, v.pattern] as const))("refuses %s (not RE2)", (_n, pattern) => {
    expect(compileRe2(pattern).ok).toBe(false);
    expect(redactionProblems({ name: "x", pattern, replacement: "*" })[0]).toMatch(/not a valid RE2 expression/);
  });
  it("applies stages in order, each on the previous one's output", () => {
    const r = [
      { name: "a", pattern: "(secret)", replacement: "public" },
      { name: "b", pattern: "(public)", replacement: "x" },
    ];
    expect(redactLine(r, "my secret")).toBe("my x");
  });
  it("a hashed template never keeps the value", () => {
    const c = compileRe2("k=(\\S+)");
    const t = parseTemplate('{{ .Value | Sha2Hash "salt" }}');
    if (!c.ok || !t.ok) throw new Error("unreachable");
    expect(applyReplace(c.re, t.parts, "k=s3cret")).toBe("k=<hashed>");
  });
});
