"use strict";
// loki.source.journal for the Alloy double. Real Alloy reads journald's binary files through
// sd_journal; the double cannot, so it reads a plain stand-in written by the test environment:
// `<path>/*.journal.jsonl`, one JSON object per line with journald's field names
// (__REALTIME_TIMESTAMP in microseconds, _SYSTEMD_UNIT, MESSAGE, PRIORITY, ...). Everything after
// reading follows Alloy's journal target (internal/component/loki/source/journal): each field
// becomes a `__journal_<lowercased field>` label, the component's static `labels` are merged first,
// `relabel_rules` apply, an entry left with no label is dropped, `max_age` skips older entries.
const fs = require("node:fs");
const path = require("node:path");
const { relabel, rulesReadFrom } = require("./docker.js");

/** Go duration strings as Alloy writes max_age ("12h", "30m", "1h30m"): milliseconds. */
function durationMs(s) {
  const units = { h: 3600e3, m: 60e3, s: 1e3, ms: 1 };
  let total = 0;
  const re = /([0-9.]+)(ms|h|m|s)/g;
  let m;
  let seen = "";
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]];
    seen += m[0];
  }
  return seen === s && s !== "" ? total : undefined;
}

/** The journal pipeline of a parsed config, or null: path, static labels, max_age and the relabel rules it references. */
function journalPipeline(root) {
  const src = root.blocks.find((b) => b.name === "loki.source.journal");
  if (!src) return null;
  const rules = rulesReadFrom(root, src.attrs.relabel_rules, "loki.relabel", "rules");
  const labels = {};
  if (src.attrs.labels && typeof src.attrs.labels === "object") for (const [k, v] of Object.entries(src.attrs.labels)) if (typeof v === "string") labels[k] = v;
  const maxAge = typeof src.attrs.max_age === "string" ? durationMs(src.attrs.max_age) : undefined;
  return { path: typeof src.attrs.path === "string" ? src.attrs.path : "/var/log/journal", labels, maxAgeMs: maxAge === undefined ? 7 * 3600e3 : maxAge, rules };
}

/** Labels of one journal entry as Alloy builds them (static labels, then __journal_* fields, then relabelling). */
function entryLabels(entry, pipeline) {
  const lab = Object.assign({}, pipeline.labels);
  for (const [k, v] of Object.entries(entry)) if (typeof v === "string") lab[`__journal_${k.toLowerCase()}`] = v;
  const out = relabel(lab, pipeline.rules);
  if (!out) return null;
  const visible = {};
  for (const [k, v] of Object.entries(out)) if (!k.startsWith("__")) visible[k] = v;
  return Object.keys(visible).length ? visible : null;
}

/** New entries of every stand-in file since the last positions: {entries:[{ts, line, labels}], positions, error?}. */
function readJournal(pipeline, positions, nowMs) {
  const entries = [];
  const next = {};
  let files = [];
  try {
    files = fs.readdirSync(pipeline.path).filter((f) => f.endsWith(".journal.jsonl")).sort();
  } catch (e) {
    // Alloy's journal component reports this as its health ("error creating journal tailer: ...").
    return { entries, positions: next, error: e.message };
  }
  for (const f of files) {
    const file = path.join(pipeline.path, f);
    const key = `journal:${file}`;
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const start = positions[key] && positions[key].offset <= text.length ? positions[key].offset : 0;
    const end = text.lastIndexOf("\n") + 1;
    if (end <= start) continue;
    for (const raw of text.slice(start, end).split("\n")) {
      if (!raw) continue;
      let e;
      try {
        e = JSON.parse(raw);
      } catch {
        continue;
      }
      const us = Number(e.__REALTIME_TIMESTAMP);
      if (!Number.isFinite(us) || nowMs - us / 1000 > pipeline.maxAgeMs) continue;
      const labels = entryLabels(e, pipeline);
      if (!labels) continue;
      entries.push({ ts: BigInt(Math.round(us)) * 1000n, line: typeof e.MESSAGE === "string" ? e.MESSAGE : "", labels });
    }
    next[key] = { offset: end };
  }
  return { entries, positions: next };
}

module.exports = { journalPipeline, readJournal, entryLabels, durationMs };
