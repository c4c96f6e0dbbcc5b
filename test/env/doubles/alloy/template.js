"use strict";
// The part of Go's text/template that loki.process templates use, for the Alloy double's
// stage.replace (and only there). Written from https://pkg.go.dev/text/template and Alloy's
// loki.process reference ("stage.template" supported functions: ToLower, ToUpper, Replace, Trim,
// TrimLeft, TrimRight, TrimPrefix, TrimSuffix, TrimSpace, Hash (SHA3-256), Sha2Hash (SHA-256),
// regexReplaceAll, regexReplaceAllLiteral, plus sprig's).
//   text, {{ pipeline }}, {{- / -}} trim markers, {{/* comments */}}, {{ if }} {{ else if }}
//   {{ else }} {{ end }}; pipelines of commands joined by `|` (the previous value is the last
//   argument); operands: .Field, ., "strings" (Go escapes), `raw`, numbers, true/false,
//   ( pipeline ); Go's builtins eq ne not and or len print; sprig's lower upper trim trimPrefix
//   trimSuffix replace sha256sum default.
// Anything else (variables, range/with/define, other sprig functions) is refused when parsing:
// the double does not load a config it cannot run (Alloy would run it). A parse error is a config
// error, as in Alloy (the stage's template is parsed when the component is built); an execution
// error is returned to the caller (stage.replace then leaves its input unchanged).
const crypto = require("node:crypto");
const G = require("./goregexp.js");

class TemplateError extends Error {}

const GO_SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
const isGoSpace = (cp) => GO_SPACE.has(cp) || (cp >= 0x2000 && cp <= 0x200a);
const codePoints = (s) => Array.from(s);
/** unicode.ToUpper/ToLower map one code point to one code point; JS may expand (ß -> SS): keep those. */
const mapCase = (s, upper) => codePoints(s).map((c) => { const m = upper ? c.toUpperCase() : c.toLowerCase(); return codePoints(m).length === 1 ? m : c; }).join("");
function trimSet(s, cutset, left, right) {
  const cps = codePoints(s);
  const cut = new Set(codePoints(cutset));
  let a = 0;
  let b = cps.length;
  while (left && a < b && cut.has(cps[a])) a++;
  while (right && b > a && cut.has(cps[b - 1])) b--;
  return cps.slice(a, b).join("");
}
function trimSpace(s) {
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  while (a < b && isGoSpace(cps[a].codePointAt(0))) a++;
  while (b > a && isGoSpace(cps[b - 1].codePointAt(0))) b--;
  return cps.slice(a, b).join("");
}
/** strings.Replace: n < 0 every instance; an empty `old` matches before every code point and at the end. */
function goReplace(s, old, repl, n) {
  if (n === 0 || old === repl) return s;
  const parts = old === "" ? ["", ...codePoints(s), ""] : s.split(old);
  if (old === "") {
    let out = "";
    let done = 0;
    for (let i = 0; i < parts.length - 1; i++) {
      out += (n < 0 || done < n ? (done++, repl) : "") + parts[i + 1];
    }
    return out;
  }
  let out = parts[0];
  for (let i = 1; i < parts.length; i++) out += (n < 0 || i <= n ? repl : old) + parts[i];
  return out;
}
const hex = (alg, s) => crypto.createHash(alg).update(s, "utf8").digest("hex");

