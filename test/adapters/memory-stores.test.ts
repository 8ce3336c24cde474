import { describe, expect, it } from 'vitest';
import {
  MemoryAlertPublisher,
  MemoryPublishLedger,
  MemoryStateStore,
  MemoryTimeSeriesStore,
} from '../../adapters/memory-stores.ts';
import { point, transition } from './fixtures.ts';

describe('MemoryTimeSeriesStore', () => {
  it('answers by series and half-open time range, oldest first', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();
    await store.write([point({ timestamp: 3 }), point({ timestamp: 1 }), point({ timestamp: 2 })]);
    await store.write([point({ series: 'other', timestamp: 2 })]);

    // Act
    const ranged = store.query('api/latency', { from: 2, to: 3 });
    const all = store.query('api/latency');

    // Assess
    expect(ranged.map((p) => p.timestamp)).toEqual([2]);
    expect(all.map((p) => p.timestamp)).toEqual([1, 2, 3]);
    expect(store.series()).toEqual(['api/latency', 'other']);
  });

  it('keeps one point per series and timestamp', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();

    // Act
    await store.write([point({ value: 1 }), point({ value: 2 })]);
    await store.write([point({ value: 3 })]);

    // Assess
    expect(store.size).toBe(1);
    expect(store.query('api/latency')[0]?.value).toBe(3);
  });

  it('places a late point in time order and replaces a rewritten one among older points', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();
    await store.write([10, 20, 30, 40].map((timestamp) => point({ timestamp, value: timestamp })));

    // Act
    await store.write([point({ timestamp: 25, value: 25 }), point({ timestamp: 20, value: -20 })]);

    // Assess
    expect(store.query('api/latency').map((p) => p.value)).toEqual([10, -20, 25, 30, 40]);
    expect(store.query('api/latency', { from: 20, to: 30 }).map((p) => p.timestamp)).toEqual([20, 25]);
  });

  it('keeps only the newest points of a series when bounded', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore(3);

    // Act
    for (let t = 1; t <= 50; t++) await store.write([point({ timestamp: t })]);

    // Assess
    expect(store.query('api/latency').map((p) => p.timestamp)).toEqual([48, 49, 50]);
    expect(store.size).toBe(3);
  });
});

describe('MemoryStateStore', () => {
  it('applies the same optimistic concurrency as DynamoDB', async () => {
    // Prepare
    const store = new MemoryStateStore();

    // Act
    const created = await store.save([{ key: 'k', version: 0, state: { n: 1 } }]);
    const raced = await store.save([{ key: 'k', version: 0, state: { n: 99 } }]);
    const updated = await store.save([{ key: 'k', version: 1, state: { n: 2 } }]);
    const stale = await store.save([{ key: 'k', version: 1, state: { n: 98 } }]);
    const loaded = await store.load(['k', 'missing']);

    // Assess
    expect([created, raced, updated, stale].map((r) => r.conflicts)).toEqual([[], ['k'], [], ['k']]);
    expect([...loaded.values()]).toEqual([{ key: 'k', version: 2, state: { n: 2 } }]);
  });

  it('does not share state objects with callers', async () => {
    // Prepare
    const store = new MemoryStateStore();
    const state = { n: 1 };
    await store.save([{ key: 'k', version: 0, state }]);

    // Act
    state.n = 5;
    const loaded = await store.load(['k']);

    // Assess
    expect(loaded.get('k')?.state).toEqual({ n: 1 });
  });
});

describe('MemoryAlertPublisher', () => {
  it('captures each episode transition once', async () => {
    // Prepare
    const publisher = new MemoryAlertPublisher();

    // Act
    await publisher.publish([transition(), transition({ kind: 'resolved' })]);
    await publisher.publish([transition()]);

    // Assess
    expect(publisher.transitions.map((t) => t.kind)).toEqual(['opened', 'resolved']);
  });
});

describe('MemoryPublishLedger', () => {
  it('skips only ids marked sent', async () => {
    // Prepare
    const ledger = new MemoryPublishLedger();

    // Act
    const results = [await ledger.claim('a'), await ledger.claim('a')];
    await ledger.markSent('a');
    results.push(await ledger.claim('a'));

    // Assess
    expect(results).toEqual([true, true, false]);
  });
});
