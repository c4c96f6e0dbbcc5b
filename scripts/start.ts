// `npm start`: the main job with embedded defaults, from a fresh clone to a proven stack.
//   1. the stack: --stack, else the selected one, else `local` (created on first run from
//      stacks/local.template.yaml into the untracked Pulumi.local.yaml);
//   2. bootstrap --mode diagnose (lint, policy, preview): a red diagnose stops here;
//   3. bootstrap --mode apply (checkpoint, up with the proofs, verify);
//   4. the Grafana URL, the user, and the one command that shows the password.
// The CLI, backend and passphrase are bootstrap's defaults (scripts/lib/pulumi/defaults.ts).
import fs from "node:fs";
import path from "node:path";
import { main as bootstrap, Deps } from "./bootstrap";
import { parseCli, projectRoot, runCli } from "./lib/cli";
import { EXIT, EXIT_CODES_HELP } from "./lib/exit-codes";
import { LOCAL_STACK, LOCAL_TEMPLATE, materializeLocalStack, MIRROR_ENV } from "./lib/local-stack";
import { outDirFrom } from "./lib/bundle";
import { formatDuration } from "./lib/progress";
import { print, printErr } from "./lib/redact";

const HELP = `Usage: npm start [-- --stack <name>] [--json]

Diagnose, apply and verify one stack, then print where Grafana is and how to log in. On a fresh
clone nothing else is needed but \`npm ci\` and a running Docker engine:
  - the stack: --stack, else the one selected (\`pulumi stack select\`), else \`${LOCAL_STACK}\`, created on the
    first run from ${LOCAL_TEMPLATE} into Pulumi.${LOCAL_STACK}.yaml (untracked; Pulumi keeps its salt there);
  - the Pulumi CLI: \`pulumi\` on PATH, else .tools/engine (npm run -s engine:build), else the pinned
    version installed where the internet is reachable;
  - the backend: PULUMI_BACKEND_URL, else \`pulumi login\`, else .pulumi-state/ in the project, with a
    passphrase file generated there (mode 0600) unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set;
  - images: pulled from their registries, or, with ${MIRROR_ENV}=<host:port[/path]> set before the
    first run, from that registry (same repository path and tag).
Each run leaves two bundles (diagnose, apply) under out/runs/; \`npm run -s recall -- list\` lists them.

${EXIT_CODES_HELP}`;

interface RunRecordLike {
  mode?: string;
  stack?: string;
  bundle?: string;
}

/** The newest run of a mode and stack in runs.jsonl (its bundle holds the outputs). */
export function lastRun(runsJsonl: string, mode: string, stack: string): RunRecordLike | undefined {
  const recs = runsJsonl.split("\n").filter(Boolean).map((l) => {
    try {
      return JSON.parse(l) as RunRecordLike;
    } catch {
      return {};
    }
  });
  return recs.filter((r) => r.mode === mode && r.stack === stack).pop();
}

/** The closing lines: where Grafana is, who logs in, and the command that prints the password. */
export function accessLines(stack: string, outputs: { endpoints?: { grafana?: unknown } } | undefined, selectedIsStack: boolean): string[] {
  const url = typeof outputs?.endpoints?.grafana === "string" ? outputs.endpoints.grafana : undefined;
  // Not "password: <command>": the redactor takes a value after "password:" for a secret.
  return [
    `Grafana:          ${url ?? "(no Grafana port published by this stack)"}`,
    "user:             admin",
    `password command: npm run -s password${selectedIsStack ? "" : ` -- --stack ${stack}`}`,
  ];
}

export async function main(argv: string[], deps: Deps = {}): Promise<number> {
  const { values } = parseCli(argv, { stack: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    print(HELP);
    return EXIT.OK;
  }
  const root = projectRoot();
  const t0 = Date.now();
  let stack = values.stack;
  const openOptions: Deps["openOptions"] = {
    defaultStack: LOCAL_STACK,
    prepare: (s) => {
      stack = s;
      return materializeLocalStack(root, s, process.env);
    },
    ...deps.openOptions,
  };
  // Only the template-backed stack is created; any other must exist (its file is the operator's).
  const common = [...(values.stack ? ["--stack", values.stack] : []), ...(values.json ? ["--json"] : [])];
  printErr("[start] 1/2 diagnose (config lint, policy check, preview)");
  const d = await bootstrap(["--mode", "diagnose", ...common], { ...deps, openOptions: { ...openOptions, create: (stack ?? LOCAL_STACK) === LOCAL_STACK } });
  if (d !== EXIT.OK) {
    printErr(`[start] diagnose is not green (exit ${d}): nothing was changed. Fix what it names, then run npm start again.`);
    return d;
  }
  printErr(`[start] 2/2 apply (checkpoint, up with the proofs L1-L9, verify) on stack ${stack}`);
  const a = await bootstrap(["--mode", "apply", ...(stack ? ["--stack", stack] : []), ...(values.json ? ["--json"] : [])], { ...deps, openOptions });
  if (a !== EXIT.OK) {
    printErr(`[start] apply is not green (exit ${a}); the summary above names the cause and the next action.`);
    return a;
  }
  const outDir = outDirFrom(process.env, root);
  const runs = fs.existsSync(path.join(outDir, "runs.jsonl")) ? fs.readFileSync(path.join(outDir, "runs.jsonl"), "utf8") : "";
  const rec = lastRun(runs, "apply", stack!);
  let outputs: { endpoints?: { grafana?: unknown } } | undefined;
  try {
    outputs = rec?.bundle ? JSON.parse(fs.readFileSync(path.join(outDir, rec.bundle, "outputs.json"), "utf8")) : undefined;
  } catch {
    outputs = undefined;
  }
  const lines = [`[start] stack ${stack} is up and proven in ${formatDuration(Date.now() - t0)}:`, ...accessLines(stack!, outputs, !values.stack).map((l) => `  ${l}`)];
  for (const l of lines) (values.json ? printErr : print)(l);
  return EXIT.OK;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
