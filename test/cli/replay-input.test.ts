import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { memoryIo, STEP_MS, T0 } from './support.ts';

/** The events PutRecords was given, in the order they were sent. */
function sent(kinesis: ReturnType<typeof mockClient>): { key: string; event: Record<string, unknown> }[] {
  return kinesis.commandCalls(PutRecordsCommand).flatMap((call) =>
    (call.args[0].input.Records ?? []).map((r) => ({
      key: r.PartitionKey as string,
      event: JSON.parse(Buffer.from(r.Data as Uint8Array).toString()) as Record<string, unknown>,
    })),
  );
}

describe('seismo replay on files that are not in the plain shape', () => {
  const kinesis = mockClient(KinesisClient);
  const target = ['--stream', 'load', '--endpoint', 'http://127.0.0.1:1'];
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-replay-shapes-'));
  });
  afterEach(() => kinesis.reset());
  afterAll(async () => {
    kinesis.restore();
    await rm(dir, { recursive: true, force: true });
  });

  async function replay(name: string, text: string, ...args: string[]) {
    const file = join(dir, name);
    await writeFile(file, text);
    kinesis.on(PutRecordsCommand).callsFake(({ Records = [] }) => ({
      FailedRecordCount: 0,
      Records: Records.map((_: unknown, i: number) => ({ SequenceNumber: String(i) })),
    }));
    const memory = memoryIo();
    const code = await main(['replay', file, ...args, ...target], memory.io);
    return { code, stderr: memory.stderr(), events: sent(kinesis) };
  }

  const seconds = Array.from({ length: 600 }, (_, i) => `${(T0 + i * STEP_MS) / 1000},${i}`);

  it('exits 1 without sending anything when no row is valid, with the epoch-seconds hint', async () => {
    // Act
    const run = await replay('seconds.csv', `timestamp,value\n${seconds.join('\n')}\n`, '--series', 's');
    // Assess
    expect(run.code).toBe(1);
    expect(run.events).toHaveLength(0);
    expect(run.stderr).toMatch(/no row of .*seconds\.csv could be replayed: 600 bad rows/);
    expect(run.stderr).toMatch(/hint: .*epoch seconds.*--time-unit s/);
  });

  it('sends epoch seconds as milliseconds with --time-unit s', async () => {
    // Act
    const run = await replay(
      'seconds-2.csv',
      `timestamp,value\n${seconds.join('\n')}\n`,
      '--series',
      's',
      '--time-unit',
      's',
    );
    // Assess
    expect(run.code).toBe(0);
    expect(run.events).toHaveLength(600);
    expect(run.events[0]).toEqual({ key: 's', event: { series: 's', timestamp: T0, value: 0 } });
    expect(run.stderr).toContain('replayed 600 of 600 rows');
  });

  it('sends a newest-first file oldest first, as a producer would have', async () => {
    // Act
    const run = await replay(
      'newest.csv',
      `timestamp,value\n${[...seconds].reverse().join('\n')}\n`,
      '--series',
      's',
      '--time-unit',
      's',
    );
    // Assess
    expect(run.code).toBe(0);
    expect(run.events.map((e) => e.event.value)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(run.stderr).toContain('599 rows out of time order');
  });

  it('sends each row of a long-format file as its own series with --series-column', async () => {
    // Prepare
    const lines = ['time;host;load'];
    for (let i = 0; i < 10; i++)
      for (const host of ['web-1', 'web-2']) lines.push(`${T0 + i * STEP_MS};${host};${i}`);
    // Act
    const run = await replay('long.csv', `${lines.join('\n')}\n`, '--series-column', 'host');
    // Assess
    expect(run.code).toBe(0);
    expect(run.events).toHaveLength(20);
    expect(run.events.filter((e) => e.key === 'web-2').map((e) => e.event.series)).toEqual(
      Array(10).fill('web-2'),
    );
    expect(run.events[1]).toEqual({ key: 'web-2', event: { series: 'web-2', timestamp: T0, value: 0 } });
  });
});
