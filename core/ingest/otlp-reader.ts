import type protobuf from 'protobufjs';
import type { MappingRules } from './mapping-rules.ts';
import { type DecodedSamples, type MetricSample, type Refusal, skip } from './metric-sample.ts';
import {
  addMetricSamples,
  type DataPoint,
  type Metric,
  NO_RECORDED_VALUE,
  NO_VALUE_RULE,
  OTLP_TYPES,
  pointLabels,
  pointTime,
  type ResourceMetrics,
  resourceLabelsOf,
  sumIsCounter,
} from './otlp-metrics.ts';
import { fieldEnd, lengthAt, next, smallVarintAt, tagAt } from './proto-wire.ts';

/**
 * OTLP protobuf read straight from the bytes, for the requests SDKs and collectors export every interval:
 * resources, scopes, and gauge and sum metrics of number data points. An exporter repeats the same attribute sets
 * interval after interval, so a point's attribute fields are looked up, as raw bytes, among those seen before (per
 * resource and rules): a known one costs no strings and no objects. Everything the reader does not read itself
 * (new attribute sets, resources, metric names, scopes, descriptions, units, unknown fields) is read by protobufjs
 * from its own bytes, at the depth it has in the whole request, so it is checked and decoded exactly as there; a
 * metric of another kind (histogram, summary, exemplars, no name or no data) is read whole by protobufjs and
 * mapped by otlpSamples' own code.
 *
 * A request whose structure around the metrics is not the plain one (or that protobufjs would refuse) gives
 * `undefined`, and the caller decodes the whole request with protobufjs. Where it gives samples, they equal
 * `otlpSamples(decodeOtlpProtobuf(bytes), rules, now)`, which a property test holds over random requests.
 */

/** An attribute set (its encoded attribute fields) read before, under one resource and rules. */
interface KnownPoint {
  readonly labels: Readonly<Record<string, string>>;
  /** The last request that used it ({@link request}), and the metric names it was used for there. */
  usedIn: number;
  readonly usedFor: string[];
}

/** A resource (its encoded field) read before, under one set of rules: its labels and its points' attribute sets. */
interface KnownResource {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: Map<string, KnownPoint>;
}

/** Entries remembered in all (resources, attribute sets, names, checked fields); past this all are dropped. */
export const MAX_REMEMBERED = 100_000;
let remembered = 0;
let resources = new WeakMap<MappingRules, Map<string, KnownResource>>();
/** Metric names by the bytes of their field. */
let names = new Map<string, string>();
/** Fields protobufjs has read without error, by message type, as bytes. */
let checked = new Map<protobuf.Type, Set<string>>();

/** How many entries are remembered now (for tests of the bound). */
export function rememberedOtlpEntries(): number {
  return remembered;
}

function remember(): void {
  remembered += 1;
  if (remembered > MAX_REMEMBERED) {
    resources = new WeakMap();
    names = new Map();
    checked = new Map();
    remembered = 1;
  }
}

/**
 * Depths at which protobufjs decodes each message within a whole request (it refuses nesting past 100), so a part
 * read alone is read as it would be in place.
 */
const DEPTH = { resourceMetrics: 1, scopeMetrics: 2, metric: 3, numberDataPoint: 5 } as const;

/** `type` read by protobufjs from `bytes` (fields of one message) at `depth`, as within a whole request. */
function decodeAt(type: protobuf.Type, bytes: Uint8Array, depth: number): unknown {
  // protobufjs' generated decoders take (reader, length, end group, depth); Type#decode passes them on.
  const decode = type.decode as unknown as (
    reader: Uint8Array,
    length: undefined,
    group: undefined,
    depth: number,
  ) => unknown;
  return decode.call(type, bytes, undefined, undefined, depth);
}

/** Counts requests read, so an attribute set met twice in one request can be told apart. */
let request = 0;

/** Single-byte tags of the fields read here. */
const LEN_1 = 0x0a;
const LEN_2 = 0x12;
const LEN_5 = 0x2a;
const LEN_7 = 0x3a;
const VARINT_2 = 0x10;
const VARINT_3 = 0x18;
const VARINT_8 = 0x40;
const FIXED64_2 = 0x11;
const FIXED64_3 = 0x19;
const FIXED64_4 = 0x21;
const FIXED64_6 = 0x31;
/** Metric data other than gauge and sum (histogram 9, exponential histogram 10, summary 11). */
const LEN_9 = 0x4a;
const LEN_10 = 0x52;
const LEN_11 = 0x5a;

