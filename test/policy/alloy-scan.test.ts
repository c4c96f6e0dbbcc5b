// The alloy-allowlists policy's reading of Alloy configs (policy/lib/alloy.ts) on the shared parser.
import { checkAlloyConfig, hasAllowlistRule } from "../../policy/lib/alloy";
import { parseAlloy, refsIn, stringsIn } from "../../contracts/alloy/syntax";
import { ALLOY_CONFIG } from "./fixtures";

describe("Alloy allowlist scan", () => {
  it("reads the fixture's components, references and literals", () => {
    const blocks = parseAlloy(ALLOY_CONFIG);
    expect(blocks.map((b) => `${b.name}:${b.label ?? ""}`)).toEqual([
      "discovery.docker:containers",
      "discovery.relabel:docker_allowlist",
      "loki.source.docker:containers",
      "loki.relabel:journal_allowlist",
      "loki.source.journal:journal",
      "loki.process:redact",
      "loki.write:loki",
    ]);
    const relabel = blocks[1];
    expect(refsIn(relabel.attrs.targets)).toEqual(["discovery.docker.containers.targets"]);
    expect(stringsIn(relabel.blocks[0].attrs.source_labels)).toEqual(["__meta_docker_container_name"]);
    expect(stringsIn(blocks[5].blocks[0].attrs.expression)).toEqual(["(?i)password=([^\\s&]+)"]);
    expect(hasAllowlistRule(relabel, "__meta_docker_container_name")).toEqual({ ok: true });
  });
  it("passes the fixture", () => {
    expect(checkAlloyConfig(ALLOY_CONFIG)).toEqual({ syntax: { ok: true }, dockerAllowlist: { ok: true }, journalAllowlist: { ok: true }, redaction: { ok: true } });
  });
  it("does not count rules inside /* */ comments or names inside strings", () => {
    const commented = ALLOY_CONFIG.replace('loki.relabel "journal_allowlist" {', 'loki.relabel "journal_allowlist" {\n/*').replace('loki.source.journal "journal"', '*/ }\nloki.source.journal "journal"');
    expect(checkAlloyConfig(commented).journalAllowlist.ok).toBe(false);
    const inString = 'x = "loki.source.docker \\"a\\" { targets = discovery.relabel.docker_allowlist.output }"\n';
    expect(checkAlloyConfig(inString).dockerAllowlist.ok).toBe(false);
  });
  it("accepts raw (backtick) strings", () => {
    const raw = ALLOY_CONFIG.replace('"^(/t-grafana|/t-loki)$"', () => "`^(/t-grafana)$`");
    expect(checkAlloyConfig(raw).dockerAllowlist.ok).toBe(true);
  });
  it("names a config Alloy would not load instead of judging it", () => {
    const v = checkAlloyConfig('}}} {{{ = = "unterminated');
    expect(v.syntax).toEqual({ ok: false, reason: "does not parse (1:13: string literal not terminated), so Alloy refuses to start with it" });
    expect(checkAlloyConfig("}}}").syntax.reason).toBe('does not parse (1:1: expected an attribute or block name, got "}"), so Alloy refuses to start with it');
    expect(v.dockerAllowlist).toEqual({ ok: false, reason: "cannot be judged: the config does not parse" });
    // A multi-line list without its trailing comma is a syntax error in Alloy too.
    expect(checkAlloyConfig(ALLOY_CONFIG.replace("forward_to = [loki.process.redact.receiver]", "forward_to = [\n    loki.process.redact.receiver\n  ]")).syntax.reason).toMatch(/missing ',' in expression list/);
    expect(checkAlloyConfig("").syntax.ok).toBe(true);
    expect(checkAlloyConfig("").dockerAllowlist.ok).toBe(false);
  });
  it("needs every docker source to be bound", () => {
    const two = ALLOY_CONFIG + '\nloki.source.docker "raw" {\n  targets = discovery.docker.containers.targets\n  forward_to = []\n}\n';
    expect(checkAlloyConfig(two).dockerAllowlist).toEqual({ ok: false, reason: expect.stringMatching(/loki.source.docker "raw" does not take its targets/) });
  });
  it("refuses a reference to an undefined relabel component", () => {
    const dangling = ALLOY_CONFIG.replace("discovery.relabel.docker_allowlist.output", "discovery.relabel.nope.output");
    expect(checkAlloyConfig(dangling).dockerAllowlist.reason).toMatch(/discovery.relabel "nope" .* is not defined/);
  });
});
