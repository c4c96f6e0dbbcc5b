// The one reader of Alloy's configuration syntax: the alloy-allowlists policy, L4's structural check
// and the Alloy double all parse with it, so a config one of them accepts the others read the same way.
//
// It follows Alloy's own scanner and parser (grafana/alloy syntax/scanner, syntax/parser): `//` and
// `/* */` comments only, double-quoted strings with Go escapes on one line, raw backtick strings,
// newline terminators inserted after an identifier, literal, `)`, `]` or `}` (so a block's `{` must
// stand on its header's line and a multi-line list needs its trailing comma), attributes are plain
// identifiers, block names are dotted. Values are decoded where they are literals; references,
// calls and operations stay expressions (their text and the component exports they read), since
// the checks here need the pipeline's wiring, not its evaluation.

export class AlloySyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${line}:${column}: ${message}`);
    this.name = "AlloySyntaxError";
  }
}

/** An expression that is not a literal: a reference, a call, an operation, an index. */
export class AlloyExpr {
  constructor(
    /** The expression's source text, e.g. `discovery.relabel.docker.output` or `sys.env("X")`. */
    readonly expr: string,
    /** Dotted references it reads, e.g. `discovery.relabel.docker.output` (called functions excluded). */
    readonly refs: string[],
    /** For a call: the function's dotted name and its arguments. */
    readonly call?: { fn: string; args: AlloyValue[] },
  ) {}
}

export type AlloyValue = string | number | boolean | null | AlloyExpr | AlloyValue[] | { [key: string]: AlloyValue };

export interface AlloyBlock {
  /** Dotted block name: `loki.source.docker`, `rule`, `stage.replace`. */
  name: string;
  label?: string;
  attrs: Record<string, AlloyValue>;
  blocks: AlloyBlock[];
}

type TokKind = "ident" | "string" | "number" | "punct" | "term";
interface Tok {
  kind: TokKind;
  /** Decoded value for strings and numbers, the text otherwise. */
  value: string;
  start: number;
  end: number;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"' };
/** Escapes followed by a fixed number of digits: how many, and which digits. */
const HEX = /^[0-9a-fA-F]+$/;
const ESCAPE_DIGITS: Record<string, [number, RegExp]> = { x: [2, HEX], u: [4, HEX], U: [8, HEX] };
const OCTAL: [number, RegExp] = [3, /^[0-7]+$/];
const LETTER = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{Nd}_]/u;
const IDENTIFIER = new RegExp(`^${LETTER.source}${IDENT_PART.source}*$`, "u");
const OPERATORS = ["||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "^", "!", "=", "{", "}", "(", ")", "[", "]", ",", "."];
/** After an identifier, a literal or one of these a newline ends the statement (Alloy's terminator insertion). */
const ENDS_STATEMENT = new Set([")", "]", "}"]);

function position(src: string, offset: number): { line: number; column: number } {
  const before = src.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function fail(src: string, offset: number, message: string): never {
  const { line, column } = position(src, offset);
  throw new AlloySyntaxError(message, line, column);
}

function decodeString(src: string, start: number, end: number): string {
  let out = "";
  for (let i = start + 1; i < end - 1; i++) {
    if (src[i] !== "\\") {
      out += src[i];
      continue;
    }
    const e = src[++i];
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e in ESCAPE_DIGITS || /[0-7]/.test(e)) {
      const octal = !(e in ESCAPE_DIGITS);
      const [n, allowed] = octal ? OCTAL : ESCAPE_DIGITS[e];
      const from = octal ? i : i + 1;
      // The digits stop at the closing quote: `"\x4"` is short, not `\x4"`.
      const digits = src.slice(from, Math.min(from + n, end - 1));
      if (digits.length < n || !allowed.test(digits)) fail(src, i - 1, `illegal character in escape sequence ${src.slice(i - 1, from + digits.length)}`);
      const code = parseInt(digits, octal ? 8 : 16);
      if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000) || (octal && code > 255)) fail(src, i - 1, "escape sequence is invalid Unicode code point");
      out += String.fromCodePoint(code);
      i = from + n - 1;
    } else fail(src, i - 1, "unknown escape sequence");
  }
  return out;
}

