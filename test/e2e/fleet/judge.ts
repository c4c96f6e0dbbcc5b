// What the fleet act (test/e2e/fleet.ts) reads and decides, as pure functions: verify's --json report
// (levels and one line per fleet host), whether it is what a step wants, the stack file without a
// host, a bounded poll, and the final summary. Unit-tested in test/e2e/fleet-judge.test.ts.
import YAML from "yaml";

export const HOSTS_KEY = "logging-bootstrap:hosts";

/** The parts of verify's --json report the act looks at. */
export interface VerifyView {
  status: string;
  levels: { level: string; status: string; code?: string }[];
  hosts: { host: string; status: string; code?: string; findings: string[] }[];
  /** verify could not run (exit 3): its error record's code. */
  error?: string;
}

/** verify --json's stdout (the report is the first JSON object on it), or undefined. */
export function parseVerifyReport(stdout: string): VerifyView | undefined {
  const i = stdout.indexOf("{");
  if (i < 0) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(stdout.slice(i)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof doc.status !== "string") return undefined;
  const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const err = doc.error as { code?: unknown } | undefined;
  return {
    status: doc.status,
    levels: arr(doc.levels).map((l) => ({ level: String(l.level), status: String(l.status), ...(str(l.code) ? { code: str(l.code) } : {}) })),
    hosts: arr(doc.hosts).map((h) => ({
      host: String(h.host),
      status: String(h.status),
      ...(str(h.code) ? { code: str(h.code) } : {}),
      findings: Array.isArray(h.findings) ? h.findings.map(String) : [],
    })),
    ...(err && typeof err.code === "string" ? { error: err.code } : {}),
  };
}

const cut = (s: string, n = 160) => (s.length > n ? s.slice(0, n) + "…" : s);

/** One line of what a verify run showed: its exit, status, the levels not green, and every host. */
export function describeVerify(exit: number, v: VerifyView | undefined): string {
  if (!v) return `exit ${exit}, no JSON report on stdout`;
  if (v.error) return `exit ${exit}, could not run: ${v.error}`;
  const notGreen = v.levels.filter((l) => l.status !== "green");
  const levels = v.levels.length === 0 ? "no levels" : notGreen.length === 0 ? `${v.levels.length} levels green` : `levels not green: ${notGreen.map((l) => `${l.level} ${l.status}${l.code ? ` ${l.code}` : ""}`).join(", ")}`;
  const hosts = v.hosts.length === 0 ? "no host lines" : v.hosts.map((h) => `host ${h.host} ${h.status}${h.code ? ` ${h.code}` : ""}${h.status !== "green" && h.findings[0] ? ` (${cut(h.findings[0])})` : ""}`).join("; ");
  return `exit ${exit}, ${v.status}; ${levels}; ${hosts}`;
}

/** Why a verify run is not "green with a green line for each of `hosts`" (empty: it is). */
export function problemsAllGreen(exit: number, v: VerifyView | undefined, hosts: readonly string[]): string[] {
  if (!v) return [`no JSON report (exit ${exit})`];
  const out: string[] = [];
  if (exit !== 0) out.push(`exit ${exit}, want 0`);
  if (v.status !== "green") out.push(`status ${v.status}, want green`);
  for (const l of v.levels) if (l.status !== "green") out.push(`${l.level} is ${l.status}`);
  for (const name of hosts) {
    const h = v.hosts.find((x) => x.host === name);
    if (!h) out.push(`no line for host ${name}`);
    else if (h.status !== "green") out.push(`host ${name} is ${h.status}${h.code ? ` (${h.code})` : ""}`);
  }
  return out;
}

/**
 * Why a verify run is not "red (exit 1) naming host `down` with an E_PROOF_HOST_* code, every host of
 * `up` green, no level red" (empty: it is). A level red would mean one host's absence broke the centre.
 */
