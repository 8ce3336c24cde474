import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveBackoff } from '../../adapters/backoff.ts';
import { CliError, type CliIo } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';
import { PutRecordsError, putRecords, resolveTarget } from '../../cli/replay-command.ts';
import { type Emulator, localKinesisClient, startKinesisMock } from '../../local/emulators.ts';
import { createStream } from '../../local/stack.ts';
import { writeStackInfo } from '../../local/stack-info.ts';

function memoryIo(): { io: CliIo; stderr: () => string } {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    io: { stdout: new PassThrough(), stderr, stderrIsTty: false },
    stderr: () => Buffer.concat(chunks).toString(),
  };
}

const instant = resolveBackoff({ maxAttempts: 3, sleep: async () => {} });
const entries = [0, 1, 2, 3].map((i) => ({ PartitionKey: 's', Data: Buffer.from(String(i)) }));

describe('putRecords', () => {
  const kinesis = mockClient(KinesisClient);
  const target = {
    client: new KinesisClient({ region: 'us-east-1' }),
    streamName: 's',
    description: 'stream s',
  };

  afterEach(() => kinesis.reset());
  // Mocking the class patches every KinesisClient: the emulator tests below need the real one back.
  afterAll(() => kinesis.restore());

  it('resends only the records PutRecords refused', async () => {
    // Prepare
    const throttled = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' };
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 2,
        Records: [{ SequenceNumber: '1' }, throttled, { SequenceNumber: '3' }, throttled],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '5' }, { SequenceNumber: '6' }] });

    // Act
    const retried = await putRecords(target, entries, instant);

    // Assess
    const calls = kinesis.commandCalls(PutRecordsCommand);
    expect(retried).toBe(2);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Records).toEqual([entries[1], entries[3]]);
  });

  it('gives up with the error code after every attempt', async () => {
    // Prepare
    // The record "1" is refused every time, the others accepted.
    kinesis.on(PutRecordsCommand).callsFake(({ Records = [] }: PutRecordsCommandInput) => {
      const refused = (r: PutRecordsRequestEntry) => Buffer.from(r.Data ?? []).toString() === '1';
      return {
        FailedRecordCount: Records.filter(refused).length,
        Records: Records.map((r, i) =>
          refused(r) ? { ErrorCode: 'InternalFailure' } : { SequenceNumber: `${i}` },
        ),
      };
    });

    // Act
    const attempt = putRecords(target, entries, instant);

    // Assess
    await expect(attempt).rejects.toThrow(PutRecordsError);
    await expect(attempt).rejects.toThrow(/1 record\(s\) still refused by stream s .*InternalFailure/);
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([
      4, 1, 1,
    ]);
  });
});

