import { type MeasurementEvent, parseEvent, type TimeWindow } from '../events/event-schema.ts';
import {
  type MetricStreamFormat,
  metricStreamSamples,
  parseFirehoseRequest,
} from './cloudwatch-metric-stream.ts';
import { MAX_EVENTS_PER_REQUEST } from './event-json-schema.ts';
import type { Precision } from './influx-line-protocol.ts';
import { influxSamples } from './influx-samples.ts';
import type { MappingRules } from './mapping-rules.ts';
import { type DecodedSamples, IngestDecodeError, type Refusal } from './metric-sample.ts';
import { decodeOtlpJson, decodeOtlpProtobuf, otlpSamples } from './otlp-metrics.ts';
import { readOtlpSamples } from './otlp-reader.ts';
import {
  decodeWriteRequestBytes,
  remoteWriteSamples,
  uncompressSnappyBlock,
} from './prometheus-remote-write.ts';
import { readRemoteWriteSamples } from './remote-write-reader.ts';
import { type AllowList, samplesToEvents } from './to-events.ts';

/**
 * The translator's core, free of I/O: a request body in one of the protocols Seismo speaks becomes validated
 * events plus named refusals. HTTP handlers call it after content negotiation; a Kafka consumer or a poller
 * calls it with a record's bytes and the format it was produced in.
 */

/** A body's protocol and the parameters that read it. */
export type IngestFormat =
  | { readonly protocol: 'prometheus-remote-write' }
  | { readonly protocol: 'otlp'; readonly encoding: 'protobuf' | 'json' }
  | { readonly protocol: 'influx-line'; readonly precision: Precision }
  | { readonly protocol: 'cloudwatch-firehose'; readonly format: MetricStreamFormat }
  /** Seismo's own `{events: [...]}` body (the dry run of `POST /v1/events`). */
  | { readonly protocol: 'events-json' };

/** What the translator needs besides the body. */
export interface TranslateOptions {
  readonly rules: MappingRules;
  readonly allow?: AllowList;
  /** Receive time, epoch ms: for points without a time, and the clock window. */
  readonly now: number;
  /** How far ahead of `now` a timestamp may be; 5 minutes by default, as the detector allows. */
  readonly maxFutureMs?: number;
}

/** Events made from a body, what was refused (each with a named reason) and what rules set aside. */
export interface Translation {
  readonly events: MeasurementEvent[];
  readonly refusals: Refusal[];
  readonly skipped: Map<string, number>;
  /** Samples read from the body (a multi-channel event holds several). */
  readonly samples: number;
}

/** The clock window the detector applies; the translator refuses what it would dead-letter. */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;

/** Decodes `body` in `format` to samples. Throws {@link IngestDecodeError} when the body cannot be read at all. */
export function decodeSamples(
  format: IngestFormat,
  body: Uint8Array,
  rules: MappingRules,
  now: number,
): DecodedSamples {
  switch (format.protocol) {
    case 'prometheus-remote-write': {
      const bytes = uncompressSnappyBlock(body);
      // The shape Prometheus sends every scrape straight from the bytes; anything else through protobufjs.
      return (
        readRemoteWriteSamples(bytes, rules) ?? remoteWriteSamples(decodeWriteRequestBytes(bytes), rules)
      );
    }
    case 'otlp':
      if (format.encoding === 'json') return otlpSamples(decodeOtlpJson(utf8(body)), rules, now);
      // What exporters send every interval straight from the bytes; anything else through protobufjs.
      return readOtlpSamples(body, rules, now) ?? otlpSamples(decodeOtlpProtobuf(body), rules, now);
    case 'influx-line':
      return influxSamples(utf8(body), rules, { precision: format.precision, now });
    case 'cloudwatch-firehose':
      return metricStreamSamples(parseFirehoseRequest(utf8(body)), format.format, rules, now);
    case 'events-json':
      throw new IngestDecodeError('events-json bodies are events, not samples');
  }
}

/** Translates a body to events. Throws {@link IngestDecodeError} when the body cannot be read at all. */
export function translate(format: IngestFormat, body: Uint8Array, options: TranslateOptions): Translation {
  const window: TimeWindow = { now: options.now, maxFutureMs: options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS };
  if (format.protocol === 'events-json') return eventsJson(utf8(body), window);
  const decoded = decodeSamples(format, body, options.rules, options.now);
  const mapped = samplesToEvents(decoded.samples, options.rules, {
    ...(options.allow ? { allow: options.allow } : {}),
    window,
  });
  for (const [rule, count] of mapped.skipped)
    decoded.skipped.set(rule, (decoded.skipped.get(rule) ?? 0) + count);
  return {
    events: mapped.events,
    refusals: [...decoded.refusals, ...mapped.refusals],
    skipped: decoded.skipped,
    samples: decoded.samples.length,
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(body: Uint8Array): string {
  try {
    return decoder.decode(body);
  } catch {
    throw new IngestDecodeError(
      'body is not UTF-8 text (is it compressed without a Content-Encoding header?)',
    );
  }
}

/** `{events: [...]}` validated event by event, as the detector would. */
function eventsJson(text: string, window: TimeWindow): Translation {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IngestDecodeError(`body is not JSON: ${(error as Error).message}`);
  }
  const events = (json as { events?: unknown })?.events;
  if (typeof json !== 'object' || json === null || !Array.isArray(events)) {
    throw new IngestDecodeError('body must be a JSON object {"events": [...]}');
  }
  if (events.length === 0 || events.length > MAX_EVENTS_PER_REQUEST) {
    throw new IngestDecodeError(
      `events holds ${events.length} events; 1 to ${MAX_EVENTS_PER_REQUEST} are accepted per request`,
    );
  }
  const accepted: MeasurementEvent[] = [];
  const refusals: Refusal[] = [];
  events.forEach((input, i) => {
    const parsed = parseEvent(input, window);
    if (parsed.ok) accepted.push(parsed.event);
    else refusals.push({ code: 'invalid-event', origin: `events[${i}]`, reason: parsed.error.message });
  });
  return { events: accepted, refusals, skipped: new Map(), samples: events.length };
}
