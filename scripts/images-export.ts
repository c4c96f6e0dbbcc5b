// `npm run images:export -- --stack <name> --out <dir>`: `docker save` of every pinned image of the
// stack (one tar per service) plus manifest.json with each image's ID, RepoDigests and tar SHA-256 (P11).
import path from "node:path";
import { BootstrapError } from "../contracts/errors";
import { projectRoot, runCli } from "./lib/cli";
import { dockerClient, exportImages, pingDocker, readStackInfo } from "./lib/docker-images";
import { print, printErr, printJson } from "./lib/redact";
import { parseStackCli } from "./lib/stack-cli";
import { EXIT_CODES_HELP } from "./lib/exit-codes";

const HELP = `Usage: npm run images:export -- --stack <name> --out <dir> [--json]

Saves every image pinned in Pulumi.<name>.yaml (pulled first unless offlineMode) to <dir>/<service>.tar
and writes <dir>/manifest.json {version, stack, created_at, images: [{service, ref, id, repoDigests,
file, sha256, size}]}. Carry <dir> to the offline host and run images:import there.

An image that could not be exported is exit 1.

${EXIT_CODES_HELP}`;

async function main(argv: string[]): Promise<number> {
  const cli = parseStackCli(argv, HELP, { out: { type: "string" } });
  if (!cli) return 0;
  const { stack, values } = cli;
  if (!values.out) throw new BootstrapError("E_ENV_USAGE", "--out <dir> is required");
  const root = projectRoot();
  const info = readStackInfo(path.join(root, `Pulumi.${stack}.yaml`));
  const docker = dockerClient();
  await pingDocker(docker);
  const manifest = await exportImages(docker, stack, info, path.resolve(values.out), (m) => printErr(m));
  if (values.json) printJson(manifest);
  else for (const e of manifest.images) print(`${e.service.padEnd(13)} ${e.ref}  ${e.id}  ${e.file} (${e.size} bytes)`);
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
