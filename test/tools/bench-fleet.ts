// npm run -s bench:fleet [-- --hosts N] [--latency MS] [--ingest MS] [--runs R] [--real FILE] [--json]
// The verify fan-out over fleet hosts: wall time of the suite's host proofs with N hosts over the
// same with 1 host (medians of R runs), printed as `fan-out ratio R` against the 1.3 target.
// Default: fake hosts (test/verify/host-fakes.ts), each engine and HTTP answer after --latency ms and
// the marker visible in Loki --ingest ms after it was written, on the real clock. --real FILE: real
// hosts, FILE = {"hosts": [{"input": <HostInput>, "docker": <DockerEngine>}]} (the three-host test
// environment's remote hosts, or any fleet's); with TLS leaves or an SSH key in it the file must be
// mode 0600. A command, not a timed test: it asserts nothing and exits 0 unless it could not run.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { BootstrapError } from "../../contracts/errors";
import { hostInputFromProps } from "../../components/verify/checks/host";
import type { DockerEngine } from "../../components/verify/engine";
import { makeIo } from "../../components/verify/io";
import type { DesiredState } from "../../components/verify/spec";
import { HostRun, runSuite } from "../../components/verify/suite";
import { FakeDocker, makeTestIo } from "../verify/fakes";
import { fakeHost } from "../verify/host-fakes";
import { assertSecretsFileMode } from "../../scripts/lib/secrets-file";
import { runCli } from "../../scripts/lib/cli";

export const FAN_OUT_TARGET = 1.3;

const HELP = `Usage: npm run -s bench:fleet [-- --hosts N] [--latency MS] [--ingest MS] [--runs R] [--real FILE] [--json]

Prints the wall time of verify's host proofs with N hosts and with 1 host, and their ratio
(\`fan-out ratio R\`, target <= ${FAN_OUT_TARGET}).
  --hosts N      fake hosts (default 3)
  --latency MS   each fake engine/HTTP answer takes MS (default 50)
  --ingest MS    the fake Loki shows a marker MS after it was written (default 1000)
  --runs R       runs of each (default 3; medians)
  --real FILE    real hosts: {"hosts": [{"input": {...}, "docker": {"host": "unix://..."}}]}
  --json         the summary as JSON
Exit: 0 printed; 3 could not run.`;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

/** The hosts of a --real file, each with the I/O of its own engine. */
async function realHosts(file: string): Promise<HostRun[]> {
  const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { hosts?: { input?: Record<string, unknown>; docker?: DockerEngine }[] };
  if (!Array.isArray(doc.hosts) || doc.hosts.length === 0) throw new BootstrapError("E_ENV_USAGE", `${file}: no hosts`);
  if (doc.hosts.some((h) => h.docker?.tls || h.docker?.ssh?.privateKey)) assertSecretsFileMode(file);
  return await Promise.all(
    doc.hosts.map(async (h, i) => {
      const parsed = hostInputFromProps(h.input ?? {});
      if (!parsed.ok) throw new BootstrapError("E_ENV_USAGE", `${file}: hosts[${i}].input: ${parsed.problems.join("; ")}`);
      if (typeof h.docker?.host !== "string") throw new BootstrapError("E_ENV_USAGE", `${file}: hosts[${i}].docker.host is missing`);
      return { input: parsed.input, io: await makeIo({ docker: h.docker }) };
    }),
  );
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { hosts: { type: "string" }, latency: { type: "string" }, ingest: { type: "string" }, runs: { type: "string" }, real: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const runs = Math.max(1, Number(values.runs ?? 3));
  const latencyMs = Number(values.latency ?? 50);
  const ingestMs = Number(values.ingest ?? 1000);
  const real = values.real ? await realHosts(path.resolve(values.real)) : undefined;
  const n = real ? real.length : Math.max(1, Number(values.hosts ?? 3));
  // Fresh fake hosts for every run (a fake host's Loki keeps what was written to it).
  const hostsFor = (count: number): HostRun[] => (real ? real.slice(0, count) : Array.from({ length: count }, (_, i) => fakeHost({ name: `host${i + 1}`, latencyMs, logsDelayMs: ingestMs, realClock: true }, { pollIntervalMs: 250 })));
  // The suite exactly as verify runs it, no level asked for: the hosts' fan-out alone.
  const desired = { config: { verify: { enabled: true } } } as unknown as DesiredState;
  const central = makeTestIo(new FakeDocker());
  let allGreen = true;
  const wall = async (count: number): Promise<number> => {
    const t0 = Date.now();
    const r = await runSuite(desired, central, { levels: [], hosts: hostsFor(count), parallel: true });
    if (r.status !== "green") allGreen = false;
    return Date.now() - t0;
  };
  await wall(1); // warm-up: module loading, first connections
  const one: number[] = [];
  const many: number[] = [];
  for (let i = 0; i < runs; i++) {
    one.push(await wall(1));
    many.push(await wall(n));
  }
  const ratio = median(many) / median(one);
  const summary = {
    mode: real ? "real" : "fake",
    hosts: n,
    runs,
    ...(real ? {} : { latencyMs, ingestMs }),
    wallMs: { oneHost: Math.round(median(one)), allHosts: Math.round(median(many)) },
    fanOutRatio: +ratio.toFixed(2),
    target: FAN_OUT_TARGET,
    met: ratio <= FAN_OUT_TARGET,
    allGreen,
  };
  if (values.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  else {
    const p = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      [
        `bench:fleet (${summary.mode} hosts${real ? "" : `: ${latencyMs} ms per answer, marker in Loki after ${ingestMs} ms`}; ${runs} runs each; medians)${allGreen ? "" : "  WARNING: some run was red"}`,
        `  1 host    ${p(summary.wallMs.oneHost)}`,
        `  ${String(n).padEnd(2)}hosts  ${p(summary.wallMs.allHosts)}`,
        `fan-out ratio ${summary.fanOutRatio.toFixed(2)}  (target <= ${FAN_OUT_TARGET}: ${summary.met ? "met" : "NOT met"})`,
      ].join("\n") + "\n",
    );
  }
  return 0;
}

if (require.main === module) runCli(() => main(process.argv.slice(2)), { failExit: () => 3, exit: true });
