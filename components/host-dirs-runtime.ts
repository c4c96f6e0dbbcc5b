// What HostDirs' provider does when the engine calls it (host-dirs.ts loads this module lazily, so
// the serialized provider captures no module and no client). Create and update run the script in a
// run-once container on the host's engine; there is nothing to read back and nothing to delete.
import * as crypto from "crypto";
import { BootstrapError } from "../contracts/errors";
import { hostDirsRunRequest } from "./host-dirs";
import { makeIo } from "./verify/io";
import { engineFromProps, HOST_ENGINE_SECRET_KEYS } from "./verify/host-spec";
import type { ProbeResult } from "./verify/types";

type Props = Record<string, unknown>;

const REQUIRED = ["projectName", "host", "dockerUrl", "image", "script"] as const;
/** What decides the directories: a change runs the script again (create only: mkdir of what is missing). */
const DESIRED = ["projectName", "host", "dockerUrl", "script"] as const;

export function hostDirsCheck(news: Props): { inputs: Props; failures: { property: string; reason: string }[] } {
  const failures = REQUIRED.filter((k) => typeof news[k] !== "string" || news[k] === "").map((k) => ({ property: k, reason: `HostDirs needs ${k}` }));
  return { inputs: news, failures };
}

export function hostDirsDiff(olds: Props, news: Props): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  return { changes: DESIRED.some((k) => olds[k] !== news[k]), replaces: [], deleteBeforeReplace: false };
}

/** The outputs: the inputs without the engine's TLS leaves. */
export function hostDirsOutputs(props: Props): Props {
  return Object.fromEntries(Object.entries(props).filter(([k]) => k !== "__provider" && !(HOST_ENGINE_SECRET_KEYS as readonly string[]).includes(k)));
}

/** A run's result as the error `pulumi up` shows, or undefined when it succeeded. */
export function hostDirsFailure(host: string, dockerUrl: string, r: ProbeResult): BootstrapError | undefined {
  if (r.exitCode === 0 && !r.timedOut) return undefined;
  const first = r.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
  if (r.exitCode === 3) return new BootstrapError("E_RUNTIME_PATH_SYMLINK", `${host}: ${first.replace(/^E_RUNTIME_PATH_SYMLINK:\s*/, "")}`);
  const why = r.timedOut ? "did not finish within its bound" : `exited ${r.exitCode}${first ? `: ${first}` : ""}`;
  return new BootstrapError("E_RUNTIME_DEPLOY_FAILED", `${host}: creating its host directories through its Docker engine ${dockerUrl} ${why}`);
}

/** Errors that mean the host's engine was not reached (not dialled, refused, or silent within the bound). */
const UNREACHED = ["E_ENV_DOCKER_UNREACHABLE", "E_NETWORK_TIMEOUT", "E_PROOF_HOST_UNREACHABLE"];

/** A run that did not happen, as the error `pulumi up` shows: naming the host and its engine. */
export function hostDirsRunError(host: string, dockerUrl: string, e: unknown): BootstrapError {
  const reason = String((e as Error)?.message ?? e).split("\n")[0];
  if (e instanceof BootstrapError && !UNREACHED.includes(e.code)) return e;
  if (e instanceof BootstrapError) return new BootstrapError("E_ENV_DOCKER_UNREACHABLE", `${host}: its Docker engine at ${dockerUrl} was not reached to create its host directories (${reason})`);
  return new BootstrapError("E_RUNTIME_DEPLOY_FAILED", `${host}: its Docker engine at ${dockerUrl} refused the container that creates its host directories (${reason})`);
}

export async function hostDirsCreate(inputs: Props): Promise<{ id: string; outs: Props }> {
  const [host, dockerUrl, image, script, projectName] = ["host", "dockerUrl", "image", "script", "projectName"].map((k) => String(inputs[k] ?? ""));
  let r: ProbeResult;
  try {
    const io = await makeIo({ docker: engineFromProps(inputs) });
    try {
      r = await io.docker.runOnce(hostDirsRunRequest({ projectName, host, image, script, name: `${projectName}-host-dirs-${io.randomHex(6)}` }));
    } finally {
      await io.docker.closeProbes();
    }
  } catch (e) {
    throw hostDirsRunError(host, dockerUrl, e);
  }
  const failure = hostDirsFailure(host, dockerUrl, r);
  if (failure) throw failure;
  const id = `host-dirs-${host}-${crypto.createHash("sha256").update(`${dockerUrl}\n${script}`).digest("hex").slice(0, 16)}`;
  return { id, outs: hostDirsOutputs(inputs) };
}
