import * as docker from "@pulumi/docker";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { msg } from "../lib/report";
import { asArray, displayName, hostMountsOf, isObject, labelsOf, serviceOf, str, unwrap } from "../lib/resources";

export interface HardenedConfig {
  /** Services (the logging-bootstrap.service label) allowed to run privileged. */
  privilegedServices: string[];
  /** Accepted restart policies. */
  restartPolicies: string[];
  /** Largest accepted json-file/local `max-size`, in MiB. */
  maxLogSizeMb: number;
  /** Largest accepted memory limit, in MiB (0 = no upper bound; a limit is always required). */
  maxMemoryMb: number;
  /** Services allowed to hold the Docker socket, each only with its risk recorded in its exception label. */
  socketServices: string[];
}

export const HARDENED_DEFAULTS: HardenedConfig = {
  privilegedServices: ["cadvisor"],
  restartPolicies: ["unless-stopped", "always", "on-failure"],
  maxLogSizeMb: 100,
  maxMemoryMb: 0,
  socketServices: ["alloy", "cadvisor"],
};

/** The container label where a service records the hardening rule it breaks and why. */
export const EXCEPTION_LABEL = "logging-bootstrap.exception";
/** What an exception label must say about the Docker socket: no restriction is claimed that does not exist. */
export const SOCKET_RISK = /docker socket/i;
export const SOCKET_NO_RESTRICTION = /full control/i;

/** Docker log-opt sizes: `10m`, `100k`, `1g`, plain bytes. MiB, or undefined if it does not parse. */
export function logSizeMb(v: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  return unit === "g" ? n * 1024 : unit === "m" ? n : unit === "k" ? n / 1024 : n / (1024 * 1024);
}

function logOpts(props: Record<string, unknown>): Record<string, string> {
  const raw = unwrap(props.logOpts);
  const out: Record<string, string> = {};
  if (isObject(raw)) for (const [k, v] of Object.entries(raw)) out[k] = String(unwrap(v));
  return out;
}

const isDockerSocket = (p: string | undefined) => p !== undefined && /(^|\/)docker\.sock$/.test(p);
/** Where the Docker daemon puts its socket (/var/run is a symlink to /run on current distributions). */
const SOCKET_PATHS = ["/var/run/docker.sock", "/run/docker.sock"];
/** A host directory that contains the daemon's socket (`/`, `/var/run`, `/run`): mounting it exposes the socket too. */
const containsDockerSocket = (dir: string) => {
  const d = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  return SOCKET_PATHS.some((s) => d === "/" || s.startsWith(`${d}/`));
};