/** What one request's reading shares. */
interface Reading {
  readonly bytes: Uint8Array;
  readonly text: Buffer;
  readonly view: DataView;
  readonly rules: MappingRules;
  readonly now: number;
  readonly resources: Map<string, KnownResource>;
  readonly out: DecodedSamples;
}

/**
 * The samples of a protobuf `ExportMetricsServiceRequest` as {@link otlpSamples} gives them, or `undefined` when
 * the request is not of the shape read here.
 */
export function readOtlpSamples(
  bytes: Uint8Array,
  rules: MappingRules,
  now: number,
): DecodedSamples | undefined {
  let known = resources.get(rules);
  if (!known) {
    known = new Map();
    resources.set(rules, known);
  }
  const reading: Reading = {
    bytes,
    text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    rules,
    now,
    resources: known,
    out: { samples: [], refusals: [] as Refusal[], skipped: new Map() },
  };
  request += 1;
  const end = bytes.length;
  let pos = 0;
  for (let r = 0; pos < end; r += 1) {
    if (bytes[pos] !== LEN_1) return undefined;
    const length = lengthAt(bytes, pos + 1, end);
    if (length < 0 || next + length > end) return undefined;
    const start = next;
    pos = start + length;
    if (!readResourceMetrics(reading, start, pos, r)) return undefined;
  }
  return reading.out;
}

/** True when protobufjs reads the field in `[start, end)` as part of a `type` message without error. */
function readable(reading: Reading, type: protobuf.Type, depth: number, start: number, end: number): boolean {
  let fields = checked.get(type);
  if (!fields) {
    fields = new Set();
    checked.set(type, fields);
  }
  const key = reading.text.toString('latin1', start, end);
  if (fields.has(key)) return true;
  try {
    decodeAt(type, reading.bytes.subarray(start, end), depth);
  } catch {
    return false;
  }
  fields.add(key);
  remember();
  return true;
}

function readResourceMetrics(reading: Reading, start: number, stop: number, r: number): boolean {
  const { bytes } = reading;
  // The resource may follow its scopes: find it first.
  let resourceStart = -1;
  let resourceEnd = -1;
  for (let pos = start; pos < stop; ) {
    const end = fieldEnd(bytes, pos, stop);
    if (end < 0) return false;
    const tag = bytes[pos];
    if (tag === LEN_1) {
      if (resourceStart >= 0) return false;
      resourceStart = pos;
      resourceEnd = end;
    } else if (tag !== LEN_2) {
      // Field 1000 (instrumentationLibraryMetrics, the old name of scopeMetrics) changes what is read.
      if (tagAt(bytes, pos, end) >>> 3 === 1000) return false;
      if (!readable(reading, OTLP_TYPES.resourceMetrics, DEPTH.resourceMetrics, pos, end)) return false;
    }
    pos = end;
  }
  const resource = resourceOf(reading, resourceStart, resourceEnd);
  if (!resource) return false;
  let s = 0;
  for (let pos = start; pos < stop; ) {
    const end = fieldEnd(bytes, pos, stop);
    if (bytes[pos] === LEN_2) {
      lengthAt(bytes, pos + 1, end);
      if (!readScopeMetrics(reading, resource, next, end, r, s)) return false;
      s += 1;
    }
    pos = end;
  }
  return true;
}

/** The resource in field bytes `[start, end)` (none: `start` < 0), from memory or read by protobufjs. */
function resourceOf(reading: Reading, start: number, end: number): KnownResource | undefined {
  const key = start < 0 ? '' : reading.text.toString('latin1', start, end);
  let resource = reading.resources.get(key);
  if (resource) return resource;
  let decoded: ResourceMetrics;
  try {
    decoded =
      start < 0
        ? {}
        : (decodeAt(
            OTLP_TYPES.resourceMetrics,
            reading.bytes.subarray(start, end),
            DEPTH.resourceMetrics,
          ) as ResourceMetrics);
  } catch {
    return undefined;
  }
  const labels = resourceLabelsOf(decoded.resource, new Set(reading.rules.resourceAttributes));
  resource = { labels, points: new Map() };
  reading.resources.set(key, resource);
  remember();
  return resource;
}

