/**
 * What every protocol decoder produces and every later step consumes: one numeric sample of one metric with its
 * labels, and the named reasons a sample or a whole request is refused. Decoders know their wire format and
 * nothing about events; the mapping (`to-events.ts`) knows events and nothing about wire formats, so a new
 * source (Kafka records, a poller) reuses the mapping by producing samples.
 */

/** How a sample's value is read: as it is, or as a monotonic counter whose rate the detector scores. */
export type SampleKind = 'gauge' | 'counter';

/** One numeric sample of one metric at one time. */
export interface MetricSample {
  /** The metric: Prometheus `__name__`, OTLP metric name, InfluxDB measurement, CloudWatch namespace/metric. */
  readonly name: string;
  /** Identifying labels (tags, attributes), without the metric name. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Epoch milliseconds as the source stated it (validation judges the range). */
  readonly timestamp: number;
  readonly kind: SampleKind;
  /**
   * The channel this sample fills in a multi-channel event (an InfluxDB field, a CloudWatch statistic); absent
   * for one value per series. Mapping rules may also set it from a label.
   */
  readonly channel?: string;
  /** Where the sample sits in the request (e.g. `timeseries[3].samples[0]`), for reasons. */
  readonly origin: string;
}

/** Why a sample (or part of a request) was not turned into an event. Stable names, counted per request. */
export type RefusalCode =
  /** The event built from it breaks the event schema (the detector would dead-letter it). */
  | 'invalid-event'
  /** NaN or ±Infinity: no measurement to score. */
  | 'not-a-number'
  /** The metric is not on the tenant's allow-list. */
  | 'metric-not-allowed'
  /** The tenant has as many distinct series as its cap allows; this one is new. */
  | 'series-limit'
  /** An InfluxDB string field, refused by rule (the default ignores them). */
  | 'string-field'
  /** A line, record or data point the decoder could not read; the rest of the request was. */
  | 'unreadable';

/** One refusal with the place it came from and a message naming the field and the rule. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly origin: string;
  readonly reason: string;
}

/** Samples set aside on purpose, by rule, counted but not errors (histogram buckets, staleness markers...). */
export interface Skipped {
  readonly rule: string;
  readonly count: number;
}

/** What a decoder read from one request body. */
export interface DecodedSamples {
  readonly samples: MetricSample[];
  /** Parts of the body that could not be read; the rest was. */
  readonly refusals: Refusal[];
  /** Samples left out by rule, by rule name. */
  readonly skipped: Map<string, number>;
}

/**
 * Thrown when a whole request body cannot be read (not snappy, not protobuf, not JSON, wrong content type).
 * The message names what was expected and what was found; protocol handlers answer it with their "bad data"
 * status (400, or 415 for an unsupported content type or encoding).
 */
export class IngestDecodeError extends Error {
  override readonly name = 'IngestDecodeError';

  constructor(
    message: string,
    /** 415 when the content type or encoding is not one the route speaks, else 400. */
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(message);
  }
}

/** Adds `count` to the tally of `rule`. */
export function skip(skipped: Map<string, number>, rule: string, count = 1): void {
  skipped.set(rule, (skipped.get(rule) ?? 0) + count);
}
