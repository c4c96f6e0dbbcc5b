// The Grafana admin password, kept equal to the configured secret.
//
// Why this exists: Grafana applies GF_SECURITY_ADMIN_PASSWORD(__FILE) only when it creates the
// admin user, on its first start against an empty database. Two ordinary operations leave the
// stored password different from the one this stack holds: changing `grafanaAdminPassword`
// (the container is replaced with the new file, the retained data volume keeps the old hash),
// and `destroy` then `up` (data volumes are retained, a generated password is generated anew).
// Either way every API call and the L5 proof would get 401 with no way back short of deleting data.
//
// So: log in with the configured password; if Grafana refuses it, reset it with Grafana's own
// `grafana cli admin reset-admin-password --password-from-stdin` inside the container (the
// secret travels on stdin, never in a command line), then log in again to prove it took.
// Read (refresh) only logs in: a password changed behind the stack's back shows as drift and the
// next `up` resets it. State never holds the password (like the proofs): read takes it from the
// file the running Grafana was given.
import { BootstrapError } from "../../contracts/errors";
import { basicAuth, GRAFANA_LOCKOUT_ID, grafanaLockedOut, joinUrl, retryUntil, transportReason } from "./checks";
import { makeIo } from "./io";
import { canonical, desired, grafanaPassword, num, type Props } from "./runtime";
import type { Io } from "./types";

export type LoginState = "in-sync" | "refused" | "locked" | "unreachable";

export interface GrafanaAdminInput {
  grafanaUrl: string;
  user: string;
  password: string;
  container: string;
  resetCommand: string[];
  deadlineSeconds: number;
  timeoutMs: number;
}

export interface LoginProbe {
  state: LoginState;
  /** Why, in one line (HTTP status or transport reason); never the password. */
  detail: string;
  attempts: number;
}

/**
 * Log in as the admin user (GET /api/user). 200 with the user's login: in-sync. 401: refused,
 * at once (a wrong password does not get better by waiting). Anything else is retried until the
 * deadline (Grafana may still be migrating its database on a first start), then reported as
 * unreachable. The attempt cap (60 at <= 2 s apart) sits above the deadline, so the deadline binds.
 */
export async function probeLogin(input: Omit<GrafanaAdminInput, "container" | "resetCommand">, io: Io): Promise<LoginProbe> {
  let state: LoginState = "unreachable";
  let detail = "";
  const { attempts } = await retryUntil(io.clock, { deadlineMs: input.deadlineSeconds * 1000, maxAttempts: 60, backoff: { initialMs: 250, factor: 2, maxMs: 2000 } }, async () => {
    try {
      const res = await io.http({ url: joinUrl(input.grafanaUrl, "/api/user"), headers: { Authorization: basicAuth(input.user, input.password), Accept: "application/json" }, timeoutMs: input.timeoutMs });
      if (res.status === 401) {
        // The lockout answers 401 too, to the right password as well: it says nothing about the password.
        const locked = grafanaLockedOut(res.body);
        state = locked ? "locked" : "refused";
        detail = locked ? `HTTP 401 ${GRAFANA_LOCKOUT_ID} (user locked out after repeated failed logins)` : "HTTP 401 (credentials refused)";
        return { findings: [] };
      }
      if (res.status === 200) {
        let login: unknown;
        try {
          login = (JSON.parse(res.body) as { login?: unknown }).login;
        } catch {
          login = undefined;
        }
        if (login === input.user) {
          state = "in-sync";
          detail = "HTTP 200";
          return { findings: [] };
        }
        detail = `HTTP 200 but the body is not user ${input.user}`;
        return { findings: [detail] };
      }
      state = "unreachable";
      detail = `HTTP ${res.status}`;
      return { findings: [detail] };
    } catch (e) {
      state = "unreachable";
      detail = `no answer (${transportReason(e)})`;
      return { findings: [detail] };
    }
  });
  return { state, detail, attempts };
}

function redact(text: string, secret: string): string {
  return secret === "" ? text : text.split(secret).join("[redacted]");
}

