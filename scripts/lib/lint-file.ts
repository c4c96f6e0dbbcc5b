// Linting one stack file, shared by the config:lint, render and policy:check CLIs (no CLI imports
// another CLI).
import { Finding, formatFinding } from "../../contracts/config/findings";
import { checkConfig, fileConfigSource } from "../../contracts/config/load";
import { readStackFile } from "../../contracts/config/stackfile";

export interface LintReport {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
}

/** Lint one file as config:lint does (no migration); never throws (file problems are findings). `digests`: image ref -> digest where known. */
export function lintFile(file: string, digests: Record<string, string> = {}): LintReport {
  const r = checkConfig(fileConfigSource(file), { migrate: false, digests });
  return { ok: r.ok, errors: r.errors, warnings: r.warnings };
}

export function formatHuman(file: string, report: LintReport): string {
  const head = report.ok
    ? `config:lint ${file}: OK${report.warnings.length ? ` (${report.warnings.length} warning(s))` : ""}`
    : `config:lint ${file}: ${report.errors.length} error(s), ${report.warnings.length} warning(s)`;
  return [head, ...report.errors.map((f) => formatFinding(f, "error")), ...report.warnings.map((f) => formatFinding(f, "warning"))].join("\n") + "\n";
}

/**
 * The digests of a stack's tag-pinned images that this Docker engine has (RepoDigests of the same
 * repository); nothing is pulled. No engine: none known.
 */
export async function localDigests(file: string): Promise<Record<string, string>> {
  const images = readStackFile(file).projectConfig.images;
  if (!images || typeof images !== "object") return {};
  const out: Record<string, string> = {};
  try {
    const { default: Docker } = await import("dockerode");
    const docker = new Docker();
    for (const ref of Object.values(images as Record<string, unknown>)) {
      if (typeof ref !== "string" || ref.includes("@")) continue;
      const repo = ref.replace(/:[^/:]+$/, "");
      const info = await docker.getImage(ref).inspect().catch(() => undefined);
      const d = info?.RepoDigests?.find((x) => x.startsWith(`${repo}@sha256:`));
      if (d) out[ref] = d.slice(repo.length + 1);
    }
  } catch {
    /* no engine here: nothing is known */
  }
  return out;
}
