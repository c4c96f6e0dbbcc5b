// Reads of HTTP bodies, docker exec output and container logs are bounded: an endless or oversized
// answer is refused with a code once the cap is passed, never buffered whole.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { readCapped } from "../../components/verify/bounded";
import { makeHttp } from "../../components/verify/io";

const MiB = 1 << 20;
let server: http.Server;
let url: string;
let sent = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/declared") {
      res.writeHead(200, { "content-length": String(64 * MiB) });
      res.write(Buffer.alloc(1024));
      return; // never finishes: the client must refuse on the header alone
    }
    if (req.url === "/small") return void res.end(JSON.stringify({ ok: true }));
    // An endless chunked body: write while the client reads.
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const chunk = Buffer.alloc(64 * 1024, 97);
    const pump = () => {
      while (!res.destroyed && sent < 512 * MiB) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
    };
    res.on("close", () => undefined);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("HTTP bodies", () => {
  it("an endless body is refused past the cap (E_NETWORK_BODY_TOO_LARGE), not read to the end", async () => {
    sent = 0;
    const http_ = makeHttp(1 * MiB);
    await expect(http_({ url: `${url}/endless`, timeoutMs: 20_000 })).rejects.toMatchObject({ code: "E_NETWORK_BODY_TOO_LARGE" });
    // Flow control stops the server soon after the client stops reading.
    expect(sent).toBeLessThan(32 * MiB);
  });

  it("a declared Content-Length over the cap is refused before reading", async () => {
    const t0 = Date.now();
    await expect(makeHttp(1 * MiB)({ url: `${url}/declared`, timeoutMs: 20_000 })).rejects.toMatchObject({ code: "E_NETWORK_BODY_TOO_LARGE" });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("a body under the cap is read as before", async () => {
    const r = await makeHttp(1 * MiB)({ url: `${url}/small`, timeoutMs: 5000 });
    expect(r).toMatchObject({ status: 200, body: '{"ok":true}' });
  });
});

describe("exec output and logs (readCapped)", () => {
  it("refuses an endless stream with the given code and stops pulling from it", async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced++;
        this.push(Buffer.alloc(16 * 1024));
      },
    });
    await expect(readCapped(endless, 256 * 1024, "docker exec c output", "E_RUNTIME_OUTPUT_TOO_LARGE")).rejects.toMatchObject({
      code: "E_RUNTIME_OUTPUT_TOO_LARGE",
      message: expect.stringContaining("docker exec c output"),
    });
    expect(endless.destroyed).toBe(true);
    expect(produced).toBeLessThan(64);
  });

  it("returns the whole of a stream under the cap", async () => {
    const b = await readCapped(Readable.from([Buffer.from("ab"), Buffer.from("cd")]), 10, "x", "E_RUNTIME_OUTPUT_TOO_LARGE");
    expect(b.toString()).toBe("abcd");
  });
});
