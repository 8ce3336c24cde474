import type { MappingRules } from './mapping-rules.ts';
import {
  type DecodedSamples,
  IngestDecodeError,
  type MetricSample,
  type Refusal,
  skip,
} from './metric-sample.ts';
import { decodeOtlpProtobuf, otlpSamples } from './otlp-metrics.ts';

/**
 * CloudWatch Metric Streams delivered by Kinesis Data Firehose to an HTTP endpoint. Firehose posts
 * `{requestId, timestamp, records: [{data: base64}]}` and expects `{requestId, timestamp}` back (with
 * `errorMessage` on failure); each record's data is, by the stream's output format:
 * - `json`: newline-delimited objects `{metric_stream_name, namespace, metric_name, dimensions, timestamp,
 *   value: {max, min, sum, count}, unit}`, mapped to one event per metric and minute with the statistics as
 *   channels (`max`, `min`, `sum`, `count`, and any extra percentile such as `p99`); series
 *   `namespace/metric_name{dimensions}`;
 * - `opentelemetry1.0`: varint length-delimited protobuf `ExportMetricsServiceRequest`s (CloudWatch writes
 *   summaries with min and max as quantiles 0 and 1), mapped as OTLP is.
 * CloudWatch statistics are per-period aggregates, not running totals, so they are gauges, never counters.
 */

/** A Firehose HTTP endpoint delivery request. */
export interface FirehoseRequest {
  readonly requestId: string;
  readonly timestamp: number;
  readonly records: readonly { readonly data: string }[];
}

/** The metric stream output formats Seismo reads. */
export type MetricStreamFormat = 'json' | 'opentelemetry1.0';

/** Parses and checks the Firehose envelope; throws {@link IngestDecodeError} naming what is wrong. */
export function parseFirehoseRequest(text: string): FirehoseRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IngestDecodeError(`body is not JSON: ${(error as Error).message}`);
  }
  const request = json as Partial<FirehoseRequest>;
  if (typeof request !== 'object' || request === null || typeof request.requestId !== 'string') {
    throw new IngestDecodeError(
      'body must be a Firehose request {"requestId", "timestamp", "records"}: requestId is missing',
    );
  }
  if (!Array.isArray(request.records) || request.records.some((r) => typeof r?.data !== 'string')) {
    throw new IngestDecodeError('records must be an array of {"data": base64 text}');
  }
  return {
    requestId: request.requestId,
    timestamp: Number(request.timestamp ?? 0),
    records: request.records,
  };
}

/** The response body Firehose expects. */
export function firehoseResponse(requestId: string, now: number, errorMessage?: string): string {
  return JSON.stringify({
    requestId,
    timestamp: now,
    ...(errorMessage === undefined ? {} : { errorMessage }),
  });
}

/** Samples of every record of a Firehose request, read in `format`. */
export function metricStreamSamples(
  request: FirehoseRequest,
  format: MetricStreamFormat,
  rules: MappingRules,
  now: number,
): DecodedSamples {
  const samples: MetricSample[] = [];
  const refusals: Refusal[] = [];
  const skipped = new Map<string, number>();
  request.records.forEach((record, r) => {
    const bytes = Buffer.from(record.data, 'base64');
    if (format === 'json') jsonRecordSamples(bytes.toString('utf8'), `records[${r}]`, samples, refusals);
    else otelRecordSamples(bytes, `records[${r}]`, rules, now, samples, refusals, skipped);
  });
  return { samples, refusals, skipped };
}

const STATISTICS = ['max', 'min', 'sum', 'count'] as const;

function jsonRecordSamples(text: string, origin: string, samples: MetricSample[], refusals: Refusal[]): void {
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${origin} line ${i + 1}`;
    let metric: {
      namespace?: unknown;
      metric_name?: unknown;
      dimensions?: unknown;
      timestamp?: unknown;
      value?: unknown;
    };
    try {
      metric = JSON.parse(line);
    } catch (error) {
      refusals.push({
        code: 'unreadable',
        origin: at,
        reason: `${at}: not JSON: ${(error as Error).message}`,
      });
      return;
    }
    if (typeof metric.namespace !== 'string' || typeof metric.metric_name !== 'string') {
      refusals.push({
        code: 'unreadable',
        origin: at,
        reason: `${at}: namespace and metric_name are required`,
      });
      return;
    }
    if (typeof metric.value !== 'object' || metric.value === null || typeof metric.timestamp !== 'number') {
      refusals.push({
        code: 'unreadable',
        origin: at,
        reason: `${at}: value {max, min, sum, count} and timestamp are required`,
      });
      return;
    }
    const labels: Record<string, string> = {};
    if (typeof metric.dimensions === 'object' && metric.dimensions !== null) {
      for (const [k, v] of Object.entries(metric.dimensions)) if (typeof v === 'string') labels[k] = v;
    }
    const name = `${metric.namespace}/${metric.metric_name}`;
    const value = metric.value as Record<string, unknown>;
    const channels = [
      ...STATISTICS,
      ...Object.keys(value).filter((k) => !(STATISTICS as readonly string[]).includes(k)),
    ];
    for (const channel of channels) {
      const v = value[channel];
      if (typeof v !== 'number') continue;
      samples.push({
        name,
        labels,
        value: v,
        timestamp: metric.timestamp,
        kind: 'gauge',
        channel,
        origin: at,
      });
    }
  });
}

function otelRecordSamples(
  bytes: Uint8Array,
  origin: string,
  rules: MappingRules,
  now: number,
  samples: MetricSample[],
  refusals: Refusal[],
  skipped: Map<string, number>,
): void {
  let pos = 0;
  let index = 0;
  while (pos < bytes.length) {
    const at = `${origin} message ${index}`;
    let length = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[pos] ?? 0;
      pos += 1;
      length += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80 && pos < bytes.length);
    if (pos + length > bytes.length) {
      refusals.push({
        code: 'unreadable',
        origin: at,
        reason: `${at}: length prefix ${length} runs past the record`,
      });
      return;
    }
    try {
      const decoded = otlpSamples(decodeOtlpProtobuf(bytes.subarray(pos, pos + length)), rules, now);
      for (const s of decoded.samples) samples.push({ ...s, kind: 'gauge', origin: `${at} ${s.origin}` });
      refusals.push(...decoded.refusals);
      for (const [rule, count] of decoded.skipped) skip(skipped, rule, count);
    } catch (error) {
      refusals.push({ code: 'unreadable', origin: at, reason: `${at}: ${(error as Error).message}` });
    }
    pos += length;
    index += 1;
  }
}
