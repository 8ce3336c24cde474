import { describe, expect, it } from 'vitest';
import { metricStreamSamples, parseFirehoseRequest } from '../../../core/ingest/cloudwatch-metric-stream.ts';
import {
  DEFAULT_MAPPING_RULES,
  MappingRulesError,
  parseMappingRules,
} from '../../../core/ingest/mapping-rules.ts';
import type { MetricSample } from '../../../core/ingest/metric-sample.ts';
import { encodeOtlpProtobuf } from '../../../core/ingest/otlp-metrics.ts';
import { OTLP_DESCRIPTOR, PROMETHEUS_DESCRIPTOR } from '../../../core/ingest/proto/descriptors.ts';
import { samplesToEvents } from '../../../core/ingest/to-events.ts';
import { translate } from '../../../core/ingest/translate.ts';
import { descriptorModule } from '../../../tools/generate-proto-descriptors.ts';

const T = 1_700_000_000_000;
const sample = (
  name: string,
  labels: Record<string, string>,
  value = 1,
  extra: Partial<MetricSample> = {},
): MetricSample => ({
  name,
  labels,
  value,
  timestamp: T,
  kind: 'gauge',
  origin: name,
  ...extra,
});

describe('samplesToEvents (mapping rules)', () => {
  it('names the series by metric and sorted labels by default, with no dimensions', () => {
    // Act
    const { events } = samplesToEvents([sample('up', { job: 'a', instance: 'h:1' })], DEFAULT_MAPPING_RULES);

    // Assess
    expect(events).toEqual([
      { series: 'up{instance="h:1",job="a"}', timestamp: T, values: { value: 1 }, dimensions: {} },
    ]);
  });

  it('moves dimension labels out of the series, drops dropped ones and keeps only listed series labels', () => {
    // Prepare
    const rules = parseMappingRules({
      seriesLabels: ['job'],
      dimensionLabels: ['region'],
      dropLabels: ['pod'],
    });

    // Act
    const { events } = samplesToEvents(
      [sample('up', { job: 'a', region: 'eu', pod: 'x-1', instance: 'h:1' })],
      rules,
    );

    // Assess
    expect(events).toEqual([
      { series: 'up{job="a"}', timestamp: T, values: { value: 1 }, dimensions: { region: 'eu' } },
    ]);
  });

  it('gathers a channel group into one multi-channel event per series and time', () => {
    // Prepare
    const rules = parseMappingRules({
      channelGroups: [{ metric: 'node_cpu_seconds_total', channelLabel: 'mode' }],
    });
    const counter = { kind: 'counter' } as const;

    // Act
    const { events } = samplesToEvents(
      [
        sample('node_cpu_seconds_total', { cpu: '0', mode: 'user' }, 10, counter),
        sample('node_cpu_seconds_total', { cpu: '0', mode: 'idle' }, 90, counter),
        sample('node_cpu_seconds_total', { cpu: '1', mode: 'user' }, 5, counter),
      ],
      rules,
    );

    // Assess
    expect(events).toEqual([
      {
        series: 'node_cpu_seconds_total{cpu="0"}',
        timestamp: T,
        values: { user: 10, idle: 90 },
        dimensions: {},
        kind: 'counter',
      },
      {
        series: 'node_cpu_seconds_total{cpu="1"}',
        timestamp: T,
        values: { user: 5 },
        dimensions: {},
        kind: 'counter',
      },
    ]);
  });

  it('applies the allow-list: metrics off the list are refused by name, labels off it are dropped', () => {
    // Act
    const result = samplesToEvents(
      [sample('up', { job: 'a', pod: 'p-1' }), sample('go_gc_duration_seconds', {})],
      DEFAULT_MAPPING_RULES,
      { allow: { metrics: ['up', 'node_.*'], labels: ['job'] } },
    );

    // Assess
    expect(result.events.map((e) => e.series)).toEqual(['up{job="a"}']);
    expect(result.refusals).toEqual([
      {
        code: 'metric-not-allowed',
        origin: 'go_gc_duration_seconds',
        reason: 'metric "go_gc_duration_seconds" is not on the allow-list',
      },
    ]);
    expect(Object.fromEntries(result.skipped)).toEqual({ 'label not on the allow-list (dropped)': 1 });
  });

  it('refuses what the detector would dead-letter, naming the field and the rule', () => {
    // Act
    const result = samplesToEvents(
      [sample('x', { v: 'a\\ b' }), sample('y', {}, 1, { timestamp: T + 3_600_000 })],
      DEFAULT_MAPPING_RULES,
      { window: { now: T, maxFutureMs: 300_000 } },
    );

    // Assess
    expect(result.events).toEqual([]);
    expect(result.refusals.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^x\{v="a\\ b"\}: invalid event: series: a backslash must not/),
      expect.stringMatching(/^y: invalid event: timestamp: is 3600 s ahead of the receiving clock/),
    ]);
  });

  it('reads rules from JSON and names every bad key', () => {
    // Act / Assess
    expect(parseMappingRules({ stringFields: 'refuse' }).stringFields).toBe('refuse');
    expect(() =>
      parseMappingRules({ histograms: 'keep', channelGroups: [{ metric: '(', channelLabel: 'x' }] }),
    ).toThrow(MappingRulesError);
    expect(() => parseMappingRules({ histograms: 'keep' })).toThrow(
      /histograms: must be "sum-count" or "drop"/,
    );
    expect(() => parseMappingRules({ channelGroups: [{ metric: '(', channelLabel: 'x' }] })).toThrow(
      /channelGroups\.0\.metric: must be a valid regular expression/,
    );
  });
});

