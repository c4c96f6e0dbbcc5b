// The checks before any step: the Pulumi CLI, backend, passphrase and stack (one open through the
// Automation API), the stack's secrets (learned for redaction), the Docker engine, the stack file,
// offline images, the operator's secrets file. Each check is recorded with its duration; what
// failed is an error of the preflight stage.
import path from "node:path";
import { ErrorRecord, toErrorRecord } from "../../../contracts/errors";
import { dockerClient, offlineImageFindings, pingDocker, readStackInfo } from "../docker-images";
import { redactor } from "../redact";
import { checkSecretsFileMode, SECRETS_FILE } from "../secrets-file";
import { guardedOps } from "../pulumi/stack-ops";
import { readStackSecrets, StackSecrets } from "../pulumi/secrets";
import type { Opened } from "../pulumi/workspace";
import { shortStackName } from "../pulumi/defaults";
import type { Ctx } from "./context";
import { stage } from "./run-step";

/** Learn a stack's secrets for redaction; keep Grafana's admin password for the verify child's env. */
export function absorbSecrets(ctx: Ctx, s: StackSecrets): void {
  ctx.outputs = s.outputs;
  redactor.learn([s.outputSecrets, s.configSecrets], true);
  const fromOutputs = Object.entries(s.outputSecrets).find(([k, v]) => /^grafanaAdminPassword$/i.test(k) && typeof v === "string")?.[1] as string | undefined;
  const fromConfig = Object.entries(s.configSecrets).find(([k]) => k.endsWith(":grafanaAdminPassword"))?.[1] as string | undefined;
  ctx.grafanaPassword = fromOutputs ?? fromConfig ?? ctx.grafanaPassword;
}

type Check = { check: string; status: string; durationMs: number; detail?: string; error?: ErrorRecord };

/** The checks in the order the report lists them (they run side by side where nothing orders them). */
export const PREFLIGHT_CHECKS = ["pulumi", "stack-secrets", "docker-engine", "stack-file", "offline-images", "secrets-file"] as const;

export async function preflight(ctx: Ctx, open: () => Promise<Opened>): Promise<void> {
  const t0 = Date.now();
  const done: Partial<Record<(typeof PREFLIGHT_CHECKS)[number], Check[]>> = {};
  const check = async (name: (typeof PREFLIGHT_CHECKS)[number], fn: () => Promise<string | ErrorRecord[] | void>) => {
    const c0 = Date.now();
    try {
      const r = await fn();
      if (Array.isArray(r) && r.length) done[name] = r.map((e) => ({ check: name, status: "failed", durationMs: Date.now() - c0, error: e }));
      else done[name] = [{ check: name, status: "success", durationMs: Date.now() - c0, ...(typeof r === "string" ? { detail: r } : {}) }];
    } catch (err) {
      done[name] = [{ check: name, status: "failed", durationMs: Date.now() - c0, error: toErrorRecord(err) }];
    }
  };
  ctx.progress.begin("preflight", "preflight: Pulumi CLI, backend, stack, Docker engine, stack file");
  // The CLI and the stack first, then the stack's secrets (both through the CLI); beside them the
  // Docker engine, the stack file (once the stack is known), the offline images and the secrets file.
  const pulumi = (async () => {
    await check("pulumi", async () => {
      const o = await open();
      ctx.stack = shortStackName(o.stack);
      if (!ctx.configFileArg) ctx.configFile = path.join(ctx.root, `Pulumi.${ctx.stack}.yaml`);
      ctx.ops = guardedOps(ctx.mode, o.ops);
      ctx.tools.pulumi = o.ops.cli.version;
      return `pulumi ${o.ops.cli.version} (${o.ops.cli.source}), backend ${o.defaults.backend.url ?? "?"} (${o.defaults.backend.source}), stack ${o.stack}`;
    });
    if (ctx.ops) {
      await check("stack-secrets", async () => {
        const s = await readStackSecrets(ctx.ops!, ctx.configFileArg);
        absorbSecrets(ctx, s);
        return `${Object.keys(s.outputs).length} outputs, ${Object.keys(s.outputSecrets).length + Object.keys(s.configSecrets).length} secret values learned for redaction`;
      });
    }
  })();
  let dockerOk = false;
  const docker = check("docker-engine", async () => {
    ctx.tools.docker = await pingDocker();
    dockerOk = true;
    return `Docker ${ctx.tools.docker}`;
  });
  const stackFile = (async () => {
    // Without --stack or --config-file the stack file is the selected stack's: known once the CLI answered.
    if (!ctx.configFileArg && !ctx.stack) await pulumi;
    await check("stack-file", async () => {
      ctx.stackInfo = readStackInfo(ctx.configFile);
      return `${path.basename(ctx.stackInfo.file)} offlineMode=${ctx.stackInfo.offlineMode}`;
    });
    await docker;
    if (dockerOk && ctx.stackInfo) {
      await check("offline-images", async () => {
        if (!ctx.stackInfo!.offlineMode) return "offlineMode is off: images are pulled by the program";
        return offlineImageFindings(dockerClient(), ctx.stackInfo!);
      });
    }
  })();
  const secretsFile = check("secrets-file", async () => {
    const c = checkSecretsFileMode(path.join(ctx.root, SECRETS_FILE));
    if (c.error) return [c.error];
    return c.exists ? `mode 0${c.mode!.toString(8)}` : "absent";
  });
  await Promise.all([pulumi, docker, stackFile, secretsFile]);
  ctx.progress.end();
  const checks = PREFLIGHT_CHECKS.flatMap((n) => done[n] ?? []);
  const errors = checks.flatMap((c) => (c.error ? [c.error] : []));
  ctx.reports.preflight = { mode: ctx.mode, stack: ctx.stack, checks };
  stage(ctx, { step: "preflight", status: errors.length ? "failed" : "success", durationMs: Date.now() - t0, errors });
}
