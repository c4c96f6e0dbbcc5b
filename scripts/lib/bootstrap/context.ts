// What one bootstrap run carries from step to step.
import type { Bundle } from "../bundle";
import type { StackInfo } from "../docker-images";
import type { StageRecord } from "../events";
import type { RunMode } from "../pulumi-cli";

export interface Ctx {
  mode: RunMode;
  stack: string;
  root: string;
  /** The stack's config file (Pulumi.<stack>.yaml unless --config-file). */
  configFile: string;
  /** --config-file as given (passed on to pulumi); undefined for Pulumi.<stack>.yaml. */
  configFileArg?: string;
  stages: StageRecord[];
  logs: Record<string, string>;
  reports: Record<string, unknown>;
  interrupted?: NodeJS.Signals;
  stackInfo?: StackInfo;
  exitCode: number;
  tools: Record<string, string | null>;
  /** Run-level warnings (e.g. a recovered stale lock): BootstrapPlanned.warnings and the preflight report. */
  warnings: string[];
  /** Grafana's admin password from the stack (secret output or secret config), for verify's env only. */
  grafanaPassword?: string;
  /** The stack's outputs as last read (what is deployed): the snapshot step compares images with them. */
  outputs?: Record<string, unknown>;
  bundle: Bundle;
  outDir: string;
  /** --run (rollback). */
  upgradeRun?: string;
}
