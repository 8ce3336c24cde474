import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KinesisEventWriter, PUT_RECORDS_LIMITS } from '../../../adapters/ingest/kinesis-event-writer.ts';
import type { MeasurementEvent } from '../../../core/events/event-schema.ts';
import { type Emulator, localKinesisClient, startKinesisMock } from '../../../local/emulators.ts';
import { createStream } from '../../../local/stack.ts';

const T = 1_700_000_000_000;
const event = (series: string, i: number, padding = 0): MeasurementEvent => ({
  series,
  timestamp: T + i,
  values: { value: i },
  dimensions: padding > 0 ? { pad: 'x'.repeat(padding) } : {},
});
const instant = { sleep: async () => {}, random: () => 0.5 };

describe('KinesisEventWriter (retry logic)', () => {
  // One mocked client instance, so the emulator test below keeps a real one.
  const mocked = new KinesisClient({ region: 'us-east-1' });
  const kinesis = mockClient(mocked);
  afterEach(() => kinesis.reset());
  afterAll(() => kinesis.restore());

  it('sends again only the records Kinesis failed, and returns what still fails with its error code', async () => {
    // Prepare: the first call fails records 1 and 3, the second fails record 3 again, the third fails it again.
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 2,
        Records: [
          { SequenceNumber: '1', ShardId: 's' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
          { SequenceNumber: '2', ShardId: 's' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' },
        ],
      })
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '3', ShardId: 's' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' },
        ],
      })
      .resolves({ FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'still' }] });
    const writer = new KinesisEventWriter(mocked, {
      streamName: 'events',
      backoff: { ...instant, maxAttempts: 3 },
    });

    // Act
    const failed = await writer.write([event('a', 0), event('b', 1), event('a', 2), event('c', 3)]);

    // Assess
    expect(failed).toEqual([{ index: 3, reason: 'InternalFailure: still' }]);
    const calls = kinesis
      .commandCalls(PutRecordsCommand)
      .map((c) => c.args[0].input.Records?.map((r) => r.PartitionKey));
    expect(calls).toEqual([['a', 'b', 'a', 'c'], ['b', 'c'], ['c']]);
  });

  it('does not retry a call that can only fail again (missing stream)', async () => {
    // Prepare
    kinesis
      .on(PutRecordsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no stream', $metadata: { httpStatusCode: 400 } }));
    const writer = new KinesisEventWriter(mocked, { streamName: 'events', backoff: instant });

    // Act
    const failed = await writer.write([event('a', 0)]);

    // Assess
    expect(failed).toEqual([{ index: 0, reason: 'ResourceNotFoundException: no stream' }]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
  });

  it('chunks at 500 records and at 5 MiB, in order', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).callsFake((input) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1' })),
    }));
    const writer = new KinesisEventWriter(mocked, { streamName: 'events', backoff: instant });
    const many = Array.from({ length: 1_201 }, (_, i) => event('s', i));
    const big = Array.from({ length: 30 }, (_, i) => event('b', i, 200_000));

    // Act
    await writer.write(many);
    await writer.write(big);

    // Assess
    const sizes = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length);
    expect(sizes.slice(0, 3)).toEqual([500, 500, 201]);
    for (const call of kinesis.commandCalls(PutRecordsCommand).slice(3)) {
      const bytes = (call.args[0].input.Records ?? []).reduce(
        (n, r) => n + (r.Data?.length ?? 0) + (r.PartitionKey?.length ?? 0),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(PUT_RECORDS_LIMITS.bytes);
    }
    expect(sizes.slice(3).reduce((a = 0, b = 0) => a + b, 0)).toBe(30);
  });
});

describe('KinesisEventWriter against kinesis-mock', () => {
  let emulator: Emulator;
  let client: KinesisClient;
  const stream = `ingest-writer-${process.pid}`;

  beforeAll(async () => {
    emulator = await startKinesisMock();
    client = localKinesisClient(emulator.endpoint);
    await createStream(client, stream, 2);
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });

  it('puts one JSON event per record with the series as partition key, each series in order on its shard', async () => {
    // Prepare
    const writer = new KinesisEventWriter(client, { streamName: stream });
    const events = Array.from({ length: 600 }, (_, i) => event(`s${i % 3}`, i));

    // Act
    const failed = await writer.write(events);

    // Assess
    expect(failed).toEqual([]);
    const read: MeasurementEvent[] = [];
    const shards = await client.send(new ListShardsCommand({ StreamName: stream }));
    for (const shard of shards.Shards ?? []) {
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const records = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
      for (const r of records.Records ?? []) {
        const parsed = JSON.parse(Buffer.from(r.Data ?? []).toString()) as MeasurementEvent;
        expect(r.PartitionKey).toBe(parsed.series);
        read.push(parsed);
      }
    }
    expect(read).toHaveLength(600);
    for (const s of ['s0', 's1', 's2']) {
      const times = read.filter((e) => e.series === s).map((e) => e.timestamp);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });
});
