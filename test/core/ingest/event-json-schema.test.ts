import { describe, expect, it } from 'vitest';
import { EVENT_LIMITS, parseEvent } from '../../../core/events/event-schema.ts';
import {
  DRAFT_4,
  eventJsonSchema,
  eventsRequestJsonSchema,
  MAX_EVENTS_PER_REQUEST,
  TIMESTAMP_MS_RANGE,
} from '../../../core/ingest/event-json-schema.ts';
import { compileDraft4 } from '../../../local/draft4-validator.ts';

// API Gateway validates with a draft-4 validator; ajv's draft-04 build stands in for it here.
const validEvent = compileDraft4(eventJsonSchema());
const validBody = compileDraft4(eventsRequestJsonSchema());

const T = 1_700_000_000_000;
const base = { series: 'cpu', timestamp: T, value: 1 };

/** Events both the detector and the generated schema accept. */
const GOOD: Record<string, unknown> = {
  'single value': base,
  'several channels with dimensions and kind': {
    series: 'pump-7',
    timestamp: T,
    values: { pressure: 3.2, flow: 0 },
    dimensions: { site: 'north' },
    kind: 'counter',
  },
  'ISO 8601 with zone': { ...base, timestamp: '2024-02-29T12:00:00.123456789Z' },
  'ISO 8601 date only': { ...base, timestamp: '2024-02-29' },
  'ISO 8601 with a space and offset': { ...base, timestamp: '2024-02-29 12:00:00+0100' },
  'the earliest epoch ms': { ...base, timestamp: TIMESTAMP_MS_RANGE.minimum },
  'the latest epoch ms': { ...base, timestamp: TIMESTAMP_MS_RANGE.maximum },
  'the largest value': { ...base, value: -EVENT_LIMITS.absoluteValue },
  '32 channels': {
    series: 's',
    timestamp: T,
    values: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`c${i}`, i])),
  },
  '16 dimensions': {
    ...base,
    dimensions: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`d${i}`, 'x'])),
  },
  'a 64-character channel name': { series: 's', timestamp: T, values: { ['c'.repeat(64)]: 1 } },
  'a 256-character series': { ...base, series: 's'.repeat(256) },
  'unicode names': { ...base, series: 'température/salle-β', dimensions: { région: 'île' } },
};

/** Events both refuse (structure, types, counts, lengths, bounds). */
const BAD_FOR_BOTH: Record<string, unknown> = {
  'no series': { timestamp: T, value: 1 },
  'empty series': { ...base, series: '' },
  'series over 256 characters': { ...base, series: 's'.repeat(257) },
  'series not a string': { ...base, series: 7 },
  'no timestamp': { series: 'cpu', value: 1 },
  'timestamp in seconds': { ...base, timestamp: 1_700_000_000 },
  'timestamp after 2262': { ...base, timestamp: TIMESTAMP_MS_RANGE.maximum + 1 },
  'timestamp as a boolean': { ...base, timestamp: true },
  'timestamp text that is no ISO 8601': { ...base, timestamp: 'yesterday' },
  'neither value nor values': { series: 'cpu', timestamp: T },
  'both value and values': { ...base, values: { a: 1 } },
  'value as text': { ...base, value: '1' },
  'value beyond 1e100': { ...base, value: 1e101 },
  'a channel beyond 1e100': { series: 's', timestamp: T, values: { a: -1e101 } },
  'no channel': { series: 's', timestamp: T, values: {} },
  '33 channels': {
    series: 's',
    timestamp: T,
    values: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`c${i}`, i])),
  },
  'a 65-character channel name': { series: 's', timestamp: T, values: { ['c'.repeat(65)]: 1 } },
  '17 dimensions': {
    ...base,
    dimensions: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`d${i}`, 'x'])),
  },
  'a dimension value that is a number': { ...base, dimensions: { site: 3 } },
  'a dimension value over 256 characters': { ...base, dimensions: { site: 'x'.repeat(257) } },
  'an empty dimension name': { ...base, dimensions: { '': 'x' } },
  'an unknown field': { ...base, unit: 'ms' },
  'an unknown kind': { ...base, kind: 'histogram' },
  'not an object': [base],
};

/**
 * Events the detector refuses and the generated schema lets through, because draft-4 cannot say the rule:
 * the detector dead-letters them with the rule broken. Each names that rule.
 */
