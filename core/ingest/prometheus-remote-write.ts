import protobuf from 'protobufjs';
import SnappyJS from 'snappyjs';
import type { MappingRules } from './mapping-rules.ts';
import {
  type DecodedSamples,
  IngestDecodeError,
  type MetricSample,
  type Refusal,
  skip,
} from './metric-sample.ts';
import { PROMETHEUS_DESCRIPTOR } from './proto/descriptors.ts';

/**
 * Prometheus remote write 1.0: a snappy block-compressed protobuf `WriteRequest` (prompb, vendored from
 * Prometheus 2.42), decoded with snappyjs and protobufjs, mapped to samples. Pure: bytes in, samples out.
 *
 * Metric types come from the request's `metadata` when it carries them (Prometheus sends metadata in requests of
 * its own, so usually it does not) and otherwise from the OpenMetrics naming conventions: `_total`, `_sum` and
 * `_count` are counters; `_bucket` (histogram buckets) and `_created` (creation timestamps) are left out;
 * everything else is a gauge. Staleness markers (the NaN Prometheus writes when a series disappears) are left
 * out and counted; any other NaN is refused with a named reason.
 */

const root = protobuf.Root.fromJSON(PROMETHEUS_DESCRIPTOR);
const WriteRequestType = root.lookupType('prometheus.WriteRequest');
const TimeSeriesType = root.lookupType('prometheus.TimeSeries');

/** Largest decompressed request accepted (Prometheus sends about 2,000 samples, well under 1 MiB). */
export const MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024;

/** The bits of Prometheus' staleness marker, a NaN with payload 2 (`value.StaleNaN`). */
const STALE_NAN_HIGH = 0x7ff00000;
const STALE_NAN_LOW = 0x00000002;

/** protobufjs hands int64 back as a Long when the `long` package is there; a number otherwise. */
type Int64 = number | { toNumber(): number };

/** A decoded `prometheus.WriteRequest`, as far as Seismo reads it. */
export interface WriteRequest {
  readonly timeseries: readonly {
    readonly labels: readonly { readonly name: string; readonly value: string }[];
    readonly samples: readonly { readonly value: number; readonly timestamp: Int64 }[];
    readonly histograms?: readonly {
      readonly count_int?: Int64;
      readonly count_float?: number;
      readonly sum: number;
      readonly timestamp: Int64;
    }[];
  }[];
  readonly metadata: readonly { readonly type: number; readonly metric_family_name: string }[];
}

/** `MetricMetadata.MetricType` values that matter here. */
const COUNTER = 1;
const GAUGE = 2;
const HISTOGRAM = 3;
const GAUGE_HISTOGRAM = 4;
const SUMMARY = 5;

/** The stream identifier chunk that opens snappy's framed format ("sNaPpY"). */
const FRAMED_MAGIC = [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59];

/** Snappy block → protobuf bytes; throws {@link IngestDecodeError} naming what is wrong. */
export function uncompressSnappyBlock(body: Uint8Array): Uint8Array {
  if (body.length === 0)
    throw new IngestDecodeError('body is empty; remote write sends a snappy-compressed WriteRequest');
  if (FRAMED_MAGIC.every((b, i) => body[i] === b)) {
    throw new IngestDecodeError(
      'body is snappy framed (stream format); remote write 1.0 sends the snappy block format',
    );
  }
  try {
    return SnappyJS.uncompress(body, MAX_DECOMPRESSED_BYTES);
  } catch (error) {
    const message = (error as Error).message;
    if (/too big/.test(message)) {
      throw new IngestDecodeError(`decompressed body would exceed ${MAX_DECOMPRESSED_BYTES} bytes`, 413);
    }
    throw new IngestDecodeError(`body is not snappy block-compressed: ${message}`);
  }
}

/** Protobuf bytes → `WriteRequest`; throws {@link IngestDecodeError} naming what is wrong. */
export function decodeWriteRequestBytes(bytes: Uint8Array): WriteRequest {
  try {
    return WriteRequestType.decode(bytes) as unknown as WriteRequest;
  } catch (error) {
    throw new IngestDecodeError(
      `body is not a protobuf prometheus.WriteRequest: ${(error as Error).message}`,
    );
  }
}

/**
 * The labels of a `TimeSeries` whose bytes hold only its label fields, read by protobufjs (so exactly as
 * {@link decodeWriteRequestBytes} reads them); throws protobufjs' error on bytes it cannot read.
 */
export function decodeLabelFields(bytes: Uint8Array): WriteRequest['timeseries'][number]['labels'] {
  return (TimeSeriesType.decode(bytes) as unknown as WriteRequest['timeseries'][number]).labels;
}

/** The whole decode of a remote-write body: snappy block, then protobuf. */
export function decodeRemoteWrite(body: Uint8Array): WriteRequest {
  return decodeWriteRequestBytes(uncompressSnappyBlock(body));
}

/** Encodes a `WriteRequest` as Prometheus sends it (protobuf, snappy block); for tests and benchmarks. */
export function encodeRemoteWrite(request: {
  timeseries: {
    labels: { name: string; value: string }[];
    samples: { value: number; timestamp: number }[];
  }[];
  metadata?: { type: number; metric_family_name: string; help?: string; unit?: string }[];
}): Uint8Array {
  const message = WriteRequestType.fromObject(request);
  return SnappyJS.compress(WriteRequestType.encode(message).finish());
}

