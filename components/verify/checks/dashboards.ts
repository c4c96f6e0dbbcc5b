// L5 dashboards: every provisioned dashboard, as rendered, provisioned.
import type { ErrorCode } from "../../../contracts/errors";
import type { Io, ProofResult } from "../types";
import { basicAuth, finish, isObj, joinUrl, parseJson, retryUntil, transportReason } from "./common";

export interface ExpectedDashboard {
  uid: string;
  title: string;
}

export interface DashboardsInput {
  grafanaUrl: string;
  user: string;
  password: string;
  dashboards: ExpectedDashboard[];
  /** Provisioned datasource uids whose health Grafana must report OK (it queries them from inside the stack network). */
  datasources?: string[];
  deadlineSeconds: number;
  timeoutMs: number;
}

/**
 * The admin password Grafana was given: its secret file inside the container (the archive API, no
 * `cat` in the image). It comes before any copy held elsewhere (a secrets file, the environment),
 * because a stale copy costs a failed login, and Grafana locks a user out after 5 of them.
 */
export async function containerGrafanaPassword(io: Io, container: string, file: string): Promise<string | undefined> {
  try {
    const f = await io.docker.readFile(container, file, 64 * 1024, 5000);
    return f.kind === "file" ? f.content.toString("utf8").replace(/\r?\n$/, "") : undefined;
  } catch {
    return undefined;
  }
}

/** Grafana's answer to any login while the user is locked out (pkg/services/authn/clients/password.go errLoginAttemptBlocked). */
export const GRAFANA_LOCKOUT_ID = "login-attempt.blocked";

/** True when a 401 body is Grafana's lockout, not a wrong password (both say "Invalid username or password"). */
export function grafanaLockedOut(body: string): boolean {
  const p = parseJson(body);
  return p.ok && isObj(p.value) && p.value.messageId === GRAFANA_LOCKOUT_ID;
}

type DashAttempt = { findings: string[]; stop?: boolean; code?: ErrorCode };

export async function checkDashboards(input: DashboardsInput, io: Io): Promise<ProofResult> {
  const t0 = io.clock.now();
  const auth = { Authorization: basicAuth(input.user, input.password), Accept: "application/json" };
  const searchUrl = joinUrl(input.grafanaUrl, "/api/search?type=dash-db");
  const expected = [...input.dashboards].sort((a, b) => a.uid.localeCompare(b.uid));
  const diagnostics: Record<string, unknown> = { url: searchUrl, expected };
  // A 401 stops at once: retrying a refused password walks into Grafana's login lockout. A lockout
  // already in place is its own condition: the password was not even judged.
  const refused = (what: string, body: string): DashAttempt =>
    grafanaLockedOut(body)
      ? { findings: [`${what}: HTTP 401 ${GRAFANA_LOCKOUT_ID}: Grafana has locked user ${input.user} out after repeated failed logins; the password was not judged (not retried, nothing reset)`], stop: true, code: "E_RUNTIME_GRAFANA_LOCKED" }
      : { findings: [`${what}: HTTP 401, Grafana refused the admin credentials (not retried: Grafana locks a user out after repeated failed logins)`], stop: true, code: "E_PROOF_GRAFANA_AUTH" };
  const { last, attempts } = await retryUntil<DashAttempt>(io.clock, { deadlineMs: input.deadlineSeconds * 1000, maxAttempts: 20, backoff: { initialMs: 250, factor: 2, maxMs: 2000 } }, async () => {
    try {
      const res = await io.http({ url: searchUrl, headers: auth, timeoutMs: input.timeoutMs });
      if (res.status === 401) return refused("grafana search API", res.body);
      if (res.status !== 200) return { findings: [`grafana search API: HTTP ${res.status}`] };
      const p = parseJson(res.body);
      if (!p.ok || !Array.isArray(p.value)) return { findings: ["grafana search API: body is not a JSON array"] };
      const listed = new Map(p.value.filter((d): d is Record<string, unknown> => isObj(d) && d.type === "dash-db" && typeof d.uid === "string").map((d) => [d.uid as string, d.title]));
      diagnostics.listed = [...listed.keys()].sort();
      const findings: string[] = [];
      const seen: Record<string, unknown>[] = [];
      for (const e of expected) {
        if (!listed.has(e.uid)) {
          findings.push(`dashboard ${e.uid} is not listed by Grafana`);
          continue;
        }
        // The dashboard itself: its uid and title as rendered, and provisioned (not a UI copy).
        const one = await io.http({ url: joinUrl(input.grafanaUrl, `/api/dashboards/uid/${encodeURIComponent(e.uid)}`), headers: auth, timeoutMs: input.timeoutMs });
        if (one.status === 401) return refused(`grafana dashboard API (${e.uid})`, one.body);
        const d = parseJson(one.body);
        const dash = d.ok && isObj(d.value) && isObj(d.value.dashboard) ? d.value.dashboard : undefined;
        const meta = d.ok && isObj(d.value) && isObj(d.value.meta) ? d.value.meta : undefined;
        seen.push({ uid: e.uid, status: one.status, title: dash?.title, provisioned: meta?.provisioned });
        if (one.status !== 200 || !dash || !meta) findings.push(`dashboard ${e.uid}: HTTP ${one.status}, no dashboard/meta in the answer`);
        else {
          if (dash.uid !== e.uid) findings.push(`dashboard ${e.uid}: Grafana answers uid ${JSON.stringify(dash.uid)}`);
          if (dash.title !== e.title) findings.push(`dashboard ${e.uid}: title is ${JSON.stringify(dash.title)}, rendered ${JSON.stringify(e.title)}`);
          if (meta.provisioned !== true) findings.push(`dashboard ${e.uid}: Grafana does not report it as provisioned (meta.provisioned is ${JSON.stringify(meta.provisioned)})`);
        }
      }
      diagnostics.dashboards = seen;
      // Grafana-to-backend connectivity: Grafana's own datasource health check (HTTP 200 with
      // status OK; 400 with status ERROR and the backend's error otherwise; pkg/api/datasources.go).
      const health: Record<string, unknown>[] = [];
      for (const uid of [...(input.datasources ?? [])].sort()) {
        const h = await io.http({ url: joinUrl(input.grafanaUrl, `/api/datasources/uid/${encodeURIComponent(uid)}/health`), headers: auth, timeoutMs: input.timeoutMs });
        if (h.status === 401) return refused(`grafana datasource health API (${uid})`, h.body);
        const b = parseJson(h.body);
        const status = b.ok && isObj(b.value) ? b.value.status : undefined;
        const message = b.ok && isObj(b.value) && typeof b.value.message === "string" ? b.value.message : undefined;
        health.push({ uid, httpStatus: h.status, status, message });
        if (h.status !== 200 || status !== "OK") findings.push(`datasource ${uid}: Grafana's health check is not OK (HTTP ${h.status}${message ? `: ${message.split("\n")[0].slice(0, 200)}` : ""})`);
      }
      if (health.length) diagnostics.datasources = health;
      return { findings };
    } catch (e) {
      return { findings: [`grafana API: no answer (${transportReason(e)})`] };
    }
  });
  diagnostics.attempts = attempts;
  return finish("L5", t0, io.clock, { findings: last.findings, diagnostics, redCode: last.code ?? "E_PROOF_DASHBOARDS" });
}
