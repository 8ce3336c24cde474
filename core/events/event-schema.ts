import { z } from 'zod';
import { dimensionNameRuleBroken, MAX_DIMENSION_NAME_BYTES, nameRuleBroken } from './name-rules.ts';

/**
 * Limits that keep one record from hurting a batch and that every backend accepts (Timestream's 2 KB of
 * dimensions per series and 60-byte dimension names, InfluxDB's tag syntax, Kinesis's 256-character
 * partition keys); each rejection names the limit it broke.
 */
export const EVENT_LIMITS = {
  seriesLength: 256,
  channels: 32,
  channelNameLength: 64,
  dimensions: 16,
  /** In UTF-8 bytes (Timestream counts bytes). */
  dimensionKeyLength: MAX_DIMENSION_NAME_BYTES,
  dimensionValueLength: 256,
  /**
   * UTF-8 bytes of what identifies one stored series: the series, the channel and every dimension, names
   * and values. Timestream allows 2 KB of dimensions per series and per record; the rest of a record is
   * the scores Seismo writes beside them.
   */
  identityBytes: 1536,
  /** Largest magnitude of a value: its square, and sums of squares, stay finite in double precision. */
  absoluteValue: 1e100,
} as const;

/**
 * The epoch-ms range every store can hold. Below the minimum (1973-03-03) a number almost surely means the
 * producer sent seconds; the maximum is the latest time InfluxDB can store (nanoseconds in a signed 64-bit
 * integer): 2262-04-11.
 */
export const EPOCH_MS_RANGE = { minimum: 1e11, maximum: 9_223_372_036_854 } as const;
const MIN_EPOCH_MS = EPOCH_MS_RANGE.minimum;
const MAX_EPOCH_MS = EPOCH_MS_RANGE.maximum;
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
  .max(EVENT_LIMITS.seriesLength, { error: `must be at most ${EVENT_LIMITS.seriesLength} characters` })
  .superRefine(nameRules);

/** Adds the issue of a name or tag that some backend could not store as sent. */
function nameRules(text: string, ctx: z.RefinementCtx): void {
  const broken = nameRuleBroken(text);
  if (broken) ctx.addIssue({ code: 'custom', message: broken });
}

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
    return inStorableRange(raw, ctx);
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
  return inStorableRange(ms, ctx);
});

/** Times every store can hold: from 1973-03-03 (earlier epoch ms are almost surely seconds) to 2262. */
function inStorableRange(ms: number, ctx: z.RefinementCtx): number {
  if (ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) {
    ctx.addIssue({ code: 'custom', message: 'must be between 1973-03-03 and 2262-04-11' });
    return z.NEVER;
  }
  return Math.trunc(ms);
}

const measurementSchema = z
  .number({ error: 'must be a finite number' })
  .refine(Number.isFinite, { error: 'must be a finite number (not NaN or Infinity)' })
  .refine((v) => Math.abs(v) <= EVENT_LIMITS.absoluteValue, {
    error: `must be at most ${EVENT_LIMITS.absoluteValue} in magnitude`,
  });

const channelsSchema = z
  .record(
    z
      .string()
      .min(1, { error: 'channel name must not be empty' })
      .max(EVENT_LIMITS.channelNameLength, {
        error: `channel name must be at most ${EVENT_LIMITS.channelNameLength} characters`,
      })
      .superRefine(nameRules),
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
      .min(1, { error: 'dimension name must not be empty' })
      .superRefine((name, ctx) => {
        const broken = dimensionNameRuleBroken(name);
        if (broken) ctx.addIssue({ code: 'custom', message: `dimension name ${broken}` });
      }),
    z
      .string({ error: 'must be a string' })
      .max(EVENT_LIMITS.dimensionValueLength, {
        error: `must be at most ${EVENT_LIMITS.dimensionValueLength} characters`,
      })
      .superRefine(nameRules),
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
      kind: z.enum(['gauge', 'counter'], { error: 'must be "gauge" or "counter"' }).optional(),
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
    const bytes = identityBytes(event.series, event.values ?? {}, event.dimensions ?? {});
    if (bytes > EVENT_LIMITS.identityBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['dimensions'],
        message: `series, channel and dimensions together take ${bytes} bytes of UTF-8, over the limit of ${EVENT_LIMITS.identityBytes}`,
      });
    }
  });

/** UTF-8 bytes of the largest stored identity the event gives: series, channel and dimensions, as tags. */
function identityBytes(
  series: string,
  values: Readonly<Record<string, number>>,
  dimensions: Readonly<Record<string, string>>,
): number {
  let bytes = 'series'.length + Buffer.byteLength(series);
  for (const [name, value] of Object.entries(dimensions))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  let channel = 0;
  for (const name in values) {
    if (name !== SINGLE_CHANNEL) channel = Math.max(channel, 'channel'.length + Buffer.byteLength(name));
  }
  return bytes + channel;
}

