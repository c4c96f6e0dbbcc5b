// A tolerant structural scan of Alloy configuration (River syntax) for the alloy-allowlists policy.
//
// Why a structural scan suffices: the policy does not evaluate the pipeline, it only needs to know
// which components exist, which literal rules they carry and which component exports other
// components reference (`discovery.relabel.x.output`, `loki.relabel.y.rules`). Those are all
// syntactic facts. What the scan must get right is what a naive substring search gets wrong:
// comments (a commented-out keep rule is no rule), strings (a label name inside a regex is not a
// reference), block nesting (a `rule` belongs to the block it sits in) and references (a keep rule
// in a component nobody reads filters nothing). Anything it cannot parse is skipped, never thrown.

export type Token =
  | { kind: "ident"; value: string }
  | { kind: "string"; value: string }
  | { kind: "number"; value: string }
  | { kind: "punct"; value: string }
  | { kind: "newline"; value: "\n" };

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === "\n") {
      out.push({ kind: "newline", value: "\n" });
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "/" && src[i + 1] === "/") {
      while (i < n && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const body = src.slice(i, end < 0 ? n : end + 2);
      // Keep line structure so attributes after a block comment still end at their newline.
      for (const ch of body) if (ch === "\n") out.push({ kind: "newline", value: "\n" });
      i = end < 0 ? n : end + 2;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      while (j < n && src[j] !== '"') {
        if (src[j] === "\\" && j + 1 < n) {
          const e = src[j + 1];
          s += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
          j += 2;
        } else {
          s += src[j];
          j++;
        }
      }
      out.push({ kind: "string", value: s });
      i = j + 1;
    } else if (c === "`") {
      const end = src.indexOf("`", i + 1);
      out.push({ kind: "string", value: src.slice(i + 1, end < 0 ? n : end) });
      i = end < 0 ? n : end + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j])) j++;
      out.push({ kind: "ident", value: src.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9._a-zA-Z]/.test(src[j])) j++;
      out.push({ kind: "number", value: src.slice(i, j) });
      i = j;
    } else {
      const two = src.slice(i, i + 2);
      if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
        out.push({ kind: "punct", value: two });
        i += 2;
      } else {
        out.push({ kind: "punct", value: c });
        i++;
      }
    }
  }
  return out;
}

export interface Block {
  /** Dotted block name, e.g. `discovery.relabel`, `rule`, `stage.replace`. */
  name: string;
  label?: string;
  attrs: Record<string, Token[]>;
  blocks: Block[];
}

/** Parse a token stream into nested blocks; unknown constructs are skipped. */
export function parse(src: string): Block {
  const toks = tokenize(src);
  let pos = 0;
  const peek = (k = 0) => toks[pos + k];

  function skipNewlines() {
    while (peek() && peek().kind === "newline") pos++;
  }

  function readExpr(): Token[] {
    const expr: Token[] = [];
    let depth = 0;
    while (pos < toks.length) {
      const t = toks[pos];
      if (t.kind === "newline" && depth === 0) break;
      if (t.kind === "punct") {
        if (t.value === "(" || t.value === "[" || t.value === "{") depth++;
        else if (t.value === ")" || t.value === "]" || t.value === "}") {
          if (depth === 0) break; // the enclosing block's closing brace
          depth--;
        }
      }
      expr.push(t);
      pos++;
    }
    return expr.filter((t) => t.kind !== "newline");
  }

  function readBody(into: Block, closing: boolean): void {
    while (pos < toks.length) {
      skipNewlines();
      const t = peek();
      if (!t) return;
      if (t.kind === "punct" && t.value === "}") {
        pos++;
        if (closing) return;
        continue; // stray brace at top level
      }
      if (t.kind !== "ident") {
        pos++;
        continue;
      }
      let name = t.value;
      pos++;
      while (peek()?.kind === "punct" && peek().value === "." && peek(1)?.kind === "ident") {
        name += "." + peek(1).value;
        pos += 2;
      }
      const nx = peek();
      if (nx?.kind === "punct" && nx.value === "=") {
        pos++;
        into.attrs[name] = readExpr();
      } else if (nx?.kind === "string" && peek(1)?.kind === "punct" && peek(1).value === "{") {
        pos += 2;
        const b: Block = { name, label: nx.value, attrs: {}, blocks: [] };
        readBody(b, true);
        into.blocks.push(b);
      } else if (nx?.kind === "punct" && nx.value === "{") {
        pos++;
        const b: Block = { name, attrs: {}, blocks: [] };
        readBody(b, true);
        into.blocks.push(b);
      }
      // anything else: skip the identifier and continue
    }
  }

  const root: Block = { name: "", attrs: {}, blocks: [] };
  readBody(root, false);
  return root;
}

export function blocksNamed(b: Block, name: string): Block[] {
  return b.blocks.filter((x) => x.name === name);
}

/** String literals inside an attribute expression. */
export function stringsOf(expr: Token[] | undefined): string[] {
  return (expr ?? []).filter((t) => t.kind === "string").map((t) => t.value);
}