// name -> [argument kinds ("s" string, "i" int, "*" any), variadic]
const FUNCS = {
  ToLower: [["s"], (s) => mapCase(s, false)],
  ToUpper: [["s"], (s) => mapCase(s, true)],
  Replace: [["s", "s", "s", "i"], goReplace],
  Trim: [["s", "s"], (s, c) => trimSet(s, c, true, true)],
  TrimLeft: [["s", "s"], (s, c) => trimSet(s, c, true, false)],
  TrimRight: [["s", "s"], (s, c) => trimSet(s, c, false, true)],
  TrimPrefix: [["s", "s"], (s, p) => (s.startsWith(p) ? s.slice(p.length) : s)],
  TrimSuffix: [["s", "s"], (s, p) => (p !== "" && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)],
  TrimSpace: [["s"], trimSpace],
  Hash: [["s", "s"], (a, b) => hex("sha3-256", a + b)],
  Sha2Hash: [["s", "s"], (a, b) => hex("sha256", a + b)],
  regexReplaceAll: [["s", "s", "s"], (re, s, r) => G.replaceAll(G.compile(re), s, r, false)],
  regexReplaceAllLiteral: [["s", "s", "s"], (re, s, r) => G.replaceAll(G.compile(re), s, r, true)],
  lower: [["s"], (s) => mapCase(s, false)],
  upper: [["s"], (s) => mapCase(s, true)],
  trim: [["s"], trimSpace],
  trimPrefix: [["s", "s"], (p, s) => (s.startsWith(p) ? s.slice(p.length) : s)],
  trimSuffix: [["s", "s"], (p, s) => (p !== "" && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)],
  replace: [["s", "s", "s"], (o, n, s) => goReplace(s, o, n, -1)],
  sha256sum: [["s"], (s) => hex("sha256", s)],
  default: [["*", "*"], (d, v) => (truth(v) ? v : d)],
};
const BUILTINS = new Set(["eq", "ne", "not", "and", "or", "len", "print"]);
const MISSING = Symbol("no value");

// ---- lexing and parsing ----

const GO_ESCAPES = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"' };
function goString(body) {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (all, e) => {
    if (e in GO_ESCAPES) return GO_ESCAPES[e];
    if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    throw new TemplateError(`unknown escape sequence ${all}`);
  });
}

