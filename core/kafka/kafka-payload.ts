import { type MeasurementEvent, parseEvent, type TimeWindow } from '../events/event-schema.ts';
import type { KafkaRecordView } from './kafka-records.ts';

/**
 * What a Kafka record's value means, by format. Seismo's own JSON events are built in; protocol payloads
 * (Prometheus remote write, OTLP, InfluxDB line protocol) plug in as further {@link KafkaPayloadDecoder}s that
 * call the protocol translator, so Kafka and the HTTP routes read a payload the same way.
 */

/** The header naming a record's format by Seismo's name (`influx-line`, `otlp-protobuf`...); checked first. */
export const FORMAT_HEADER = 'seismo-format';
/** The header naming a record's media type, e.g. `application/json`; mapped to a format when unambiguous. */
export const CONTENT_TYPE_HEADER = 'content-type';

/** What a decoder read from a value: event inputs (validated afterwards) and the parts it could not read. */
export interface DecodedPayload {
  readonly inputs: readonly unknown[];
  /** Parts of the value refused while decoding (a bad line, an unreadable data point), named. */
  readonly problems: readonly string[];
}

/** Reads a record's value; throws {@link PayloadError} when none of it can be read. */
export type KafkaPayloadDecoder = (value: Buffer, record: KafkaRecordView) => DecodedPayload;

/** A value that cannot be read as its format: the whole record is dead-lettered with this reason. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

/**
 * Seismo events as JSON: one event object, a list of them, or `{"events": [...]}` (the REST API's body), so a
 * topic can carry single events or batches.
 */
export const eventsJsonDecoder: KafkaPayloadDecoder = (value) => {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new PayloadError(`value is not JSON: ${(error as Error).message}`);
  }
  if (Array.isArray(json)) return { inputs: json, problems: [] };
  if (json !== null && typeof json === 'object' && Array.isArray((json as { events?: unknown }).events)) {
    return { inputs: (json as { events: unknown[] }).events, problems: [] };
  }
  return { inputs: [json], problems: [] };
};

/** Decoders by format name, and which format a record without a content-type header has. */
export interface PayloadFormats {
  readonly decoders: ReadonlyMap<string, KafkaPayloadDecoder>;
  /** Format of a record without a known content-type header. */
  readonly defaultFormat: string;
  /** Content-type (without parameters, lower case) to format name. */
  readonly contentTypes: ReadonlyMap<string, string>;
}

/** The formats Seismo reads from Kafka today: JSON events, by default and for `application/json`. */
export const BUILT_IN_FORMATS: PayloadFormats = {
  decoders: new Map([['events-json', eventsJsonDecoder]]),
  defaultFormat: 'events-json',
  contentTypes: new Map([
    ['application/json', 'events-json'],
    ['application/x-ndjson', 'events-json'],
  ]),
};

/** What one record became: valid events, and reasons for what was refused (the record is dead-lettered then). */
export interface MappedRecord {
  readonly events: MeasurementEvent[];
  /** Why (part of) the record was refused; empty when all of it became events. */
  readonly problems: string[];
}

/** Most problems named in one dead letter's reason; the rest are counted. */
const MAX_PROBLEMS = 10;

/**
 * Maps a record to validated events: picks the decoder from the content-type header (or the default), decodes
 * the value and validates each event against `window` exactly as the detector will. Never throws for bad
 * input: an unreadable value, an unknown format or an invalid event becomes a problem.
 */
export function mapKafkaRecord(
  record: KafkaRecordView,
  formats: PayloadFormats,
  window: TimeWindow,
): MappedRecord {
  if (!record.value || record.value.length === 0) {
    return { events: [], problems: ['record has no value (a tombstone?): nothing to read'] };
  }
  const named = record.headers.get(FORMAT_HEADER)?.toString('utf8').trim();
  const contentType = record.headers.get(CONTENT_TYPE_HEADER)?.toString('utf8');
  let format: string | undefined;
  if (named) format = named;
  else if (contentType)
    format = formats.contentTypes.get(contentType.split(';')[0]?.trim().toLowerCase() ?? '');
  else format = formats.defaultFormat;
  const decoder = format === undefined ? undefined : formats.decoders.get(format);
  if (!decoder) {
    const what = named ? `${FORMAT_HEADER} "${named}"` : `content-type "${contentType}"`;
    const known = named ? [...formats.decoders.keys()] : [...formats.contentTypes.keys()];
    return {
      events: [],
      problems: [
        `${what} is not a format Seismo reads from Kafka (known: ${known.join(', ')}; or name one in the ${FORMAT_HEADER} header)`,
      ],
    };
  }
  let decoded: DecodedPayload;
  try {
    decoded = decoder(record.value, record);
  } catch (error) {
    if (error instanceof PayloadError) return { events: [], problems: [error.message] };
    throw error;
  }
  const { inputs } = decoded;
  if (inputs.length === 0 && decoded.problems.length === 0) {
    return { events: [], problems: ['value holds no events'] };
  }
  const events: MeasurementEvent[] = [];
  const problems: string[] = decoded.problems.slice(0, MAX_PROBLEMS);
  let refused = 0;
  inputs.forEach((input, i) => {
    const parsed = parseEvent(input, window);
    if (parsed.ok) {
      events.push(parsed.event);
      return;
    }
    refused += 1;
    if (problems.length < MAX_PROBLEMS) {
      problems.push(inputs.length === 1 ? parsed.error.message : `events[${i}]: ${parsed.error.message}`);
    }
  });
  const unlisted = refused + decoded.problems.length - problems.length;
  if (unlisted > 0) problems.push(`… and ${unlisted} more problems`);
  return { events, problems };
}