const DETECTOR_ONLY: Record<string, unknown> = {
  'identity over 1536 bytes of UTF-8': {
    ...base,
    series: 'é'.repeat(256),
    dimensions: Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`d${i}`, 'é'.repeat(200)])),
  },
  'an impossible calendar date': { ...base, timestamp: '2023-02-30T00:00:00Z' },
  'ISO 8601 text before 1973': { ...base, timestamp: '1970-01-02' },
  'a control character in the series': { ...base, series: 'cpu\u0007' },
  'an ambiguous backslash': { ...base, series: 'cpu\\' },
  'a reserved dimension name': { ...base, dimensions: { Series: 'x' } },
  'a dimension name starting with _': { ...base, dimensions: { _field: 'x' } },
  'a dimension name with ":"': { ...base, dimensions: { 'a:b': 'x' } },
  'a dimension name of 60 characters but over 60 bytes': { ...base, dimensions: { ['é'.repeat(31)]: 'x' } },
};

describe('eventJsonSchema', () => {
  it('is draft-4, the dialect API Gateway REST APIs validate with', () => {
    // Act
    const schema = eventJsonSchema();

    // Assess
    expect(schema.$schema).toBe(DRAFT_4);
    expect(JSON.stringify(schema)).not.toMatch(/"(const|propertyNames|if|then|\$defs)"/);
  });

  it.each(Object.entries(GOOD))('accepts what the detector accepts: %s', (_name, input) => {
    // Act
    const detector = parseEvent(input);
    const schema = validEvent(input);

    // Assess
    expect(detector.ok).toBe(true);
    expect(schema, JSON.stringify(validEvent.errors)).toBe(true);
  });

  it.each(Object.entries(BAD_FOR_BOTH))('refuses what the detector refuses: %s', (_name, input) => {
    // Act
    const detector = parseEvent(input);
    const schema = validEvent(input);

    // Assess
    expect(detector.ok).toBe(false);
    expect(schema).toBe(false);
  });

  it.each(Object.entries(DETECTOR_ONLY))(
    'leaves to the detector what draft-4 cannot say: %s',
    (_name, input) => {
      // Act
      const detector = parseEvent(input);
      const schema = validEvent(input);

      // Assess
      expect(detector.ok).toBe(false);
      expect(schema).toBe(true);
    },
  );

  it('is never stricter than the detector over generated events (names, counts, values, times)', () => {
    // Prepare: a seeded walk over the shapes the detector accepts.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const name = (max: number) =>
      Array.from({ length: 1 + Math.floor(random() * max) }, () =>
        String.fromCodePoint(0x20 + Math.floor(random() * 0x2000)),
      ).join('');
    let compared = 0;

    // Act
    for (let i = 0; i < 3_000; i += 1) {
      const channels = Math.floor(random() * 4);
      const input = {
        series: name(40),
        timestamp: random() < 0.5 ? T + Math.floor(random() * 1e9) : new Date(T).toISOString(),
        ...(channels === 0
          ? { value: (random() - 0.5) * 1e6 }
          : { values: Object.fromEntries(Array.from({ length: channels }, () => [name(20), random()])) }),
        dimensions: Object.fromEntries(
          Array.from({ length: Math.floor(random() * 3) }, () => [name(10), name(20)]),
        ),
      };
      if (!parseEvent(input).ok) continue;
      compared += 1;

      // Assess
      expect(validEvent(input), JSON.stringify({ input, errors: validEvent.errors })).toBe(true);
    }
    expect(compared).toBeGreaterThan(500);
  });
});

describe('eventsRequestJsonSchema', () => {
  it(`takes 1 to ${MAX_EVENTS_PER_REQUEST} events and nothing beside them`, () => {
    // Prepare
    const events = (n: number) => Array.from({ length: n }, (_, i) => ({ ...base, timestamp: T + i }));

    // Act / Assess
    expect(validBody({ events: events(1) })).toBe(true);
    expect(validBody({ events: events(MAX_EVENTS_PER_REQUEST) })).toBe(true);
    expect(validBody({ events: events(MAX_EVENTS_PER_REQUEST + 1) })).toBe(false);
    expect(validBody({ events: [] })).toBe(false);
    expect(validBody({ events: events(1), extra: true })).toBe(false);
    expect(validBody([base])).toBe(false);
    expect(validBody({ events: [{ ...base, value: 'x' }] })).toBe(false);
  });
});
