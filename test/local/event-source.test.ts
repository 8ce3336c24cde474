import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../adapters/dynamodb-state-store.ts';
import { MemoryAlertPublisher, MemoryTimeSeriesStore } from '../../adapters/memory-stores.ts';
import { putRecords } from '../../cli/replay-command.ts';
import { Detector } from '../../core/detector.ts';
import { decodeCheckpoint } from '../../functions/detect/checkpoint.ts';
import { createDetectHandler, type DeadLetter } from '../../functions/detect/detect-handler.ts';
import {
  type Emulators,
  localDynamoDbClient,
  localKinesisClient,
  startEmulators,
} from '../../local/emulators.ts';
import {
  type FailedBatch,
  KinesisEventSource,
  type KinesisEventSourceOptions,
} from '../../local/event-source.ts';
import { createStream, createTable } from '../../local/stack.ts';
import { loadModel } from '../../models/model-store.ts';
import { processExists, waitUntil } from '../support/wait-until.ts';

const T0 = Date.UTC(2026, 0, 1);
const STEP_MS = 5 * 60_000;
const quiet = { warn: () => {}, error: () => {} };

/** `n` events of one series: a daily cycle, one point every five minutes. */
function events(series: string, n: number, from = 0): object[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { series, timestamp: T0 + i * STEP_MS, value: 50 + 10 * Math.sin((2 * Math.PI * i) / 288) };
  });
}

function decode(record: KinesisStreamRecord): { series: string; timestamp: number; value: number } {
  return JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
}

