import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf } from '../../cli/csv-layout.ts';
import { type EventTable, readEventTable, timeOrder } from '../../cli/event-table.ts';
import { findSeriesColumn } from '../../cli/long-format.ts';

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

describe('findSeriesColumn', () => {
  let dir: string;
  let files = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-long-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function table(lines: string[]): Promise<EventTable> {
    const file = join(dir, `f${++files}.csv`);
    const text = `${lines.join('\n')}\n`;
    await writeFile(file, text);
    return readEventTable({
      file,
      layout: layoutOf(text),
      timeUnit: 'ms',
      series: 'one',
      choose: () => ({ timestamp: 'time', values: ['value'] }),
      onBadRow: () => {},
    });
  }

  const guess = (t: EventTable) => findSeriesColumn(t, timeOrder(t).repeatedRows);

  it('names the host column of two series interleaved on one time grid', async () => {
    // Prepare
    const lines = ['time,host,value'];
    for (let i = 0; i < 100; i++) lines.push(`${T0 + i * MINUTE},a,${i}`, `${T0 + i * MINUTE},b,${i}`);
    // Act
    const found = guess(await table(lines));
    // Assess
    expect(found).toEqual({ column: 'host', values: ['a', 'b'], disorderedRows: 100 });
  });

  it('names the host column of two series one after the other, on different grids', async () => {
    // Prepare
    const lines = ['time,host,value'];
    for (let i = 0; i < 100; i++) lines.push(`${T0 + i * MINUTE},a,${i}`);
    for (let i = 0; i < 100; i++) lines.push(`${T0 + i * MINUTE + 30_000},b,${i}`);
    // Act
    const found = guess(await table(lines));
    // Assess
    expect(found?.column).toBe('host');
  });

  it('leaves alone a tag that changes every row of one series with a rare repeat', async () => {
    // Prepare
    const lines = ['time,host,value'];
    for (let i = 0; i < 300; i++) lines.push(`${T0 + (i === 200 ? 199 : i) * MINUTE},web-${i % 3},${i}`);
    // Act
    const found = guess(await table(lines));
    // Assess
    expect(found).toBeUndefined();
  });

  it('leaves alone a newest-first series whose tag does not explain the order', async () => {
    // Prepare
    const lines = ['time,host,value'];
    for (let i = 299; i >= 0; i--) lines.push(`${T0 + i * MINUTE},web-${i % 3},${i}`);
    // Act
    const t = await table(lines);
    // Assess
    expect(t.outOfOrderRows).toBe(299);
    expect(guess(t)).toBeUndefined();
  });
});
