// The three-host test environment's stack file: the generated one-host file (test/env/Pulumi.testenv.yaml
// plus this machine's salt) with the keys of test/env/fleet/Pulumi.testenv.fleet.yaml put in place
// of the same keys (whole values: hosts, gateway, exposure), everything else and its comments kept.
//   tsx test/env/fleet/stack-file.ts <generated stack file> <overlay file>     (rewrites the first)
// lib.sh (ensure_stack) runs it before it sets the secret leaves (the alert sink's URL, host c's TLS).
import fs from "node:fs";
import YAML from "yaml";

/** `base` with every `config:` key of `overlay` set to the overlay's value (a key not in base is added). */
export function overlayStackConfig(base: string, overlay: string): string {
  const doc = YAML.parseDocument(base);
  const over = YAML.parse(overlay) as { config?: Record<string, unknown> } | null;
  const keys = over?.config && typeof over.config === "object" ? Object.entries(over.config) : [];
  if (!keys.length) throw new Error("the overlay has no config: keys");
  if (!YAML.isMap(doc.get("config"))) throw new Error("the stack file has no config: map");
  for (const [k, v] of keys) doc.setIn(["config", k], doc.createNode(v));
  return doc.toString();
}

if (require.main === module) {
  const [file, overlay] = process.argv.slice(2);
  if (!file || !overlay) {
    process.stderr.write("usage: tsx test/env/fleet/stack-file.ts <generated stack file> <overlay file>\n");
    process.exit(2);
  }
  try {
    fs.writeFileSync(file, overlayStackConfig(fs.readFileSync(file, "utf8"), fs.readFileSync(overlay, "utf8")));
  } catch (e) {
    process.stderr.write(`stack-file: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