describe('InfluxDB line protocol to events', () => {
  it('makes each field a channel, booleans 1/0, and ignores or refuses string fields by rule', () => {
    // Prepare
    const body = Buffer.from('cpu,host=a user=1.5,system=2i,up=t,note="ok" 1700000000000000000\n');

    // Act
    const ignored = translate({ protocol: 'influx-line', precision: 'ns' }, body, {
      rules: DEFAULT_MAPPING_RULES,
      now: T,
    });
    const refused = translate({ protocol: 'influx-line', precision: 'ns' }, body, {
      rules: { ...DEFAULT_MAPPING_RULES, stringFields: 'refuse' },
      now: T,
    });

    // Assess
    expect(ignored.events).toEqual([
      { series: 'cpu{host="a"}', timestamp: T, values: { user: 1.5, system: 2, up: 1 }, dimensions: {} },
    ]);
    expect(ignored.refusals).toEqual([]);
    expect(Object.fromEntries(ignored.skipped)).toEqual({ 'string field (ignored by rule)': 1 });
    expect(refused.events).toEqual(ignored.events);
    expect(refused.refusals).toEqual([
      {
        code: 'string-field',
        origin: 'line 1',
        reason: 'line 1: field "note" is a string; only numbers and booleans can be scored',
      },
    ]);
  });
});

