// Which alerts the promtool test files (test/rules/*.test.yml) exercise, and how: a case is an
// alert_rule_test entry; it is a firing case when it expects alerts (exp_alerts non-empty) and a
// silent case when it expects none. Shared by `npm run -s rules:test` (run.ts) and the jest check
// (library.test.ts), so both count the same way.
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";

export const TEST_DIR = __dirname;
/** What each test file's rule_files names: run.ts puts the rendered rules there, beside a copy of the test. */
export const RULES_FILE_NAME = "logging-bootstrap.rules.yml";

interface AlertRuleTest {
  eval_time?: string;
  alertname?: string;
  exp_alerts?: unknown[] | null;
}
interface PromtoolTestFile {
  rule_files?: string[];
  tests?: { name?: string; alert_rule_test?: AlertRuleTest[] }[];
}

export interface TestFile {
  name: string;
  path: string;
  doc: PromtoolTestFile;
}

export interface AlertCases {
  firing: string[];
  silent: string[];
}

export function readTestFiles(dir = TEST_DIR): TestFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".test.yml"))
    .sort()
    .map((name) => {
      const p = path.join(dir, name);
      return { name, path: p, doc: (YAML.parse(fs.readFileSync(p, "utf8")) ?? {}) as PromtoolTestFile };
    });
}

/** alertname -> where it is expected to fire / to stay silent ("file: test name @ eval_time"). */
export function casesByAlert(files: TestFile[]): Map<string, AlertCases> {
  const out = new Map<string, AlertCases>();
  for (const f of files) {
    for (const [i, t] of (f.doc.tests ?? []).entries()) {
      for (const c of t.alert_rule_test ?? []) {
        const name = String(c.alertname);
        const entry = out.get(name) ?? { firing: [], silent: [] };
        (c.exp_alerts && c.exp_alerts.length > 0 ? entry.firing : entry.silent).push(`${f.name}: ${t.name ?? `test ${i + 1}`} @ ${c.eval_time}`);
        out.set(name, entry);
      }
    }
  }
  return out;
}

export interface RenderedAlert {
  alert: string;
  expr: string;
}

/** An alert whose expression is the constant vector(1) (Watchdog) can never be silent. */
export const alwaysFiring = (a: RenderedAlert): boolean => a.expr.replace(/\s+/g, "") === "vector(1)";

export interface Coverage {
  /** Alerts with a firing and a silent case; an always-firing alert instead needs firing cases at two eval times. */
  tested: string[];
  /** Alerts short of that, with what they lack. */
  lacking: { alert: string; lacks: string[] }[];
  /** Alert names the tests use that the rendered rules do not have (promtool would pass them silently). */
  unknown: string[];
}

export function coverage(alerts: RenderedAlert[], cases: Map<string, AlertCases>): Coverage {
  const tested: string[] = [];
  const lacking: Coverage["lacking"] = [];
  for (const a of alerts) {
    const c = cases.get(a.alert) ?? { firing: [], silent: [] };
    const lacks: string[] = [];
    if (alwaysFiring(a)) {
      const times = new Set(c.firing.map((x) => x.split(" @ ").pop()));
      if (times.size < 2) lacks.push("firing cases at two eval times (it is always firing: no silent case can exist)");
    } else {
      if (c.firing.length === 0) lacks.push("a firing case");
      if (c.silent.length === 0) lacks.push("a silent case");
    }
    if (lacks.length) lacking.push({ alert: a.alert, lacks });
    else tested.push(a.alert);
  }
  const known = new Set(alerts.map((a) => a.alert));
  const unknown = [...cases.keys()].filter((n) => !known.has(n)).sort();
  return { tested, lacking, unknown };
}

/** The alert rules of a rendered rules file. */
export function renderedAlerts(rulesYaml: string): RenderedAlert[] {
  const doc = YAML.parse(rulesYaml) as { groups: { rules: { alert?: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.filter((r) => typeof r.alert === "string").map((r) => ({ alert: r.alert!, expr: String(r.expr) })));
}
