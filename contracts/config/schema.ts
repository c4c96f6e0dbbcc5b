// Stack configuration, schema v3 (ARCHITECTURE.md "Stack configuration"); v2 added Alertmanager and
// `alerting`, v3 the fleet: `hosts` (the central host and the hosts whose agents report to it) and
// `gateway` (docs/FLEET.md). The fleet's pure helpers (centralHost, hostPaths, ...) are ./hosts.ts.
// This zod schema is the typed source; contracts/config/stack-config.schema.json is its JSON Schema
// twin for ajv and editors, and a test proves both agree on a shared corpus.
// Semantic rules a schema cannot express well (unique ports, exposure, secrets form, findings with
// example patches) live in ./lint.ts.
import { z } from "zod";

export const CURRENT_SCHEMA_VERSION = 3;

export const SERVICES = ["grafana", "loki", "alloy", "prometheus", "nodeExporter", "cadvisor", "alertmanager"] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Durations as Prometheus/Loki parse them (model.ParseDuration): <int><unit> groups from the largest
// unit to the smallest, each unit at most once (30d, 720h, 1w2d; not 2d1w, not "30 days").
export const DURATION = /^(?!$)([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;

// How Pulumi reaches a host's Docker engine (the docker.Provider's `host`): a socket on the machine
// running Pulumi, SSH (the engine's own ssh:// helper: the remote user needs the docker CLI), or TCP,
// which is only ever accepted with TLS client certificates (rules/hosts.ts). Host part: a DNS name or
// an IPv4 address; ports are checked for range by the lint (values.ts parseDockerHost).
const HOSTNAME_RE = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*";
const SSH_USER_RE = "[A-Za-z_][A-Za-z0-9_.-]{0,31}";
export const DOCKER_HOST_URL = new RegExp(`^(?:unix:///[^\\s:]*|ssh://${SSH_USER_RE}@${HOSTNAME_RE}(?::[0-9]{1,5})?|tcp://${HOSTNAME_RE}:[0-9]{1,5})$`);
/** The Docker socket of a host when paths.dockerSocket does not say otherwise (schema v2's default too). */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

const port = z.number().int().min(1024).max(65535);
const absPath = z.string().regex(/^\//, "must be an absolute path");
const imageRef = z.string().min(1);

export const PortsSchema = z
  .object({
    grafana: port,
    loki: port,
    prometheus: port,
    alloy: port.optional(),
    nodeExporter: port.optional(),
    cadvisor: port.optional(),
    /** Published on 127.0.0.1 unless alerting.lanExposed (its API can silence every alert). */
    alertmanager: port.optional(),
  })
  .strict();

export const PathsSchema = z
  .object({
    /** Host directory Alloy tails (the ingestion proof writes its marker here). */
    logsRoot: absPath,
    /** Host directory for telemetry files written by applications (also tailed). */
    telemetryRoot: absPath,
    /** When set, data volumes are bind-backed directories under this root instead of Docker-managed. */
    dataRoot: absPath.optional(),
    /** The Docker socket Alloy and cAdvisor read (read-only). */
    dockerSocket: absPath.default(DEFAULT_DOCKER_SOCKET),
    /** The host's persistent journal, read by Alloy's journald source. */
    journalDir: absPath.default("/var/log/journal"),
  })
  .strict();

export const ImagesSchema = z
  .object({
    grafana: imageRef,
    loki: imageRef,
    alloy: imageRef,
    prometheus: imageRef,
    nodeExporter: imageRef,
    cadvisor: imageRef,
    alertmanager: imageRef,
  })
  .strict();

export const RedactionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/),
    /** RE2 regular expression (Alloy's stage.replace); every capture group is replaced (contracts/config/redaction.ts). */
    pattern: z.string().min(1),
    replacement: z.string().default("***REDACTED***"),
    /** A line the pattern must redact: the ingestion proof writes it and requires it back redacted. */
    canary: z.string().min(1).optional(),
  })
  .strict();

export const AlloySchema = z
  .object({
    /** Container names (exact) whose logs Alloy ships; nothing else is read from Docker. */
    dockerAllowlist: z.array(z.string().min(1)).default([]),
    /** systemd units whose journal entries Alloy ships. */
    journaldUnits: z.array(z.string().min(1)).default([]),
    redactions: z.array(RedactionSchema).default([]),
  })
  .strict();

export const VerifySchema = z
  .object({
    enabled: z.boolean().default(true),
    timeoutSeconds: z.number().int().min(5).max(3600).default(120),
    cardinalityLimit: z.number().int().min(1).default(100),
    requiredLabels: z.array(z.string().min(1)).default(["job", "filename"]),
    health: z.boolean().default(true),
    reachability: z.boolean().default(true),
    ingestion: z.boolean().default(true),
    labels: z.boolean().default(true),
    dashboards: z.boolean().default(true),
    rules: z.boolean().default(true),
    provenance: z.boolean().default(true),
    configDrift: z.boolean().default(true),
    /** L9: the always-firing Watchdog alert reaches alerting.watchdogReceiver. */
    alertDelivery: z.boolean().default(true),
    /** Where verify reads the notifications a test receiver got (the test environment's webhook sink); unset elsewhere. */
    alertSinkUrl: z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http(s) URL").optional(),
  })
  .strict();

