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
import type { ServiceName, StackConfig } from "../contracts/config/schema";
import {
  COMPONENT_CLASS,
  CONTAINER_PORT,
  CONTAINER_USER,
  DEFAULT_MEMORY_MB,
  HEALTH,
  KEBAB,
  LABEL_DATA,
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

export function containerLabels(cfg: StackConfig, svc: ServiceName): { label: string; value: string }[] {
  return [
    { label: LABEL_PROJECT, value: cfg.projectName },
    { label: LABEL_SERVICE, value: svc },
  ];
}

export function volumeLabels(cfg: StackConfig, svc: ServiceName): { label: string; value: string }[] {
  return [
    { label: LABEL_DATA, value: "true" },
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

/** Everything of docker.ContainerArgs that does not depend on other resources' outputs. */
export function containerArgs(
  cfg: StackConfig,
  spec: ServiceSpec,
  files: RenderedFile[],
  refs: { imageId: pulumi.Input<string>; network: pulumi.Input<string>; dataVolume?: pulumi.Input<string>; secrets?: SecretFile[] },
): docker.ContainerArgs {
  const svc = spec.service;
  const volumes: docker.types.input.ContainerVolume[] = spec.mounts.map((m) => ({
    containerPath: m.containerPath,
    ...(m.hostPath !== undefined ? { hostPath: m.hostPath } : {}),
    ...(m.volumeName !== undefined ? { volumeName: m.volumeName } : {}),
    readOnly: m.readOnly,
  }));
  if (spec.dataPath && refs.dataVolume !== undefined) volumes.push({ volumeName: refs.dataVolume, containerPath: spec.dataPath, readOnly: false });
  const labels = containerLabels(cfg, svc);
  if (spec.exceptions?.length) labels.push({ label: "logging-bootstrap.exception", value: spec.exceptions.join("; ") });
  const args: docker.ContainerArgs = {
    name: containerName(cfg, svc),
    image: refs.imageId,
    command: spec.command,
    envs: spec.envs,
    labels,
    restart: "unless-stopped",
    logDriver: "json-file",
    logOpts: { ...LOG_OPTS },
    memory: memoryLimitMb(cfg, svc),
    // Swap limit = memory limit: the limit is a hard limit (no swap on top), and `pulumi up` stays a
    // no-op. Left unset, Docker stores MemorySwap = 2 x Memory; the provider (terraform-provider-docker
    // v4.x, whose `memory_swap` is Optional, not Computed) reads that back and plans an in-place update
    // on every `up` (P6). Docker keeps an explicit value as given on hosts with swap accounting
    // (cgroup v2, or v1 with memsw); without it Docker discards it (-1) and warns "No swap limit support".
    memorySwap: memoryLimitMb(cfg, svc),
    networksAdvanced: [{ name: refs.network, aliases: [KEBAB[svc]] }],
    ports: publishedPorts(cfg, svc),
    volumes,
    uploads: uploadsFor(files, refs.secrets),
    healthcheck: {
      tests: spec.healthTest,
      interval: HEALTH.interval,
      timeout: HEALTH.timeout,
      retries: HEALTH.retries,
      startPeriod: HEALTH.startPeriod[svc] ?? HEALTH.startPeriod.default,
    },
    // `pulumi up` succeeds only once the container reports healthy.
    wait: true,
    waitTimeout: HEALTH.waitTimeout,
    mustRun: true,
  };
  const user = CONTAINER_USER[svc];
  if (user !== undefined) args.user = user;
  if (spec.privileged) args.privileged = true;
  return args;
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
  return new docker.RemoteImage(`${name}-image`, { name: cfg.images[svc], keepLocally: true }, { parent });
}

/** offlineMode: every pinned image must already be on the Docker host. Lists all missing ones. */
export async function assertImagesPresent(cfg: StackConfig): Promise<void> {
  // All images at once (each read is an engine round trip), listed in the config's order.
  const found = await Promise.all(
    (Object.keys(cfg.images) as ServiceName[]).map(async (svc) => {
      const ref = cfg.images[svc];
      try {
        await docker.getRemoteImage({ name: ref });
        return undefined;
      } catch (err) {
        return { service: svc, image: ref, cause: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const missing = found.filter((m): m is { service: ServiceName; image: string; cause: string } => m !== undefined);
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
    this.image = pinnedImage(name, cfg, svc, this);
    if (spec.dataPath) {
      this.dataVolume = new docker.Volume(
        `${name}-data`,
        dataVolumeArgs(cfg, svc),
        // Data survives `pulumi destroy` and replacement: never deleted by default.
        { parent: this, retainOnDelete: true, protect: protectData(pulumi.getStack()) },
      );
    }
    const cargs = containerArgs(cfg, spec, files, {
      imageId: this.image.imageId,
      network: args.network.name,
      dataVolume: this.dataVolume?.name,
      secrets: args.secrets ?? [],
    });
    this.uploads = cargs.uploads as docker.types.input.ContainerUpload[];
    this.container = new docker.Container(name, cargs, { parent: this, deleteBeforeReplace: true, dependsOn: [...(args.hostPrep ?? [])] });
    this.registerOutputs({ containerName: this.containerName, imageId: this.image.imageId });
  }
}

/** Docker-managed volume, or (paths.dataRoot set) a local volume bound to <dataRoot>/<service>. */
export function dataVolumeArgs(cfg: StackConfig, svc: ServiceName): docker.VolumeArgs {
  const args: docker.VolumeArgs = { name: dataVolumeName(cfg, svc), driver: "local", labels: volumeLabels(cfg, svc) };
  if (cfg.paths.dataRoot) {
    args.driverOpts = { type: "none", o: "bind", device: dataDir(cfg, svc)! };
  }
  return args;
}