/** Dotted references (`discovery.relabel.docker.output`) inside an attribute expression. */
export function refsOf(expr: Token[] | undefined): string[] {
  const out: string[] = [];
  const e = expr ?? [];
  for (let i = 0; i < e.length; i++) {
    if (e[i].kind !== "ident") continue;
    let ref = e[i].value;
    while (e[i + 1]?.kind === "punct" && e[i + 1].value === "." && e[i + 2]?.kind === "ident") {
      ref += "." + e[i + 2].value;
      i += 2;
    }
    out.push(ref);
  }
  return out;
}

const MATCH_ALL = new Set(["", ".*", ".+", "(.*)", "(.+)", "^.*$", "^.+$", "(?s).*"]);

export interface KeepRule {
  sourceLabels: string[];
  regex: string;
}

/** `rule { action = "keep" ... }` blocks of a relabel component (action defaults to replace). */
export function keepRules(b: Block): KeepRule[] {
  return blocksNamed(b, "rule")
    .filter((r) => (stringsOf(r.attrs.action)[0] ?? "replace").toLowerCase() === "keep")
    .map((r) => ({ sourceLabels: stringsOf(r.attrs.source_labels), regex: stringsOf(r.attrs.regex)[0] ?? "(.*)" }));
}

/** A keep rule on `label` whose regex actually narrows (a match-all regex allows everything). */
export function hasAllowlistRule(b: Block, label: string): { ok: boolean; reason?: string } {
  const rules = keepRules(b).filter((r) => r.sourceLabels.includes(label));
  if (rules.length === 0) return { ok: false, reason: `has no rule with action = "keep" on source_labels ["${label}"]` };
  if (rules.every((r) => MATCH_ALL.has(r.regex.trim()))) return { ok: false, reason: `keeps ${label} with a match-all regex, which allows everything` };
  return { ok: true };
}

export interface AlloyVerdict {
  dockerAllowlist: { ok: boolean; reason?: string };
  journalAllowlist: { ok: boolean; reason?: string };
  redaction: { ok: boolean; reason?: string };
}

/** Check the three P15 properties of an Alloy config. */
export function checkAlloyConfig(src: string): AlloyVerdict {
  const root = parse(src);
  const byRef = (kind: string, label: string | undefined) => root.blocks.find((b) => b.name === kind && b.label === label);

  // Docker: every loki.source.docker must read its targets from a discovery.relabel that keeps
  // only allowlisted container names.
  let docker: AlloyVerdict["dockerAllowlist"] = { ok: true };
  const dockerSources = blocksNamed(root, "loki.source.docker");
  if (dockerSources.length === 0) docker = { ok: false, reason: "there is no loki.source.docker component, so no Docker container allowlist is declared" };
  for (const s of dockerSources) {
    const refs = refsOf(s.attrs.targets).filter((r) => /^discovery\.relabel\.[A-Za-z0-9_]+\.output$/.test(r));
    if (refs.length === 0) {
      docker = { ok: false, reason: `loki.source.docker "${s.label ?? ""}" does not take its targets from a discovery.relabel component's output, so every container's logs are read` };
      break;
    }
    for (const r of refs) {
      const target = byRef("discovery.relabel", r.split(".")[2]);
      const v = target ? hasAllowlistRule(target, "__meta_docker_container_name") : { ok: false, reason: "is not defined" };
      if (!v.ok) {
        docker = { ok: false, reason: `discovery.relabel "${r.split(".")[2]}" read by loki.source.docker "${s.label ?? ""}" ${v.reason}` };
        break;
      }
    }
    if (!docker.ok) break;
  }

  // Journald: every loki.source.journal must apply relabel rules that keep only allowlisted units.
  let journal: AlloyVerdict["journalAllowlist"] = { ok: true };
  const journalSources = blocksNamed(root, "loki.source.journal");
  if (journalSources.length === 0) journal = { ok: false, reason: "there is no loki.source.journal component, so no journald unit allowlist is declared" };
  for (const s of journalSources) {
    const refs = refsOf(s.attrs.relabel_rules).filter((r) => /^(loki|discovery)\.relabel\.[A-Za-z0-9_]+\.rules$/.test(r));
    if (refs.length === 0) {
      journal = { ok: false, reason: `loki.source.journal "${s.label ?? ""}" has no relabel_rules from a relabel component, so every unit's journal is read` };
      break;
    }
    for (const r of refs) {
      const [a, b, label] = r.split(".");
      const target = byRef(`${a}.${b}`, label);
      const v = target ? hasAllowlistRule(target, "__journal__systemd_unit") : { ok: false, reason: "is not defined" };
      if (!v.ok) {
        journal = { ok: false, reason: `${a}.${b} "${label}" used as relabel_rules of loki.source.journal "${s.label ?? ""}" ${v.reason}` };
        break;
      }
    }
    if (!journal.ok) break;
  }

  // Redaction: some loki.process has a stage.replace with an expression.
  const replaces = blocksNamed(root, "loki.process").flatMap((p) => blocksNamed(p, "stage.replace"));
  const redaction = replaces.some((r) => stringsOf(r.attrs.expression).some((e) => e !== ""))
    ? { ok: true }
    : { ok: false, reason: "no loki.process component has a stage.replace with an expression, so secrets in log lines are shipped as they are" };

  return { dockerAllowlist: docker, journalAllowlist: journal, redaction };
}
