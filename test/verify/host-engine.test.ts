// Reaching a fleet host's Docker engine (engine.ts, io.ts makeIo({ docker })): the three address
// forms, refusals, known_hosts, and real round trips to a stand-in engine answering GET /version over
// a unix socket, over TLS with a client certificate, and over SSH (`docker system dial-stdio`).
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { hostFieldMatches, knownHostsVerifier, modemFields, parseEngineUrl } from "../../components/verify/engine";
import { makeIo } from "../../components/verify/io";
import { tmpDir } from "./fakes";

const VERSION = { Version: "28.1.0", ApiVersion: "1.49", Os: "linux" };
const answer: http.RequestListener = (req, res) => {
  if (req.url?.endsWith("/version")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(VERSION));
  } else {
    res.writeHead(404);
    res.end("{}");
  }
};

describe("engine addresses", () => {
  it("parses unix, tcp and ssh; refuses anything else", () => {
    expect(parseEngineUrl("unix:///run/fleet/b/docker.sock")).toEqual({ scheme: "unix", path: "/run/fleet/b/docker.sock" });
    expect(parseEngineUrl("tcp://192.0.2.22:2376")).toEqual({ scheme: "tcp", host: "192.0.2.22", port: 2376 });
    expect(parseEngineUrl("ssh://deploy@web1.example.net")).toEqual({ scheme: "ssh", user: "deploy", host: "web1.example.net", port: 22 });
    expect(parseEngineUrl("ssh://deploy@web1:2222")).toEqual({ scheme: "ssh", user: "deploy", host: "web1", port: 2222 });
    for (const bad of ["http://h:2375", "tcp://h", "ssh://h", "unix://relative", "tcp://h:99999", "tcp://h:2376/x"]) {
      expect(() => parseEngineUrl(bad)).toThrow(expect.objectContaining({ code: "E_PROOF_HOST_UNREACHABLE" }));
    }
  });

  it("sets every modem field, so DOCKER_* in the environment changes nothing; refuses tcp without TLS and TLS off tcp", () => {
    const unix = modemFields({ host: "unix:///s.sock" }, { DOCKER_HOST: "tcp://10.0.0.1:2375" });
    expect(unix).toMatchObject({ protocol: "http", socketPath: "/s.sock", host: undefined, port: undefined, ca: undefined, timeout: undefined, connectionTimeout: 10_000 });
    const tls = { ca: "CA", cert: "CERT", key: "KEY" };
    expect(modemFields({ host: "tcp://h:2376", tls, connectTimeoutMs: 2000 })).toMatchObject({ protocol: "https", host: "h", port: 2376, ca: "CA", cert: "CERT", key: "KEY", socketPath: undefined, connectionTimeout: 2000 });
    expect(() => modemFields({ host: "tcp://h:2376" })).toThrow(/without TLS client certificates is refused/);
    expect(() => modemFields({ host: "unix:///s.sock", tls })).toThrow(/tcp:\/\/ only/);
    expect(() => modemFields({ host: "ssh://u@h", tls }, { SSH_AUTH_SOCK: "/a" }, "")).toThrow(/tcp:\/\/ only/);
  });

  it("ssh needs an agent or a key, and a known_hosts; the host key is always verified", () => {
    expect(() => modemFields({ host: "ssh://u@h" }, {}, "")).toThrow(/ssh-agent \(SSH_AUTH_SOCK\) or a private key/);
    expect(() => modemFields({ host: "ssh://u@h" }, { SSH_AUTH_SOCK: "/agent" })).toThrow(/known_hosts/);
    const f = modemFields({ host: "ssh://u@h:2222" }, { SSH_AUTH_SOCK: "/agent" }, "");
    expect(f).toMatchObject({ protocol: "ssh", host: "h", port: 2222, username: "u", sshOptions: { agent: "/agent", readyTimeout: 10_000 } });
    expect(f.sshOptions.hostVerifier!(Buffer.from("any key"))).toBe(false);
  });

  it("known_hosts: plain, [host]:port, hashed and negated entries; @revoked wins; another host's key is refused", () => {
    const key = Buffer.from("the host key blob");
    const other = Buffer.from("another key");
    const b64 = key.toString("base64");
    const salt = crypto.randomBytes(20);
    const hashed = `|1|${salt.toString("base64")}|${crypto.createHmac("sha1", salt).update("[b.example]:2222").digest("base64")}`;
    const text = [`# comment`, `a.example,192.0.2.1 ssh-ed25519 ${b64}`, `${hashed} ssh-ed25519 ${b64}`, `*.example,!bad.example ssh-ed25519 ${other.toString("base64")}`, `@revoked a.example ssh-ed25519 ${other.toString("base64")}`].join("\n");
    expect(knownHostsVerifier(text, "a.example", 22)(key)).toBe(true);
    expect(knownHostsVerifier(text, "a.example", 22)(other)).toBe(false); // revoked for a.example
    expect(knownHostsVerifier(text, "192.0.2.1", 22)(key)).toBe(true);
    expect(knownHostsVerifier(text, "a.example", 2222)(key)).toBe(false); // listed for port 22 only
    expect(knownHostsVerifier(text, "b.example", 2222)(key)).toBe(true);
    expect(knownHostsVerifier(text, "c.example", 22)(other)).toBe(true);
    expect(knownHostsVerifier(text, "bad.example", 22)(other)).toBe(false);
    expect(hostFieldMatches("[x]:2222", "[x]:2222")).toBe(true);
  });
});

