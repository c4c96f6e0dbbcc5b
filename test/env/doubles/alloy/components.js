"use strict";
// Alloy's component API for the double, derived from the config it loaded (its parsed components)
// and what it is doing with them. Shapes follow Alloy 1.19 (grafana/alloy: internal/web/api/api.go,
// internal/component/component_provider.go Info.MarshalJSON, internal/runtime/alloy_components.go,
// syntax/encoding/alloyjson):
//   GET /api/v0/web/components       -> [ComponentInfo] with health only: arguments, exports and
//                                       debugInfo are empty bodies ([])
//   GET /api/v0/web/components/{id}  -> one ComponentInfo with arguments, exports and debugInfo
// ComponentInfo: {name, type:"block", localID, moduleID, label?, referencesTo, referencedBy,
// dataFlowEdgesTo, health:{state, message, updatedTime}, original:"", arguments, exports,
// debugInfo, liveDebuggingEnabled}. References are other components whose exports an attribute
// reads; a data-flow edge goes from a component to the receiver it forwards to, and from the
// owner of any other export (targets, output, rules) to its reader. Older versions write fewer keys
// and report some things differently: `state.features` (versions.js, from the version the double
// imitates) says which.
const A = require("./alloyjson.js");
const { LATEST } = require("./versions.js");
const D = require("./docker.js");
const { expandGlob } = require("./glob.js");
const { componentOf, refsIn } = require("../lib/alloy-syntax.js");

/**
 * What the double knows of each component kind it runs: the argument order of Alloy's Go struct,
 * the defaults Alloy leaves out of `arguments`, the exports, and whether it supports live debugging.
 */
const KINDS = {
  "local.file_match": { fields: ["path_targets", "sync_period", "ignore_older_than"], defaults: { sync_period: "10s", ignore_older_than: "0s" }, exports: ["targets"] },
  "loki.source.file": {
    fields: ["targets", "forward_to", "encoding", "decompression", "file_watch", "file_match", "tail_from_end", "legacy_positions_file", "on_positions_file_error"],
    defaults: { encoding: "", tail_from_end: false, legacy_positions_file: "", on_positions_file_error: "restart_from_beginning" },
    exports: [],
  },
  "discovery.docker": { fields: ["host", "port", "host_networking_host", "refresh_interval", "match_first_network", "filter"], defaults: { port: 80, host_networking_host: "localhost", refresh_interval: "1m0s", match_first_network: true }, exports: ["targets"], live: true },
  "discovery.relabel": { fields: ["targets", "rule"], defaults: {}, exports: ["output", "rules"], live: true },
  "loki.source.docker": { fields: ["host", "targets", "forward_to", "labels", "relabel_rules", "http_client_config", "refresh_interval"], defaults: { refresh_interval: "1m0s" }, exports: [] },
  "loki.relabel": { fields: ["forward_to", "rule", "max_cache_size"], defaults: { max_cache_size: 10000 }, exports: ["receiver", "rules"], live: true },
  "loki.source.journal": { fields: ["format_as_json", "max_age", "path", "relabel_rules", "matches", "forward_to", "labels", "legacy_position"], defaults: { format_as_json: false, max_age: "7h0m0s", path: "" }, exports: [] },
  "loki.process": { fields: ["forward_to", "stage"], defaults: {}, exports: ["receiver"], live: true },
  "loki.write": { fields: ["endpoint", "external_labels", "max_streams", "wal"], defaults: { max_streams: 0 }, exports: ["receiver"] },
  "prometheus.scrape": {
    fields: ["targets", "forward_to", "job_name", "honor_labels", "honor_timestamps", "track_timestamps_staleness", "params", "scrape_classic_histograms", "scrape_native_histograms", "scrape_failure_log_file", "scrape_interval", "scrape_timeout", "scrape_protocols", "metrics_path", "scheme", "body_size_limit", "sample_limit", "target_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config", "follow_redirects", "enable_http2", "extra_metrics", "enable_protobuf_negotiation", "metric_name_validation_scheme", "metric_name_escaping_scheme", "scrape_fallback_protocol", "convert_classic_histograms_to_nhcb", "enable_compression", "honor_metadata", "clustering"],
    defaults: { honor_labels: false, honor_timestamps: true, track_timestamps_staleness: false, scrape_interval: "1m", scrape_timeout: "10s", metrics_path: "/metrics", scheme: "http", follow_redirects: true, enable_http2: true, extra_metrics: false, enable_compression: true, metric_name_validation_scheme: "legacy", scrape_fallback_protocol: "PrometheusText0.0.4" },
    exports: [],
    live: true,
  },
  "prometheus.remote_write": { fields: ["external_labels", "endpoint", "wal"], defaults: {}, exports: ["receiver"], live: true },
};
/** Attributes of type secret: Alloy shows them as the capsule "(secret)" (alloytypes.Secret). */
const SECRETS = new Set(["password", "bearer_token", "key_pem", "credentials", "client_secret"]);
const DURATIONS = new Set(["sync_period", "ignore_older_than", "refresh_interval", "max_age", "batch_wait", "remote_timeout", "min_backoff_period", "max_backoff_period", "scrape_interval", "scrape_timeout", "batch_send_deadline", "min_backoff", "max_backoff", "sample_age_limit", "send_interval", "drain_timeout", "truncate_frequency", "min_keepalive_time", "max_keepalive_time"]);
/** Sources the double runs one of (the first in the file); a second one is declared but not run. */
const SINGLE = new Set(["loki.source.docker", "loki.source.journal"]);

