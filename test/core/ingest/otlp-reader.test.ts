import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_RULES, type MappingRules } from '../../../core/ingest/mapping-rules.ts';
import type { DecodedSamples } from '../../../core/ingest/metric-sample.ts';
import { decodeOtlpProtobuf, otlpSamples } from '../../../core/ingest/otlp-metrics.ts';
import { MAX_REMEMBERED, readOtlpSamples, rememberedOtlpEntries } from '../../../core/ingest/otlp-reader.ts';

const T = 1_700_000_000_000;
const NOW = T + 60_000;

type AnyValue =
  | { readonly s: string }
  | { readonly i: number }
  | { readonly d: number }
  | { readonly b: boolean }
  | { readonly nested: number };
interface KeyValue {
  readonly key: string;
  readonly value?: AnyValue;
}
interface Point {
  readonly attributes: readonly KeyValue[];
  readonly timeMs?: number;
  readonly asDouble?: number;
  readonly asInt?: number;
  /** as_int written before as_double (the last of a oneof counts). */
  readonly intFirst?: boolean;
  readonly flags?: number;
  readonly startTime?: boolean;
  readonly extra?: 'none' | 'exemplar' | 'unknown' | 'split-attributes' | 'attributes-last';
}
interface Metric {
  readonly name?: string;
  readonly description?: string;
  readonly data: 'gauge' | 'sum' | 'histogram' | 'none' | 'gauge-and-sum';
  readonly temporality?: number;
  readonly monotonic?: boolean;
  /** Where a sum's temporality and monotonicity go relative to its points. */
  readonly sumFieldsLast?: boolean;
  readonly points: readonly Point[];
  readonly unknown?: boolean;
}
interface Scope {
  readonly scopeName?: string;
  readonly metrics: readonly Metric[];
  readonly schemaUrl?: string;
}
interface ResourceMetrics {
  readonly resource?: readonly KeyValue[];
  readonly resourceLast?: boolean;
  readonly scopes: readonly Scope[];
  readonly schemaUrl?: string;
}

