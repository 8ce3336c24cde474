import SnappyJS from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAPPING_RULES } from '../../../core/ingest/mapping-rules.ts';
import { IngestDecodeError } from '../../../core/ingest/metric-sample.ts';
import {
  decodeRemoteWrite,
  encodeRemoteWrite,
  isStaleMarker,
  remoteWriteSamples,
} from '../../../core/ingest/prometheus-remote-write.ts';
import { translate } from '../../../core/ingest/translate.ts';

const T = 1_700_000_000_000;
const rules = DEFAULT_MAPPING_RULES;
const STALE_NAN = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0] as number;

type Series = Parameters<typeof encodeRemoteWrite>[0]['timeseries'][number];
const series = (name: string, labels: Record<string, string>, ...values: number[]): Series => ({
  labels: [
    { name: '__name__', value: name },
    ...Object.entries(labels).map(([n, v]) => ({ name: n, value: v })),
  ].sort((a, b) => (a.name < b.name ? -1 : 1)),
  samples: values.map((value, i) => ({ value, timestamp: T + i * 15_000 })),
});

function run(timeseries: Series[], metadata?: Parameters<typeof encodeRemoteWrite>[0]['metadata']) {
  return translate(
    { protocol: 'prometheus-remote-write' },
    encodeRemoteWrite({ timeseries, ...(metadata ? { metadata } : {}) }),
    {
      rules,
      now: T,
    },
  );
}

describe('Prometheus remote write', () => {
  it('decodes a snappy block WriteRequest into one series per label set, named by metric and sorted labels', () => {
    // Act
    const result = run([series('node_load1', { job: 'node', instance: 'a:9100' }, 0.5, 0.75)]);

    // Assess
    expect(result.refusals).toEqual([]);
    expect(result.events).toEqual([
      {
        series: 'node_load1{instance="a:9100",job="node"}',
        timestamp: T,
        values: { value: 0.5 },
        dimensions: {},
      },
      {
        series: 'node_load1{instance="a:9100",job="node"}',
        timestamp: T + 15_000,
        values: { value: 0.75 },
        dimensions: {},
      },
    ]);
  });

  it('marks counters by name (_total, _sum, _count) and leaves out buckets and _created', () => {
    // Act
    const result = run([
      series('http_requests_total', { code: '200' }, 10),
      series('rpc_seconds_sum', {}, 1.5),
      series('rpc_seconds_count', {}, 3),
      series('rpc_seconds_bucket', { le: '0.1' }, 2),
      series('http_requests_created', {}, 1.7e9),
      series('temperature', {}, 21),
    ]);

    // Assess
    expect(result.events.map((e) => [e.series, e.kind ?? 'gauge'])).toEqual([
      ['http_requests_total{code="200"}', 'counter'],
      ['rpc_seconds_sum', 'counter'],
      ['rpc_seconds_count', 'counter'],
      ['temperature', 'gauge'],
    ]);
    expect(Object.fromEntries(result.skipped)).toEqual({
      'histogram bucket series left out': 1,
      '_created series left out': 1,
    });
  });

  it('lets metadata in the request decide the type over the name', () => {
    // Act
    const result = run(
      [series('queue_total', {}, 4), series('jobs', {}, 9)],
      [
        { type: 2, metric_family_name: 'queue_total' },
        { type: 1, metric_family_name: 'jobs' },
      ],
    );

    // Assess
    expect(result.events.map((e) => [e.series, e.kind ?? 'gauge'])).toEqual([
      ['queue_total', 'gauge'],
      ['jobs', 'counter'],
    ]);
  });

  it('leaves out staleness markers silently but refuses other NaN samples with a named reason', () => {
    // Act
    const result = run([series('up', { job: 'a' }, 1, STALE_NAN, Number.NaN)]);

    // Assess
    expect(isStaleMarker(STALE_NAN)).toBe(true);
    expect(isStaleMarker(Number.NaN)).toBe(false);
    expect(result.events).toHaveLength(1);
    expect(Object.fromEntries(result.skipped)).toEqual({ 'staleness marker': 1 });
    expect(result.refusals).toEqual([
      {
        code: 'not-a-number',
        origin: 'timeseries[0]',
        reason: 'value of up is NaN; only finite numbers can be scored',
      },
    ]);
  });

  it('refuses a series with unsorted, repeated or missing labels and keeps its neighbours', () => {
    // Prepare
    const unsorted: Series = {
      labels: [
        { name: 'job', value: 'a' },
        { name: '__name__', value: 'x' },
      ],
      samples: [{ value: 1, timestamp: T }],
    };
    const repeated: Series = {
      labels: [
        { name: '__name__', value: 'x' },
        { name: 'a', value: '1' },
        { name: 'a', value: '2' },
      ],
      samples: [{ value: 1, timestamp: T }],
    };
    const nameless: Series = { labels: [{ name: 'job', value: 'a' }], samples: [{ value: 1, timestamp: T }] };

    // Act
    const result = run([unsorted, series('ok', {}, 1), repeated, nameless]);

    // Assess
    expect(result.events.map((e) => e.series)).toEqual(['ok']);
    expect(result.refusals.map((r) => r.reason)).toEqual([
      'timeseries[0].labels: labels must be sorted by name ("__name__" comes after "job")',
      'timeseries[2].labels: label "a" appears twice',
      'timeseries[3].labels: no __name__ label (every series needs a metric name)',
    ]);
  });

  it('refuses a sample whose timestamp is in seconds, as the detector would', () => {
    // Prepare
    const seconds: Series = {
      labels: [{ name: '__name__', value: 'up' }],
      samples: [{ value: 1, timestamp: 1_700_000_000 }],
    };

    // Act
    const result = run([seconds]);

    // Assess
    expect(result.events).toEqual([]);
    expect(result.refusals[0]?.reason).toMatch(
      /timestamp: looks like epoch seconds; send epoch milliseconds/,
    );
  });

  it('names snappy framed bodies, uncompressed bodies and non-protobuf bodies', () => {
    // Prepare
    const protobuf = SnappyJS.uncompress(encodeRemoteWrite({ timeseries: [series('up', {}, 1)] }));
    const framed = Buffer.concat([
      Buffer.from([0xff, 0x06, 0x00, 0x00]),
      Buffer.from('sNaPpY'),
      Buffer.from(protobuf),
    ]);

    // Act / Assess
    expect(() => decodeRemoteWrite(framed)).toThrow(
      /snappy framed \(stream format\); remote write 1\.0 sends the snappy block format/,
    );
    expect(() => decodeRemoteWrite(Buffer.alloc(0))).toThrow(IngestDecodeError);
    expect(() => decodeRemoteWrite(SnappyJS.compress(Buffer.from('{"not":"protobuf"}')))).toThrow(
      /not a protobuf prometheus\.WriteRequest/,
    );
    expect(() => decodeRemoteWrite(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]))).toThrow(/snappy/);
  });

  it('drops histograms and summaries entirely under the "drop" rule', () => {
    // Act
    const samples = remoteWriteSamples(
      decodeRemoteWrite(
        encodeRemoteWrite({
          timeseries: [series('rpc_seconds_sum', {}, 1), series('rpc_seconds_count', {}, 1)],
        }),
      ),
      { ...rules, histograms: 'drop' },
    );

    // Assess
    expect(samples.samples).toEqual([]);
  });
});
