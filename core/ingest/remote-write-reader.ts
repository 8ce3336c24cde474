import type { MappingRules } from './mapping-rules.ts';
import { type DecodedSamples, type MetricSample, skip } from './metric-sample.ts';
import { checkLabels, decodeLabelFields, type Role, roleOf, skipRule } from './prometheus-remote-write.ts';
import { lengthAt, next } from './proto-wire.ts';

/**
 * Remote write read straight from the protobuf bytes, for the requests Prometheus sends on every scrape: time
 * series of labels and samples, nothing else. Prometheus repeats the same label sets request after request, so
 * a series' label fields are looked up, as raw bytes, among those read before: a known series costs no label
 * strings and no objects, only its samples are read. Label sets seen for the first time are read by protobufjs.
 *
 * Anything else (metadata, exemplars, native histograms, unknown fields, label fields not side by side, negative
 * or far-future timestamps, bytes protobufjs would refuse) gives `undefined`, and the caller decodes the whole
 * request with protobufjs. Where it gives samples, they equal `remoteWriteSamples(decodeWriteRequestBytes(bytes),
 * rules)`, which a property test holds over random requests.
 */

/** What a label set (its encoded label fields) names, remembered across requests. */
interface KnownLabels {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Why the label set breaks remote write's rules, when it does (name and labels are then unused). */
  readonly problem: string | undefined;
  /** The metric's role under `histograms: 'sum-count'` and under `'drop'`, once asked. */
  sumCountRole: Role | undefined;
  dropRole: Role | undefined;
  /** The last request that used it ({@link request}). */
  usedIn: number;
}

/** Label sets remembered; past this the memory is dropped and refilled (one protobufjs read per set again). */
export const MAX_KNOWN_LABEL_SETS = 100_000;
const known = new Map<string, KnownLabels>();

/** How many label sets are remembered now (for tests of the bound). */
export function rememberedLabelSets(): number {
  return known.size;
}

/** Remote write's own requests carry no metadata here (those are read by protobufjs), so no types. */
const NO_TYPES: ReadonlyMap<string, number> = new Map();

/** Tags (field number << 3 | wire type) of the one shape read here, each a single byte. */
const TAG_FIELD1_BYTES = 0x0a;
const TAG_FIELD2_BYTES = 0x12;
const TAG_FIELD1_FIXED64 = 0x09;
const TAG_FIELD2_VARINT = 0x10;

/** Prometheus' staleness marker, a NaN with payload 2, as the two little-endian words of its bytes. */
const STALE_NAN_HIGH = 0x7ff00000;
const STALE_NAN_LOW = 0x00000002;

/** One series' samples, read before its labels are known (protobuf lets them come first). */
let values = new Float64Array(64);
let timestamps = new Float64Array(64);
let stale = new Uint8Array(64);

/** Counts requests read, so a label set met twice in one request can be told apart. */
let request = 0;

/** `timeseries[t]`, made once per index. */
const origins: string[] = [];
const MAX_REMEMBERED_ORIGINS = 65_536;

function originOf(t: number): string {
  let origin = origins[t];
  if (origin === undefined) {
    origin = `timeseries[${t}]`;
    if (t < MAX_REMEMBERED_ORIGINS) origins[t] = origin;
  }
  return origin;
}

/**
 * The samples of an uncompressed `WriteRequest` as {@link remoteWriteSamples} gives them, or `undefined` when the
 * request is not of the plain shape read here.
 */
export function readRemoteWriteSamples(bytes: Uint8Array, rules: MappingRules): DecodedSamples | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DecodedSamples = { samples: [], refusals: [], skipped: new Map() };
  const end = bytes.length;
  request += 1;
  let pos = 0;
  for (let t = 0; pos < end; t += 1) {
    if (bytes[pos] !== TAG_FIELD1_BYTES) return undefined;
    const length = lengthAt(bytes, pos + 1, end);
    if (length < 0 || next + length > end) return undefined;
    const start = next;
    pos = start + length;
    if (!readSeries(bytes, text, view, start, pos, t, rules, out)) return undefined;
  }
  return out;
}