/** An ExportMetricsServiceRequest written field by field, so layouts protobufjs' encoder never makes can be tried. */
function encode(request: readonly ResourceMetrics[]): Uint8Array {
  const w = protobuf.Writer.create();
  const anyValue = (v: AnyValue) => {
    w.uint32(0x12).fork();
    if ('s' in v) w.uint32(0x0a).string(v.s);
    else if ('b' in v) w.uint32(0x10).bool(v.b);
    else if ('i' in v) w.uint32(0x18).int64(v.i);
    else if ('d' in v) w.uint32(0x21).double(v.d);
    else {
      // array_value nested `nested` levels deep: protobufjs refuses nesting past 100 messages.
      for (let i = 0; i < v.nested; i += 1) w.uint32(0x2a).fork().uint32(0x0a).fork();
      w.uint32(0x0a).string('deep');
      for (let i = 0; i < v.nested; i += 1) w.ldelim().ldelim();
    }
    w.ldelim();
  };
  const keyValues = (tag: number, kvs: readonly KeyValue[]) => {
    for (const kv of kvs) {
      w.uint32(tag).fork().uint32(0x0a).string(kv.key);
      if (kv.value) anyValue(kv.value);
      w.ldelim();
    }
  };
  const point = (p: Point) => {
    w.uint32(0x0a).fork();
    const attributes = () => keyValues(0x3a, p.attributes);
    if (p.extra !== 'attributes-last') attributes();
    if (p.startTime) w.uint32(0x11).fixed64(`${T - 60_000}000000`);
    if (p.timeMs !== undefined) w.uint32(0x19).fixed64(`${p.timeMs}000000`);
    const asInt = () => p.asInt !== undefined && w.uint32(0x31).sfixed64(p.asInt);
    if (p.intFirst) asInt();
    if (p.asDouble !== undefined) w.uint32(0x21).double(p.asDouble);
    if (!p.intFirst) asInt();
    if (p.flags !== undefined) w.uint32(0x40).uint32(p.flags);
    if (p.extra === 'exemplar') w.uint32(0x2a).fork().uint32(0x19).double(1).ldelim();
    if (p.extra === 'unknown') w.uint32(0x78).uint32(1);
    if (p.extra === 'split-attributes') keyValues(0x3a, [{ key: 'split', value: { s: 'x' } }]);
    if (p.extra === 'attributes-last') attributes();
    w.ldelim();
  };
  const metric = (m: Metric) => {
    w.uint32(0x12).fork();
    if (m.name !== undefined) w.uint32(0x0a).string(m.name);
    if (m.description !== undefined) w.uint32(0x12).string(m.description).uint32(0x1a).string('By');
    const data = (tag: number, sum: boolean) => {
      w.uint32(tag).fork();
      const fields = () => {
        if (!sum) return;
        if (m.temporality !== undefined) w.uint32(0x10).int32(m.temporality);
        if (m.monotonic !== undefined) w.uint32(0x18).bool(m.monotonic);
      };
      if (!m.sumFieldsLast) fields();
      for (const p of m.points) point(p);
      if (m.sumFieldsLast) fields();
      w.ldelim();
    };
    if (m.data === 'gauge' || m.data === 'gauge-and-sum') data(0x2a, false);
    if (m.data === 'sum' || m.data === 'gauge-and-sum') data(0x3a, true);
    if (m.data === 'histogram')
      w.uint32(0x4a)
        .fork()
        .uint32(0x0a)
        .fork()
        .uint32(0x21)
        .fixed64(3)
        .ldelim()
        .uint32(0x10)
        .int32(2)
        .ldelim();
    if (m.unknown) w.uint32(0x62).fork().uint32(0x0a).string('meta').ldelim();
    w.ldelim();
  };
  for (const rm of request) {
    w.uint32(0x0a).fork();
    const resource = () => {
      if (!rm.resource) return;
      w.uint32(0x0a).fork();
      keyValues(0x0a, rm.resource);
      w.ldelim();
    };
    if (!rm.resourceLast) resource();
    for (const scope of rm.scopes) {
      w.uint32(0x12).fork();
      if (scope.scopeName !== undefined)
        w.uint32(0x0a).fork().uint32(0x0a).string(scope.scopeName).uint32(0x12).string('1.0').ldelim();
      for (const m of scope.metrics) metric(m);
      if (scope.schemaUrl !== undefined) w.uint32(0x1a).string(scope.schemaUrl);
      w.ldelim();
    }
    if (rm.schemaUrl !== undefined) w.uint32(0x1a).string(rm.schemaUrl);
    if (rm.resourceLast) resource();
    w.ldelim();
  }
  return w.finish();
}

function reference(bytes: Uint8Array, rules: MappingRules): DecodedSamples | Error {
  try {
    return otlpSamples(decodeOtlpProtobuf(bytes), rules, NOW);
  } catch (error) {
    return error as Error;
  }
}

function comparable(decoded: DecodedSamples) {
  return {
    samples: decoded.samples.map((s) => ({ ...s, labels: Object.entries(s.labels) })),
    refusals: decoded.refusals,
    skipped: [...decoded.skipped],
  };
}

