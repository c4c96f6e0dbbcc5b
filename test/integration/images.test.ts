// Offline images (P11) on the real engine and the local registry of the test environment:
// an image unique to this test is built, pushed to 127.0.0.1:5000 and pulled back (so it is a pinned
// registry image with a RepoDigest), then images:export -> docker rmi -> (diagnose's offline check
// reports it missing) -> images:import -> the same image ID; a tampered tar is refused.
// Skips with a message when test/.tmp/testenv.json is absent (no test environment up).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import * as tar from "tar";
import { offlineImageFindings, readStackInfo } from "../../scripts/lib/docker-images";
import { runCli } from "../ops/helpers";
import { INFO, testenvDescribe } from "../util/testenv";

const { haveEnv, d } = testenvDescribe("images");

jest.setTimeout(180_000);

d("images:export / images:import on the real engine", () => {
  const info = haveEnv ? (JSON.parse(fs.readFileSync(INFO, "utf8")) as { engine: { socket: string; host: string }; registry: string }) : undefined;
  const docker = new Docker({ socketPath: info?.engine.socket });
  const tag = `t${Date.now().toString(36)}${crypto.randomBytes(3).toString("hex")}`;
  const ref = `${info?.registry}/opstest/payload:${tag}`;
  let dir: string;
  const env = () => ({ PATH: process.env.PATH, DOCKER_HOST: info!.engine.host, HOME: dir });
  const follow = (stream: NodeJS.ReadableStream) => new Promise<void>((res, rej) => docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => (err ? rej(err) : out.some((o) => o.error) ? rej(new Error(out.find((o) => o.error)!.error)) : res())));
  const remove = async (r: string) => docker.getImage(r).remove({ force: true }).catch(() => undefined);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "images-it-"));
    // A build context with random content: an image no other test or container shares.
    const ctx = path.join(dir, "ctx");
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, "payload.bin"), crypto.randomBytes(4096));
    fs.writeFileSync(path.join(ctx, "Dockerfile"), "FROM scratch\nCOPY payload.bin /payload.bin\n");
    const build = await docker.buildImage(tar.c({ cwd: ctx }, ["Dockerfile", "payload.bin"]) as unknown as NodeJS.ReadableStream, { t: ref });
    await follow(build);
    // The engine wants an X-Registry-Auth header even for an anonymous local registry.
    await follow((await docker.getImage(ref).push({ authconfig: { serveraddress: info!.registry } })) as NodeJS.ReadableStream);
    await remove(ref);
    await follow(await docker.pull(ref));
    fs.writeFileSync(
      path.join(dir, "Pulumi.test.yaml"),
      `config:\n  logging-bootstrap:projectName: opstest\n  logging-bootstrap:offlineMode: true\n  logging-bootstrap:images:\n    grafana: ${ref}\n`,
    );
  });
  afterAll(async () => {
    await remove(ref);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("export, remove, import: the image ID is equal and the offline check follows", async () => {
    const before = await docker.getImage(ref).inspect();
    expect(before.RepoDigests.some((x) => x.startsWith(`${info!.registry}/opstest/payload@sha256:`))).toBe(true);
    const out = path.join(dir, "images");
    const ex = await runCli("images-export.ts", ["--stack", "test", "--out", out, "--json"], { dir, env: env() });
    expect(ex.stderr).not.toMatch(/E_[A-Z_]+ \(/);
    expect(ex.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ version: 1, stack: "test" });
    expect(manifest.images).toHaveLength(1);
    expect(manifest.images[0]).toMatchObject({ service: "grafana", ref, id: before.Id, repoDigests: before.RepoDigests, file: "grafana.tar" });
    expect(manifest.images[0].sha256).toBe(crypto.createHash("sha256").update(fs.readFileSync(path.join(out, "grafana.tar"))).digest("hex"));

    await docker.getImage(ref).remove({ force: true });
    await expect(docker.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const stackInfo = readStackInfo(path.join(dir, "Pulumi.test.yaml"));
    const missing = await offlineImageFindings(docker, stackInfo);
    expect(missing.map((e) => [e.code, e.details])).toEqual([["E_DEPS_IMAGE_MISSING_OFFLINE", { service: "grafana", image: ref }]]);

    const im = await runCli("images-import.ts", ["--in", out, "--json"], { dir, env: env() });
    expect(im.code).toBe(0);
    expect(JSON.parse(im.stdout)).toEqual({ ok: true, errors: [], results: [{ service: "grafana", ref, expectedId: before.Id, actualId: before.Id, ok: true }] });
    const after = await docker.getImage(ref).inspect();
    expect(after.Id).toBe(before.Id);
    expect(await offlineImageFindings(docker, stackInfo)).toEqual([]);
  });

  it("a tampered tar is refused with E_DEPS_IMAGE_DIGEST_MISMATCH and not loaded", async () => {
    const out = path.join(dir, "images2");
    expect((await runCli("images-export.ts", ["--stack", "test", "--out", out], { dir, env: env() })).code).toBe(0);
    const file = path.join(out, "grafana.tar");
    const buf = fs.readFileSync(file);
    buf[buf.length - 1] ^= 0xff;
    fs.writeFileSync(file, buf);
    await docker.getImage(ref).remove({ force: true });
    const im = await runCli("images-import.ts", ["--in", out, "--json"], { dir, env: env() });
    expect(im.code).toBe(1);
    const r = JSON.parse(im.stdout);
    expect(r.errors.map((e: { code: string; details: { what: string } }) => [e.code, e.details.what])).toEqual([["E_DEPS_IMAGE_DIGEST_MISMATCH", "tar sha256"]]);
    await expect(docker.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // Leave the image present for afterAll's cleanup path to be uniform.
    await docker.pull(ref).then(follow);
  });
});
