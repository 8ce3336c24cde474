import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../core/events/event-schema.ts';
import { decodeBatch } from '../../functions/detect/decode-records.ts';
import { AGGREGATE_MAX_BYTES, aggregateBySeries } from '../../producer/kpl-aggregate.ts';
import { record } from '../support/kinesis-records.ts';

const T0 = Date.UTC(2026, 0, 1);

function validated(inputs: readonly object[]) {
  return inputs.map((input, index) => {
    const parsed = parseEvent(input);
    if (!parsed.ok) throw parsed.error;
    return { event: parsed.event, index };
  });
}

describe('aggregateBySeries', () => {
  it("packs each series' events into records the detector de-aggregates back, in order", () => {
    // Prepare: three series interleaved.
    const inputs = Array.from({ length: 30 }, (_, i) => ({
      series: ['a', 'b', 'c'][i % 3] as string,
      timestamp: T0 + i * 1000,
      value: i,
      ...(i % 2 === 0 ? { dimensions: { host: `h${i}` } } : {}),
    }));

    // Act
    const records = aggregateBySeries(validated(inputs));
    const decoded = decodeBatch(records.map((r, i) => record(Buffer.from(r.data), r.partitionKey, i)));

    // Assess
    expect(records.map((r) => r.partitionKey)).toEqual(['a', 'b', 'c']);
    expect(decoded.rejected).toEqual([]);
    for (const series of ['a', 'b', 'c']) {
      const got = decoded.accepted.filter((a) => a.event.series === series).map((a) => a.event);
      const want = validated(inputs.filter((e) => e.series === series)).map((v) => v.event);
      expect(got).toEqual(want);
    }
    expect(records[0]?.events).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
  });

  it('never mixes series in one aggregate, and sends a lone event as a plain record', () => {
    // Act
    const records = aggregateBySeries(
      validated([
        { series: 'x', timestamp: T0, value: 1 },
        { series: 'y', timestamp: T0, value: 2 },
        { series: 'x', timestamp: T0 + 1, value: 3 },
      ]),
    );

    // Assess
    expect(records).toHaveLength(2);
    expect(JSON.parse(Buffer.from(records[1]?.data ?? []).toString())).toEqual({
      series: 'y',
      timestamp: T0,
      value: 2,
    });
    const magic = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
    expect(Buffer.from(records[0]?.data ?? []).subarray(0, 4)).toEqual(magic);
  });

  it('spreads a series over several aggregates under 1 MiB each when it does not fit one', () => {
    // Prepare: about 2.5 MB of one series.
    const inputs = Array.from({ length: 1200 }, (_, i) => ({
      series: 'wide',
      timestamp: T0 + i,
      values: Object.fromEntries(
        Array.from({ length: 32 }, (_, c) => [`channel_${'x'.repeat(50)}_${c}`, i + c]),
      ),
    }));

    // Act
    const records = aggregateBySeries(validated(inputs));
    const decoded = decodeBatch(records.map((r, i) => record(Buffer.from(r.data), r.partitionKey, i)));

    // Assess
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const r of records) expect(r.data.byteLength).toBeLessThanOrEqual(AGGREGATE_MAX_BYTES + 1024);
    expect(records.flatMap((r) => r.events)).toEqual(inputs.map((_, i) => i));
    expect(decoded.accepted.map((a) => a.event.timestamp)).toEqual(inputs.map((e) => e.timestamp));
  });
});
