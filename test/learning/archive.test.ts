import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localArchive, s3Archive } from '../../adapters/archive-reader.ts';
import { createArchiveSink, localArchiveSink } from '../../adapters/archive-sink.ts';
import { S3ObjectStore } from '../../adapters/s3-object-store.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { type ArchiveReader, archiveHourPrefixes, seriesInTimeOrder } from '../../core/learning/archive.ts';
import { ARRIVAL_SECONDS, aggregated, batch, record } from '../support/kinesis-records.ts';
import { fakeS3 } from '../support/s3-fake.ts';

const T0 = ARRIVAL_SECONDS * 1000;
const event = (series: string, i: number, value = i) => ({ series, timestamp: T0 + i * 60_000, value });

async function readAll(reader: ArchiveReader, from: number, to: number) {
  const events: MeasurementEvent[] = [];
  let invalid = 0;
  for await (const chunk of reader.chunks(from, to)) {
    events.push(...chunk.events);
    invalid += chunk.invalid;
  }
  return { events, invalid };
}

const dir = mkdtempSync(join(tmpdir(), 'seismo-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('archive sink and readers', () => {
  it('archives a batch by arrival hour and reads back the events of a window, in time order per series', async () => {
    // Prepare
    const root = join(dir, 'a');
    const sink = localArchiveSink(root);
    const first = batch([event('cpu', 2), event('cpu', 1), event('mem', 1)], 0);
    const kpl = await aggregated(
      [
        { partitionKey: 'cpu', data: JSON.stringify(event('cpu', 3)) },
        { partitionKey: 'cpu', data: JSON.stringify(event('cpu', 4)) },
      ],
      10,
    );
    const bad = record('{not json', 'x', 11);
    const pretty = record(JSON.stringify(event('mem', 2), null, 2), 'mem', 12);

    // Act
    await sink(first.Records);
    await sink([kpl, bad, pretty]);
    await sink(first.Records); // a retried batch rewrites its object
    const { events, invalid } = await readAll(localArchive(root), T0, T0 + 4 * 60_000);

    // Assess
    const hour = readdirSync(join(root, 'archive', 'day=2024-01-01', 'hour=00'));
    expect(hour).toHaveLength(2);
    expect(invalid).toBe(1);
    const histories = seriesInTimeOrder(events);
    expect(histories.map((h) => [h.series, h.timestamps.map((t) => (t - T0) / 60_000)])).toEqual([
      ['cpu', [1, 2, 3]], // cpu 4 is outside [from, to)
      ['mem', [1, 2]],
    ]);
  });

  it('reads what Firehose writes to S3: gzipped or plain objects under the hour prefixes of the window', async () => {
    // Prepare
    const s3 = fakeS3(2);
    const store = new S3ObjectStore(s3.client, 'learning');
    await createArchiveSink(store)(batch([event('a', 0), event('a', 5)]).Records);
    s3.objects.set(
      'archive/day=2024-01-01/hour=01/firehose-plain',
      Buffer.from(`${JSON.stringify({ series: 'a', timestamp: T0 + 3_600_000, value: 7 })}\n`),
    );
    s3.objects.set(
      'archive/day=2023-12-30/hour=00/too-old',
      Buffer.from(`${JSON.stringify(event('a', 1))}\n`),
    );

    // Act
    const { events } = await readAll(s3Archive(s3.client, 'learning'), T0, T0 + 2 * 3_600_000);

    // Assess
    expect(events.map((e) => [e.series, e.timestamp - T0]).sort()).toEqual([
      ['a', 0],
      ['a', 300_000],
      ['a', 3_600_000],
    ]);
  });

  it('lists the arrival hours a window can be in, with room for late arrival', () => {
    expect(archiveHourPrefixes(Date.UTC(2026, 0, 1, 10, 30), Date.UTC(2026, 0, 1, 11), 3_600_000, 0)).toEqual(
      ['archive/day=2026-01-01/hour=10/', 'archive/day=2026-01-01/hour=11/'],
    );
  });
});
