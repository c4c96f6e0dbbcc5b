// A small reader for Alloy's configuration syntax, enough for L4's structural check (P15): which
// components exist, their attributes as values, nested blocks. It parses; it never greps.
export type AlloyValue = string | number | boolean | null | { ref: string } | AlloyValue[] | { [k: string]: AlloyValue };

export interface AlloyBlock {
  name: string;
  label?: string;
  attrs: Record<string, AlloyValue>;
  blocks: AlloyBlock[];
}

type Tok = { t: "ident" | "string" | "number" | "punct"; v: string; pos: number };

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e === "n") return "\n";
    if (e === "t") return "\t";
    if (e === "r") return "\r";
    if (e[0] === "x" || e[0] === "u") return String.fromCharCode(parseInt(e.slice(1), 16));
    return e;
  });
}

export function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (src.startsWith("//", i) || c === "#") { while (i < src.length && src[i] !== "\n") i++; continue; }
    if (src.startsWith("/*", i)) { const e = src.indexOf("*/", i + 2); i = e < 0 ? src.length : e + 2; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      toks.push({ t: "string", v: unquote(src.slice(i, j + 1)), pos: i });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const j = src.indexOf("`", i + 1);
      toks.push({ t: "string", v: src.slice(i + 1, j), pos: i });
      i = j + 1;
      continue;
    }
    const num = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i, i + 40));
    if (num) { toks.push({ t: "number", v: num[0], pos: i }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i, i + 400));
    if (id) { toks.push({ t: "ident", v: id[0], pos: i }); i += id[0].length; continue; }
    if ("{}[]=,()".includes(c)) { toks.push({ t: "punct", v: c, pos: i }); i++; continue; }
    throw new Error(`unexpected character ${JSON.stringify(c)} at offset ${i}`);
  }
  return toks;
}

export function parseAlloy(src: string): AlloyBlock[] {
  const toks = tokenize(src);
  let p = 0;
  const peek = (k = 0) => toks[p + k];
  const expect = (v: string) => {
    const t = toks[p++];
    if (!t || t.v !== v || (t.t !== "punct")) throw new Error(`expected ${v} at token ${p - 1} (${t ? JSON.stringify(t.v) : "end"})`);
  };

  function value(): AlloyValue {
    const t = toks[p++];
    if (!t) throw new Error("unexpected end of input in a value");
    if (t.t === "string") return t.v;
    if (t.t === "number") return Number(t.v);
    if (t.t === "ident") {
      if (t.v === "true") return true;
      if (t.v === "false") return false;
      if (t.v === "null") return null;
      let ref = t.v;
      // Function calls such as env("X") or sys.env("X"): keep the text, values are not evaluated.
      if (peek()?.v === "(") {
        let depth = 0;
        do {
          const x = toks[p++];
          if (x.v === "(") depth++;
          if (x.v === ")") depth--;
          ref += x.t === "string" ? JSON.stringify(x.v) : x.v;
        } while (depth > 0);
      }
      return { ref };
    }
    if (t.v === "[") {
      const arr: AlloyValue[] = [];
      while (peek()?.v !== "]") {
        arr.push(value());
        if (peek()?.v === ",") p++;
      }
      p++;
      return arr;
    }
    if (t.v === "{") {
      const obj: Record<string, AlloyValue> = {};
      while (peek()?.v !== "}") {
        const k = toks[p++];
        expect("=");
        obj[k.v] = value();
        if (peek()?.v === ",") p++;
      }
      p++;
      return obj;
    }
    throw new Error(`unexpected ${JSON.stringify(t.v)} in a value`);
  }

  function body(end: string | null): { attrs: Record<string, AlloyValue>; blocks: AlloyBlock[] } {
    const attrs: Record<string, AlloyValue> = {};
    const blocks: AlloyBlock[] = [];
    while (p < toks.length && peek().v !== end) {
      const name = toks[p++];
      if (name.t !== "ident") throw new Error(`expected a block or attribute name, got ${JSON.stringify(name.v)}`);
      if (peek()?.v === "=") {
        p++;
        attrs[name.v] = value();
        continue;
      }
      let label: string | undefined;
      if (peek()?.t === "string") label = toks[p++].v;
      expect("{");
      const inner = body("}");
      expect("}");
      blocks.push({ name: name.v, label, ...inner });
    }
    return { attrs, blocks };
  }
  return body(null).blocks;
}

export function* walk(blocks: AlloyBlock[]): Generator<AlloyBlock> {
  for (const b of blocks) {
    yield b;
    yield* walk(b.blocks);
  }
}

function refsIn(v: AlloyValue | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap(refsIn);
  if (typeof v === "object") return "ref" in v && typeof v.ref === "string" ? [v.ref as string] : Object.values(v).flatMap(refsIn);
  return [];
}

function compileAnchored(re: string): RegExp | null {
  try {
    // Prometheus/Alloy relabel regexes are fully anchored (RE2); JS has no (?i)-style flags inline.
    return new RegExp(`^(?:${re})$`);
  } catch {
    return null;
  }
}

