// P17: no command of the product may wait for a person. Every CLI runs with stdin closed and no
// TTY (the wrapper tests prove that for the processes it starts); this scan keeps interactive
// constructs out of the sources in the first place, so a prompt added later fails CI instead of
// hanging an operator's non-interactive run.
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const SCANNED_DIRS = ["scripts", "components", "contracts", "policy", "test/env", "test/e2e", "test/engine"];
const EXTENSIONS = [".ts", ".js", ".sh"];

/** Patterns that read from a person: shell `read`/`select`, the TTY, node's stdin, prompts. */
const INTERACTIVE_PATTERNS: { name: string; re: RegExp }[] = [
  // `read -p` prompts and `read -s` reads a secret from a person; a plain `read` of a file or pipe
  // (`while read -r line; do ...; done < file`) gets EOF under a closed stdin and is fine.
  { name: "shell prompt", re: /\bread\s+(-[a-rt-z]*[ps][a-z]*\s+)/ },
  { name: "shell select", re: /^\s*select\s+\w+\s+in\b/m },
  { name: "the terminal", re: /\/dev\/tty\b/ },
  { name: "node stdin", re: /process\.stdin\b/ },
  { name: "readline prompt", re: /\.question\(|\bprompt\(/ },
];

function sources(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const full = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    if (!e.isFile() || full.includes(`${path.sep}node_modules${path.sep}`) || full.includes(`${path.sep}bin${path.sep}`)) return [];
    return EXTENSIONS.includes(path.extname(e.name)) ? [full] : [];
  });
}

function interactiveFindings(text: string): string[] {
  return INTERACTIVE_PATTERNS.filter((p) => p.re.test(text)).map((p) => p.name);
}

describe("P17: no interactive construct in the product's sources", () => {
  const files = SCANNED_DIRS.flatMap(sources).concat([path.join(ROOT, "index.ts"), path.join(ROOT, ".ci", "run")]);

  it("scans every CLI, component, contract, policy and test-environment script", () => {
    expect(files.length).toBeGreaterThan(80);
    expect(files.map((f) => path.relative(ROOT, f))).toEqual(expect.arrayContaining(["scripts/bootstrap.ts", "test/e2e/run.sh", "test/e2e/e2e.ts", "test/env/up.sh", "index.ts", ".ci/run"]));
  });

  it("finds none", () => {
    const hits = files.flatMap((f) => interactiveFindings(fs.readFileSync(f, "utf8")).map((n) => `${path.relative(ROOT, f)}: ${n}`));
    expect(hits).toEqual([]);
  });

  it("would catch each pattern (the scan cannot pass vacuously)", () => {
    expect(interactiveFindings('read -p "Continue? " answer')).toEqual(["shell prompt"]);
    expect(interactiveFindings("if true; then read -rsp 'password: ' pw; fi")).toEqual(["shell prompt"]);
    expect(interactiveFindings("select opt in a b; do echo $opt; done")).toEqual(["shell select"]);
    expect(interactiveFindings("exec </dev/tty")).toEqual(["the terminal"]);
    expect(interactiveFindings("process.stdin.on('data', f)")).toEqual(["node stdin"]);
    expect(interactiveFindings("rl.question('password? ', cb)")).toEqual(["readline prompt"]);
    // reading a file line by line is not interactive
    expect(interactiveFindings("while IFS= read -r line; do :; done < runs.jsonl")).toEqual([]);
  });
});