export function problemsHostDown(exit: number, v: VerifyView | undefined, down: string, up: readonly string[]): string[] {
  if (!v) return [`no JSON report (exit ${exit})`];
  const out: string[] = [];
  if (exit !== 1) out.push(`exit ${exit}, want 1`);
  if (v.status !== "red") out.push(`status ${v.status}, want red`);
  const d = v.hosts.find((x) => x.host === down);
  if (!d) out.push(`no line for host ${down}`);
  else {
    if (d.status !== "red") out.push(`host ${down} is ${d.status}, want red`);
    if (!d.code || !d.code.startsWith("E_PROOF_HOST_")) out.push(`host ${down}'s code is ${d.code ?? "none"}, want E_PROOF_HOST_*`);
  }
  for (const name of up) {
    const h = v.hosts.find((x) => x.host === name);
    if (!h) out.push(`no line for host ${name}`);
    else if (h.status !== "green") out.push(`host ${name} is ${h.status}${h.code ? ` (${h.code})` : ""}, want green`);
  }
  for (const l of v.levels) if (l.status === "red") out.push(`${l.level} is red${l.code ? ` (${l.code})` : ""}`);
  return out;
}

/**
 * The stack file's text without host `name` in `hosts` (everything else, comments and secure: leaves
 * included, as it was: the document is edited in place, as test/env/fleet/stack-file.ts does).
 */
export function withoutHost(text: string, name: string): string {
  const doc = YAML.parseDocument(text);
  const seq = doc.getIn(["config", HOSTS_KEY]);
  if (!YAML.isSeq(seq)) throw new Error(`the stack file has no ${HOSTS_KEY} list`);
  const i = seq.items.findIndex((it) => YAML.isMap(it) && it.get("name") === name);
  if (i < 0) throw new Error(`host ${name} is not in ${HOSTS_KEY}`);
  const item = seq.items[i];
  if (YAML.isMap(item) && item.get("central") === true) throw new Error(`host ${name} is the central host`);
  seq.items.splice(i, 1);
  return doc.toString();
}

/** The names in `hosts` of a stack file's text. */
export function hostNames(text: string): string[] {
  const hosts = (YAML.parse(text) as { config?: Record<string, unknown> } | null)?.config?.[HOSTS_KEY];
  return Array.isArray(hosts) ? hosts.map((h) => String((h as { name?: unknown }).name)) : [];
}

/** Whether two lists hold the same ids (order aside). */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Try<T> {
  done: boolean;
  seen: string;
  value?: T;
}

/**
 * A bounded poll: `attempt` until it is done or `maxMs` have passed since the first try (no try
 * starts after the deadline; each attempt bounds its own time). `onTry` hears every try: its number,
 * the seconds since the start, and what it saw.
 */
export async function poll<T>(c: Clock, maxMs: number, intervalMs: number, attempt: (n: number) => Promise<Try<T>>, onTry: (n: number, seconds: number, seen: string) => void): Promise<{ done: boolean; tries: number; last: Try<T> }> {
  const t0 = c.now();
  let n = 0;
  for (;;) {
    n++;
    const r = await attempt(n);
    onTry(n, Math.round((c.now() - t0) / 1000), r.seen);
    if (r.done) return { done: true, tries: n, last: r };
    if (c.now() - t0 + intervalMs > maxMs) return { done: false, tries: n, last: r };
    await c.sleep(intervalMs);
  }
}

export type StepStatus = "pass" | "fail" | "skipped";

export interface StepResult {
  n: number;
  title: string;
  status: StepStatus;
  seconds: number;
  saw: string;
}

/** The final summary: one line per step (pass/fail/skipped and seconds), then the verdict. */
export function formatSummary(steps: readonly StepResult[], totalSeconds: number): string {
  const w = Math.max(...steps.map((s) => s.title.length), 10);
  const lines = ["e2e:fleet summary"];
  for (const s of steps) lines.push(`  ${s.n}. ${s.title.padEnd(w)}  ${s.status.toUpperCase().padEnd(7)} ${String(s.seconds).padStart(5)} s  ${s.saw}`);
  const passed = steps.filter((s) => s.status === "pass").length;
  lines.push(`e2e:fleet: ${passed === steps.length ? "PASSED" : "FAILED"} (${passed}/${steps.length} steps passed) in ${totalSeconds} s`);
  return lines.join("\n");
}
