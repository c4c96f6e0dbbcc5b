// One fault per verification level: how to inject it into the running test environment and how
// to restore it (the matrix in ./matrix.ts runs them).
import * as YAML from "yaml";
import type { StackConfig } from "../../../contracts/config/schema";
import { FILES } from "../../../components/defaults";
import { renderAlloyConfig } from "../../../components/render/alloy";
import { grafanaPasswordFrom } from "../../../scripts/lib/verify-load";
import { execRoot, FaultContext, Fault, putFile, recreate, relaunch, reloadPrometheus, rendered, splitRef, waitHttp } from "./support";
import { configDriftFaults } from "./config-drift";

const FAULT_LABEL = "fault_cardinality";

/** The silence L9's fault creates (its id, to expire it on restore). */
let watchdogSilence: string | undefined;

function alertmanagerUrl(ctx: FaultContext): string {
  const u = ctx.env.services.alertmanager?.url;
  if (!u) throw new Error("testenv.json has no services.alertmanager.url (its published port)");
  return u;
}

/**
 * The stack's Alloy config with every redaction's replacement turned into `{{ .Value }}`: the
 * stage.replace stages still run, but each puts back what it captured, so nothing is redacted.
 */
export function unredactingAlloyConfig(cfg: FaultContext["desired"]["config"]): string {
  const c = cfg as StackConfig;
  return renderAlloyConfig({ ...c, alloy: { ...c.alloy, redactions: c.alloy.redactions.map((r) => ({ ...r, replacement: "{{ .Value }}" })) } });
}

async function reloadAlloy(ctx: FaultContext): Promise<void> {
  const url = ctx.env.services.alloy.url;
  if (!url) throw new Error("testenv.json has no services.alloy.url (its published port)");
  const r = await ctx.io.http({ method: "POST", url: `${url}/-/reload`, timeoutMs: 10000 });
  if (r.status !== 200) throw new Error(`Alloy's /-/reload answered HTTP ${r.status}: ${r.body.trim()}`);
}

