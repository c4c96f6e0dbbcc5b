// Nothing that accepts a push or a query answers on a LAN address without credentials (issue 20's
// Done-when): on the central host's engine, every port a container of the stack publishes off
// loopback must be Grafana's or the gateway's, and each of their query and push paths must refuse a
// request without credentials (401/403); every socket listening on the centre address must be one of
// those ports; and the port of every service that answers without authentication (Loki, Prometheus,
// Alertmanager, Alloy, node-exporter, cAdvisor) must refuse a connection there.
//   tsx test/e2e/lan-probe.ts --project <name> --address <centre address> --ports <svc>=<port>,... [--socket F] [--json]
// Exit 0 when every check holds, 1 when one does not, 3 when it could not run. Sends only to
// addresses of this machine.
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { isUnauthenticatedService } from "../../contracts/config/exposure";

/** The services allowed on a LAN address: Grafana (its login) and the gateway (TLS, per-host basic auth). */
export const LAN_SERVICES = ["grafana", "gateway"] as const;

export interface Binding {
  container: string;
  service: string;
  ip: string;
  port: number;
}

export interface Probe {
  service: string;
  method: "GET" | "POST";
  url: string;
  /** What a request without credentials must get. */
  expect: number[];
}

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Published ports of the stack's containers that are not on loopback (HostIp "" and 0.0.0.0 are every address). */
export function offLoopback(containers: readonly { Name: string; Config: { Labels?: Record<string, string> }; HostConfig: { PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> } }[]): Binding[] {
  const out: Binding[] = [];
  for (const c of containers) {
    for (const list of Object.values(c.HostConfig.PortBindings ?? {})) {
      for (const b of list ?? []) {
        const ip = b.HostIp || "0.0.0.0";
        if (LOOPBACK.test(ip)) continue;
        out.push({ container: c.Name.replace(/^\//, ""), service: c.Config.Labels?.["logging-bootstrap.service"] ?? "(unlabelled)", ip, port: Number(b.HostPort) });
      }
    }
  }
  return out.sort((a, b) => a.port - b.port);
}

/**
 * The requests without credentials each LAN service must refuse: Grafana's API (search, data
 * sources, the query endpoint every panel uses, the Loki data source's proxy), the gateway's two
 * push routes (Loki's push, Prometheus' remote write) over TLS.
 */
export function probesFor(b: Binding, dial: string): Probe[] {
  const http = `http://${dial}:${b.port}`;
  const tls = `https://${dial}:${b.port}`;
  if (b.service === "grafana") {
    return [
      { service: b.service, method: "GET", url: `${http}/api/search`, expect: [401, 403] },
      { service: b.service, method: "GET", url: `${http}/api/datasources`, expect: [401, 403] },
      { service: b.service, method: "POST", url: `${http}/api/ds/query`, expect: [401, 403] },
      { service: b.service, method: "GET", url: `${http}/api/datasources/proxy/uid/loki/loki/api/v1/labels`, expect: [401, 403] },
    ];
  }
  if (b.service === "gateway") {
    return [
      { service: b.service, method: "POST", url: `${tls}/loki/api/v1/push`, expect: [401, 403] },
      { service: b.service, method: "POST", url: `${tls}/api/v1/write`, expect: [401, 403] },
    ];
  }
  return [];
}

/** The address to dial for a binding: its own, or the centre address for one on every address. */
export function dialAddress(b: Binding, centre: string): string {
  return b.ip === "0.0.0.0" || b.ip === "::" ? centre : b.ip;
}

/** IPv4 listening sockets of /proc/net/tcp text: `address:port` (state 0A = LISTEN). */
export function listeners(procNetTcp: string): { ip: string; port: number }[] {
  const out: { ip: string; port: number }[] = [];
  for (const line of procNetTcp.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== "0A") continue;
    const [hexIp, hexPort] = f[1].split(":");
    if (!hexIp || hexIp.length !== 8 || !hexPort) continue;
    const ip = [6, 4, 2, 0].map((i) => parseInt(hexIp.slice(i, i + 2), 16)).join(".");
    out.push({ ip, port: parseInt(hexPort, 16) });
  }
  return out;
}

/** One request without credentials (TLS not verified: authentication is what is probed); the status, or the error. */
export function request(p: Probe, timeoutMs = 5000): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const u = new URL(p.url);
    const mod = u.protocol === "https:" ? https : require("node:http");
    const req = mod.request(u, { method: p.method, rejectUnauthorized: false, timeout: timeoutMs, headers: { "content-type": "application/x-protobuf", "content-length": "0" } }, (res: { statusCode?: number; resume(): void }) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e: Error) => resolve({ error: e.message }));
    req.end();
  });
}