const rare = <T>(common: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 12, arbitrary: common }, { weight: 1, arbitrary: odd });
const anyValue: fc.Arbitrary<AnyValue> = rare<AnyValue>(
  fc.oneof<fc.Arbitrary<AnyValue>[]>(
    fc.constantFrom('GET', 'POST', '/r/1', 'ünï©ødé', '').map((s) => ({ s })),
    fc.integer({ min: -5, max: 500 }).map((i) => ({ i })),
    fc.constantFrom(0.5, -0, 1e21).map((d) => ({ d })),
    fc.boolean().map((b) => ({ b })),
  ),
  fc.integer({ min: 1, max: 50 }).map((nested) => ({ nested })),
);
const keyValue: fc.Arbitrary<KeyValue> = fc.record(
  {
    key: fc.constantFrom('http.route', 'http.method', 'host.name', 'status', 'service.name', '1', ''),
    value: anyValue,
  },
  { requiredKeys: ['key'] },
);
/** Attribute sets from a small pool, so they repeat within and across requests and metrics. */
const attributes = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<KeyValue[]>([], [{ key: 'host.name', value: { s: 'h1' } }]) },
  { weight: 1, arbitrary: fc.array(keyValue, { maxLength: 4 }) },
);
const point: fc.Arbitrary<Point> = fc.record(
  {
    attributes,
    timeMs: rare(fc.integer({ min: T - 1e6, max: T + 1e6 }), fc.constantFrom(0, 1_000, 2 ** 50)),
    asDouble: rare(fc.double(), fc.constantFrom(Number.NaN, -0, Number.POSITIVE_INFINITY)),
    asInt: fc.integer({ min: -1e12, max: 1e12 }),
    intFirst: fc.boolean(),
    flags: rare(fc.constant(0), fc.constantFrom(1, 2, 3, 2 ** 30)),
    startTime: fc.boolean(),
    extra: rare(
      fc.constant('none' as const),
      fc.constantFrom('exemplar', 'unknown', 'split-attributes', 'attributes-last'),
    ),
  },
  { requiredKeys: ['attributes'] },
);
const metric: fc.Arbitrary<Metric> = fc.record(
  {
    name: rare(fc.constantFrom('app.requests', 'app.queue', 'cpu'), fc.constantFrom('', 'ü')),
    description: fc.constantFrom('Requests served', 'ünï'),
    data: rare(fc.constantFrom('gauge', 'sum'), fc.constantFrom('histogram', 'none', 'gauge-and-sum')),
    temporality: fc.constantFrom(0, 1, 2, 3),
    monotonic: fc.boolean(),
    sumFieldsLast: fc.boolean(),
    points: fc.array(point, { maxLength: 4 }),
    unknown: fc.boolean(),
  },
  { requiredKeys: ['data', 'points'] },
);
const request: fc.Arbitrary<ResourceMetrics[]> = fc.array(
  fc.record(
    {
      resource: fc.array(keyValue, { maxLength: 3 }),
      resourceLast: fc.boolean(),
      scopes: fc.array(
        fc.record(
          {
            scopeName: fc.constantFrom('io.opentelemetry.runtime', ''),
            metrics: fc.array(metric, { maxLength: 4 }),
            schemaUrl: fc.constant('https://opentelemetry.io/schemas/1.21.0'),
          },
          { requiredKeys: ['metrics'] },
        ),
        { maxLength: 2 },
      ),
      schemaUrl: fc.constant('https://opentelemetry.io/schemas/1.21.0'),
    },
    { requiredKeys: ['scopes'] },
  ),
  { maxLength: 2 },
);
const rulesArb = fc.constantFrom<MappingRules>(DEFAULT_MAPPING_RULES, {
  ...DEFAULT_MAPPING_RULES,
  resourceAttributes: ['service.name', 'status'],
});

