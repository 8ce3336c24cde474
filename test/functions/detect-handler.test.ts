import { aggregate } from 'aws-kinesis-agg';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MemoryAlertPublisher,
  MemoryStateStore,
  MemoryTimeSeriesStore,
} from '../../adapters/memory-stores.ts';
import type { EpisodeTransition, ScoredPoint } from '../../core/detection-types.ts';
import { Detector } from '../../core/detector.ts';
import type { FeatureStateStore, SaveResult, VersionedState } from '../../core/ports.ts';
import { MAX_RECORD_BYTES } from '../../functions/detect/decode-records.ts';
import {
  createDetectHandler,
  type DeadLetter,
  type DetectHandlerDeps,
} from '../../functions/detect/detect-handler.ts';
import { loadModel } from '../../models/model-store.ts';
import { Random } from '../../models/random.ts';

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

let detector: Detector;
beforeAll(async () => {
  detector = new Detector((await loadModel()).scorer);
});

/** One Kinesis record carrying `data` (a string is sent as UTF-8; a Buffer as is). */
function record(data: string | Buffer, partitionKey: string, seq: number): KinesisStreamRecord {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber: String(49_000_000 + seq),
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: T0 / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/detect',
    awsRegion: 'eu-west-1',
    eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/events',
  };
}

/** A batch of one record per event, in order. */
function batch(events: readonly object[], firstSeq = 0): KinesisStreamEvent {
  return {
    Records: events.map((e, i) =>
      record(JSON.stringify(e), String((e as { series?: string }).series), firstSeq + i),
    ),
  };
}

/** `n` calm single-value events of `series`, one minute apart, with a burst of +100 over [burstAt, burstAt + 10). */
function series(name: string, n: number, seed: number, burstAt = Number.POSITIVE_INFINITY): object[] {
  const random = new Random(seed);
  return Array.from({ length: n }, (_, i) => ({
    series: name,
    timestamp: T0 + i * MINUTE,
    value: random.normal(100, 1) + (i >= burstAt && i < burstAt + 10 ? 100 : 0),
  }));
}

/** What Lambda re-delivers after a partial failure: the batch from the lowest failed sequence number on. */
function retryOf(event: KinesisStreamEvent, response: KinesisStreamBatchResponse): KinesisStreamEvent {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const first = event.Records.findIndex((r) => failed.has(r.kinesis.sequenceNumber));
  return { Records: first < 0 ? [] : event.Records.slice(first) };
}

/** Builds one KPL-aggregated record from user records, with aws-kinesis-agg's own encoder. */
async function aggregated(
  users: { partitionKey: string; data: string }[],
  seq: number,
): Promise<KinesisStreamRecord> {
  const encoded: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    aggregate(
      users,
      (rec, done) => {
        encoded.push(rec.data);
        done();
      },
      () => resolve(),
      (error) => reject(error),
    );
  });
  expect(encoded).toHaveLength(1);
  return record(encoded[0] as Buffer, users[0]?.partitionKey ?? 'x', seq);
}

class RecordingDeadLetters {
  readonly entries: DeadLetter[] = [];
  async send(entries: readonly DeadLetter[]): Promise<void> {
    this.entries.push(...entries);
  }
}

/** A state store that counts saved keys and can be told to report a conflict for a key once. */
class SpyStateStore implements FeatureStateStore {
  readonly inner = new MemoryStateStore();
  readonly savedKeys: string[] = [];
  readonly loadedKeys: string[] = [];
  conflictOnce = new Set<string>();

  async load(keys: readonly string[]): Promise<Map<string, VersionedState>> {
    this.loadedKeys.push(...keys);
    return this.inner.load(keys);
  }

  async save(entries: readonly VersionedState[]): Promise<SaveResult> {
    const conflicts = entries.filter((e) => this.conflictOnce.has(e.key)).map((e) => e.key);
    for (const key of conflicts) this.conflictOnce.delete(key);
    const rest = entries.filter((e) => !conflicts.includes(e.key));
    this.savedKeys.push(...rest.map((e) => e.key));
    const result = await this.inner.save(rest);
    return { conflicts: [...conflicts, ...result.conflicts] };
  }

  async version(key: string): Promise<number> {
    return (await this.inner.load([key])).get(key)?.version ?? 0;
  }
}

