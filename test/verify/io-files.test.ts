// The proof's marker write (L3) on real directories: it runs as root into logsRoot, which may sit in
// a directory others can write, so a symbolic link at ANY level of the path (not only the file) is
// refused with ELOOP and nothing is created or written through it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { realFiles } from "../../components/verify/io";

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "lb-io-files-")));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const elsewhere = () => {
  const d = path.join(tmp, "elsewhere");
  fs.mkdirSync(d);
  return d;
};

describe("mkdirp", () => {
  it("creates every missing directory, and is idempotent", async () => {
    await realFiles.mkdirp(`${tmp}/a/b/c`);
    await realFiles.mkdirp(`${tmp}/a/b/c`);
    expect(fs.lstatSync(`${tmp}/a/b/c`).isDirectory()).toBe(true);
  });

  it.each([
    ["an intermediate component", "link/sub"],
    ["a component further up", "link/sub/deeper"],
  ])("refuses a link at %s (ELOOP) and creates nothing through it", async (_what, rel) => {
    const e = elsewhere();
    fs.symlinkSync(e, `${tmp}/link`);
    await expect(realFiles.mkdirp(`${tmp}/${rel}`)).rejects.toMatchObject({ code: "ELOOP", message: expect.stringContaining(`${tmp}/link`) });
    expect(fs.readdirSync(e)).toEqual([]);
  });

  it("leaves a link as the last component alone (the caller names it; nothing is written under it)", async () => {
    const e = elsewhere();
    fs.symlinkSync(e, `${tmp}/link`);
    await realFiles.mkdirp(`${tmp}/link`);
    expect(await realFiles.isSymlink(`${tmp}/link`)).toBe(true);
    await expect(realFiles.appendFile(`${tmp}/link/m.log`, "x\n")).rejects.toMatchObject({ code: "ELOOP" });
    expect(fs.readdirSync(e)).toEqual([]);
  });

  it("refuses a link above a link as the last component", async () => {
    const e = elsewhere();
    fs.mkdirSync(`${e}/sub`);
    fs.symlinkSync(e, `${tmp}/link`);
    fs.symlinkSync(e, `${e}/sub/last`);
    await expect(realFiles.mkdirp(`${tmp}/link/sub/last`)).rejects.toMatchObject({ code: "ELOOP" });
  });

  it("refuses a path through a regular file (ENOTDIR)", async () => {
    fs.writeFileSync(`${tmp}/f`, "");
    await expect(realFiles.mkdirp(`${tmp}/f/x`)).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});

describe("appendFile", () => {
  it("creates and appends to a regular file", async () => {
    fs.mkdirSync(`${tmp}/logs`);
    await realFiles.appendFile(`${tmp}/logs/m.log`, "one\n");
    await realFiles.appendFile(`${tmp}/logs/m.log`, "two\n");
    expect(fs.readFileSync(`${tmp}/logs/m.log`, "utf8")).toBe("one\ntwo\n");
  });

  it("refuses a link as the file itself", async () => {
    const e = elsewhere();
    fs.mkdirSync(`${tmp}/logs`);
    fs.writeFileSync(`${e}/target`, "keep");
    fs.symlinkSync(`${e}/target`, `${tmp}/logs/m.log`);
    await expect(realFiles.appendFile(`${tmp}/logs/m.log`, "x\n")).rejects.toMatchObject({ code: "ELOOP" });
    expect(fs.readFileSync(`${e}/target`, "utf8")).toBe("keep");
  });

  it.each([
    ["the marker's directory", (t: string) => `${t}/link/m.log`],
    ["a directory above it", (t: string) => `${t}/link/sub/m.log`],
  ])("refuses a link at %s: nothing is written through it", async (_what, file) => {
    const e = elsewhere();
    fs.mkdirSync(`${e}/sub`);
    fs.symlinkSync(e, `${tmp}/link`);
    await expect(realFiles.appendFile(file(tmp), "x\n")).rejects.toMatchObject({ code: "ELOOP", message: expect.stringContaining(`${tmp}/link`) });
    expect(fs.readdirSync(e)).toEqual(["sub"]);
    expect(fs.readdirSync(`${e}/sub`)).toEqual([]);
  });

  it("refuses a hard link to another file and anything that is not a regular file", async () => {
    const e = elsewhere();
    fs.mkdirSync(`${tmp}/logs`);
    fs.writeFileSync(`${e}/target`, "keep");
    fs.linkSync(`${e}/target`, `${tmp}/logs/m.log`);
    await expect(realFiles.appendFile(`${tmp}/logs/m.log`, "x\n")).rejects.toMatchObject({ code: "ELOOP" });
    expect(fs.readFileSync(`${e}/target`, "utf8")).toBe("keep");
    fs.mkdirSync(`${tmp}/logs/dir.log`);
    await expect(realFiles.appendFile(`${tmp}/logs/dir.log`, "x\n")).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ELOOP/) });
  });
});
