import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_RULES } from '../../../core/ingest/mapping-rules.ts';
import { encodeOtlpProtobuf, encodeOtlpResponse } from '../../../core/ingest/otlp-metrics.ts';
import { OTLP_DESCRIPTOR } from '../../../core/ingest/proto/descriptors.ts';
import { translate } from '../../../core/ingest/translate.ts';

const T = 1_700_000_000_000;
const nanos = (ms: number) => `${ms}000000`;
const rules = DEFAULT_MAPPING_RULES;

/** An OTLP/JSON request (lowerCamelCase, int64 as strings) with one resource and the given metrics. */
function request(metrics: object[]) {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'checkout' } },
            { key: 'process.pid', value: { intValue: '4242' } },
          ],
        },
        scopeMetrics: [{ scope: { name: 'test' }, metrics }],
      },
    ],
  };
}

const METRICS = [
  {
    name: 'queue.depth',
    gauge: {
      dataPoints: [
        { asInt: '7', timeUnixNano: nanos(T), attributes: [{ key: 'queue', value: { stringValue: 'q1' } }] },
      ],
    },
  },
  {
    name: 'requests',
    sum: {
      isMonotonic: true,
      aggregationTemporality: 2,
      dataPoints: [{ asDouble: 12, timeUnixNano: nanos(T) }],
    },
  },
  {
    name: 'in.flight',
    sum: {
      isMonotonic: false,
      aggregationTemporality: 2,
      dataPoints: [{ asInt: '3', timeUnixNano: nanos(T) }],
    },
  },
  {
    name: 'errors',
    sum: {
      isMonotonic: true,
      aggregationTemporality: 1,
      dataPoints: [{ asInt: '2', timeUnixNano: nanos(T) }],
    },
  },
  {
    name: 'latency',
    histogram: {
      aggregationTemporality: 2,
      dataPoints: [
        { count: '4', sum: 0.8, bucketCounts: ['1', '3'], explicitBounds: [0.1], timeUnixNano: nanos(T) },
      ],
    },
  },
  {
    name: 'gc',
    summary: {
      dataPoints: [
        { count: '2', sum: 0.01, quantileValues: [{ quantile: 0.99, value: 0.009 }], timeUnixNano: nanos(T) },
      ],
    },
  },
  { name: 'no.value', gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: nanos(T), flags: 1 }] } },
];

const EXPECTED = [
  ['queue.depth{queue="q1",service.name="checkout"}', 7, 'gauge'],
  ['requests{service.name="checkout"}', 12, 'counter'],
  ['in.flight{service.name="checkout"}', 3, 'gauge'],
  ['errors{service.name="checkout"}', 2, 'gauge'],
  ['latency_count{service.name="checkout"}', 4, 'counter'],
  ['latency_sum{service.name="checkout"}', 0.8, 'counter'],
  ['gc_count{service.name="checkout"}', 2, 'counter'],
  ['gc_sum{service.name="checkout"}', 0.01, 'counter'],
  ['gc{quantile="0.99",service.name="checkout"}', 0.009, 'gauge'],
];

describe('OTLP metrics', () => {
  it('maps gauges, sums, histograms and summaries the same from JSON and from protobuf', () => {
    // Prepare
    const json = Buffer.from(JSON.stringify(request(METRICS)));
    const proto = encodeOtlpProtobuf(request(METRICS));

    // Act
    const fromJson = translate({ protocol: 'otlp', encoding: 'json' }, json, { rules, now: T });
    const fromProto = translate({ protocol: 'otlp', encoding: 'protobuf' }, proto, { rules, now: T });

    // Assess
    const summary = (r: typeof fromJson) =>
      r.events.map((e) => [e.series, e.values.value, e.kind ?? 'gauge']);
    expect(summary(fromJson)).toEqual(EXPECTED);
    expect(fromProto.events).toEqual(fromJson.events);
    expect(fromJson.events.every((e) => e.timestamp === T)).toBe(true);
    expect(Object.fromEntries(fromJson.skipped)).toEqual({ 'data point with no recorded value': 1 });
  });

  it('stamps a point without a time with the receive time', () => {
    // Act
    const result = translate(
      { protocol: 'otlp', encoding: 'json' },
      Buffer.from(JSON.stringify(request([{ name: 'g', gauge: { dataPoints: [{ asDouble: 1 }] } }]))),
      { rules, now: T + 5 },
    );

    // Assess
    expect(result.events[0]?.timestamp).toBe(T + 5);
  });

  it('refuses a body that is not what its content type says', () => {
    // Act / Assess
    expect(() =>
      translate({ protocol: 'otlp', encoding: 'json' }, encodeOtlpProtobuf(request(METRICS)), {
        rules,
        now: T,
      }),
    ).toThrow(/not UTF-8 text|not JSON/);
    expect(() =>
      translate({ protocol: 'otlp', encoding: 'protobuf' }, Buffer.from('{"resourceMetrics":[]}'), {
        rules,
        now: T,
      }),
    ).toThrow(/not a protobuf ExportMetricsServiceRequest/);
  });

  it('answers partial success in both encodings, readable as OTLP 1.x ExportMetricsServiceResponse', () => {
    // Act
    const json = encodeOtlpResponse('json', 3, 'three points refused') as string;
    const proto = encodeOtlpResponse('protobuf', 3, 'three points refused') as Uint8Array;
    const empty = encodeOtlpResponse('json', 0, '');

    // Assess
    expect(JSON.parse(json)).toEqual({
      partialSuccess: { rejectedDataPoints: '3', errorMessage: 'three points refused' },
    });
    expect(empty).toBe('{}');
    // An OTLP 1.x reader of the same field numbers.
    const reader = protobuf
      .parse(
        'syntax = "proto3"; message R { P partial_success = 1; } message P { int64 rejected_data_points = 1; string error_message = 2; }',
        { keepCase: true },
      )
      .root.lookupType('R');
    expect(reader.toObject(reader.decode(proto), { longs: Number })).toEqual({
      partial_success: { rejected_data_points: 3, error_message: 'three points refused' },
    });
    expect(OTLP_DESCRIPTOR).toBeDefined();
  });
});