/** Components of a parsed config: dotted top-level blocks (config blocks like `logging` are not), import.* excluded. */
function componentsOf(root) {
  return root.blocks
    .filter((b) => b.name.includes(".") && !b.name.startsWith("import."))
    .map((b, index) => ({ id: b.label !== undefined ? `${b.name}.${b.label}` : b.name, name: b.name, label: b.label, block: b, index }));
}

/** Every dotted reference a block reads, nested blocks included. */
function blockRefs(b) {
  return [...Object.values(b.attrs).flatMap((v) => refsIn(v)), ...b.blocks.flatMap(blockRefs)];
}

/** referencesTo, referencedBy and data-flow edges of every component (ids in file order of discovery). */
function graphOf(root, comps) {
  const byBlock = new Map(comps.map((c) => [c.block, c]));
  const refs = new Map(comps.map((c) => [c.id, new Set()]));
  const refBy = new Map(comps.map((c) => [c.id, new Set()]));
  const edges = new Map(comps.map((c) => [c.id, []]));
  for (const c of comps) {
    for (const ref of blockRefs(c.block)) {
      const target = byBlock.get(componentOf(root.blocks, ref));
      if (!target || target === c) continue;
      refs.get(c.id).add(target.id);
      refBy.get(target.id).add(c.id);
      const field = ref.slice(target.id.length + 1).split(".")[0];
      const kind = KINDS[target.name];
      if (!kind || !kind.exports.includes(field)) continue;
      // A receiver is where data goes; any other export (targets, output, rules) is read by c.
      if (field === "receiver") edges.get(c.id).push(target.id);
      else edges.get(target.id).push(c.id);
    }
  }
  const sorted = (m) => new Map([...m].map(([k, v]) => [k, [...v].sort()]));
  return { refs: sorted(refs), refBy: sorted(refBy), edges };
}

/** Dependencies first; among components ready together, file order. */
function dependencyOrder(comps, graph) {
  const done = new Set();
  const out = [];
  while (out.length < comps.length) {
    const next = comps.find((c) => !done.has(c.id) && graph.refs.get(c.id).every((r) => done.has(r))) ?? comps.find((c) => !done.has(c.id));
    done.add(next.id);
    out.push(next);
  }
  return out;
}

class Capsule {
  constructor(text) {
    this.text = text;
  }
}

/** The runtime context the API answers from. */
function contextOf(root, state) {
  const comps = componentsOf(root);
  const graph = graphOf(root, comps);
  const byId = new Map(comps.map((c) => [c.id, c]));
  const runs = new Set();
  for (const c of comps) if (KINDS[c.name] && (!SINGLE.has(c.name) || comps.find((x) => x.name === c.name) === c)) runs.add(c.id);
  const ctx = { root, comps, graph, byId, runs, state, cache: new Map() };
  return ctx;
}

