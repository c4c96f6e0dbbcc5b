// The --real file of `npm run -s bench:fleet` for the three-host test environment: one entry per
// non-central host of the stack file, {input: its host proof's input (components/verify/host-spec.ts,
// what the stack's HostProof and verify prove), docker: its engine}, with a tcp:// host's TLS client
// certificate read from its directory. Written mode 0600 (it holds a private key); nothing printed
// but the file's name.
//   tsx test/env/fleet/bench-hosts.ts <stack file> <out file> [<host>=<tls dir> ...]
import fs from "node:fs";
import path from "node:path";
import { remoteHosts } from "../../../contracts/config/hosts";
import { loadConfigFile } from "../../../contracts/config/load";
import type { StackConfig } from "../../../contracts/config/schema";
import type { DockerEngine } from "../../../components/verify/engine";
import { hostProofSpec } from "../../../components/verify/host-spec";
import { parseTlsDirs } from "../describe";

export interface BenchHost {
  input: ReturnType<typeof hostProofSpec>;
  docker: DockerEngine;
}

/** The bench's hosts: every non-central host, its engine's TLS from `tls` (PEM text by host name). */
export function benchHosts(cfg: Omit<StackConfig, "grafanaAdminPassword">, tls: Record<string, DockerEngine["tls"]>): { hosts: BenchHost[] } {
  return {
    hosts: remoteHosts(cfg).map((h) => {
      const docker: DockerEngine = { host: h.docker.host };
      if (h.docker.host.startsWith("tcp://")) {
        if (!tls[h.name]) throw new Error(`host ${h.name} is on ${h.docker.host}: give ${h.name}=<tls dir> (ca.pem, cert.pem, key.pem)`);
        docker.tls = tls[h.name];
      }
      return { input: hostProofSpec(cfg, h.name), docker };
    }),
  };
}

/** A client certificate directory as DockerEngine's tls (tls.sh's file names). */
export function readTlsDir(dir: string): NonNullable<DockerEngine["tls"]> {
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
}

if (require.main === module) {
  const [stackFile, out, ...rest] = process.argv.slice(2);
  try {
    if (!stackFile || !out) throw new Error("usage: tsx test/env/fleet/bench-hosts.ts <stack file> <out file> [<host>=<tls dir> ...]");
    const dirs = parseTlsDirs(rest);
    const doc = benchHosts(loadConfigFile(stackFile), Object.fromEntries(Object.entries(dirs).map(([h, d]) => [h, readTlsDir(d)])));
    fs.writeFileSync(out, JSON.stringify(doc, null, 2) + "\n", { mode: 0o600 });
    fs.chmodSync(out, 0o600);
    process.stdout.write(`${out}\n`);
  } catch (e) {
    process.stderr.write(`bench-hosts: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
