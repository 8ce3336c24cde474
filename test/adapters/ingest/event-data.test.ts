import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventData } from '../../../adapters/ingest/kinesis-event-writer.ts';
import { parseEvent } from '../../../core/events/event-schema.ts';

describe('eventData', () => {
  it('writes exactly JSON.stringify(event) for the events parseEvent makes, escapes and odd numbers included', () => {
    // Prepare
    const series = fc.oneof(
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.constantFrom('a{b="c\\"d"}', 'tab\there', 'ünï©ødé', 'line\nbreak', 'q"uote'),
    );
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e100, max: 1e100 }),
      fc.constantFrom(-0, 0, 1e21, 5e-324, 0.1 + 0.2, 123456789012345680000),
    );
    const input = fc.record(
      {
        series,
        timestamp: fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }),
        value,
        kind: fc.constantFrom('counter', 'gauge'),
        dimensions: fc.dictionary(
          fc.constantFrom('region', 'host'),
          fc.string({ minLength: 1, maxLength: 8 }),
        ),
      },
      { requiredKeys: ['series', 'timestamp', 'value'] },
    );

    // Act + Assess
    fc.assert(
      fc.property(input, (raw) => {
        const parsed = parseEvent(raw);
        fc.pre(parsed.ok);
        if (!parsed.ok) return;
        expect(eventData(parsed.event).toString('utf8')).toBe(JSON.stringify(parsed.event));
      }),
      { seed: 9, numRuns: 2_000 },
    );
  });

  it('falls back to JSON.stringify for channels and dimensions', () => {
    // Prepare
    const event = {
      series: 'pump',
      timestamp: 1_700_000_000_000,
      values: { pressure: 3.2, flow: 0.8 },
      dimensions: { site: 'north' },
    };

    // Act
    const data = eventData(event).toString('utf8');

    // Assess
    expect(data).toBe(JSON.stringify(event));
  });
});
