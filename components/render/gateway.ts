// The gateway (Caddy, on the central host; docs/FLEET.md): TLS and per-host HTTP basic
// authentication in front of Loki's push API and Prometheus' remote-write receiver, the only way
// the other hosts' agents reach the central host. Rendered as Caddy's native JSON config (the
// structure of caddyserver.com/docs/json, checked against Caddy 2.11's own module structs and
// accepted by `caddy validate` in test/components/gateway.test.ts) through the sorted-key serializer.
//
// Nothing secret is in the file, so it is a pure function of the host names: the TLS key and the
// per-host password hashes are separate uploads the config names by path. Each account's
// `password` is the placeholder `{file.<path>}`, which Caddy's http_basic provider replaces with
// the file's content (trailing newline trimmed) when it provisions; a hash starting with `$` is
// taken in Modular Crypt Format (a bcrypt `$2a$...` as random.RandomPassword's bcryptHash gives),
// anything else as base64. A missing file leaves the password empty and Caddy refuses to start.
import { remoteHosts } from "../../contracts/config/hosts";
import type { StackConfig } from "../../contracts/config/schema";
import { BootstrapError } from "../../contracts/errors";
import { CONTAINER_PORT, KEBAB } from "../defaults";
import { toSortedJson } from "./yaml";

/** The gateway's service key: its container's `logging-bootstrap.service` label, its L8 and configSecretDigests key, its folder in render's files/. */
export const GATEWAY_SERVICE = "gateway";

/** The port Caddy listens on inside its container (published as gateway.port on the central host). */
export const GATEWAY_PORT_IN_CONTAINER = 8443;

/** Where the gateway container receives its files. */
export const GATEWAY_FILES = {
  config: "/etc/caddy/caddy.json",
  /** The server certificate (IP SAN: the central host's address), PEM; its chain's CA is what the agents trust. */
  certificate: "/etc/caddy/tls/gateway.crt",
  /** The server certificate's private key, PEM: a secret upload (0440). */
  key: "/etc/caddy/tls/gateway.key",
  /** One bcrypt hash per non-central host, `<host>.bcrypt`: secret uploads (0440). */
  secretsDir: "/etc/caddy/secrets",
} as const;

/**
 * The container's healthcheck listener: plain HTTP on the container's own loopback (never published),
 * answering 200 at `path`. Caddy provisions every app and server of the config before it serves
 * anything (a certificate that does not load stops it), so an answer here means the TLS listener is
 * up too. Not HTTPS: the images' BusyBox wget cannot be relied on for TLS (Alpine's goes through
 * ssl_client, a BusyBox without it offers ciphers Go's TLS stack refuses).
 */
export const GATEWAY_HEALTH = { listen: "127.0.0.1:8081", path: "/healthz" } as const;

/** The tag of the one loaded certificate: the TLS connection policy serves it whatever the client's SNI. */
export const GATEWAY_CERT_TAG = "logging-bootstrap-gateway";

/** The realm the 401 answers name. */
export const GATEWAY_REALM = "logging-bootstrap";

/** The two paths the gateway serves: Loki's push API and Prometheus' remote-write receiver, as upstream names them. */
export const GATEWAY_PATHS = { lokiPush: "/loki/api/v1/push", remoteWrite: "/api/v1/write" } as const;

/** What the gateway forwards, by exact path, to the service on the stack network (aliases = kebab service names). */
export const GATEWAY_ROUTES: readonly { path: string; upstream: string }[] = [
  { path: GATEWAY_PATHS.lokiPush, upstream: `${KEBAB.loki}:${CONTAINER_PORT.loki}` },
  { path: GATEWAY_PATHS.remoteWrite, upstream: `${KEBAB.prometheus}:${CONTAINER_PORT.prometheus}` },
];

/** The file holding `host`'s bcrypt hash inside the gateway container. */
export function gatewayPasswordHashFile(host: string): string {
  return `${GATEWAY_FILES.secretsDir}/${host}.bcrypt`;
}

/** What the gateway config is rendered from. */
export interface GatewayParams {
  /** The non-central hosts' names: one account each (username = host name), in the order given. */
  accounts: readonly string[];
}

