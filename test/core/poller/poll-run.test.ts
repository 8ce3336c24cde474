import { describe, expect, it } from 'vitest';
import { ROW_ID, ROW_MS, ROW_TS, type Watermark } from '../../../core/poller/poll-query.ts';
import {
  PollWriteError,
  pollOnce,
  type RowSource,
  type WatermarkStore,
} from '../../../core/poller/poll-run.ts';
import { parsePollerSource } from '../../../core/poller/poller-config.ts';
import type { SourceRow } from '../../../core/poller/row-events.ts';
import { FaultyDeadLetters } from '../../support/fault-injection.ts';

const T0 = Date.UTC(2026, 0, 1);

/** Rows 1..n one second apart, paged the way the SQL pages them. */
function table(n: number): RowSource {
  const rows: SourceRow[] = Array.from({ length: n }, (_, i) => ({
    [ROW_ID]: String(i + 1),
    [ROW_TS]: new Date(T0 + i * 1000).toISOString(),
    [ROW_MS]: T0 + i * 1000,
    v: i + 1,
  }));
  return {
    page: async (after, limit) => {
      const from = after ? rows.findIndex((r) => r[ROW_ID] === after.id) + 1 : 0;
      return rows.slice(from, from + limit);
    },
  };
}

/** A watermark store in memory that records each move. */
function memoryWatermarks(): WatermarkStore & { moves: Watermark[] } {
  let current: Watermark | undefined;
  const moves: Watermark[] = [];
  return {
    moves,
    get: async () => current,
    advance: async (_s, _from, to) => {
      current = to;
      moves.push(to);
    },
  };
}

const source = parsePollerSource({
  name: 's',
  table: 't',
  idColumn: 'id',
  timestampColumn: 'ts',
  series: 'x',
  valueColumns: ['v'],
  pageSize: 4,
  maxRowsPerRun: 10,
});

describe('pollOnce', () => {
  it('stops at the row budget and resumes from the watermark next time', async () => {
    // Prepare
    const watermarks = memoryWatermarks();
    const sent: number[] = [];
    const sender = {
      sendValidated: async (events: readonly { event: { values: Record<string, number> } }[]) => {
        sent.push(...events.map((e) => e.event.values.value as number));
        return { sent: events.length, failed: [] };
      },
    };
    const deps = {
      rows: table(13),
      watermarks,
      sender,
      deadLetters: new FaultyDeadLetters(undefined),
      now: () => T0,
    };

    // Act
    const first = await pollOnce(source, deps);
    const second = await pollOnce(source, deps);

    // Assess
    expect(first).toMatchObject({ pages: 3, rows: 10, stoppedBy: 'max-rows' });
    expect(second).toMatchObject({ pages: 1, rows: 3, stoppedBy: 'caught-up' });
    expect(sent).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(watermarks.moves.map((m) => m.id)).toEqual(['4', '8', '10', '13']);
  });

  it('stops when out of time, before reading another page', async () => {
    // Prepare
    let pages = 0;
    const deps = {
      rows: table(20),
      watermarks: memoryWatermarks(),
      sender: { sendValidated: async (e: readonly unknown[]) => ({ sent: e.length, failed: [] }) },
      deadLetters: new FaultyDeadLetters(undefined),
      hasTime: () => ++pages <= 2,
      now: () => T0,
    };

    // Act / Assess
    expect(await pollOnce(source, deps)).toMatchObject({ pages: 2, rows: 8, stoppedBy: 'time' });
  });

  it('keeps the watermark before a page the stream refused, and says so', async () => {
    // Prepare
    const watermarks = memoryWatermarks();
    let calls = 0;
    const sender = {
      sendValidated: async (events: readonly { index: number }[]) =>
        ++calls === 2
          ? {
              sent: 3,
              failed: [
                {
                  index: events[0]?.index ?? 0,
                  code: 'ProvisionedThroughputExceededException',
                  message: 'slow',
                },
              ],
            }
          : { sent: events.length, failed: [] },
    };

    // Act
    const run = pollOnce(source, {
      rows: table(10),
      watermarks,
      sender,
      deadLetters: new FaultyDeadLetters(undefined),
      now: () => T0,
    });

    // Assess
    await expect(run).rejects.toThrow(PollWriteError);
    await expect(run).rejects.toThrow(
      /1 of 4 events of s were refused by the stream \(ProvisionedThroughputExceededException\)/,
    );
    expect(watermarks.moves.map((m) => m.id)).toEqual(['4']);
  });
});
