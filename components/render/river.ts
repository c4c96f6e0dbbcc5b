// A small deterministic emitter for Alloy's configuration syntax (formerly River): blocks with an
// optional label, attributes in the order given, expressions referencing other components'
// exports. Enough for what we render; not a general-purpose formatter.

export interface RiverRef {
  ref: string;
}
export type RiverValue = string | number | boolean | RiverRef | RiverValue[] | { [key: string]: RiverValue };

export interface RiverBlock {
  name: string;
  label?: string;
  attrs?: [string, RiverValue][];
  blocks?: RiverBlock[];
}

export function ref(expr: string): RiverRef {
  return { ref: expr };
}

function isRef(v: unknown): v is RiverRef {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as RiverRef).ref === "string";
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Alloy strings are Go-style double-quoted: escape backslash, quote and control characters. */
export function riverString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + '"';
}

export function riverValue(v: RiverValue, indent: string): string {
  if (typeof v === "string") return riverString(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`cannot render non-finite number ${v}`);
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (isRef(v)) return v.ref;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const scalar = v.every((x) => typeof x !== "object" || isRef(x));
    if (scalar) return `[${v.map((x) => riverValue(x, indent)).join(", ")}]`;
    const inner = indent + "  ";
    return `[\n${v.map((x) => `${inner}${riverValue(x, inner)},`).join("\n")}\n${indent}]`;
  }
  const keys = Object.keys(v).sort();
  if (keys.length === 0) return "{}";
  const inner = indent + "  ";
  // Object keys are always quoted strings (as Alloy's docs write `{"__path__" = ...}`).
  const lines = keys.map((k) => `${inner}${riverString(k)} = ${riverValue(v[k], inner)},`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}

export function riverBlock(b: RiverBlock, indent = ""): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/.test(b.name)) throw new Error(`invalid block name ${b.name}`);
  if (b.label !== undefined && !IDENT.test(b.label)) throw new Error(`invalid block label ${b.label}`);
  const head = b.label === undefined ? b.name : `${b.name} ${riverString(b.label)}`;
  const inner = indent + "  ";
  const attrs = b.attrs ?? [];
  const width = attrs.reduce((w, [k]) => Math.max(w, k.length), 0);
  const body: string[] = attrs.map(([k, val]) => {
    if (!IDENT.test(k)) throw new Error(`invalid attribute name ${k}`);
    return `${inner}${k.padEnd(width)} = ${riverValue(val, inner)}`;
  });
  for (const child of b.blocks ?? []) {
    if (body.length > 0) body.push("");
    body.push(riverBlock(child, inner));
  }
  if (body.length === 0) return `${indent}${head} { }`;
  return `${indent}${head} {\n${body.join("\n")}\n${indent}}`;
}

export function riverFile(blocks: RiverBlock[], header?: string): string {
  const head = header ? header.split("\n").map((l) => `// ${l}`).join("\n") + "\n\n" : "";
  return head + blocks.map((b) => riverBlock(b)).join("\n\n") + "\n";
}