export function faults(): Fault[] {
  return [
    {
      level: "L1",
      title: "stop a container (cadvisor)",
      inject: async (ctx) => ctx.docker.getContainer(ctx.env.services.cadvisor.container).stop({ t: 2 }),
      restore: async (ctx) => ctx.docker.getContainer(ctx.env.services.cadvisor.container).start(),
    },
    {
      level: "L2",
      title: "stop Loki's process (docker pause): its health endpoint no longer answers inside the network",
      inject: async (ctx) => ctx.docker.getContainer(ctx.env.services.loki.container).pause(),
      restore: async (ctx) => ctx.docker.getContainer(ctx.env.services.loki.container).unpause(),
    },
    {
      level: "L3",
      title: "stop ingestion (stop Alloy)",
      inject: async (ctx) => ctx.docker.getContainer(ctx.env.services.alloy.container).stop({ t: 2 }),
      restore: async (ctx) => {
        await ctx.docker.getContainer(ctx.env.services.alloy.container).start();
        if (ctx.env.services.alloy.url) await waitHttp(ctx, `${ctx.env.services.alloy.url}/-/ready`, 30);
      },
    },
    {
      level: "L3",
      title: "the running Alloy stops redacting: its config inside the container gets stage.replace stages that put back what they capture ({{ .Value }}), then Alloy's /-/reload",
      expectedCode: "E_PROOF_REDACTION_FAILED",
      inject: async (ctx) => {
        if (ctx.desired.config.alloy.redactions.every((r) => r.canary === undefined)) throw new Error("the stack has no redaction with a canary: nothing for the ingestion proof to show");
        await putFile(ctx, ctx.env.services.alloy.container, FILES.alloyConfig, Buffer.from(unredactingAlloyConfig(ctx.desired.config)));
        await reloadAlloy(ctx);
      },
      restore: async (ctx) => {
        await putFile(ctx, ctx.env.services.alloy.container, FILES.alloyConfig, rendered(ctx, "alloy", FILES.alloyConfig));
        await reloadAlloy(ctx);
      },
    },
    {
      level: "L4",
      title: `push more than verify.cardinalityLimit distinct values of label ${FAULT_LABEL} to Loki's push API`,
      inject: async (ctx) => {
        const n = ctx.desired.config.verify.cardinalityLimit + 5;
        const now = BigInt(Date.now()) * 1_000_000n;
        const streams = Array.from({ length: n }, (_, i) => ({ stream: { job: "verify-faults", project: ctx.desired.config.projectName, [FAULT_LABEL]: `v${i}` }, values: [[(now + BigInt(i)).toString(), `fault ${i}`]] }));
        const r = await ctx.io.http({ method: "POST", url: `${ctx.env.services.loki.url}/loki/api/v1/push`, headers: { "content-type": "application/json" }, body: JSON.stringify({ streams }), timeoutMs: 10000 });
        if (r.status !== 204) throw new Error(`loki push answered ${r.status}`);
        // Pushed lines become queryable after Loki's ingestion delay.
        await new Promise((res) => setTimeout(res, 1500));
      },
      restore: async (ctx) => {
        // Loki has no cheap "forget these streams" (the delete API needs the compactor and time).
        // In the test environment the Loki double keeps its data in one JSONL file: drop the fault's
        // streams (parsed, by label) and restart it, as an operator would purge a bad tenant.
        if (ctx.env.services.loki.kind !== "double") throw new Error("restoring L4 is implemented for the test environment's Loki double only");
        const script = `const fs=require("fs"),p=require("path");const d=process.env.LOKI_DOUBLE_DATA_DIR||"/loki/double";const f=p.join(d,"entries.jsonl");const keep=fs.readFileSync(f,"utf8").split("\\n").filter(l=>{if(!l)return false;try{return !(${JSON.stringify(FAULT_LABEL)} in JSON.parse(l).labels)}catch{return false}});fs.writeFileSync(f,keep.join("\\n")+(keep.length?"\\n":""));`;
        const code = await execRoot(ctx, ctx.env.services.loki.container, ["node", "-e", script]);
        if (code !== 0) throw new Error(`purging the Loki double's store exited ${code}`);
        await ctx.docker.getContainer(ctx.env.services.loki.container).restart({ t: 2 });
        await waitHttp(ctx, `${ctx.env.services.loki.url}/ready`, 30);
      },
    },
    {
      level: "L5",
      title: "remove the provisioned dashboard: delete its JSON inside the Grafana container and Grafana's stored copy, restart Grafana",
      inject: async (ctx) => {
        // B's provider sets disableDeletion: true, so Grafana (and the double) keep a dashboard whose
        // file vanished: deleting the file alone is not a lost dashboard. It is lost when the file and
        // Grafana's database copy are both gone (e.g. a recreated data volume): do both.
        if (ctx.env.services.grafana.kind !== "double") throw new Error("L5's fault is implemented for the test environment's Grafana double only");
        const f = ctx.desired.files.grafana.find((x) => x.path.endsWith(".json"))!;
        const script = `const fs=require("fs");for(const p of [${JSON.stringify(f.path)},"/var/lib/grafana/grafana-double-dashboards.json"]){try{fs.unlinkSync(p)}catch(e){if(e.code!=="ENOENT")throw e}}`;
        const code = await execRoot(ctx, ctx.env.services.grafana.container, ["node", "-e", script]);
        if (code !== 0) throw new Error(`could not delete ${f.path} (exit ${code})`);
        await ctx.docker.getContainer(ctx.env.services.grafana.container).restart({ t: 2 });
        await waitHttp(ctx, `${ctx.env.services.grafana.url}/api/health`, 30);
      },
      restore: async (ctx) => {
        const f = ctx.desired.files.grafana.find((x) => x.path.endsWith(".json"))!;
        await putFile(ctx, ctx.env.services.grafana.container, f.path, rendered(ctx, "grafana", f.path));
        // Grafana's own provisioning reload API (admin basic auth), instead of waiting for the rescan.
        const pw = grafanaPasswordFrom(ctx.env.secretsFile, process.env) ?? "";
        const r = await ctx.io.http({ method: "POST", url: `${ctx.env.services.grafana.url}/api/admin/provisioning/dashboards/reload`, headers: { Authorization: `Basic ${Buffer.from(`admin:${pw}`).toString("base64")}` }, timeoutMs: 5000 });
        if (r.status !== 200) throw new Error(`provisioning reload answered ${r.status}`);
      },
    },
    {
      level: "L6",
      title: "drop a rule group from the rules file inside Prometheus and reload",
      inject: async (ctx) => {
        const f = ctx.desired.files.prometheus.find((x) => x.path.includes("/rules/"))!;
        const doc = YAML.parse(f.content) as { groups: { name: string }[] };
        doc.groups = doc.groups.slice(1);
        await putFile(ctx, ctx.env.services.prometheus.container, f.path, Buffer.from(YAML.stringify(doc)));
        await reloadPrometheus(ctx);
      },
      restore: async (ctx) => {
        const f = ctx.desired.files.prometheus.find((x) => x.path.includes("/rules/"))!;
        await putFile(ctx, ctx.env.services.prometheus.container, f.path, rendered(ctx, "prometheus", f.path));
        await reloadPrometheus(ctx);
      },
    },
    {
      level: "L7",
      title: "re-tag node-exporter's image reference to other content and recreate the container from it",
      inject: async (ctx) => {
        const s = ctx.env.services.nodeExporter;
        const c = ctx.docker.getContainer(s.container);
        const { repo, tag } = splitRef(s.imageRef);
        // Other content under the same tag: the container's filesystem committed with a new label.
        await c.commit({ repo, tag, changes: 'LABEL logging-bootstrap.fault="retag"' });
        await recreate(ctx, s.container, s.imageRef);
      },
      restore: async (ctx) => {
        const s = ctx.env.services.nodeExporter;
        const faulty = await ctx.docker.getImage(s.imageRef).inspect();
        // Back to what the stack declares: the tag names the registry's content again (pull), the
        // container recreated outside Pulumi goes, and a repair rebuilds it from the state's image.
        await ctx.docker.getContainer(s.container).remove({ force: true });
        await new Promise<void>((resolve, reject) =>
          ctx.docker.pull(s.imageRef, (err: Error | null, stream: NodeJS.ReadableStream) => (err ? reject(err) : ctx.docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())))),
        );
        await relaunch(ctx, [s.container]);
        if (faulty.Id !== s.imageId) await ctx.docker.getImage(faulty.Id).remove({ force: true }).catch(() => undefined);
      },
    },
    {
      level: "L8",
      title: "edit Loki's config file inside the running container",
      inject: async (ctx) => {
        const f = ctx.desired.files.loki[0];
        await putFile(ctx, ctx.env.services.loki.container, f.path, Buffer.concat([rendered(ctx, "loki", f.path), Buffer.from("# edited by verify:faults\n")]));
      },
      restore: async (ctx) => {
        const f = ctx.desired.files.loki[0];
        await putFile(ctx, ctx.env.services.loki.container, f.path, rendered(ctx, "loki", f.path));
      },
    },
    // L8's other faults: an extra file, a rewritten secret file, a chmod (./config-drift.ts).
    ...configDriftFaults(),
    {
      level: "L9",
      title: "silence Watchdog through Alertmanager's API (POST /api/v2/silences): it is suppressed and never delivered",
      inject: async (ctx) => {
        const now = Date.now();
        const silence = {
          matchers: [{ name: "alertname", value: "Watchdog", isRegex: false, isEqual: true }],
          startsAt: new Date(now - 1000).toISOString(),
          endsAt: new Date(now + 15 * 60_000).toISOString(),
          createdBy: "verify:faults",
          comment: "L9 fault: Watchdog silenced; expired again by the restore",
        };
        const r = await ctx.io.http({ method: "POST", url: `${alertmanagerUrl(ctx)}/api/v2/silences`, headers: { "content-type": "application/json" }, body: JSON.stringify(silence), timeoutMs: 5000 });
        const id = r.status === 200 ? (JSON.parse(r.body) as { silenceID?: unknown }).silenceID : undefined;
        if (typeof id !== "string") throw new Error(`creating the silence answered HTTP ${r.status}`);
        watchdogSilence = id;
      },
      restore: async (ctx) => {
        if (!watchdogSilence) return;
        // DELETE expires the silence (api/v2/openapi.yaml deleteSilence); the alert is active again.
        const r = await ctx.io.http({ method: "DELETE", url: `${alertmanagerUrl(ctx)}/api/v2/silence/${encodeURIComponent(watchdogSilence)}`, timeoutMs: 5000 });
        if (r.status !== 200) throw new Error(`expiring silence ${watchdogSilence} answered HTTP ${r.status}`);
        watchdogSilence = undefined;
      },
    },
  ];
}