describe('seismo replay against kinesis-mock', () => {
  let kinesisMock: Emulator;
  let client: KinesisClient;
  let dir: string;
  let run = 0;

  beforeAll(async () => {
    kinesisMock = await startKinesisMock();
    client = localKinesisClient(kinesisMock.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'seismo-replay-'));
  });

  afterAll(async () => {
    client?.destroy();
    await kinesisMock?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function readAll(streamName: string): Promise<{ key: string; event: unknown }[]> {
    const shard = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards?.[0]?.ShardId;
    const iterator = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
    return (page.Records ?? []).map((r) => ({
      key: r.PartitionKey as string,
      event: JSON.parse(Buffer.from(r.Data as Uint8Array).toString()),
    }));
  }

  it('sends every good row in file order at the given rate, and reports bad rows', async () => {
    // Prepare
    const streamName = `replay-${process.pid}-${++run}`;
    await createStream(client, streamName, 1);
    const file = join(dir, 'load.csv');
    const rows = Array.from(
      { length: 40 },
      (_, i) => `${1_764_547_200_000 + i * 60_000},${i === 7 ? 'n/a' : i},web`,
    );
    await writeFile(file, `when,load,host\n${rows.join('\n')}\n`);
    const { io, stderr } = memoryIo();

    // Act
    const started = performance.now();
    const args = ['replay', file, '--series', 'load', '--timestamp', 'when', '--rate', '100'];
    const code = await main([...args, '--stream', streamName, '--endpoint', kinesisMock.endpoint], io);
    const seconds = (performance.now() - started) / 1000;

    // Assess
    expect(code).toBe(0);
    expect(seconds).toBeGreaterThanOrEqual(0.39); // 39 records at 100 per second
    expect(stderr()).toMatch(/line 9: invalid event: value: .*; skipped/);
    expect(stderr()).toContain('replayed 39 of 40 rows as series "load"');
    const records = await readAll(streamName);
    expect(records).toHaveLength(39);
    expect(records[0]).toEqual({
      key: 'load',
      event: { series: 'load', timestamp: 1_764_547_200_000, value: 0 },
    });
    expect(records.map((r) => (r.event as { value: number }).value)).toEqual(
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 7),
    );
  });

  it('moves old history to end now with --end-now, keeping every gap between rows', async () => {
    // Prepare
    const streamName = `replay-${process.pid}-${++run}`;
    await createStream(client, streamName, 1);
    const file = join(dir, 'old.csv');
    await writeFile(
      file,
      'timestamp,v\n2020-01-01T00:00:00Z,1\n2020-01-01T00:05:00Z,2\n2020-01-01T00:07:30Z,3\n',
    );
    const { io } = memoryIo();

    // Act
    const before = Math.floor(Date.now() / 60_000) * 60_000;
    const args = ['replay', file, '--series', 'old', '--end-now', '--stream', streamName];
    const code = await main([...args, '--endpoint', kinesisMock.endpoint], io);
    const after = Math.floor(Date.now() / 60_000) * 60_000;

    // Assess
    expect(code).toBe(0);
    const stamps = (await readAll(streamName)).map((r) => (r.event as { timestamp: number }).timestamp);
    expect([before, after]).toContain(stamps[2]);
    expect(stamps.map((t) => t - (stamps[0] as number))).toEqual([0, 300_000, 450_000]);
  });

  it('refuses a missing --series or an unknown column as usage errors', async () => {
    // Prepare
    const file = join(dir, 'tiny.csv');
    await writeFile(file, 'timestamp,value\n2026-01-01T00:00:00Z,1\n');
    const target = ['--stream', 'nowhere', '--endpoint', kinesisMock.endpoint];

    // Act
    const noSeries = await main(['replay', file, ...target], memoryIo().io);
    const unknown = memoryIo();
    const badColumn = await main(['replay', file, '--series', 's', '--value', 'cpu', ...target], unknown.io);

    // Assess
    expect(noSeries).toBe(2);
    expect(badColumn).toBe(2);
    expect(unknown.stderr()).toContain('--value "cpu" is not a column');
  });

  it('says how to start the stack when none is running, and ignores a stale stack file', async () => {
    // Prepare: a stack file whose process is gone.
    const stale = join(dir, 'stale.json');
    await writeStackInfo(
      {
        version: 1,
        pid: 2 ** 22 + 1, // above Linux's default pid_max: no such process
        region: 'us-east-1',
        kinesisEndpoint: kinesisMock.endpoint,
        streamName: 'gone',
        dynamodbEndpoint: 'http://127.0.0.1:1',
        httpUrl: 'http://127.0.0.1:1',
        startedAt: new Date().toISOString(),
        emulatorPids: { kinesis: 0, dynamodb: 0 },
      },
      stale,
    );

    // Act
    const missing = resolveTarget({ stackFile: join(dir, 'absent.json') });
    const staleTarget = resolveTarget({ stackFile: stale });

    // Assess
    await expect(missing).rejects.toThrow(CliError);
    await expect(missing).rejects.toThrow(/no local stack is running.*"npm start"/);
    await expect(staleTarget).rejects.toThrow(/no local stack is running/);
  });
});