function readScopeMetrics(
  reading: Reading,
  resource: KnownResource,
  start: number,
  stop: number,
  r: number,
  s: number,
): boolean {
  const { bytes } = reading;
  let m = 0;
  for (let pos = start; pos < stop; ) {
    const end = fieldEnd(bytes, pos, stop);
    if (end < 0) return false;
    if (bytes[pos] === LEN_2) {
      lengthAt(bytes, pos + 1, end);
      if (!readMetric(reading, resource, next, end, `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}]`))
        return false;
      m += 1;
    } else if (!readable(reading, OTLP_TYPES.scopeMetrics, DEPTH.scopeMetrics, pos, end)) return false;
    pos = end;
  }
  return true;
}

/**
 * One metric in `[start, stop)`: a gauge or sum of plain points from the bytes, any other (histograms, summaries,
 * exemplars, no name...) read by protobufjs and mapped by otlpSamples' own code; false when protobufjs cannot read
 * it either.
 */
function readMetric(
  reading: Reading,
  resource: KnownResource,
  start: number,
  stop: number,
  origin: string,
): boolean {
  const { out } = reading;
  const samples = out.samples.length;
  const skipped = out.skipped.get(NO_VALUE_RULE);
  if (readPlainMetric(reading, resource, start, stop, origin)) return true;
  // Undo what the points read so far added, then read the metric as otlpSamples does.
  out.samples.length = samples;
  if (skipped === undefined) out.skipped.delete(NO_VALUE_RULE);
  else out.skipped.set(NO_VALUE_RULE, skipped);
  let metric: Metric;
  try {
    metric = decodeAt(OTLP_TYPES.metric, reading.bytes.subarray(start, stop), DEPTH.metric) as Metric;
  } catch {
    return false;
  }
  addMetricSamples(metric, resource.labels, origin, reading.rules, reading.now, out);
  return true;
}

/** A gauge or sum of plain points in `[start, stop)`; false for any other metric. */
function readPlainMetric(
  reading: Reading,
  resource: KnownResource,
  start: number,
  stop: number,
  origin: string,
): boolean {
  const { bytes } = reading;
  let nameStart = -1;
  let nameEnd = -1;
  let dataTag = -1;
  let dataStart = -1;
  let dataEnd = -1;
  for (let pos = start; pos < stop; ) {
    const end = fieldEnd(bytes, pos, stop);
    if (end < 0) return false;
    const tag = bytes[pos];
    if (tag === LEN_1) {
      if (nameStart >= 0) return false;
      nameStart = pos;
      nameEnd = end;
    } else if (tag === LEN_5 || tag === LEN_7 || tag === LEN_9 || tag === LEN_10 || tag === LEN_11) {
      if (dataTag >= 0) return false;
      dataTag = tag;
      lengthAt(bytes, pos + 1, end);
      dataStart = next;
      dataEnd = end;
    } else if (!readable(reading, OTLP_TYPES.metric, DEPTH.metric, pos, end)) return false;
    pos = end;
  }
  // Histograms and summaries, and metrics without a name or data, are left to protobufjs and otlpSamples.
  if (nameStart < 0 || (dataTag !== LEN_5 && dataTag !== LEN_7)) return false;
  const nameKey = reading.text.toString('latin1', nameStart, nameEnd);
  let name = names.get(nameKey);
  if (name === undefined) {
    try {
      const decoded = decodeAt(OTLP_TYPES.metric, bytes.subarray(nameStart, nameEnd), DEPTH.metric);
      name = (decoded as { name?: string }).name ?? '';
    } catch {
      return false;
    }
    names.set(nameKey, name);
    remember();
  }
  if (name === '') return false;

  // A sum's temporality and monotonicity may follow its points: read them first. The last of each counts. A
  // gauge has nothing but points.
  let temporality = 0;
  let monotonic = false;
  for (let pos = dataStart; pos < dataEnd; ) {
    const tag = bytes[pos];
    if (tag === LEN_1) {
      const end = fieldEnd(bytes, pos, dataEnd);
      if (end < 0) return false;
      pos = end;
      continue;
    }
    if (dataTag !== LEN_7 || (tag !== VARINT_2 && tag !== VARINT_3)) return false;
    const value = smallVarintAt(bytes, pos + 1, dataEnd);
    if (value < 0) return false;
    if (tag === VARINT_2) temporality = value;
    else monotonic = value !== 0;
    pos = next;
  }
  const kind = dataTag === LEN_7 && sumIsCounter(monotonic, temporality) ? 'counter' : 'gauge';
  for (let pos = dataStart; pos < dataEnd; ) {
    const end = fieldEnd(bytes, pos, dataEnd);
    if (end < 0) return false;
    if (bytes[pos] === LEN_1) {
      lengthAt(bytes, pos + 1, end);
      if (!readPoint(reading, resource, next, end, name, kind, origin)) return false;
    }
    pos = end;
  }
  return true;
}

