import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { OTLPMetricExporter as OtlpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import SnappyJS from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOtlpProtobuf } from '../../../core/ingest/otlp-metrics.ts';
import { encodeRemoteWrite } from '../../../core/ingest/prometheus-remote-write.ts';
import type { LocalStack } from '../../../local/stack.ts';
import { startIngestStack } from '../../support/ingest-stack.ts';
import { waitUntil } from '../../support/wait-until.ts';

const T = Date.now() - 3_600_000;

describe('local ingestion API: protocol routes from real clients', () => {
  let stack: LocalStack;
  let stop: () => Promise<void>;
  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${stack.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': stack.ingest.apiKey, ...headers },
      body,
    });
  const remoteWrite = (body: Uint8Array, headers: Record<string, string> = {}) =>
    post('/api/v1/write', body, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      ...headers,
    });

  beforeAll(async () => {
    ({ stack, stop } = await startIngestStack('protocols'));
  });
  afterAll(async () => stop?.());

  /** Exports from a MeterProvider (one counter, one gauge, one histogram) `rounds` times, a second apart. */
  async function exportWith(exporter: PushMetricExporter, service: string, rounds: number): Promise<void> {
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      readers: [reader],
    });
    const meter = provider.getMeter('seismo-test');
    const requests = meter.createCounter('http.requests');
    const latency = meter.createHistogram('http.latency', { unit: 's' });
    let depth = 3;
    meter
      .createObservableGauge('queue.depth')
      .addCallback((result) => result.observe(depth, { queue: 'orders' }));
    for (let i = 0; i < rounds; i += 1) {
      requests.add(5, { route: '/pay' });
      latency.record(0.2 + i / 100, { route: '/pay' });
      depth += 1;
      await provider.forceFlush();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    await provider.shutdown();
  }

  it('takes OTLP/HTTP protobuf from the OpenTelemetry JS exporter, through to scored points', async () => {
    // Act
    await exportWith(
      new OtlpProtoExporter({
        url: `${stack.httpUrl}/v1/metrics`,
        headers: { 'x-api-key': stack.ingest.apiKey },
      }),
      'proto-svc',
      3,
    );

    // Assess
    await waitUntil(
      'OTLP protobuf points',
      () => stack.scores.query('queue.depth{queue="orders",service.name="proto-svc"}').length === 3,
    );
    await waitUntil(
      'the counter rate',
      () => stack.scores.query('http.requests{route="/pay",service.name="proto-svc"}').length >= 2,
    );
    expect(stack.scores.series()).toContain('http.latency_count{route="/pay",service.name="proto-svc"}');
    expect(stack.scores.series()).toContain('http.latency_sum{route="/pay",service.name="proto-svc"}');
  });

  it('takes OTLP/HTTP JSON from the OpenTelemetry JS exporter, through to scored points', async () => {
    // Act
    await exportWith(
      new OtlpJsonExporter({
        url: `${stack.httpUrl}/v1/metrics`,
        headers: { 'x-api-key': stack.ingest.apiKey },
      }),
      'json-svc',
      2,
    );

    // Assess
    await waitUntil(
      'OTLP JSON points',
      () => stack.scores.query('queue.depth{queue="orders",service.name="json-svc"}').length === 2,
    );
  });

  it('answers OTLP partial_success naming refused points, 415 for an unknown type and 413 over the body limit', async () => {
    // Prepare
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'ok.gauge', gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: `${T}000000` }] } },
                {
                  name: 'seconds.gauge',
                  gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: `${Math.floor(T / 1000)}000000` }] },
                },
              ],
            },
          ],
        },
      ],
    };

    // Act
    const partial = await post('/v1/metrics', JSON.stringify(request), {
      'content-type': 'application/json',
    });
    const unknownType = await post('/v1/metrics', 'x', { 'content-type': 'text/plain' });
    const tooBig = await post('/v1/metrics', Buffer.alloc(Math.round(5.1 * 1024 * 1024)), {
      'content-type': 'application/x-protobuf',
    });
    const lying = await post('/v1/metrics', JSON.stringify(request), {
      'content-type': 'application/x-protobuf',
    });

    // Assess
    expect(partial.status).toBe(200);
    const body = (await partial.json()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedDataPoints).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(
      /seconds\.gauge: invalid event: timestamp: looks like epoch seconds/,
    );
    expect(unknownType.status).toBe(415);
    expect(tooBig.status).toBe(413);
    expect(lying.status).toBe(400);
    expect(await lying.text()).toMatch(/not a protobuf ExportMetricsServiceRequest/);
    await waitUntil('the good point', () => stack.scores.query('ok.gauge').length === 1);
  });

  it("takes InfluxDB line protocol from the official client's write API (v2 path, token as key)", async () => {
    // Prepare
    const writer = new InfluxDB({ url: stack.httpUrl, token: stack.ingest.apiKey }).getWriteApi(
      'org',
      'bucket',
      'ms',
      {
        maxRetries: 0,
      },
    );
    for (let i = 0; i < 3; i += 1) {
      writer.writePoint(
        new Point('disk io')
          .tag('mount point', '/var, /tmp')
          .floatField('read bytes', 10 + i)
          .intField('ops', i)
          .timestamp(T + i * 1_000),
      );
    }

    // Act
    await writer.close();

    // Assess
    await waitUntil(
      '3 Influx points',
      () => stack.scores.query('disk io{mount point="/var, /tmp"}', {}, 'read bytes').length === 3,
    );
    expect(stack.scores.query('disk io{mount point="/var, /tmp"}', {}, 'ops')).toHaveLength(3);
  });

  it('answers a partial write on the v1 path naming the bad line (a string field is ignored by the default rule)', async () => {
    // Prepare
    const seconds = Math.floor(T / 1000);
    const body = `cpu,host=a usage=12.5 ${seconds}\ncpu,host=a usage=oops ${seconds + 1}\ncpu,host=a usage=13,status="ok" ${seconds + 2}\n`;

    // Act
    const response = await post('/v1/influx/write?precision=s', body, { 'content-type': 'text/plain' });
    const badPrecision = await post('/v1/influx/write?precision=d', body, { 'content-type': 'text/plain' });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: expect.stringMatching(
        /^partial write: 1 refused \(1 unreadable\): line 2: field "usage" value "oops" is not a float/,
      ),
    });
    expect(badPrecision.status).toBe(400);
    await waitUntil('2 points of cpu', () => stack.scores.query('cpu{host="a"}', {}, 'usage').length === 2);
  });

  it('refuses remote write that is snappy framed, not snappy, or sent without a key; keeps the good series of a mixed request', async () => {
    // Prepare
    const protobuf = SnappyJS.uncompress(
      encodeRemoteWrite({
        timeseries: [{ labels: [{ name: '__name__', value: 'x' }], samples: [{ value: 1, timestamp: T }] }],
      }),
    );
    const framed = Buffer.concat([
      Buffer.from([0xff, 0x06, 0x00, 0x00]),
      Buffer.from('sNaPpY'),
      Buffer.from(protobuf),
    ]);
    const mixed = encodeRemoteWrite({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'good' },
            { name: 'job', value: 'j' },
          ],
          samples: [
            { value: 1, timestamp: T },
            { value: 2, timestamp: T + 15_000 },
          ],
        },
        {
          labels: [
            { name: 'job', value: 'j' },
            { name: '__name__', value: 'unsorted' },
          ],
          samples: [{ value: 1, timestamp: T }],
        },
        { labels: [{ name: 'job', value: 'j' }], samples: [{ value: 1, timestamp: T }] },
        { labels: [{ name: '__name__', value: 'nan' }], samples: [{ value: Number.NaN, timestamp: T }] },
        {
          labels: [{ name: '__name__', value: 'seconds' }],
          samples: [{ value: 1, timestamp: Math.floor(T / 1000) }],
        },
      ],
    });

    // Act
    const framedAnswer = await remoteWrite(framed);
    const plain = await remoteWrite(protobuf, { 'content-encoding': 'identity' });
    const noKey = await fetch(`${stack.httpUrl}/api/v1/write`, { method: 'POST', body: mixed });
    const mixedAnswer = await remoteWrite(mixed);

    // Assess
    expect(framedAnswer.status).toBe(400);
    expect(await framedAnswer.text()).toMatch(
      /snappy framed \(stream format\); remote write 1\.0 sends the snappy block format/,
    );
    expect(plain.status).toBe(400);
    expect(await plain.text()).toMatch(/Content-Encoding must be snappy/);
    expect(noKey.status).toBe(403);
    expect(mixedAnswer.status).toBe(400);
    const reasons = await mixedAnswer.text();
    expect(reasons).toMatch(/^4 refused \(2 unreadable, 1 not-a-number, 1 invalid-event\)/);
    expect(reasons).toMatch(/labels must be sorted by name/);
    expect(reasons).toMatch(/no __name__ label/);
    expect(reasons).toMatch(/value of nan is NaN/);
    expect(reasons).toMatch(/seconds: invalid event: timestamp: looks like epoch seconds/);
    await waitUntil('the good series', () => stack.scores.query('good{job="j"}').length === 2);
  });

  it('takes CloudWatch metric streams from Firehose with its access key, and answers as Firehose expects', async () => {
    // Prepare
    const record = {
      metric_stream_name: 'seismo',
      namespace: 'AWS/EC2',
      metric_name: 'CPUUtilization',
      dimensions: { InstanceId: 'i-123' },
      timestamp: T,
      value: { max: 9, min: 1, sum: 20, count: 4 },
      unit: 'Percent',
    };
    const body = JSON.stringify({
      requestId: 'req-1',
      timestamp: Date.now(),
      records: [{ data: Buffer.from(`${JSON.stringify(record)}\n`).toString('base64') }],
    });
    const firehose = (key: string) =>
      fetch(`${stack.httpUrl}/v1/cloudwatch/firehose`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-amz-firehose-access-key': key,
          'x-amz-firehose-request-id': 'req-1',
        },
        body,
      });

    // Act
    const wrong = await firehose('wrong');
    const right = await firehose(stack.ingest.firehoseAccessKey);

    // Assess
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({
      requestId: 'req-1',
      errorMessage: expect.stringMatching(/Access-Key/),
    });
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ requestId: 'req-1', timestamp: expect.any(Number) });
    await waitUntil(
      'the metric stream point',
      () => stack.scores.query('AWS/EC2/CPUUtilization{InstanceId="i-123"}', {}, 'max').length === 1,
    );
  });

  it('takes OTLP protobuf with gzip, as collectors send it', async () => {
    // Prepare
    const { gzipSync } = await import('node:zlib');
    const body = gzipSync(
      encodeOtlpProtobuf({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  { name: 'gz.gauge', gauge: { dataPoints: [{ asDouble: 4, timeUnixNano: `${T}000000` }] } },
                ],
              },
            ],
          },
        ],
      }),
    );

    // Act
    const response = await post('/v1/metrics', body, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    const notGzip = await post('/v1/metrics', Buffer.from('plain'), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(notGzip.status).toBe(400);
    expect(await notGzip.text()).toMatch(/not gzip data, as its Content-Encoding says/);
    await waitUntil('the gzip point', () => stack.scores.query('gz.gauge').length === 1);
  });
});
