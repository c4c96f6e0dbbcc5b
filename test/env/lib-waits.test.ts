// test/env/lib.sh's waits on a just-started engine, with stand-ins for `docker` and `ip` on PATH:
// the default bridge's gateway comes from IPAM, else from the bridge interface's address (an
// engine's first start lists only the subnet: moby/moby#26799); a probe that fails at first is
// polled until it answers; a poll that runs out prints what its last check saw.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const LIB = path.join(__dirname, "lib.sh");

interface Fake {
  /** What `docker network inspect bridge --format ...` prints (IPAM gateways, "|", bridge name); undefined: it fails. */
  inspect?: string;
  /** How many inspect calls fail before it answers. */
  failFirst?: number;
  /** What `ip -4 -o addr show dev <if>` prints; undefined: it fails. */
  ipAddr?: string;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lib-waits-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeExe(name: string, body: string): void {
  fs.writeFileSync(path.join(dir, "bin", name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
}

/** Runs `script` in bash with lib.sh sourced and the fakes first on PATH. */
function run(fake: Fake, script: string): { code: number; stdout: string; stderr: string; calls: string[] } {
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.writeFileSync(path.join(dir, "inspect.out"), fake.inspect ?? "");
  fs.writeFileSync(path.join(dir, "ip.out"), fake.ipAddr ?? "");
  writeExe(
    "docker",
    [
      `echo "docker $*" >>"${dir}/calls"`,
      `n=$(cat "${dir}/count" 2>/dev/null || echo 0); echo $((n + 1)) >"${dir}/count"`,
      `if [ "$1 $2 $3" = "network inspect bridge" ]; then`,
      `  if [ "$n" -lt ${fake.failFirst ?? 0} ]; then echo "Error response from daemon: network bridge not found" >&2; exit 1; fi`,
      fake.inspect === undefined ? `  echo "Cannot connect to the Docker daemon" >&2; exit 1` : `  cat "${dir}/inspect.out"; exit 0`,
      `fi`,
      `exit 1`,
    ].join("\n"),
  );
  writeExe("ip", [`echo "ip $*" >>"${dir}/calls"`, fake.ipAddr === undefined ? `echo 'Device "docker0" does not exist.' >&2; exit 1` : `cat "${dir}/ip.out"`].join("\n"));
  const r = spawnSync("bash", ["-c", `set -euo pipefail; source "${LIB}"; ${script}`], {
    env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, TESTENV_TMP: path.join(dir, "tmp"), HOME: dir },
    encoding: "utf8",
    timeout: 20_000,
  });
  const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [];
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, calls };
}

describe("sink_gateway (the default bridge's gateway address)", () => {
  it("takes IPAM's IPv4 gateway (an IPv6 one beside it is skipped) without asking the interface", () => {
    const r = run({ inspect: "fd00::1 172.17.0.1 |docker0" }, "sink_gateway");
    expect(r).toMatchObject({ code: 0, stdout: "172.17.0.1" });
    expect(r.calls.filter((c) => c.startsWith("ip "))).toEqual([]);
  });

  it("on an engine's first start (IPAM lists no gateway) reads the bridge interface's address", () => {
    const r = run({ inspect: " |docker0", ipAddr: "4: docker0    inet 172.18.0.1/16 brd 172.18.255.255 scope global docker0\\       valid_lft forever preferred_lft forever\n" }, "sink_gateway");
    expect(r).toMatchObject({ code: 0, stdout: "172.18.0.1" });
    expect(r.calls).toContain("ip -4 -o addr show dev docker0");
  });

  it("asks the interface the network names (a renamed bridge)", () => {
    const r = run({ inspect: "|br-custom", ipAddr: "7: br-custom    inet 10.20.0.1/24 scope global br-custom\n" }, "sink_gateway");
    expect(r).toMatchObject({ code: 0, stdout: "10.20.0.1" });
    expect(r.calls).toContain("ip -4 -o addr show dev br-custom");
  });

  it("polls while the just-started engine does not answer yet", () => {
    const r = run({ inspect: "172.17.0.1 |docker0", failFirst: 3 }, "sink_gateway");
    expect(r).toMatchObject({ code: 0, stdout: "172.17.0.1" });
    expect(r.calls.filter((c) => c.startsWith("docker network inspect bridge")).length).toBe(4);
  });
});

describe("bridge_gateway_probe: a failed check says what it saw", () => {
  it.each([
    [{}, /docker network inspect bridge failed: Cannot connect to the Docker daemon/],
    [{ inspect: " |docker0" }, /IPAM gateway: none \(IPAM config:  \); ip addr show dev docker0: Device "docker0" does not exist\./],
    [{ inspect: " |docker0", ipAddr: "4: docker0    inet6 fe80::1/64 scope link\n" }, /no IPv4 address on docker0: 4: docker0 {4}inet6 fe80::1\/64/],
  ])("%j", (fake, seen) => {
    const r = run(fake, "bridge_gateway_probe");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(seen);
  });
});

describe("wait_for", () => {
  it("keeps the answer of the check that succeeded in WAIT_SEEN", () => {
    const r = run({}, `wait_for 5 "an echo" echo hello; printf '[%s]' "$WAIT_SEEN"`);
    expect(r).toMatchObject({ code: 0, stdout: "[hello]" });
  });

  it("gives up at its deadline and prints the last check's status and output", () => {
    const t0 = Date.now();
    const r = run({}, `wait_for 1 "the thing" bash -c 'echo "still starting"; echo "no socket yet" >&2; exit 3' || echo "gave up"`);
    const took = Date.now() - t0;
    expect(r.stdout).toBe("gave up\n");
    expect(r.stderr).toMatch(/timed out after 1s \(\d+ checks\) waiting for the thing; the last check \(`bash -c .*`\) exited 3 and printed:/);
    expect(r.stderr).toMatch(/^ {4}still starting$/m);
    expect(r.stderr).toMatch(/^ {4}no socket yet$/m);
    expect(took).toBeLessThan(10_000);
  });
});
