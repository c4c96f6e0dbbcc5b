"use strict";
// loki.process `stage.replace` for the Alloy double, written from Alloy's reference
// (grafana.com/docs/alloy/latest/reference/components/loki/loki.process/#stagereplace):
// - `expression` is an RE2 regular expression with capture groups; each capture group and named
//   capture group is replaced with the value of `replace`, the rest of the text is kept;
// - `replace` is a Go text/template (./template.js) executed with `.Value` = the captured text and
//   the extracted values by name; an empty `replace` removes the captured value;
// - named groups set their (replaced) values into the extracted map under the group's name;
// - `source` parses that extracted value instead of the log line, and the result goes back to it.
// Every match of the expression counts (Go's FindAll: ./goregexp.js). Where groups nest, the
// outer group's replacement covers the inner one (a group starting inside an already replaced
// span is not replaced again). A config whose expression or template does not compile is refused
// when the component is built; a template that fails while running leaves the input as it was.
const G = require("./goregexp.js");
const T = require("./template.js");

/** Build a stage from its arguments; throws (a config error) when Alloy would refuse it. */
function buildReplace(args) {
  if (typeof args.expression !== "string" || args.expression === "") throw new Error("expression is required");
  let re;
  try {
    re = G.compile(args.expression);
  } catch (e) {
    throw new Error(`could not compile regular expression: ${e.message}`);
  }
  let template;
  try {
    template = T.parse(typeof args.replace === "string" ? args.replace : "");
  } catch (e) {
    throw new Error(`failed to compile template: ${e.message}`);
  }
  return { re, template, names: G.subexpNames(re), source: typeof args.source === "string" && args.source !== "" ? args.source : undefined };
}

/** The input with every participating group replaced, or null when the template fails. */
function replaceGroups(stage, input, extracted) {
  const matches = G.allSubmatchIndex(stage.re, input);
  if (matches.length === 0) return { text: input, byCapture: new Map() };
  const data = {};
  for (const [k, v] of Object.entries(extracted)) if (typeof v === "string") data[k] = v;
  const byCapture = new Map();
  let text = "";
  let done = 0; // end of the text already copied or replaced
  for (const idx of matches) {
    for (let g = 2; g < idx.length; g += 2) {
      const [s, e] = [idx[g], idx[g + 1]];
      if (s < 0) continue;
      const captured = input.slice(s, e);
      let value;
      try {
        value = T.execute(stage.template, Object.assign({}, data, { Value: captured }));
      } catch {
        return null;
      }
      byCapture.set(captured, value);
      if (s < done && done !== 0) continue; // inside a span already replaced
      text += input.slice(done, s) + value;
      done = e;
    }
  }
  return { text: text + input.slice(done), byCapture, first: matches[0] };
}

/**
 * Run one stage on an entry: `line` (string) and `extracted` (map, updated in place).
 * Returns the new line.
 */
function runReplace(stage, line, extracted) {
  let input = line;
  if (stage.source) {
    if (typeof extracted[stage.source] !== "string") return line;
    input = extracted[stage.source];
  }
  const r = replaceGroups(stage, input, extracted);
  if (r === null || !r.first) return line;
  if (stage.source) extracted[stage.source] = r.text;
  // Named groups of the first match: their replaced values go into the extracted map.
  stage.names.forEach((name, i) => {
    if (i === 0 || name === "" || r.first[2 * i] < 0) return;
    const captured = input.slice(r.first[2 * i], r.first[2 * i + 1]);
    if (r.byCapture.has(captured)) extracted[name] = r.byCapture.get(captured);
  });
  return stage.source ? line : r.text;
}

module.exports = { buildReplace, runReplace };
