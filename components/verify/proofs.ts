// Proofs: the verification resources (L1-L9) the stack declares after its containers.
// Thin constructor: inputs come from spec.ts (pure), the work happens in the dynamic providers.
import * as pulumi from "@pulumi/pulumi";
import type { ServiceName, StackConfig } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { KEBAB } from "../defaults";
import { AlertDeliveryProof, ConfigDriftProof, DashboardProof, HealthProof, IngestionProof, LabelProof, ProvenanceProof, ReachabilityProof, RuleProof } from "./providers";
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
  readonly health: Partial<Record<ServiceName, HealthProof>> = {};
  readonly reachability?: ReachabilityProof;
  readonly ingestion?: IngestionProof;
  readonly labels?: LabelProof;
  readonly dashboards?: DashboardProof;
  readonly rules?: RuleProof;
  readonly provenance?: ProvenanceProof;
  readonly configDrift?: ConfigDriftProof;
  readonly alertDelivery?: AlertDeliveryProof;
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
    const healthOf = (list: ServiceName[]) => list.map((x) => this.health[x]).filter((r): r is HealthProof => r !== undefined);
    const containers = (list: ServiceName[]) => list.map((x) => svc[x].container);

    if (levels.has("L1")) {
      for (const x of SERVICES) {
        const spec = healthSpec(d, x);
        const props: Record<string, pulumi.Input<unknown>> = { ...spec, containerId: svc[x].container.id };
        if (spec.probe) props.probe = { ...spec.probe, image: probeImage };
        this.health[x] = new HealthProof(`${p}-health-${KEBAB[x]}`, props, opt([svc[x].container]));
      }
    }
    if (levels.has("L2")) {
      const spec = reachabilitySpec(d);
      const deps: ServiceName[] = ["loki", "prometheus"];
      this.reachability = new ReachabilityProof(`${p}-reachability`, { ...spec, probe: { ...spec.probe, image: probeImage }, containerIds: ids(deps) }, opt([...containers(deps), ...healthOf(["loki"])]));
    }
    if (levels.has("L3")) {
      const deps: ServiceName[] = ["loki", "alloy"];
      this.ingestion = new IngestionProof(`${p}-ingestion`, { ...ingestionSpec(d), containerIds: ids(deps) }, opt([...containers(deps), ...healthOf(deps)]));
    }
    if (levels.has("L4")) {
      const deps: ServiceName[] = ["loki", "alloy"];
      // The labels are checked on the stream of L3's own marker (no traffic of the host needed);
      // a new marker (L3 re-proved) re-runs this proof.
      const after = this.ingestion ? [this.ingestion] : [];
      const marker = this.ingestion ? { ingestionMarker: this.ingestion.marker } : {};
      this.labels = new LabelProof(`${p}-labels`, { ...labelsSpec(d), ...marker, containerIds: ids(deps) }, opt([...containers(deps), ...healthOf(deps), ...after]));
    }
    if (levels.has("L5")) {
      this.dashboards = new DashboardProof(
        `${p}-dashboards`,
        { ...dashboardsSpec(d), adminPassword: pulumi.secret(s.grafanaAdminPassword), containerIds: ids(["grafana"]) },
        opt([svc.grafana.container, ...healthOf(["grafana"]), ...(s.grafanaAdmin ? [s.grafanaAdmin] : [])]),
      );
    }
    if (levels.has("L6")) {
      this.rules = new RuleProof(`${p}-rules`, { ...rulesSpec(d), containerIds: ids(["prometheus"]) }, opt([svc.prometheus.container, ...healthOf(["prometheus"])]));
    }
    if (levels.has("L7")) {
      const targets = SERVICES.map((x) => ({ service: x, container: svc[x].containerName, imageRef: svc[x].imageRef, imageId: svc[x].image.imageId, repoDigest: svc[x].image.repoDigest }));
      this.provenance = new ProvenanceProof(`${p}-provenance`, { containers: targets, containerIds: ids([...SERVICES]) }, opt(containers([...SERVICES])));
    }
    if (levels.has("L8")) {
      this.configDrift = new ConfigDriftProof(`${p}-config-drift`, { ...driftSpec(d), containerIds: ids([...SERVICES]) }, opt(containers([...SERVICES])));
    }

    if (levels.has("L9")) {
      // After L1 of the services the alert passes through, as verify orders it (LEVEL_AFTER).
      const deps: ServiceName[] = ["prometheus", "alertmanager"];
      this.alertDelivery = new AlertDeliveryProof(`${p}-alert-delivery`, { ...alertDeliverySpec(d), containerIds: ids(deps) }, opt([...containers(deps), ...healthOf(deps)]));
    }

    const all: [string, { status: pulumi.Output<string> } | undefined][] = [
      ...SERVICES.map((x) => [`health.${x}`, this.health[x]] as [string, HealthProof | undefined]),
      ["reachability", this.reachability],
      ["ingestion", this.ingestion],
      ["labels", this.labels],
      ["dashboards", this.dashboards],
      ["rules", this.rules],
      ["provenance", this.provenance],
      ["configDrift", this.configDrift],
      ["alertDelivery", this.alertDelivery],
    ];
    const present = all.filter((e): e is [string, { status: pulumi.Output<string> }] => e[1] !== undefined);
    this.statuses = pulumi.all(present.map(([, r]) => r.status)).apply((st) => Object.fromEntries(present.map(([k], i) => [k, st[i]])));
    this.registerOutputs({ statuses: this.statuses });
  }
}
