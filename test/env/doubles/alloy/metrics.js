"use strict";
// The double's metrics pipeline: every prometheus.scrape of the config scrapes its targets and
// hands what it scraped to the forward_to receivers that are prometheus.remote_write components
// (receivers of other kinds are not run by the double: their samples are dropped and the scrape's
// status says so). Components keep running across a reload when their block did not change, as
// Alloy updates only the components whose arguments changed; a changed or removed scrape stops
// (its series get stale markers), a changed or removed remote_write sends what it holds, then stops.
const S = require("./scrape.js");
const RW = require("./remotewrite.js");

const idOf = (b) => (b.label !== undefined ? `${b.name}.${b.label}` : b.name);

/** The metrics components of a parsed config: {scrapes: [{id, block, args}], writes: [{id, block, args}]}; throws on a config Alloy refuses. */
function metricsComponents(root) {
  const scrapes = [];
  const writes = [];
  for (const b of root.blocks) {
    if (b.name === "prometheus.scrape") scrapes.push({ id: idOf(b), block: b, args: S.scrapeArgs(b, idOf(b)) });
    else if (b.name === "prometheus.remote_write") writes.push({ id: idOf(b), block: b, args: RW.remoteWriteArgs(b, idOf(b)) });
  }
  return { scrapes, writes };
}

/** The component ids a forward_to list names (`prometheus.remote_write.x.receiver` -> `prometheus.remote_write.x`). */
function receiverIds(value) {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v && typeof v.expr === "string" ? v.expr.replace(/\.receiver$/, "") : String(v)));
}

const blockKey = (c) => JSON.stringify(c.block);

class MetricsRuntime {
  /** opts: {version, log, evaluate(value) -> targets list} */
  constructor(opts) {
    this.opts = opts;
    this.writes = new Map(); // id -> {key, rw}
    this.scrapes = new Map(); // id -> {key, comp, loops: Map(targetKey -> ScrapeLoop), dropped: [], targetErrors: []}
    this.running = false;
  }
  /** Apply a (re)loaded config's components. */
  apply(components) {
    const log = this.opts.log;
    const keepW = new Set();
    for (const c of components.writes) {
      keepW.add(c.id);
      const have = this.writes.get(c.id);
      if (have && have.key === blockKey(c)) continue;
      if (have) this.retire(have.rw);
      this.writes.set(c.id, { key: blockKey(c), rw: new RW.RemoteWrite(c.id, c.args, { version: this.opts.version, log }) });
    }
    for (const [id, have] of this.writes) if (!keepW.has(id)) {
      this.retire(have.rw);
      this.writes.delete(id);
    }
    const keepS = new Set();
    for (const c of components.scrapes) {
      keepS.add(c.id);
      const have = this.scrapes.get(c.id);
      if (have && have.key === blockKey(c)) continue;
      if (have) for (const l of have.loops.values()) l.stop();
      this.scrapes.set(c.id, { key: blockKey(c), comp: c, loops: new Map(), dropped: [], targetErrors: [] });
    }
    for (const [id, have] of this.scrapes) if (!keepS.has(id)) {
      for (const l of have.loops.values()) l.stop();
      this.scrapes.delete(id);
    }
    if (this.running) this.sync();
  }
  /** A remote_write taken out of the config: what it holds is sent, then it stops. */
  retire(rw) {
    rw.flush().finally(() => rw.stop());
  }
  /** Where one scrape component's samples go. */
  deliverFor(s) {
    const ids = receiverIds(s.comp.block.attrs.forward_to);
    return (samples) => {
      for (const id of ids) {
        const w = this.writes.get(id);
        if (w) w.rw.append(samples);
      }
    };
  }
  /** Start scrape loops for new targets and stop those whose target is gone. */
  sync() {
    for (const s of this.scrapes.values()) {
      s.dropped = receiverIds(s.comp.block.attrs.forward_to).filter((id) => !this.writes.has(id));
      let raw;
      s.targetErrors = [];
      try {
        raw = this.opts.evaluate(s.comp.block.attrs.targets);
      } catch (e) {
        raw = [];
        s.targetErrors.push(e.message);
      }
      const want = new Map();
      for (const t of raw) {
        const target = S.targetOf(t, s.comp.args);
        if (target.error) s.targetErrors.push(target.error);
        else want.set(S.seriesKey(target.labels) + target.url, target);
      }
      for (const [k, loop] of s.loops) if (!want.has(k)) {
        loop.stop();
        s.loops.delete(k);
      }
      for (const [k, target] of want) {
        if (s.loops.has(k)) continue;
        const loop = new S.ScrapeLoop(target, s.comp.args, this.deliverFor(s), { version: this.opts.version, log: this.opts.log });
        s.loops.set(k, loop);
        loop.start();
      }
    }
  }
  start() {
    this.running = true;
    this.sync();
  }
  stop() {
    this.running = false;
    for (const s of this.scrapes.values()) for (const l of s.loops.values()) l.stop();
    for (const w of this.writes.values()) w.rw.stop();
  }
  /** Scrape every target once now (tests), then send everything held. */
  async scrapeNow() {
    this.sync();
    for (const s of this.scrapes.values()) for (const l of s.loops.values()) await l.scrapeOnce();
  }
  flush() {
    return Promise.all([...this.writes.values()].map((w) => w.rw.flush()));
  }
  /** What the component API and /-/double/status show. */
  status() {
    const scrapes = {};
    for (const [id, s] of this.scrapes) scrapes[id] = { job: s.comp.args.jobName, targets: [...s.loops.values()].map((l) => Object.assign({ url: l.target.url, labels: l.target.labels }, l.status)), droppedReceivers: s.dropped, targetErrors: s.targetErrors };
    const writes = {};
    for (const [id, w] of this.writes) writes[id] = w.rw.endpoints.map((e) => Object.assign({ url: e.o.url, remoteName: e.o.remoteName, pending: e.pending.length }, e.stats));
    return { scrapes, writes };
  }
}

module.exports = { metricsComponents, receiverIds, MetricsRuntime };
