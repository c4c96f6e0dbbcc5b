// `npm run -s images:pin -- --stack <name> [--require] [--offline] [--dry-run] [--json]`: write the
// digest of every tag-only image pin into Pulumi.<name>.yaml (tag@sha256:...), from the Docker
// engine's local image or, unless --offline, the registry through the engine. With --require, also
// requireImageDigests: true once every image is pinned (config:lint and apply then refuse a tag).
import fs from "node:fs";
import path from "node:path";
import { BootstrapError } from "../contracts/errors";
import { projectRoot, runCli } from "./lib/cli";
import { dockerClient, inspectImage, pingDocker } from "./lib/docker-images";
import { DigestSource, pinStackText, resolveDigests, tagOnlyPins } from "./lib/image-pins";
import { print, printErr, printJson } from "./lib/redact";
import { parseStackCli } from "./lib/stack-cli";
import { EXIT_CODES_HELP } from "./lib/exit-codes";

const HELP = `Usage: npm run -s images:pin -- --stack <name> [--require] [--offline] [--dry-run] [--json]

Writes tag@sha256:<digest> for every image of Pulumi.<name>.yaml pinned by tag only: the digest of
the image on this Docker engine, else (unless --offline) the one the registry serves for the tag,
asked through the engine. Comments and order of the file are kept. --require also sets
requireImageDigests: true when every image got its digest. --dry-run prints the file instead.

Some pins that could not be resolved are exit 1 (named; the file still gets the others).

${EXIT_CODES_HELP}`;

const REGISTRY_TIMEOUT_MS = 15_000;

async function main(argv: string[]): Promise<number> {
  const cli = parseStackCli(argv, HELP, { require: { type: "boolean" }, offline: { type: "boolean" }, "dry-run": { type: "boolean" } });
  if (!cli) return 0;
  const { stack, values } = cli;
  const file = path.join(projectRoot(), `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new BootstrapError("E_CONFIG_FILE_MISSING", `${file}: ${(e as Error).message}`);
  }
  const docker = dockerClient();
  await pingDocker(docker);
  const src: DigestSource = {
    localRepoDigests: async (ref) => (await inspectImage(docker, ref))?.repoDigests ?? null,
    registryDigest: async (ref) => {
      let t: NodeJS.Timeout | undefined;
      try {
        const lookup = docker.getImage(ref).distribution() as Promise<{ Descriptor?: { digest?: string } }>;
        const info = await Promise.race([lookup, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error("timeout")), REGISTRY_TIMEOUT_MS)))]);
        return info?.Descriptor?.digest ?? null;
      } catch {
        return null;
      } finally {
        if (t) clearTimeout(t);
      }
    },
  };
  const resolved = await resolveDigests(tagOnlyPins(text), src, Boolean(values.offline));
  const digests = Object.fromEntries(resolved.filter((r) => r.digest).map((r) => [r.ref, r.digest!]));
  const r = pinStackText(text, digests, Boolean(values.require));
  if (values["dry-run"]) process.stdout.write(r.text);
  else if (r.pinned.length > 0 || r.required) fs.writeFileSync(file, r.text);
  if (values.json) printJson({ file, resolved, unresolved: r.unresolved, requireImageDigests: r.required });
  else if (!values["dry-run"]) {
    for (const x of resolved) print(x.digest ? `${x.ref}@${x.digest}  (from the ${x.from})` : `${x.ref}  NOT RESOLVED`);
    if (r.required) print(`requireImageDigests: true set in ${file}`);
  }
  if (r.unresolved.length > 0) {
    printErr(`${r.unresolved.length} image(s) could not be resolved (not on this engine${values.offline ? "" : ", and the registry did not answer"}): ${r.unresolved.join(", ")}; pull them (or drop --offline) and run this again`);
    return 1;
  }
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
