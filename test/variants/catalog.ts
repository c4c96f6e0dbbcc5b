// The spread of stack configs test:variants deploys to the one warm test environment, each derived
// from the environment's own stack file (the alert sink receiver included). A variant is a patch on
// that file's config map plus the secrets it sets and what it needs from the host; what verify must
// report for it is not written here: expectedOutcome() derives it from the config.
export type ConfigMap = Record<string, unknown>;

/** What a variant needs from the environment at run time. */
export interface VariantEnv {
  /** Address of the docker bridge gateway: containers reach the alert sink there. */
  gateway: string;
  /** A non-loopback address on this host for LAN exposure (a dummy interface the runner adds). */
  lanAddress: string;
  /** Registry digest per image reference (`repo:tag` -> `sha256:...`), for digest pins. */
  digests: Record<string, string>;
}

export interface Variant {
  name: string;
  /** What it shows, for the table. */
  about: string;
  patch(cfg: ConfigMap, env: VariantEnv): void;
  /** Secret leaves to set with `pulumi config set --secret --path` (path -> value). */
  secrets?(env: VariantEnv): Record<string, string>;
  /** The host needs the LAN test address. */
  lan?: boolean;
  /** Policy pack config for this variant (exposure-explicit must agree with a LAN-exposed stack). */
  policyConfig?: Record<string, unknown>;
}

const K = (k: string) => `logging-bootstrap:${k}`;
type Obj = Record<string, unknown>;
const obj = (cfg: ConfigMap, k: string): Obj => ((cfg[K(k)] ??= {}) as Obj);

/** The alerting block with the sink receiver the environment set (its URL is already a secure leaf). */
function alerting(cfg: ConfigMap): Obj {
  return obj(cfg, "alerting");
}

export const VARIANTS: readonly Variant[] = [
  { name: "testenv", about: "the test stack as the environment deploys it (webhook receiver, readable sink)", patch: () => undefined },
  {
    name: "prod-like",
    about: "LAN exposure on a test address (Grafana; everything that answers without authentication on loopback, as schema v3 requires), digests required, 30d logs / 15d metrics, prod limits",
    lan: true,
    policyConfig: { "exposure-explicit": { lanExposed: true, alertmanagerLanExposed: false }, "data-retained": "advisory" },
    patch(cfg, env) {
      cfg[K("exposure")] = { bindAddress: env.lanAddress, lanExposed: true, loopbackOnly: ["loki", "prometheus", "alloy", "nodeExporter", "cadvisor"] };
      cfg[K("requireImageDigests")] = true;
      const images = obj(cfg, "images");
      for (const [svc, ref] of Object.entries(images)) {
        const d = env.digests[String(ref)];
        if (!d) throw new Error(`no registry digest for ${String(ref)} (images.${svc})`);
        images[svc] = `${String(ref)}@${d}`;
      }
      cfg[K("retention")] = { logs: "30d", metrics: "15d" };
      cfg[K("limits")] = { loki: 2048, prometheus: 2048, grafana: 1024 };
    },
  },
  { name: "logs-90d", about: "90 days of logs (longer than Loki's 721h max_query_length)", patch: (cfg) => void (obj(cfg, "retention").logs = "90d") },
  {
    name: "default-receiver",
    about: "a real default receiver and no watchdog receiver: the Watchdog goes to blackhole (L9 warns)",
    patch: (cfg) => void delete alerting(cfg).watchdogReceiver,
  },
  {
    name: "slack",
    about: "the Watchdog to a Slack receiver (the sink's Slack endpoint); delivery proven from Alertmanager's per-receiver counters",
    patch(cfg) {
      const a = alerting(cfg);
      const receivers = a.receivers as Obj[];
      receivers.push({ name: "chat", slack: { channel: "#alerts" } });
      a.watchdogReceiver = "chat";
      delete obj(cfg, "verify").alertSinkUrl;
    },
    secrets: (env) => ({ [`${K("alerting")}.receivers[1].slack.apiUrl`]: `http://${env.gateway}:19108/slack/chat` }),
  },
  {
    name: "email",
    about: "the Watchdog to an e-mail receiver (the sink's SMTP port, with auth); delivery proven from Alertmanager's per-receiver counters",
    patch(cfg, env) {
      const a = alerting(cfg);
      const receivers = a.receivers as Obj[];
      receivers.push({ name: "mail", email: { to: "oncall@example.test", from: "alertmanager@example.test", smarthost: `${env.gateway}:19109`, requireTls: false, authUsername: "alertmanager" } });
      a.watchdogReceiver = "mail";
      delete obj(cfg, "verify").alertSinkUrl;
    },
    secrets: () => ({ [`${K("alerting")}.receivers[1].email.authPassword`]: "sink-smtp-password" }),
  },
  { name: "labels-off", about: "a disabled level (verify.labels: false): listed as skipped", patch: (cfg) => void (obj(cfg, "verify").labels = false) },
  { name: "offline", about: "offlineMode: nothing pulled, every image already on the engine", patch: (cfg) => void (cfg[K("offlineMode")] = true) },
];
