import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SeismoProducer } from '../../producer/index.ts';

const T0 = Date.UTC(2026, 0, 1);
// The producer's clock: a day after the events, so none is "ahead of the clock".
const NOW = T0 + 86_400_000;
const instant = { maxAttempts: 3, sleep: async () => {} };
const throttled = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' };

function events(n: number, series = (i: number) => `s${i % 3}`) {
  return Array.from({ length: n }, (_, i) => ({ series: series(i), timestamp: T0 + i * 1000, value: i }));
}

/** The JSON of each entry, in the order PutRecords received them over every call. */
function sentData(entries: readonly PutRecordsRequestEntry[]): unknown[] {
  return entries.map((e) => JSON.parse(Buffer.from(e.Data ?? []).toString()));
}

describe('SeismoProducer', () => {
  const kinesis = mockClient(KinesisClient);
  const client = new KinesisClient({ region: 'us-east-1' });
  const producer = (aggregate = false) =>
    new SeismoProducer({ streamName: 'events', client, backoff: instant, now: () => NOW, aggregate });

  afterEach(() => kinesis.reset());
  afterAll(() => kinesis.restore());

  it('sends valid events keyed by series, and reports invalid ones by index without sending them', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).callsFake(({ Records = [] }: PutRecordsCommandInput) => ({
      FailedRecordCount: 0,
      Records: Records.map((_, i) => ({ SequenceNumber: String(i), ShardId: 'shardId-0' })),
    }));
    const input = [
      { series: 'cpu', timestamp: T0, value: 1.5, dimensions: { host: 'a' } },
      { series: 'cpu', timestamp: T0 / 1000, value: 2 },
      {
        series: 'pump',
        timestamp: '2026-01-01T00:00:01Z',
        values: { flow: 3, pressure: 4 },
        kind: 'counter',
      },
      'not an event',
    ];

    // Act
    const report = await producer().send(input);

    // Assess
    expect(report.sent).toBe(2);
    expect(report.invalid.map((i) => i.index)).toEqual([1, 3]);
    expect(report.invalid[0]?.reason).toMatch(/timestamp: looks like epoch seconds/);
    const entries = kinesis.commandCalls(PutRecordsCommand).flatMap((c) => c.args[0].input.Records ?? []);
    expect(entries.map((e) => e.PartitionKey)).toEqual(['cpu', 'pump']);
    expect(sentData(entries)).toEqual([
      { series: 'cpu', timestamp: T0, value: 1.5, dimensions: { host: 'a' } },
      { series: 'pump', timestamp: T0 + 1000, values: { flow: 3, pressure: 4 }, kind: 'counter' },
    ]);
  });

  it('refuses an event over 5 minutes ahead of its clock, as the detector would', async () => {
    // Act
    const report = await producer().send([{ series: 'x', timestamp: NOW + 6 * 60_000, value: 1 }]);

    // Assess
    expect(report.invalid[0]?.reason).toMatch(/ahead of the receiving clock/);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('splits into calls of at most 500 records and at most 5 MiB', async () => {
    // Prepare: no valid event comes near 10 KiB, so only aggregates (up to 1 MiB) reach the byte limit:
    // 6 series of 300 events of about 3.8 KiB each make a dozen aggregates, 6.8 MB in all.
    kinesis.on(PutRecordsCommand).callsFake(({ Records = [] }: PutRecordsCommandInput) => ({
      FailedRecordCount: 0,
      Records: Records.map(() => ({ SequenceNumber: '1', ShardId: 'shardId-0' })),
    }));
    const big = Array.from({ length: 1800 }, (_, i) => ({
      series: `big-${'x'.repeat(200)}-${i % 6}`,
      timestamp: T0 + i,
      values: Object.fromEntries(Array.from({ length: 32 }, (_, c) => [`${'c'.repeat(60)}${c}`, 1e99 + c])),
      dimensions: Object.fromEntries(Array.from({ length: 4 }, (_, d) => [`d${d}`, 'v'.repeat(200)])),
    }));

    // Act
    const small = await producer().send(events(1200));
    const smallCalls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length);
    kinesis.resetHistory();
    const large = await producer(true).send(big);
    const largeCalls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records ?? []);

    // Assess
    expect(small.sent).toBe(1200);
    expect(smallCalls).toEqual([500, 500, 200]);
    expect(large.invalid).toEqual([]);
    expect(large.sent).toBe(1800);
    expect(largeCalls.length).toBeGreaterThanOrEqual(2);
    for (const call of largeCalls) {
      const bytes = call.reduce(
        (n, r) => n + (r.Data?.byteLength ?? 0) + Buffer.byteLength(r.PartitionKey ?? ''),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
      for (const r of call) expect(r.Data?.byteLength).toBeLessThanOrEqual(1024 * 1024);
    }
  });

  it('resends only the records PutRecords refused, and counts them as retried', async () => {
    // Prepare
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 2,
        Records: [{ SequenceNumber: '1' }, throttled, { SequenceNumber: '3' }, throttled],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '5' }, { SequenceNumber: '6' }] });

    // Act
    const report = await producer().send(events(4));

    // Assess
    const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => sentData(c.args[0].input.Records ?? []));
    expect(calls).toHaveLength(2);
    expect((calls[1] as { value: number }[]).map((e) => e.value)).toEqual([1, 3]);
    expect(report).toMatchObject({ sent: 4, failed: [], retried: 2, calls: 2 });
  });

  it('reports what is still refused after every attempt, with the code, and sends the rest', async () => {
    // Prepare: the event of value 1 is refused every time.
    kinesis.on(PutRecordsCommand).callsFake(({ Records = [] }: PutRecordsCommandInput) => {
      const refused = (r: PutRecordsRequestEntry) =>
        JSON.parse(Buffer.from(r.Data ?? []).toString()).value === 1;
      return {
        FailedRecordCount: Records.filter(refused).length,
        Records: Records.map((r) =>
          refused(r) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' } : {},
        ),
      };
    });

    // Act
    const report = await producer().send(events(3));

    // Assess
    expect(report.sent).toBe(2);
    expect(report.failed).toEqual([{ index: 1, code: 'InternalFailure', message: 'boom' }]);
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([
      3, 1, 1,
    ]);
  });

  it('retries a call that failed as a whole when the error is retryable', async () => {
    // Prepare
    const error = Object.assign(new Error('slow down'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    kinesis
      .on(PutRecordsCommand)
      .rejectsOnce(error)
      .resolves({ FailedRecordCount: 0, Records: [{}, {}] });

    // Act
    const report = await producer().send(events(2));

    // Assess
    expect(report).toMatchObject({ sent: 2, failed: [], retried: 2, calls: 2 });
  });

  it('stops at a missing stream: the rest is reported as not attempted, every event accounted for', async () => {
    // Prepare
    const missing = Object.assign(new Error('Stream events not found'), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    kinesis.on(PutRecordsCommand).rejects(missing);

    // Act
    const report = await producer().send(events(1100));

    // Assess
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect(report.sent).toBe(0);
    expect(report.failed).toHaveLength(1100);
    expect(report.stopped).toEqual({
      code: 'ResourceNotFoundException',
      message: 'stream events does not exist (or is not ACTIVE)',
    });
    expect(report.failed[0]?.message).toBe('stream events does not exist (or is not ACTIVE)');
    expect(report.failed[600]?.message).toMatch(/^not attempted: stream events does not exist/);
  });
});
