import { checkAlloyStructure, parseAlloy } from "../../components/verify/alloy-structure";
import { renderAlloyConfig } from "../../components/render/alloy";
import { loadConfigFile } from "../../components/verify/desired";
import { PROJECT_ROOT } from "../util/provider-host";
import * as path from "path";
import type { StackConfig } from "../../contracts/config/schema";

describe("Alloy structural check (P15) on the real renderer's output", () => {
  const cfg = loadConfigFile(path.join(PROJECT_ROOT, "Pulumi.test.yaml")) as StackConfig;
  const want = { dockerAllowlist: cfg.alloy.dockerAllowlist, journaldUnits: cfg.alloy.journaldUnits, redactionCount: cfg.alloy.redactions.length };

  test("the test stack's rendered config passes", () => {
    const r = checkAlloyStructure(renderAlloyConfig(cfg), want);
    expect(r.errors).toEqual([]);
    expect(r.redactionStages).toBe(2);
    expect(r.facts).toEqual({ dockerSources: 1, journalSources: 1, fileSources: 1 });
  });

  test("a config rendered without the docker allowlist fails against the configured allowlist", () => {
    const text = renderAlloyConfig({ ...cfg, alloy: { ...cfg.alloy, dockerAllowlist: [] } });
    expect(checkAlloyStructure(text, want).errors).toEqual(["alloy: dockerAllowlist is set but there is no loki.source.docker"]);
  });

  test("an allowlist that misses a configured container fails", () => {
    const text = renderAlloyConfig({ ...cfg, alloy: { ...cfg.alloy, dockerAllowlist: cfg.alloy.dockerAllowlist.slice(1) } });
    expect(checkAlloyStructure(text, want).errors[0]).toMatch(/is not limited to alloy.dockerAllowlist \(keep rule does not admit \/logging-test-grafana\)/);
  });

  test("fewer redaction stages than configured redactions fails", () => {
    const text = renderAlloyConfig({ ...cfg, alloy: { ...cfg.alloy, redactions: cfg.alloy.redactions.slice(0, 1) } });
    expect(checkAlloyStructure(text, want).errors).toEqual(["alloy: 2 redaction(s) configured but a source forwards through only 1 stage.replace stage(s)"]);
  });

  test("parser: blocks, labels, attributes, nested blocks, refs, comments", () => {
    const b = parseAlloy('// c\nloki.write "x" {\n  external_labels = { project = "p", "a-b" = 1 }\n  endpoint { url = "http://l:3100" }\n  t = [a.b.c, "s"]\n}\n');
    expect(b).toEqual([
      { name: "loki.write", label: "x", attrs: { external_labels: { project: "p", "a-b": 1 }, t: [{ ref: "a.b.c" }, "s"] }, blocks: [{ name: "endpoint", label: undefined, attrs: { url: "http://l:3100" }, blocks: [] }] },
    ]);
  });

  test("unparseable text is an error, not a pass", () => {
    expect(checkAlloyStructure("loki.write {{", want).errors[0]).toMatch(/^alloy config does not parse/);
  });
});
