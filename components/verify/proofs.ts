// Proofs: the verification resources (L1-L9) the stack declares after its containers.
// Thin constructor: inputs come from spec.ts (pure), the work happens in the dynamic providers.
import * as pulumi from "@pulumi/pulumi";
import type { ServiceName, StackConfig } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { KEBAB } from "../defaults";
import * as random from "@pulumi/random";
import { declaredUploads, keyedHash } from "./config-dirs";
import { GATEWAY_SERVICE } from "../render/gateway";
import { hostProofSpec } from "./host-spec";
import { LEVEL_TABLE, proofSuffix } from "./levels";
import { HostProof, IngestionProof, Proof } from "./providers";
import { alertDeliverySpec, DesiredState, dashboardsSpec, driftSpec, healthSpec, levelPlan, ingestionSpec, labelsSpec, reachabilitySpec, rulesSpec } from "./spec";
import type { Level } from "./types";

/** What Proofs needs from ObservabilityStack (structural, so the stack need not import this file). */
export interface ProofsStackView {
  config: Omit<StackConfig, "grafanaAdminPassword">;
  networkName: string;
  grafanaAdminPassword: pulumi.Input<string>;
  /** The resource that makes Grafana accept that password; L5 logs in only after it. */
  grafanaAdmin?: pulumi.Resource;
  services: Record<
    ServiceName,
    {
      containerName: string;
      container: pulumi.CustomResource;
      image: { imageId: pulumi.Output<string>; repoDigest: pulumi.Output<string> };
      imageRef: string;
      files: { path: string; content: string; sha256: string }[];
      /** The container's uploads as declared (a secret's content a secret Output): L8's config directories. */
      uploads: readonly { file: pulumi.Input<string>; content?: pulumi.Input<string | undefined>; permissions?: pulumi.Input<string | undefined> }[];
    }
  >;
  /** The fleet's gateway on the central host (none in a fleet of one): L8 compares its config directory as a service's. */
  gateway?: GatewayView;
  /** The fleet's other hosts: one HostProof each, after its agents and the gateway. */
  hosts?: HostView[];
}

/** What the proofs read of the gateway (components/gateway.ts). */
export interface GatewayView {
  containerName: string;
  container: pulumi.CustomResource;
  files: { path: string; content: string; sha256: string }[];
  uploads: readonly { file: pulumi.Input<string>; content?: pulumi.Input<string | undefined>; permissions?: pulumi.Input<string | undefined> }[];
}

/** What a host proof reads of a host's agents (components/fleet.ts HostAgents). */
export interface HostView {
  name: string;
  /** Its agent containers (on its engine), by service key. */
  containers: Record<string, pulumi.CustomResource>;
  /** Its engine's TLS leaves (tcp://) as secret inputs; empty otherwise. */
  engineSecrets: Record<string, pulumi.Output<string>>;
}

/** The gateway's key in L8's inputs and in configSecretDigests (its container's service label). */
const GATEWAY_KEY = GATEWAY_SERVICE;

export interface ProofsArgs {
  stack: ProofsStackView;
}

/** Plain desired state from the stack (the probe image is filled in as an Output by the caller). */
export function desiredFromStack(s: ProofsStackView, probeImage = "<prometheus image>"): DesiredState {
  return {
    config: s.config,
    network: s.networkName,
    containers: Object.fromEntries(SERVICES.map((svc) => [svc, s.services[svc].containerName])) as Record<ServiceName, string>,
    files: Object.fromEntries(SERVICES.map((svc) => [svc, s.services[svc].files.map((f) => ({ path: f.path, sha256: f.sha256, content: f.content }))])) as DesiredState["files"],
    uploads: Object.fromEntries(SERVICES.map((svc) => [svc, declaredUploads(s.services[svc].uploads)])) as DesiredState["uploads"],
    probeImage,
    ...(s.gateway ? { gateway: { container: s.gateway.containerName, files: s.gateway.files.map((f) => ({ path: f.path, sha256: f.sha256, content: f.content })), uploads: declaredUploads(s.gateway.uploads) } } : {}),
  };
}

/**
 * service -> path -> keyed hash (config-dirs.ts keyedHash) of each secret upload, computed inside
 * Pulumi from the secret content and the drift key. Plain: without the key nothing in it can be
 * recomputed from a guessed value, so state and outputs may hold it; the key stays a secret.
 */
