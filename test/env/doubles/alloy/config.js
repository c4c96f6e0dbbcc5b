"use strict";
// A structural parser for the Alloy configuration syntax (blocks, attributes, literals; references
// and function calls are kept as opaque {expr} values), plus the extraction of what the Alloy
// double acts on. Pure functions, unit-tested directly. It does not evaluate the component graph:
// every file target is sent through every loki.process stage (in file order) to every loki.write.

class AlloySyntaxError extends Error {}

function tokenize(src) {
  const toks = [];
  let i = 0;
  const push = (type, value, start) => toks.push({ type, value, start });
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) throw new AlloySyntaxError("unterminated block comment");
      i = end + 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length) throw new AlloySyntaxError(`unterminated string at ${i}`);
      push("string", unquote(src.slice(i, j + 1)), i);
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const end = src.indexOf("`", i + 1);
      if (end < 0) throw new AlloySyntaxError(`unterminated raw string at ${i}`);
      push("string", src.slice(i + 1, end), i);
      i = end + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 64));
    if (num) {
      push("number", Number(num[0]), i);
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256));
    if (id) {
      push("ident", id[0], i);
      i += id[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|&&|\|\||[{}[\]().,=+\-*/%^<>!:])/.exec(src.slice(i, i + 2));
    if (op) {
      push("punct", op[0], i);
      i += op[0].length;
      continue;
    }
    throw new AlloySyntaxError(`unexpected character ${JSON.stringify(c)} at ${i}`);
  }
  return toks;
}

/** Alloy double-quoted strings use Go escapes; decode the common ones. */
function unquote(lit) {
  const body = lit.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== "\\") {
      out += body[i];
      continue;
    }
    const n = body[++i];
    const simple = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", a: "\x07", b: "\b", f: "\f", v: "\v" };
    if (n in simple) out += simple[n];
    else if (n === "u" || n === "x") {
      const len = n === "u" ? 4 : 2;
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 1 + len), 16));
      i += len;
    } else throw new AlloySyntaxError(`invalid escape \\${n} in ${lit}`);
  }
  return out;
}

function parse(src) {
  const toks = tokenize(src);
  let p = 0;
  const peek = (o) => toks[p + (o || 0)];
  const isP = (v, o) => peek(o) && peek(o).type === "punct" && peek(o).value === v;
  const expectP = (v) => {
    if (!isP(v)) throw new AlloySyntaxError(`expected '${v}' at ${peek() ? peek().start : "end"}`);
    p++;
  };

  function body(closing) {
    const out = { attrs: {}, blocks: [] };
    while (p < toks.length && !(closing && isP("}"))) {
      const t = peek();
      if (t.type !== "ident") throw new AlloySyntaxError(`expected an identifier at ${t.start}`);
      let name = t.value;
      p++;
      if (isP("=")) {
        p++;
        out.attrs[name] = expr();
        continue;
      }
      while (isP(".")) {
        p++;
        name += "." + peek().value;
        p++;
      }
      let label = null;
      if (peek() && peek().type === "string") label = toks[p++].value;
      expectP("{");
      const b = body(true);
      expectP("}");
      out.blocks.push({ name, label, attrs: b.attrs, blocks: b.blocks });
    }
    return out;
  }

  function expr() {
    const start = peek() ? peek().start : 0;
    let v = unary();
    while (peek() && peek().type === "punct" && ["+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">=", "&&", "||"].includes(peek().value)) {
      p++;
      unary();
      v = { expr: src.slice(start, toks[p - 1].start + 1) };
    }
    return v;
  }

  function unary() {
    if (isP("-") || isP("!")) {
      const op = toks[p++].value;
      const v = unary();
      if (op === "-" && typeof v === "number") return -v;
      if (op === "!" && typeof v === "boolean") return !v;
      return { expr: `${op}(...)` };
    }
    return postfix(primary());
  }

  function postfix(v) {
    for (;;) {
      if (isP(".")) {
        p++;
        const id = toks[p++];
        v = { expr: `${v && v.expr ? v.expr : "?"}.${id.value}` };
      } else if (isP("[")) {
        p++;
        expr();
        expectP("]");
        v = { expr: `${v && v.expr ? v.expr : "?"}[...]` };
      } else if (isP("(")) {
        p++;
        const args = [];
        while (!isP(")")) {
          args.push(expr());
          if (isP(",")) p++;
          else break;
        }
        expectP(")");
        v = { expr: `${v && v.expr ? v.expr : "?"}(...)`, args };
      } else return v;
    }
  }

  function primary() {
    const t = peek();
    if (!t) throw new AlloySyntaxError("unexpected end of config");
    if (t.type === "string" || t.type === "number") {
      p++;
      return t.value;
    }
    if (t.type === "ident") {
      p++;
      if (t.value === "true") return true;
      if (t.value === "false") return false;
      if (t.value === "null") return null;
      return { expr: t.value };
    }
    if (isP("(")) {
      p++;
      const v = expr();
      expectP(")");
      return v;
    }
    if (isP("[")) {
      p++;
      const arr = [];
      while (!isP("]")) {
        arr.push(expr());
        if (isP(",")) p++;
        else break;
      }
      expectP("]");
      return arr;
    }
    if (isP("{")) {
      p++;
      const obj = {};
      while (!isP("}")) {
        const k = toks[p++];
        if (!k || (k.type !== "ident" && k.type !== "string")) throw new AlloySyntaxError(`expected an object key at ${k ? k.start : "end"}`);
        expectP("=");
        obj[k.value] = expr();
        if (isP(",")) p++;
        else break;
      }
      expectP("}");
      return obj;
    }
    throw new AlloySyntaxError(`unexpected '${t.value}' at ${t.start}`);
  }

  const root = body(false);
  return root;
}

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
            throw new AlloySyntaxError(`stage.replace expression ${JSON.stringify(s.attrs.expression)}: ${e.message}`);
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

module.exports = { AlloySyntaxError, tokenize, parse, extract, applyReplace, parseTemplate, compileRe2, processLine };