/** Does `rule` keep exactly the allowlisted values (all of them match, an unrelated value does not)? */
function keepRuleAllows(rule: AlloyBlock, sourceLabel: string, values: string[]): { ok: boolean; why?: string } {
  if (rule.attrs.action !== "keep") return { ok: false };
  const src = rule.attrs.source_labels;
  if (!Array.isArray(src) || !src.includes(sourceLabel)) return { ok: false };
  const re = typeof rule.attrs.regex === "string" ? compileAnchored(rule.attrs.regex) : null;
  if (!re) return { ok: false, why: "keep rule regex does not compile" };
  const missing = values.filter((v) => !re.test(v));
  if (missing.length > 0) return { ok: false, why: `keep rule does not admit ${missing.join(", ")}` };
  if (re.test("/logging-bootstrap-not-allowlisted-0") || re.test("logging-bootstrap-not-allowlisted-0")) {
    return { ok: false, why: "keep rule admits names outside the allowlist" };
  }
  return { ok: true };
}

export interface AlloyStructureInput {
  dockerAllowlist: string[];
  journaldUnits: string[];
  redactionCount: number;
}
export interface AlloyStructure {
  /** Problems that make L4 red (E_PROOF_LABEL_MISSING: an allowlist is absent or wrong). */
  errors: string[];
  /** True when the pipeline has at least `redactionCount` stage.replace stages (and one at least). */
  redactionStages: number;
  facts: { dockerSources: number; journalSources: number; fileSources: number };
}

/**
 * P15 on the rendered Alloy config: every Docker source is fed only through a keep rule on the
 * container name that admits exactly the allowlist; every journal source has relabel rules with a
 * keep rule on the systemd unit; every source forwards into a loki.process with the redaction stages.
 */
export function checkAlloyStructure(text: string, want: AlloyStructureInput): AlloyStructure {
  const errors: string[] = [];
  let blocks: AlloyBlock[];
  try {
    blocks = parseAlloy(text);
  } catch (e) {
    return { errors: [`alloy config does not parse: ${(e as Error).message}`], redactionStages: 0, facts: { dockerSources: 0, journalSources: 0, fileSources: 0 } };
  }
  const byId = new Map<string, AlloyBlock>();
  for (const b of blocks) if (b.label !== undefined) byId.set(`${b.name}.${b.label}`, b);
  const component = (ref: string) => {
    // `discovery.relabel.x.output` -> the block `discovery.relabel` labelled `x`.
    const parts = ref.split(".");
    for (let n = parts.length - 1; n >= 1; n--) {
      const b = byId.get(parts.slice(0, n).join("."));
      if (b) return b;
    }
    return undefined;
  };

  const dockerSources = blocks.filter((b) => b.name === "loki.source.docker");
  const journalSources = blocks.filter((b) => b.name === "loki.source.journal");
  const fileSources = blocks.filter((b) => b.name === "loki.source.file");

  if (want.dockerAllowlist.length > 0 && dockerSources.length === 0) errors.push("alloy: dockerAllowlist is set but there is no loki.source.docker");
  for (const src of dockerSources) {
    const feeders = refsIn(src.attrs.targets).map(component).filter((b): b is AlloyBlock => b?.name === "discovery.relabel");
    const verdicts = feeders.flatMap((f) => f.blocks.filter((r) => r.name === "rule").map((r) => keepRuleAllows(r, "__meta_docker_container_name", want.dockerAllowlist.map((n) => `/${n}`))));
    if (!verdicts.some((v) => v.ok)) {
      const why = verdicts.find((v) => v.why)?.why;
      errors.push(`alloy: loki.source.docker "${src.label}" is not limited to alloy.dockerAllowlist${why ? ` (${why})` : ""}`);
    }
  }
  if (want.journaldUnits.length > 0 && journalSources.length === 0) errors.push("alloy: journaldUnits is set but there is no loki.source.journal");
  for (const src of journalSources) {
    const relabels = refsIn(src.attrs.relabel_rules).map(component).filter((b): b is AlloyBlock => b?.name === "loki.relabel");
    const verdicts = relabels.flatMap((f) => f.blocks.filter((r) => r.name === "rule").map((r) => keepRuleAllows(r, "__journal__systemd_unit", want.journaldUnits)));
    if (!verdicts.some((v) => v.ok)) {
      const why = verdicts.find((v) => v.why)?.why;
      errors.push(`alloy: loki.source.journal "${src.label}" is not limited to alloy.journaldUnits${why ? ` (${why})` : ""}`);
    }
  }

  const processes = blocks.filter((b) => b.name === "loki.process");
  const stagesOf = (p: AlloyBlock) => p.blocks.filter((s) => s.name === "stage.replace").length;
  let redactionStages = Infinity;
  for (const src of [...dockerSources, ...journalSources, ...fileSources]) {
    const targets = refsIn(src.attrs.forward_to).map(component);
    const stages = targets.map((t) => (t && t.name === "loki.process" ? stagesOf(t) : 0));
    redactionStages = Math.min(redactionStages, stages.length ? Math.max(...stages) : 0);
  }
  if (!Number.isFinite(redactionStages)) redactionStages = processes.length ? Math.max(...processes.map(stagesOf)) : 0;
  if (want.redactionCount > 0 && redactionStages < want.redactionCount) {
    errors.push(`alloy: ${want.redactionCount} redaction(s) configured but a source forwards through only ${redactionStages} stage.replace stage(s)`);
  }
  return { errors, redactionStages, facts: { dockerSources: dockerSources.length, journalSources: journalSources.length, fileSources: fileSources.length } };
}
