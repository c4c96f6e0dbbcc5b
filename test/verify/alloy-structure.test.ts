import { checkAlloyStructure } from "../../components/verify/alloy-structure";
import { renderAlloyConfig } from "../../components/render/alloy";
import { loadConfigFile } from "../../contracts/config/load";
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

  test("a journal keep rule that admits every unit fails", () => {
    const text = renderAlloyConfig(cfg).replace('"^(docker\\\\.service|ssh\\\\.service)$"', '".*"');
    expect(text).toContain('regex         = ".*"');
    expect(checkAlloyStructure(text, want).errors).toEqual(['alloy: loki.source.journal "journal" is not limited to alloy.journaldUnits (keep rule admits names outside the allowlist)']);
  });

  test("unparseable text is an error, not a pass", () => {
    expect(checkAlloyStructure("loki.write {{", want).errors).toEqual(["alloy config does not parse: 1:13: expected an attribute or block name, got \"{\""]);
  });
});
