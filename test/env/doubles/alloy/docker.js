"use strict";
// Docker log shipping for the Alloy double: discovery.docker -> discovery.relabel -> loki.source.docker.
// Pure parts (relabel rules, Docker's multiplexed log stream) are exported for unit tests.
const http = require("node:http");
const C = require("./config.js");
const { componentOf } = require("../lib/alloy-syntax.js");

/** Prometheus relabelling, the actions Alloy pipelines use: replace, keep, drop, labelmap, labeldrop, labelkeep. */
function relabel(labels, rules) {
  let lab = Object.assign({}, labels);
  for (const r of rules) {
    const regex = new RegExp(`^(?:${r.regex === undefined ? "(.*)" : r.regex})$`);
    const value = (r.source_labels || []).map((n) => (lab[n] === undefined ? "" : lab[n])).join(r.separator === undefined ? ";" : r.separator);
    const action = r.action || "replace";
    if (action === "keep") {
      if (!regex.test(value)) return null;
    } else if (action === "drop") {
      if (regex.test(value)) return null;
    } else if (action === "replace") {
      const m = regex.exec(value);
      if (m && r.target_label) {
        const repl = r.replacement === undefined ? "$1" : r.replacement;
        const v = repl.replace(/\$\{?(\d+)\}?/g, (_, i) => m[Number(i)] || "");
        if (v === "") delete lab[r.target_label];
        else lab[r.target_label] = v;
      }
    } else if (action === "labelmap") {
      for (const [k, v] of Object.entries(lab)) {
        const m = regex.exec(k);
        if (m) lab[(r.replacement === undefined ? "$1" : r.replacement).replace(/\$\{?(\d+)\}?/g, (_, i) => m[Number(i)] || "")] = v;
      }
    } else if (action === "labeldrop" || action === "labelkeep") {
      const next = {};
      for (const [k, v] of Object.entries(lab)) if (regex.test(k) === (action === "labelkeep")) next[k] = v;
      lab = next;
    }
  }
  return lab;
}

/** Split Docker's multiplexed (non-TTY) log stream into lines; each frame has an 8-byte header. */
function demux(buf) {
  const lines = [];
  let i = 0;
  let text = "";
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    if (buf[i] > 2 || i + 8 + size > buf.length) {
      text += buf.subarray(i).toString("utf8"); // not multiplexed (TTY): raw text
      i = buf.length;
      break;
    }
    text += buf.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  for (const l of text.split("\n")) if (l) lines.push(l);
  return lines;
}

/** The docker pipeline of a parsed config: discovery.docker host, relabel rules and whether a loki.source.docker reads it. */
function dockerPipeline(root) {
  const sources = root.blocks.filter((b) => b.name === "loki.source.docker");
  if (sources.length === 0) return null;
  const src = sources[0];
  const disc = root.blocks.find((b) => b.name === "discovery.docker");
  const host = (src.attrs.host || (disc && disc.attrs.host) || "unix:///var/run/docker.sock").toString();
  const rules = rulesReadFrom(root, src.attrs.targets, "discovery.relabel", "output");
  return { socketPath: host.replace(/^unix:\/\//, ""), rules };
}

/** The rule blocks' attributes of the `kind` component whose `exported` field `value` references (none: []). */
function rulesReadFrom(root, value, kind, exported) {
  const ref = value && value.expr;
  const rb = typeof ref === "string" ? componentOf(root.blocks, ref) : undefined;
  if (!rb || rb.name !== kind || ref !== `${kind}.${rb.label}.${exported}`) return [];
  return rb.blocks.filter((b) => b.name === "rule").map((b) => b.attrs);
}

function dockerGet(socketPath, path, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`docker ${path}: HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error(`docker ${path}: timeout`)));
    req.on("error", reject);
  });
}

/** Meta labels discovery.docker gives a container (one target per container here). */
function metaLabels(c) {
  const lab = {
    __meta_docker_container_id: c.Id,
    __meta_docker_container_name: (c.Names || [""])[0],
    __meta_docker_container_network_mode: (c.HostConfig && c.HostConfig.NetworkMode) || "",
  };
  for (const [k, v] of Object.entries(c.Labels || {})) lab[`__meta_docker_container_label_${k.replace(/[^a-zA-Z0-9_]/g, "_")}`] = v;
  return lab;
}

/**
 * Read new log lines of every kept container since its stored position (seconds.nanoseconds of the
 * last line shipped). Returns the entries [{labels, line, ts (BigInt ns)}], the new positions
 * (committed by the caller after a successful push), the containers listed and, per kept
 * container, its tailer's state: {id, labels (the target's full label set), error?}.
 */
async function readDockerLogs(pipeline, positions) {
  const list = JSON.parse((await dockerGet(pipeline.socketPath, "/containers/json", 3000)).toString("utf8"));
  const out = [];
  const next = {};
  const tails = [];
  for (const c of list) {
    const lab = relabel(metaLabels(c), pipeline.rules);
    if (!lab) continue;
    const labels = {};
    for (const [k, v] of Object.entries(lab)) if (!k.startsWith("__")) labels[k] = v;
    const key = `docker:${c.Id}`;
    const last = positions[key] && positions[key].since;
    const q = last ? `since=${last}` : "tail=1000";
    const tail = { id: c.Id, labels: lab };
    tails.push(tail);
    let buf;
    try {
      buf = await dockerGet(pipeline.socketPath, `/containers/${c.Id}/logs?stdout=1&stderr=1&timestamps=1&${q}`, 3000);
    } catch (e) {
      tail.error = e.message;
      continue;
    }
    let newest = last;
    for (const raw of demux(buf)) {
      const sp = raw.indexOf(" ");
      const stamp = raw.slice(0, sp);
      const ms = Date.parse(stamp);
      if (Number.isNaN(ms)) continue;
      const frac = (/\.(\d+)/.exec(stamp) || [, "0"])[1];
      const ts = BigInt(Math.floor(ms / 1000)) * 1000000000n + BigInt((frac + "000000000").slice(0, 9));
      const unixStamp = `${ts / 1000000000n}.${(ts % 1000000000n).toString().padStart(9, "0")}`;
      if (last && compareStamp(unixStamp, last) <= 0) continue; // since= is inclusive
      out.push({ labels, line: raw.slice(sp + 1), ts });
      newest = unixStamp;
    }
    if (newest) next[key] = { since: newest };
  }
  return { entries: out, positions: next, containers: list, tails };
}

function compareStamp(a, b) {
  const [as, an] = a.split(".");
  const [bs, bn] = b.split(".");
  if (BigInt(as) !== BigInt(bs)) return BigInt(as) < BigInt(bs) ? -1 : 1;
  return BigInt(an || "0") < BigInt(bn || "0") ? -1 : BigInt(an || "0") > BigInt(bn || "0") ? 1 : 0;
}

module.exports = { relabel, rulesReadFrom, demux, dockerPipeline, readDockerLogs, metaLabels, compareStamp, C };