/** Apply: make Grafana accept the configured password; throws a coded error when it cannot. */
export async function reconcileGrafanaAdmin(input: GrafanaAdminInput, io: Io): Promise<{ action: "none" | "reset" }> {
  const first = await probeLogin(input, io);
  if (first.state === "in-sync") return { action: "none" };
  if (first.state === "locked") {
    throw new BootstrapError("E_RUNTIME_GRAFANA_LOCKED", `Grafana at ${input.grafanaUrl} has locked user ${input.user} out after repeated failed logins (${first.detail}): the configured password was not judged and is not reset`);
  }
  if (first.state === "unreachable") {
    throw new BootstrapError("E_NETWORK_UNREACHABLE", `Grafana at ${input.grafanaUrl} did not answer a login within ${input.deadlineSeconds} s (${first.attempts} attempts, last: ${first.detail})`);
  }
  const r = await io.docker.exec(input.container, [...input.resetCommand], Math.max(input.timeoutMs, 30_000), `${input.password}\n`);
  if (r.exitCode !== 0) {
    // A Grafana still creating its admin user on a first start may refuse for a moment and have no
    // user for the CLI to reset: if the configured password logs in now, there is nothing to fix.
    if ((await probeLogin({ ...input, deadlineSeconds: 5 }, io)).state === "in-sync") return { action: "none" };
    const out = redact(`${r.stderr}\n${r.stdout}`.trim(), input.password).slice(-600);
    throw new BootstrapError("E_RUNTIME_GRAFANA_ADMIN_PASSWORD", `Grafana refused the configured admin password and \`grafana cli admin reset-admin-password\` in ${input.container} exited ${r.exitCode}: ${out}`);
  }
  const after = await probeLogin(input, io);
  if (after.state !== "in-sync") {
    throw new BootstrapError("E_RUNTIME_GRAFANA_ADMIN_PASSWORD", `Grafana still refuses the configured admin password after the reset in ${input.container} (${after.detail})`);
  }
  return { action: "reset" };
}

// --- provider operations (providers.ts forwards to these) -----------------------------------------

const REQUIRED = ["grafanaUrl", "user", "container", "passwordFile", "resetCommand"] as const;
const STATE_KEY = "state";

function adminInput(props: Props, password: string, deadlineSeconds?: number): GrafanaAdminInput {
  return {
    grafanaUrl: String(props.grafanaUrl),
    user: String(props.user),
    password,
    container: String(props.container),
    resetCommand: (props.resetCommand as string[]).map(String),
    deadlineSeconds: deadlineSeconds ?? num(props.deadlineSeconds, 60),
    timeoutMs: num(props.timeoutMs, 3000),
  };
}

/** Desired state: the inputs minus the secret, the provider text and the observed state. */
function desiredAdmin(props: Props): Props {
  const { [STATE_KEY]: _state, ...rest } = desired(props);
  void _state;
  return rest;
}

export function adminOutputs(props: Props, state: LoginState): Props {
  return { ...desiredAdmin(props), [STATE_KEY]: state };
}

export function adminCheck(news: Props): { inputs: Props; failures: { property: string; reason: string }[] } {
  const failures: { property: string; reason: string }[] = REQUIRED.filter((k) => news[k] === undefined || news[k] === null).map((k) => ({ property: k, reason: `GrafanaAdminPassword needs ${k}` }));
  if (typeof news.adminPassword !== "string" || news.adminPassword === "") failures.push({ property: "adminPassword", reason: "GrafanaAdminPassword needs a non-empty adminPassword" });
  return { inputs: news, failures };
}

export function adminDiff(olds: Props, news: Props): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  // The password itself is not in state: a new password arrives with a new container (its file is
  // an upload, and a changed upload replaces the container), so containerId carries the change.
  // A state other than in-sync (refresh saw the password refused) must be repaired on the next up.
  return { changes: olds[STATE_KEY] !== "in-sync" || canonical(desiredAdmin(olds)) !== canonical(desiredAdmin(news)), replaces: [], deleteBeforeReplace: false };
}

export async function adminApply(props: Props, io?: Io): Promise<Props> {
  const live = io ?? (await makeIo());
  await reconcileGrafanaAdmin(adminInput(props, String(props.adminPassword)), live);
  return adminOutputs(props, "in-sync");
}

export async function adminCreate(inputs: Props, io?: Io): Promise<{ id: string; outs: Props }> {
  return { id: `grafana-admin-${String(inputs.container)}`, outs: await adminApply(inputs, io) };
}

export async function adminRead(id: string, props: Props, io?: Io): Promise<{ id: string; props: Props }> {
  const live = io ?? (await makeIo());
  let password: string | undefined;
  try {
    password = await grafanaPassword({ grafanaContainer: props.container, passwordFile: props.passwordFile }, live);
  } catch {
    password = undefined; // container gone or Docker unreachable: Grafana cannot be logged into either
  }
  if (password === undefined) return { id, props: adminOutputs(props, "unreachable") };
  // Refresh must stay quick: a short deadline, and never a reset (read is read-only).
  const probe = await probeLogin(adminInput(props, password, 10), live);
  return { id, props: adminOutputs(props, probe.state) };
}