describe('CloudWatch metric streams through Firehose', () => {
  const jsonRecord = (lines: object[]) => ({
    data: Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')).toString('base64'),
  });

  it('reads the JSON output format: statistics become channels of one gauge event', () => {
    // Prepare
    const body = JSON.stringify({
      requestId: 'r-1',
      timestamp: T,
      records: [
        jsonRecord([
          {
            metric_stream_name: 's',
            namespace: 'AWS/EC2',
            metric_name: 'CPUUtilization',
            dimensions: { InstanceId: 'i-1' },
            timestamp: T,
            value: { max: 9, min: 1, sum: 20, count: 4, p99: 8.5 },
            unit: 'Percent',
          },
        ]),
      ],
    });

    // Act
    const result = translate({ protocol: 'cloudwatch-firehose', format: 'json' }, Buffer.from(body), {
      rules: DEFAULT_MAPPING_RULES,
      now: T,
    });

    // Assess
    expect(result.events).toEqual([
      {
        series: 'AWS/EC2/CPUUtilization{InstanceId="i-1"}',
        timestamp: T,
        values: { max: 9, min: 1, sum: 20, count: 4, p99: 8.5 },
        dimensions: {},
      },
    ]);
  });

  it('reads the OpenTelemetry 1.0 output format: length-delimited requests, all gauges', () => {
    // Prepare
    const message = encodeOtlpProtobuf({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'amazonaws.com/AWS/EC2/CPUUtilization',
                  summary: {
                    dataPoints: [
                      {
                        count: 4,
                        sum: 20,
                        timeUnixNano: `${T}000000`,
                        quantileValues: [
                          { quantile: 0, value: 1 },
                          { quantile: 1, value: 9 },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const record = Buffer.concat([
      Buffer.from([(message.length & 0x7f) | 0x80, message.length >> 7]),
      message,
      Buffer.from([(message.length & 0x7f) | 0x80, message.length >> 7]),
      message,
    ]);
    const request = { requestId: 'r', timestamp: T, records: [{ data: record.toString('base64') }] };

    // Act
    const samples = metricStreamSamples(
      parseFirehoseRequest(JSON.stringify(request)),
      'opentelemetry1.0',
      DEFAULT_MAPPING_RULES,
      T,
    );

    // Assess
    expect(samples.refusals).toEqual([]);
    expect(samples.samples).toHaveLength(8);
    expect(samples.samples.every((s) => s.kind === 'gauge')).toBe(true);
  });

  it('refuses an envelope without requestId and names unreadable records', () => {
    // Act / Assess
    expect(() => parseFirehoseRequest('{"records":[]}')).toThrow(/requestId is missing/);
    const samples = metricStreamSamples(
      { requestId: 'r', timestamp: T, records: [{ data: Buffer.from('not json').toString('base64') }] },
      'json',
      DEFAULT_MAPPING_RULES,
      T,
    );
    expect(samples.refusals[0]?.reason).toMatch(/^records\[0\] line 1: not JSON/);
  });
});

describe('events-json (the dry run of POST /v1/events)', () => {
  it('validates each event as the detector does and refuses more than 500', () => {
    // Prepare
    const body = (events: unknown[]) => Buffer.from(JSON.stringify({ events }));

    // Act
    const result = translate(
      { protocol: 'events-json' },
      body([
        { series: 'a', timestamp: T, value: 1 },
        { series: 'a', timestamp: 1_700_000_000, value: 1 },
      ]),
      {
        rules: DEFAULT_MAPPING_RULES,
        now: T,
      },
    );

    // Assess
    expect(result.events).toHaveLength(1);
    expect(result.refusals).toEqual([
      {
        code: 'invalid-event',
        origin: 'events[1]',
        reason: 'invalid event: timestamp: looks like epoch seconds; send epoch milliseconds',
      },
    ]);
    expect(() =>
      translate({ protocol: 'events-json' }, body(Array.from({ length: 501 }, () => ({}))), {
        rules: DEFAULT_MAPPING_RULES,
        now: T,
      }),
    ).toThrow(/events holds 501 events; 1 to 500 are accepted per request/);
  });
});

describe('proto descriptors', () => {
  it('are what tools/generate-proto-descriptors.ts makes of the vendored .proto files (npm run proto:generate)', async () => {
    // Act
    const fresh = descriptorModule();
    const module = await import(
      `data:text/javascript,${encodeURIComponent(
        fresh.replace(/^import type .*$/m, '').replace(/ as INamespace/g, ''),
      )}`
    );

    // Assess
    expect(module.PROMETHEUS_DESCRIPTOR).toEqual(PROMETHEUS_DESCRIPTOR);
    expect(module.OTLP_DESCRIPTOR).toEqual(OTLP_DESCRIPTOR);
  });
});
