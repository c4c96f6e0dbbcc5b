// `npm run images:import -- --in <dir>`: `docker load` of every tar in an images:export directory,
// verifying each tar's SHA-256 before loading and each loaded image's ID after (P11).
import path from "node:path";
import { BootstrapError } from "../contracts/errors";
import { formatError, parseCli, runCli } from "./lib/cli";
import { dockerClient, importImages, pingDocker } from "./lib/docker-images";
import { print, printErr, printJson } from "./lib/redact";
import { EXIT_CODES_HELP } from "./lib/exit-codes";

const HELP = `Usage: npm run images:import -- --in <dir> [--json]

Loads <dir>/<service>.tar for every entry of <dir>/manifest.json. A tar whose SHA-256 differs from the
manifest is not loaded; a loaded image whose ID differs is reported. Both are E_DEPS_IMAGE_DIGEST_MISMATCH.

A digest mismatch or a missing tar is exit 1.

${EXIT_CODES_HELP}`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { in: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    print(HELP);
    return 0;
  }
  if (!values.in) throw new BootstrapError("E_ENV_USAGE", "--in <dir> is required");
  const docker = dockerClient();
  await pingDocker(docker);
  const { results, errors } = await importImages(docker, path.resolve(values.in), (m) => printErr(m));
  if (values.json) printJson({ ok: errors.length === 0, results, errors });
  else {
    for (const r of results) print(`${r.ok ? "ok      " : "MISMATCH"} ${r.service.padEnd(13)} ${r.ref}  ${r.actualId ?? "-"}`);
    for (const e of errors) printErr(formatError(e));
  }
  return errors.length ? 1 : 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