function setup(overrides: Partial<DetectHandlerDeps> = {}) {
  const deps = {
    detector,
    stateStore: new SpyStateStore(),
    timeSeries: new MemoryTimeSeriesStore(),
    alerts: new MemoryAlertPublisher(),
    deadLetters: new RecordingDeadLetters(),
  };
  const handler = createDetectHandler({ ...deps, ...overrides });
  return { ...deps, handler };
}

describe('createDetectHandler', () => {
  it('scores a batch across several series, stores every point and saves each series once', async () => {
    // Prepare
    const events = [...series('a', 20, 1), ...series('b', 20, 2), ...series('c', 20, 3)];
    events.push({ series: 'host', timestamp: T0, values: { cpu: 0.5, mem: 0.7 } });
    const { handler, stateStore, timeSeries } = setup();
    // Act
    const response = await handler(batch(events));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(timeSeries.size).toBe(62);
    expect(timeSeries.series()).toEqual(['a', 'b', 'c', 'host/cpu', 'host/mem']);
    expect(stateStore.savedKeys.sort()).toEqual(['a', 'b', 'c', 'host/cpu', 'host/mem']);
  });

  it('processes the user records of a KPL-aggregated record', async () => {
    // Prepare
    const users = series('kpl', 5, 4).map((e) => ({ partitionKey: 'kpl', data: JSON.stringify(e) }));
    const { handler, timeSeries } = setup();
    // Act
    const response = await handler({ Records: [await aggregated(users, 0)] });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(timeSeries.query('kpl')).toHaveLength(5);
  });

  it('dead-letters each bad record with its reason and original bytes while its batch-mates are scored', async () => {
    // Prepare
    const good = series('a', 3, 5);
    const bad = [
      '{"series":"a","timestamp":',
      '{"timestamp":1700000000000,"value":1}',
      '{"series":"a","timestamp":1700000000000,"value":"NaN"}',
      JSON.stringify({
        series: 'a',
        timestamp: 1_700_000_000_000,
        value: 1,
        dimensions: { pad: 'x'.repeat(MAX_RECORD_BYTES) },
      }),
    ];
    const records = [
      record(JSON.stringify(good[0]), 'a', 0),
      ...bad.map((data, i) => record(data, 'a', 1 + i)),
      record(JSON.stringify(good[1]), 'a', 5),
      record(JSON.stringify(good[2]), 'a', 6),
    ];
    const metrics = { addMetric: vi.fn(), addDimension: vi.fn() };
    const { handler, deadLetters, timeSeries } = setup({
      metrics: metrics as unknown as DetectHandlerDeps['metrics'],
    });
    // Act
    const response = await handler({ Records: records });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(timeSeries.query('a')).toHaveLength(3);
    expect(deadLetters.entries.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^malformed JSON/),
      expect.stringMatching(/series: is required/),
      expect.stringMatching(/value: must be a finite number/),
      expect.stringMatching(/over the limit of 65536/),
    ]);
    expect(deadLetters.entries.map((e) => e.data)).toEqual(records.slice(1, 5).map((r) => r.kinesis.data));
    expect(deadLetters.entries.map((e) => e.sequenceNumber)).toEqual(
      records.slice(1, 5).map((r) => r.kinesis.sequenceNumber),
    );
    expect(metrics.addDimension).toHaveBeenCalledWith('ModelVersion', detector.modelVersion);
    expect(metrics.addMetric).toHaveBeenCalledWith('RecordsRejected', 'Count', 4);
    expect(metrics.addMetric).toHaveBeenCalledWith('RecordsProcessed', 'Count', 3);
  });

  it('retries from the first bad record when the dead-letter queue is down, losing and doubling nothing', async () => {
    // Prepare
    const events = series('a', 6, 9);
    const records = [
      record(JSON.stringify(events[0]), 'a', 0),
      record(JSON.stringify(events[1]), 'a', 1),
      record('{"series":"a","timestamp":', 'a', 2),
      record(JSON.stringify(events[2]), 'a', 3),
      record(JSON.stringify(events[3]), 'a', 4),
    ];
    const deadLetters = new RecordingDeadLetters();
    const send = vi.spyOn(deadLetters, 'send').mockRejectedValueOnce(new Error('SQS unavailable'));
    const { handler, timeSeries } = setup({ deadLetters });
    // Act
    const first = await handler({ Records: records });
    const retry = retryOf({ Records: records }, first);
    const second = await handler(retry);
    // Assess
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      records.slice(2).map((r) => r.kinesis.sequenceNumber),
    );
    expect(second.batchItemFailures).toEqual([]);
    expect(send).toHaveBeenCalledTimes(2);
    expect(deadLetters.entries.map((e) => e.sequenceNumber)).toEqual([records[2]?.kinesis.sequenceNumber]);
    expect(timeSeries.query('a').map((p) => p.timestamp)).toEqual(
      events.slice(0, 4).map((e) => (e as { timestamp: number }).timestamp),
    );
  });

  it('dead-letters a corrupt KPL aggregate as a whole', async () => {
    // Prepare
    const users = [{ partitionKey: 'k', data: JSON.stringify(series('k', 1, 6)[0]) }];
    const good = await aggregated(users, 0);
    const bytes = Buffer.from(good.kinesis.data, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff; // break the MD5 trailer
    const { handler, deadLetters } = setup();
    // Act
    const response = await handler({ Records: [record(bytes, 'k', 0)] });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.entries).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/invalid KPL aggregate/) }),
    ]);
  });

  it('re-delivered records neither update state again nor open a second episode, warm or cold', async () => {
    // Prepare
    const event = batch(series('cpu', 660, 7, 600));
    const { handler, stateStore, alerts, timeSeries, deadLetters } = setup();
    const first = await handler(event);
    const opened = alerts.transitions.filter((t) => t.kind === 'opened');
    const version = await stateStore.version('cpu');
    const cold = createDetectHandler({ detector, stateStore, timeSeries, alerts, deadLetters });
    // Act
    const warmAgain = await handler(event);
    const coldAgain = await cold(event);
    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(opened).toHaveLength(1);
    expect(version).toBe(1);
    expect([warmAgain.batchItemFailures, coldAgain.batchItemFailures]).toEqual([[], []]);
    expect(await stateStore.version('cpu')).toBe(1);
    expect(stateStore.savedKeys).toEqual(['cpu']);
    expect(alerts.transitions.filter((t) => t.kind === 'opened')).toHaveLength(1);
  });

  it('keeps at most maxCachedSeries warm and reloads the others from their checkpoints, with the same scores', async () => {
    // Prepare
    const a = series('a', 40, 1);
    const b = series('b', 40, 2);
    const batches = [0, 10, 20, 30].map((i, n) =>
      batch([...a.slice(i, i + 10), ...b.slice(i, i + 10)], n * 20),
    );
    const bounded = setup({ maxCachedSeries: 1 });
    const unbounded = setup();
    // Act
    for (const event of batches) {
      await bounded.handler(event);
      await unbounded.handler(event);
    }
    // Assess
    const loads = bounded.stateStore.loadedKeys.filter((k) => k === 'a').length;
    expect(loads).toBeGreaterThan(1);
    expect(unbounded.stateStore.loadedKeys.filter((k) => k === 'a')).toHaveLength(1);
    for (const name of ['a', 'b']) {
      expect(bounded.timeSeries.query(name).map((p) => p.probability)).toEqual(
        unbounded.timeSeries.query(name).map((p) => p.probability),
      );
    }
  });

  it('skips a re-delivered batch by sequence number: no point of it is scored or written again', async () => {
    // Prepare: far more points of one series than the detector remembers timestamps for
    const event = batch(series('cpu', 500, 3));
    const timeSeries = new MemoryTimeSeriesStore();
    const write = vi.spyOn(timeSeries, 'write');
    const { handler } = setup({ timeSeries });
    await handler(event);
    const stored = timeSeries.query('cpu');
    // Act
    const again = await handler(event);
    // Assess
    expect(again.batchItemFailures).toEqual([]);
    expect(write).toHaveBeenCalledTimes(1);
    expect(timeSeries.query('cpu')).toEqual(stored);
  });

  it('scores a new record with an older timestamp once, as late, without moving the series', async () => {
    // Prepare
    const events = series('cpu', 300, 5);
    const { handler, stateStore, timeSeries } = setup();
    await handler(batch(events));
    const version = await stateStore.version('cpu');
    const late = { series: 'cpu', timestamp: T0 + 100 * MINUTE + 30_000, value: 100 };
    // Act
    const response = await handler(batch([late], 300));
    const again = await handler(batch([late], 300));
    // Assess
    expect([response.batchItemFailures, again.batchItemFailures]).toEqual([[], []]);
    expect(timeSeries.query('cpu', { from: late.timestamp, to: late.timestamp + 1 })).toHaveLength(1);
    expect(await stateStore.version('cpu')).toBe(version);
  });

  it('fails the batch without checkpointing when the time-series store throws, and the retry stores each point once', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();
    const writes: ScoredPoint[][] = [];
    let failures = 1;
    const timeSeries = {
      async write(points: readonly ScoredPoint[]) {
        if (failures-- > 0) throw new Error('Timestream throttled');
        writes.push([...points]);
        await store.write(points);
      },
    };
    const event = batch([...series('a', 10, 8), ...series('b', 10, 9)]);
    event.Records.unshift(record('not json', 'a', 99));
    const { handler, stateStore, deadLetters } = setup({ timeSeries });
    // Act
    const failed = await handler(event);
    const versionsAfterFailure = [await stateStore.version('a'), await stateStore.version('b')];
    const retried = await handler(retryOf(event, failed));
    // Assess
    expect(failed.batchItemFailures).toEqual(
      event.Records.slice(1).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    );
    expect(versionsAfterFailure).toEqual([0, 0]);
    expect(retried.batchItemFailures).toEqual([]);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(20);
    expect(store.size).toBe(20);
    expect([await stateStore.version('a'), await stateStore.version('b')]).toEqual([1, 1]);
    expect(deadLetters.entries).toHaveLength(1);
  });

  it('reports the records of a series whose checkpoint conflicts, reloads it on retry, and keeps the others', async () => {
    // Prepare
    const stateStore = new SpyStateStore();
    const a = series('a', 5, 10);
    const b = series('b', 5, 11);
    const interleave = (from: number, to: number) =>
      a.slice(from, to).flatMap((e, i) => [e, b[from + i] as object]);
    const { handler, timeSeries } = setup({ stateStore });
    await handler(batch(interleave(0, 2)));
    // Another invocation moves b on underneath this container's warm copy (version 1 -> 2).
    const moved = (await stateStore.inner.load(['b'])).get('b') as VersionedState;
    await stateStore.inner.save([moved]);
    const event = batch(interleave(2, 5), 100);
    // Act
    const response = await handler(event);
    const versionsAfterConflict = [await stateStore.version('a'), await stateStore.version('b')];
    const loadsBeforeRetry = stateStore.loadedKeys.length;
    const retried = await handler(retryOf(event, response));
    // Assess
    expect(response.batchItemFailures).toEqual(
      event.Records.filter((_, i) => i % 2 === 1).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    );
    expect(versionsAfterConflict).toEqual([2, 2]);
    expect(retried.batchItemFailures).toEqual([]);
    expect(stateStore.loadedKeys.slice(loadsBeforeRetry)).toEqual(['b']);
    expect([await stateStore.version('a'), await stateStore.version('b')]).toEqual([2, 3]);
    expect(timeSeries.query('a')).toHaveLength(5);
    expect(timeSeries.query('b')).toHaveLength(5);
  });

  it("reports a conflict returned by the store for one key as that series' failures", async () => {
    // Prepare
    const stateStore = new SpyStateStore();
    stateStore.conflictOnce.add('b');
    const event = batch([...series('a', 3, 14), ...series('b', 3, 15)]);
    const { handler } = setup({ stateStore });
    // Act
    const response = await handler(event);
    // Assess
    expect(response.batchItemFailures).toEqual(
      event.Records.slice(3).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    );
    expect([await stateStore.version('a'), await stateStore.version('b')]).toEqual([1, 0]);
  });

  it('fails the batch when alert publishing partly fails, and the retry publishes each transition once', async () => {
    // Prepare
    const published = new MemoryAlertPublisher();
    let failures = 1;
    const alerts = {
      async publish(transitions: readonly EpisodeTransition[]) {
        if (failures-- > 0) {
          await published.publish(transitions.slice(0, 1));
          throw new Error('SNS PublishBatch: 1 entry failed');
        }
        await published.publish(transitions);
      },
    };
    const events = [...series('x', 620, 12, 600), ...series('y', 620, 13, 600)];
    const event = batch(events);
    const { handler, stateStore } = setup({ alerts });
    // Act
    const failed = await handler(event);
    const afterFailure = published.transitions.length;
    const retried = await handler(retryOf(event, failed));
    // Assess
    expect(failed.batchItemFailures).toHaveLength(event.Records.length);
    expect(afterFailure).toBe(1);
    expect(await stateStore.version('x')).toBe(1);
    expect(retried.batchItemFailures).toEqual([]);
    const opened = published.transitions.filter((t) => t.kind === 'opened');
    expect(opened.map((t) => t.series).sort()).toEqual(['x', 'y']);
  });
});
