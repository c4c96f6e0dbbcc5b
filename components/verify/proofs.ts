// Proofs: the verification resources (L1-L9) the stack declares after its containers.
// Thin constructor: inputs come from spec.ts (pure), the work happens in the dynamic providers.
import * as pulumi from "@pulumi/pulumi";
import type { ServiceName, StackConfig } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { KEBAB } from "../defaults";
import { LEVEL_TABLE, proofSuffix } from "./levels";
import { IngestionProof, Proof } from "./providers";
import { alertDeliverySpec, DesiredState, dashboardsSpec, driftSpec, enabledLevels, healthSpec, ingestionSpec, labelsSpec, reachabilitySpec, rulesSpec } from "./spec";
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
    }
  >;
}

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
    probeImage,
  };
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
  readonly alertDelivery?: Proof;
  /** level/resource -> status ("green" | "warn"); a red proof fails `pulumi up` instead. */
  readonly statuses: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ProofsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("logging-bootstrap:verify:Proofs", name, {}, opts);
    const s = args.stack;
    const p = s.config.projectName;
    const d = desiredFromStack(s);
    const levels = new Set<Level>(enabledLevels(s.config));
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
    if (levels.has("L2")) {
      const spec = reachabilitySpec(d);
      const deps: ServiceName[] = ["loki", "prometheus"];
      this.reachability = proof("L2", { ...spec, probe: { ...spec.probe, image: probeImage }, containerIds: ids(deps) }, [...containers(deps), ...healthOf(["loki"])]);
    }
    if (levels.has("L3")) {
      const deps: ServiceName[] = ["loki", "alloy"];
      this.ingestion = proof("L3", { ...ingestionSpec(d), containerIds: ids(deps) }, [...containers(deps), ...healthOf(deps)]) as IngestionProof;
    }
    if (levels.has("L4")) {
      const deps: ServiceName[] = ["loki", "alloy"];
      // The labels are checked on the stream of L3's own marker (no traffic of the host needed);
      // a new marker (L3 re-proved) re-runs this proof.
      const after = this.ingestion ? [this.ingestion] : [];
      const marker = this.ingestion ? { ingestionMarker: this.ingestion.marker } : {};
      this.labels = proof("L4", { ...labelsSpec(d), ...marker, containerIds: ids(deps) }, [...containers(deps), ...healthOf(deps), ...after]);
    }
    if (levels.has("L5")) {
      this.dashboards = proof(
        "L5",
        { ...dashboardsSpec(d), adminPassword: pulumi.secret(s.grafanaAdminPassword), containerIds: ids(["grafana"]) },
        [svc.grafana.container, ...healthOf(["grafana"]), ...(s.grafanaAdmin ? [s.grafanaAdmin] : [])],
      );
    }
    if (levels.has("L6")) {
      this.rules = proof("L6", { ...rulesSpec(d), containerIds: ids(["prometheus"]) }, [svc.prometheus.container, ...healthOf(["prometheus"])]);
    }
    if (levels.has("L7")) {
      const targets = SERVICES.map((x) => ({ service: x, container: svc[x].containerName, imageRef: svc[x].imageRef, imageId: svc[x].image.imageId, repoDigest: svc[x].image.repoDigest }));
      this.provenance = proof("L7", { containers: targets, containerIds: ids([...SERVICES]) }, containers([...SERVICES]));
    }
    if (levels.has("L8")) {
      this.configDrift = proof("L8", { ...driftSpec(d), containerIds: ids([...SERVICES]) }, containers([...SERVICES]));
    }

    if (levels.has("L9")) {
      // After L1 of the services the alert passes through, as verify orders it (LEVEL_AFTER).
      const deps: ServiceName[] = ["prometheus", "alertmanager"];
      this.alertDelivery = proof("L9", { ...alertDeliverySpec(d), containerIds: ids(deps) }, [...containers(deps), ...healthOf(deps)]);
    }

    // level/resource -> proof, in LEVELS order: `health.<service>`, then each other level by name.
    const all: [string, Proof | undefined][] = [
      ...SERVICES.map((x) => [`health.${x}`, this.health[x]] as [string, Proof | undefined]),
      ...LEVEL_TABLE.filter((l) => l.level !== "L1").map((l) => [l.name, declared[l.level]] as [string, Proof | undefined]),
    ];
    const present = all.filter((e): e is [string, Proof] => e[1] !== undefined);
    this.statuses = pulumi.all(present.map(([, r]) => r.status)).apply((st) => Object.fromEntries(present.map(([k], i) => [k, st[i]])));
    this.registerOutputs({ statuses: this.statuses });
  }
}