/** An attribute value evaluated: literals as written, references to exports as the double has them. */
function evaluate(ctx, v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => evaluate(ctx, x));
  if (v.expr !== undefined && Array.isArray(v.refs)) {
    if (v.refs.length === 1 && v.refs[0] === v.expr) {
      const c = ctx.comps.find((x) => v.expr.startsWith(`${x.id}.`));
      if (c) {
        const field = v.expr.slice(c.id.length + 1);
        const ex = exportsOf(ctx, c);
        if (field in ex) return ex[field];
      }
    }
    return new Capsule(v.expr);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, evaluate(ctx, x)]));
}

/** A component's exports as JavaScript values (targets: lists of label maps). */
function exportsOf(ctx, c) {
  if (ctx.cache.has(c.id)) return ctx.cache.get(c.id);
  const out = {};
  ctx.cache.set(c.id, out); // a reference cycle evaluates to the empty exports
  const st = ctx.state;
  if (c.name === "local.file_match") {
    const targets = [];
    for (const t of asList(evaluate(ctx, c.block.attrs.path_targets))) {
      if (typeof t.__path__ !== "string") continue;
      for (const file of (st.expandGlob ?? expandGlob)(t.__path__)) {
        const { __path_exclude__: _ex, ...rest } = t;
        targets.push(Object.assign({}, rest, { __path__: file }));
      }
    }
    out.targets = targets;
  } else if (c.name === "discovery.docker") {
    out.targets = ((st.docker && st.docker.containers) || []).map(D.metaLabels);
  } else if (c.name === "discovery.relabel") {
    const rules = c.block.blocks.filter((b) => b.name === "rule").map((b) => b.attrs);
    out.output = asList(evaluate(ctx, c.block.attrs.targets)).map((t) => D.relabel(t, rules)).filter((t) => t !== null);
    out.rules = new Capsule('capsule("relabel.Rules")');
  } else if (c.name === "loki.relabel") {
    out.receiver = new Capsule(`${c.id}.receiver`);
    out.rules = new Capsule('capsule("relabel.Rules")');
  } else if (c.name === "loki.process" || c.name === "loki.write" || c.name === "prometheus.remote_write") {
    out.receiver = new Capsule(`${c.id}.receiver`);
  }
  return out;
}

const asList = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === "object" && !(x instanceof Capsule)) : []);

/** A JavaScript value as an alloyjson value (`name` decides durations). */
function jsonValue(v, name) {
  if (SECRETS.has(name) && v !== null && v !== undefined) return A.capsule("(secret)");
  if (v instanceof Capsule) return A.capsule(v.text);
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "string") return A.str(DURATIONS.has(name) ? A.duration(v) : v);
  if (typeof v === "number") return A.num(v);
  if (typeof v === "boolean") return A.bool(v);
  if (Array.isArray(v)) return A.array(v.map((x) => jsonValue(x)));
  return A.object(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)])));
}

const isDefault = (kind, name, v) => kind && name in kind.defaults && (DURATIONS.has(name) && typeof v === "string" ? A.duration(v) === A.duration(String(kind.defaults[name])) : v === kind.defaults[name]);

/** A relabel `rule` block as Alloy encodes it: regex always (a compiled Regexp never equals the default), the rest when not default. */
function ruleBody(a) {
  const out = [];
  if (Array.isArray(a.source_labels)) out.push(A.attr("source_labels", A.array(a.source_labels.map((s) => A.str(String(s))))));
  if (typeof a.separator === "string" && a.separator !== ";") out.push(A.attr("separator", A.str(a.separator)));
  out.push(A.attr("regex", A.str(typeof a.regex === "string" ? a.regex : "(.*)")));
  if (typeof a.modulus === "number" && a.modulus !== 0) out.push(A.attr("modulus", A.num(a.modulus)));
  if (typeof a.target_label === "string" && a.target_label !== "") out.push(A.attr("target_label", A.str(a.target_label)));
  if (typeof a.replacement === "string" && a.replacement !== "$1") out.push(A.attr("replacement", A.str(a.replacement)));
  if (typeof a.action === "string" && a.action !== "replace") out.push(A.attr("action", A.str(a.action)));
  return out;
}

