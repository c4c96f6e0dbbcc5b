// An independent reader of what Alloy sends, for the Alloy double's tests: protobufjs over proto
// definitions written from upstream's files (grafana/loki pkg/push/push.proto with
// google/protobuf/timestamp.proto; prometheus prompb/remote.proto and types.proto, the fields
// remote write 1.0 uses) and snappyjs for the block-format snappy both use. It shares no code with
// the double's encoder (test/env/doubles/alloy/protowire.js) or the Loki double's decoder.
import * as protobuf from "protobufjs";

/* eslint-disable @typescript-eslint/no-require-imports */
const snappy = require("snappyjs") as { uncompress(b: Buffer): Uint8Array };

const PROTO = `
syntax = "proto3";
package logproto;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message PushRequest { repeated StreamAdapter streams = 1; string format = 2; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message EntryAdapter {
  Timestamp timestamp = 1;
  string line = 2;
  repeated LabelPairAdapter structuredMetadata = 3;
  repeated LabelPairAdapter parsed = 4;
}
`;
const PROM = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message Sample { double value = 1; int64 timestamp = 2; }
message Label { string name = 1; string value = 2; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
`;

const loki = protobuf.parse(PROTO, { keepCase: true }).root.lookupType("logproto.PushRequest");
const prom = protobuf.parse(PROM, { keepCase: true }).root.lookupType("prometheus.WriteRequest");

export interface PushedStream {
  labels: string;
  entries: { ns: bigint; line: string; structuredMetadata: Record<string, string> }[];
}
export interface WrittenSeries {
  labels: [string, string][];
  samples: { value: number; timestamp: number }[];
}

/** A Loki push body: snappy block + logproto.PushRequest. */
export function decodeLokiPush(body: Buffer): PushedStream[] {
  const raw = Buffer.from(snappy.uncompress(body));
  const msg = loki.toObject(loki.decode(raw), { longs: String, defaults: true }) as { streams: { labels: string; entries: { timestamp?: { seconds: string; nanos: number }; line: string; structuredMetadata: { name: string; value: string }[] }[] }[] };
  return msg.streams.map((s) => ({
    labels: s.labels,
    entries: s.entries.map((e) => ({
      ns: BigInt(e.timestamp?.seconds ?? "0") * 1_000_000_000n + BigInt(e.timestamp?.nanos ?? 0),
      line: e.line,
      structuredMetadata: Object.fromEntries(e.structuredMetadata.map((p) => [p.name, p.value])),
    })),
  }));
}

/** A remote write 1.0 body: snappy block + prometheus.WriteRequest. */
export function decodeWriteRequest(body: Buffer): { series: WrittenSeries[]; raw: Buffer } {
  const raw = Buffer.from(snappy.uncompress(body));
  const msg = prom.toObject(prom.decode(raw), { longs: Number, defaults: true }) as { timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[] };
  return { series: msg.timeseries.map((t) => ({ labels: t.labels.map((l) => [l.name, l.value] as [string, string]), samples: t.samples })), raw };
}

/** Prometheus' stale marker as the 8 bytes a protobuf double carries (little-endian 0x7ff0000000000002). */
export const STALE_NAN_LE = Buffer.from("020000000000f07f", "hex");
