import { summaryLines } from "../../scripts/lib/bootstrap/summary";
import { skippedOf } from "../../scripts/lib/bootstrap/run-step";

describe("summaryLines", () => {
  const base = { status: "red", mode: "apply", stack: "dev", exitCode: 1, durationMs: 1200, nextActions: [{ bucket: "runtime", action: "Free the port." }], bundlePath: "/out/runs/r1" };

  it("names the error behind each failed step, first line only", () => {
    const lines = summaryLines({
      ...base,
      stages: [
        { step: "preflight", status: "success", durationMs: 10, errors: [] },
        { step: "up", status: "failed", durationMs: 900, errors: [{ code: "E_RUNTIME_PORT_CONFLICT", message: "pulumi up exited with 255: error: port is already allocated\nmore", details: {} }] as never },
        { step: "verify", status: "skipped", durationMs: 0, errors: [] },
      ],
    });
    expect(lines[0]).toBe("RED: bootstrap --mode apply --stack dev (exit 1, 1.2 s)");
    expect(lines).toContain("  error (up): E_RUNTIME_PORT_CONFLICT: pulumi up exited with 255: error: port is already allocated");
    expect(lines.join("\n")).not.toContain("more");
    expect(lines.slice(-2)).toEqual(["  next (runtime): Free the port.", "  bundle: /out/runs/r1"]);
  });

  it("names the levels verify skipped, with why (nothing disappears)", () => {
    const lines = summaryLines({ ...base, status: "green", exitCode: 0, nextActions: [], stages: [{ step: "verify", status: "success", durationMs: 5, errors: [], detail: "skipped L4 (verify.labels is false)" }] });
    expect(lines[1]).toMatch(/^  verify\s+success\s+.*  skipped L4 \(verify\.labels is false\)$/);
  });

  it("reads the skipped levels of verify's report, tolerating anything else", () => {
    expect(skippedOf({ skipped: [{ level: "L4", name: "labels", reason: "verify.labels is false" }, { level: 3 }, null] })).toEqual([{ level: "L4", name: "labels", reason: "verify.labels is false" }]);
    expect(skippedOf(undefined)).toEqual([]);
  });

  it("prints no error lines for a green run", () => {
    const lines = summaryLines({ ...base, status: "green", exitCode: 0, nextActions: [], stages: [{ step: "up", status: "success", durationMs: 5, errors: [] }] });
    expect(lines.some((l) => l.includes("error ("))).toBe(false);
  });
});
