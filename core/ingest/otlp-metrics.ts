import protobuf from 'protobufjs';
import type { MappingRules } from './mapping-rules.ts';
import {
  type DecodedSamples,
  IngestDecodeError,
  type MetricSample,
  type Refusal,
  skip,
} from './metric-sample.ts';
import { OTLP_DESCRIPTOR } from './proto/descriptors.ts';

/**
 * OTLP/HTTP metrics (`ExportMetricsServiceRequest`), protobuf or JSON, to samples. The descriptor uses OTLP
 * JSON's lowerCamelCase field names, so one walker reads both encodings. Pure: bytes or JSON in, samples out.
 *
 * Mapping: gauges and non-monotonic sums are gauges; monotonic cumulative sums are counters (the detector
 * scores their rate); monotonic delta sums are gauges (each point already is the increase over its interval).
 * Histograms, exponential histograms and summaries give `<name>_count` and `<name>_sum` (counters when
 * cumulative, gauges when delta) and summaries their quantiles as gauges with a `quantile` label; buckets are
 * left out. Labels are the data point's attributes plus the resource attributes the rules name
 * (`service.name` ...). A point flagged "no recorded value" is left out and counted.
 */

const root = protobuf.Root.fromJSON(OTLP_DESCRIPTOR);
const RequestType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
const ResponseType = root.lookupType('seismo.otlp.ExportMetricsServiceResponse');

/**
 * The protobufjs types of the messages a request nests, for readers that take parts of a request from its bytes
 * (otlp-reader.ts) and leave protobufjs the parts they do not read themselves.
 */
export const OTLP_TYPES = {
  resourceMetrics: root.lookupType('opentelemetry.proto.metrics.v1.ResourceMetrics'),
  scopeMetrics: root.lookupType('opentelemetry.proto.metrics.v1.ScopeMetrics'),
  metric: root.lookupType('opentelemetry.proto.metrics.v1.Metric'),
  sum: root.lookupType('opentelemetry.proto.metrics.v1.Sum'),
  numberDataPoint: root.lookupType('opentelemetry.proto.metrics.v1.NumberDataPoint'),
} as const;

/** `AggregationTemporality`. */
const DELTA = 1;
const CUMULATIVE = 2;
/** `DataPointFlags.FLAG_NO_RECORDED_VALUE`. */
export const NO_RECORDED_VALUE = 1;
/** The skipped-tally rule points flagged with {@link NO_RECORDED_VALUE} are counted under. */
export const NO_VALUE_RULE = 'data point with no recorded value';

type Int64 = number | string | { toNumber(): number } | null | undefined;
type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: unknown;
  kvlistValue?: unknown;
  bytesValue?: unknown;
};
/** A decoded `KeyValue` (an attribute). */
export type KeyValue = { key: string; value?: AnyValue | null };
/** A decoded data point, of any kind, as far as Seismo reads it. */
export interface DataPoint {
  attributes?: KeyValue[];
  timeUnixNano?: Int64;
  asDouble?: number;
  asInt?: Int64;
  count?: Int64;
  sum?: number | null;
  quantileValues?: { quantile?: number; value?: number }[];
  flags?: number;
}
/** A decoded `Metric`. */
export interface Metric {
  name?: string;
  gauge?: { dataPoints?: DataPoint[] } | null;
  sum?: { dataPoints?: DataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean } | null;
  histogram?: { dataPoints?: DataPoint[]; aggregationTemporality?: number } | null;
  exponentialHistogram?: { dataPoints?: DataPoint[]; aggregationTemporality?: number } | null;
  summary?: { dataPoints?: DataPoint[] } | null;
}
interface ScopeMetrics {
  metrics?: Metric[];
}
/** A decoded `ResourceMetrics`. */
export interface ResourceMetrics {
  resource?: { attributes?: KeyValue[] } | null;
  scopeMetrics?: ScopeMetrics[];
  instrumentationLibraryMetrics?: ScopeMetrics[];
}
/** A decoded `ExportMetricsServiceRequest`, from protobuf or JSON. */
export interface ExportMetricsRequest {
  resourceMetrics?: ResourceMetrics[];
}

