// What every service component shares: a pinned image, an optional retained data volume and one
// container. The constructor is thin; the container's arguments come from pure functions below
// (tested directly).
//
// Config delivery is `Container.uploads`, not host files, because:
// - it works on any Docker host, including ssh:// remote engines (the multi-host growth path),
//   with no second channel (SSH copy) for files;
// - `pulumi preview` (diagnose mode, P16) stays free of host writes;
// - the container receives exactly the rendered bytes (L8 compares their SHA-256).
// Consequence: a config change replaces the container. Container names are fixed
// (`<projectName>-<service>`), so every Container has `deleteBeforeReplace: true` (Docker
// refuses a second container with the same name).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BootstrapError } from "../contracts/errors";
import { isFleet } from "../contracts/config/hosts";
import type { ServiceName, StackConfig } from "../contracts/config/schema";
import { DEFAULT_GATEWAY_IMAGE } from "../contracts/config/schema";
import {
  COMPONENT_CLASS,
  CONTAINER_PORT,
  CONTAINER_USER,
  DEFAULT_MEMORY_MB,
  HEALTH,
  KEBAB,
  LABEL_DATA,
  LABEL_HOST,
  LABEL_RETAIN,
  LABEL_PROJECT,
  LABEL_SERVICE,
  LOG_OPTS,
} from "./defaults";
import type { RenderedFile } from "./render";
import { bindIp, containerName, dataDir, dataVolumeName, endpointUrl, networkName } from "./naming";

// Names, addresses and paths are pure (./naming): verify and the CLIs use them without loading the
// Docker provider. Re-exported for the program's own callers.
export { bindIp, containerName, dataDir, dataVolumeName, endpointUrl, networkName };

/** Data is protected against `pulumi destroy` on the prod stack (and always retained on delete). */
export function protectData(stack: string): boolean {
  return stack === "prod";
}

export function publishedPorts(cfg: StackConfig, svc: ServiceName): { internal: number; external: number; ip: string; protocol: string }[] {
  const port = cfg.ports[svc];
  return port === undefined ? [] : [{ internal: CONTAINER_PORT[svc], external: port, ip: bindIp(cfg, svc), protocol: "tcp" }];
}

export function memoryLimitMb(cfg: StackConfig, svc: ServiceName): number {
  return cfg.limits[svc] ?? DEFAULT_MEMORY_MB[svc];
}

/** `host`: a non-central host's name (docs/FLEET.md); the central host's containers carry no host label. */
export function containerLabels(cfg: StackConfig, svc: ServiceName, host?: string): { label: string; value: string }[] {
  return [
    { label: LABEL_PROJECT, value: cfg.projectName },
    { label: LABEL_SERVICE, value: svc },
    ...(host !== undefined ? [{ label: LABEL_HOST, value: host }] : []),
  ];
}

export function volumeLabels(cfg: StackConfig, svc: ServiceName, host?: string): { label: string; value: string }[] {
  return [
    { label: LABEL_DATA, value: "true" },
    ...(host !== undefined ? [{ label: LABEL_HOST, value: host }] : []),
    { label: LABEL_PROJECT, value: cfg.projectName },
    // Every data volume is created with retainOnDelete: true (ServiceComponent below).
    { label: LABEL_RETAIN, value: "true" },
    { label: LABEL_SERVICE, value: svc },
  ];
}

export interface Mount {
  containerPath: string;
  hostPath?: string;
  volumeName?: pulumi.Input<string>;
  readOnly: boolean;
}

export interface SecretFile {
  path: string;
  content: pulumi.Output<string>;
}

/** Per-service facts a component supplies (pure data; built by the *Spec functions in services.ts). */
export interface ServiceSpec {
  service: ServiceName;
  command: string[];
  envs: string[];
  /** Healthcheck test in Docker's exec form (["CMD", ...]), using what the real image contains. */
  healthTest: string[];
  /** Host mounts (read-only unless stated) besides the data volume. */
  mounts: Mount[];
  /** Where the data volume is mounted, if the service keeps data. */
  dataPath?: string;
  privileged?: boolean;
  /** Named exceptions to hardening rules, recorded as one container label for reviewers. */
  exceptions?: string[];
}

