import { z } from 'zod';
import { EPOCH_MS_RANGE, EVENT_LIMITS, EventSchema } from '../events/event-schema.ts';

/**
 * The event schema as JSON Schema draft-4, the dialect API Gateway REST APIs validate request bodies with,
 * generated from the zod {@link EventSchema} the detector validates with, so there is one source of truth.
 *
 * zod's own conversion (`z.toJSONSchema`, target `draft-4`) carries types, lengths, enums, required fields and
 * `additionalProperties: false`; what zod states as refinements is added here where draft-4 can say it:
 * the timestamp's two forms and range, value bounds, channel and dimension counts, key lengths, and "exactly one
 * of value and values". Everything else stays with the detector, which dead-letters with the rule broken:
 * - the 1536-byte budget of series, channel and dimensions (draft-4 cannot count UTF-8 bytes);
 * - calendar validity and the 1973..2262 range of ISO 8601 text (Feb 30 passes the pattern);
 * - name rules: control characters, ambiguous backslashes, reserved dimension names (`series`, `time`,
 *   `_…`, `ts_…`, `:`, `__proto__`); draft-4 has no `propertyNames`;
 * - dimension names over 60 bytes of UTF-8 but at most 60 characters;
 * - the clock window (at most 5 minutes ahead), which depends on the receiving time.
 * The schema is never stricter than the detector: what the detector accepts, API Gateway lets through (a test
 * holds both to a corpus of good and bad events).
 */

/** A JSON Schema document (draft-4), as plain JSON. */
export type JsonSchema = { [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The URI of the draft-4 meta-schema, the `$schema` of every document made here. */
export const DRAFT_4 = 'http://json-schema.org/draft-04/schema#';

/** Epoch ms the detector accepts as a number (core/events/event-schema.ts); a corpus test checks both edges. */
export const TIMESTAMP_MS_RANGE = EPOCH_MS_RANGE;

/** ISO 8601 as the detector reads it (date, optional time to nanoseconds, optional zone). */
const ISO_8601_PATTERN =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$';

/** Most events one `POST /v1/events` may carry: the most records one Kinesis PutRecords call takes. */
export const MAX_EVENTS_PER_REQUEST = 500;

/** A key of 1..n characters; `.` excludes line breaks, which the detector refuses in names anyway. */
const keyPattern = (max: number): string => `^.{1,${max}}$`;

/** The JSON Schema (draft-4) of one event. */
export function eventJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(EventSchema, {
    target: 'draft-4',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  const properties = generated.properties as Record<string, JsonSchema>;
  const measurement: JsonSchema = {
    type: 'number',
    minimum: -EVENT_LIMITS.absoluteValue,
    maximum: EVENT_LIMITS.absoluteValue,
  };
  const dimensionValue = (properties.dimensions?.additionalProperties ?? { type: 'string' }) as JsonSchema;
  return {
    $schema: DRAFT_4,
    title: 'Event',
    description:
      'One measurement {series, timestamp, value} or several channels of one thing {series, timestamp, values}, with optional string dimensions and kind.',
    ...generated,
    properties: {
      ...properties,
      timestamp: {
        description: 'Epoch milliseconds, or ISO 8601 text (no zone means UTC).',
        anyOf: [
          { type: 'number', ...TIMESTAMP_MS_RANGE },
          { type: 'string', pattern: ISO_8601_PATTERN },
        ],
      },
      value: measurement,
      values: {
        type: 'object',
        minProperties: 1,
        maxProperties: EVENT_LIMITS.channels,
        patternProperties: { [keyPattern(EVENT_LIMITS.channelNameLength)]: measurement },
        additionalProperties: false,
      },
      dimensions: {
        type: 'object',
        maxProperties: EVENT_LIMITS.dimensions,
        patternProperties: { [keyPattern(EVENT_LIMITS.dimensionKeyLength)]: dimensionValue },
        additionalProperties: false,
      },
    },
    oneOf: [{ required: ['value'] }, { required: ['values'] }],
  };
}

/** The JSON Schema (draft-4) of a `POST /v1/events` body: `{events: [Event, ...]}`, 1 to 500 events. */
export function eventsRequestJsonSchema(): JsonSchema {
  const { $schema: _ignored, ...event } = eventJsonSchema();
  return {
    $schema: DRAFT_4,
    title: 'EventsRequest',
    type: 'object',
    required: ['events'],
    additionalProperties: false,
    properties: {
      events: { type: 'array', minItems: 1, maxItems: MAX_EVENTS_PER_REQUEST, items: event },
    },
  };
}
