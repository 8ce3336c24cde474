import { createHash } from 'node:crypto';
import type { KinesisStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MemoryAlertPublisher,
  MemoryPublishLedger,
  MemoryStateStore,
  MemoryTimeSeriesStore,
} from '../../adapters/memory-stores.ts';
import { SnsAlertPublisher } from '../../adapters/sns-alert-publisher.ts';
import type { ScoredPoint } from '../../core/detection-types.ts';
import { Detector, seriesKey } from '../../core/detector.ts';
import type { FeatureStateStore, SaveResult, VersionedState, WriteResult } from '../../core/ports.ts';
import { encodeSeriesState } from '../../core/state-codec.ts';
import { MAX_RECORD_BYTES } from '../../functions/detect/decode-records.ts';
import {
  type BatchOutcome,
  createDetectHandler,
  type DeadLetter,
  type DetectHandlerDeps,
} from '../../functions/detect/detect-handler.ts';
import { loadModel } from '../../models/model-store.ts';
import { Random } from '../../models/random.ts';
import { FlakySns } from '../support/flaky-sns.ts';
import { aggregated, batch, record, retryOf } from '../support/kinesis-records.ts';

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

let detector: Detector;
beforeAll(async () => {
  detector = new Detector((await loadModel()).scorer);
});

/** `n` calm single-value events of `series`, one minute apart, with a burst of +100 over [burstAt, burstAt + 10). */
function series(
  name: string,
  n: number,
  seed: number,
  burstAt = Number.POSITIVE_INFINITY,
  start = T0,
): object[] {
  const random = new Random(seed);
  return Array.from({ length: n }, (_, i) => ({
    series: name,
    timestamp: start + i * MINUTE,
    value: random.normal(100, 1) + (i >= burstAt && i < burstAt + 10 ? 100 : 0),
  }));
}

class RecordingDeadLetters {
  readonly entries: DeadLetter[] = [];
  async send(entries: readonly DeadLetter[]): Promise<void> {
    this.entries.push(...entries);
  }
}

/** A state store that counts saved and loaded keys and can be told to conflict, or to fail after some saves. */
class SpyStateStore implements FeatureStateStore {
  readonly inner = new MemoryStateStore();
  readonly savedKeys: string[] = [];
  readonly loadedKeys: string[] = [];
  conflictOnce = new Set<string>();
  /** When set, the next save stores this many entries, then throws (a partial checkpoint save). */
  failAfter: number | undefined;

  async load(keys: readonly string[]): Promise<Map<string, VersionedState>> {
    this.loadedKeys.push(...keys);
    return this.inner.load(keys);
  }

  async save(entries: readonly VersionedState[]): Promise<SaveResult> {
    const conflicts = entries.filter((e) => this.conflictOnce.has(e.key)).map((e) => e.key);
    for (const key of conflicts) this.conflictOnce.delete(key);
    let rest = entries.filter((e) => !conflicts.includes(e.key));
    const failAfter = this.failAfter;
    if (failAfter !== undefined) rest = rest.slice(0, failAfter);
    this.savedKeys.push(...rest.map((e) => e.key));
    const result = await this.inner.save(rest);
    if (failAfter !== undefined) {
      this.failAfter = undefined;
      throw new Error(`DynamoDB: saved ${failAfter} of ${entries.length}, then the connection dropped`);
    }
    return { conflicts: [...conflicts, ...result.conflicts] };
  }

  async quarantine(entries: Parameters<FeatureStateStore['quarantine']>[0]): Promise<void> {
    await this.inner.quarantine(entries);
  }

  version(key: string): number {
    return this.inner.versionOf(key);
  }
}

function setup(overrides: Partial<DetectHandlerDeps> = {}) {
  const outcomes: BatchOutcome[] = [];
  const deps = {
    detector,
    stateStore: new SpyStateStore(),
    timeSeries: new MemoryTimeSeriesStore(),
    alerts: new MemoryAlertPublisher(),
    deadLetters: new RecordingDeadLetters(),
  };
  const handler = createDetectHandler({ ...deps, onOutcome: (o) => outcomes.push(o), ...overrides });
  return { ...deps, handler, outcomes };
}