/**
 * Upload entries: non-secret files world-readable, never executable; secret files 0440 root:root,
 * readable only by root and group 0. The services that read secrets run with group 0 (Grafana:
 * 472:0, as the official image's grafana user). No upload sets `owner`/`group`: the provider then
 * asks the engine to chown to the container's user (copyUIDGID), which Docker 20.10 resolves with
 * getent and refuses for a numeric "uid:gid" user ("getent unable to find entry"), and which needs
 * a passwd file in the image.
 */
export function uploadsFor(files: RenderedFile[], secrets: SecretFile[] = []): docker.types.input.ContainerUpload[] {
  return [
    ...files.map((f) => ({ file: f.path, content: f.content, permissions: "0444", executable: false })),
    ...secrets.map((s) => ({ file: s.path, content: s.content, permissions: "0440", executable: false })),
  ];
}

/** What one container is made of, whatever it runs (a service of any host, the gateway). */
export interface ContainerParts {
  name: string;
  imageId: pulumi.Input<string>;
  command: string[];
  envs: string[];
  labels: { label: string; value: string }[];
  memoryMb: number;
  network: pulumi.Input<string>;
  /** Its name on the network (kebab service name). */
  alias: string;
  ports: { internal: number; external: number; ip: string; protocol: string }[];
  volumes: docker.types.input.ContainerVolume[];
  uploads: docker.types.input.ContainerUpload[];
  healthTest: string[];
  startPeriod: string;
  user?: string;
  privileged?: boolean;
}

/** The conventions every container of the stack follows (README "Containers"), around its own parts. */
export function conventionalContainerArgs(p: ContainerParts): docker.ContainerArgs {
  const args: docker.ContainerArgs = {
    name: p.name,
    image: p.imageId,
    command: p.command,
    envs: p.envs,
    labels: p.labels,
    restart: "unless-stopped",
    logDriver: "json-file",
    logOpts: { ...LOG_OPTS },
    memory: p.memoryMb,
    // Swap limit = memory limit: the limit is a hard limit (no swap on top), and `pulumi up` stays a
    // no-op. Left unset, Docker stores MemorySwap = 2 x Memory; the provider (terraform-provider-docker
    // v4.x, whose `memory_swap` is Optional, not Computed) reads that back and plans an in-place update
    // on every `up` (P6). Docker keeps an explicit value as given on hosts with swap accounting
    // (cgroup v2, or v1 with memsw); without it Docker discards it (-1) and warns "No swap limit support".
    memorySwap: p.memoryMb,
    networksAdvanced: [{ name: p.network, aliases: [p.alias] }],
    ports: p.ports,
    volumes: p.volumes,
    uploads: p.uploads,
    healthcheck: {
      tests: p.healthTest,
      interval: HEALTH.interval,
      timeout: HEALTH.timeout,
      retries: HEALTH.retries,
      startPeriod: p.startPeriod,
    },
    // `pulumi up` succeeds only once the container reports healthy.
    wait: true,
    waitTimeout: HEALTH.waitTimeout,
    mustRun: true,
  };
  if (p.user !== undefined) args.user = p.user;
  if (p.privileged) args.privileged = true;
  return args;
}

/**
 * Everything of docker.ContainerArgs that does not depend on other resources' outputs. `host`: a
 * non-central host's agent (docs/FLEET.md), labelled with the host's name and publishing no port
 * (its Alloy pushes; nothing reaches into the host).
 */