describe("makeIo({ docker }) against a stand-in engine", () => {
  it("unix://: answers over the socket, whatever DOCKER_HOST says", async () => {
    const dir = tmpDir("lb-engine-");
    const sock = path.join(dir, "docker.sock");
    const srv = http.createServer(answer);
    await new Promise<void>((r) => srv.listen(sock, r));
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "tcp://192.0.2.1:2375";
    try {
      const io = await makeIo({ docker: { host: `unix://${sock}` } });
      await expect(io.docker.ping(5000)).resolves.toEqual({ version: "28.1.0", apiVersion: "1.49", os: "linux" });
    } finally {
      if (before === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = before;
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it("an engine that accepts but never answers is a bounded failure, and a missing socket fails at once", async () => {
    const dir = tmpDir("lb-engine-");
    const sock = path.join(dir, "docker.sock");
    const srv = http.createServer(() => undefined); // never answers
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      const io = await makeIo({ docker: { host: `unix://${sock}`, connectTimeoutMs: 5000 } });
      const t0 = Date.now();
      await expect(io.docker.ping(300)).rejects.toMatchObject({ code: "E_NETWORK_TIMEOUT" });
      expect(Date.now() - t0).toBeLessThan(3000);
      const gone = await makeIo({ docker: { host: `unix://${dir}/nothing.sock` } });
      await expect(gone.docker.ping(5000)).rejects.toMatchObject({ code: "E_ENV_DOCKER_UNREACHABLE" });
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it("tcp:// with TLS: the client certificate opens it; a certificate of another CA does not", async () => {
    const dir = tmpDir("lb-engine-tls-");
    const ossl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const ca = (name: string) => ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "1", "-subj", `/CN=${name}`);
    const leaf = (name: string, issuer: string, ext: string) => {
      ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
      fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
      ossl("x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "1", "-extfile", `${name}.ext`);
    };
    ca("ca");
    ca("rogue");
    leaf("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    leaf("client", "ca", "extendedKeyUsage=clientAuth\n");
    leaf("intruder", "rogue", "extendedKeyUsage=clientAuth\n");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    const srv = https.createServer({ key: read("server.key"), cert: read("server.pem"), ca: read("ca.pem"), requestCert: true, rejectUnauthorized: true }, answer);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    try {
      const io = await makeIo({ docker: { host: `tcp://127.0.0.1:${port}`, tls: { ca: read("ca.pem"), cert: read("client.pem"), key: read("client.key") } } });
      await expect(io.docker.ping(5000)).resolves.toMatchObject({ version: "28.1.0" });
      const rogue = await makeIo({ docker: { host: `tcp://127.0.0.1:${port}`, tls: { ca: read("ca.pem"), cert: read("intruder.pem"), key: read("intruder.key") } } });
      await expect(rogue.docker.ping(5000)).rejects.toBeDefined();
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  }, 20_000);

  it("ssh://: docker system dial-stdio on the host, the host key checked against known_hosts", async () => {
    // ssh2 is docker-modem's own dependency: its server stands in for the host's sshd.
    const { Server, utils } = await import("ssh2");
    const hostKey = utils.generateKeyPairSync("ed25519");
    const userKey = utils.generateKeyPairSync("ed25519");
    const allowed = utils.parseKey(userKey.public);
    if (allowed instanceof Error) throw allowed;
    const engine = http.createServer(answer);
    const commands: string[] = [];
    const sshd = new Server({ hostKeys: [hostKey.private] }, (client) => {
      client
        .on("authentication", (ctx) => {
          if (ctx.method === "publickey" && ctx.username === "deploy" && ctx.key.data.equals(allowed.getPublicSSH()) && (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true)) ctx.accept();
          else ctx.reject(["publickey"]);
        })
        .on("ready", () => {
          client.on("session", (accept) => {
            accept().on("exec", (acceptExec, _reject, info) => {
              commands.push(info.command);
              engine.emit("connection", acceptExec());
            });
          });
        })
        .on("error", () => undefined);
    });
    await new Promise<void>((r) => sshd.listen(0, "127.0.0.1", r));
    const port = (sshd.address() as { port: number }).port;
    const knownHosts = `[127.0.0.1]:${port} ${hostKey.public.split(" ").slice(0, 2).join(" ")}\n`;
    try {
      const io = await makeIo({ docker: { host: `ssh://deploy@127.0.0.1:${port}`, ssh: { privateKey: userKey.private, knownHosts } } });
      await expect(io.docker.ping(10_000)).resolves.toMatchObject({ version: "28.1.0" });
      expect(commands).toEqual(["docker system dial-stdio"]);
      const wrong = utils.generateKeyPairSync("ed25519");
      const spoofed = await makeIo({ docker: { host: `ssh://deploy@127.0.0.1:${port}`, ssh: { privateKey: userKey.private, knownHosts: `[127.0.0.1]:${port} ${wrong.public.split(" ").slice(0, 2).join(" ")}\n` } } });
      await expect(spoofed.docker.ping(10_000)).rejects.toThrow(/verification failed|Host denied/i);
      expect(commands).toHaveLength(1);
    } finally {
      await new Promise<void>((r) => sshd.close(() => r()));
    }
  }, 30_000);
});
