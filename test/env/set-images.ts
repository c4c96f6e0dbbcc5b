// Set images.<service> in a generated stack file (comments and everything else kept):
//   tsx test/env/set-images.ts <stack file> prometheus=127.0.0.1:5000/testenv/prometheus:v2.55.1 [...]
// up.sh applies TESTENV_IMAGES with it; the upgrade drill moves Prometheus between versions with it.
import fs from "node:fs";
import YAML from "yaml";

export function setImages(text: string, images: Record<string, string>): string {
  const doc = YAML.parseDocument(text);
  for (const [svc, ref] of Object.entries(images)) doc.setIn(["config", "logging-bootstrap:images", svc], ref);
  return doc.toString();
}

export function parseAssignments(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args.flatMap((x) => x.split(",")).filter(Boolean)) {
    const m = /^([A-Za-z]+)=(\S+)$/.exec(a);
    if (!m) throw new Error(`expected <service>=<image ref>, got ${JSON.stringify(a)}`);
    out[m[1]] = m[2];
  }
  return out;
}

if (require.main === module) {
  const [file, ...rest] = process.argv.slice(2);
  if (!file || !rest.length) {
    process.stderr.write("usage: tsx test/env/set-images.ts <stack file> <service>=<ref>[,...] ...\n");
    process.exit(2);
  }
  fs.writeFileSync(file, setImages(fs.readFileSync(file, "utf8"), parseAssignments(rest)));
}