function readPoint(
  reading: Reading,
  resource: KnownResource,
  start: number,
  stop: number,
  name: string,
  kind: 'gauge' | 'counter',
  origin: string,
): boolean {
  const { bytes, view } = reading;
  let attributesStart = -1;
  let attributesEnd = -1;
  let value = Number.NaN;
  let nanos = 0;
  let flags = 0;
  for (let pos = start; pos < stop; ) {
    const tag = bytes[pos];
    if (tag === FIXED64_3 || tag === FIXED64_4 || tag === FIXED64_6 || tag === FIXED64_2) {
      if (pos + 9 > stop) return false;
      const low = view.getUint32(pos + 1, true);
      if (tag === FIXED64_3) nanos = view.getUint32(pos + 5, true) * 4294967296 + low;
      else if (tag === FIXED64_4) value = view.getFloat64(pos + 1, true);
      else if (tag === FIXED64_6) value = view.getInt32(pos + 5, true) * 4294967296 + low;
      pos += 9;
    } else if (tag === LEN_7) {
      const length = lengthAt(bytes, pos + 1, stop);
      if (length < 0 || next + length > stop) return false;
      if (attributesStart < 0) attributesStart = pos;
      else if (attributesEnd !== pos) return false;
      attributesEnd = next + length;
      pos = attributesEnd;
    } else if (tag === VARINT_8) {
      flags = smallVarintAt(bytes, pos + 1, stop);
      if (flags < 0) return false;
      pos = next;
    } else return false;
  }
  // Attributes are read (and so checked) even for a point left out, as protobufjs reads the whole request.
  const key = attributesStart < 0 ? '' : reading.text.toString('latin1', attributesStart, attributesEnd);
  let point = resource.points.get(key);
  if (!point) {
    let attributes: DataPoint['attributes'];
    try {
      attributes =
        attributesStart < 0
          ? undefined
          : (
              decodeAt(
                OTLP_TYPES.numberDataPoint,
                bytes.subarray(attributesStart, attributesEnd),
                DEPTH.numberDataPoint,
              ) as DataPoint
            ).attributes;
    } catch {
      return false;
    }
    point = { labels: Object.freeze(pointLabels(resource.labels, attributes)), usedIn: 0, usedFor: [] };
    resource.points.set(key, point);
    remember();
  }
  if ((flags & NO_RECORDED_VALUE) !== 0) {
    skip(reading.out.skipped, NO_VALUE_RULE);
    return true;
  }
  let labels = point.labels;
  // Protobufjs gives every point its own labels object, and the mapping tallies per labels object, metric name
  // and request: a set met again for the same metric in one request gets a labels object of its own.
  if (point.usedIn !== request) {
    point.usedIn = request;
    point.usedFor.length = 0;
    point.usedFor.push(name);
  } else if (point.usedFor.includes(name)) labels = Object.freeze(Object.assign(Object.create(null), labels));
  else point.usedFor.push(name);
  const sample: MetricSample = {
    name,
    labels,
    value,
    timestamp: pointTime(nanos, reading.now),
    kind,
    origin,
  };
  reading.out.samples.push(sample);
  return true;
}
