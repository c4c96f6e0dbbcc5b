// `npm run -s recall -- <list|latest|show|export>`: query past runs (P12). Streams out/runs.jsonl with
// readline (constant memory, ~a second for 100,000 runs); reads a bundle only for show/export.
import { formatDuration } from "./lib/progress";
import fs from "node:fs";
import path from "node:path";
import { BootstrapError, BUCKETS } from "../contracts/errors";
import { parseCli, projectRoot, runCli } from "./lib/cli";
import { Bundle, BUNDLE_FILES, outDirFrom } from "./lib/bundle";
import { print, printJson, redactor } from "./lib/redact";
import { exportRun } from "./lib/run-export";
import { findRun, latestRun, matchesFilter, parseDateArg, RunFilter, RunRecord, streamRuns } from "./lib/runs-index";
import { EXIT, EXIT_CODES_HELP } from "./lib/exit-codes";

const HELP = `Usage: npm run -s recall -- list [--status green|red] [--bucket <bucket>] [--since <date>] [--until <date>]
                                [--stack <name>] [--mode <mode>] [--limit N] [--json]
       npm run -s recall -- latest [--json]
       npm run -s recall -- show <run_id|prefix|latest> [--json]
       npm run -s recall -- export <run_id|prefix|latest> [--out <file.tar.gz>] [--with-backups]

Dates: YYYY-MM-DD (UTC; --until includes the whole day) or ISO 8601. Buckets: ${BUCKETS.join(", ")}.
list prints one line per run (oldest first; --limit keeps the newest N); --json prints a JSON array.
export writes out/exports/<run_id>.tar.gz unless --out is given, owner-only (0600); the bundle's
backups/ (data snapshots of whole volumes) stay out unless --with-backups is given.
Reads out/runs.jsonl (LOGGING_BOOTSTRAP_OUT_DIR moves out/).

A run that is not there is exit 2 (usage); an empty list is exit 0.

${EXIT_CODES_HELP}`;

export function formatRun(r: RunRecord): string {
  const codes = r.codes?.length ? `  ${r.codes.join(",")}` : "";
  return `${r.run_id}  ${r.status.padEnd(5)}  ${r.mode.padEnd(8)}  ${r.stack}  ${formatDuration(r.duration_ms).padStart(10)}  errors=${r.errors}${codes}`;
}

export async function listRuns(indexFile: string, filter: RunFilter, limit: number | undefined, emit: (r: RunRecord) => void): Promise<number> {
  // With --limit keep a ring of the newest N; otherwise emit while streaming (constant memory).
  let n = 0;
  if (limit === undefined) {
    for await (const r of streamRuns(indexFile)) if (matchesFilter(r, filter)) (emit(r), n++);
    return n;
  }
  const ring: RunRecord[] = [];
  for await (const r of streamRuns(indexFile)) {
    if (!matchesFilter(r, filter)) continue;
    ring.push(r);
    if (ring.length > limit) ring.shift();
  }
  for (const r of ring) emit(r);
  return ring.length;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(
    argv,
    {
      status: { type: "string" },
      bucket: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      stack: { type: "string" },
      mode: { type: "string" },
      limit: { type: "string" },
      out: { type: "string" },
      "with-backups": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help || positionals.length === 0) {
    print(HELP);
    return values.help ? 0 : 2;
  }
  const outDir = outDirFrom(process.env, projectRoot());
  const index = path.join(outDir, "runs.jsonl");
  const [cmd, arg] = positionals;
  switch (cmd) {
    case "list": {
      if (values.status && values.status !== "green" && values.status !== "red") throw new BootstrapError("E_ENV_USAGE", "--status is green or red");
      if (values.bucket && !(BUCKETS as readonly string[]).includes(values.bucket)) throw new BootstrapError("E_ENV_USAGE", `--bucket is one of ${BUCKETS.join(", ")}`);
      const limit = values.limit !== undefined ? Number(values.limit) : undefined;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new BootstrapError("E_ENV_USAGE", "--limit is a positive integer");
      const filter: RunFilter = {
        status: values.status as RunFilter["status"],
        bucket: values.bucket,
        since: values.since ? parseDateArg(values.since, false) : undefined,
        until: values.until ? parseDateArg(values.until, true) : undefined,
        stack: values.stack,
        mode: values.mode,
      };
      if (values.json) {
        // Stream the array too: 100,000 runs never sit in memory as one string.
        let first = true;
        process.stdout.write("[");
        await listRuns(index, filter, limit, (r) => {
          process.stdout.write((first ? "\n" : ",\n") + redactor.line(r));
          first = false;
        });
        process.stdout.write(first ? "]\n" : "\n]\n");
      } else {
        const lines: string[] = [];
        const flush = () => {
          if (lines.length) process.stdout.write(redactor.text(lines.join("\n") + "\n"));
          lines.length = 0;
        };
        await listRuns(index, filter, limit, (r) => {
          lines.push(formatRun(r));
          if (lines.length >= 1000) flush();
        });
        flush();
      }
      return 0;
    }
    case "latest": {
      const r = await latestRun(index);
      if (!r) return noRun("no runs recorded yet", index);
      if (values.json) printJson(r);
      else print(formatRun(r));
      return 0;
    }
    case "show": {
      if (!arg) throw new BootstrapError("E_ENV_USAGE", "show <run_id|prefix|latest>");
      const r = await findRun(index, arg);
      if (!r) return noRun(`no run ${arg}`, index);
      const b = Bundle.open(outDir, r.run_id);
      const summary = b.readJson(BUNDLE_FILES.summary);
      const autoheal = b.readJson(BUNDLE_FILES.autoheal);
      if (values.json) printJson({ record: r, summary: summary ?? null, autoheal: autoheal ?? null, dir: b.dir });
      else {
        print(formatRun(r));
        const md = path.join(b.dir, BUNDLE_FILES.summaryMd);
        if (fs.existsSync(md)) print(fs.readFileSync(md, "utf8"));
        print(`bundle: ${b.dir}`);
      }
      return 0;
    }
    case "export": {
      if (!arg) throw new BootstrapError("E_ENV_USAGE", "export <run_id|prefix|latest>");
      const r = await findRun(index, arg);
      if (!r) return noRun(`no run ${arg}`, index);
      const dest = path.resolve(values.out ?? path.join(outDir, "exports", `${r.run_id}.tar.gz`));
      const runsDir = path.join(outDir, "runs");
      if (!fs.existsSync(path.join(runsDir, r.run_id))) return noRun(`the bundle of ${r.run_id} is gone from ${runsDir}`, index);
      const x = await exportRun(runsDir, r.run_id, dest, { withBackups: Boolean(values["with-backups"]) });
      if (x.leftOut.length > 0) process.stderr.write(redactor.text(`left out ${x.leftOut.length} file(s) under backups/ (data snapshots); add --with-backups to include them\n`));
      if (values.json) printJson({ run_id: r.run_id, file: dest, left_out: x.leftOut });
      else print(dest);
      return 0;
    }
    default:
      throw new BootstrapError("E_ENV_USAGE", `unknown command ${JSON.stringify(cmd)}: list, latest, show or export`);
  }
}

function noRun(msg: string, index: string): number {
  process.stderr.write(redactor.text(`${msg} (index ${index})\n`));
  return EXIT.USAGE;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
