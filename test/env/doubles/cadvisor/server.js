"use strict";
// cAdvisor TEST DOUBLE (not cAdvisor). Ignores its flags (-logtostderr, --docker_only, ...) except
// --port / -port. Serves /healthz ("ok") and /metrics in the Prometheus text format with
// cadvisor_version_info and the container_* series the stack's dashboards read, named, labelled and
// described as cAdvisor v0.49 exports them: the root cgroup always, plus one set per running
// container when the Docker socket is mounted at /var/run/docker.sock (read-only API calls: the
// container list, one stats snapshot per container, and the engine's `oom` events).
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const { parseFlags, send, serve, log } = require("../lib/common.js");

const SERVICE = "cadvisor-double";
const VERSION = process.env.DOUBLE_VERSION || "v0.60.5";
const SOCKET = process.env.CADVISOR_DOUBLE_DOCKER_SOCKET || "/var/run/docker.sock";
/** OOM events are counted from here on, as cAdvisor counts the ones it observes while it runs. */
const STARTED_S = Math.floor(Date.now() / 1000);

/** GET a Docker API path over the socket: parsed JSON (or raw text), undefined on any failure. */
function dockerGet(path, { raw = false, timeoutMs = 2500 } = {}) {
  return new Promise((resolve) => {
    if (!fs.existsSync(SOCKET)) return resolve(undefined);
    const req = http.get({ socketPath: SOCKET, path, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve(undefined);
        const text = Buffer.concat(chunks).toString();
        if (raw) return resolve(text);
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

async function dockerContainers() {
  const list = await dockerGet("/containers/json");
  return Array.isArray(list) ? list : [];
}

/** One stats snapshot (`one-shot`: no second sample for precpu; the engine ignores it before API 1.41). */
function dockerStats(id) {
  return dockerGet(`/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`);
}

/** container id -> number of `oom` events the engine reported for it since the double started. */
async function dockerOomEvents(nowS) {
  const filters = encodeURIComponent(JSON.stringify({ type: ["container"], event: ["oom"] }));
  // With `until` the engine answers the events in [since, until] and closes the stream.
  const text = await dockerGet(`/events?since=${STARTED_S}&until=${nowS}&filters=${filters}`, { raw: true });
  const out = {};
  for (const line of String(text || "").split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line);
      const id = (e.Actor && e.Actor.ID) || e.id;
      if (id) out[id] = (out[id] || 0) + 1;
    } catch {
      // a partial line: ignore
    }
  }
  return out;
}

function esc(v) {
  return String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels) {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${esc(labels[k])}"`)
    .join(",");
}

/** Working set as cAdvisor computes it: usage minus inactive file pages (cgroup v2 / v1 names), >= 0. */
function workingSet(memory) {
  const usage = Number((memory && memory.usage) || 0);
  const st = (memory && memory.stats) || {};
  const inactive = Number(st.inactive_file !== undefined ? st.inactive_file : st.total_inactive_file || 0);
  return Math.max(0, inactive < usage ? usage - inactive : 0);
}

/**
 * The exposition. `details` (optional): container id -> {stats: Docker stats JSON, oomEvents: n}.
 * A container without stats (it stopped between the list and the stats call) still has its
 * container_last_seen and container_start_time_seconds, as cAdvisor reports a known container.
 */
function renderMetrics(containers, nowMs, details = {}) {
  const nowS = Math.floor(nowMs / 1000);
  // The root cgroup: the machine (host CPU times and memory, created at boot).
  const hostCpu = os.cpus().reduce((n, c) => ({ user: n.user + c.times.user, sys: n.sys + c.times.sys }), { user: 0, sys: 0 });
  const rootSeries = {
    root: true,
    labels: { id: "/", image: "", name: "" },
    created: Math.floor(nowS - os.uptime()),
    cpu: { total: (hostCpu.user + hostCpu.sys) / 1000, user: hostCpu.user / 1000, system: hostCpu.sys / 1000 },
    memory: { usage: os.totalmem() - os.freemem(), stats: {} },
  };
  const series = [rootSeries].concat(
    containers.map((c) => {
      const d = details[c.Id] || {};
      const st = d.stats || {};
      const u = st.cpu_stats && st.cpu_stats.cpu_usage;
      return {
        root: false,
        labels: { id: `/docker/${c.Id}`, image: c.Image || "", name: String((c.Names || [""])[0]).replace(/^\//, "") },
        // cAdvisor's start time of a Docker container is the engine's `Created` (spec.CreationTime).
        created: Number(c.Created || 0),
        cpu: u ? { total: Number(u.total_usage || 0) / 1e9, user: Number(u.usage_in_usermode || 0) / 1e9, system: Number(u.usage_in_kernelmode || 0) / 1e9 } : undefined,
        memory: st.memory_stats && st.memory_stats.usage !== undefined ? st.memory_stats : undefined,
        oomEvents: d.oomEvents || 0,
      };
    }),
  );
  const families = [];
  const family = (name, type, help, rows) => families.push({ name, type, help, rows: rows.filter(Boolean) });
  family("container_cpu_system_seconds_total", "counter", "Cumulative system cpu time consumed in seconds.", series.map((s) => s.cpu && [s.labels, s.cpu.system.toFixed(6)]));
  // cAdvisor's default (percpu metrics disabled) is one series with cpu="total", none while it is 0.
  family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.", series.map((s) => s.cpu && s.cpu.total > 0 && [{ ...s.labels, cpu: "total" }, s.cpu.total.toFixed(6)]));
  family("container_cpu_user_seconds_total", "counter", "Cumulative user cpu time consumed in seconds.", series.map((s) => s.cpu && [s.labels, s.cpu.user.toFixed(6)]));
  family("container_last_seen", "gauge", "Last time a container was seen by the exporter", series.map((s) => [s.labels, nowS]));
  family("container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed", series.map((s) => s.memory && [s.labels, Number(s.memory.usage || 0)]));
  family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.", series.map((s) => s.memory && [s.labels, workingSet(s.memory)]));
  family("container_oom_events_total", "counter", "Count of out of memory events observed for the container", series.map((s) => !s.root && [s.labels, s.oomEvents]));
  family("container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds.", series.map((s) => [s.labels, s.created]));

  const lines = [
    "# HELP cadvisor_version_info A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.",
    "# TYPE cadvisor_version_info gauge",
    `cadvisor_version_info{cadvisorRevision="double",cadvisorVersion="${esc(VERSION)}",dockerVersion="",kernelVersion="${esc(os.release())}",osVersion="testenv double"} 1`,
  ];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value] of f.rows) lines.push(`${f.name}{${labelText(labels)}} ${value}`);
  }
  return lines.join("\n") + "\n";
}

/** Everything /metrics needs from the engine, fetched in parallel. */
async function snapshot(nowMs) {
  const containers = await dockerContainers();
  const [stats, ooms] = await Promise.all([Promise.all(containers.map((c) => dockerStats(c.Id))), dockerOomEvents(Math.floor(nowMs / 1000))]);
  const details = {};
  containers.forEach((c, i) => {
    details[c.Id] = { stats: stats[i], oomEvents: ooms[c.Id] || 0 };
  });
  return { containers, details };
}

function main() {
  const { flags } = parseFlags(process.argv.slice(2));
  const port = Number(flags.port || 8080);
  log(SERVICE, "starting cAdvisor test double", { version: VERSION, port });
  serve(SERVICE, "0.0.0.0", port, async (req, res, url) => {
    if (url.pathname === "/healthz") return send(res, 200, "ok");
    if (url.pathname === "/metrics") {
      const now = Date.now();
      const { containers, details } = await snapshot(now);
      return send(res, 200, renderMetrics(containers, now, details), "text/plain; version=0.0.4; charset=utf-8");
    }
    return send(res, 404, "404 page not found\n");
  });
}

module.exports = { renderMetrics, workingSet };
if (require.main === module) main();
