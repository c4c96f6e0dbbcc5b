// The zod schema and its JSON Schema twin (ajv) agree: on a shared corpus of good and bad configs,
// and on configs mutated at random. The committed JSON file is exactly what the generator emits.
import fs from "node:fs";
import fc from "fast-check";
import { StackConfigSchema } from "../../contracts/config/schema";
import { EXAMPLE_CONFIG } from "../../contracts/config/lint";
import { STACK_CONFIG_SCHEMA_FILE, buildStackConfigJsonSchema } from "../../contracts/config/json-schema";
import { BOOLEAN_PATHS } from "../../contracts/config/rules";
import { clone, newAjv, stackConfig } from "./helpers";

type Cfg = Record<string, any>;
const committed = JSON.parse(fs.readFileSync(STACK_CONFIG_SCHEMA_FILE, "utf8"));
const validate = newAjv().compile(committed);
const zodOk = (c: unknown) => StackConfigSchema.safeParse(c).success;
const ajvOk = (c: unknown) => validate(c) === true;

function variant(mutate: (c: Cfg) => void): Cfg {
  const c = clone(EXAMPLE_CONFIG) as Cfg;
  mutate(c);
  return c;
}

const GOOD: [string, unknown][] = [
  ["example config", clone(EXAMPLE_CONFIG)],
  ["Pulumi.test.yaml", stackConfig("test")],
  ["Pulumi.prod.yaml", stackConfig("prod")],
  [
    "minimal (defaults omitted)",
    variant((c) => {
      delete c.offlineMode; delete c.alloy; delete c.verify; delete c.limits;
      delete c.paths.dataRoot; delete c.paths.dockerSocket; delete c.paths.journalDir;
      delete c.ports.alloy; delete c.ports.nodeExporter; delete c.ports.cadvisor;
      c.exposure = { bindAddress: "127.0.0.1" };
    }),
  ],
  ["password present (schema sees any string)", variant((c) => (c.grafanaAdminPassword = "x"))],
  ["duration with several units", variant((c) => (c.retention.logs = "1w2d3h"))],
  ["empty lists", variant((c) => (c.alloy = { dockerAllowlist: [], journaldUnits: [], redactions: [] }))],
  ["no gateway", variant((c) => delete c.gateway)],
  [
    "a fleet: ssh and tcp hosts with TLS and overrides",
    variant((c) => c.hosts.push(
      { name: "web1", central: false, docker: { host: "ssh://deploy@web1.example.net:2222" }, address: "192.0.2.21", alloy: { dockerAllowlist: ["web1-nginx"] } },
      { name: "db1", docker: { host: "tcp://192.0.2.22:2376", tls: { caPem: "<secret>", certPem: "<secret>", keyPem: "<secret>" } }, address: "192.0.2.22", paths: { logsRoot: "/srv/logs", journalDir: "/run/log/journal" } },
    )),
  ],
];

