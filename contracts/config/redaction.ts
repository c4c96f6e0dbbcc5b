// alloy.redactions: what Alloy's `stage.replace` does with a pattern and a replacement, so the lint
// can refuse a redaction that would redact nothing, and the proofs know what a redacted canary
// looks like. Behaviour follows Alloy's source (internal/component/loki/process/stages/replace.go):
// - `expression` is a Go RE2 regexp, compiled when the config loads (a bad one stops Alloy);
// - for every match, every capture group that took part is replaced by the `replace` template
//   executed with {{ .Value }} = the captured text; text outside the groups is kept, so a pattern
//   without a group redacts nothing;
// - a template that does not parse, or fails to execute, makes the stage skip the line unchanged.
// RE2 is compiled here with re2js (a port of RE2/J, Go's regexp syntax): no lookarounds, no
// backreferences, exactly what Alloy refuses.
import { RE2JS } from "re2js";

export type Compiled = { ok: true; re: RE2JS; groups: number } | { ok: false; error: string };

export function compileRe2(pattern: string): Compiled {
  try {
    const re = RE2JS.compile(pattern);
    return { ok: true, re, groups: re.groupCount() };
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).replace(/^error parsing regexp: /, "") };
  }
}

/**
 * The template pieces of a replacement: literal text and `{{ .Value }}` actions (with Go's `{{-`
 * / `-}}` whitespace trimming), optionally piped to Alloy's `Hash "salt"` or `Sha2Hash "salt"`
 * template functions (a stable stand-in that keeps lines correlatable). Anything else inside
 * `{{ }}` (other fields, other functions) is refused: a redaction replaces a secret with a constant
 * or with a function of itself only.
 */
export type TemplatePart = { text: string } | { value: true; hash?: "Hash" | "Sha2Hash"; trimLeft: boolean; trimRight: boolean };

/** What a hashed value is taken to be where its exact hash is not computed: it never contains the secret. */
export const HASHED = "<hashed>";

export function parseTemplate(t: string): { ok: true; parts: TemplatePart[] } | { ok: false; error: string } {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < t.length) {
    const open = t.indexOf("{{", i);
    if (open < 0) {
      parts.push({ text: t.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: t.slice(i, open) });
    const close = t.indexOf("}}", open + 2);
    if (close < 0) return { ok: false, error: `unclosed action at offset ${open} ("{{" without "}}")` };
    const action = t.slice(open, close + 2);
    const m = /^\{\{(-?)(\s*)\.Value(?:\s*\|\s*(Hash|Sha2Hash)\s+"[^"\\]*")?(\s*)(-?)\}\}$/.exec(action);
    // Go requires a space between "-" and the action's contents for trim markers ("{{- .Value -}}").
    if (!m || (m[1] === "-" && m[2] === "") || (m[5] === "-" && m[4] === "")) {
      return { ok: false, error: `action ${JSON.stringify(action)} is not {{ .Value }} or {{ .Value | Hash "salt" }} (only the captured value may be used)` };
    }
    parts.push({ value: true, ...(m[3] ? { hash: m[3] as "Hash" | "Sha2Hash" } : {}), trimLeft: m[1] === "-", trimRight: m[5] === "-" });
    i = close + 2;
  }
  return { ok: true, parts };
}

/** Execute a parsed template with .Value = v (Go trims the adjacent text's whitespace for `-`). */
export function executeTemplate(parts: TemplatePart[], v: string): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if ("text" in p) {
      let text = p.text;
      const prev = parts[i - 1];
      const next = parts[i + 1];
      if (prev && "value" in prev && prev.trimRight) text = text.replace(/^\s+/, "");
      if (next && "value" in next && next.trimLeft) text = text.replace(/\s+$/, "");
      out += text;
    } else out += p.hash ? HASHED : v;
  }
  return out;
}

/** Alloy's stage.replace on one line; the line unchanged when nothing matches. */
export function applyReplace(re: RE2JS, parts: TemplatePart[], line: string): string {
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
      // As upstream: a group starting before the end of the previous replacement is not replaced again.
      if (prevEnd === 0 || prevEnd <= s) {
        result += line.slice(prevEnd, s) + executeTemplate(parts, line.slice(s, e));
        prevEnd = e;
      }
    }
  }
  return matched ? result + line.slice(prevEnd) : line;
}

export interface RedactionLike {
  name: string;
  pattern: string;
  replacement: string;
  /** An example the pattern must redact: the proofs write it and require it back redacted. */
  canary?: string;
}

/** Everything wrong with one redaction, as the lint reports it (empty: fine). */
export function redactionProblems(r: RedactionLike): string[] {
  const out: string[] = [];
  const c = compileRe2(r.pattern);
  if (!c.ok) return [`pattern is not a valid RE2 expression (Alloy refuses to load it): ${c.error}`];
  if (c.groups === 0) out.push("pattern has no capture group: Alloy replaces only capture groups, so it would redact nothing; put the secret part in ( )");
  const t = parseTemplate(r.replacement);
  if (!t.ok) out.push(`replacement is not a template Alloy would run (it skips the stage, leaving the line unredacted): ${t.error}`);
  if (r.canary !== undefined && c.ok && c.groups > 0 && t.ok) {
    const secrets = capturedSecrets(c.re, r.canary);
    if (secrets.length === 0) out.push("canary is not matched by the pattern (or no group captures anything in it)");
    else {
      const redacted = applyReplace(c.re, t.parts, r.canary);
      const leaked = secrets.filter((s) => redacted.includes(s));
      if (leaked.length) out.push(`the canary comes out of the stage still containing ${leaked.length === 1 ? "its secret" : "its secrets"}: ${JSON.stringify(redacted)}`);
    }
  }
  return out;
}

/** The non-empty texts the pattern's groups capture in a line (what must not survive redaction). */
export function capturedSecrets(re: RE2JS, line: string): string[] {
  const m = re.matcher(line);
  const out: string[] = [];
  while (m.find()) for (let g = 1; g <= m.groupCount(); g++) if (m.start(g) >= 0 && m.end(g) > m.start(g)) out.push(line.slice(m.start(g), m.end(g)));
  return [...new Set(out)];
}

/** A line as it leaves Alloy's pipeline: every redaction stage in order (a stage that cannot run leaves it as is). */
export function redactLine(redactions: readonly RedactionLike[], line: string): string {
  let out = line;
  for (const r of redactions) {
    const c = compileRe2(r.pattern);
    const t = parseTemplate(r.replacement);
    if (c.ok && t.ok) out = applyReplace(c.re, t.parts, out);
  }
  return out;
}