describe('readOtlpSamples', () => {
  it('gives what protobufjs and otlpSamples give, on random requests read again and again', () => {
    // Prepare
    let read = 0;
    let declined = 0;

    // Act + Assess
    fc.assert(
      fc.property(request, rulesArb, fc.integer({ min: 1, max: 3 }), (rms, rules, times) => {
        const bytes = encode(rms);
        const expected = reference(bytes, rules);
        for (let i = 0; i < times; i += 1) {
          const fast = readOtlpSamples(bytes, rules, NOW);
          if (fast === undefined) {
            declined += 1;
            continue;
          }
          read += 1;
          expect(expected).not.toBeInstanceOf(Error);
          expect(comparable(fast)).toEqual(comparable(expected as DecodedSamples));
        }
      }),
      { seed: 5, numRuns: 3_000 },
    );
    // Most requests are read here; the rest (odd structure, unreadable parts) must have gone to protobufjs.
    expect(read).toBeGreaterThan(declined);
    expect(declined).toBeGreaterThan(20);
  });

  it('reads nothing protobufjs would read otherwise or refuse, on corrupted requests', () => {
    // Prepare
    const corrupted = fc
      .tuple(
        request.filter((rms) => rms.length > 0),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat()),
      )
      .map(([rms, flips, cut]) => {
        const bytes = Uint8Array.from(encode(rms));
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
        return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
      });
    let read = 0;

    // Act + Assess
    fc.assert(
      fc.property(corrupted, (bytes) => {
        const fast = readOtlpSamples(bytes, DEFAULT_MAPPING_RULES, NOW);
        if (fast === undefined) return;
        read += 1;
        const expected = reference(bytes, DEFAULT_MAPPING_RULES);
        expect(expected).not.toBeInstanceOf(Error);
        expect(comparable(fast)).toEqual(comparable(expected as DecodedSamples));
      }),
      { seed: 3, numRuns: 5_000 },
    );
    expect(read).toBeGreaterThan(100);
  });

  it('refuses, as protobufjs does in place, attributes nested too deep to read within a whole request', () => {
    // Prepare: 47 arrays deep is within protobufjs' limit of 100 messages when read alone, past it in place.
    const bytes = encode([
      {
        scopes: [
          {
            metrics: [
              {
                name: 'deep',
                data: 'gauge',
                points: [{ attributes: [{ key: 'a', value: { nested: 47 } }], timeMs: T, asDouble: 1 }],
              },
            ],
          },
        ],
      },
    ]);

    // Act
    const fast = readOtlpSamples(bytes, DEFAULT_MAPPING_RULES, NOW);

    // Assess
    expect(reference(bytes, DEFAULT_MAPPING_RULES)).toBeInstanceOf(Error);
    expect(fast).toBeUndefined();
  });

  it('shares a labels object among metrics of a request, never between two points of one metric', () => {
    // Prepare
    const same: Point = {
      attributes: [{ key: 'host.name', value: { s: 'shared' } }],
      timeMs: T,
      asDouble: 1,
    };
    const bytes = encode([
      {
        scopes: [
          {
            metrics: [
              { name: 'a', data: 'gauge', points: [same, { ...same, timeMs: T + 1 }] },
              { name: 'b', data: 'gauge', points: [same] },
            ],
          },
        ],
      },
    ]);

    // Act
    const [a1, a2, b] = readOtlpSamples(bytes, DEFAULT_MAPPING_RULES, NOW)?.samples ?? [];

    // Assess
    expect(a1?.labels).toEqual(a2?.labels);
    expect(a1?.labels).not.toBe(a2?.labels);
    expect(b?.labels).toBe(a1?.labels);
  });

  it('remembers a bounded number of entries', () => {
    // Prepare: more distinct attribute sets than the memory holds, in requests of 10,000 points.
    const requests = Math.ceil((MAX_REMEMBERED + 1) / 10_000);

    // Act
    for (let r = 0; r < requests; r += 1) {
      const points: Point[] = Array.from({ length: 10_000 }, (_, i) => ({
        attributes: [{ key: 'i', value: { i: r * 10_000 + i } }],
        timeMs: T,
        asDouble: 1,
      }));
      const bytes = encode([{ scopes: [{ metrics: [{ name: 'bounded', data: 'gauge', points }] }] }]);
      expect(readOtlpSamples(bytes, DEFAULT_MAPPING_RULES, NOW)?.samples).toHaveLength(10_000);
    }

    // Assess
    expect(rememberedOtlpEntries()).toBeLessThanOrEqual(MAX_REMEMBERED);
    expect(rememberedOtlpEntries()).toBeGreaterThan(0);
  });
});
