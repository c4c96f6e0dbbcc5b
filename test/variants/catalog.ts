// The spread of stack configs test:variants deploys to the one warm test environment, each derived
// from the environment's own stack file (the alert sink receiver included). A variant is a patch on
// that file's config map plus the secrets it sets and what it needs from the host; what verify must
// report for it is not written here: expectedOutcome() derives it from the config.
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";

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

/** The 2024 pins: the source document's image versions, kept as it gives them (test/contracts/versions.test.ts lints them). */
export const PINS_2024_FILE = path.resolve(__dirname, "..", "fixtures", "config", "Pulumi.pins-2024.yaml");

/**
 * Prometheus in pins-2024: v2.55.1 instead of the fixture's v2.52.0. Both are 2024 releases that the
 * stack renders alike (retention as a flag before 3.8 is the one Prometheus version decision in the
 * program), and 2.55.1 is the build the environment already has (the upgrade drill's "before");
 * 2.52.0 (module v0.52.0, served) would be a wrapper and a cold build of ~10 minutes more.
 */
export const PROMETHEUS_2024 = "v2.55.1";

/**
 * Where each 2024 pin runs from in the test environment's registry: a real build of that version
 * (test/engine/build-services.sh), or the double that imitates it (test/env/doubles/README.md). cAdvisor
 * is the double at v0.49.1: the library module our cAdvisor main builds over (github.com/google/cadvisor/lib)
 * is served from v0.60.5 only, and 0.49.1's library (its root module) has another API.
 */
export const PINS_2024_REPOSITORY: Record<string, string> = {
  grafana: "doubles/grafana",
  loki: "doubles/loki",
  alloy: "doubles/alloy",
  cadvisor: "doubles/cadvisor",
  prometheus: "testenv/prometheus",
  nodeExporter: "testenv/node-exporter",
  alertmanager: "testenv/alertmanager",
};

const tagOf = (ref: string) => ref.replace(/@sha256:[0-9a-f]{64}$/, "").replace(/^.*:(?=[^/:]+$)/, "");

/**
 * The 2024 pins' images in the test environment: the registry the environment's own images come
 * from, each service's PINS_2024_REPOSITORY at the pin's tag, Prometheus at PROMETHEUS_2024.
 */
export function pins2024Images(envImages: Record<string, string>, pins: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [svc, ref] of Object.entries(envImages)) {
    const pin = pins[svc];
    if (!pin) throw new Error(`the 2024 pins have no images.${svc}`);
    const registry = ref.split("/")[0];
    out[svc] = `${registry}/${PINS_2024_REPOSITORY[svc]}:${svc === "prometheus" ? PROMETHEUS_2024 : tagOf(pin)}`;
  }
  return out;
}

function pins2024(): Record<string, string> {
  const doc = YAML.parse(fs.readFileSync(PINS_2024_FILE, "utf8")) as { config: Record<string, unknown> };
  return doc.config[K("images")] as Record<string, string>;
}

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
  {
    name: "pins-2024",
    about: `the 2024 pins (Grafana 11.1.0, Loki 3.0.0, Alloy v1.2.1, cAdvisor v0.49.1: doubles of those versions; Alertmanager 0.27.0, node-exporter 1.8.1: real builds; Prometheus ${PROMETHEUS_2024}, a real 2024 build, for the fixture's v2.52.0); the Watchdog to a Slack receiver`,
    patch(cfg) {
      Object.assign(obj(cfg, "images"), pins2024Images(obj(cfg, "images") as Record<string, string>, pins2024()));
      // Alertmanager 0.27 cannot run the sink's webhook receiver (url_file: the lint refuses it,
      // E_CONFIG_RECEIVER_UNSUPPORTED): a Slack receiver on the sink takes its place, default and
      // Watchdog; L9 reads 0.27's per-receiver counters (receiver-name-in-metrics).
      const a = alerting(cfg);
      a.receivers = [{ name: "chat", slack: { channel: "#alerts" } }];
      a.defaultReceiver = "chat";
      a.watchdogReceiver = "chat";
      delete obj(cfg, "verify").alertSinkUrl;
    },
    secrets: (env) => ({ [`${K("alerting")}.receivers[0].slack.apiUrl`]: `http://${env.gateway}:19108/slack/chat` }),
  },
];
