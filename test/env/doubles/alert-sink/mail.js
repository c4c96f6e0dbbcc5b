"use strict";
// Reading a received e-mail (RFC 5322 headers, RFC 2047 encoded words, RFC 2045 quoted-printable
// and base64, RFC 2046 multipart) far enough to record what Alertmanager's email notifier sent
// (notify/email/email.go: the configured headers, Q-encoded, then Message-Id, Date,
// `Content-Type: multipart/alternative;  boundary=...`, MIME-Version, and one quoted-printable part
// per template, text/plain and/or text/html). Pure functions, node builtins only; every output is
// bounded (EXCERPT_CHARS per part, MAX_PARTS parts, MAX_HEADER_CHARS per header).

const EXCERPT_CHARS = 2048;
const MAX_PARTS = 8;
const MAX_HEADER_CHARS = 998;

/** Split a message at the first empty line: [header text, body Buffer]. No empty line: all header. */
function splitHeaderBody(buf) {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  let at = -1;
  let sep = 0;
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) [at, sep] = [crlf, 4];
  else if (lf >= 0) [at, sep] = [lf, 2];
  if (at < 0) return [buf.toString("utf8"), Buffer.alloc(0)];
  return [buf.subarray(0, at).toString("utf8"), buf.subarray(at + sep)];
}

/** Header fields in order, unfolded: [[name, value], ...]; lines without a colon are skipped. */
function parseHeaders(text) {
  const out = [];
  for (const line of text.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    out.push([line.slice(0, i).trim(), line.slice(i + 1).trim().slice(0, MAX_HEADER_CHARS)]);
  }
  return out;
}

/** The first value of a header (case-insensitive name), or undefined. */
function header(fields, name) {
  const n = name.toLowerCase();
  const f = fields.find(([k]) => k.toLowerCase() === n);
  return f ? f[1] : undefined;
}

/** Bytes of a charset as text: utf-8 / us-ascii / iso-8859-1 (latin1); other charsets as utf-8. */
function decodeCharset(bytes, charset) {
  const c = String(charset || "").toLowerCase();
  return c === "iso-8859-1" || c === "latin1" ? bytes.toString("latin1") : bytes.toString("utf8");
}

/** RFC 2047 encoded words (=?charset?Q|B?text?=) decoded; whitespace between two of them dropped. */
function decodeEncodedWords(s) {
  const word = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
  const joined = String(s).replace(/(\?=)[ \t]+(?==\?[^?\s]+\?[bBqQ]\?)/g, "$1");
  return joined.replace(word, (all, charset, enc, text) => {
    if (enc.toUpperCase() === "B") return decodeCharset(Buffer.from(text, "base64"), charset);
    const bytes = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === "_") bytes.push(0x20);
      else if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(c.charCodeAt(0) & 0xff);
    }
    return decodeCharset(Buffer.from(bytes), charset);
  });
}

/** Quoted-printable (RFC 2045 6.7) to bytes: soft line breaks removed, =XX decoded. */
function decodeQuotedPrintable(text) {
  const s = String(text).replace(/=\r?\n/g, "");
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes);
}

/** A Content-Type value: { type (lower-case), params (lower-case names, unquoted values) }. */
function parseContentType(value) {
  const [type, ...rest] = String(value || "text/plain").split(";");
  const params = {};
  for (const p of rest) {
    const i = p.indexOf("=");
    if (i <= 0) continue;
    params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The text of an HTML document: head, style and script dropped, tags removed, spaces collapsed. */
function htmlText(html) {
  const entities = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", "#39": "'" };
  return String(html)
    .replace(/<(head|style|script)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_, e) => entities[e])
    .replace(/\s+/g, " ")
    .trim();
}

/** One leaf part: its content decoded (transfer encoding, charset), HTML as its text, bounded. */
function leafPart(contentType, encoding, body) {
  const ct = parseContentType(contentType);
  const enc = String(encoding || "7bit").trim().toLowerCase();
  let bytes = body;
  if (enc === "quoted-printable") bytes = decodeQuotedPrintable(body.toString("latin1"));
  else if (enc === "base64") bytes = Buffer.from(body.toString("latin1").replace(/\s+/g, ""), "base64");
  let text = decodeCharset(bytes, ct.params.charset);
  if (ct.type === "text/html") text = htmlText(text);
  return { contentType: ct.type, encoding: enc, size: body.length, excerpt: text.slice(0, EXCERPT_CHARS), truncated: text.length > EXCERPT_CHARS };
}

/** The parts of a multipart body (between --boundary lines, up to the closing --boundary--). */
function splitMultipart(body, boundary) {
  const lines = body.toString("latin1").split(/\r?\n/);
  const parts = [];
  let cur = null;
  for (const line of lines) {
    if (line === `--${boundary}--`) break;
    if (line === `--${boundary}`) {
      if (cur) parts.push(cur);
      cur = [];
      continue;
    }
    if (cur) cur.push(line);
  }
  if (cur) parts.push(cur);
  return parts.map((ls) => Buffer.from(ls.join("\r\n"), "latin1"));
}

/**
 * What the sink records of a message: { subject (decoded), headers {from, to, date, messageId,
 * contentType} (decoded), parts: [{contentType, encoding, size, excerpt, truncated}] }. A multipart
 * body gives its leaf parts (one level deep, at most MAX_PARTS); anything else is one part.
 */
function parseMessage(buf) {
  const [head, body] = splitHeaderBody(buf);
  const fields = parseHeaders(head);
  const get = (n) => {
    const v = header(fields, n);
    return v === undefined ? undefined : decodeEncodedWords(v);
  };
  const ct = parseContentType(header(fields, "Content-Type"));
  let parts;
  if (ct.type.startsWith("multipart/") && ct.params.boundary) {
    parts = splitMultipart(body, ct.params.boundary)
      .slice(0, MAX_PARTS)
      .map((p) => {
        const [ph, pb] = splitHeaderBody(p);
        const pf = parseHeaders(ph);
        return leafPart(header(pf, "Content-Type"), header(pf, "Content-Transfer-Encoding"), pb);
      });
  } else parts = [leafPart(header(fields, "Content-Type"), header(fields, "Content-Transfer-Encoding"), body)];
  return {
    subject: get("Subject"),
    headers: { from: get("From"), to: get("To"), date: get("Date"), messageId: get("Message-Id"), contentType: header(fields, "Content-Type") },
    parts,
  };
}

module.exports = { parseMessage, parseHeaders, decodeEncodedWords, decodeQuotedPrintable, parseContentType, htmlText, splitHeaderBody, EXCERPT_CHARS, MAX_PARTS };