/** Tokens of one action's inside. */
function tokenize(src) {
  const toks = [];
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    let m;
    if ((m = /^\s+/.exec(rest))) i += m[0].length;
    else if ((m = /^"((?:[^"\\\n]|\\.)*)"/.exec(rest))) toks.push({ k: "str", v: goString(m[1]) }), (i += m[0].length);
    else if ((m = /^`([^`]*)`/.exec(rest))) toks.push({ k: "str", v: m[1] }), (i += m[0].length);
    else if ((m = /^[+-]?(0[xX][0-9a-fA-F]+|[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?)/.exec(rest))) toks.push({ k: "num", v: Number(m[0]), int: !/[.eE]/.test(m[0]) || /^[+-]?0[xX]/.test(m[0]) }), (i += m[0].length);
    else if ((m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(rest))) toks.push({ k: "field", v: m[0].slice(1).split(".") }), (i += m[0].length);
    else if (rest[0] === ".") toks.push({ k: "dot" }), i++;
    else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) toks.push({ k: "ident", v: m[0] }), (i += m[0].length);
    else if ("|()".includes(rest[0])) toks.push({ k: rest[0] }), i++;
    else throw new TemplateError(`unexpected ${JSON.stringify(rest[0])} in action (variables, assignments and character constants are not implemented by the Alloy test double)`);
  }
  return toks;
}

function parsePipeline(toks, pos, closing) {
  const cmds = [];
  let args = [];
  for (;;) {
    const t = toks[pos];
    if (t === undefined || t.k === closing) {
      if (args.length === 0) throw new TemplateError(cmds.length ? "missing command after |" : "missing value for command");
      cmds.push(args);
      return { pipe: cmds, pos };
    }
    if (t.k === "|") {
      if (args.length === 0) throw new TemplateError("missing value for command");
      cmds.push(args);
      args = [];
      pos++;
    } else if (t.k === "(") {
      const inner = parsePipeline(toks, pos + 1, ")");
      if (toks[inner.pos] === undefined) throw new TemplateError("unclosed left paren");
      args.push({ k: "pipe", pipe: inner.pipe });
      pos = inner.pos + 1;
    } else if (t.k === ")") {
      throw new TemplateError("unexpected right paren");
    } else if (t.k === "ident") {
      if (t.v === "true" || t.v === "false") args.push({ k: "lit", v: t.v === "true" });
      else if (t.v === "nil") throw new TemplateError("nil is not a command");
      else if (FUNCS[t.v] || BUILTINS.has(t.v)) args.push({ k: "fn", v: t.v });
      else throw new TemplateError(`function ${JSON.stringify(t.v)} not defined (or not implemented by the Alloy test double)`);
      pos++;
    } else {
      args.push(t.k === "str" ? { k: "lit", v: t.v } : t.k === "num" ? { k: "lit", v: t.v, int: t.int } : t);
      pos++;
    }
  }
}

/** Parse a template: a list of nodes (text, action, if). Throws TemplateError when Go would not parse it. */
function parse(src) {
  // Split into text and actions, applying trim markers.
  const pieces = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      pieces.push({ text: src.slice(i) });
      break;
    }
    pieces.push({ text: src.slice(i, open) });
    let start = open + 2;
    const trimLeft = src[start] === "-" && /[ \t\r\n]/.test(src[start + 1] ?? "");
    if (trimLeft) start += 2;
    let close;
    if (src.startsWith("/*", start)) {
      const end = src.indexOf("*/", start + 2);
      if (end < 0) throw new TemplateError("unclosed comment");
      close = src.indexOf("}}", end + 2);
      if (close < 0 || !/^\s*(\s-)?$/.test(src.slice(end + 2, close))) throw new TemplateError("comment ends before closing delimiter");
    } else {
      close = src.indexOf("}}", start);
      if (close < 0) throw new TemplateError("unclosed action");
    }
    const trimRight = close - 2 >= start && src[close - 1] === "-" && /[ \t\r\n]/.test(src[close - 2]);
    const inner = src.slice(start, trimRight ? close - 2 : close);
    if (trimLeft && pieces.length) pieces[pieces.length - 1].text = pieces[pieces.length - 1].text.replace(/[ \t\r\n]+$/, "");
    pieces.push({ action: inner.trim().startsWith("/*") ? null : inner, trimRight });
    i = close + 2;
    if (trimRight) {
      const m = /^[ \t\r\n]*/.exec(src.slice(i));
      i += m[0].length;
    }
  }
  let p = 0;
  function list(stops) {
    const nodes = [];
    while (p < pieces.length) {
      const piece = pieces[p];
      if (piece.text !== undefined) {
        if (piece.text) nodes.push({ k: "text", v: piece.text });
        p++;
        continue;
      }
      if (piece.action === null) {
        p++;
        continue;
      }
      const toks = tokenize(piece.action);
      const head = toks[0];
      const kw = head && head.k === "ident" ? head.v : undefined;
      if (kw === "end" || kw === "else") {
        if (!stops) throw new TemplateError(`unexpected {{${kw}}}`);
        return { nodes, stop: kw, toks };
      }
      p++;
      if (kw === "if") nodes.push(ifNode(toks.slice(1)));
      else if (["range", "with", "define", "template", "block", "break", "continue"].includes(kw)) throw new TemplateError(`{{${kw}}} is not implemented by the Alloy test double`);
      else {
        const r = parsePipeline(toks, 0, undefined);
        nodes.push({ k: "action", pipe: r.pipe });
      }
    }
    if (stops) throw new TemplateError("unexpected EOF");
    return { nodes };
  }
  function ifNode(condToks) {
    const cond = parsePipeline(condToks, 0, undefined).pipe;
    const then = list(true);
    p++;
    let otherwise = [];
    if (then.stop === "else") {
      if (then.toks.length > 1 && then.toks[1].k === "ident" && then.toks[1].v === "if") {
        otherwise = [ifNode(then.toks.slice(2))];
        return { k: "if", cond, then: then.nodes, otherwise };
      }
      const rest = list(true);
      if (rest.stop !== "end") throw new TemplateError("expected end; found else");
      p++;
      otherwise = rest.nodes;
    }
    return { k: "if", cond, then: then.nodes, otherwise };
  }
  return list(false).nodes;
}

// ---- execution ----

function truth(v) {
  if (v === MISSING) throw new TemplateError("if/with can't use <no value>");
  if (typeof v === "string") return v !== "";
  if (typeof v === "number") return v !== 0;
  if (typeof v === "boolean") return v;
  return v !== null && v !== undefined && Object.keys(v).length > 0;
}

function printValue(v) {
  if (v === MISSING) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return `map[${Object.keys(v).sort().map((k) => `${k}:${v[k]}`).join(" ")}]`;
}

const kindOf = (v) => (v === MISSING ? "invalid value" : typeof v === "number" ? "int" : typeof v === "boolean" ? "bool" : typeof v === "string" ? "string" : "map");

function callFn(name, args) {
  if (name === "eq" || name === "ne") {
    if (args.length < 2) throw new TemplateError(`missing argument for comparison`);
    if (name === "ne" && args.length !== 2) throw new TemplateError("wrong number of args for ne: want 2");
    for (const a of args) if (a === MISSING || typeof a === "object") throw new TemplateError(`incompatible types for comparison`);
    const [first, ...rest] = args;
    for (const a of rest) if (typeof a !== typeof first) throw new TemplateError("incompatible types for comparison");
    const equal = rest.some((a) => a === first);
    return name === "eq" ? equal : !equal;
  }
  if (name === "not") {
    if (args.length !== 1) throw new TemplateError(`wrong number of args for not: want 1 got ${args.length}`);
    return !truth(args[0]);
  }
  if (name === "and" || name === "or") {
    if (args.length < 1) throw new TemplateError(`wrong number of args for ${name}`);
    for (const a of args) if (truth(a) === (name === "or")) return a;
    return args[args.length - 1];
  }
  if (name === "len") {
    if (args.length !== 1 || typeof args[0] !== "string") throw new TemplateError("len of a non-string is not implemented by the Alloy test double");
    return Buffer.byteLength(args[0], "utf8");
  }
  if (name === "print") {
    // fmt.Sprint: a space between operands when neither is a string.
    let out = "";
    args.forEach((a, i) => (out += (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string" ? " " : "") + printValue(a)));
    return out;
  }
  const [kinds, fn] = FUNCS[name];
  if (args.length !== kinds.length) throw new TemplateError(`wrong number of args for ${name}: want ${kinds.length} got ${args.length}`);
  args.forEach((a, i) => {
    if (kinds[i] === "s" && typeof a !== "string") throw new TemplateError(`wrong type for value; expected string; got ${kindOf(a)}`);
    if (kinds[i] === "i" && !(typeof a === "number" && Number.isInteger(a))) throw new TemplateError(`wrong type for value; expected int; got ${kindOf(a)}`);
  });
  try {
    return fn(...args);
  } catch (e) {
    throw new TemplateError(`error calling ${name}: ${e.message}`);
  }
}

function evalPipe(pipe, data) {
  let prev;
  pipe.forEach((cmd, ci) => {
    const [first, ...rest] = cmd;
    const args = rest.map((a) => evalArg(a, data));
    if (ci > 0) args.push(prev);
    if (first.k === "fn") prev = callFn(first.v, args);
    else {
      if (args.length) throw new TemplateError(`can't give argument to non-function ${first.k === "field" ? "." + first.v.join(".") : "value"}`);
      prev = evalArg(first, data);
    }
  });
  return prev;
}

function evalArg(a, data) {
  if (a.k === "lit") return a.v;
  if (a.k === "dot") return data;
  if (a.k === "pipe") return evalPipe(a.pipe, data);
  if (a.k === "fn") return callFn(a.v, []);
  // .Field on the data map; a missing key is Go's invalid value (printed "<no value>").
  let v = data;
  for (const f of a.v) {
    if (v === MISSING || typeof v !== "object") throw new TemplateError(`can't evaluate field ${f} in type ${kindOf(v)}`);
    v = Object.prototype.hasOwnProperty.call(v, f) ? v[f] : MISSING;
  }
  return v;
}

function run(nodes, data) {
  let out = "";
  for (const n of nodes) {
    if (n.k === "text") out += n.v;
    else if (n.k === "action") out += printValue(evalPipe(n.pipe, data));
    else out += run(truth(evalPipe(n.cond, data)) ? n.then : n.otherwise, data);
  }
  return out;
}

/** Execute a parsed template on a map of strings; throws TemplateError on an execution error. */
function execute(nodes, data) {
  return run(nodes, data);
}

module.exports = { parse, execute, TemplateError };