/** Every outcome accounts for every user record. */
function expectCountersAddUp(outcomes: readonly BatchOutcome[]): void {
  for (const o of outcomes) expect(o.scored + o.redelivered + o.deadLettered + o.retried).toBe(o.in);
}

describe('createDetectHandler', () => {
  it('scores a batch across several series and channels, stores every point and saves each series once', async () => {
    // Prepare
    const events = [...series('a', 20, 1), ...series('b', 20, 2), ...series('c', 20, 3)];
    events.push({ series: 'host', timestamp: T0, values: { cpu: 0.5, mem: 0.7 } });
    const { handler, stateStore, timeSeries, outcomes } = setup();
    // Act
    const response = await handler(batch(events));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(timeSeries.size).toBe(62);
    expect(timeSeries.series()).toEqual(['a', 'b', 'c', 'host']);
    expect(timeSeries.channels('host')).toEqual(['cpu', 'mem']);
    expect(stateStore.savedKeys.sort()).toEqual([
      'a',
      'b',
      'c',
      seriesKey('host', 'cpu'),
      seriesKey('host', 'mem'),
    ]);
    expect(outcomes).toEqual([{ in: 61, scored: 61, redelivered: 0, deadLettered: 0, retried: 0 }]);
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
      '{"series":"a\\nb","timestamp":1700000000000,"value":1}',
      '{"series":"a","timestamp":1e300,"value":1}',
      '{"series":"a","timestamp":1700000000000,"value":1,"dimensions":{"series":"x"}}',
    ];
    const records = [
      record(JSON.stringify(good[0]), 'a', 0),
      ...bad.map((data, i) => record(data, 'a', 1 + i)),
      record(JSON.stringify(good[1]), 'a', 8),
      record(JSON.stringify(good[2]), 'a', 9),
    ];
    const metrics = { addMetric: vi.fn(), addDimension: vi.fn() };
    const { handler, deadLetters, timeSeries, outcomes } = setup({
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
      expect.stringMatching(/series: must not contain control characters/),
      expect.stringMatching(/timestamp: must be between 1973-03-03 and 2262/),
      expect.stringMatching(/dimensions.series: dimension name "series" is reserved/),
    ]);
    expect(deadLetters.entries.map((e) => e.data)).toEqual(records.slice(1, 8).map((r) => r.kinesis.data));
    expect(deadLetters.entries.map((e) => e.sequenceNumber)).toEqual(
      records.slice(1, 8).map((r) => r.kinesis.sequenceNumber),
    );
    expect(metrics.addDimension).toHaveBeenCalledWith('ModelVersion', detector.modelVersion);
    expect(metrics.addMetric).toHaveBeenCalledWith('RecordsIn', 'Count', 10);
    expect(metrics.addMetric).toHaveBeenCalledWith('RecordsRejected', 'Count', 7);
    expect(metrics.addMetric).toHaveBeenCalledWith('RecordsProcessed', 'Count', 3);
    expectCountersAddUp(outcomes);
  });

  it('refuses a point stamped too far ahead, so one bad clock cannot make every later point "late"', async () => {
    // Prepare: a producer stamps one point a year ahead, then sends a burst the series must still catch
    const now = T0 + 700 * MINUTE;
    const { handler, deadLetters, alerts } = setup({ clock: { now: () => now } });
    await handler(batch(series('cpu', 600, 21)));
    const yearAhead = { series: 'cpu', timestamp: now + 365 * 24 * 60 * MINUTE, value: 100 };
    // Act
    await handler(batch([yearAhead], 600));
    await handler(batch(series('cpu', 60, 22, 30, T0 + 600 * MINUTE), 601));
    // Assess
    expect(deadLetters.entries).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/timestamp: is \d+ s ahead of the receiving clock/),
      }),
    ]);
    expect(alerts.transitions.filter((t) => t.kind === 'opened')).toHaveLength(1);
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
    const { handler, timeSeries, outcomes } = setup({ deadLetters });
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
    expect(timeSeries.rewrites).toEqual([]);
    expectCountersAddUp(outcomes);
  });

  it('dead-letters a corrupt KPL aggregate, and one holding no user records, as a whole', async () => {
    // Prepare
    const users = [{ partitionKey: 'k', data: JSON.stringify(series('k', 1, 6)[0]) }];
    const good = await aggregated(users, 0);
    const bytes = Buffer.from(good.kinesis.data, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff; // break the MD5 trailer
    const magic = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
    const empty = Buffer.concat([magic, createHash('md5').update(Buffer.alloc(0)).digest()]);
    const { handler, deadLetters, outcomes } = setup();
    // Act
    const response = await handler({ Records: [record(bytes, 'k', 0), record(empty, 'k', 1)] });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.entries).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/invalid KPL aggregate/) }),
      expect.objectContaining({ reason: 'KPL aggregate holds no user records' }),
    ]);
    expect(outcomes).toEqual([{ in: 2, scored: 0, redelivered: 0, deadLettered: 2, retried: 0 }]);
  });

  it('re-delivered records neither update state again nor open a second episode, warm or cold', async () => {
    // Prepare
    const event = batch(series('cpu', 660, 7, 600));
    const { handler, stateStore, alerts, timeSeries, deadLetters } = setup();
    const first = await handler(event);
    const opened = alerts.transitions.filter((t) => t.kind === 'opened');
    const outcomes: BatchOutcome[] = [];
    const cold = createDetectHandler({
      detector,
      stateStore,
      timeSeries,
      alerts: new SnsAlertPublisher(new FlakySns(), new MemoryPublishLedger(), { topicArn: 'arn:t' }),
      deadLetters,
      onOutcome: (o) => outcomes.push(o),
    });
    // Act
    const warmAgain = await handler(event);
    const coldAgain = await cold(event);
    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(opened).toHaveLength(1);
    expect([warmAgain.batchItemFailures, coldAgain.batchItemFailures]).toEqual([[], []]);
    expect(stateStore.version('cpu')).toBe(1);
    expect(stateStore.savedKeys).toEqual(['cpu']);
    expect(alerts.transitions.filter((t) => t.kind === 'opened')).toHaveLength(1);
    expect(outcomes).toEqual([{ in: 660, scored: 0, redelivered: 660, deadLettered: 0, retried: 0 }]);
    // The cold container re-delivers the last saved outbox (it cannot know it was delivered): same scores.
    expect(timeSeries.rewrites.every((r) => !r.changed)).toBe(true);
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
    expect(bounded.stateStore.loadedKeys.filter((k) => k === 'a').length).toBeGreaterThan(1);
    expect(unbounded.stateStore.loadedKeys.filter((k) => k === 'a')).toHaveLength(1);
    for (const name of ['a', 'b']) {
      expect(bounded.timeSeries.query(name).map((p) => p.probability)).toEqual(
        unbounded.timeSeries.query(name).map((p) => p.probability),
      );
    }
    expect(bounded.timeSeries.rewrites.every((r) => !r.changed)).toBe(true);
  });

  it('skips a re-delivered batch by sequence number: no point of it is scored or written again', async () => {
    // Prepare: far more points of one series than the detector remembers timestamps for
    const event = batch(series('cpu', 500, 3));
    const timeSeries = new MemoryTimeSeriesStore();
    const write = vi.spyOn(timeSeries, 'write');
    const { handler } = setup({ timeSeries });
    await handler(event);
    // Act
    const again = await handler(event);
    // Assess
    expect(again.batchItemFailures).toEqual([]);
    expect(write).toHaveBeenCalledTimes(1);
    expect(timeSeries.writes).toBe(500);
  });

  it('compares sequence numbers only within the shard that wrote the checkpoint', async () => {
    // Prepare: series "cpu" arrives on shard 1, then (a producer keying by something else) on shard 2 with
    // sequence numbers that happen to be lower
    const { handler, timeSeries } = setup();
    await handler(batch(series('cpu', 10, 4), 1_000, 'shardId-000000000001'));
    // Act
    const response = await handler(
      batch(series('cpu', 5, 4, Number.POSITIVE_INFINITY, T0 + 10 * MINUTE), 0, 'shardId-000000000002'),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(timeSeries.query('cpu')).toHaveLength(15);
  });

  it('scores a new record with an older timestamp once, as late, and checkpoints its sequence number', async () => {
    // Prepare
    const events = series('cpu', 300, 5);
    const { handler, timeSeries } = setup();
    await handler(batch(events));
    const late = { series: 'cpu', timestamp: T0 + 100 * MINUTE + 30_000, value: 100 };
    // Act
    const response = await handler(batch([late], 300));
    const again = await handler(batch([late], 300));
    // Assess
    expect([response.batchItemFailures, again.batchItemFailures]).toEqual([[], []]);
    expect(timeSeries.query('cpu', { from: late.timestamp, to: late.timestamp + 1 })).toHaveLength(1);
    expect(timeSeries.rewrites).toEqual([]);
  });

  it('when the time-series store throws after the checkpoint, the retry delivers the saved outbox with the same scores', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();
    let failures = 1;
    const timeSeries = {
      async write(points: readonly ScoredPoint[]): Promise<WriteResult> {
        if (failures-- > 0) {
          await store.write(points.slice(0, 7)); // a partial write before the throttling
          throw new Error('Timestream throttled');
        }
        return store.write(points);
      },
    };
    const event = batch([...series('a', 10, 8), ...series('b', 10, 9)]);
    event.Records.unshift(record('not json', 'a', 99));
    const { handler, stateStore, deadLetters, outcomes } = setup({ timeSeries });
    // Act
    const failed = await handler(event);
    const versionsAfterFailure = [stateStore.version('a'), stateStore.version('b')];
    const retried = await handler(retryOf(event, failed));
    // Assess
    expect(failed.batchItemFailures).toEqual(
      event.Records.slice(1).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    );
    expect(versionsAfterFailure).toEqual([1, 1]);
    expect(retried.batchItemFailures).toEqual([]);
    expect(store.size).toBe(20);
    expect(store.rewrites).toHaveLength(7);
    expect(store.rewrites.every((r) => !r.changed)).toBe(true);
    expect([stateStore.version('a'), stateStore.version('b')]).toEqual([1, 1]);
    expect(deadLetters.entries).toHaveLength(1);
    expect(outcomes.at(-1)).toEqual({ in: 20, scored: 0, redelivered: 20, deadLettered: 0, retried: 0 });
  });

  it('dead-letters a point the store refuses for good, alone, and stores its batch-mates', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();
    const timeSeries = {
      async write(points: readonly ScoredPoint[]): Promise<WriteResult> {
        const refused = points.filter((p) => p.timestamp === T0 + 3 * MINUTE);
        await store.write(points.filter((p) => !refused.includes(p)));
        return { rejected: refused.map((point) => ({ point, reason: 'outside the retention window' })) };
      },
    };
    const { handler, deadLetters } = setup({ timeSeries });
    // Act
    const response = await handler(batch(series('a', 6, 10)));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(store.size).toBe(5);
    expect(deadLetters.entries).toEqual([
      expect.objectContaining({
        reason: 'scored, but the time-series store refused the point: outside the retention window',
        partitionKey: 'a',
      }),
    ]);
    const letter = JSON.parse(Buffer.from(deadLetters.entries[0]?.data ?? '', 'base64').toString());
    expect(letter).toMatchObject({ series: 'a', channel: 'value', timestamp: T0 + 3 * MINUTE });
  });

  it('quarantines an unreadable checkpoint: that series starts afresh, the healthy one beside it goes on', async () => {
    // Prepare
    const stateStore = new SpyStateStore();
    const { handler, timeSeries } = setup({ stateStore });
    await handler(batch([...series('ok', 5, 1), ...series('bad', 5, 2)]));
    stateStore.inner.putRaw('bad', Buffer.from('garbage that is no checkpoint'), stateStore.version('bad'));
    const metrics = { addMetric: vi.fn(), addDimension: vi.fn() };
    const cold = createDetectHandler({
      detector,
      stateStore,
      timeSeries,
      alerts: new MemoryAlertPublisher(),
      deadLetters: new RecordingDeadLetters(),
      metrics: metrics as unknown as DetectHandlerDeps['metrics'],
    });
    // Act
    const response = await cold(
      batch(
        [...series('ok', 5, 1, Infinity, T0 + 5 * MINUTE), ...series('bad', 5, 2, Infinity, T0 + 5 * MINUTE)],
        10,
      ),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(stateStore.inner.quarantined).toEqual([
      expect.objectContaining({ key: 'bad', version: 1, reason: expect.stringMatching(/"k" header/) }),
    ]);
    expect(metrics.addMetric).toHaveBeenCalledWith('StatesQuarantined', 'Count', 1);
    expect(timeSeries.query('ok')).toHaveLength(10);
    expect(timeSeries.query('bad')).toHaveLength(10);
    expect(stateStore.version('bad')).toBe(2);
  });

  it('reads a checkpoint of the first format, so an upgrade keeps what series learned', async () => {
    // Prepare
    const state = (await (async () => {
      const states = new Map();
      await detector.detect(
        series('cpu', 300, 5).map((e) => ({
          ...(e as { series: string; timestamp: number }),
          values: { value: (e as { value: number }).value },
          dimensions: {},
        })),
        states,
      );
      return states.get('cpu');
    })()) as Parameters<typeof encodeSeriesState>[0];
    const legacy = encodeSeriesState(state, 136);
    legacy[0] = 0x6b;
    legacy[1] = 0x31;
    const stateStore = new SpyStateStore();
    stateStore.inner.putRaw('cpu', legacy, 3);
    const { handler } = setup({ stateStore });
    // Act
    const response = await handler(batch(series('cpu', 1, 6, Infinity, T0 + 300 * MINUTE), 400));
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(stateStore.inner.quarantined).toEqual([]);
    expect(stateStore.version('cpu')).toBe(4);
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
    const versionsAfterConflict = [stateStore.version('a'), stateStore.version('b')];
    const loadsBeforeRetry = stateStore.loadedKeys.length;
    const retried = await handler(retryOf(event, response));
    // Assess
    expect(response.batchItemFailures).toEqual(
      event.Records.slice(1).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    );
    expect(versionsAfterConflict).toEqual([2, 2]);
    expect(retried.batchItemFailures).toEqual([]);
    expect(stateStore.loadedKeys.slice(loadsBeforeRetry)).toEqual(['b']);
    expect([stateStore.version('a'), stateStore.version('b')]).toEqual([2, 3]);
    expect(timeSeries.query('a')).toHaveLength(5);
    expect(timeSeries.query('b')).toHaveLength(5);
    expect(timeSeries.rewrites.filter((r) => r.changed)).toEqual([]);
  });

  it('a stale warm cache in a second container produces no write and no transition before its save loses', async () => {
    // Prepare: containers A and B share the stores; A sees batch 1, B batch 2, A batch 3 (stale warm state)
    const events = series('cpu', 900, 31, 700);
    const shared = setup();
    const { stateStore, timeSeries, alerts, deadLetters } = shared;
    const b = createDetectHandler({ detector, stateStore, timeSeries, alerts, deadLetters });
    const reference = setup();
    const batches = [
      batch(events.slice(0, 600)),
      batch(events.slice(600, 650), 600),
      batch(events.slice(650), 650),
    ];
    for (const event of batches) await reference.handler(event);
    // Act
    await shared.handler(batches[0] as KinesisStreamEvent);
    await b(batches[1] as KinesisStreamEvent);
    const stale = await shared.handler(batches[2] as KinesisStreamEvent);
    const retried = await shared.handler(retryOf(batches[2] as KinesisStreamEvent, stale));
    // Assess
    expect(stale.batchItemFailures).toHaveLength(250);
    expect(retried.batchItemFailures).toEqual([]);
    expect(shared.timeSeries.rewrites.filter((r) => r.changed)).toEqual([]);
    expect(shared.timeSeries.query('cpu').map((p) => p.probability)).toEqual(
      reference.timeSeries.query('cpu').map((p) => p.probability),
    );
    expect(shared.alerts.transitions.map((t) => t.kind)).toEqual(
      reference.alerts.transitions.map((t) => t.kind),
    );
  });

  it('after a partial checkpoint save, the retry delivers what was saved and computes the rest', async () => {
    // Prepare
    const stateStore = new SpyStateStore();
    stateStore.failAfter = 2;
    const events = [...series('a', 5, 1), ...series('b', 5, 2), ...series('c', 5, 3)];
    const { handler, timeSeries } = setup({ stateStore });
    const reference = setup();
    await reference.handler(batch(events));
    // Act
    const failed = await handler(batch(events));
    const retried = await handler(retryOf(batch(events), failed));
    // Assess
    expect(failed.batchItemFailures).toHaveLength(15);
    expect(retried.batchItemFailures).toEqual([]);
    for (const name of ['a', 'b', 'c']) {
      expect(timeSeries.query(name)).toEqual(reference.timeSeries.query(name));
    }
    expect(timeSeries.rewrites).toEqual([]);
  });

  it('a multi-channel event whose channel conflicted is retried for that channel only: no observation lost', async () => {
    // Prepare
    const stateStore = new SpyStateStore();
    const events = Array.from({ length: 20 }, (_, i) => ({
      series: 'pump',
      timestamp: T0 + i * MINUTE,
      values: { pressure: 3 + (i % 3) / 10, flow: 10 + (i % 4) },
    }));
    const { handler, timeSeries } = setup({ stateStore });
    await handler(batch(events.slice(0, 10)));
    stateStore.conflictOnce.add(seriesKey('pump', 'flow'));
    const event = batch(events.slice(10), 10);
    // Act
    const failed = await handler(event);
    const retried = await handler(retryOf(event, failed));
    // Assess
    expect(failed.batchItemFailures).toHaveLength(10);
    expect(retried.batchItemFailures).toEqual([]);
    expect(timeSeries.query('pump', {}, 'pressure')).toHaveLength(20);
    expect(timeSeries.query('pump', {}, 'flow')).toHaveLength(20);
    // Reloading "flow" re-delivers its last saved outbox (batch 1's points): rewrites, with the same scores.
    expect(timeSeries.rewrites.filter((r) => r.changed)).toEqual([]);
  });

  it('fails the batch when alert publishing partly fails, and the retry publishes each transition once', async () => {
    // Prepare: the real SNS publisher and its ledger over an SNS that fails one entry once
    const sns = new FlakySns({ failEntries: 1 });
    const alerts = new SnsAlertPublisher(sns, new MemoryPublishLedger(), {
      topicArn: 'arn:aws:sns:eu-west-1:1:anomalies',
      backoff: { maxAttempts: 1 },
    });
    const events = [...series('x', 620, 12, 600), ...series('y', 620, 13, 600)];
    const event = batch(events);
    const { handler, stateStore } = setup({ alerts });
    // Act
    const failed = await handler(event);
    const retried = await handler(retryOf(event, failed));
    // Assess
    expect(failed.batchItemFailures).toHaveLength(event.Records.length);
    expect(stateStore.version('x')).toBe(1);
    expect(retried.batchItemFailures).toEqual([]);
    const opened = sns.delivered.filter((t) => t.kind === 'opened');
    expect(opened.map((t) => t.series).sort()).toEqual(['x', 'y']);
    expect(sns.duplicates).toBe(0);
  });
});
