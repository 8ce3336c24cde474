import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localArchive as readArchive } from '../../adapters/archive-reader.ts';
import { archivingHandler, localArchive, localChampionSource } from '../../local/learning-hooks.ts';
import { scratch } from '../functions/retrain-fixtures.ts';
import { ARRIVAL_SECONDS, batch } from '../support/kinesis-records.ts';

const dir = scratch();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local learning hooks', () => {
  it('archives every batch the event source delivers, before the detector sees it', async () => {
    // Prepare
    const seen: number[] = [];
    const handler = archivingHandler(async (event) => {
      seen.push(event.Records.length);
      return { batchItemFailures: [] };
    }, localArchive(dir));
    const t = ARRIVAL_SECONDS * 1000;

    // Act
    await handler(
      batch([
        { series: 'a', timestamp: t, value: 1 },
        { series: 'a', timestamp: t + 1, value: 2 },
      ]),
    );

    // Assess
    expect(seen).toEqual([2]);
    expect(readdirSync(join(dir, 'archive', 'day=2024-01-01', 'hour=00'))).toHaveLength(1);
    let events = 0;
    for await (const chunk of readArchive(dir).chunks(t, t + 10)) events += chunk.events.length;
    expect(events).toBe(2);
  });

  it('never fails a batch because the archive failed', async () => {
    // Prepare
    const errors: string[] = [];
    const handler = archivingHandler(
      async () => ({ batchItemFailures: [] }),
      async () => {
        throw new Error('disk full');
      },
      (e) => errors.push(e.message),
    );

    // Act
    const response = await handler(batch([{ series: 'a', timestamp: 1, value: 1 }]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(errors).toEqual(['disk full']);
  });

  it('reads no champion before any promotion', async () => {
    expect(await localChampionSource(dir).championPointer()).toBeUndefined();
  });
});