/** One `TimeSeries` in `[start, stop)`; false when it is not of the plain shape. */
function readSeries(
  bytes: Uint8Array,
  text: Buffer,
  view: DataView,
  start: number,
  stop: number,
  t: number,
  rules: MappingRules,
  out: DecodedSamples,
): boolean {
  let labelsStart = -1;
  let labelsEnd = -1;
  let count = 0;
  let pos = start;
  while (pos < stop) {
    const tag = bytes[pos];
    const length = lengthAt(bytes, pos + 1, stop);
    if (length < 0) return false;
    const from = next;
    const to = from + length;
    if (to > stop) return false;
    if (tag === TAG_FIELD1_BYTES) {
      if (labelsStart < 0) labelsStart = pos;
      else if (labelsEnd !== pos) return false;
      labelsEnd = to;
    } else if (tag === TAG_FIELD2_BYTES) {
      if (!readSample(bytes, view, from, to, count)) return false;
      count += 1;
    } else return false;
    pos = to;
  }
  const key = labelsStart < 0 ? '' : text.toString('latin1', labelsStart, labelsEnd);
  let labelSet = known.get(key);
  if (labelSet === undefined) {
    labelSet = learn(bytes, labelsStart, labelsEnd);
    if (labelSet === undefined) return false;
    if (known.size >= MAX_KNOWN_LABEL_SETS) known.clear();
    known.set(key, labelSet);
  }

  const origin = originOf(t);
  if (labelSet.problem !== undefined) {
    out.refusals.push({ code: 'unreadable', origin, reason: `${origin}.labels: ${labelSet.problem}` });
    return true;
  }
  const { name } = labelSet;
  let labels = labelSet.labels;
  // Protobufjs gives every series its own labels object, and the mapping tallies per labels object and request.
  if (labelSet.usedIn === request) labels = Object.freeze(Object.assign(Object.create(null), labels));
  labelSet.usedIn = request;
  let role: Role;
  if (rules.histograms === 'drop') role = labelSet.dropRole ??= roleOf(name, NO_TYPES, rules);
  else role = labelSet.sumCountRole ??= roleOf(name, NO_TYPES, rules);
  if (role === 'skip') {
    skip(out.skipped, skipRule(name), count);
    return true;
  }
  for (let i = 0; i < count; i += 1) {
    if (stale[i] === 1) {
      skip(out.skipped, 'staleness marker');
      continue;
    }
    const sample: MetricSample = {
      name,
      labels,
      value: values[i] as number,
      timestamp: timestamps[i] as number,
      kind: role,
      origin,
    };
    out.samples.push(sample);
  }
  return true;
}

/** A label set read for the first time, by protobufjs; undefined when protobufjs cannot read it. */
function learn(bytes: Uint8Array, start: number, end: number): KnownLabels | undefined {
  let checked: ReturnType<typeof checkLabels>;
  try {
    checked = checkLabels(start < 0 ? [] : decodeLabelFields(bytes.subarray(start, end)));
  } catch {
    return undefined;
  }
  if (typeof checked === 'string')
    return {
      name: '',
      labels: {},
      problem: checked,
      sumCountRole: undefined,
      dropRole: undefined,
      usedIn: 0,
    };
  return {
    name: checked.name,
    labels: Object.freeze(checked.labels),
    problem: undefined,
    sumCountRole: undefined,
    dropRole: undefined,
    usedIn: 0,
  };
}

/** One `Sample` in `[from, to)` into slot `index`; false when it is not of the plain shape. */
function readSample(bytes: Uint8Array, view: DataView, from: number, to: number, index: number): boolean {
  let value = 0;
  let timestamp = 0;
  let isStale = 0;
  let pos = from;
  while (pos < to) {
    const tag = bytes[pos];
    if (tag === TAG_FIELD1_FIXED64) {
      if (pos + 9 > to) return false;
      value = view.getFloat64(pos + 1, true);
      isStale =
        view.getUint32(pos + 1, true) === STALE_NAN_LOW && view.getUint32(pos + 5, true) === STALE_NAN_HIGH
          ? 1
          : 0;
      pos += 9;
    } else if (tag === TAG_FIELD2_VARINT) {
      // At most 7 bytes, read exactly (below 2^49 ms, far past any storable time); longer ones, which negative
      // int64s always are, go to protobufjs.
      let v = 0;
      let scale = 1;
      let i = pos + 1;
      for (;;) {
        if (i >= to || i - pos > 7) return false;
        const b = bytes[i] as number;
        i += 1;
        v += (b & 0x7f) * scale;
        scale *= 128;
        if (b < 0x80) break;
      }
      timestamp = v;
      pos = i;
    } else return false;
  }
  if (index >= values.length) grow();
  values[index] = value;
  timestamps[index] = timestamp;
  stale[index] = isStale;
  return true;
}

function grow(): void {
  const size = values.length * 2;
  const v = new Float64Array(size);
  v.set(values);
  values = v;
  const t = new Float64Array(size);
  t.set(timestamps);
  timestamps = t;
  const s = new Uint8Array(size);
  s.set(stale);
  stale = s;
}