const BAD: [string, unknown][] = [
  ["not an object", 42],
  ["null", null],
  ["a list", []],
  ["empty object", {}],
  ["schemaVersion 4", variant((c) => (c.schemaVersion = 4))],
  ["schemaVersion 2", variant((c) => (c.schemaVersion = 2))],
  ["schemaVersion as string", variant((c) => (c.schemaVersion = "1"))],
  ["projectName with underscore", variant((c) => (c.projectName = "logging_test"))],
  ["unknown top-level key", variant((c) => (c.extra = true))],
  ["unknown nested key", variant((c) => (c.ports.grafna = 9101))],
  ["port 80", variant((c) => (c.ports.grafana = 80))],
  ["port fractional", variant((c) => (c.ports.grafana = 9101.5))],
  ["port string", variant((c) => (c.ports.grafana = "9101"))],
  ["missing ports.loki", variant((c) => delete c.ports.loki)],
  ["relative path", variant((c) => (c.paths.logsRoot = "logs"))],
  ["missing paths", variant((c) => delete c.paths)],
  ["empty image", variant((c) => (c.images.grafana = ""))],
  ["missing image", variant((c) => delete c.images.cadvisor)],
  ["boolean as string", variant((c) => (c.offlineMode = "true"))],
  ["verify toggle as number", variant((c) => (c.verify.rules = 1))],
  ["bindAddress hostname", variant((c) => (c.exposure.bindAddress = "localhost"))],
  ["bindAddress 256.1.1.1", variant((c) => (c.exposure.bindAddress = "256.1.1.1"))],
  ["loopbackOnly unknown service", variant((c) => (c.exposure.loopbackOnly = ["db"]))],
  ["duration in words", variant((c) => (c.retention.logs = "30 days"))],
  ["duration units out of order", variant((c) => (c.retention.logs = "2d1w"))],
  ["empty duration", variant((c) => (c.retention.metrics = ""))],
  ["redaction bad name", variant((c) => (c.alloy.redactions = [{ name: "Bad", pattern: "x" }]))],
  ["redaction empty pattern", variant((c) => (c.alloy.redactions = [{ name: "ok", pattern: "" }]))],
  ["timeout too small", variant((c) => (c.verify.timeoutSeconds = 4))],
  ["cardinality 0", variant((c) => (c.verify.cardinalityLimit = 0))],
  ["limit too big", variant((c) => (c.limits.loki = 70000))],
  ["limit for unknown service", variant((c) => (c.limits.mysql = 100))],
  ["empty password", variant((c) => (c.grafanaAdminPassword = ""))],
  ["missing hosts", variant((c) => delete c.hosts)],
  ["empty hosts", variant((c) => (c.hosts = []))],
  ["host name with underscore", variant((c) => (c.hosts[0].name = "web_1"))],
  ["host address a hostname", variant((c) => (c.hosts[0].address = "web1"))],
  ["central as a string", variant((c) => (c.hosts[0].central = "true"))],
  ["docker.host a bare path", variant((c) => (c.hosts[0].docker.host = "/var/run/docker.sock"))],
  ["docker.host ssh without user", variant((c) => (c.hosts[0].docker.host = "ssh://web1"))],
  ["docker.host tcp without port", variant((c) => (c.hosts[0].docker.host = "tcp://web1"))],
  ["tls without key", variant((c) => (c.hosts[0].docker.tls = { caPem: "x", certPem: "y" }))],
  ["unknown host key", variant((c) => (c.hosts[0].role = "central"))],
  ["host dataRoot override", variant((c) => (c.hosts[0].paths = { dataRoot: "/srv" }))],
  ["host relative path override", variant((c) => (c.hosts[0].paths = { logsRoot: "logs" }))],
  ["host redactions override", variant((c) => (c.hosts[0].alloy = { redactions: [] }))],
  ["gateway port 80", variant((c) => (c.gateway.port = 80))],
  ["gateway unknown key", variant((c) => (c.gateway.bind = "0.0.0.0"))],
];

describe("JSON Schema twin", () => {
  it("the committed file is what the generator emits (regenerate: npx tsx contracts/config/json-schema.ts)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildStackConfigJsonSchema())));
  });

  it("is draft 2020-12 and strict about unknown keys", () => {
    expect(committed.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(committed.additionalProperties).toBe(false);
    expect(committed.required).toEqual(["schemaVersion", "projectName", "hosts", "exposure", "ports", "paths", "images", "retention"]);
  });

  it("its boolean properties are exactly the lint's toggles (BOOLEAN_PATHS)", () => {
    const found: string[] = [];
    const walk = (node: any, path: string[]) => {
      if (node?.type === "boolean") found.push(path.join("."));
      for (const [k, v] of Object.entries(node?.properties ?? {})) walk(v, [...path, k]);
    };
    walk(committed, []);
    expect(found.sort()).toEqual(BOOLEAN_PATHS.map((p) => p.join(".")).sort());
  });

  it.each(GOOD)("both accept: %s", (_n, c) => {
    expect([zodOk(c), ajvOk(c)]).toEqual([true, true]);
  });

  it.each(BAD)("both reject: %s", (_n, c) => {
    expect([zodOk(c), ajvOk(c)]).toEqual([false, false]);
  });

  it("agree on randomly mutated configs (property)", () => {
    const paths: string[][] = [];
    const collect = (v: unknown, p: string[]) => {
      paths.push(p);
      if (v && typeof v === "object") for (const [k, e] of Object.entries(v)) collect(e, [...p, k]);
    };
    collect(EXAMPLE_CONFIG, []);
    const target = fc.constantFrom(...paths.filter((p) => p.length > 0));
    const replacement = fc.oneof(
      fc.constant(undefined),
      fc.boolean(),
      fc.integer({ min: -10, max: 70000 }),
      fc.double(),
      fc.string(),
      fc.constantFrom("true", "30d", "2d1w", "0.0.0.0", "/abs", "rel", "", "grafana/grafana:latest", "9101", "logging_test"),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(target, replacement), { minLength: 1, maxLength: 3 }), (muts) => {
        const c = clone(EXAMPLE_CONFIG) as Cfg;
        for (const [p, v] of muts) {
          let cur: any = c;
          for (const seg of p.slice(0, -1)) {
            if (cur === null || typeof cur !== "object") return;
            cur = cur[seg];
          }
          if (cur === null || typeof cur !== "object") continue;
          if (v === undefined) delete cur[p[p.length - 1]];
          else cur[p[p.length - 1]] = v;
        }
        expect(ajvOk(c)).toBe(zodOk(c));
      }),
      { numRuns: 400, seed: 20261122 },
    );
  });
});