/** Whether a TCP connection to ip:port is accepted (bounded). */
export function accepts(ip: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

export interface ProbeInput {
  bindings: Binding[];
  centre: string;
  /** The stack's ports by service (ports.* of the stack file, gateway.port as `gateway`). */
  ports: Record<string, number>;
  listening: { ip: string; port: number }[];
}

export async function probe(inp: ProbeInput, io = { request, accepts }): Promise<Check[]> {
  const checks: Check[] = [];
  const lan = new Set<string>(LAN_SERVICES);
  for (const b of inp.bindings) {
    checks.push({ what: `${b.container} (${b.service}) published on ${b.ip}:${b.port}`, ok: lan.has(b.service), detail: lan.has(b.service) ? "a service with its own authentication" : "only Grafana and the gateway may be published off loopback" });
    for (const p of probesFor(b, dialAddress(b, inp.centre))) {
      const r = await io.request(p);
      const ok = r.status !== undefined && p.expect.includes(r.status);
      checks.push({ what: `${p.method} ${p.url} without credentials`, ok, detail: r.status !== undefined ? `HTTP ${r.status} (want ${p.expect.join(" or ")})` : `no answer: ${r.error}` });
    }
  }
  if (!inp.bindings.some((b) => b.service === "gateway")) checks.push({ what: "the gateway is published off loopback", ok: false, detail: "no gateway binding: the other hosts' agents could not push" });
  const allowed = new Set(inp.bindings.filter((b) => lan.has(b.service)).map((b) => b.port));
  for (const l of inp.listening.filter((x) => x.ip === inp.centre)) {
    checks.push({ what: `the socket listening on ${l.ip}:${l.port}`, ok: allowed.has(l.port), detail: allowed.has(l.port) ? "Grafana's or the gateway's" : "something else listens on the centre address" });
  }
  for (const [svc, port] of Object.entries(inp.ports).sort((a, b) => a[1] - b[1])) {
    if (!isUnauthenticatedService(svc)) continue;
    const open = await io.accepts(inp.centre, port);
    checks.push({ what: `${svc}'s port ${port} on ${inp.centre}`, ok: !open, detail: open ? "accepts a connection: it answers without authentication" : "refused" });
  }
  return checks;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { project: { type: "string" }, address: { type: "string" }, ports: { type: "string" }, socket: { type: "string", default: "/var/run/docker.sock" }, json: { type: "boolean" } } });
  if (!values.project || !values.address || !values.ports) {
    process.stderr.write("usage: tsx test/e2e/lan-probe.ts --project <name> --address <centre address> --ports <svc>=<port>,... [--socket F] [--json]\n");
    return 3;
  }
  const ports = Object.fromEntries(values.ports.split(",").filter(Boolean).map((kv) => [kv.split("=")[0], Number(kv.split("=")[1])]));
  const docker = new Docker({ socketPath: values.socket });
  const list = await docker.listContainers({ all: true, filters: { label: [`logging-bootstrap.project=${values.project}`] } });
  const inspected = await Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
  const bindings = offLoopback(inspected as never);
  const checks = await probe({ bindings, centre: values.address, ports, listening: listeners(fs.readFileSync("/proc/net/tcp", "utf8")) });
  const ok = checks.every((c) => c.ok);
  if (values.json) process.stdout.write(JSON.stringify({ ok, bindings, checks }, null, 2) + "\n");
  else for (const c of checks) process.stdout.write(`${c.ok ? "ok  " : "FAIL"} ${c.what}: ${c.detail}\n`);
  return ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (c) => process.exit(c),
    (e: unknown) => {
      process.stderr.write(`lan-probe: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(3);
    },
  );
}
