// Reading what a bootstrap run left in the sandbox: runs.jsonl, its bundle, events, the mutating
// Pulumi operations it ran, and the checks every bundle must pass.
import fs from "node:fs";
import path from "node:path";
import { checkEventOrder, RunEvent } from "../../scripts/lib/events";
import { pulumiCalls, Sandbox } from "./helpers";

export function runs(s: Sandbox): Array<Record<string, unknown>> {
  const f = path.join(s.outDir, "runs.jsonl");
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}

export function bundleDir(s: Sandbox, i = 0): string {
  return path.join(s.outDir, String(runs(s)[i].bundle));
}

export function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

export function events(dir: string): RunEvent[] {
  return fs.readFileSync(path.join(dir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

/** The operations that change something, with their options: [op, opts]. */
export function mutating(s: Sandbox): Array<[string, Record<string, unknown>]> {
  return pulumiCalls(s).filter((c) => ["up", "refresh", "destroy"].includes(c.op)).map((c) => [c.op, c.opts]);
}

/** Every report of the bundle carries the run's mode; the event stream keeps the contract's order. */
export function expectModeEverywhere(dir: string, mode: string): void {
  for (const f of ["meta.json", "summary.json", "preflight.report.json", "verify.report.json", "autoheal.suggestions.json", "desired_state.json", "provenance.json"]) {
    expect([f, readJson(path.join(dir, f)).mode]).toEqual([f, mode]);
  }
  for (const f of fs.readdirSync(path.join(dir, "services"))) expect(readJson(path.join(dir, "services", f)).mode).toBe(mode);
  expect(fs.readFileSync(path.join(dir, "summary.md"), "utf8")).toContain(`mode: \`${mode}\``);
  for (const e of events(dir)) expect(Object.values(e)[0]).toHaveProperty("run_id");
  expect(checkEventOrder(events(dir))).toEqual([]);
  expect(events(dir).filter((e) => "BootstrapPlanned" in e).every((e) => (e as any).BootstrapPlanned.mode === mode)).toBe(true);
}
