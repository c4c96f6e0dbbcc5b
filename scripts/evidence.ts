// `npm run -s evidence -- --stack <name> [--outputs-file F]`: a run bundle from the stack outputs
// (`pulumi stack output --json`, or a file holding that JSON) and the engine's view of the images (P12).
import fs from "node:fs";
import path from "node:path";
import { BootstrapError } from "../contracts/errors";
import { SERVICES } from "../contracts/config/schema";
import { parseCli, projectRoot, requireStack, runCli } from "./lib/cli";
import { Bundle, BUNDLE_FILES, finalizeRun, outDirFrom, sha256File } from "./lib/bundle";
import { collectEvidence } from "./lib/evidence-collect";
import { pingDocker, readStackInfo, StackInfo } from "./lib/docker-images";
import { guardedOps } from "./lib/pulumi/stack-ops";
import { readStackSecrets } from "./lib/pulumi/secrets";
import type { OpenOptions, Opened } from "./lib/pulumi/workspace";
import { PULUMI_ENV_OVERRIDES } from "./lib/pulumi/stack-ops";
import { EXIT_CODES_HELP } from "./lib/exit-codes";
import { print, printErr, printJson, redactor } from "./lib/redact";
import { SECRETS_FILE } from "./lib/secrets-file";

const HELP = `Usage: npm run -s evidence -- --stack <name> [--outputs-file <file>] [--json]

Builds out/runs/<run_id>/ (meta, desired_state, provenance, outputs, events.jsonl, summary, autoheal)
and appends one line to out/runs.jsonl. Outputs come from the stack (Pulumi's Automation API; the
same CLI, backend and passphrase defaults as bootstrap) or from --outputs-file (the JSON of
\`pulumi stack output --json\`, e.g. saved on another host). Every secret value is written as ***REDACTED***.

${EXIT_CODES_HELP}`;

export async function main(argv: string[], deps: { open?: (o: OpenOptions) => Promise<Opened> } = {}): Promise<number> {
  const { values } = parseCli(argv, {
    stack: { type: "string" },
    "outputs-file": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    print(HELP);
    return 0;
  }
  const stack = requireStack(values.stack);
  const root = projectRoot();
  const outDir = outDirFrom(process.env, root);
  const configFile = path.join(root, `Pulumi.${stack}.yaml`);
  const startedAt = new Date();
  redactor.learnEnvFile(path.join(root, SECRETS_FILE));
  let outputs: Record<string, unknown> | undefined;
  const tools: Record<string, string | null> = { node: process.version, pulumi: null, docker: null };
  if (values["outputs-file"]) {
    const f = path.resolve(values["outputs-file"]);
    try {
      outputs = JSON.parse(fs.readFileSync(f, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new BootstrapError("E_CONFIG_FILE_MISSING", `${f}: ${(err as Error).message}`, { action: "Pass the JSON printed by `pulumi stack output --json`." });
    }
    // The file may have been written with --show-secrets: learn its secret-looking values first.
    redactor.learn(outputs);
  } else {
    const opened = await (deps.open ?? (await import("./lib/pulumi/workspace")).openStack)({ root, stack, env: process.env });
    const ops = guardedOps("evidence", opened.ops);
    tools.pulumi = ops.cli.version;
    const s = await readStackSecrets(ops);
    redactor.learn([s.outputSecrets, s.configSecrets], true);
    outputs = s.outputs;
  }
  let stackInfo: StackInfo | undefined;
  try {
    stackInfo = readStackInfo(configFile);
  } catch (err) {
    printErr(`warning: ${(err as Error).message}`);
  }
  try {
    tools.docker = await pingDocker(undefined, 3000);
  } catch {
    printErr("warning: the Docker engine is unreachable: provenance holds the recorded digests only");
  }
  const t0 = Date.now();
  const ev = await collectEvidence({ stack, root, configFile, stackInfo, outputs, docker: tools.docker !== null, evaluate: process.env.LOGGING_BOOTSTRAP_EVALUATE !== "0" });
  const bundle = Bundle.create(outDir, startedAt);
  bundle.writeJson(BUNDLE_FILES.desired, { mode: "evidence", ...ev.desired });
  bundle.writeJson(BUNDLE_FILES.provenance, { mode: "evidence", ...ev.provenance });
  bundle.writeJson("outputs.json", outputs);
  bundle.writeJson(BUNDLE_FILES.preflight, { mode: "evidence", stack, status: "skipped", reason: "evidence runs no preflight" });
  bundle.writeJson(BUNDLE_FILES.verify, { mode: "evidence", stack, status: "skipped", reason: "evidence records outputs; run verify or bootstrap --mode apply for proofs" });
  const record = await finalizeRun(bundle, {
    mode: "evidence",
    stack,
    startedAt,
    finishedAt: new Date(),
    exitCode: 0,
    configFile: fs.existsSync(configFile) ? configFile : null,
    configSha256: sha256File(configFile),
    tools,
    stages: [{ step: "evidence", status: "success", durationMs: Date.now() - t0, errors: [], detail: ev.sources.join(", ") }],
    errors: [],
    events: {
      envKeys: Object.keys(PULUMI_ENV_OVERRIDES),
      warnings: [],
      services: SERVICES.map((s) => ({ service: s, image: stackInfo?.images[s], artifactHash: ev.artifactHashes[s] })),
      projectName: stackInfo?.projectName,
    },
    argv,
  });
  if (values.json) printJson(record);
  else print(`evidence: ${path.join(outDir, record.bundle)} (${Object.keys((ev.desired.files as object) ?? {}).length} desired SHAs, ${(ev.provenance.images as unknown[]).length} images)`);
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
