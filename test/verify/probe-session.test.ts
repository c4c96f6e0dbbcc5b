// The probe session's protocol: the shell loop (run here by the host's real BusyBox, as the session
// container runs it) answers each `<id> <url>` line with a length-framed answer, which AnswerReader
// reads back out of Docker's multiplexed attach stream, chunk by chunk.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { AnswerReader, requestLine, SessionAnswer, sessionScript } from "../../components/verify/probe-session";
import { parseWgetStatus } from "../../components/verify/checks/common";
import { tmpDir } from "./fakes";

/** One frame of Docker's multiplexed stream (stream 1 stdout, 2 stderr). */
function frame(kind: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = kind;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe("AnswerReader", () => {
  const answer = (id: number, rc: number, headers: string, body: string) => Buffer.from(`@@ ${id} ${rc} ${Buffer.byteLength(headers)} ${Buffer.byteLength(body)}\n${headers}${body}`);

  test("answers split across frames and frames split across chunks come out whole, in order", () => {
    const r = new AnswerReader();
    const bytes = Buffer.concat([frame(1, answer(1, 0, "  HTTP/1.1 200 OK\n", "ready\n")), frame(2, Buffer.from("sh: noise\n")), frame(1, answer(2, 1, "wget: bad address 'loki:3100'\n", ""))]);
    const got: SessionAnswer[] = [];
    for (let i = 0; i < bytes.length; i += 5) got.push(...r.push(bytes.subarray(i, i + 5)));
    expect(got).toEqual([
      { id: 1, exitCode: 0, stderr: "  HTTP/1.1 200 OK\n", stdout: "ready\n" },
      { id: 2, exitCode: 1, stderr: "wget: bad address 'loki:3100'\n", stdout: "" },
    ]);
    expect(r.stderr).toBe("sh: noise\n");
  });

  test("a body that contains the frame marker is read by its length, not by its content", () => {
    const r = new AnswerReader();
    expect(r.push(frame(1, answer(7, 0, "", "@@ 8 0 0 0\nx")))).toEqual([{ id: 7, exitCode: 0, stderr: "", stdout: "@@ 8 0 0 0\nx" }]);
  });

  test("an answer over the cap is refused with E_RUNTIME_OUTPUT_TOO_LARGE; a line out of frame is an error", () => {
    expect(() => new AnswerReader(10).push(frame(1, Buffer.from("@@ 1 0 4 7\n")))).toThrow(expect.objectContaining({ code: "E_RUNTIME_OUTPUT_TOO_LARGE" }));
    expect(() => new AnswerReader().push(frame(1, Buffer.from("hello\n")))).toThrow(/out of frame/);
  });

  test("a request is one line; a URL with a space or a newline is refused", () => {
    expect(requestLine(3, "http://loki:3100/ready")).toBe("3 http://loki:3100/ready\n");
    expect(() => requestLine(1, "http://x/ a")).toThrow();
    expect(() => requestLine(1, "http://x/\n2 http://y/")).toThrow();
  });
});

const BUSYBOX = "/bin/busybox";
(fs.existsSync(BUSYBOX) ? describe : describe.skip)("the session loop under the host's BusyBox", () => {
  test("one shell answers several GETs: status from -S, body as sent, errors with wget's exit code", async () => {
    const server = http.createServer((req, res) => {
      if (req.url === "/ready") res.writeHead(200, { "content-type": "text/plain" }).end("ready\n");
      else res.writeHead(503).end("Ingester not ready\n");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const dir = tmpDir("lb-probe-session-");
    const sh = spawn(BUSYBOX, ["sh", "-c", sessionScript(dir)], { stdio: ["pipe", "pipe", "pipe"] });
    const reader = new AnswerReader();
    const answers: SessionAnswer[] = [];
    sh.stdout.on("data", (c: Buffer) => answers.push(...reader.push(frame(1, c))));
    try {
      sh.stdin.write(requestLine(1, `http://127.0.0.1:${port}/ready`));
      sh.stdin.write(requestLine(2, `http://127.0.0.1:${port}/other`));
      sh.stdin.write(requestLine(3, "http://127.0.0.1:1/refused"));
      sh.stdin.end();
      await new Promise((r) => sh.on("close", r));
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(answers.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(parseWgetStatus(answers[0].stderr)).toBe(200);
    expect(answers[0]).toMatchObject({ exitCode: 0, stdout: "ready\n" });
    expect(parseWgetStatus(answers[1].stderr)).toBe(503);
    expect(answers[1].exitCode).not.toBe(0);
    expect(parseWgetStatus(answers[2].stderr)).toBeUndefined();
    expect(answers[2].exitCode).not.toBe(0);
    expect(answers[2].stderr).toMatch(/wget/);
  }, 20_000);
});
