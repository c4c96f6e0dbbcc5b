"use strict";
// Go's regexp package as Alloy calls it, on top of re2js (RE2's syntax and leftmost-first
// semantics, as Go's regexp): how Go enumerates every match (FindAllStringSubmatchIndex: an empty
// match right after the previous match is skipped) and how it replaces (ReplaceAllString with
// Expand's `$1`, `${1}`, `$name`, `${name}`, `$$`). re2js alone follows Java's find() loop, which
// reports that empty match, so the loops here are written from Go's documentation:
// https://pkg.go.dev/regexp ("If 'All' is present ... Empty matches abutting a preceding match
// are ignored"; Expand).
const { RE2JS } = require("re2js");

/** Compile with Go's syntax; the error text follows Go's (`error parsing regexp: ...`). */
function compile(src) {
  return RE2JS.compile(src);
}

/** Width (in UTF-16 units) of the code point at i: how far an empty match advances. */
function charWidth(s, i) {
  const c = s.codePointAt(i);
  return c !== undefined && c > 0xffff ? 2 : 1;
}

/**
 * Every match as Go's FindAllStringSubmatchIndex returns it: [start, end, g1start, g1end, ...]
 * with -1 for a group that did not take part.
 */
function allSubmatchIndex(re, s) {
  const out = [];
  const m = re.matcher(s);
  const groups = re.groupCount();
  let pos = 0;
  let prevEnd = -1;
  while (pos <= s.length && m.find(pos)) {
    const start = m.start();
    const end = m.end();
    let accept = true;
    if (end === start) {
      if (start === prevEnd) accept = false;
      pos = start + charWidth(s, start);
    } else pos = end;
    prevEnd = end;
    if (!accept) continue;
    const idx = [start, end];
    for (let g = 1; g <= groups; g++) idx.push(m.start(g), m.end(g));
    out.push(idx);
  }
  return out;
}

/** Names of the groups, index -> name ("" for an unnamed group), like Go's SubexpNames. */
function subexpNames(re) {
  const names = new Array(re.groupCount() + 1).fill("");
  for (const [name, i] of Object.entries(re.namedGroups())) names[i] = name;
  return names;
}

/** Go's Regexp.Expand of `template` for one match (indices as allSubmatchIndex gives them). */
function expand(re, template, s, idx) {
  const names = subexpNames(re);
  const group = (name) => {
    let i = /^[0-9]+$/.test(name) ? Number(name) : names.indexOf(name);
    if (i < 0 || 2 * i + 1 >= idx.length || idx[2 * i] < 0) return "";
    return s.slice(idx[2 * i], idx[2 * i + 1]);
  };
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== "$") {
      out += c;
      continue;
    }
    if (template[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    let name;
    let next;
    if (template[i + 1] === "{") {
      const close = template.indexOf("}", i + 2);
      const inner = close < 0 ? "" : template.slice(i + 2, close);
      if (close < 0 || !/^[A-Za-z0-9_]+$/.test(inner)) {
        out += c; // malformed: the `$` is kept literally
        continue;
      }
      name = inner;
      next = close + 1;
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!mm) {
        out += c;
        continue;
      }
      name = mm[0];
      next = i + 1 + name.length;
    }
    out += group(name);
    i = next - 1;
  }
  return out;
}

/** Go's ReplaceAllString / ReplaceAllLiteralString: `literal` skips Expand. */
function replaceAll(re, s, repl, literal) {
  const m = re.matcher(s);
  const groups = re.groupCount();
  let out = "";
  let lastEnd = 0;
  let pos = 0;
  while (pos <= s.length && m.find(pos)) {
    const start = m.start();
    const end = m.end();
    out += s.slice(lastEnd, start);
    // No replacement for an empty match right after another match (Go: no double replacement).
    if (end > lastEnd || start === 0) {
      const idx = [start, end];
      for (let g = 1; g <= groups; g++) idx.push(m.start(g), m.end(g));
      out += literal ? repl : expand(re, repl, s, idx);
    }
    lastEnd = end;
    const width = charWidth(s, pos);
    if (pos + width > end) pos += width;
    else if (pos + 1 > end) pos++;
    else pos = end;
  }
  return out + s.slice(lastEnd);
}

module.exports = { compile, allSubmatchIndex, subexpNames, expand, replaceAll };
