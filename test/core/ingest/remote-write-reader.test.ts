import fc from 'fast-check';
import protobuf from 'protobufjs';
import SnappyJS from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_RULES, type MappingRules } from '../../../core/ingest/mapping-rules.ts';
import type { DecodedSamples } from '../../../core/ingest/metric-sample.ts';
import { decodeWriteRequestBytes, remoteWriteSamples } from '../../../core/ingest/prometheus-remote-write.ts';
import {
  MAX_KNOWN_LABEL_SETS,
  readRemoteWriteSamples,
  rememberedLabelSets,
} from '../../../core/ingest/remote-write-reader.ts';

const T = 1_700_000_000_000;
const STALE_NAN = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0] as number;
const OTHER_NAN = new Float64Array(new Uint32Array([7, 0x7ff80000]).buffer)[0] as number;

interface Label {
  readonly name: string;
  readonly value: string;
}
interface Sample {
  readonly value?: number;
  readonly timestamp?: number;
  /** Write the value field twice (protobuf: the last one counts). */
  readonly twice?: boolean;
  /** A field of a tag the Sample message does not have, or of the wrong wire type (protobufjs skips it). */
  readonly odd?: 0x08 | 0x11 | 0x1d | 0x22;
}
interface Series {
  readonly labels: readonly Label[];
  readonly samples: readonly Sample[];
  /** Where the sample fields go relative to the label fields. */
  readonly layout: 'labels-first' | 'samples-first' | 'split' | 'unknown-field' | 'exemplar';
}

/** A WriteRequest written field by field, so layouts protobufjs' encoder never makes can be tried. */
function encode(series: readonly Series[], metadata = false): Uint8Array {
  const w = protobuf.Writer.create();
  for (const s of series) {
    w.uint32(0x0a).fork();
    const labels = () => {
      for (const l of s.labels) {
        w.uint32(0x0a).fork();
        if (l.name !== '') w.uint32(0x0a).string(l.name);
        w.uint32(0x12).string(l.value);
        w.ldelim();
      }
    };
    const samples = () => {
      for (const p of s.samples) {
        w.uint32(0x12).fork();
        if (p.value !== undefined) {
          if (p.twice) w.uint32(0x09).double(1234);
          w.uint32(0x09).double(p.value);
        }
        if (p.timestamp !== undefined) w.uint32(0x10).int64(p.timestamp);
        if (p.odd === 0x08) w.uint32(p.odd).uint32(5);
        else if (p.odd === 0x11) w.uint32(p.odd).double(6);
        else if (p.odd === 0x1d) w.uint32(p.odd).float(7);
        else if (p.odd === 0x22) w.uint32(p.odd).string('eight');
        w.ldelim();
      }
    };
    if (s.layout === 'samples-first') {
      samples();
      labels();
    } else if (s.layout === 'split' && s.labels.length > 1) {
      w.uint32(0x0a).fork().uint32(0x0a).string('__name__').uint32(0x12).string('split').ldelim();
      samples();
      labels();
    } else {
      labels();
      samples();
      if (s.layout === 'unknown-field') w.uint32(0x78).uint32(7);
      if (s.layout === 'exemplar') w.uint32(0x1a).fork().uint32(0x11).double(1).ldelim();
    }
    w.ldelim();
  }
  if (metadata) w.uint32(0x1a).fork().uint32(0x08).uint32(2).uint32(0x12).string('up').ldelim();
  return w.finish();
}

/** What protobufjs and the mapping of its objects make of the bytes: the reference. */
function reference(bytes: Uint8Array, rules: MappingRules): DecodedSamples | Error {
  try {
    return remoteWriteSamples(decodeWriteRequestBytes(bytes), rules);
  } catch (error) {
    return error as Error;
  }
}

/** Samples with plain labels objects, and skipped tallies in insertion order, for comparison. */
function comparable(decoded: DecodedSamples) {
  return {
    samples: decoded.samples.map((s) => ({ ...s, labels: { ...s.labels } })),
    refusals: decoded.refusals,
    skipped: [...decoded.skipped],
  };
}