/** An event as it arrives on the wire, before validation. */
export type EventInput = z.input<typeof EventSchema>;

/** A validated event: timestamp normalised to epoch ms, channels always as a map. */
export interface MeasurementEvent {
  readonly series: string;
  readonly timestamp: number;
  /** One entry per channel; a single-value event has the channel `value`. */
  readonly values: Readonly<Record<string, number>>;
  readonly dimensions: Readonly<Record<string, string>>;
  /**
   * `gauge` (when absent): each value is scored as it is. `counter`: every channel is a monotonic counter
   * (bytes sent, requests served) and its rate per second is scored; a drop is a reset, not an anomaly.
   */
  readonly kind?: EventKind;
}

/** How an event's values are read: as they are, or as monotonic counters whose rate is scored. */
export type EventKind = 'gauge' | 'counter';

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

/** Issues listed in a rejection; a record breaking thousands of rules gets a bounded reason. */
const MAX_LISTED_ISSUES = 10;

/**
 * The receiving clock's window, for streaming callers. Without it only the absolute range applies, so
 * history (a CSV backtest, a benchmark) validates the same on any day.
 */
export interface TimeWindow {
  /** Epoch ms of the receiving clock. */
  readonly now: number;
  /** How far ahead of `now` a timestamp may be (producers' clocks drift); beyond it the event is refused. */
  readonly maxFutureMs: number;
  /** How far behind `now` a timestamp may be (what the time-series store still accepts); unbounded if absent. */
  readonly maxAgeMs?: number;
}

/** Keys a plain object cannot hold as data: assigning them changes the object's prototype instead. */
const FORBIDDEN_KEYS = ['__proto__'] as const;

/** Validates one decoded JSON value; never throws for bad input. */
export function parseEvent(input: unknown, window?: TimeWindow): ParseResult {
  const forbidden = forbiddenKeyIssues(input);
  if (forbidden.length > 0) return rejection(forbidden);
  const result = EventSchema.safeParse(input);
  if (!result.success) {
    return rejection(
      result.error.issues.map((issue) => ({
        field: issue.path.length > 0 ? issue.path.join('.') : '(event)',
        // A record key's own rules come nested; the first names what is wrong with the name.
        rule: (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined) ?? issue.message,
      })),
    );
  }
  const { series, timestamp, value, values, dimensions, kind } = result.data;
  if (window) {
    const ahead = timestamp - window.now;
    if (ahead > window.maxFutureMs) {
      return rejection([
        {
          field: 'timestamp',
          rule: `is ${Math.round(ahead / 1000)} s ahead of the receiving clock; at most ${window.maxFutureMs / 1000} s ahead is accepted`,
        },
      ]);
    }
    if (window.maxAgeMs !== undefined && -ahead > window.maxAgeMs) {
      return rejection([
        {
          field: 'timestamp',
          rule: `is older than the ${Math.round(window.maxAgeMs / 86_400_000)} days the time-series store accepts`,
        },
      ]);
    }
  }
  return {
    ok: true,
    event: {
      series,
      timestamp,
      values: values ?? { [SINGLE_CHANNEL]: value as number },
      dimensions: dimensions ?? NO_DIMENSIONS,
      ...(kind === 'counter' && { kind }),
    },
  };
}

function rejection(all: readonly { field: string; rule: string }[]): ParseResult {
  const issues = all.slice(0, MAX_LISTED_ISSUES);
  const more = all.length - issues.length;
  const listed = issues.map((i) => `${i.field}: ${i.rule}`).join('; ');
  const message = `invalid event: ${listed}${more > 0 ? `; and ${more} more issue(s)` : ''}`;
  return { ok: false, error: new EventValidationError(message, issues) };
}

/** `__proto__` keys in `values` or `dimensions`: zod's records would drop them without a word. */
function forbiddenKeyIssues(input: unknown): { field: string; rule: string }[] {
  if (typeof input !== 'object' || input === null) return [];
  const issues: { field: string; rule: string }[] = [];
  for (const field of ['values', 'dimensions'] as const) {
    const map = (input as Record<string, unknown>)[field];
    if (typeof map !== 'object' || map === null) continue;
    for (const key of FORBIDDEN_KEYS) {
      if (Object.hasOwn(map, key))
        issues.push({ field: `${field}.${key}`, rule: `"${key}" is not allowed as a name` });
    }
  }
  return issues;
}