// Alerting (schema v2). Every credential (webhook URL, Slack API URL, SMTP password) is only valid
// as a Pulumi secret (lint: E_CONFIG_SECRET_PLAINTEXT) and reaches Alertmanager as a 0440 file
// named by a *_file field, never inline in the rendered config.
const RECEIVER_NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
const secretString = z.string().min(1);

export const WebhookReceiverSchema = z
  .object({
    /** Secret: the URL may embed a token. */
    url: secretString,
  })
  .strict();

export const EmailReceiverSchema = z
  .object({
    to: z.string().min(3),
    from: z.string().min(3),
    /** host:port of the SMTP server. */
    smarthost: z.string().regex(/^[^\s:]+:[0-9]{1,5}$/, "must be host:port"),
    authUsername: z.string().min(1).optional(),
    /** Secret. */
    authPassword: secretString.optional(),
    requireTls: z.boolean().default(true),
  })
  .strict();

export const SlackReceiverSchema = z
  .object({
    /** Secret: a Slack incoming-webhook URL is itself the credential. */
    apiUrl: secretString,
    channel: z.string().min(1),
  })
  .strict();

export const ReceiverSchema = z
  .object({
    name: z.string().regex(RECEIVER_NAME, "lowercase letters, digits, '-' or '_' (it names the receiver's secret files)"),
    webhook: WebhookReceiverSchema.optional(),
    email: EmailReceiverSchema.optional(),
    slack: SlackReceiverSchema.optional(),
  })
  // Exactly one of webhook/email/slack: a lint rule (rules/alerting.ts), which the JSON Schema twin
  // could not express as zod generates it.
  .strict();

export const SEVERITIES = ["critical", "warning", "info"] as const;

export const AlertRouteSchema = z
  .object({
    severity: z.enum(SEVERITIES),
    receiver: z.string().min(1),
  })
  .strict();

/** The receiver a stack without receivers routes to: no integration, every notification dropped. */
export const BLACKHOLE_RECEIVER = "blackhole";

export const AlertingSchema = z
  .object({
    receivers: z.array(ReceiverSchema).default([]),
    routes: z.array(AlertRouteSchema).default([]),
    defaultReceiver: z.string().min(1).default(BLACKHOLE_RECEIVER),
    /** Receives the always-firing Watchdog alert quickly and repeatedly (heartbeat, L9). */
    watchdogReceiver: z.string().min(1).optional(),
    /** false: Alertmanager's port (if published) binds to 127.0.0.1 whatever exposure.bindAddress says. */
    lanExposed: z.boolean().default(false),
  })
  .strict();

export const ExposureSchema = z
  .object({
    bindAddress: z.string().regex(IPV4, "must be an IPv4 address"),
    lanExposed: z.boolean().default(false),
    /** Services whose port is bound to 127.0.0.1 whatever bindAddress says (e.g. Loki on a LAN host). */
    loopbackOnly: z.array(z.enum(SERVICES)).default([]),
  })
  .strict();

export const CadvisorSchema = z
  .object({
    /** false: for engines that refuse privileged containers (fewer disk metrics; components/services.ts). */
    privileged: z.boolean().default(true),
  })
  .strict();

export const PrometheusSchema = z
  .object({
    /** --web.enable-lifecycle (unauthenticated /-/reload and /-/quit): loopback-published Prometheus only. */
    webLifecycle: z.boolean().default(false),
  })
  .strict();

export const BackupsSchema = z
  .object({
    /** Upgrades (apply runs that changed a pinned image) whose data snapshots are kept; older ones are deleted, each named in the run's output. */
    keep: z.number().int().min(1).max(1000).default(3),
  })
  .strict();

// The fleet (schema v3, docs/FLEET.md). One host is central (Grafana, Loki, Prometheus,
// Alertmanager, the gateway); every host runs the agents (Alloy, node-exporter, cAdvisor).

/** Per-host overrides of the top-level paths (hosts.ts hostPaths merges them). */
export const HOST_PATH_KEYS = ["logsRoot", "telemetryRoot", "journalDir", "dockerSocket"] as const;
export const HostPathsSchema = z
  .object({
    logsRoot: absPath.optional(),
    telemetryRoot: absPath.optional(),
    journalDir: absPath.optional(),
    dockerSocket: absPath.optional(),
  })
  .strict();