const labelName = fc.constantFrom('__name__', 'code', 'instance', 'job', 'le', 'a', '');
const labelValue = fc.constantFrom('', 'api', '10.0.0.1:9100', 'ünï©ødé', 'q"uote', 'line\nbreak', 'x');
const metricName = fc.constantFrom(
  'up',
  'http_requests_total',
  'rpc_seconds_bucket',
  'rpc_seconds_sum',
  'rpc_seconds_count',
  'process_start_created',
  'temperature',
);
const value = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, 1, STALE_NAN, OTHER_NAN, Number.NaN, Number.POSITIVE_INFINITY, 1e300),
);
const timestamp = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: T - 1e9, max: T + 1e9 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1_700_000_000, 2 ** 48, 2 ** 49 - 1) },
  { weight: 1, arbitrary: fc.constantFrom(-1, -T, 2 ** 49, 2 ** 52 + 1, 2 ** 56) },
);
const sampleArb: fc.Arbitrary<Sample> = fc.record(
  {
    value,
    timestamp,
    twice: fc.boolean(),
    odd: fc.oneof(
      { weight: 30, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(0x08 as const, 0x11 as const, 0x1d as const, 0x22 as const) },
    ),
  },
  { requiredKeys: [] },
);
/** A label set from a small pool (so sets repeat within and across requests), usually valid. */
const labelsArb: fc.Arbitrary<Label[]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        metricName,
        fc.uniqueArray(fc.constantFrom('code', 'instance', 'job', 'le'), { maxLength: 3 }),
        labelValue,
      )
      .map(([name, names, v]) => [
        { name: '__name__', value: name },
        ...names.sort().map((n, i) => ({ name: n, value: i === 0 ? v : `${n}-${i}` })),
      ]),
  },
  { weight: 1, arbitrary: fc.array(fc.record({ name: labelName, value: labelValue }), { maxLength: 4 }) },
);
const seriesArb: fc.Arbitrary<Series> = fc.record({
  labels: labelsArb,
  samples: fc.array(sampleArb, { maxLength: 3 }),
  layout: fc.oneof(
    { weight: 30, arbitrary: fc.constant('labels-first' as const) },
    { weight: 1, arbitrary: fc.constantFrom('samples-first', 'split', 'unknown-field', 'exemplar') },
  ),
});
const requestArb = fc.record({
  series: fc.array(seriesArb, { maxLength: 8 }),
  metadata: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});
const rulesArb = fc.constantFrom<MappingRules>(DEFAULT_MAPPING_RULES, {
  ...DEFAULT_MAPPING_RULES,
  histograms: 'drop',
});