describe('KinesisEventSource against kinesis-mock and dynalite', () => {
  let emulators: Emulators;
  let kinesis: KinesisClient;
  let dynamodb: DynamoDBClient;
  let sources: KinesisEventSource[] = [];
  let run = 0;
  const unique = (prefix: string) => `${prefix}-${process.pid}-${++run}`;

  beforeAll(async () => {
    emulators = await startEmulators({ dynalite: { createTableMs: 50 } });
    kinesis = localKinesisClient(emulators.kinesis.endpoint);
    dynamodb = localDynamoDbClient(emulators.dynamodb.endpoint);
  });

  afterEach(async () => {
    await Promise.all(sources.map((s) => s.stop()));
    sources = [];
  });

  afterAll(async () => {
    kinesis?.destroy();
    dynamodb?.destroy();
    await emulators?.stop();
    expect(processExists(emulators.kinesis.pid) || processExists(emulators.dynamodb.pid)).toBe(false);
  });

  async function stream(shards = 1): Promise<string> {
    const name = unique('stream');
    await createStream(kinesis, name, shards);
    return name;
  }

  async function put(streamName: string, items: readonly object[]): Promise<void> {
    const entries = items.map((e) => ({
      PartitionKey: (e as { series: string }).series,
      Data: Buffer.from(JSON.stringify(e)),
    }));
    await putRecords({ client: kinesis, streamName, description: streamName }, entries);
  }

  async function source(
    options: Omit<KinesisEventSourceOptions, 'client' | 'logger'>,
  ): Promise<KinesisEventSource> {
    const started = new KinesisEventSource({ client: kinesis, logger: quiet, retryDelayMs: 10, ...options });
    await started.start();
    sources.push(started);
    return started;
  }

  it('delivers Lambda-shaped records per shard, in order, in batches of at most batchSize', async () => {
    // Prepare
    const name = await stream(2);
    const batches: KinesisStreamEvent[] = [];
    await put(name, [...events('alpha', 130), ...events('beta', 120)]);

    // Act
    const mapping = await source({
      streamName: name,
      batchSize: 100,
      handler: async (event) => {
        batches.push(event);
        return { batchItemFailures: [] };
      },
    });
    await waitUntil('250 records', () => mapping.stats.recordsProcessed === 250);

    // Assess
    const arn = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })))
      .StreamDescriptionSummary?.StreamARN;
    const records = batches.flatMap((b) => b.Records);
    expect(Math.max(...batches.map((b) => b.Records.length))).toBeLessThanOrEqual(100);
    expect(records).toHaveLength(250);
    const first = records[0] as KinesisStreamRecord;
    expect(first).toMatchObject({
      eventSource: 'aws:kinesis',
      eventName: 'aws:kinesis:record',
      eventVersion: '1.0',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
      kinesis: { kinesisSchemaVersion: '1.0' },
    });
    expect(first.eventID).toBe(`${first.eventID.split(':')[0]}:${first.kinesis.sequenceNumber}`);
    expect(Math.abs(first.kinesis.approximateArrivalTimestamp - Date.now() / 1000)).toBeLessThan(60);
    for (const series of ['alpha', 'beta']) {
      const mine = records.filter((r) => r.kinesis.partitionKey === series);
      expect(mine.map((r) => decode(r).timestamp)).toEqual(
        events(series, mine.length).map((e) => (e as { timestamp: number }).timestamp),
      );
      expect(new Set(mine.map((r) => r.eventID.split(':')[0])).size).toBe(1);
    }
    const shards = new Set(records.map((r) => r.eventID.split(':')[0] as string));
    for (const shard of shards) {
      const last = records.filter((r) => r.eventID.startsWith(`${shard}:`)).at(-1);
      expect(mapping.checkpoints().get(shard)).toBe(last?.kinesis.sequenceNumber);
    }
  });

  it('retries the real detect handler from the first failed sequence number: nothing lost or doubled', async () => {
    // Prepare
    const name = await stream();
    const table = unique('state');
    await createTable(dynamodb, table, 'pk');
    const points = new MemoryTimeSeriesStore();
    const deadLetters: DeadLetter[] = [];
    const detect = createDetectHandler({
      detector: new Detector((await loadModel()).scorer),
      stateStore: new DynamoDbStateStore(dynamodb, { tableName: table }),
      timeSeries: points,
      alerts: new MemoryAlertPublisher(),
      deadLetters: { send: async (entries) => void deadLetters.push(...entries) },
    });
    const handled: string[] = [];
    const invocations: string[][] = [];
    let failedOnce: string | undefined;
    await put(name, events('retried', 300));

    // Act: the first invocation hands only its first 40 records to the handler and fails the rest.
    const mapping = await source({
      streamName: name,
      batchSize: 100,
      handler: async (event) => {
        invocations.push(event.Records.map((r) => r.kinesis.sequenceNumber));
        const cut = failedOnce === undefined ? 40 : event.Records.length;
        const passed = event.Records.slice(0, cut);
        handled.push(...passed.map((r) => r.kinesis.sequenceNumber));
        const response = await detect({ Records: passed });
        const rest = event.Records.slice(cut).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber }));
        failedOnce ??= rest[0]?.itemIdentifier;
        return { batchItemFailures: [...response.batchItemFailures, ...rest] };
      },
    });
    await waitUntil('300 records', () => mapping.stats.recordsProcessed === 300);

    // Assess
    expect(invocations[1]?.[0]).toBe(failedOnce);
    expect(mapping.stats.retries).toBe(1);
    expect(handled).toHaveLength(300);
    expect(new Set(handled).size).toBe(300);
    expect(points.query('retried')).toHaveLength(300);
    expect(deadLetters).toEqual([]);
    const stored = await new DynamoDbStateStore(dynamodb, { tableName: table }).load(['retried']);
    expect(decodeCheckpoint(stored.get('retried')?.state, 'retried').state.features.count).toBe(300);
    expect([...mapping.checkpoints().values()]).toEqual([handled.at(-1)]);
  });

  it('retries the whole batch when the handler throws', async () => {
    // Prepare
    const name = await stream();
    const invocations: string[][] = [];
    await put(name, events('thrown', 20));

    // Act
    const mapping = await source({
      streamName: name,
      handler: async (event) => {
        invocations.push(event.Records.map((r) => r.kinesis.sequenceNumber));
        if (invocations.length === 1) throw new Error('table unavailable');
        return { batchItemFailures: [] };
      },
    });
    await waitUntil('20 records', () => mapping.stats.recordsProcessed === 20);

    // Assess
    expect(invocations).toHaveLength(2);
    expect(invocations[1]).toEqual(invocations[0]);
    expect(mapping.stats.retries).toBe(1);
  });

  it('after maximumRetryAttempts hands the rest of the batch to onFailure and moves on', async () => {
    // Prepare
    const name = await stream();
    const failed: FailedBatch[] = [];
    const processed: number[] = [];
    await put(name, events('poison', 10));

    // Act: the record with index 5 always fails.
    const mapping = await source({
      streamName: name,
      maximumRetryAttempts: 2,
      batchingWindowMs: 500,
      onFailure: (batch) => void failed.push(batch),
      handler: async (event) => {
        const poison = event.Records.find((r) => decode(r).timestamp === T0 + 5 * STEP_MS);
        const ok = poison ? event.Records.slice(0, event.Records.indexOf(poison)) : event.Records;
        processed.push(...ok.map((r) => (decode(r).timestamp - T0) / STEP_MS));
        return { batchItemFailures: poison ? [{ itemIdentifier: poison.kinesis.sequenceNumber }] : [] };
      },
    });
    await waitUntil('the poison record to be given up', () => failed.length === 1);
    await put(name, events('poison', 5, 10));
    await waitUntil('the later records', () => processed.includes(14));

    // Assess
    expect(failed[0]?.attempts).toBe(3);
    expect(failed[0]?.records.map((r) => (decode(r).timestamp - T0) / STEP_MS)).toEqual([5, 6, 7, 8, 9]);
    expect(failed[0]?.reason).toContain('batch item failure');
    expect(processed).toEqual([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    expect(mapping.stats.recordsFailed).toBe(5);
  });

  it('treats an unknown itemIdentifier as a failure of the whole batch', async () => {
    // Prepare
    const name = await stream();
    const invocations: string[][] = [];
    await put(name, events('unknown-id', 3));

    // Act
    const mapping = await source({
      streamName: name,
      handler: async (event) => {
        invocations.push(event.Records.map((r) => r.kinesis.sequenceNumber));
        return { batchItemFailures: invocations.length === 1 ? [{ itemIdentifier: '' }] : [] };
      },
    });
    await waitUntil('3 records', () => mapping.stats.recordsProcessed === 3);

    // Assess
    expect(invocations).toHaveLength(2);
    expect(invocations[1]).toEqual(invocations[0]);
  });

  it('resumes after its checkpoints without redelivering', async () => {
    // Prepare
    const name = await stream();
    const seen: number[] = [];
    const handler = async (event: KinesisStreamEvent) => {
      seen.push(...event.Records.map((r) => (decode(r).timestamp - T0) / STEP_MS));
      return { batchItemFailures: [] };
    };
    await put(name, events('resume', 5));
    const first = await source({ streamName: name, handler });
    await waitUntil('5 records', () => first.stats.recordsProcessed === 5);
    await first.stop();

    // Act
    await put(name, events('resume', 3, 5));
    const second = await source({ streamName: name, handler, checkpoints: first.checkpoints() });
    await waitUntil('3 more records', () => second.stats.recordsProcessed === 3);

    // Assess
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
