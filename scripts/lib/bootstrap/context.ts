// What one bootstrap run carries from step to step.
import type { Bundle } from "../bundle";
import type { StackInfo } from "../docker-images";
import type { LiveEvents, StageRecord } from "../events";
import type { Progress } from "../progress";
import type { StackOps } from "../pulumi/stack-ops";
import type { ProofTrack } from "../pulumi/proof-events";
import type { RunMode } from "./plan";

export interface Ctx {
  mode: RunMode;
  stack: string;
  root: string;
  /** The stack's config file (Pulumi.<stack>.yaml unless --config-file). */
  configFile: string;
  /** --config-file as given (passed on to every operation); undefined for Pulumi.<stack>.yaml. */
  configFileArg?: string;
  stages: StageRecord[];
  logs: Record<string, string>;
  reports: Record<string, unknown>;
  interrupted?: NodeJS.Signals;
  /** Aborts the Pulumi operation in flight (the CLI gets SIGINT: a graceful cancel). */
  abort: AbortController;
  stackInfo?: StackInfo;
  tools: Record<string, string | null>;
  /** Run-level warnings (e.g. a recovered stale lock): BootstrapPlanned.warnings and the preflight report. */
  warnings: string[];
  /** Grafana's admin password from the stack (secret output or secret config), for verify's env only. */
  grafanaPassword?: string;
  /** The stack's outputs as last read, secrets as "[secret]" (what is deployed): the snapshot step compares images with them. */
  outputs?: Record<string, unknown>;
  /** The Pulumi operations (undefined when the CLI, backend, passphrase or stack is not usable). */
  ops?: StackOps;
  /** The stack's outputs as read after the last Pulumi operation (verify's inputs), for the evidence to reuse. */
  lastOutputs?: import("@pulumi/pulumi/automation").OutputMap;
  /** The proof resources this run's `up` ran, with the verdicts their outputs carry (verify-step.ts). */
  proofs?: ProofTrack;
  /** The state exported by the checkpoint step (destroy reads what it keeps from it). */
  state?: { resources?: Array<Record<string, unknown>> };
  bundle: Bundle;
  outDir: string;
  progress: Progress;
  live?: LiveEvents;
  /** --run (rollback, restore). */
  runArg?: string;
  /** destroy --delete-data, confirmed with --confirm <stack>. */
  deleteData: boolean;
}
