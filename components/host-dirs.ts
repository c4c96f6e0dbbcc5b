// The host directories containers mount, created before they start (Docker would otherwise create
// them root-owned). One script for every host: on the central host `command.local.Command` runs it
// where Pulumi runs (stack.ts); on every other host a run-once container on THAT host's engine runs
// it over the host's root bind-mounted at HOST_ROOT_MOUNT (HostDirs below), so no command on the
// machine running Pulumi touches another host's disk (docs/FLEET.md).
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../contracts/config/schema";
import { SERVICES } from "../contracts/config/schema";
import type { HostPaths } from "../contracts/config/hosts";
import { LABEL_PROJECT } from "../contracts/plan";
import { DATA_OWNER, DATA_PATH } from "./defaults";
import { dataDir } from "./naming";
import type { RunOnceRequest } from "./verify/engine";

/** POSIX single-quote a word for /bin/sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A directory to create; with `owner` (uid:gid) it is chowned for `service`'s container user. */
export interface HostDir {
  dir: string;
  owner?: string;
  service?: string;
}

/** The central host's directories: logsRoot, telemetryRoot and, with paths.dataRoot, each service's data directory. */
export function centralHostDirs(cfg: StackConfig): HostDir[] {
  const out: HostDir[] = [{ dir: cfg.paths.logsRoot }, { dir: cfg.paths.telemetryRoot }];
  for (const svc of SERVICES) {
    const dir = dataDir(cfg, svc);
    const owner = DATA_OWNER[svc];
    if (!dir || !DATA_PATH[svc] || !owner) continue;
    out.push({ dir, owner, service: svc });
  }
  return out;
}

/**
 * A non-central host's directories: its logsRoot and telemetryRoot (hostPaths). Its Alloy keeps its
 * positions in a Docker-managed volume (paths.dataRoot is the central host's), so nothing is chowned.
 */
export function remoteHostDirs(paths: Pick<HostPaths, "logsRoot" | "telemetryRoot">): HostDir[] {
  return [{ dir: paths.logsRoot }, { dir: paths.telemetryRoot }];
}

/**
 * The script that creates `dirs`. Create only: deleting the stack never removes logs or data. Data
 * directories get the owner of the service's container user; when chown is not permitted (non-root
 * operator) a warning is printed and the operator must fix ownership.
 *
 * The script runs as root and the roots may sit in directories others can write, so a symbolic link
 * anywhere on a directory's path is refused (E_RUNTIME_PATH_SYMLINK, exit 3), never followed: each
 * directory is entered one component at a time from `/`, every component checked before and after
 * it is created and entered (`cd -P` then `pwd -P` must name the path built so far), and `chown -h`
 * changes the directory the shell is in (`.`), not whatever the path names by then.
 *
 * `root`: where the host's `/` is seen (a run-once container's bind mount of another host's root);
 * the walk starts there and every check is made under it, while messages name the host's paths.
 * Without it the script is the central host's, unchanged since v2.
 */
export function hostDirsScriptFor(dirs: readonly HostDir[], root?: string): string {
  if (root !== undefined && !/^\/[^/]/.test(root)) throw new Error(`the host root must be an absolute directory other than /: ${JSON.stringify(root)}`);
  const base = root === undefined ? undefined : root.replace(/\/+$/, "");
  const lines = [
    "set -euf",
    `no_link() { printf 'E_RUNTIME_PATH_SYMLINK: %s is a symbolic link (or changed while it was entered); host directories are never created or chowned through one: set paths.* to the real directory\\n' "$1" >&2; exit 3; }`,
    // host_dir <dir> [<owner> <service>]: a subshell, so cd and IFS stay inside it.
    "host_dir() (",
    base === undefined ? "  cd /" : `  cd -P -- ${shellQuote(base)}`,
    "  at=''",
    "  IFS=/",
    '  for part in ${1#/}; do',
    '    [ -n "$part" ] || continue',
    '    at="$at/$part"',
    '    [ ! -L "./$part" ] || no_link "$at"',
    '    [ -d "./$part" ] || mkdir -- "./$part"',
    '    [ ! -L "./$part" ] || no_link "$at"',
    '    cd -P -- "./$part"',
    base === undefined ? '    [ "$(pwd -P)" = "$at" ] || no_link "$at"' : `    [ "$(pwd -P)" = ${shellQuote(base)}"$at" ] || no_link "$at"`,
    "  done",
    // Every value reaches the warning through printf's arguments, never its format.
    `  [ -z "\${2-}" ] || chown -h -- "$2" . 2>/dev/null || printf 'warning: could not chown %s %s; the %s container may not write its data\\n' "$2" "$1" "$3" >&2`,
    ")",
  ];
  // Every value is a quoted word: a path is data to the shell, whatever characters it holds.
  for (const d of dirs) lines.push(d.owner !== undefined ? `host_dir ${shellQuote(d.dir)} ${shellQuote(d.owner)} ${shellQuote(d.service ?? "")}` : `host_dir ${shellQuote(d.dir)}`);
  return lines.join("\n") + "\n";
}