export function secretDigestsOf(s: Pick<ProofsStackView, "services" | "gateway">, key: pulumi.Input<string>): Record<string, Record<string, pulumi.Output<string>>> {
  const out: Record<string, Record<string, pulumi.Output<string>>> = {};
  const all: [string, ProofsStackView["services"][ServiceName]["uploads"]][] = SERVICES.map((svc) => [svc, s.services[svc].uploads]);
  if (s.gateway) all.push([GATEWAY_KEY, s.gateway.uploads]);
  for (const [svc, uploads] of all) {
    const secret = new Set(declaredUploads(uploads).filter((u) => u.secret).map((u) => u.path));
    for (const u of uploads) {
      if (typeof u.file !== "string" || !secret.has(u.file)) continue;
      (out[svc] ??= {})[u.file] = pulumi.unsecret(pulumi.all([key, u.content ?? ""]).apply(([k, c]) => keyedHash(k, c ?? "")));
    }
  }
  return out;
}

export class Proofs extends pulumi.ComponentResource {
  readonly health: Partial<Record<ServiceName, Proof>> = {};
  readonly reachability?: Proof;
  readonly ingestion?: IngestionProof;
  readonly labels?: Proof;
  readonly dashboards?: Proof;
  readonly rules?: Proof;
  readonly provenance?: Proof;
  readonly configDrift?: Proof;
  /** L8's HMAC key (a secret) and the keyed hashes of the secret uploads: what verify needs outside Pulumi. */
  readonly configDriftKey?: pulumi.Output<string>;
  readonly configSecretDigests?: Record<string, Record<string, pulumi.Output<string>>>;
  readonly alertDelivery?: Proof;
  /** One proof per non-central host of a fleet (verify.enabled), by host name. */
  readonly hosts: Record<string, HostProof> = {};
  /** level/resource -> status ("green" | "warn"); a red proof fails `pulumi up` instead. */
  readonly statuses: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ProofsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("logging-bootstrap:verify:Proofs", name, {}, opts);
    const s = args.stack;
    const p = s.config.projectName;
    const d = desiredFromStack(s);
    const plan = levelPlan(s.config);
    const levels = new Set<Level>(plan.run);
    const svc = s.services;
    const probeImage = svc.prometheus.image.imageId;
    // Container ids are inputs so a replaced container re-runs its proofs (diff sees the new id).
    const ids = (list: ServiceName[]) => Object.fromEntries(list.map((x) => [x, svc[x].container.id]));
    const opt = (deps: pulumi.Resource[]): pulumi.CustomResourceOptions => ({ parent: this, dependsOn: deps });
    const healthOf = (list: ServiceName[]) => list.map((x) => this.health[x]).filter((r): r is Proof => r !== undefined);
    const containers = (list: ServiceName[]) => list.map((x) => svc[x].container);
    // One level's proof, named `<project>-<level name in kebab case>` (L1: one per service, `-<service>`).
    const declared: Partial<Record<Level, Proof>> = {};
    const proof = (level: Level, props: Record<string, pulumi.Input<unknown>>, deps: pulumi.Resource[], service?: ServiceName) =>
      (declared[level] = new Proof(level, `${p}-${proofSuffix(level)}${service ? `-${KEBAB[service]}` : ""}`, props, opt(deps)));

