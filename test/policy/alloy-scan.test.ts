// The structural scan of Alloy configs (policy/lib/alloy.ts): blocks, attributes, comments, strings.
import { checkAlloyConfig, parse, refsOf, stringsOf } from "../../policy/lib/alloy";
import { ALLOY_CONFIG } from "./fixtures";

describe("Alloy structural scan", () => {
  it("parses nested blocks, labels and attributes", () => {
    const root = parse(ALLOY_CONFIG);
    expect(root.blocks.map((b) => `${b.name}:${b.label ?? ""}`)).toEqual([
      "discovery.docker:containers",
      "discovery.relabel:docker_allowlist",
      "loki.source.docker:containers",
      "loki.relabel:journal_allowlist",
      "loki.source.journal:journal",
      "loki.process:redact",
      "loki.write:loki",
    ]);
    const relabel = root.blocks[1];
    expect(refsOf(relabel.attrs.targets)).toEqual(["discovery.docker.containers.targets"]);
    expect(relabel.blocks.map((b) => b.name)).toEqual(["rule"]);
    expect(stringsOf(relabel.blocks[0].attrs.source_labels)).toEqual(["__meta_docker_container_name"]);
    expect(stringsOf(root.blocks[5].blocks[0].attrs.expression)).toEqual(["(?i)password=([^\\s&]+)"]);
  });
  it("passes the fixture", () => {
    expect(checkAlloyConfig(ALLOY_CONFIG)).toEqual({ dockerAllowlist: { ok: true }, journalAllowlist: { ok: true }, redaction: { ok: true } });
  });
  it("does not count rules inside /* */ comments or names inside strings", () => {
    const commented = ALLOY_CONFIG.replace("loki.relabel \"journal_allowlist\" {", "loki.relabel \"journal_allowlist\" {\n/*").replace("loki.source.journal \"journal\"", "*/ }\nloki.source.journal \"journal\"");
    expect(checkAlloyConfig(commented).journalAllowlist.ok).toBe(false);
    const inString = 'x = "loki.source.docker \\"a\\" { targets = discovery.relabel.docker_allowlist.output }"\n';
    expect(checkAlloyConfig(inString).dockerAllowlist.ok).toBe(false);
  });
  it("accepts raw (backtick) strings and tolerates junk", () => {
    const raw = ALLOY_CONFIG.replace('"^(/t-grafana|/t-loki)$"', () => "`^(/t-grafana)$`");
    expect(checkAlloyConfig(raw).dockerAllowlist.ok).toBe(true);
    expect(() => checkAlloyConfig("}}} {{{ = = \"unterminated")).not.toThrow();
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