/** Tokens with Alloy's newline terminators (`term`); comments dropped. */
function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const endsStatement = () => {
    const last = toks[toks.length - 1];
    return last !== undefined && (last.kind === "punct" ? ENDS_STATEMENT.has(last.value) : last.kind !== "term");
  };
  const terminate = (at: number) => {
    if (endsStatement()) toks.push({ kind: "term", value: "\n", start: at, end: at });
  };
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "\n") {
      terminate(i);
      i++;
    } else if (src.startsWith("//", i)) {
      terminate(i);
      while (i < src.length && src[i] !== "\n") i++;
    } else if (src.startsWith("/*", i)) {
      const close = src.indexOf("*/", i + 2);
      if (close < 0) fail(src, i, "block comment not terminated");
      const rest = src.slice(close + 2).match(/^[ \t\r]*(\/\/|\n|$)/);
      if (src.slice(i, close).includes("\n") || rest) terminate(i);
      i = close + 2;
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"' && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length || src[j] !== '"') fail(src, i, "string literal not terminated");
      toks.push({ kind: "string", value: decodeString(src, i, j + 1), start: i, end: j + 1 });
      i = j + 1;
    } else if (c === "`") {
      const close = src.indexOf("`", i + 1);
      if (close < 0) fail(src, i, "string literal not terminated");
      toks.push({ kind: "string", value: src.slice(i + 1, close), start: i, end: close + 1 });
      i = close + 1;
    } else if (c === "'") {
      fail(src, i, "illegal single-quoted string; use double quotes");
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^[0-9]*(\.[0-9]*)?([eE][+-]?[0-9]*)?/.exec(src.slice(i))![0];
      if (/[eE][+-]?$/.test(m)) fail(src, i, "exponent has no digits");
      toks.push({ kind: "number", value: m, start: i, end: i + m.length });
      i += m.length;
    } else if (LETTER.test(c)) {
      let j = i + 1;
      while (j < src.length && IDENT_PART.test(src[j])) j++;
      toks.push({ kind: "ident", value: src.slice(i, j), start: i, end: j });
      i = j;
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) fail(src, i, c === "|" || c === "&" ? `missing second ${c} in ${c}${c}` : `illegal character ${JSON.stringify(c)}`);
      toks.push({ kind: "punct", value: op, start: i, end: i + op.length });
      i += op.length;
    }
  }
  terminate(src.length);
  return toks;
}