/** A fleet's gateway: one account per non-central host, in the order of the stack file. */
export function gatewayParams(cfg: Pick<StackConfig, "hosts">): GatewayParams {
  return { accounts: remoteHosts(cfg).map((h) => h.name) };
}

/** Host names become usernames and file names: DNS labels only (the schema's rule), unique, at least one. */
function checkAccounts(accounts: readonly string[]): void {
  if (accounts.length === 0) throw new BootstrapError("E_INTERNAL", "the gateway exists only for a fleet: it needs at least one non-central host");
  for (const a of accounts) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(a)) throw new BootstrapError("E_INTERNAL", `gateway account ${JSON.stringify(a)} is not a DNS label`);
  }
  if (new Set(accounts).size !== accounts.length) throw new BootstrapError("E_INTERNAL", `gateway accounts are not unique: ${accounts.join(", ")}`);
}

/** Caddy's JSON config as an object (http app: one TLS-only server; tls app: the loaded certificate). */
export function gatewayConfigObject(p: GatewayParams): Record<string, unknown> {
  checkAccounts(p.accounts);
  const authenticate = {
    handler: "authentication",
    providers: {
      http_basic: {
        hash: { algorithm: "bcrypt" },
        // Caches successful comparisons in memory: bcrypt on every push would cost each request ~50 ms of CPU.
        hash_cache: {},
        realm: GATEWAY_REALM,
        accounts: p.accounts.map((username) => ({ username, password: `{file.${gatewayPasswordHashFile(username)}}` })),
      },
    },
  };
  const routes: Record<string, unknown>[] = GATEWAY_ROUTES.map((r) => ({
    match: [{ path: [r.path] }],
    handle: [
      authenticate,
      // The credential is the gateway's business: Loki and Prometheus never see it.
      { handler: "reverse_proxy", upstreams: [{ dial: r.upstream }], headers: { request: { delete: ["Authorization"] } } },
    ],
    terminal: true,
  }));
  // Anything else: 404, credentials or not.
  routes.push({ handle: [{ handler: "static_response", status_code: 404 }] });
  return {
    // No admin API: the config only changes by replacing the container, and nothing is persisted.
    admin: { disabled: true, config: { persist: false } },
    apps: {
      http: {
        servers: {
          gateway: {
            listen: [`:${GATEWAY_PORT_IN_CONTAINER}`],
            // TCP only (the published port is TCP): no HTTP/3 listener on UDP.
            protocols: ["h1", "h2"],
            // No ACME, no HTTP->HTTPS redirect listener on :80: the certificate is loaded from files.
            automatic_https: { disable: true },
            // Agents dial the central host's IP address, so there is no SNI; Docker's NAT makes the
            // local address the container's own. Select the one loaded certificate by its tag instead.
            tls_connection_policies: [{ certificate_selection: { any_tag: [GATEWAY_CERT_TAG] }, protocol_min: "tls1.2" }],
            routes,
          },
          // The healthcheck's (GATEWAY_HEALTH): loopback only, nothing else served there.
          health: {
            listen: [GATEWAY_HEALTH.listen],
            protocols: ["h1"],
            automatic_https: { disable: true },
            routes: [
              { match: [{ path: [GATEWAY_HEALTH.path] }], handle: [{ handler: "static_response", status_code: 200, body: "ok\n" }], terminal: true },
              { handle: [{ handler: "static_response", status_code: 404 }] },
            ],
          },
        },
      },
      tls: {
        certificates: {
          load_files: [{ certificate: GATEWAY_FILES.certificate, key: GATEWAY_FILES.key, tags: [GATEWAY_CERT_TAG] }],
        },
      },
    },
  };
}

/** The config file's text: JSON with sorted keys, 2-space indent, trailing newline (Caddy's JSON has no comments). */
export function renderGatewayConfig(p: GatewayParams): string {
  return toSortedJson(gatewayConfigObject(p));
}

/**
 * The gateway container's command. The official image has no entrypoint (its CMD runs a Caddyfile),
 * so the command names the binary; a `.json` config file is loaded as JSON without an adapter.
 */
export function gatewayArgs(): string[] {
  return ["caddy", "run", "--config", GATEWAY_FILES.config];
}
