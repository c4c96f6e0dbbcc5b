// How policies report. Every message ends with a remediation hint ("Fix: ..."), so an operator
// reading `pulumi preview` output or `policy:check` knows what to change without opening this code.
import type { ReportViolation } from "@pulumi/policy";

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";

/** Compose a message: what is wrong, then how to fix it. */
export function msg(problem: string, fix: string): string {
  return `${problem.replace(/\.?\s*$/, ".")} Fix: ${fix.replace(/\.?\s*$/, ".")}`;
}

/**
 * An advisory note from a policy whose own level is stricter (images-pinned: a tag without a
 * digest; alloy-allowlists: no redaction stage). @pulumi/policy 1.21's reportViolation also takes
 * a `{message, enforcementLevel, urn}` object (server.js makeReportViolationFun) and sends that
 * level in the diagnostic; the typed signature does not declare it, hence the cast. The analyzer
 * protocol test (test/policy/analyzer.e2e.test.ts) proves the CLI receives "advisory" for notes.
 */
export function note(report: ReportViolation, message: string, urn?: string): void {
  (report as unknown as (info: { message: string; enforcementLevel: Level; urn?: string }) => void)({ message, enforcementLevel: "advisory", ...(urn ? { urn } : {}) });
}
