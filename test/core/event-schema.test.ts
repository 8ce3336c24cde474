import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS,
  EventValidationError,
  type MeasurementEvent,
  parseEvent,
  SINGLE_CHANNEL,
} from '../../core/events/event-schema.ts';

const MIDNIGHT_2024 = Date.UTC(2024, 0, 1);
const EPOCH_MS = 1_700_000_000_000;

/** A valid single-value event with `overrides` applied (a key set to undefined is removed). */
function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { series: 'cpu', timestamp: EPOCH_MS, value: 1 };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  return base;
}

function accepted(input: unknown): MeasurementEvent {
  const result = parseEvent(input);
  if (!result.ok) throw new Error(`expected the event to be accepted, got: ${result.error.message}`);
  return result.event;
}

function rejected(input: unknown): EventValidationError {
  const result = parseEvent(input);
  if (result.ok) throw new Error(`expected the event to be rejected, got ${JSON.stringify(result.event)}`);
  return result.error;
}

describe('parseEvent', () => {
  describe('accepts', () => {
    it('a single-value event, as the channel "value" with no dimensions', () => {
      // Prepare
      const input = { series: 'cpu', timestamp: EPOCH_MS, value: 42.5 };
      // Act
      const parsed = accepted(input);
      // Assess
      expect(parsed).toEqual({
        series: 'cpu',
        timestamp: EPOCH_MS,
        values: { [SINGLE_CHANNEL]: 42.5 },
        dimensions: {},
      });
    });

    it('a multi-channel event with dimensions, keeping every channel', () => {
      // Prepare
      const input = {
        series: 'pump-7',
        timestamp: EPOCH_MS,
        values: { pressure: 3.2, temperature: -4, flow: 0 },
        dimensions: { site: 'north', line: '2' },
      };
      // Act
      const parsed = accepted(input);
      // Assess
      expect(parsed.values).toEqual({ pressure: 3.2, temperature: -4, flow: 0 });
      expect(parsed.dimensions).toEqual({ site: 'north', line: '2' });
    });

    it('backslashes every store reads alike, and non-ASCII text', () => {
      // Prepare
      const input = event({
        series: 'C:\\temp\\disk',
        dimensions: { région: 'Zürich · 東京', path: 'a\\b' },
      });
      // Act
      const parsed = accepted(input);
      // Assess
      expect(parsed.series).toBe('C:\\temp\\disk');
    });

    it('a counter, marked so its rate is scored; "gauge" is the default and is not carried', () => {
      // Act
      const counter = accepted(event({ kind: 'counter' }));
      const gauge = accepted(event({ kind: 'gauge' }));
      // Assess
      expect(counter.kind).toBe('counter');
      expect(gauge).not.toHaveProperty('kind');
      expect(rejected(event({ kind: 'histogram' })).issues).toEqual([
        { field: 'kind', rule: 'must be "gauge" or "counter"' },
      ]);
    });

    it('limits exactly at their maximum', () => {
      // Prepare
      const input = {
        series: 's'.repeat(EVENT_LIMITS.seriesLength),
        timestamp: EPOCH_MS,
        values: Object.fromEntries(Array.from({ length: EVENT_LIMITS.channels }, (_, i) => [`c${i}`, i])),
        dimensions: { host: 'h'.repeat(EVENT_LIMITS.dimensionValueLength) },
      };
      // Act
      const parsed = accepted(input);
      // Assess
      expect(Object.keys(parsed.values)).toHaveLength(EVENT_LIMITS.channels);
    });

    it.each([
      ['with Z', '2024-01-01T00:00:00Z'],
      ['with an offset', '2024-01-01T02:00:00+02:00'],
      ['with a compact offset', '2023-12-31T19:00:00-0500'],
      ['with no zone, read as UTC', '2024-01-01T00:00:00'],
      ['with a space separator, read as UTC', '2024-01-01 00:00:00'],
      ['with a space separator and an offset', '2024-01-01 01:00:00+01:00'],
      ['as a date only', '2024-01-01'],
    ])('an ISO 8601 timestamp %s', (_label, timestamp) => {
      // Prepare
      const input = event({ timestamp });
      // Act
      const parsed = accepted(input);
      // Assess
      expect(parsed.timestamp).toBe(MIDNIGHT_2024);
    });

    it('fractional seconds, to the millisecond', () => {
      // Prepare
      const input = event({ timestamp: '2024-01-01T00:00:00.123Z' });
      // Act
      const parsed = accepted(input);
      // Assess
      expect(parsed.timestamp).toBe(MIDNIGHT_2024 + 123);
    });

    it('epoch milliseconds unchanged', () => {
      // Prepare
      const input = event({ timestamp: MIDNIGHT_2024 + 1 });
      // Act
      const parsed = accepted(input);
      // Assess
      expect(parsed.timestamp).toBe(MIDNIGHT_2024 + 1);
    });
  });

  describe('rejects, naming the field and the rule', () => {
    it.each([
      ['a NaN value', event({ value: Number.NaN }), 'value', /finite/],
      ['an infinite value', event({ value: Number.POSITIVE_INFINITY }), 'value', /finite/],
      ['a NaN channel', event({ value: undefined, values: { a: 1, b: Number.NaN } }), 'values.b', /finite/],
      [
        'a -Infinity channel',
        event({ value: undefined, values: { a: Number.NEGATIVE_INFINITY } }),
        'values.a',
        /finite/,
      ],
      ['a missing series', event({ series: undefined }), 'series', /required/],
      ['an empty series', event({ series: '' }), 'series', /empty/],
      [
        'an oversized series',
        event({ series: 's'.repeat(EVENT_LIMITS.seriesLength + 1) }),
        'series',
        new RegExp(`at most ${EVENT_LIMITS.seriesLength}`),
      ],
      ['a missing timestamp', event({ timestamp: undefined }), 'timestamp', /required/],
      ['an unparseable timestamp', event({ timestamp: 'yesterday' }), 'timestamp', /ISO 8601/],
      ['an out-of-range month', event({ timestamp: '2024-13-01T00:00:00Z' }), 'timestamp', /ISO 8601/],
      ['epoch seconds', event({ timestamp: 1_700_000_000 }), 'timestamp', /epoch seconds/],
      ['both value and values', event({ values: { a: 1 } }), 'value', /exactly one/],
      ['neither value nor values', event({ value: undefined }), 'value', /exactly one/],
      [
        'too many channels',
        event({
          value: undefined,
          values: Object.fromEntries(
            Array.from({ length: EVENT_LIMITS.channels + 1 }, (_, i) => [`c${i}`, i]),
          ),
        }),
        'values',
        new RegExp(`at most ${EVENT_LIMITS.channels} channels`),
      ],
      [
        'an oversized dimension value',
        event({ dimensions: { host: 'h'.repeat(EVENT_LIMITS.dimensionValueLength + 1) } }),
        'dimensions.host',
        new RegExp(`at most ${EVENT_LIMITS.dimensionValueLength}`),
      ],
      ['a non-string dimension value', event({ dimensions: { host: 7 } }), 'dimensions.host', /string/],
      ['a string value', event({ value: '1' }), 'value', /number/],
      ['a value whose square overflows', event({ value: 1e200 }), 'value', /at most 1e\+100 in magnitude/],
      ['a line break in the series', event({ series: 'cpu\nload' }), 'series', /control characters/],
      [
        'an escape sequence in the series',
        event({ series: 'cpu\u001b[31m' }),
        'series',
        /control characters/,
      ],
      [
        'a NUL in a channel name',
        event({ value: undefined, values: { 'a\u0000': 1 } }),
        'values.a\u0000',
        /control/,
      ],
      ['a series ending in a backslash', event({ series: 'cpu\\' }), 'series', /backslash must not end it/],
      [
        'a double backslash in a dimension',
        event({ dimensions: { dir: 'C:\\\\x' } }),
        'dimensions.dir',
        /backslash/,
      ],
      ['a dimension named "series"', event({ dimensions: { series: 'x' } }), 'dimensions.series', /reserved/],
      [
        'a dimension named "Channel"',
        event({ dimensions: { Channel: 'x' } }),
        'dimensions.Channel',
        /reserved/,
      ],
      ['a dimension named "time"', event({ dimensions: { time: 'x' } }), 'dimensions.time', /reserved/],
      ['a dimension starting with "ts_"', event({ dimensions: { ts_x: 'x' } }), 'dimensions.ts_x', /ts_/],
      ['a dimension starting with "_"', event({ dimensions: { _x: 'x' } }), 'dimensions._x', /InfluxDB/],
      ['a dimension name with ":"', event({ dimensions: { 'a:b': 'x' } }), 'dimensions.a:b', /":"/],
      [
        'a 61-byte dimension name',
        event({ dimensions: { ['é'.repeat(31)]: 'x' } }),
        `dimensions.${'é'.repeat(31)}`,
        /60 bytes/,
      ],
      [
        'a year-0001 timestamp',
        event({ timestamp: '0001-01-01T00:00:00Z' }),
        'timestamp',
        /between 1973-03-03 and 2262/,
      ],
      [
        'a year-9999 timestamp',
        event({ timestamp: '9999-12-31T00:00:00Z' }),
        'timestamp',
        /between 1973-03-03 and 2262/,
      ],
      ['a timestamp of 1e300', event({ timestamp: 1e300 }), 'timestamp', /between 1973-03-03 and 2262/],
      [
        'a "__proto__" channel',
        event({ value: undefined, values: JSON.parse('{"__proto__": 1, "a": 2}') }),
        'values.__proto__',
        /not allowed/,
      ],
      [
        'a "__proto__" dimension',
        event({ dimensions: JSON.parse('{"__proto__": "x"}') }),
        'dimensions.__proto__',
        /not allowed/,
      ],
      [
        'series, channel and dimensions over 1536 bytes together',
        event({
          dimensions: Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`d${i}`, 'v'.repeat(220)])),
        }),
        'dimensions',
        /over the limit of 1536/,
      ],
    ])('%s', (_label, input, field, rule) => {
      // Prepare: the input above
      // Act
      const error = rejected(input);
      // Assess
      expect(error).toBeInstanceOf(EventValidationError);
      expect(error.issues).toContainEqual({ field, rule: expect.stringMatching(rule) });
      expect(error.message).toContain(`${field}: `);
    });

    it('an unknown field, naming it', () => {
      // Prepare
      const input = event({ colour: 'red' });
      // Act
      const error = rejected(input);
      // Assess
      expect(error.issues).toEqual([{ field: '(event)', rule: expect.stringContaining('colour') }]);
    });

    it.each([
      ['null', null],
      ['undefined', undefined],
      ['a string', '{"series":"cpu"}'],
      ['a number', 42],
      ['an array', [{ series: 'cpu', timestamp: EPOCH_MS, value: 1 }]],
    ])('%s instead of an object', (_label, input) => {
      // Prepare: the input above
      // Act
      const error = rejected(input);
      // Assess
      expect(error.issues).toEqual([{ field: '(event)', rule: expect.stringMatching(/object/) }]);
    });

    // JSON cannot carry NaN or Infinity, but the CSV scorer and other JS callers can pass them.
    it.each([
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
    ])('a %s timestamp, saying it must be finite', (_label, timestamp) => {
      // Prepare
      const input = event({ timestamp });
      // Act
      const error = rejected(input);
      // Assess
      expect(error.issues).toContainEqual({ field: 'timestamp', rule: expect.stringMatching(/finite/) });
    });

    it('a timestamp too far ahead of the receiving clock, or older than the store accepts, when given a clock', () => {
      // Prepare
      const now = EPOCH_MS;
      const window = { now, maxFutureMs: 300_000, maxAgeMs: 86_400_000 };
      // Act
      const ahead = parseEvent(event({ timestamp: now + 300_001 }), window);
      const justAhead = parseEvent(event({ timestamp: now + 300_000 }), window);
      const old = parseEvent(event({ timestamp: now - 86_400_001 }), window);
      const historyWithoutClock = parseEvent(event({ timestamp: now - 86_400_001 }));
      // Assess
      expect(ahead.ok ? 'accepted' : ahead.error.message).toMatch(
        /timestamp: is 300 s ahead .* at most 300 s ahead/,
      );
      expect(justAhead.ok).toBe(true);
      expect(old.ok ? 'accepted' : old.error.message).toMatch(/timestamp: is older than the 1 days/);
      expect(historyWithoutClock.ok).toBe(true);
    });

    it('thousands of broken channels with a bounded reason', () => {
      // Prepare
      const values = Object.fromEntries(Array.from({ length: 6_000 }, (_, i) => [`c${i}`, 'x']));
      // Act
      const error = rejected(event({ value: undefined, values }));
      // Assess
      expect(error.issues.length).toBeLessThanOrEqual(10);
      expect(error.message).toMatch(/and \d+ more issue\(s\)$/);
      expect(error.message.length).toBeLessThan(2_000);
    });

    it('a calendar-impossible date rather than rolling it into the next month', () => {
      // Prepare
      const input = event({ timestamp: '2023-02-30T00:00:00Z' });
      // Act
      const result = parseEvent(input);
      // Assess
      expect(result.ok ? new Date(result.event.timestamp).toISOString() : 'rejected').toBe('rejected');
    });
  });
});