    if (levels.has("L1")) {
      for (const x of SERVICES) {
        const spec = healthSpec(d, x);
        const props: Record<string, pulumi.Input<unknown>> = { ...spec, containerId: svc[x].container.id };
        if (spec.probe) props.probe = { ...spec.probe, image: probeImage };
        this.health[x] = proof("L1", props, [svc[x].container], x);
      }
    }
    // The other levels start with their containers, which are healthy by then (`wait: true`): waiting
    // for L1 as well would wait again for what the containers' wait already waited for. The order is
    // verify's (suite.ts LEVEL_AFTER): L4 after L3 (its marker), L9 after L1 (below); the rest
    // independent.
    if (levels.has("L2")) {
      const spec = reachabilitySpec(d);
      const deps: ServiceName[] = ["loki", "prometheus"];
      this.reachability = proof("L2", { ...spec, probe: { ...spec.probe, image: probeImage }, containerIds: ids(deps) }, containers(deps));
    }
    if (levels.has("L3")) {
      const deps: ServiceName[] = ["loki", "alloy"];
      this.ingestion = proof("L3", { ...ingestionSpec(d), containerIds: ids(deps) }, containers(deps)) as IngestionProof;
    }
    if (levels.has("L4")) {
      const deps: ServiceName[] = ["loki", "alloy"];
      // The labels are checked on the stream of L3's own marker (no traffic of the host needed);
      // a new marker (L3 re-proved) re-runs this proof.
      const after = this.ingestion ? [this.ingestion] : [];
      const marker = this.ingestion ? { ingestionMarker: this.ingestion.marker } : {};
      this.labels = proof("L4", { ...labelsSpec(d), ...marker, containerIds: ids(deps) }, [...containers(deps), ...after]);
    }
    if (levels.has("L5")) {
      this.dashboards = proof(
        "L5",
        { ...dashboardsSpec(d), adminPassword: pulumi.secret(s.grafanaAdminPassword), containerIds: ids(["grafana"]) },
        [svc.grafana.container, ...(s.grafanaAdmin ? [s.grafanaAdmin] : [])],
      );
    }
    if (levels.has("L6")) {
      this.rules = proof("L6", { ...rulesSpec(d), containerIds: ids(["prometheus"]) }, [svc.prometheus.container]);
    }
    if (levels.has("L7")) {
      const targets = SERVICES.map((x) => ({ service: x, container: svc[x].containerName, imageRef: svc[x].imageRef, imageId: svc[x].image.imageId, repoDigest: svc[x].image.repoDigest }));
      this.provenance = proof("L7", { containers: targets, containerIds: ids([...SERVICES]) }, containers([...SERVICES]));
    }
    if (levels.has("L8")) {
      // The drift key: random per stack, a Pulumi secret everywhere (the proof's input and the
      // state it keeps for refresh, which the engine encrypts because the input was secret; the
      // stack output configDriftKey for `npm run verify`). Never derived from a secret value.
      const key = new random.RandomPassword(`${p}-config-drift-key`, { length: 64, special: false }, { parent: this });
      const keyValue = pulumi.secret(key.result);
      const digests = secretDigestsOf(s, keyValue);
      Object.assign(this, { configDriftKey: keyValue, configSecretDigests: digests });
      // The gateway's config directory is compared like a service's (a fleet's central host).
      const gw = s.gateway ? { ids: { [GATEWAY_KEY]: s.gateway.container.id }, deps: [s.gateway.container] } : { ids: {}, deps: [] };
      this.configDrift = proof("L8", { ...driftSpec(d), driftKey: keyValue, secretDigests: digests, containerIds: { ...ids([...SERVICES]), ...gw.ids } }, [...containers([...SERVICES]), ...gw.deps]);
    }

    if (levels.has("L9")) {
      // After L1 of the services the alert passes through, as verify orders it (LEVEL_AFTER).
      const deps: ServiceName[] = ["prometheus", "alertmanager"];
      this.alertDelivery = proof("L9", { ...alertDeliverySpec(d), containerIds: ids(deps) }, [...containers(deps), ...healthOf(deps)]);
    }

    // A fleet: each other host's proof, after its agents, the gateway and the Loki and Prometheus it
    // reports to (its marker and series must arrive there).
    if (s.config.verify.enabled) {
      for (const h of s.hosts ?? []) {
        const deps = [...Object.values(h.containers), ...(s.gateway ? [s.gateway.container] : []), svc.loki.container, svc.prometheus.container];
        const containerIds = Object.fromEntries(Object.entries(h.containers).map(([k, c]) => [k, c.id]));
        this.hosts[h.name] = new HostProof(`${p}-${h.name}-host`, { ...hostProofSpec(s.config, h.name), containerIds, ...h.engineSecrets }, opt(deps));
      }
    }

    // level/resource -> proof, in LEVELS order: `health.<service>`, then each other level by name, then `host.<name>`.
    const all: [string, Proof | HostProof | undefined][] = [
      ...SERVICES.map((x) => [`health.${x}`, this.health[x]] as [string, Proof | undefined]),
      ...LEVEL_TABLE.filter((l) => l.level !== "L1").map((l) => [l.name, declared[l.level]] as [string, Proof | undefined]),
      ...Object.entries(this.hosts).map(([x, r]) => [`host.${x}`, r] as [string, HostProof]),
    ];
    const present = all.filter((e): e is [string, Proof | HostProof] => e[1] !== undefined);
    // A level the config turns off is listed too, with why: nothing disappears from the outputs.
    const skipped = plan.skipped.map((k) => [k.name, `skipped: ${k.reason}`] as [string, string]);
    this.statuses = pulumi.all(present.map(([, r]) => r.status)).apply((st) => Object.fromEntries([...present.map(([k], i) => [k, st[i]] as [string, string]), ...skipped]));
    this.registerOutputs({ statuses: this.statuses });
  }
}
