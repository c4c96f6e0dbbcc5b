"use strict";
// What the Alloy double acts on, read from a config parsed by the project's one Alloy parser
// (contracts/alloy/syntax.ts, see ../lib/alloy-syntax.js); stage.replace is ./replace.js (the
// double's own implementation from Alloy's documentation). Pure functions, unit-tested directly.
// It does not evaluate the component graph: every file target is sent through every loki.process
// stage (in file order) to every loki.write.
const { AlloySyntaxError, parseAlloyFile } = require("../lib/alloy-syntax.js");
const R = require("./replace.js");

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
 *   stages:   [{type:"replace", expression, replace, source?, stage} | {type:"static_labels", values}]
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
        if (s.name === "stage.replace") {
          let stage;
          try {
            stage = R.buildReplace(s.attrs);
          } catch (e) {
            // Alloy refuses the whole config when a stage cannot be built.
            throw new AlloyComponentError(`loki.process "${b.label}" stage.replace expression ${JSON.stringify(s.attrs.expression)}: ${e.message}`);
          }
          const replace = typeof s.attrs.replace === "string" ? s.attrs.replace : "";
          stages.push({ type: "replace", expression: s.attrs.expression, replace, source: stage.source, stage });
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

/** Run a line through the stages: returns {line, labels}. */
function processLine(line, labels, stages, externalLabels) {
  let l = line;
  const lab = Object.assign({}, labels);
  // As loki.process does: the extracted map starts with the entry's labels.
  const extracted = Object.assign({}, labels);
  for (const s of stages) {
    if (s.type === "replace") l = R.runReplace(s.stage, l, extracted);
    else if (s.type === "static_labels") Object.assign(lab, s.values);
  }
  return { line: l, labels: Object.assign({}, externalLabels, lab) };
}

module.exports = { AlloySyntaxError, AlloyComponentError, parse: parseAlloyFile, extract, processLine };
