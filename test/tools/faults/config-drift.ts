// L8's faults beyond an edited rendered file (catalog.ts has that one): a file dropped into a
// directory Grafana reads, a rewritten secret file, a chmod. Each must turn L8 red with
// E_PROOF_CONFIG_DRIFT and be undone exactly (bytes, mode and owner as the program uploaded them).
import * as path from "path";
import { FILES } from "../../../components/defaults";
import { DeclaredUpload, formatMode } from "../../../components/verify/config-dirs";
import { execRoot, FaultContext, Fault, tarOf } from "./support";

/**
 * Dropped into the dashboards folder the provider points at. It carries no title, so Grafana (and
 * the double) refuse to save it: the fault leaves nothing behind in Grafana's database once the
 * file is gone, while L8 must still name the extra file.
 */
export const EXTRA_DASHBOARD = `${FILES.grafanaDashboardsDir}/verify-faults-extra.json`;
/** Where the rewritten credential points: a closed port on loopback, so nothing receives an alert. */
const REDIRECTED = "http://127.0.0.1:9/verify-faults-redirected";

/** The credential file's bytes before the fault (kept in memory only, never printed). */
let savedCredential: { container: string; file: string; mode: number; content: Buffer } | undefined;

/** The first Alertmanager receiver credential the stack uploads (the test stack's alert sink webhook). */
export function credentialFile(ctx: Pick<FaultContext, "desired">): DeclaredUpload {
  const f = ctx.desired.uploads.alertmanager.find((u) => u.secret && u.path.startsWith(`${FILES.alertmanagerSecretsDir}/`));
  if (!f) throw new Error("the stack declares no Alertmanager credential file (a receiver with a secure credential)");
  return f;
}

/** The mode the program uploads a file with (what a restore puts back). */
function declaredMode(ctx: FaultContext, svc: "prometheus", file: string): string {
  const u = ctx.desired.uploads[svc].find((x) => x.path === file);
  if (!u) throw new Error(`the stack uploads no ${file} to ${svc}`);
  return formatMode(u.mode);
}

async function putMode(ctx: FaultContext, container: string, file: string, content: Buffer, mode: number): Promise<void> {
  await ctx.docker.getContainer(container).putArchive(tarOf(path.posix.basename(file), content, mode), { path: path.posix.dirname(file) });
}

async function root(ctx: FaultContext, container: string, cmd: string[]): Promise<void> {
  const code = await execRoot(ctx, container, cmd);
  if (code !== 0) throw new Error(`${cmd.join(" ")} in ${container} exited ${code}`);
}

export function configDriftFaults(): Fault[] {
  return [
    {
      level: "L8",
      title: "drop an extra dashboard JSON into Grafana's dashboards folder",
      inject: async (ctx) => putMode(ctx, ctx.env.services.grafana.container, EXTRA_DASHBOARD, Buffer.from('{"uid":"verify-faults-extra","panels":[]}\n'), 0o444),
      restore: async (ctx) => root(ctx, ctx.env.services.grafana.container, ["rm", "-f", EXTRA_DASHBOARD]),
    },
    {
      level: "L8",
      title: "rewrite Alertmanager's webhook credential file (alerts silently redirected)",
      inject: async (ctx) => {
        const container = ctx.env.services.alertmanager.container;
        const { path: file, mode } = credentialFile(ctx);
        const before = await ctx.io.docker.readFile(container, file, 64 * 1024, 5000);
        if (before.kind !== "file") throw new Error(`${file} in ${container} is ${before.kind}, not the uploaded credential`);
        savedCredential = { container, file, mode, content: before.content };
        await putMode(ctx, container, file, Buffer.from(REDIRECTED), mode);
      },
      restore: async (ctx) => {
        const s = savedCredential;
        if (!s) return; // the inject failed before it changed anything
        await putMode(ctx, s.container, s.file, s.content, s.mode);
        savedCredential = undefined;
      },
    },
    {
      level: "L8",
      title: "chmod 0666 Prometheus' config file (writable by the user the container runs as)",
      inject: async (ctx) => root(ctx, ctx.env.services.prometheus.container, ["chmod", "0666", FILES.prometheusConfig]),
      restore: async (ctx) => root(ctx, ctx.env.services.prometheus.container, ["chmod", declaredMode(ctx, "prometheus", FILES.prometheusConfig), FILES.prometheusConfig]),
    },
  ];
}
