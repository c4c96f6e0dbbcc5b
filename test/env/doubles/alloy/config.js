"use strict";
// What the Alloy double acts on, read from a config parsed by the project's one Alloy parser
// (contracts/alloy/syntax.ts, see ../lib/alloy-syntax.js), plus stage.replace as Alloy runs it.
// Pure functions, unit-tested directly. It does not evaluate the component graph: every file
// target is sent through every loki.process stage (in file order) to every loki.write.
const { AlloySyntaxError, parseAlloyFile } = require("../lib/alloy-syntax.js");

/** A config that parses but that Alloy refuses when it evaluates a component (a bad regexp). */
class AlloyComponentError extends Error {}

function stringMap(obj) {
  const out = {};
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return out;
  for (const [k, v] of Object.entries(obj)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * What the double acts on:
 *   targets:  [{path, exclude?, labels}] from local.file_match path_targets (and literal
 *             loki.source.file targets), labels = the non-__ keys
 *   stages:   [{type:"replace", expression, replace, source?} | {type:"static_labels", values}]
 *   writes:   [{url}] from loki.write endpoint blocks; externalLabels merged from loki.write
 */
function extract(root) {
  const targets = [];
  const stages = [];
  const writes = [];
  let externalLabels = {};
  const fromTargetList = (list) => {
    if (!Array.isArray(list)) return;
    for (const t of list) {
      if (!t || typeof t !== "object" || typeof t.__path__ !== "string") continue;
      const labels = {};
      for (const [k, v] of Object.entries(stringMap(t))) if (!k.startsWith("__")) labels[k] = v;
      targets.push({ path: t.__path__, exclude: typeof t.__path_exclude__ === "string" ? t.__path_exclude__ : undefined, labels });
    }
  };
  for (const b of root.blocks) {
    if (b.name === "local.file_match") fromTargetList(b.attrs.path_targets);
    else if (b.name === "loki.source.file") fromTargetList(b.attrs.targets);
    else if (b.name === "loki.process") {
      for (const s of b.blocks) {
        if (s.name === "stage.replace" && typeof s.attrs.expression === "string") {
          let re;
          try {
            re = compileRe2(s.attrs.expression);
          } catch (e) {
            // Alloy refuses the whole config: "error parsing regexp: ..."
            throw new AlloyComponentError(`stage.replace expression ${JSON.stringify(s.attrs.expression)}: ${e.message}`);
          }
          const replace = typeof s.attrs.replace === "string" ? s.attrs.replace : "";
          stages.push({ type: "replace", expression: s.attrs.expression, replace, re, parts: parseTemplate(replace), source: typeof s.attrs.source === "string" ? s.attrs.source : undefined });
        } else if (s.name === "stage.static_labels") {
          stages.push({ type: "static_labels", values: stringMap(s.attrs.values) });
        }
      }
    } else if (b.name === "loki.write") {
      externalLabels = Object.assign(externalLabels, stringMap(b.attrs.external_labels));
      for (const e of b.blocks) if (e.name === "endpoint" && typeof e.attrs.url === "string") writes.push({ url: e.attrs.url });
    }
  }
  return { targets, stages, writes, externalLabels };
}

// stage.replace as Alloy runs it (internal/component/loki/process/stages/replace.go): the
// expression is a Go RE2 regexp compiled at config load (re2js: a port of RE2/J, Go's syntax; a
// lookaround or backreference is a load error, as in Alloy); every capture group that took part in a
// match is replaced by the `replace` template executed with {{ .Value }} = the captured text; text
// outside the groups is kept, so an expression without a group changes nothing; a template that does
// not parse, or fails, leaves the line as it was. Templates: literal text, {{ .Value }} with Go's
// trim markers, and {{ .Value | Hash "s" }} / {{ .Value | Sha2Hash "s" }} (Alloy's functions; the
// double hashes with SHA-256 of salt+value, hex, without claiming Alloy's exact digest).
const { RE2JS } = require("re2js");

function compileRe2(src) {
  return RE2JS.compile(src);
}

/** Go text/template subset: null when the template would not parse in Alloy. */
function parseTemplate(t) {
  const parts = [];
  let i = 0;
  while (i < t.length) {
    const open = t.indexOf("{{", i);
    if (open < 0) {
      parts.push({ text: t.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: t.slice(i, open) });
    const close = t.indexOf("}}", open + 2);
    if (close < 0) return null;
    const m = /^\{\{(-?)(\s*)\.Value(?:\s*\|\s*(Hash|Sha2Hash)\s+"([^"\\]*)")?(\s*)(-?)\}\}$/.exec(t.slice(open, close + 2));
    if (!m || (m[1] === "-" && m[2] === "") || (m[6] === "-" && m[5] === "")) return null;
    parts.push({ value: true, hash: m[3], salt: m[4], trimLeft: m[1] === "-", trimRight: m[6] === "-" });
    i = close + 2;
  }
  return parts;
}

function executeTemplate(parts, v) {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.text !== undefined) {
      let text = p.text;
      if (parts[i - 1] && parts[i - 1].value && parts[i - 1].trimRight) text = text.replace(/^\s+/, "");
      if (parts[i + 1] && parts[i + 1].value && parts[i + 1].trimLeft) text = text.replace(/\s+$/, "");
      out += text;
    } else if (p.hash) out += require("node:crypto").createHash("sha256").update(p.salt + v).digest("hex");
    else out += v;
  }
  return out;
}

/** One stage.replace on a line (see above); `re` compiled, `parts` the parsed template or null. */
function applyReplace(line, re, parts) {
  if (parts === null) return line;
  const m = re.matcher(line);
  let result = "";
  let prevEnd = 0;
  let matched = false;
  while (m.find()) {
    matched = true;
    for (let g = 1; g <= m.groupCount(); g++) {
      const s = m.start(g);
      const e = m.end(g);
      if (s < 0) continue;
      if (prevEnd === 0 || prevEnd <= s) {
        result += line.slice(prevEnd, s) + executeTemplate(parts, line.slice(s, e));
        prevEnd = e;
      }
    }
  }
  return matched ? result + line.slice(prevEnd) : line;
}

/** Run a line through the stages: returns {line, labels}. */
function processLine(line, labels, stages, externalLabels) {
  let l = line;
  const lab = Object.assign({}, labels);
  for (const s of stages) {
    if (s.type === "replace" && !s.source) l = applyReplace(l, s.re, s.parts);
    else if (s.type === "static_labels") Object.assign(lab, s.values);
  }
  return { line: l, labels: Object.assign({}, externalLabels, lab) };
}

module.exports = { AlloySyntaxError, AlloyComponentError, parse: parseAlloyFile, extract, applyReplace, parseTemplate, compileRe2, processLine };