/** Per-host overrides of the top-level alloy lists (hosts.ts hostAlloy merges them); redactions are the same everywhere. */
export const HOST_ALLOY_KEYS = ["dockerAllowlist", "journaldUnits"] as const;
export const HostAlloySchema = z
  .object({
    dockerAllowlist: z.array(z.string().min(1)).optional(),
    journaldUnits: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** TLS client certificate for a tcp:// engine, PEM text; each leaf only ever a Pulumi secret (rules/secrets.ts). */
export const DockerTlsSchema = z
  .object({
    caPem: secretString,
    certPem: secretString,
    keyPem: secretString,
  })
  .strict();

export const HostDockerSchema = z
  .object({
    /** unix:///<absolute path>, ssh://user@host[:port] or tcp://host:port (tcp only with tls). */
    host: z.string().regex(DOCKER_HOST_URL, "must be unix:///<absolute path>, ssh://user@host[:port] or tcp://host:port"),
    tls: DockerTlsSchema.optional(),
  })
  .strict();

export const HostSchema = z
  .object({
    /** DNS label, unique: the value of every series' and stream's `host` label, and part of the host's resource names. */
    name: z.string().regex(DNS_LABEL, "must be a DNS label"),
    /** Exactly one host is central. */
    central: z.boolean().default(false),
    docker: HostDockerSchema,
    /** IPv4 address: the central host's is where the other hosts' agents reach the gateway. */
    address: z.string().regex(IPV4, "must be an IPv4 address"),
    paths: HostPathsSchema.optional(),
    alloy: HostAlloySchema.optional(),
  })
  .strict();

/** The gateway's image when gateway.image is not set: Caddy's official Alpine image (busybox wget for its healthcheck). */
export const DEFAULT_GATEWAY_IMAGE = "caddy:2.11.9-alpine";

export const GatewaySchema = z
  .object({
    /** Published on the central host (exposure.bindAddress), TLS and per-host authentication only. */
    port,
    /** Caddy 2.11 (its JSON config is rendered for it); pinned like images.* (rules/images.ts). */
    image: imageRef.default(DEFAULT_GATEWAY_IMAGE),
  })
  .strict();

const memoryMb = z.number().int().min(32).max(65536);
export const LimitsSchema = z
  .object({
    grafana: memoryMb.optional(),
    loki: memoryMb.optional(),
    alloy: memoryMb.optional(),
    prometheus: memoryMb.optional(),
    nodeExporter: memoryMb.optional(),
    cadvisor: memoryMb.optional(),
    alertmanager: memoryMb.optional(),
  })
  .strict();

export const StackConfigSchema = z
  .object({
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    projectName: z.string().regex(DNS_LABEL, "must be a DNS label"),
    offlineMode: z.boolean().default(false),
    /** Every image pinned by digest (prod): a tag-only pin is a lint error wherever the digest is known. */
    requireImageDigests: z.boolean().default(false),
    /** Schema v3: the hosts of the fleet, one of them central (a v2 stack migrates to a fleet of one). */
    hosts: z.array(HostSchema).min(1),
    exposure: ExposureSchema,
    ports: PortsSchema,
    /** Required once a host is not central (rules/hosts.ts); a fleet of one has no gateway. */
    gateway: GatewaySchema.optional(),
    paths: PathsSchema,
    images: ImagesSchema,
    retention: z.object({ logs: z.string().regex(DURATION), metrics: z.string().regex(DURATION) }).strict(),
    alloy: AlloySchema.default({ dockerAllowlist: [], journaldUnits: [], redactions: [] }),
    verify: VerifySchema.default(VerifySchema.parse({})),
    /** Memory limits in MiB per service; defaults in components/defaults.ts. */
    limits: LimitsSchema.default({}),
    cadvisor: CadvisorSchema.default({ privileged: true }),
    prometheus: PrometheusSchema.default({ webLifecycle: false }),
    backups: BackupsSchema.default({ keep: 3 }),
    alerting: AlertingSchema.default({ receivers: [], routes: [], defaultReceiver: BLACKHOLE_RECEIVER, lanExposed: false }),
    /** Only ever a Pulumi secret; the lint refuses plaintext. Absent: generated by random.RandomPassword. */
    grafanaAdminPassword: z.string().min(1).optional(),
  })
  .strict();

/** Input shape (before defaults) and output shape (defaults applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;
export type StackConfig = z.output<typeof StackConfigSchema>;
export type Redaction = z.output<typeof RedactionSchema>;
export type Alerting = z.output<typeof AlertingSchema>;
export type Receiver = z.output<typeof ReceiverSchema>;
export type Host = z.output<typeof HostSchema>;
export type HostPathKey = (typeof HOST_PATH_KEYS)[number];

/** Top-level keys of the project namespace, in the order the docs list them. */
export const CONFIG_KEYS = Object.keys(StackConfigSchema.shape) as (keyof StackConfig)[];

/** A schema type without its .default()/.optional() wrappers. */
function unwrapped(t: z.ZodType): z.ZodType {
  let cur = t;
  while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodType;
  return cur;
}

/** Keys holding a mapping or a list: Pulumi hands their values to the program as JSON strings. */
export const STRUCTURED_KEYS: ReadonlySet<string> = new Set(
  CONFIG_KEYS.filter((k) => {
    const t = unwrapped(StackConfigSchema.shape[k]);
    return t instanceof z.ZodObject || t instanceof z.ZodArray;
  }),
);