/** Every hardening problem of one container, as messages. */
export function hardeningProblems(props: Record<string, unknown>, name: string, cfg: HardenedConfig): string[] {
  const out: string[] = [];
  const who = displayName(props, name);
  const service = serviceOf(props);

  const restart = str(props.restart);
  if (restart === undefined || !cfg.restartPolicies.includes(restart)) {
    out.push(msg(`${who} has restart policy ${JSON.stringify(restart ?? "no")}, so it stays down after a crash or a host reboot.`, `set restart to one of ${cfg.restartPolicies.join(", ")}`));
  }

  const hc = unwrap(props.healthcheck);
  const tests = isObject(hc) ? asArray(hc.tests).map((t) => str(t)) : [];
  if (tests.length === 0 || tests[0] === "NONE") {
    out.push(msg(`${who} has no healthcheck, so Docker cannot tell a hung service from a healthy one.`, "declare healthcheck.tests with the service's readiness probe from contracts/health_contract.json"));
  }

  const driver = str(props.logDriver) ?? "json-file";
  const opts = logOpts(props);
  if (driver === "json-file" || driver === "local") {
    const size = opts["max-size"];
    const mb = size === undefined ? undefined : logSizeMb(size);
    // The local driver rotates by default (20 MiB x 5); json-file grows forever without max-size.
    if (driver === "json-file" && (size === undefined || opts["max-file"] === undefined)) {
      out.push(msg(`${who} logs with json-file without rotation (max-size and max-file not both set), so its log grows until the disk is full.`, 'set logOpts {"max-size": "10m", "max-file": "3"}'));
    } else if (size !== undefined && (mb === undefined || mb > cfg.maxLogSizeMb)) {
      out.push(msg(`${who} rotates logs at max-size ${JSON.stringify(size)}, above ${cfg.maxLogSizeMb} MiB.`, `set logOpts max-size to at most ${cfg.maxLogSizeMb}m`));
    }
  }

  const memory = unwrap(props.memory);
  if (typeof memory !== "number" || !(memory > 0)) {
    out.push(msg(`${who} has no memory limit, so one runaway service can starve the host.`, "set limits.<service> in Pulumi.<stack>.yaml (MiB) or rely on components/defaults.ts"));
  } else if (cfg.maxMemoryMb > 0 && memory > cfg.maxMemoryMb) {
    out.push(msg(`${who} has a memory limit of ${memory} MiB, above this policy's maxMemoryMb ${cfg.maxMemoryMb}.`, `lower limits.<service> to at most ${cfg.maxMemoryMb}`));
  }

  if (unwrap(props.privileged) === true && !(service !== undefined && cfg.privilegedServices.includes(service))) {
    out.push(msg(`${who} (service ${service ?? "unlabelled"}) runs privileged, which gives it root on the host.`, `drop privileged, or add the service to this policy's privilegedServices (default: ${HARDENED_DEFAULTS.privilegedServices.join(", ")})`));
  }

  // A read-only bind mount does not restrict the Docker API: connecting to a Unix socket is not a
  // write to its file system, and the API then grants control of every container (root on the host).
  const exception = labelsOf(props)[EXCEPTION_LABEL] ?? "";
  // A non-root user cannot connect to the daemon's socket (root:docker, 0660) inside a read-only
  // host directory it was given for other files (node-exporter's `/`); an explicit socket mount is
  // judged whatever the user.
  const user = str(props.user);
  const nonRoot = user !== undefined && !/^(0|root)(:|$)/.test(user);
  for (const m of hostMountsOf(props)) {
    const explicit = isDockerSocket(m.hostPath) || isDockerSocket(m.containerPath);
    if (!explicit && !(containsDockerSocket(m.hostPath) && !(nonRoot && m.readOnly))) continue;
    const how = m.readOnly ? "read-only, which does not restrict the Docker API" : "read-write";
    if (service === undefined || !cfg.socketServices.includes(service)) {
      out.push(msg(`${who} (service ${service ?? "unlabelled"}) mounts the Docker socket (${m.where} ${m.hostPath}) ${how}: whoever runs in it controls every container and the host.`, `remove the mount, or add the service to this policy's socketServices (default: ${HARDENED_DEFAULTS.socketServices.join(", ")}) and record the risk in its ${EXCEPTION_LABEL} label`));
    } else if (!SOCKET_RISK.test(exception) || !SOCKET_NO_RESTRICTION.test(exception)) {
      out.push(msg(`${who} mounts the Docker socket (${m.where} ${m.hostPath}) ${how}, and its ${EXCEPTION_LABEL} label does not record that risk (${JSON.stringify(exception)}).`, `state in the ${EXCEPTION_LABEL} label that the Docker socket gives full control of the engine`));
    }
  }
  return out;
}

export const containersHardened: ResourceValidationPolicy = {
  name: "containers-hardened",
  description: "Every container has a restart policy, a healthcheck, rotated logs and a memory limit, runs privileged only if its service is allowlisted (cAdvisor by default), and holds the Docker socket only if its service is allowlisted (Alloy, cAdvisor) with the risk recorded in its exception label: a read-only mount does not restrict the Docker API.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      privilegedServices: { type: "array", items: { type: "string" }, default: HARDENED_DEFAULTS.privilegedServices },
      restartPolicies: { type: "array", items: { type: "string" }, default: HARDENED_DEFAULTS.restartPolicies },
      maxLogSizeMb: { type: "number", default: HARDENED_DEFAULTS.maxLogSizeMb, minimum: 1 },
      maxMemoryMb: { type: "number", default: 0, minimum: 0 },
      socketServices: { type: "array", items: { type: "string" }, default: HARDENED_DEFAULTS.socketServices },
    },
  },
  validateResource: validateResourceOfType(docker.Container, (c, args, report) => {
    const cfg = { ...HARDENED_DEFAULTS, ...args.getConfig<Partial<HardenedConfig>>() };
    for (const m of hardeningProblems(c, args.name, cfg)) report(m);
  }),
};