/** The central host's script (local.Command `<project>-host-dirs`). */
export function hostDirsScript(cfg: StackConfig): string {
  return hostDirsScriptFor(centralHostDirs(cfg));
}

/** Where the run-once container sees the host's `/` (read-write: it creates directories anywhere the config says). */
export const HOST_ROOT_MOUNT = "/host";

/** How long the run-once container may take (mkdir on a handful of paths). */
export const HOST_DIRS_TIMEOUT_MS = 60_000;

/**
 * The run-once container that creates a host's directories on its engine: the image's BusyBox `sh`
 * (the host's node-exporter image) as root, no network, the host's `/` at HOST_ROOT_MOUNT, removed
 * whatever happens (engine.ts runOnce).
 */
export function hostDirsRunRequest(o: { projectName: string; host: string; image: string; script: string; name: string }): RunOnceRequest {
  return {
    image: o.image,
    entrypoint: ["/bin/sh"],
    cmd: ["-c", o.script],
    env: {},
    mounts: [{ source: "/", target: HOST_ROOT_MOUNT, readOnly: false }],
    user: "0:0",
    name: o.name,
    labels: { [LABEL_PROJECT]: o.projectName, "logging-bootstrap.probe": "true", "logging-bootstrap.host": o.host },
    timeoutMs: HOST_DIRS_TIMEOUT_MS,
  };
}

/** The provider of HostDirs: an object literal whose methods load ./host-dirs-runtime.ts at call time (providers.ts says why). */
export function hostDirsProvider(): pulumi.dynamic.ResourceProvider {
  const provider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
      return (await this.load()).hostDirsCheck(news);
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      return (await this.load()).hostDirsDiff(olds, news);
    },
    async create(inputs: Record<string, unknown>) {
      return (await this.load()).hostDirsCreate(inputs);
    },
    async read(id: string, props?: Record<string, unknown>) {
      // Create only: nothing to read back (the directories are the host's, and never removed).
      return { id, props: props ?? {} };
    },
    async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>) {
      return { outs: (await (await this.load()).hostDirsCreate(news)).outs };
    },
    async delete() {
      // Logs are never deleted with the stack.
    },
    async load() {
      const path = await import("path");
      const root = process.env.LOGGING_BOOTSTRAP_ROOT || process.cwd();
      const file = path.join(root, "components", "host-dirs-runtime.ts");
      const exts = (require as unknown as { extensions?: Record<string, unknown> }).extensions;
      if (!exts || !exts[".ts"]) {
        const tsx = await import("tsx/cjs/api");
        tsx.register();
      }
      return require(file) as typeof import("./host-dirs-runtime");
    },
  };
  return provider;
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** What HostDirs runs: the script for one host, on its engine (TLS leaves as secret inputs, never in outputs). */
export interface HostDirsArgs {
  projectName: string;
  host: string;
  dockerUrl: string;
  /** An image on that host with BusyBox sh (its node-exporter's RemoteImage imageId). */
  image: string;
  script: string;
  engineCaPem?: string;
  engineCertPem?: string;
  engineKeyPem?: string;
}

/** `pulumi-nodejs:dynamic/logging-bootstrap:HostDirs`: a non-central host's directories, created through its engine. */
export class HostDirs extends pulumi.dynamic.Resource {
  declare readonly script: pulumi.Output<string>;

  constructor(name: string, args: Inputs<HostDirsArgs>, opts?: pulumi.CustomResourceOptions) {
    super(hostDirsProvider(), name, { ...args }, opts, "logging-bootstrap", "HostDirs");
  }
}
