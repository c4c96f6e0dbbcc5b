// The JSON Schema twin of StackConfigSchema (for ajv, editors and non-TypeScript tooling).
// It is generated from the zod schema so the two cannot drift by hand; a test compares the
// committed contracts/config/stack-config.schema.json with this output, and another proves zod
// and ajv give the same verdict on a shared corpus of good and bad configs.
// Regenerate: npx tsx contracts/config/json-schema.ts
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { CURRENT_SCHEMA_VERSION, StackConfigSchema } from "./schema";

export const STACK_CONFIG_SCHEMA_FILE = path.join(__dirname, "stack-config.schema.json");

export function buildStackConfigJsonSchema(): Record<string, unknown> {
  // io "input": keys with defaults are optional, as an operator writes them.
  const generated = z.toJSONSchema(StackConfigSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: "https://github.com/logging-bootstrap/logging-bootstrap/contracts/config/stack-config.schema.json",
    title: `logging-bootstrap stack configuration, schema v${CURRENT_SCHEMA_VERSION}`,
    description:
      "The logging-bootstrap: namespace of a Pulumi.<stack>.yaml, with the namespace prefix removed (logging-bootstrap:ports -> ports). Generated from contracts/config/schema.ts; semantic rules (unique ports, exposure, pinned images, secrets) are in contracts/config/rules.ts.",
    ...rest,
  };
}

if (require.main === module) {
  fs.writeFileSync(STACK_CONFIG_SCHEMA_FILE, `${JSON.stringify(buildStackConfigJsonSchema(), null, 2)}\n`);
  process.stdout.write(`wrote ${STACK_CONFIG_SCHEMA_FILE}\n`);
}
