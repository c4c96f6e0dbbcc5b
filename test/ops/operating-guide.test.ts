// docs/OPERATING.md: its troubleshooting tables are what scripts/docs-operating.ts generates from the
// taxonomy (every code, one row each), it covers the operator's tasks, and neither it nor the README
// links anywhere outside the repository; the README starts with the one command and links the guide.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { allCodes } from "../../contracts/errors";
import {
  BEGIN_MARKER,
  END_MARKER,
  GUIDE_PATH,
  cell,
  currentTroubleshooting,
  headingAnchor,
  renderTroubleshooting,
  tableCodes,
  withTroubleshooting,
} from "../../scripts/lib/operating-guide";
import { PROJECT_ROOT, runTsx } from "../util/provider-host";

const read = (rel: string) => fs.readFileSync(path.join(PROJECT_ROOT, rel), "utf8");
const GUIDE = read(GUIDE_PATH);
const README = read("README.md");

/** Lines outside fenced code blocks. */
function prose(doc: string): string[] {
  let fence = false;
  return doc.split("\n").filter((l) => {
    if (/^\s*```/.test(l)) fence = !fence;
    return !fence && !/^\s*```/.test(l);
  });
}

function headings(doc: string): string[] {
  return prose(doc)
    .map((l) => /^#{1,6}\s+(.*?)\s*$/.exec(l)?.[1])
    .filter((h): h is string => h !== undefined);
}

/** Markdown link targets ([text](target)) outside code blocks and code spans. */
function links(doc: string): string[] {
  const text = prose(doc).join("\n").replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** Every problem with the relative links of a markdown file: outside the repo, missing, or a missing heading. */
function linkProblems(rel: string, text: string = read(rel)): string[] {
  const problems: string[] = [];
  const from = path.dirname(path.join(PROJECT_ROOT, rel));
  for (const target of links(text)) {
    if (/^[a-z]+:/i.test(target)) {
      if (!/^https?:\/\//.test(target)) problems.push(`${target}: not a web or repository link`);
      continue;
    }
    const [file, anchor] = target.split("#");
    const abs = file ? path.resolve(from, file) : path.join(PROJECT_ROOT, rel);
    const inRepo = path.relative(PROJECT_ROOT, abs);
    if (inRepo.startsWith("..") || path.isAbsolute(inRepo)) problems.push(`${target}: outside the repository`);
    else if (!fs.existsSync(abs)) problems.push(`${target}: no such file`);
    else if (anchor !== undefined && abs.endsWith(".md") && !headings(fs.readFileSync(abs, "utf8")).map(headingAnchor).includes(anchor)) problems.push(`${target}: no such heading`);
  }
  return problems;
}

describe("the troubleshooting tables", () => {
  it("are exactly what the generator writes (run npx tsx scripts/docs-operating.ts when this fails)", () => {
    expect(currentTroubleshooting(GUIDE)).toBe(renderTroubleshooting());
  });

  it("have one row per taxonomy code, none missing, none extra", () => {
    const rows = tableCodes(GUIDE);
    expect(rows.length).toBe(new Set(rows).size);
    expect([...rows].sort()).toEqual([...allCodes()].sort());
  });

  it("a code missing from the guide is found (the checks above can fail)", () => {
    const code = allCodes()[0];
    const stale = GUIDE.replace(new RegExp(`^\\| \`${code}\` \\|.*\\n`, "m"), "");
    expect(stale).not.toBe(GUIDE);
    expect(currentTroubleshooting(stale)).not.toBe(renderTroubleshooting());
    expect(tableCodes(stale)).not.toContain(code);
  });
});

describe("withTroubleshooting and cell", () => {
  const doc = `# g\n\nbefore\n${BEGIN_MARKER}\nold\n${END_MARKER}\nafter\n`;
  it("replaces only what is between the markers, and is idempotent", () => {
    const once = withTroubleshooting(doc, `${BEGIN_MARKER}\nnew\n${END_MARKER}`);
    expect(once).toBe(`# g\n\nbefore\n${BEGIN_MARKER}\nnew\n${END_MARKER}\nafter\n`);
    expect(withTroubleshooting(once, `${BEGIN_MARKER}\nnew\n${END_MARKER}`)).toBe(once);
  });
  it.each([
    ["no markers", "# g\n"],
    ["markers out of order", `${END_MARKER}\n${BEGIN_MARKER}`],
  ])("refuses a guide without its section (%s)", (_case, text) => {
    expect(() => withTroubleshooting(text)).toThrow(/has no generated section/);
  });
  it("escapes pipes and placeholders outside code spans, keeps code spans as written", () => {
    expect(cell("run --confirm <stack> | `pulumi login file://<dir>`\nthen")).toBe("run --confirm &lt;stack&gt; \\| `pulumi login file://<dir>` then");
  });
});

describe("the generator CLI", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "guide-"));
    fs.mkdirSync(path.join(dir, "docs"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const guideIn = (d: string) => path.join(d, GUIDE_PATH);

  it("--check: 0 on the repository's guide", async () => {
    const r = await runTsx(["scripts/docs-operating.ts", "--check"], 60_000);
    expect(r).toMatchObject({ code: 0, stdout: `${GUIDE_PATH}: up to date\n` });
  }, 70_000);

  it("--check: 1 on an out-of-date guide, which it leaves alone; without --check it writes the tables", async () => {
    const stale = GUIDE.replace(/^\| `E_PROOF_DRIFT` \|.*\n/m, "");
    fs.writeFileSync(guideIn(dir), stale);
    const env = { LOGGING_BOOTSTRAP_ROOT: dir };
    expect(await runTsx(["scripts/docs-operating.ts", "--check"], 60_000, env)).toMatchObject({ code: 1 });
    expect(fs.readFileSync(guideIn(dir), "utf8")).toBe(stale);
    expect(await runTsx(["scripts/docs-operating.ts"], 60_000, env)).toMatchObject({ code: 0 });
    expect(fs.readFileSync(guideIn(dir), "utf8")).toBe(GUIDE);
  }, 130_000);

  it("a guide without the markers is E_INTERNAL, exit 1, nothing written", async () => {
    fs.writeFileSync(guideIn(dir), "# Operating\n");
    const r = await runTsx(["scripts/docs-operating.ts"], 60_000, { LOGGING_BOOTSTRAP_ROOT: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^E_INTERNAL \(runtime\): docs\/OPERATING\.md has no generated section/);
    expect(fs.readFileSync(guideIn(dir), "utf8")).toBe("# Operating\n");
  }, 70_000);
});

describe("the guide covers the operator's tasks", () => {
  const h2 = headings(GUIDE).filter((h) => GUIDE.includes(`\n## ${h}\n`));
  it.each(["Install", "First run", "Add a receiver", "Upgrade and roll back", "Backup and restore", "Drift and repair", "Uninstall", "Troubleshooting by error code"])("has a section %p", (title) => {
    expect(h2).toContain(title);
  });

  /** The text of one `## title` section. */
  const section = (title: string) => GUIDE.split(`\n## ${title}\n`)[1]?.split("\n## ")[0] ?? "";

  it("first run: npm ci, npm start, and where the URL and password are", () => {
    const s = section("First run");
    expect(s).toMatch(/```bash\nnpm ci\nnpm start\n```/);
    expect(s).toMatch(/Where the URL and password are/);
  });

  it.each([
    ["Backup and restore", ["--mode backup", "--mode restore --run <id>"]],
    ["Uninstall", ["--mode destroy", "--delete-data --confirm <stack>"]],
    ["Drift and repair", ["--mode drift", "--mode repair --target"]],
    ["Upgrade and roll back", ["--mode rollback"]],
    ["Troubleshooting by error code", ["npm run -s explain "]],
  ])("%s names %p", (title, commands) => {
    for (const c of commands) expect(section(title)).toContain(c);
  });
});

describe("links stay inside the repository", () => {
  it.each(["README.md", GUIDE_PATH])("%s: every relative link resolves to a file (and heading) in the repository", (rel) => {
    expect(links(read(rel)).length).toBeGreaterThan(1);
    expect(linkProblems(rel)).toEqual([]);
  });

  it("the link check finds a link outside the repository, a missing file and a missing heading", () => {
    const text = "[a](../../shared/ARCHITECTURE.md) [b](NOPE.md) [c](OPERATING.md#no-such-heading) [d](OPERATING.md#uninstall) [e](https://example.com/x) `[f](../x.md)`\n";
    expect(linkProblems("docs/probe.md", text)).toEqual([
      "../../shared/ARCHITECTURE.md: outside the repository",
      "NOPE.md: no such file",
      "OPERATING.md#no-such-heading: no such heading",
    ]);
  });

  it("the README names no path outside the repository, even as code", () => {
    expect(README).not.toMatch(/`\.\.\/|\]\(\.\.\/|\/work\/|shared\/ARCHITECTURE/);
  });
});

describe("the README starts with the one command", () => {
  const intro = README.split("\n## ")[0];
  it("before its first section: a code block with npm start, and the guide's link", () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(intro)?.[1] ?? "";
    expect(firstBlock).toMatch(/(^|&& )npm start\s*$/m);
    expect(intro).toContain("](docs/OPERATING.md)");
  });
  it("the command comes before anything else but the title", () => {
    const lines = intro.split("\n").filter((l) => l.trim() !== "");
    expect(lines[0]).toMatch(/^# /);
    expect(lines[1]).toBe("```bash");
  });
});