function toNumber(value: Int64 | undefined): number {
  if (value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** True for Prometheus' staleness marker (not every NaN is one). */
export function isStaleMarker(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  f64[0] = value;
  return u32[1] === STALE_NAN_HIGH && u32[0] === STALE_NAN_LOW;
}

/** How a metric's samples are read, or that they are left out. */
export type Role = 'gauge' | 'counter' | 'skip';

/** A metric's role from its type (when the request says it) or its name. */
export function roleOf(name: string, types: ReadonlyMap<string, number>, rules: MappingRules): Role {
  const typed = types.get(name);
  if (typed === COUNTER) return 'counter';
  if (typed === GAUGE) return 'gauge';
  const family = (suffix: string) => types.get(name.slice(0, -suffix.length));
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (!name.endsWith(suffix)) continue;
    const familyType = family(suffix);
    if (suffix === '_created') return 'skip';
    if (suffix === '_bucket') return familyType === undefined || isHistogram(familyType) ? 'skip' : 'gauge';
    if (familyType !== undefined && !isHistogram(familyType) && familyType !== SUMMARY) return 'gauge';
    if (rules.histograms === 'drop') return 'skip';
    return familyType === GAUGE_HISTOGRAM ? 'gauge' : 'counter';
  }
  if (typed === SUMMARY && rules.histograms === 'drop') return 'skip';
  if (typed === undefined && name.endsWith('_total')) return 'counter';
  return 'gauge';
}

/** The skipped-tally rule a metric of role `skip` is counted under. */
export function skipRule(name: string): string {
  if (name.endsWith('_created')) return '_created series left out';
  if (name.endsWith('_bucket')) return 'histogram bucket series left out';
  return 'histogram or summary series left out (rule: drop)';
}

function isHistogram(type: number): boolean {
  return type === HISTOGRAM || type === GAUGE_HISTOGRAM;
}

/**
 * Samples of a decoded `WriteRequest`. Labels must carry `__name__`, unique names in sorted order (as remote
 * write 1.0 requires); a series breaking that is refused whole with the rule named, its neighbours pass.
 */
export function remoteWriteSamples(request: WriteRequest, rules: MappingRules): DecodedSamples {
  const samples: MetricSample[] = [];
  const refusals: Refusal[] = [];
  const skipped = new Map<string, number>();
  const types = new Map<string, number>();
  for (const m of request.metadata ?? []) types.set(m.metric_family_name, m.type);

  const roles = new Map<string, Role>();
  // Indexed loops, no closures: this runs once per sample.
  const series = request.timeseries;
  for (let t = 0; t < series.length; t += 1) {
    const ts = series[t] as WriteRequest['timeseries'][number];
    const checked = checkLabels(ts.labels);
    if (typeof checked === 'string') {
      refusals.push({
        code: 'unreadable',
        origin: `timeseries[${t}]`,
        reason: `timeseries[${t}].labels: ${checked}`,
      });
      continue;
    }
    const { name, labels } = checked;
    // One origin per series (remote write sends a sample or two per series); reasons name the series.
    const origin = `timeseries[${t}]`;
    let role = roles.get(name);
    if (role === undefined) {
      role = roleOf(name, types, rules);
      roles.set(name, role);
    }
    if (role === 'skip') {
      skip(skipped, skipRule(name), ts.samples.length);
      continue;
    }
    for (let i = 0; i < ts.samples.length; i += 1) {
      const s = ts.samples[i] as WriteRequest['timeseries'][number]['samples'][number];
      if (isStaleMarker(s.value)) {
        skip(skipped, 'staleness marker');
        continue;
      }
      samples.push({
        name,
        labels,
        value: s.value,
        timestamp: toNumber(s.timestamp),
        kind: role,
        origin,
      });
    }
    const histograms = ts.histograms ?? [];
    for (let i = 0; i < histograms.length; i += 1) {
      const h = histograms[i] as NonNullable<WriteRequest['timeseries'][number]['histograms']>[number];
      if (rules.histograms === 'drop') {
        skip(skipped, 'native histogram');
        continue;
      }
      const timestamp = toNumber(h.timestamp);
      const count = h.count_float ?? toNumber(h.count_int);
      const at = `timeseries[${t}].histograms[${i}]`;
      samples.push({ name: `${name}_count`, labels, value: count, timestamp, kind: 'counter', origin: at });
      samples.push({ name: `${name}_sum`, labels, value: h.sum, timestamp, kind: 'counter', origin: at });
    }
  }
  return { samples, refusals, skipped };
}

/** The metric name and other labels, or why the label set breaks remote write's rules. */
export function checkLabels(
  labels: WriteRequest['timeseries'][number]['labels'],
): { name: string; labels: Record<string, string> } | string {
  let name: string | undefined;
  // A dictionary from the start: adding label names one by one to a literal walks V8 through a hidden class
  // per name, once per series of every request.
  const rest: Record<string, string> = Object.create(null);
  let previous = '';
  for (let i = 0; i < labels.length; i += 1) {
    const label = labels[i] as (typeof labels)[number];
    if (label.name === '') return `label ${i} has an empty name`;
    if (i > 0 && label.name <= previous) {
      return label.name === previous
        ? `label "${label.name}" appears twice`
        : `labels must be sorted by name ("${label.name}" comes after "${previous}")`;
    }
    previous = label.name;
    if (label.name === '__name__') name = label.value;
    else if (label.value !== '') rest[label.name] = label.value;
  }
  if (name === undefined || name === '') return 'no __name__ label (every series needs a metric name)';
  return { name, labels: rest };
}
