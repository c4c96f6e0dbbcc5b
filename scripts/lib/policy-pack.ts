// The compiled policy pack (policy/bin) and whether it is current. A build records what the
// compiler read (policy/bin/.inputs.json, written last, after a build without errors): the project
// files it compiled (the pack's own sources and what they import from contracts/), every .ts under
// policy/ (a new file is seen before anything imports it), policy/tsconfig.json, and the version of
// each installed package the compiler read declarations from (typescript, @pulumi/policy,
// @pulumi/pulumi, @types/node, ...), and what it emitted. The pack is current when that record
// exists, everything it emitted is still there, and the hash over the same inputs read again
// equals the recorded one: any changed, added or removed source, a changed tsconfig, or another
// installed version of a package it read rebuilds it. Reading the inputs takes milliseconds; the
// build (the TypeScript compiler API, as `tsc -p policy/tsconfig.json` does it) takes seconds.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const POLICY_DIR = "policy";
export const PACK_TSCONFIG = path.join(POLICY_DIR, "tsconfig.json");
export const PACK_BIN = path.join(POLICY_DIR, "bin");
/** The record of the last good build, inside the output folder: removing policy/bin removes it too. */
export const PACK_STAMP = path.join(PACK_BIN, ".inputs.json");

export interface PackStamp {
  version: 1;
  /** sha256 over the inputs below, as inputsHash computes it. */
  hash: string;
  /** Project files the compiler read (relative to the root, sorted). */
  files: string[];
  /** Installed packages the compiler read declarations from: name -> version. */
  packages: Record<string, string>;
  /** Files the build emitted (relative to the root, sorted). */
  emitted: string[];
}

export type Freshness = { fresh: true; hash: string } | { fresh: false; reason: string; hash?: string };

const sha256 = (b: string | Buffer) => crypto.createHash("sha256").update(b).digest("hex");

/** Every .ts file under policy/ except the output and installed packages (relative to the root, sorted). */
export function packSourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(rel, e.name);
      if (e.isDirectory()) {
        if (p !== PACK_BIN && e.name !== "node_modules") walk(p);
      } else if (e.isFile() && e.name.endsWith(".ts")) out.push(p);
    }
  };
  walk(POLICY_DIR);
  return out.sort();
}

/** The installed version of a package as the pack resolves it (policy/node_modules first, then the root's). */
export function installedVersion(root: string, name: string): string {
  for (const base of [path.join(root, POLICY_DIR, "node_modules"), path.join(root, "node_modules")]) {
    try {
      const v = (JSON.parse(fs.readFileSync(path.join(base, name, "package.json"), "utf8")) as { version?: unknown }).version;
      if (typeof v === "string") return v;
    } catch {
      /* next */
    }
  }
  return "absent";
}

/** Packages every build depends on, whatever the compiler happened to read. */
export const COMPILER_PACKAGES = ["typescript", "@pulumi/policy"] as const;

/**
 * sha256 over the pack's inputs: each file's path and content hash ("absent" for a file that is
 * gone), policy/tsconfig.json, and each package's name and version. Order-independent.
 */
export function inputsHash(root: string, files: readonly string[], packages: Readonly<Record<string, string>>): string {
  const lines: string[] = [];
  for (const f of [...new Set([...files, PACK_TSCONFIG])].sort()) {
    let h = "absent";
    try {
      h = sha256(fs.readFileSync(path.join(root, f)));
    } catch {
      /* absent */
    }
    lines.push(`file ${f} ${h}`);
  }
  for (const [n, v] of Object.entries(packages).sort(([a], [b]) => a.localeCompare(b))) lines.push(`package ${n} ${v}`);
  return sha256(lines.join("\n"));
}

export function readStamp(root: string): PackStamp | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(root, PACK_STAMP), "utf8")) as PackStamp;
    return s && s.version === 1 && typeof s.hash === "string" && Array.isArray(s.files) && Array.isArray(s.emitted) && s.packages && typeof s.packages === "object" ? s : undefined;
  } catch {
    return undefined;
  }
}

