// The one Alloy parser (contracts/alloy/syntax.ts), against the rules of Alloy's own scanner and
// parser: what it accepts, what it refuses and with which message and position.
import * as fs from "node:fs";
import * as path from "node:path";
import { AlloyExpr, AlloySyntaxError, componentOf, parseAlloy, parseAlloyFile, refsIn, stringsIn } from "../../contracts/alloy/syntax";
import { relabelFeeders, relabelRules } from "../../contracts/alloy/relabel";
import { renderAlloyConfig } from "../../components/render/alloy";
import { loadConfigFile } from "../../contracts/config/load";
import { PROJECT_ROOT } from "../util/provider-host";
import { thrownBy } from "../util/thrown";
import type { StackConfig } from "../../contracts/config/schema";

const refused = (src: string) => thrownBy(() => parseAlloyFile(src), AlloySyntaxError).message;

describe("Alloy syntax: values", () => {
  test("literals, lists, objects, references, calls, operations", () => {
    const { attrs, blocks } = parseAlloyFile('// c\nloki.write "x" {\n  external_labels = { project = "p", "a-b" = 1 }\n  endpoint { url = "http://l:3100" }\n  t = [a.b.c, "s", sys.env("X"), x.y[0] + 2, -3, (q.r), 1.5e3, true, null]\n}\nlevel = "info"\n');
    expect(attrs).toEqual({ level: "info" });
    const [w] = blocks;
    expect(w).toMatchObject({ name: "loki.write", label: "x", attrs: { external_labels: { project: "p", "a-b": 1 } }, blocks: [{ name: "endpoint", attrs: { url: "http://l:3100" }, blocks: [] }] });
    const t = w.attrs.t as unknown[];
    expect(t[0]).toEqual(new AlloyExpr("a.b.c", ["a.b.c"]));
    expect(t[1]).toBe("s");
    expect(t[2]).toEqual(new AlloyExpr('sys.env("X")', [], { fn: "sys.env", args: ["X"] }));
    expect(t[3]).toEqual(new AlloyExpr("x.y[0] + 2", ["x.y"]));
    expect(t.slice(4)).toEqual([-3, new AlloyExpr("(q.r)", ["q.r"]), 1500, true, null]);
    expect(refsIn(w.attrs.t)).toEqual(["a.b.c", "x.y", "q.r"]);
    expect(stringsIn(w.attrs.t)).toEqual(["s", "X"]);
  });

  test("strings: Go escapes in double quotes, none in raw strings", () => {
    const { attrs } = parseAlloyFile('a = "t\\tq\\"\\\\ \\x41\\u00e9\\101"\nb = `C:\\dir\\n\nnext`\n');
    expect(attrs).toEqual({ a: 't\tq"\\ AéA', b: "C:\\dir\\n\nnext" });
  });

  test("references are resolved to the component they read", () => {
    const blocks = parseAlloy('discovery.relabel "d" {\n  rule {\n    action = "keep"\n    source_labels = ["l"]\n  }\n}\nloki.source.docker "s" {\n  targets = discovery.relabel.d.output\n}\n');
    expect(componentOf(blocks, "discovery.relabel.d.output")).toBe(blocks[0]);
    expect(componentOf(blocks, "discovery.relabel.none.output")).toBeUndefined();
    expect(relabelFeeders(blocks, blocks[1])).toEqual([{ ref: "discovery.relabel.d.output", component: blocks[0] }]);
    expect(relabelRules(blocks[0])).toEqual([{ action: "keep", sourceLabels: ["l"], regex: "(.*)" }]);
  });

  test("an empty label is a label, as in Alloy's parser", () => {
    expect(parseAlloy('b "" {\n}\n').map((b) => b.label)).toEqual([""]);
  });

  test("comments end statements like newlines", () => {
    expect(parseAlloyFile("a = 1 // one\nb = 2 /* two */\nc = 3 /* spans\nlines */ d = 4\n").attrs).toEqual({ a: 1, b: 2, c: 3, d: 4 });
  });

  test("every config the renderer writes parses", () => {
    const cfg = loadConfigFile(path.join(PROJECT_ROOT, "Pulumi.test.yaml")) as StackConfig;
    const variants: StackConfig[] = [cfg, { ...cfg, alloy: { ...cfg.alloy, dockerAllowlist: [], journaldUnits: [], redactions: [] } }];
    for (const file of fs.readdirSync(PROJECT_ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f) && f !== "Pulumi.yaml")) {
      variants.push(loadConfigFile(path.join(PROJECT_ROOT, file)) as StackConfig);
    }
    for (const v of variants) expect(parseAlloy(renderAlloyConfig(v)).length).toBeGreaterThan(3);
  });
});

describe("Alloy syntax: what Alloy refuses", () => {
  test.each([
    ["two statements on a line", "a = 1 b = 2", '1:7: expected a newline after the statement, got "b"'],
    ["a block brace on the next line", 'b "x"\n{\n}', "1:6: expected '{' on the line of the block's name, got newline"],
    ["a multi-line list without its trailing comma", 'a = [\n  "x"\n]', "2:6: expected ',' or ']', got newline (missing ',' in expression list: one that spans lines needs a trailing comma)"],
    ["a multi-line object without its trailing comma", "a = {\n  k = 1\n}", "2:8: expected ',' or '}', got newline (missing ',' in field list: one that spans lines needs a trailing comma)"],
    ["a dotted attribute name", "a.b = 1", '1:1: attribute names may only consist of a single identifier with no "."'],
    ["a label that is not an identifier", 'b "a-b" {\n}', '1:3: expected block label to be a double quoted valid identifier, got "\\"a-b\\""'],
    ["a raw-string label", "b `x` {\n}", '1:3: expected block label to be a double quoted valid identifier, got "`x`"'],
    ["a single-quoted string", "a = 'x'", "1:5: illegal single-quoted string; use double quotes"],
    ["an unknown escape", 'a = "\\q"', "1:6: unknown escape sequence"],
    ["a hex escape with a non-hex digit", 'a = "\\x4g"', "1:6: illegal character in escape sequence \\x4g"],
    ["an octal escape with a non-octal digit", 'a = "\\18"', "1:6: illegal character in escape sequence \\18"],
    ["a string across lines", 'a = "x\ny"', "1:5: string literal not terminated"],
    ["a hash comment", "# note\na = 1", '1:1: illegal character "#"'],
    ["an unterminated block comment", "a = 1 /* x", "1:7: block comment not terminated"],
    ["an unclosed block", 'loki.write "x" {', "1:17: expected '}', got end of file"],
    ["an attribute set twice", "a = 1\na = 2", '2:1: attribute "a" may only be provided once'],
    ["a lone ampersand", "a = b & c", "1:7: missing second & in &&"],
    ["an exponent without digits", "a = 1e", "1:5: exponent has no digits"],
  ])("%s", (_what, src, message) => {
    expect(refused(src)).toBe(message);
  });
});
