"use strict";
// cAdvisor TEST DOUBLE (not cAdvisor). Ignores its flags (-logtostderr, --docker_only, ...) except
// --port / -port. Serves /healthz ("ok") and /metrics in the Prometheus text format with
// cadvisor_version_info and container_* series: the root cgroup always, plus one series per running
// container when the Docker socket is mounted at /var/run/docker.sock (read-only API calls).
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const { parseFlags, send, serve, log } = require("../lib/common.js");

const SERVICE = "cadvisor-double";
const VERSION = process.env.DOUBLE_VERSION || "v0.49.1";
const SOCKET = process.env.CADVISOR_DOUBLE_DOCKER_SOCKET || "/var/run/docker.sock";

function dockerContainers() {
  return new Promise((resolve) => {
    if (!fs.existsSync(SOCKET)) return resolve([]);
    const req = http.get({ socketPath: SOCKET, path: "/containers/json", timeout: 1500 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString()) : []);
        } catch {
          resolve([]);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve([]));
  });
}

function esc(v) {
  return String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function renderMetrics(containers, nowMs) {
  const lines = [
    "# HELP cadvisor_version_info A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.",
    "# TYPE cadvisor_version_info gauge",
    `cadvisor_version_info{cadvisorRevision="double",cadvisorVersion="${esc(VERSION)}",dockerVersion="",kernelVersion="${esc(os.release())}",osVersion="testenv double"} 1`,
    "# HELP container_last_seen Last time a container was seen by the exporter",
    "# TYPE container_last_seen gauge",
  ];
  const series = [{ id: "/", name: "", image: "" }].concat(
    containers.map((c) => ({ id: `/docker/${c.Id}`, name: String((c.Names || [""])[0]).replace(/^\//, ""), image: c.Image || "" })),
  );
  for (const s of series) lines.push(`container_last_seen{id="${esc(s.id)}",image="${esc(s.image)}",name="${esc(s.name)}"} ${Math.floor(nowMs / 1000)}`);
  lines.push("# HELP container_memory_usage_bytes Current memory usage in bytes, including all memory regardless of when it was accessed", "# TYPE container_memory_usage_bytes gauge");
  lines.push(`container_memory_usage_bytes{id="/",image="",name=""} ${os.totalmem() - os.freemem()}`);
  lines.push("# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.", "# TYPE container_cpu_usage_seconds_total counter");
  const cpu = os.cpus().reduce((n, c) => n + c.times.user + c.times.sys, 0) / 1000;
  lines.push(`container_cpu_usage_seconds_total{cpu="total",id="/",image="",name=""} ${cpu.toFixed(3)}`);
  return lines.join("\n") + "\n";
}

function main() {
  const { flags } = parseFlags(process.argv.slice(2));
  const port = Number(flags.port || 8080);
  log(SERVICE, "starting cAdvisor test double", { version: VERSION, port });
  serve(SERVICE, "0.0.0.0", port, async (req, res, url) => {
    if (url.pathname === "/healthz") return send(res, 200, "ok");
    if (url.pathname === "/metrics") return send(res, 200, renderMetrics(await dockerContainers(), Date.now()), "text/plain; version=0.0.4; charset=utf-8");
    return send(res, 404, "404 page not found\n");
  });
}

module.exports = { renderMetrics };
if (require.main === module) main();