/** Decodes a protobuf `ExportMetricsServiceRequest`; throws {@link IngestDecodeError} naming what is wrong. */
export function decodeOtlpProtobuf(bytes: Uint8Array): ExportMetricsRequest {
  try {
    return RequestType.decode(bytes) as ExportMetricsRequest;
  } catch (error) {
    throw new IngestDecodeError(
      `body is not a protobuf ExportMetricsServiceRequest: ${(error as Error).message}`,
    );
  }
}

/** Parses an OTLP/JSON `ExportMetricsServiceRequest`; throws {@link IngestDecodeError} naming what is wrong. */
export function decodeOtlpJson(text: string): ExportMetricsRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IngestDecodeError(`body is not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new IngestDecodeError('body must be a JSON object {"resourceMetrics": [...]}');
  }
  const resourceMetrics = (json as ExportMetricsRequest).resourceMetrics;
  if (resourceMetrics !== undefined && !Array.isArray(resourceMetrics)) {
    throw new IngestDecodeError('resourceMetrics must be an array');
  }
  return json as ExportMetricsRequest;
}

/** The OTLP response body: empty on full success, `partial_success` when points were rejected. */
export function encodeOtlpResponse(
  format: 'protobuf' | 'json',
  rejected: number,
  message: string,
): Uint8Array | string {
  const partial = rejected > 0 || message !== '';
  if (format === 'json') {
    // proto3 JSON writes int64 as a string.
    return JSON.stringify(
      partial ? { partialSuccess: { rejectedDataPoints: String(rejected), errorMessage: message } } : {},
    );
  }
  const body = partial ? { partialSuccess: { rejectedDataPoints: rejected, errorMessage: message } } : {};
  return ResponseType.encode(ResponseType.fromObject(body)).finish();
}

/** Encodes an `ExportMetricsServiceRequest` as protobuf; for tests and benchmarks. */
export function encodeOtlpProtobuf(request: object): Uint8Array {
  return RequestType.encode(RequestType.fromObject(request)).finish();
}

function int64(value: Int64): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.toNumber();
}

function attributeText(value: AnyValue | null | undefined): string | undefined {
  if (!value) return undefined;
  if (Object.hasOwn(value, 'stringValue')) return value.stringValue;
  if (Object.hasOwn(value, 'boolValue')) return String(value.boolValue);
  if (Object.hasOwn(value, 'intValue')) return String(int64(value.intValue));
  if (Object.hasOwn(value, 'doubleValue')) return String(value.doubleValue);
  return undefined;
}

/** The resource attributes the rules keep, as labels. */
export function resourceLabelsOf(
  resource: ResourceMetrics['resource'],
  keepResource: ReadonlySet<string>,
): Record<string, string> {
  const resourceLabels: Record<string, string> = {};
  for (const kv of resource?.attributes ?? []) {
    const text = keepResource.has(kv.key) ? attributeText(kv.value) : undefined;
    if (text !== undefined) resourceLabels[kv.key] = text;
  }
  return resourceLabels;
}

/** A data point's labels: the resource's kept attributes, then the point's own (which win). */
export function pointLabels(
  resourceLabels: Readonly<Record<string, string>>,
  attributes: readonly KeyValue[] | undefined,
): Record<string, string> {
  // A dictionary from the start: attribute names differ from metric to metric, and adding them one by one
  // to a literal walks V8 through a new hidden class per name.
  const labels: Record<string, string> = Object.create(null);
  for (const key in resourceLabels) labels[key] = resourceLabels[key] as string;
  if (attributes) {
    for (let a = 0; a < attributes.length; a += 1) {
      const kv = attributes[a] as KeyValue;
      const text = attributeText(kv.value);
      if (text !== undefined) labels[kv.key] = text;
    }
  }
  return labels;
}

/** Monotonic cumulative sums are counters (the detector scores their rate); other sums are gauges. */
export function sumIsCounter(isMonotonic: boolean | undefined, temporality: number | undefined): boolean {
  return isMonotonic === true && temporality === CUMULATIVE;
}

/** A data point's time in epoch ms from its nanoseconds; `now` for a point without one. */
export function pointTime(nanos: number, now: number): number {
  return nanos > 0 ? Math.floor(nanos / 1e6) : now;
}

/** Samples of a decoded request. `now` (epoch ms) stands in for a point without a time. */
export function otlpSamples(request: ExportMetricsRequest, rules: MappingRules, now: number): DecodedSamples {
  const samples: MetricSample[] = [];
  const refusals: Refusal[] = [];
  const skipped = new Map<string, number>();
  const keepResource = new Set(rules.resourceAttributes);
  for (const [r, rm] of (request.resourceMetrics ?? []).entries()) {
    const resourceLabels = resourceLabelsOf(rm.resource, keepResource);
    const scopes = rm.scopeMetrics?.length ? rm.scopeMetrics : (rm.instrumentationLibraryMetrics ?? []);
    for (const [s, scope] of scopes.entries()) {
      for (const [m, metric] of (scope.metrics ?? []).entries()) {
        const origin = `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}]`;
        addMetricSamples(metric, resourceLabels, origin, rules, now, { samples, refusals, skipped });
      }
    }
  }
  return { samples, refusals, skipped };
}

/** The samples of one decoded metric, added to `out`; a metric without a name is refused. */
export function addMetricSamples(
  metric: Metric,
  resourceLabels: Readonly<Record<string, string>>,
  origin: string,
  rules: MappingRules,
  now: number,
  out: DecodedSamples,
): void {
  if (!metric.name) {
    out.refusals.push({ code: 'unreadable', origin, reason: `${origin}.name: a metric needs a name` });
    return;
  }
  metricSamples(
    metric as Metric & { name: string },
    resourceLabels,
    origin,
    rules,
    now,
    out.samples,
    out.skipped,
    out.refusals,
  );
}

function metricSamples(
  metric: Metric & { name: string },
  resourceLabels: Readonly<Record<string, string>>,
  origin: string,
  rules: MappingRules,
  now: number,
  out: MetricSample[],
  skipped: Map<string, number>,
  refusals: Refusal[],
): void {
  const { name } = metric;
  const each = (
    points: DataPoint[] | undefined,
    emit: (p: DataPoint, labels: Record<string, string>, ts: number, at: string) => void,
  ) => {
    if (!points) return;
    // Indexed loops: this runs once per data point.
    for (let i = 0; i < points.length; i += 1) {
      const p = points[i] as DataPoint;
      if (((p.flags ?? 0) & NO_RECORDED_VALUE) !== 0) {
        skip(skipped, NO_VALUE_RULE);
        continue;
      }
      emit(p, pointLabels(resourceLabels, p.attributes), pointTime(int64(p.timeUnixNano), now), origin);
    }
  };
  const numberValue = (p: DataPoint): number =>
    Object.hasOwn(p, 'asInt')
      ? int64(p.asInt)
      : Object.hasOwn(p, 'asDouble')
        ? (p.asDouble as number)
        : Number.NaN;

  if (metric.gauge) {
    each(metric.gauge.dataPoints, (p, labels, timestamp, at) =>
      out.push({ name, labels, value: numberValue(p), timestamp, kind: 'gauge', origin: at }),
    );
  } else if (metric.sum) {
    const counter = sumIsCounter(metric.sum.isMonotonic, metric.sum.aggregationTemporality);
    each(metric.sum.dataPoints, (p, labels, timestamp, at) =>
      out.push({
        name,
        labels,
        value: numberValue(p),
        timestamp,
        kind: counter ? 'counter' : 'gauge',
        origin: at,
      }),
    );
  } else if (metric.histogram || metric.exponentialHistogram || metric.summary) {
    const data = metric.histogram ?? metric.exponentialHistogram ?? metric.summary;
    if (rules.histograms === 'drop') {
      skip(skipped, 'histogram or summary (rule: drop)', data?.dataPoints?.length ?? 0);
      return;
    }
    const temporality = metric.summary
      ? CUMULATIVE
      : (data as { aggregationTemporality?: number }).aggregationTemporality;
    const kind = temporality === DELTA ? 'gauge' : 'counter';
    each(data?.dataPoints, (p, labels, timestamp, at) => {
      out.push({ name: `${name}_count`, labels, value: int64(p.count), timestamp, kind, origin: at });
      if (p.sum !== null && p.sum !== undefined) {
        out.push({ name: `${name}_sum`, labels, value: p.sum, timestamp, kind, origin: at });
      }
      for (const q of p.quantileValues ?? []) {
        const quantileLabels = { ...labels, quantile: String(q.quantile ?? 0) };
        out.push({ name, labels: quantileLabels, value: q.value ?? 0, timestamp, kind: 'gauge', origin: at });
      }
    });
  } else {
    refusals.push({
      code: 'unreadable',
      origin,
      reason: `${origin}: metric "${name}" has no data of a known type`,
    });
  }
}
