import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
// Pure container facts: ports and binds, limits, uploads, labels, host-directory script, volumes.
import * as pulumi from "@pulumi/pulumi";
import {
  bindIp,
  containerArgs,
  containerLabels,
  dataVolumeArgs,
  endpointUrl,
  memoryLimitMb,
  protectData,
  publishedPorts,
  uploadsFor,
} from "../../components/service";
import { DOCKER_SOCKET_EXCEPTION, SPECS, bashHttpHealth, cadvisorSpec, lokiHealthTest, wgetHealth } from "../../components/services";
import { hostDirsScript, shellQuote } from "../../components/stack";
import { renderServiceFiles } from "../../components/render";
import type { ServiceName } from "../../contracts/config/schema";
import { SERVICES } from "../../contracts/config/schema";
import { stackConfig } from "../util/mocks";
import { withCfg } from "../util/stack-configs";

const test_ = stackConfig("test");
const prod = stackConfig("prod");

describe("ports and binds", () => {
  it("binds to exposure.bindAddress except loopbackOnly services", () => {
    expect(bindIp(prod, "grafana")).toBe("0.0.0.0");
    expect(bindIp(prod, "loki")).toBe("127.0.0.1");
    expect(bindIp(test_, "grafana")).toBe("127.0.0.1");
  });
  it("publishes only configured ports", () => {
    const noAlloyPort = withCfg(test_, (c) => delete c.ports.alloy);
    expect(publishedPorts(noAlloyPort, "alloy")).toEqual([]);
    expect(endpointUrl(noAlloyPort, "alloy")).toBeUndefined();
    expect(publishedPorts(prod, "grafana")).toEqual([{ internal: 3000, external: 9001, ip: "0.0.0.0", protocol: "tcp" }]);
    expect(publishedPorts(prod, "prometheus")).toEqual([{ internal: 9090, external: 9004, ip: "127.0.0.1", protocol: "tcp" }]);
  });
  it("reports host endpoints reachable from the host (0.0.0.0 via 127.0.0.1)", () => {
    expect(endpointUrl(prod, "grafana")).toBe("http://127.0.0.1:9001");
    const lan = withCfg(prod, (c) => (c.exposure.bindAddress = "192.168.1.10"));
    expect(endpointUrl(lan, "grafana")).toBe("http://192.168.1.10:9001");
    expect(endpointUrl(lan, "loki")).toBe("http://127.0.0.1:9002");
  });
});

describe("limits, labels, protection", () => {
  it("uses limits.<service> or the default table", () => {
    expect(memoryLimitMb(prod, "loki")).toBe(2048);
    expect(memoryLimitMb(prod, "cadvisor")).toBe(256);
  });
  it("labels containers with project and camelCase service", () => {
    expect(containerLabels(test_, "nodeExporter")).toEqual([
      { label: "logging-bootstrap.project", value: "logging-test" },
      { label: "logging-bootstrap.service", value: "nodeExporter" },
    ]);
  });
  it("protects data on prod only", () => {
    expect(protectData("prod")).toBe(true);
    expect(protectData("test")).toBe(false);
    expect(protectData("production")).toBe(false);
  });
  it("binds volumes under dataRoot when set", () => {
    expect(dataVolumeArgs(test_, "loki").driverOpts).toBeUndefined();
    const withRoot = withCfg(test_, (c) => (c.paths.dataRoot = "/srv/data/"));
    expect(dataVolumeArgs(withRoot, "nodeExporter").driverOpts).toEqual({ type: "none", o: "bind", device: "/srv/data/node-exporter" });
  });
});

