// Every JSON contract validates against its own JSON Schema, and each schema rejects a broken copy
// (so the validation cannot pass vacuously).
import fs from "node:fs";
import path from "node:path";
import { ROOT, clone, newAjv } from "./helpers";
import { ALERTING_SECRET_FIELDS, HOST_TLS_SECRET_FIELDS, SECRET_CONFIG_KEYS, secretSetCommand } from "../../contracts/config/rules";
import { alertmanagerSecretPath } from "../../components/render/alertmanager";
import { BUCKETS } from "../../contracts/errors";

function load(rel: string): any {
  return JSON.parse(fs.readFileSync(path.join(ROOT, rel), "utf8"));
}

const CONTRACTS = [
  { file: "contracts/error_taxonomy.json", schema: "contracts/schemas/error_taxonomy.schema.json" },
  { file: "contracts/health_contract.json", schema: "contracts/schemas/health_contract.schema.json" },
  { file: "contracts/secrets_policy.json", schema: "contracts/schemas/secrets_policy.schema.json" },
];

describe("contract files validate against their schemas", () => {
  it.each(CONTRACTS)("$file is valid against $schema", ({ file, schema }) => {
    const validate = newAjv().compile(load(schema));
    const ok = validate(load(file));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(CONTRACTS)("$file names its schema in $schema", ({ file, schema }) => {
    expect(load(file).$schema).toBe(`./schemas/${path.basename(schema)}`);
  });

  const broken: [string, string, (c: any) => void][] = [
    ["taxonomy: unknown bucket", "contracts/error_taxonomy.json", (c) => (c.codes.E_CONFIG_SCHEMA.bucket = "disk")],
    ["taxonomy: code without action", "contracts/error_taxonomy.json", (c) => delete c.codes.E_INTERNAL.action],
    ["taxonomy: lowercase code", "contracts/error_taxonomy.json", (c) => (c.codes.e_bad = { bucket: "env", description: "some description", action: "some action here" })],
    ["taxonomy: a seventh bucket", "contracts/error_taxonomy.json", (c) => (c.buckets.extra = "an extra bucket")],
    ["health: endpoint without expectStatus", "contracts/health_contract.json", (c) => delete c.endpoints[0].expectStatus],
    ["health: unknown service", "contracts/health_contract.json", (c) => (c.endpoints[0].service = "mysql")],
    ["health: substring criterion", "contracts/health_contract.json", (c) => (c.endpoints[0].green = { contains: "ok" })],
    ["health: backoff factor below 1", "contracts/health_contract.json", (c) => (c.defaults.backoff.factor = 0.5)],
    ["secrets: env delivery", "contracts/secrets_policy.json", (c) => (c.secrets[0].delivery.kind = "env")],
    ["secrets: loose operator file mode", "contracts/secrets_policy.json", (c) => (c.operatorFile.mode = "0644")],
    ["secrets: another redaction marker", "contracts/secrets_policy.json", (c) => (c.redactionMarker = "<hidden>")],
  ];
  it.each(broken)("%s is rejected", (_name, file, mutate) => {
    const schemaFile = CONTRACTS.find((c) => c.file === file)!.schema;
    const validate = newAjv().compile(load(schemaFile));
    const doc = clone(load(file));
    mutate(doc);
    expect(validate(doc)).toBe(false);
  });
});

describe("contract content", () => {
  it("the taxonomy has exactly the six buckets errors.ts knows", () => {
    expect(Object.keys(load("contracts/error_taxonomy.json").buckets).sort()).toEqual([...BUCKETS].sort());
  });

  it("the taxonomy has every code ARCHITECTURE.md requires", () => {
    const codes = Object.keys(load("contracts/error_taxonomy.json").codes);
    for (const c of [
      "E_ENV_DOCKER_UNREACHABLE", "E_ENV_MODE_VIOLATION", "E_ENV_LOCK_HELD", "E_ENV_TOOL_MISSING",
      "E_CONFIG_SCHEMA", "E_CONFIG_MISSING_KEY", "E_CONFIG_INVALID_PORT", "E_CONFIG_PORT_DUPLICATE",
      "E_CONFIG_PATH_NOT_ABSOLUTE", "E_CONFIG_NAME_NOT_DNS_SAFE", "E_CONFIG_IMAGE_UNPINNED",
      "E_CONFIG_SCHEMA_VERSION", "E_CONFIG_SECRET_PLAINTEXT", "E_CONFIG_EXPOSURE",
      "E_RUNTIME_PORT_CONFLICT", "E_RUNTIME_CONTAINER_UNHEALTHY", "E_RUNTIME_CONTAINER_MISSING",
      "E_NETWORK_UNREACHABLE", "E_NETWORK_TIMEOUT",
      "E_PROOF_HEALTH", "E_PROOF_INGESTION_TIMEOUT", "E_PROOF_LABEL_MISSING", "E_PROOF_CARDINALITY",
      "E_PROOF_DASHBOARDS", "E_PROOF_RULES", "E_PROOF_PROVENANCE_MISMATCH", "E_PROOF_CONFIG_DRIFT",
      "E_DEPS_IMAGE_MISSING_OFFLINE", "E_DEPS_IMAGE_PULL_FAILED",
    ]) {
      expect(codes).toContain(c);
    }
  });

  it("secret config keys in the lint are exactly the policy's", () => {
    const policy = load("contracts/secrets_policy.json");
    expect(policy.configKeys.map((k: { key: string }) => k.key)).toEqual([...SECRET_CONFIG_KEYS]);
  });

  it("secret config leaves in the lint are exactly the policy's configLeaves, delivered as the renderer names them", () => {
    const policy = load("contracts/secrets_policy.json");
    expect(policy.configLeaves.map((l: { path: string }) => l.path)).toEqual(ALERTING_SECRET_FIELDS.map(([kind, field]) => `alerting.receivers[].${kind}.${field}`));
    for (const l of policy.configLeaves) {
      const [kind, field] = l.path.split(".").slice(2);
      expect(l.delivery.containerPath).toBe(alertmanagerSecretPath("<receiver>", kind, field));
      expect(l.setWith).toBe(`pulumi config set --secret --path 'logging-bootstrap:alerting.receivers[<i>].${kind}.${field}' <value>`);
    }
  });

  it("the hosts' TLS leaves in the lint are exactly the policy's providerLeaves, each a docker.Provider input, set as the lint's patch says", () => {
    const policy = load("contracts/secrets_policy.json");
    expect(policy.providerLeaves.map((l: { path: string }) => l.path)).toEqual(HOST_TLS_SECRET_FIELDS.map((f) => `hosts[].docker.tls.${f}`));
    for (const l of policy.providerLeaves) {
      const field = l.path.split(".").pop();
      expect(l.setWith).toBe(secretSetCommand(["hosts", 0, "docker", "tls", field]).replace("hosts[0]", "hosts[<i>]"));
      expect(l.delivery).toEqual({ kind: "provider", provider: "docker", input: field.replace(/Pem$/, "Material") });
    }
  });

  it("secrets are delivered as files at the paths the shared conventions fix", () => {
    const policy = load("contracts/secrets_policy.json");
    expect(policy.secrets.map((s: any) => [s.id, s.delivery.containerPath, s.delivery.fileEnv])).toEqual([
      ["grafana-admin-password", "/etc/grafana/secrets/admin_password", "GF_SECURITY_ADMIN_PASSWORD__FILE"],
      ["grafana-secret-key", "/etc/grafana/secrets/secret_key", "GF_SECURITY_SECRET_KEY__FILE"],
    ]);
  });

  it("every code a contract names exists in the taxonomy", () => {
    const codes = Object.keys(load("contracts/error_taxonomy.json").codes);
    const policy = load("contracts/secrets_policy.json");
    for (const k of policy.configKeys) expect(codes).toContain(k.plaintextCode);
    expect(codes).toContain(policy.operatorFile.looseModeCode);
  });
});
