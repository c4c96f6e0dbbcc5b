// Alertmanager: route tree and receivers from `alerting` (schema v2). Pure: config in, text out.
// Credentials never appear here: each receiver's field names a 0440 file (url_file, api_url_file,
// auth_password_file) that the Alertmanager component uploads from a Pulumi secret, so the rendered
// file (what `render` writes, L8 hashes and evidence may copy) holds paths only.
import { Alerting, BLACKHOLE_RECEIVER, Receiver, StackConfig } from "../../contracts/config/schema";
import { atLeast, imageVersion } from "../../contracts/config/versions";
import { CONTAINER_PORT, FILES } from "../defaults";
import { GENERATED_HEADER, toYaml } from "./yaml";

/** The alert the rule library always fires (components/render/rules/watchdog.ts). */
export const WATCHDOG_ALERT = "Watchdog";

/**
 * Watchdog's route timing: first notification at once, then every minute, so a proof (L9) or an
 * external dead man's switch sees it within about a minute of a working pipeline.
 */
export const WATCHDOG_TIMING = { group_wait: "0s", group_interval: "10s", repeat_interval: "1m" } as const;

/**
 * Where the Watchdog goes: `alerting.watchdogReceiver`, else the integration-less `blackhole`.
 * Never the default receiver: an alert that fires every minute would page whoever gets the rest.
 * The renderer's route and L9's expectation both come from here.
 */
export function watchdogReceiverOf(a: Pick<Alerting, "watchdogReceiver">): string {
  return a.watchdogReceiver ?? BLACKHOLE_RECEIVER;
}

/** Camel-case config field -> kebab file-name part (apiUrl -> api-url). */
function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Path inside the container of one receiver credential: <secrets dir>/<receiver>-<kind>-<field>. */
export function alertmanagerSecretPath(receiver: string, kind: string, field: string): string {
  return `${FILES.alertmanagerSecretsDir}/${receiver}-${kind}-${kebab(field)}`;
}

function receiverObject(r: Receiver): Record<string, unknown> {
  const out: Record<string, unknown> = { name: r.name };
  if (r.webhook) {
    out.webhook_configs = [{ url_file: alertmanagerSecretPath(r.name, "webhook", "url"), send_resolved: true }];
  }
  if (r.slack) {
    out.slack_configs = [{ api_url_file: alertmanagerSecretPath(r.name, "slack", "apiUrl"), channel: r.slack.channel, send_resolved: true }];
  }
  if (r.email) {
    const e = r.email;
    out.email_configs = [
      {
        to: e.to,
        from: e.from,
        smarthost: e.smarthost,
        require_tls: e.requireTls,
        send_resolved: true,
        ...(e.authUsername !== undefined ? { auth_username: e.authUsername } : {}),
        ...(e.authPassword !== undefined ? { auth_password_file: alertmanagerSecretPath(r.name, "email", "authPassword") } : {}),
      },
    ];
  }
  return out;
}

/** Receivers as rendered: the configured ones, plus the integration-less `blackhole` unless defined. */
export function renderedReceivers(cfg: Pick<StackConfig, "alerting">): Record<string, unknown>[] {
  const list = cfg.alerting.receivers.map(receiverObject);
  if (!cfg.alerting.receivers.some((r) => r.name === BLACKHOLE_RECEIVER)) list.unshift({ name: BLACKHOLE_RECEIVER });
  return list;
}

export function alertmanagerConfigObject(cfg: Pick<StackConfig, "alerting">): Record<string, unknown> {
  const a = cfg.alerting;
  const routes: Record<string, unknown>[] = [
    // First, so no severity route catches it. Without a watchdogReceiver the always-firing alert is
    // dropped rather than repeated to the default receiver.
    { matchers: [`alertname="${WATCHDOG_ALERT}"`], receiver: watchdogReceiverOf(a), ...WATCHDOG_TIMING },
    ...a.routes.map((r) => ({ matchers: [`severity="${r.severity}"`], receiver: r.receiver })),
  ];
  return {
    route: {
      receiver: a.defaultReceiver,
      group_by: ["alertname", "severity"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes,
    },
    receivers: renderedReceivers(cfg),
  };
}

export function renderAlertmanagerConfig(cfg: Pick<StackConfig, "alerting">): string {
  return toYaml(alertmanagerConfigObject(cfg), GENERATED_HEADER);
}

/** Alertmanager labels its notification counters with `receiver_name` behind this flag (0.27+). */
export const RECEIVER_NAME_FEATURE = "receiver-name-in-metrics";

/** True when the pinned Alertmanager can label its notification counters by receiver. */
export function receiverNameInMetrics(image: string): boolean {
  const v = imageVersion(image);
  return v !== undefined && atLeast(v, "0.27.0");
}

/**
 * The Alertmanager command line (the image's entrypoint is /bin/alertmanager). Counters per
 * receiver (where the version has them) let L9 attribute a delivery to the Watchdog's receiver.
 */
export function alertmanagerArgs(image: string): string[] {
  return [
    `--config.file=${FILES.alertmanagerConfig}`,
    "--storage.path=/alertmanager",
    `--web.listen-address=:${CONTAINER_PORT.alertmanager}`,
    // Empty: one instance, no gossip mesh (it would otherwise listen on 9094 and look for peers).
    "--cluster.listen-address=",
    ...(receiverNameInMetrics(image) ? [`--enable-feature=${RECEIVER_NAME_FEATURE}`] : []),
  ];
}