describe("uploads", () => {
  it("non-secret files are 0444; secret files 0440 (root and group 0 only), never with owner/group", () => {
    const files = renderServiceFiles(test_).loki;
    const secret = pulumi.secret("x");
    const u = uploadsFor(files, [{ path: "/s", content: secret }]);
    expect(u[0]).toEqual({ file: "/etc/loki/config.yaml", content: files[0].content, permissions: "0444", executable: false });
    expect(u[1]).toEqual({ file: "/s", content: secret, permissions: "0440", executable: false });
    // owner/group would make the provider ask the engine to chown to the container's user, which
    // Docker 20.10 refuses for a numeric "uid:gid" user (seen with the real engine).
    for (const entry of u) expect(Object.keys(entry).filter((k) => k === "owner" || k === "group")).toEqual([]);
  });
});

describe("container args", () => {
  it("every service has an explicit command, a CMD healthcheck and wait", () => {
    for (const svc of SERVICES) {
      const a = containerArgs(test_, SPECS[svc](test_), [], { imageId: "sha256:abc", network: "n" });
      expect((a.command as string[]).length).toBeGreaterThan(0);
      expect((a.healthcheck as { tests: string[] }).tests[0]).toBe("CMD");
      expect(a.wait).toBe(true);
      expect(a.image).toBe("sha256:abc");
    }
  });
  it("health probes use what the images ship (busybox wget; bash for Alloy)", () => {
    expect(wgetHealth("loki", "/ready")).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"]);
    expect(SPECS.alloy(test_).healthTest).toEqual(bashHttpHealth(12345, "/-/ready"));
    expect(SPECS.alloy(test_).healthTest[1]).toBe("/bin/bash");
  });
  it("Loki's healthcheck follows its image: busybox wget up to 3.5.7, the binary's own -health from 3.7", () => {
    const at = (tag: string) => lokiHealthTest({ images: { ...test_.images, loki: `grafana/loki:${tag}` } });
    expect(at("3.0.0")).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"]);
    expect(at("3.5.7")).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3100/ready"]);
    expect(at("3.7.0")).toEqual(["CMD", "/usr/bin/loki", "-health"]);
    expect(at("3.7.8")).toEqual(["CMD", "/usr/bin/loki", "-health"]);
  });

  it("probes exactly what each image serves, with timings in Go's canonical duration form", () => {
    const wget = (port: number, path: string) => ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}${path}`];
    const expected: Record<ServiceName, string[]> = {
      grafana: wget(3000, "/api/health"),
      loki: ["CMD", "/usr/bin/loki", "-health"],
      prometheus: wget(9090, "/-/ready"),
      nodeExporter: wget(9100, "/metrics"),
      cadvisor: wget(8080, "/healthz"),
      alertmanager: wget(9093, "/-/ready"),
      alloy: ["CMD", "/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/12345 && printf 'GET /-/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"],
    };
    const secs = (d: string): number => {
      // The provider reads healthchecks back as Go's Duration.String(): "5s", but "1m0s" for 60 s.
      // Any other spelling ("60s", "1m") would differ from the read-back and plan a change (P6).
      expect(d).toMatch(/^[1-9][0-9]?s$/);
      expect(Number(d.slice(0, -1))).toBeLessThan(60);
      return Number(d.slice(0, -1));
    };
    for (const svc of SERVICES) {
      const a = containerArgs(test_, SPECS[svc](test_), [], { imageId: "i", network: "n" });
      const hc = a.healthcheck as { tests: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
      expect(hc.tests).toEqual(expected[svc]);
      const [interval, timeout, start] = [secs(hc.interval), secs(hc.timeout), secs(hc.startPeriod)];
      expect(timeout).toBeLessThan(interval);
      // `up` waits long enough for Docker to decide either way (healthy, or unhealthy after retries).
      expect(a.waitTimeout as number).toBeGreaterThanOrEqual(start + hc.retries * (interval + timeout));
    }
    // Loki's /ready answers 503 for ~15 s after start (ingester ring join); failures inside the start
    // period do not count, so the start period must cover it.
    const loki = containerArgs(test_, SPECS.loki(test_), [], { imageId: "i", network: "n" }).healthcheck as { startPeriod: string };
    expect(secs(loki.startPeriod)).toBeGreaterThanOrEqual(20);
  });

  it("caps swap at the memory limit (a hard limit; Docker's 2x default would re-plan every up)", () => {
    for (const cfg of [test_, prod]) {
      for (const svc of SERVICES) {
        const a = containerArgs(cfg, SPECS[svc](cfg), [], { imageId: "i", network: "n" });
        expect(a.memorySwap).toBe(memoryLimitMb(cfg, svc));
        expect(a.memory).toBe(memoryLimitMb(cfg, svc));
      }
    }
  });

  it("cAdvisor's privilege is a named exception recorded as a label", () => {
    const a = containerArgs(test_, cadvisorSpec(test_), [], { imageId: "i", network: "n" });
    expect(a.privileged).toBe(true);
    expect(a.labels).toContainEqual({ label: "logging-bootstrap.exception", value: expect.stringMatching(/^privileged: .*; docker-socket: the Docker socket gives full control of the engine/) });
    const l = containerArgs(test_, SPECS.loki(test_), [], { imageId: "i", network: "n" });
    expect(l.privileged).toBeUndefined();
  });

  it("cadvisor.privileged: false drops the privilege and its exception; the Docker socket's stays", () => {
    const cfg = withCfg(test_, (c) => (c.cadvisor.privileged = false));
    const a = containerArgs(cfg, cadvisorSpec(cfg), [], { imageId: "i", network: "n" });
    expect(a.privileged).toBeUndefined();
    const exception = (a.labels as { label: string; value: string }[]).find((l) => l.label === "logging-bootstrap.exception")?.value;
    expect(exception).toBe(DOCKER_SOCKET_EXCEPTION);
    // Its host mounts stay read-only either way.
    expect((a.volumes as { readOnly: boolean }[]).every((v) => v.readOnly)).toBe(true);
  });
});

describe("host directories", () => {
  it("quotes paths for the shell", () => {
    expect(shellQuote("/a b/it's")).toBe(`'/a b/it'\\''s'`);
  });
  it("creates the logs and telemetry roots, and dataRoot subdirectories with owners; never deletes", () => {
    const calls = (s: string) => s.split("\n").filter((l) => l.startsWith("host_dir "));
    expect(calls(hostDirsScript(test_))).toEqual(["host_dir '/tmp/bootstrap-test/logs'", "host_dir '/tmp/bootstrap-test/telemetry'"]);
    const s = hostDirsScript(withCfg(test_, (c) => (c.paths.dataRoot = "/srv/d")));
    for (const [d, o] of [["grafana", "472:0"], ["loki", "10001:10001"], ["alloy", "0:0"], ["prometheus", "65534:65534"]]) {
      expect(calls(s)).toContain(`host_dir '/srv/d/${d}' '${o}' '${d}'`);
    }
    expect(s).not.toMatch(/\brm\b/);
  });
  it("runs safely with hostile paths: every one is data to the shell, even in the warning when chown fails", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lb-hostdirs-"));
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    // chown fails (as it does for a non-root operator): the warning path runs too.
    fs.writeFileSync(path.join(bin, "chown"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const evil = `$(touch ${tmp}/pwned1)\`touch ${tmp}/pwned2\`';touch ${tmp}/pwned3;'"x %s %n\\`;
    const cfg = withCfg(test_, (c) => {
      c.paths.logsRoot = `${tmp}/logs ${evil}`;
      c.paths.telemetryRoot = `${tmp}/tel`;
      c.paths.dataRoot = `${tmp}/data ${evil}`;
    });
    const r = spawnSync("/bin/sh", ["-c", hostDirsScript(cfg)], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith("pwned"))).toEqual([]);
    expect(fs.statSync(`${tmp}/logs ${evil}`).isDirectory()).toBe(true);
    expect(fs.statSync(`${tmp}/data ${evil}/loki`).isDirectory()).toBe(true);
    expect(r.stderr).toContain(`warning: could not chown 10001:10001 ${tmp}/data ${evil}/loki; the loki container may not write its data`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