export function containerArgs(
  cfg: StackConfig,
  spec: ServiceSpec,
  files: RenderedFile[],
  refs: { imageId: pulumi.Input<string>; network: pulumi.Input<string>; dataVolume?: pulumi.Input<string>; secrets?: SecretFile[]; host?: string },
): docker.ContainerArgs {
  const svc = spec.service;
  const volumes: docker.types.input.ContainerVolume[] = spec.mounts.map((m) => ({
    containerPath: m.containerPath,
    ...(m.hostPath !== undefined ? { hostPath: m.hostPath } : {}),
    ...(m.volumeName !== undefined ? { volumeName: m.volumeName } : {}),
    readOnly: m.readOnly,
  }));
  if (spec.dataPath && refs.dataVolume !== undefined) volumes.push({ volumeName: refs.dataVolume, containerPath: spec.dataPath, readOnly: false });
  const labels = containerLabels(cfg, svc, refs.host);
  if (spec.exceptions?.length) labels.push({ label: "logging-bootstrap.exception", value: spec.exceptions.join("; ") });
  return conventionalContainerArgs({
    name: containerName(cfg, svc),
    imageId: refs.imageId,
    command: spec.command,
    envs: spec.envs,
    labels,
    memoryMb: memoryLimitMb(cfg, svc),
    network: refs.network,
    alias: KEBAB[svc],
    ports: refs.host !== undefined ? [] : publishedPorts(cfg, svc),
    volumes,
    uploads: uploadsFor(files, refs.secrets),
    healthTest: spec.healthTest,
    startPeriod: HEALTH.startPeriod[svc] ?? HEALTH.startPeriod.default,
    user: CONTAINER_USER[svc],
    privileged: spec.privileged,
  });
}

/**
 * The pinned image. RemoteImage inspects the local engine first and pulls only when the reference is
 * absent (the provider's findImage). In offlineMode nothing may be pulled, so the program checks
 * every image with `assertImagesPresent` (docker.getRemoteImage: a data source that only inspects
 * the local engine and never pulls) before any resource is declared; a missing image stops the
 * program with E_DEPS_IMAGE_MISSING_OFFLINE, and a present one is found locally by RemoteImage.
 * `keepLocally` keeps the image when the resource is deleted (offline hosts need it again).
 */
export function pinnedImage(name: string, cfg: StackConfig, svc: ServiceName, parent: pulumi.Resource): docker.RemoteImage {
  return pinnedRemoteImage(`${name}-image`, cfg.images[svc], parent);
}

/** A pinned image by its resource name (the gateway's, a non-central host's agents'): kept on delete. */
export function pinnedRemoteImage(resourceName: string, ref: string, parent: pulumi.Resource): docker.RemoteImage {
  return new docker.RemoteImage(resourceName, { name: ref, keepLocally: true }, { parent });
}

/**
 * offlineMode: every pinned image the central host runs must already be on its Docker engine (a
 * fleet's gateway image too). Lists all missing ones. The other hosts' engines are not asked here:
 * their images are checked by the pull their RemoteImage makes there.
 */