/** A nested block with no schema: its attributes and blocks as written. */
function genericBody(ctx, b) {
  return [...Object.entries(b.attrs).map(([k, v]) => A.attr(k, jsonValue(evaluate(ctx, v), k))), ...b.blocks.map((x) => A.block(x.name, genericBody(ctx, x), x.label))];
}

function stageBlock(ctx, s) {
  if (s.name === "stage.replace") {
    const body = [A.attr("expression", A.str(String(s.attrs.expression ?? "")))];
    for (const k of ["source", "replace"]) if (typeof s.attrs[k] === "string" && s.attrs[k] !== "") body.push(A.attr(k, A.str(s.attrs[k])));
    return A.block(s.name, body);
  }
  if (s.name === "stage.static_labels") return A.block(s.name, [A.attr("values", jsonValue(evaluate(ctx, s.attrs.values ?? {})))]);
  return A.block(s.name, genericBody(ctx, s));
}

/** `arguments`: the evaluated arguments in Alloy's field order, defaults left out. */
function argumentsOf(ctx, c) {
  const kind = KINDS[c.name];
  if (!kind) return genericBody(ctx, c.block);
  const order = (n) => (kind.fields.indexOf(n) < 0 ? kind.fields.length : kind.fields.indexOf(n));
  const items = [];
  for (const [k, v] of Object.entries(c.block.attrs)) {
    const value = evaluate(ctx, v);
    if (!isDefault(kind, k, value)) items.push({ at: order(k), stmt: A.attr(k, jsonValue(value, k)) });
  }
  for (const b of c.block.blocks) {
    const root = b.name.split(".")[0];
    const stmt = b.name === "rule" ? A.block("rule", ruleBody(b.attrs)) : root === "stage" ? stageBlock(ctx, b) : A.block(b.name, genericBody(ctx, b), b.label);
    items.push({ at: order(root), stmt });
  }
  return items.sort((x, y) => x.at - y.at).map((x) => x.stmt);
}

/** `exports`: the component's exports in Alloy's field order. */
function exportsBody(ctx, c) {
  const kind = KINDS[c.name];
  if (!kind) return [];
  const ex = exportsOf(ctx, c);
  return kind.exports.filter((f) => f in ex).map((f) => A.attr(f, jsonValue(ex[f])));
}

/** `debugInfo`: the file and Docker sources' targets_info, as Alloy's tailers report it. */
function debugInfoOf(ctx, c) {
  const st = ctx.state;
  if (!ctx.runs.has(c.id)) return [];
  if (c.name === "loki.source.file") {
    return (st.files || []).map((f) => A.block("targets_info", [A.attr("path", A.str(f.path)), A.attr("labels", A.str(A.labelSetString(f.labels))), A.attr("is_running", A.bool(true)), A.attr("read_offset", A.num(f.offset))]));
  }
  if (c.name === "loki.source.docker") {
    // Up to Alloy 1.12 the docker tailer's state is a string ("true"/"false"), a bool from 1.13.
    const running = (t) => (featuresOf(st).dockerIsRunningBool ? A.bool(!t.error) : A.str(String(!t.error)));
    return ((st.docker && st.docker.tails) || []).map((t) =>
      A.block("targets_info", [A.attr("id", A.str(t.id)), A.attr("last_error", A.str(t.error || "")), A.attr("labels", A.str(A.labelSetString(t.labels))), A.attr("is_running", running(t)), A.attr("read_offset", A.str(t.readOffset || ""))]),
    );
  }
  if (c.name === "prometheus.scrape") {
    const s = st.metrics && st.metrics.scrapes && st.metrics.scrapes[c.id];
    return ((s && s.targets) || []).map((t) => {
      const body = [A.attr("job", A.str(s.job)), A.attr("url", A.str(t.url)), A.attr("health", A.str(t.health)), A.attr("labels", A.stringObject(t.labels))];
      if (t.lastError) body.push(A.attr("last_error", A.str(t.lastError)));
      body.push(A.attr("last_scrape", A.str(t.lastScrape || "0001-01-01T00:00:00Z")));
      if (t.lastDurationS) body.push(A.attr("last_scrape_duration", A.str(A.formatGoDuration(t.lastDurationS * 1e9))));
      return A.block("target", body);
    });
  }
  return [];
}