/** The inputs as they are now, read the way the last build recorded them (its files and packages, plus every .ts under policy/). */
export function currentInputs(root: string, stamp: Pick<PackStamp, "files" | "packages"> | undefined): { files: string[]; packages: Record<string, string> } {
  const files = [...new Set([...(stamp?.files ?? []), ...packSourceFiles(root)])].sort();
  const names = [...new Set([...Object.keys(stamp?.packages ?? {}), ...COMPILER_PACKAGES])];
  return { files, packages: Object.fromEntries(names.map((n) => [n, installedVersion(root, n)])) };
}

/** Whether policy/bin is the build of the current inputs (nothing is compiled to know it). */
export function packFreshness(root: string): Freshness {
  const stamp = readStamp(root);
  if (!stamp) return { fresh: false, reason: fs.existsSync(path.join(root, PACK_BIN)) ? `no record of the last build (${PACK_STAMP})` : `${PACK_BIN} does not exist` };
  const missing = stamp.emitted.find((f) => !fs.existsSync(path.join(root, f)));
  if (missing) return { fresh: false, reason: `${missing} is missing` };
  const now = currentInputs(root, stamp);
  const hash = inputsHash(root, now.files, now.packages);
  if (hash !== stamp.hash) return { fresh: false, reason: "its sources, tsconfig or compiler packages changed since the last build", hash };
  return { fresh: true, hash };
}

/** Where a file the compiler read comes from: a project file (relative path) or an installed package (its name). */
export function classifyRead(root: string, file: string): { file: string } | { package: string } | undefined {
  const abs = path.resolve(file);
  const i = abs.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (i >= 0) {
    const rest = abs.slice(i + "/node_modules/".length).split(path.sep);
    const name = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    return name ? { package: name } : undefined;
  }
  const rel = path.relative(root, abs);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return { file: rel };
}

/** The record of a build from what the compiler read and emitted. */
export function stampOf(root: string, read: readonly string[], emitted: readonly string[]): PackStamp {
  const files = new Set<string>();
  const names = new Set<string>(COMPILER_PACKAGES);
  for (const f of read) {
    const c = classifyRead(root, f);
    if (c && "file" in c) files.add(c.file);
    else if (c) names.add(c.package);
  }
  const now = currentInputs(root, { files: [...files], packages: Object.fromEntries([...names].map((n) => [n, ""])) });
  const rel = [...new Set(emitted.map((f) => path.relative(root, path.resolve(f))))].sort();
  return { version: 1, hash: inputsHash(root, now.files, now.packages), files: now.files, packages: now.packages, emitted: rel };
}

export interface BuildResult {
  ok: boolean;
  /** The compiler's diagnostics as tsc prints them (empty when none). */
  diagnostics: string;
  stamp?: PackStamp;
  durationMs: number;
}

/**
 * Compile the pack as `tsc -p policy/tsconfig.json` does (errors still emit, as tsc does, but the
 * build fails and leaves no record, so the next run builds again). The old record is removed first.
 */
export function buildPack(root: string): BuildResult {
  const t0 = Date.now();
  fs.rmSync(path.join(root, PACK_STAMP), { force: true });
  // Loaded only to build: the compiler takes a while to load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require("typescript") as typeof import("typescript");
  const host: import("typescript").FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  let configError: import("typescript").Diagnostic | undefined;
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, PACK_TSCONFIG), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => (configError = d) });
  if (!parsed || configError) return { ok: false, diagnostics: configError ? ts.formatDiagnostics([configError], host) : `${PACK_TSCONFIG} cannot be read`, durationMs: Date.now() - t0 };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences, configFileParsingDiagnostics: parsed.errors });
  const emitted: string[] = [];
  const r = program.emit(undefined, (file, text, bom) => {
    ts.sys.writeFile(file, text, bom);
    emitted.push(file);
  });
  const diags = [...ts.getPreEmitDiagnostics(program), ...r.diagnostics];
  const errors = diags.filter((d) => d.category === ts.DiagnosticCategory.Error);
  const text = diags.length ? ts.formatDiagnostics(diags, host) : "";
  if (errors.length || r.emitSkipped) return { ok: false, diagnostics: text || "the compiler emitted nothing", durationMs: Date.now() - t0 };
  const stamp = stampOf(root, program.getSourceFiles().map((f) => f.fileName), emitted);
  const tmp = path.join(root, `${PACK_STAMP}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(stamp, null, 2) + "\n");
  fs.renameSync(tmp, path.join(root, PACK_STAMP));
  return { ok: true, diagnostics: text, stamp, durationMs: Date.now() - t0 };
}
