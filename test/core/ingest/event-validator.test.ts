import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventInput, parseEvent, type TimeWindow } from '../../../core/events/event-schema.ts';
import { TIMESTAMP_MS_RANGE } from '../../../core/ingest/event-json-schema.ts';
import { EventValidator } from '../../../core/ingest/event-validator.ts';

const NOW = 1_700_000_000_000;
const window: TimeWindow = { now: NOW, maxFutureMs: 300_000 };

/** The same verdict: both accept with equal events, or both refuse with the same message. */
function same(a: ReturnType<typeof parseEvent>, b: ReturnType<typeof parseEvent>): void {
  expect(a.ok).toBe(b.ok);
  if (a.ok && b.ok) expect(a.event).toEqual(b.event);
  if (!a.ok && !b.ok) expect(a.error.message).toBe(b.error.message);
}

const names = fc.oneof(
  fc.constantFrom(
    'cpu',
    'up{job="a"}',
    'a\\ b',
    'x\u0007',
    '',
    's'.repeat(257),
    'é'.repeat(200),
    'time',
    '_x',
    'a:b',
    '__proto__',
  ),
  fc.string({ maxLength: 12 }),
);
const numbers = fc.oneof(
  fc.double(),
  fc.constantFrom(0, -0, 1e100, -1e100, 1e101, Number.NaN, Number.POSITIVE_INFINITY, 1.5),
  fc.integer(),
);
const timestamps = fc.oneof(
  fc.constantFrom(
    TIMESTAMP_MS_RANGE.minimum,
    TIMESTAMP_MS_RANGE.minimum - 1,
    TIMESTAMP_MS_RANGE.maximum,
    TIMESTAMP_MS_RANGE.maximum + 0.5,
    NOW + 300_000,
    NOW + 300_000.9,
    NOW + 300_001,
    1_700_000_000,
    '2024-02-30T00:00:00Z',
    '2024-01-01',
  ),
  fc.double({ min: 0, max: 1e13 }),
);
const inputs = fc.record(
  {
    series: names,
    timestamp: timestamps,
    value: numbers,
    values: fc.dictionary(names, numbers, { maxKeys: 3 }),
    dimensions: fc.dictionary(names, names, { maxKeys: 3 }),
    kind: fc.constantFrom('gauge', 'counter', 'histogram'),
    unit: fc.constant('ms'),
  },
  { requiredKeys: [] },
);

describe('EventValidator', () => {
  it('gives what parseEvent gives, for any input, first seen or remembered', () => {
    // Prepare: one validator for the whole run, so identities are remembered across inputs.
    const validator = new EventValidator();

    // Act / Assess
    fc.assert(
      fc.property(inputs, fc.boolean(), (generated, withWindow) => {
        // Any shape at all, as producers send it: the validator takes what parseEvent takes.
        const input = generated as EventInput;
        const w = withWindow ? window : undefined;
        same(validator.validate(input, w), parseEvent(input, w));
        same(validator.validate(input, w), parseEvent(input, w));
      }),
      { numRuns: 3_000, seed: 9 },
    );
  });

  it('gives what parseEvent gives for one value per series, through the translator path', () => {
    // Prepare
    const validator = new EventValidator();

    // Act / Assess
    fc.assert(
      fc.property(
        names,
        timestamps.filter((t) => typeof t === 'number'),
        numbers,
        fc.constantFrom(undefined, 'counter' as const),
        (series, timestamp, value, kind) => {
          const input = { series, timestamp, value, ...(kind ? { kind } : {}) };
          for (let i = 0; i < 2; i += 1) {
            same(
              validator.validateValue(series, timestamp as number, value, undefined, kind, window),
              parseEvent(input, window),
            );
          }
        },
      ),
      { numRuns: 3_000, seed: 11 },
    );
  });
});
