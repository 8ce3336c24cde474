import { z } from 'zod';

/** Limits that keep one record from hurting a batch; each rejection names the limit it broke. */
export const EVENT_LIMITS = {
  seriesLength: 256,
  channels: 32,
  channelNameLength: 64,
  dimensions: 16,
  dimensionKeyLength: 64,
  dimensionValueLength: 256,
} as const;

/** Epoch ms below this (1973-03-03) almost surely means the producer sent seconds. */
const MIN_EPOCH_MS = 1e11;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/;

function parseIsoTimestamp(text: string): number {
  if (!ISO_8601.test(text)) return Number.NaN;
  // A timestamp without a zone is read as UTC, the same on every machine.
  const withZone = HAS_ZONE.test(text) || text.length === 10 ? text : `${text.replace(' ', 'T')}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  // Date.parse rolls impossible dates over (Feb 30 → Mar 2); an event with one is a producer bug.
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return Number.NaN;
  return ms;
}

const seriesSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, { error: 'must not be empty' })
  .max(EVENT_LIMITS.seriesLength, { error: `must be at most ${EVENT_LIMITS.seriesLength} characters` });

const timestampSchema = z.unknown().transform((raw, ctx) => {
  if (raw === undefined) {
    ctx.addIssue({ code: 'custom', message: 'is required' });
    return z.NEVER;
  }
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) {
      ctx.addIssue({ code: 'custom', message: 'must be a finite number of epoch milliseconds' });
      return z.NEVER;
    }
    if (raw < MIN_EPOCH_MS) {
      ctx.addIssue({ code: 'custom', message: 'looks like epoch seconds; send epoch milliseconds' });
      return z.NEVER;
    }
    return raw;
  }
  if (typeof raw !== 'string') {
    ctx.addIssue({ code: 'custom', message: 'must be ISO 8601 text or epoch milliseconds' });
    return z.NEVER;
  }
  const ms = parseIsoTimestamp(raw);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `cannot parse "${raw.slice(0, 40)}" as ISO 8601` });
    return z.NEVER;
  }
  return ms;
});

const measurementSchema = z.number({ error: 'must be a finite number' }).refine(Number.isFinite, {
  error: 'must be a finite number (not NaN or Infinity)',
});

const channelsSchema = z
  .record(
    z
      .string()
      .min(1, { error: 'channel name must not be empty' })
      .max(EVENT_LIMITS.channelNameLength, {
        error: `channel name must be at most ${EVENT_LIMITS.channelNameLength} characters`,
      }),
    measurementSchema,
  )
  .refine((v) => Object.keys(v).length > 0, { error: 'must hold at least one channel' })
  .refine((v) => Object.keys(v).length <= EVENT_LIMITS.channels, {
    error: `must hold at most ${EVENT_LIMITS.channels} channels`,
  });

const dimensionsSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(EVENT_LIMITS.dimensionKeyLength, {
        error: `key must be at most ${EVENT_LIMITS.dimensionKeyLength} characters`,
      }),
    z.string({ error: 'must be a string' }).max(EVENT_LIMITS.dimensionValueLength, {
      error: `must be at most ${EVENT_LIMITS.dimensionValueLength} characters`,
    }),
  )
  .refine((v) => Object.keys(v).length <= EVENT_LIMITS.dimensions, {
    error: `must hold at most ${EVENT_LIMITS.dimensions} dimensions`,
  });

/**
 * The wire schema of an event, version 1: `{series, timestamp, value}` for one measurement or
 * `{series, timestamp, values: {channel: number}}` for several channels of one thing, with optional
 * string `dimensions`. Exactly one of `value` and `values`.
 */
export const EventSchema = z
  .strictObject(
    {
      series: seriesSchema,
      timestamp: timestampSchema,
      value: measurementSchema.optional(),
      values: channelsSchema.optional(),
      dimensions: dimensionsSchema.optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.join(', ')}`
          : 'must be a JSON object',
    },
  )
  .superRefine((event, ctx) => {
    if ((event.value === undefined) === (event.values === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: 'exactly one of "value" and "values" is required',
      });
    }
  });

/** An event as it arrives on the wire, before validation. */
export type EventInput = z.input<typeof EventSchema>;

/** A validated event: timestamp normalised to epoch ms, channels always as a map. */
export interface MeasurementEvent {
  readonly series: string;
  readonly timestamp: number;
  /** One entry per channel; a single-value event has the channel `value`. */
  readonly values: Readonly<Record<string, number>>;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The channel name given to a single-value event. */
export const SINGLE_CHANNEL = 'value';

/** Thrown (or returned) for an event that breaks the schema; the message names the field and the rule. */
export class EventValidationError extends Error {
  constructor(
    message: string,
    readonly issues: readonly { readonly field: string; readonly rule: string }[],
  ) {
    super(message);
    this.name = 'EventValidationError';
  }
}

/** Outcome of validating one event. */
export type ParseResult = { ok: true; event: MeasurementEvent } | { ok: false; error: EventValidationError };

const NO_DIMENSIONS: Readonly<Record<string, string>> = Object.freeze({});

/** Validates one decoded JSON value; never throws for bad input. */
export function parseEvent(input: unknown): ParseResult {
  const result = EventSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.join('.') : '(event)',
      rule: issue.message,
    }));
    const message = issues.map((i) => `${i.field}: ${i.rule}`).join('; ');
    return { ok: false, error: new EventValidationError(`invalid event: ${message}`, issues) };
  }
  const { series, timestamp, value, values, dimensions } = result.data;
  return {
    ok: true,
    event: {
      series,
      timestamp,
      values: values ?? { [SINGLE_CHANNEL]: value as number },
      dimensions: dimensions ?? NO_DIMENSIONS,
    },
  };
}
