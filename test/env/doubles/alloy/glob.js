"use strict";
// doublestar-style globs (what Alloy's local.file_match uses): ** spans directories, * and ? do
// not cross '/', {a,b} alternatives, [...] classes ([!x] negated). Pure + a bounded directory walk.
const fs = require("node:fs");
const path = require("node:path");

function globToRegExp(glob) {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      if (glob[i + 2] === "/") {
        re += "(?:.*/)?";
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const end = glob.indexOf("}", i);
      if (end < 0) re += "\\{";
      else {
        re += "(?:" + glob.slice(i + 1, end).split(",").map((a) => a.replace(/[.+^$()|\\[\]]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")).join("|") + ")";
        i = end;
      }
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += "[" + glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\\]]/g, "\\$&");
  }
  return new RegExp("^" + re + "$");
}

/** The directory before the first segment with a glob meta character. */
function staticPrefix(glob) {
  const segs = glob.split("/");
  const out = [];
  for (const s of segs) {
    if (/[*?{[]/.test(s)) break;
    out.push(s);
  }
  if (out.length === segs.length) return path.dirname(glob);
  return out.join("/") || "/";
}

/** Files matching the glob, by a walk bounded in depth (12) and count (10000). */
function expandGlob(glob) {
  if (!/[*?{[]/.test(glob)) {
    try {
      return fs.statSync(glob).isFile() ? [glob] : [];
    } catch {
      return [];
    }
  }
  const re = globToRegExp(glob);
  const out = [];
  const walk = (dir, depth) => {
    if (depth > 12 || out.length >= 10000) return;
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && re.test(p)) out.push(p);
    }
  };
  walk(staticPrefix(glob), 0);
  return out.sort();
}

module.exports = { globToRegExp, staticPrefix, expandGlob };
