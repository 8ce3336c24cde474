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