/** Health as Alloy reports it: the least healthy of evaluation, run and the component's own. */
function healthOf(ctx, c) {
  const st = ctx.state;
  const iso = (ms) => new Date(ms).toISOString();
  if (!ctx.runs.has(c.id)) return { state: "unknown", message: "component created (not run by the Alloy test double)", updatedTime: iso(st.loadedAt) };
  if (c.name === "loki.source.journal" && (featuresOf(st).journalOwnHealth || (st.journal && st.journal.error))) {
    // The journal component reports its own health, timestamped now (Alloy 1.11+). Before 1.11 a
    // tailer that cannot be created fails the component's Update, which is unhealthy as well; the
    // double words that case as 1.11 does.
    if (st.journal && st.journal.error) return { state: "unhealthy", message: `error creating journal tailer: ${st.journal.error}`, updatedTime: iso(st.now) };
    return { state: "healthy", message: "journal tailer is running", updatedTime: iso(st.now) };
  }
  const started = (st.startedAt && st.startedAt[c.id]) ?? st.loadedAt;
  return started >= st.loadedAt ? { state: "healthy", message: "started component", updatedTime: iso(started) } : { state: "healthy", message: "component evaluated", updatedTime: iso(st.loadedAt) };
}

/** The version-dependent behaviour the state carries (versions.js), the newest when it carries none. */
function featuresOf(state) {
  return (state && state.features) || LATEST;
}

function infoOf(ctx, c, detail) {
  const f = featuresOf(ctx.state);
  const info = { name: c.name, type: "block", localID: c.id, moduleID: "" };
  if (c.label) info.label = c.label;
  Object.assign(info, { referencesTo: ctx.graph.refs.get(c.id), referencedBy: ctx.graph.refBy.get(c.id) });
  if (f.dataFlowEdgesField) info.dataFlowEdgesTo = ctx.graph.edges.get(c.id);
  Object.assign(info, {
    health: healthOf(ctx, c),
    original: "",
    arguments: detail ? argumentsOf(ctx, c) : [],
    exports: detail ? exportsBody(ctx, c) : [],
    debugInfo: detail ? debugInfoOf(ctx, c) : [],
  });
  if (f.liveDebuggingField) info.liveDebuggingEnabled = Boolean(KINDS[c.name] && KINDS[c.name].live);
  return info;
}

/** GET /api/v0/web/components */
function listComponents(root, state) {
  const ctx = contextOf(root, state);
  return dependencyOrder(ctx.comps, ctx.graph).map((c) => infoOf(ctx, c, false));
}

/** GET /api/v0/web/components/{id}: null when there is no such component (404). */
function getComponent(root, state, id) {
  const ctx = contextOf(root, state);
  const slash = id.lastIndexOf("/");
  if (slash >= 0) return null; // a module's component: the double runs no modules
  const c = ctx.byId.get(id);
  return c ? infoOf(ctx, c, true) : null;
}

/** Names of unhealthy components, for /-/healthy. */
function unhealthyComponents(root, state) {
  return listComponents(root, state).filter((c) => c.health.state === "unhealthy").map((c) => c.name);
}

/** A value of the config evaluated as the component API evaluates it (targets from the double's state). */
function evaluateValue(root, state, value) {
  const v = evaluate(contextOf(root, state), value);
  return asList(v).map((t) => Object.fromEntries(Object.entries(t).filter(([, x]) => typeof x === "string")));
}

module.exports = { evaluateValue, KINDS, componentsOf, graphOf, listComponents, getComponent, unhealthyComponents, ruleBody };