const BINARY_PRECEDENCE: Record<string, number> = { "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "^": 6 };

/** Parse a whole config into its top-level blocks (top-level attributes are kept on `attrs`). */
export function parseAlloyFile(src: string): { attrs: Record<string, AlloyValue>; blocks: AlloyBlock[] } {
  const toks = tokenize(src);
  let p = 0;
  const peek = (k = 0): Tok | undefined => toks[p + k];
  const isPunct = (v: string, k = 0) => peek(k)?.kind === "punct" && peek(k)?.value === v;
  const here = () => peek()?.start ?? src.length;
  const describe = (t: Tok | undefined) => (t === undefined ? "end of file" : t.kind === "term" ? "newline" : JSON.stringify(src.slice(t.start, t.end)));
  const expect = (v: string, what = `'${v}'`) => {
    if (!isPunct(v)) fail(src, here(), `expected ${what}, got ${describe(peek())}`);
    p++;
  };
  const exprOf = (start: number, refs: string[], call?: AlloyExpr["call"]) => new AlloyExpr(src.slice(start, toks[p - 1].end), refs, call);

  function body(closing: boolean): { attrs: Record<string, AlloyValue>; blocks: AlloyBlock[] } {
    const attrs: Record<string, AlloyValue> = {};
    const blocks: AlloyBlock[] = [];
    for (;;) {
      while (peek()?.kind === "term") p++;
      const t = peek();
      if (t === undefined) {
        if (closing) fail(src, src.length, "expected '}', got end of file");
        return { attrs, blocks };
      }
      if (closing && isPunct("}")) return { attrs, blocks };
      if (t.kind !== "ident") fail(src, t.start, `expected an attribute or block name, got ${describe(t)}`);
      p++;
      if (isPunct("=")) {
        p++;
        if (t.value in attrs) fail(src, t.start, `attribute ${JSON.stringify(t.value)} may only be provided once`);
        attrs[t.value] = expression();
      } else {
        let name = t.value;
        while (isPunct(".")) {
          p++;
          const part = peek();
          if (part?.kind !== "ident") fail(src, here(), `expected an identifier after '.', got ${describe(part)}`);
          name += "." + part.value;
          p++;
        }
        if (isPunct("=")) fail(src, t.start, 'attribute names may only consist of a single identifier with no "."');
        let label: string | undefined;
        const l = peek();
        if (l?.kind === "string") {
          // Alloy takes labels from double-quoted strings that are empty or valid identifiers.
          if (src[l.start] !== '"' || !(l.value === "" || IDENTIFIER.test(l.value))) fail(src, l.start, `expected block label to be a double quoted valid identifier, got ${describe(l)}`);
          label = l.value;
          p++;
        }
        expect("{", "'{' on the line of the block's name");
        const inner = body(true);
        expect("}");
        blocks.push({ name, label, ...inner });
      }
      // A statement ends at a newline, the enclosing block's '}' or the end of the file.
      const next = peek();
      if (next === undefined || next.kind === "term" || (closing && isPunct("}"))) continue;
      fail(src, next.start, `expected a newline after the statement, got ${describe(next)}`);
    }
  }

  // Precedence climbing as Alloy's parser does it: operators of the same level group to the left,
  // `^` to the right; the value is an expression either way, so only the references matter.
  function expression(minPrecedence = 1): AlloyValue {
    const start = here();
    let left = unary();
    for (;;) {
      const op = peek();
      const prec = op?.kind === "punct" ? BINARY_PRECEDENCE[op.value] : undefined;
      if (prec === undefined || prec < minPrecedence) return left;
      p++;
      const right = expression(op!.value === "^" ? prec : prec + 1);
      left = exprOf(start, [...refsIn(left), ...refsIn(right)]);
    }
  }

  function unary(): AlloyValue {
    if (isPunct("!") || isPunct("-")) {
      const start = here();
      const op = toks[p++].value;
      const v = unary();
      if (op === "-" && typeof v === "number") return -v;
      if (op === "!" && typeof v === "boolean") return !v;
      return exprOf(start, refsIn(v));
    }
    return postfix();
  }

  function postfix(): AlloyValue {
    const start = here();
    let v = primary();
    // A dotted name is one reference until it is called or indexed.
    let ref = v instanceof AlloyExpr && v.refs.length === 1 && v.refs[0] === v.expr ? v.expr : undefined;
    for (;;) {
      if (isPunct(".")) {
        p++;
        const id = peek();
        if (id?.kind !== "ident") fail(src, here(), `expected an identifier after '.', got ${describe(id)}`);
        p++;
        ref = ref !== undefined ? `${ref}.${id.value}` : undefined;
        v = exprOf(start, ref !== undefined ? [ref] : refsIn(v));
      } else if (isPunct("[")) {
        p++;
        const index = expression();
        expect("]");
        v = exprOf(start, [...refsIn(v), ...refsIn(index)]);
        ref = undefined;
      } else if (isPunct("(")) {
        p++;
        const fn = ref ?? (v instanceof AlloyExpr ? v.expr : "");
        const args = list(")");
        v = exprOf(start, args.flatMap(refsIn), { fn, args });
        ref = undefined;
      } else return v;
    }
  }

  function list(closing: string): AlloyValue[] {
    const items: AlloyValue[] = [];
    while (!isPunct(closing)) {
      items.push(expression());
      if (isPunct(",")) p++;
      else if (!isPunct(closing)) fail(src, here(), `expected ',' or '${closing}', got ${describe(peek())} (missing ',' in expression list: one that spans lines needs a trailing comma)`);
    }
    p++;
    return items;
  }

  function primary(): AlloyValue {
    const t = peek();
    if (t === undefined) fail(src, src.length, "unexpected end of file in an expression");
    p++;
    if (t.kind === "string") return t.value;
    if (t.kind === "number") return Number(t.value);
    if (t.kind === "ident") {
      if (t.value === "true") return true;
      if (t.value === "false") return false;
      if (t.value === "null") return null;
      return new AlloyExpr(t.value, [t.value]);
    }
    if (t.kind === "punct" && t.value === "(") {
      const inner = expression();
      expect(")");
      return inner instanceof AlloyExpr ? exprOf(t.start, inner.refs) : inner;
    }
    if (t.kind === "punct" && t.value === "[") return list("]");
    if (t.kind === "punct" && t.value === "{") {
      const obj: Record<string, AlloyValue> = {};
      while (!isPunct("}")) {
        const key = peek();
        if (key?.kind !== "ident" && key?.kind !== "string") fail(src, here(), `expected an object key, got ${describe(key)}`);
        p++;
        expect("=");
        obj[key.value] = expression();
        if (isPunct(",")) p++;
        else if (!isPunct("}")) fail(src, here(), `expected ',' or '}', got ${describe(peek())} (missing ',' in field list: one that spans lines needs a trailing comma)`);
      }
      p++;
      return obj;
    }
    fail(src, t.start, `expected an expression, got ${describe(t)}`);
  }

  return body(false);
}

/** The top-level blocks of a config (what Alloy calls its components and settings blocks). */
export function parseAlloy(src: string): AlloyBlock[] {
  return parseAlloyFile(src).blocks;
}

/** Dotted references an attribute value reads, in order. */
export function refsIn(v: AlloyValue | undefined): string[] {
  if (v === undefined || v === null || typeof v !== "object") return [];
  if (v instanceof AlloyExpr) return v.refs;
  if (Array.isArray(v)) return v.flatMap(refsIn);
  return Object.values(v).flatMap(refsIn);
}

/** String literals inside an attribute value (lists, objects and call arguments included), in order. */
export function stringsIn(v: AlloyValue | undefined): string[] {
  if (typeof v === "string") return [v];
  if (v === undefined || v === null || typeof v !== "object") return [];
  if (v instanceof AlloyExpr) return (v.call?.args ?? []).flatMap(stringsIn);
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  return Object.values(v).flatMap(stringsIn);
}

/** The component a reference points into: `discovery.relabel.x.output` -> the `discovery.relabel "x"` block. */
export function componentOf(blocks: AlloyBlock[], ref: string): AlloyBlock | undefined {
  const parts = ref.split(".");
  for (let n = parts.length - 1; n >= 2; n--) {
    const name = parts.slice(0, n - 1).join(".");
    const found = blocks.find((b) => b.name === name && b.label === parts[n - 1]);
    if (found) return found;
  }
  return undefined;
}