export async function assertImagesPresent(cfg: StackConfig): Promise<void> {
  const refs: [string, string][] = (Object.keys(cfg.images) as ServiceName[]).map((svc) => [svc, cfg.images[svc]]);
  if (isFleet(cfg)) refs.push(["gateway", cfg.gateway?.image ?? DEFAULT_GATEWAY_IMAGE]);
  // All images at once (each read is an engine round trip), listed in the config's order.
  const found = await Promise.all(
    refs.map(async ([svc, ref]) => {
      try {
        await docker.getRemoteImage({ name: ref });
        return undefined;
      } catch (err) {
        return { service: svc, image: ref, cause: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const missing = found.filter((m): m is { service: string; image: string; cause: string } => m !== undefined);
  if (missing.length > 0) {
    throw new BootstrapError(
      "E_DEPS_IMAGE_MISSING_OFFLINE",
      `offlineMode is on and ${missing.length} pinned image(s) are not on the Docker host: ${missing.map((m) => `${m.image} (${m.service})`).join(", ")}`,
      {
        action: "Load them first (`npm run -s images:import -- <bundle>` with a bundle from images:export on a connected host, or `docker load`); nothing is pulled in offline mode.",
        details: { missing },
      },
    );
  }
}

export interface ServiceArgs {
  config: StackConfig;
  network: docker.Network;
  /** Resources the container must wait for (host directories prepared by local.Command). */
  hostPrep?: pulumi.Resource[];
  /**
   * A non-central host's agent (components/fleet.ts): its name labels the container and the volume,
   * no port is published, and the image resource takes the container's name (`<project>-X-alloy`,
   * HOST_DERIVED_NAME_SUFFIXES). `config` is then the host's view (fleet.ts hostConfig).
   */
  host?: string;
}

/** What the base component needs beyond ServiceArgs: which service, its container facts, its files. */
export interface ServiceComponentArgs extends ServiceArgs {
  service: ServiceName;
  spec: ServiceSpec;
  /** Non-secret rendered files the container receives. */
  files: RenderedFile[];
  /** Secret files (uploaded 0440; their content only ever a secret Output). */
  secrets?: SecretFile[];
}

/** Base of the seven service components (type token logging-bootstrap:services:<Class>). */
export class ServiceComponent extends pulumi.ComponentResource {
  readonly service: ServiceName;
  readonly config: StackConfig;
  readonly containerName: string;
  readonly imageRef: string;
  readonly image: docker.RemoteImage;
  readonly dataVolume?: docker.Volume;
  readonly container: docker.Container;
  /** Non-secret files the container receives (path, content, sha256). */
  readonly files: RenderedFile[];
  /** Every upload of the container, exactly as declared (secret contents are secret Outputs): L8's desired state. */
  readonly uploads: docker.types.input.ContainerUpload[];
  readonly spec: ServiceSpec;

  /**
   * Children are named from `name` (`<name>-image`, `<name>-data`, the container `<name>`); the
   * stack passes the container name (`<projectName>-<service>`), so the Docker names and the
   * resource names are the same.
   */
  constructor(name: string, args: ServiceComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    const svc = args.service;
    super(`logging-bootstrap:services:${COMPONENT_CLASS[svc]}`, name, {}, opts);
    const cfg = args.config;
    const spec = args.spec;
    const files = args.files;
    this.service = svc;
    this.config = cfg;
    this.spec = spec;
    this.files = files;
    this.containerName = containerName(cfg, svc);
    this.imageRef = cfg.images[svc];
    this.image = args.host !== undefined ? pinnedRemoteImage(name, cfg.images[svc], this) : pinnedImage(name, cfg, svc, this);
    if (spec.dataPath) {
      this.dataVolume = new docker.Volume(
        `${name}-data`,
        dataVolumeArgs(cfg, svc, args.host),
        // Data survives `pulumi destroy` and replacement: never deleted by default.
        { parent: this, retainOnDelete: true, protect: protectData(pulumi.getStack()) },
      );
    }
    const cargs = containerArgs(cfg, spec, files, {
      imageId: this.image.imageId,
      network: args.network.name,
      dataVolume: this.dataVolume?.name,
      secrets: args.secrets ?? [],
      ...(args.host !== undefined ? { host: args.host } : {}),
    });
    this.uploads = cargs.uploads as docker.types.input.ContainerUpload[];
    this.container = new docker.Container(name, cargs, { parent: this, deleteBeforeReplace: true, dependsOn: [...(args.hostPrep ?? [])] });
    this.registerOutputs({ containerName: this.containerName, imageId: this.image.imageId });
  }
}

/** Docker-managed volume, or (paths.dataRoot set) a local volume bound to <dataRoot>/<service>. */
export function dataVolumeArgs(cfg: StackConfig, svc: ServiceName, host?: string): docker.VolumeArgs {
  const args: docker.VolumeArgs = { name: dataVolumeName(cfg, svc), driver: "local", labels: volumeLabels(cfg, svc, host) };
  if (cfg.paths.dataRoot) {
    args.driverOpts = { type: "none", o: "bind", device: dataDir(cfg, svc)! };
  }
  return args;
}
