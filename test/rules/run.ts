// npm run -s rules:test — the alert library under the real promtool.
//
// Renders the rules file for the `test` stack (Pulumi.test.yaml) grown into a fleet (two more
// hosts, test/util/fleet.ts, so the fleet's HostNotReporting is there too) exactly as the
// Prometheus container receives it, copies each test/rules/*.test.yml beside it in a temp dir (their rule_files
// name it), runs `promtool test rules` on each, and checks that every alert of the rendered file has
// a firing and a silent case (the always-firing Watchdog: firing at two eval times instead).
// Last line: `M/N alerts tested` (N = alerts in the rendered file; M = those with both cases, all in
// files promtool passed). Exit 0 only when every promtool run passed and M = N; 1 otherwise; 2 when
// no promtool is found.
//
// promtool: $PROMTOOL if set, else the upstream 3.14.0 this repo builds (the pinned Prometheus;
// test/engine/build-services.sh, run by testenv:up), else `promtool` on PATH (Debian's 2.42).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderServiceFiles } from "../../components/render";
import { FILES } from "../../components/defaults";
import { fleetConfig } from "../util/fleet";
import { RULES_FILE_NAME, casesByAlert, coverage, readTestFiles, renderedAlerts } from "./coverage";

const ROOT = path.resolve(__dirname, "..", "..");
const UPSTREAM = path.join(ROOT, ".tools", "services", "bin", "promtool-v3.14.0");

function findPromtool(): string | undefined {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  if (fs.existsSync(UPSTREAM)) return UPSTREAM;
  const onPath = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  return onPath.status === 0 ? onPath.stdout.trim() : undefined;
}

function main(): number {
  const started = Date.now();
  const promtool = findPromtool();
  if (!promtool) {
    console.error("promtool not found: build it (bash test/engine/build-services.sh) or apt-get install prometheus");
    return 2;
  }
  const version = spawnSync(promtool, ["--version"], { encoding: "utf8" });
  console.log(`promtool: ${promtool} (${`${version.stdout}${version.stderr}`.split("\n")[0].trim()})`);

  const rules = renderServiceFiles(fleetConfig()).prometheus.find((f) => f.path === FILES.prometheusRules);
  if (!rules) throw new Error(`the rendered Prometheus files have no ${FILES.prometheusRules}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rules-test-"));
  fs.writeFileSync(path.join(dir, RULES_FILE_NAME), rules.content);
  const alerts = renderedAlerts(rules.content);
  console.log(`rules: ${FILES.prometheusRules} rendered for stack test with hosts web1 and db1 (${alerts.length} alerts) -> ${path.join(dir, RULES_FILE_NAME)}`);

  const files = readTestFiles();
  const failedFiles = new Set<string>();
  for (const f of files) {
    const t0 = Date.now();
    const ruleFiles = f.doc.rule_files ?? [];
    if (ruleFiles.length !== 1 || ruleFiles[0] !== RULES_FILE_NAME) {
      console.log(`FAIL ${f.name}: rule_files must be exactly [${RULES_FILE_NAME}], is ${JSON.stringify(ruleFiles)}`);
      failedFiles.add(f.name);
      continue;
    }
    fs.copyFileSync(f.path, path.join(dir, f.name));
    const r = spawnSync(promtool, ["test", "rules", f.name], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    const caseCount = (f.doc.tests ?? []).reduce((n, t) => n + (t.alert_rule_test?.length ?? 0), 0);
    const names = new Set((f.doc.tests ?? []).flatMap((t) => (t.alert_rule_test ?? []).map((c) => c.alertname)));
    const ok = r.status === 0;
    if (!ok) failedFiles.add(f.name);
    console.log(`${ok ? "PASS" : "FAIL"} ${f.name}: ${names.size} alerts, ${caseCount} cases (${Date.now() - t0} ms)`);
    if (!ok) {
      const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`.trim();
      console.log(out.split("\n").map((l) => `    ${l}`).join("\n"));
    }
  }

  // An alert counts only when its cases are there and every file testing it passed promtool.
  const cases = casesByAlert(files);
  const cov = coverage(alerts, cases);
  const inFailed = (a: string) => [...(cases.get(a)?.firing ?? []), ...(cases.get(a)?.silent ?? [])].map((c) => c.split(":")[0]).filter((n) => failedFiles.has(n));
  const tested = cov.tested.filter((a) => inFailed(a).length === 0);
  for (const l of cov.lacking) console.log(`UNTESTED ${l.alert}: lacks ${l.lacks.join(" and ")}`);
  for (const a of cov.tested.filter((x) => !tested.includes(x))) console.log(`UNTESTED ${a}: ${[...new Set(inFailed(a))].join(", ")} failed`);
  for (const u of cov.unknown) console.log(`UNKNOWN alertname ${u} in the tests: not in the rendered rules`);
  console.log(`${files.length} files, ${failedFiles.size} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const ok = failedFiles.size === 0 && tested.length === alerts.length && cov.unknown.length === 0 && files.length > 0;
  if (ok) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`kept for a look: ${dir} (rerun one file: cd ${dir} && ${promtool} test rules <file>)`);
  console.log(`${tested.length}/${alerts.length} alerts tested`);
  return ok ? 0 : 1;
}

process.exit(main());
