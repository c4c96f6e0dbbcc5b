"use strict";
// The two protobuf messages Alloy sends, encoded by hand (proto3 wire format: varint keys,
// length-delimited strings and messages, fixed64 doubles) and snappy-compressed in the block
// format Go's github.com/golang/snappy Encode writes (snappyjs compress):
//   logproto.PushRequest   grafana/loki pkg/push/push.proto: streams = 1 (StreamAdapter: labels = 1,
//                          entries = 2, hash = 3 unset), EntryAdapter: timestamp = 1
//                          (google.protobuf.Timestamp: seconds = 1, nanos = 2), line = 2,
//                          structuredMetadata = 3 (LabelPairAdapter: name = 1, value = 2)
//   prometheus.WriteRequest prometheus prompb/remote.proto + types.proto: timeseries = 1
//                          (TimeSeries: labels = 1, samples = 2), Label: name = 1, value = 2,
//                          Sample: value = 1 (double), timestamp = 2 (int64, ms)
// Doubles are written byte for byte, so Prometheus' stale marker (the NaN 0x7ff0000000000002)
// keeps its bits. Proto3 leaves out fields at their zero value, as Go's gogoproto marshalling does.
const snappy = require("snappyjs");

class Writer {
  constructor() {
    this.parts = [];
    this.length = 0;
  }
  push(buf) {
    this.parts.push(buf);
    this.length += buf.length;
  }
  varint(n) {
    let v = BigInt.asUintN(64, BigInt(n));
    const bytes = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.push(Buffer.from(bytes));
  }
  key(field, wireType) {
    this.varint((field << 3) | wireType);
  }
  /** A length-delimited field (wire type 2). */
  bytes(field, buf) {
    this.key(field, 2);
    this.varint(buf.length);
    this.push(buf);
  }
  string(field, s) {
    if (s === "") return;
    this.bytes(field, Buffer.from(s, "utf8"));
  }
  message(field, w) {
    this.bytes(field, w.finish());
  }
  /** A varint field (int64, int32, uint64): left out at 0. */
  int(field, n) {
    if (BigInt(n) === 0n) return;
    this.key(field, 0);
    this.varint(n);
  }
  /** A double (wire type 1); `bits` (8 bytes, little-endian) wins over `value` when given. */
  double(field, value, bits) {
    if (!bits && value === 0) return; // Go: `if m.Value != 0` (-0 included)
    const b = Buffer.alloc(8);
    if (bits) bits.copy(b);
    else b.writeDoubleLE(value);
    this.key(field, 1);
    this.push(b);
  }
  finish() {
    return Buffer.concat(this.parts, this.length);
  }
}

/** Prometheus' stale marker value.StaleNaN, little-endian as protobuf writes a double. */
const STALE_NAN_BITS = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

function labelPair(name, value) {
  const w = new Writer();
  w.string(1, name);
  w.string(2, value);
  return w;
}

/**
 * logproto.PushRequest: streams [{labels: '{a="b"}', entries: [{ts: BigInt ns, line,
 * structuredMetadata?: {name: value}}]}] -> protobuf bytes (not compressed).
 */
function encodePushRequest(streams) {
  const req = new Writer();
  for (const s of streams) {
    const sw = new Writer();
    sw.string(1, s.labels);
    for (const e of s.entries) {
      const ns = BigInt(e.ts);
      const ts = new Writer();
      ts.int(1, ns / 1000000000n);
      ts.int(2, ns % 1000000000n);
      const ew = new Writer();
      ew.message(1, ts); // gogoproto.nullable=false: always present, even at the epoch
      ew.string(2, e.line);
      for (const [name, value] of Object.entries(e.structuredMetadata || {})) ew.message(3, labelPair(name, value));
      sw.message(2, ew);
    }
    req.message(1, sw);
  }
  return req.finish();
}

/**
 * prometheus.WriteRequest: series [{labels: [[name, value], ...] sorted, samples: [{value,
 * timestampMs, stale?}]}] -> protobuf bytes (not compressed).
 */
function encodeWriteRequest(series) {
  const req = new Writer();
  for (const s of series) {
    const tw = new Writer();
    for (const [name, value] of s.labels) tw.message(1, labelPair(name, value));
    for (const smp of s.samples) {
      const sw = new Writer();
      sw.double(1, smp.value, smp.stale ? STALE_NAN_BITS : undefined);
      sw.int(2, smp.timestampMs);
      tw.message(2, sw);
    }
    req.message(1, tw);
  }
  return req.finish();
}

/** Snappy block format, as Go's snappy.Encode (what Loki and Prometheus decode with snappy.Decode). */
function snappyBlock(buf) {
  return Buffer.from(snappy.compress(buf));
}

module.exports = { Writer, STALE_NAN_BITS, encodePushRequest, encodeWriteRequest, snappyBlock };