describe('readRemoteWriteSamples', () => {
  it('gives what protobufjs and remoteWriteSamples give, on random requests read again and again', () => {
    // Prepare
    let read = 0;
    let declined = 0;

    // Act + Assess
    fc.assert(
      fc.property(requestArb, rulesArb, fc.integer({ min: 1, max: 3 }), (request, rules, times) => {
        const bytes = encode(request.series, request.metadata);
        const expected = reference(bytes, rules);
        for (let i = 0; i < times; i += 1) {
          const fast = readRemoteWriteSamples(bytes, rules);
          if (fast === undefined) {
            declined += 1;
            continue;
          }
          read += 1;
          expect(expected).not.toBeInstanceOf(Error);
          expect(comparable(fast)).toEqual(comparable(expected as DecodedSamples));
        }
      }),
      { seed: 42, numRuns: 3_000 },
    );
    // Most requests are of the plain shape; the rest must have gone to protobufjs.
    expect(read).toBeGreaterThan(declined);
    expect(declined).toBeGreaterThan(100);
  });

  it('reads nothing protobufjs would read otherwise or refuse, on corrupted requests', () => {
    // Prepare
    const corrupted = fc
      .tuple(
        fc.array(seriesArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat()),
      )
      .map(([series, flips, cut]) => {
        const bytes = Uint8Array.from(encode(series));
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
        return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
      });
    let read = 0;

    // Act + Assess
    fc.assert(
      fc.property(corrupted, (bytes) => {
        const fast = readRemoteWriteSamples(bytes, DEFAULT_MAPPING_RULES);
        if (fast === undefined) return;
        read += 1;
        const expected = reference(bytes, DEFAULT_MAPPING_RULES);
        expect(expected).not.toBeInstanceOf(Error);
        expect(comparable(fast)).toEqual(comparable(expected as DecodedSamples));
      }),
      { seed: 7, numRuns: 5_000 },
    );
    expect(read).toBeGreaterThan(100);
  });

  it('leaves label bytes that are not UTF-8 to protobufjs, which refuses them', () => {
    // Prepare: a label value of 0xff, a byte UTF-8 never holds.
    const bytes = Uint8Array.from(
      encode([
        {
          labels: [{ name: '__name__', value: 'up' }],
          samples: [{ value: 1, timestamp: T }],
          layout: 'labels-first',
        },
      ]),
    );
    bytes[bytes.indexOf(0x75)] = 0xff; // the "u" of "up"

    // Act
    const fast = readRemoteWriteSamples(bytes, DEFAULT_MAPPING_RULES);

    // Assess
    expect(fast).toBeUndefined();
    expect(reference(bytes, DEFAULT_MAPPING_RULES)).toBeInstanceOf(Error);
  });

  it('gives each series its own labels object, even when two series of a request share their labels', () => {
    // Prepare
    const twin: Series = {
      labels: [
        { name: '__name__', value: 'twin' },
        { name: 'job', value: 'a' },
      ],
      samples: [{ value: 1, timestamp: T }],
      layout: 'labels-first',
    };

    // Act
    const first = readRemoteWriteSamples(encode([twin, twin]), DEFAULT_MAPPING_RULES);
    const again = readRemoteWriteSamples(encode([twin]), DEFAULT_MAPPING_RULES);

    // Assess
    const [a, b] = first?.samples ?? [];
    expect(a?.labels).toEqual(b?.labels);
    expect(a?.labels).not.toBe(b?.labels);
    // Across requests the set is known: the same object is handed out again.
    expect(again?.samples[0]?.labels).toBe(a?.labels);
    expect(Object.isFrozen(a?.labels)).toBe(true);
  });

  it('remembers a bounded number of label sets', () => {
    // Prepare: more distinct label sets than the memory holds, in requests of 10,000 series.
    const requests = Math.ceil((MAX_KNOWN_LABEL_SETS + 1) / 10_000);

    // Act
    for (let r = 0; r < requests; r += 1) {
      const series: Series[] = Array.from({ length: 10_000 }, (_, i) => ({
        labels: [
          { name: '__name__', value: 'bounded' },
          { name: 'i', value: String(r * 10_000 + i) },
        ],
        samples: [{ value: 1, timestamp: T }],
        layout: 'labels-first',
      }));
      expect(readRemoteWriteSamples(encode(series), DEFAULT_MAPPING_RULES)?.samples).toHaveLength(10_000);
    }

    // Assess
    expect(rememberedLabelSets()).toBeLessThanOrEqual(MAX_KNOWN_LABEL_SETS);
    expect(rememberedLabelSets()).toBeGreaterThan(0);
  });

  it('reads what snappyjs uncompresses (a Uint8Array or a Buffer)', () => {
    // Prepare
    const body = SnappyJS.compress(
      encode([
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'job', value: 'a' },
          ],
          samples: [{ value: 1, timestamp: T }],
          layout: 'labels-first',
        },
      ]),
    );

    // Act
    const fast = readRemoteWriteSamples(SnappyJS.uncompress(body), DEFAULT_MAPPING_RULES);

    // Assess
    expect(fast?.samples.map((s) => [s.name, { ...s.labels }, s.value, s.timestamp, s.kind])).toEqual([
      ['up', { job: 'a' }, 1, T, 'gauge'],
    ]);
  });
});
