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

  it('keeps the first write of a series and timestamp, and records every rewrite, flagging changed ones', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();

    // Act
    await store.write([point({ value: 1 }), point({ value: 1 })]);
    await store.write([point({ value: 3 })]);

    // Assess
    expect(store.size).toBe(1);
    expect(store.writes).toBe(3);
    expect(store.query('api/latency')[0]?.value).toBe(1);
    expect(store.rewrites.map((r) => [r.second.value, r.changed])).toEqual([
      [1, false],
      [3, true],
    ]);
  });

  it('places a late point in time order among older points', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();
    await store.write([10, 20, 30, 40].map((timestamp) => point({ timestamp, value: timestamp })));

    // Act
    await store.write([point({ timestamp: 25, value: 25 })]);

    // Assess
    expect(store.query('api/latency').map((p) => p.value)).toEqual([10, 20, 25, 30, 40]);
    expect(store.query('api/latency', { from: 20, to: 30 }).map((p) => p.timestamp)).toEqual([20, 25]);
  });

  it('keeps series "a/b" apart from series "a" with channel "b"', async () => {
    // Prepare
    const store = new MemoryTimeSeriesStore();

    // Act
    await store.write([point({ series: 'a/b', value: 1 }), point({ series: 'a', channel: 'b', value: 2 })]);

    // Assess
    expect(store.rewrites).toEqual([]);
    expect(store.query('a/b')[0]?.value).toBe(1);
    expect(store.query('a', {}, 'b')[0]?.value).toBe(2);
    expect(store.series()).toEqual(['a', 'a/b']);
    expect(store.channels('a')).toEqual(['b']);
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
  it('keeps every publication, counting duplicates rather than dropping them', async () => {
    // Prepare
    const publisher = new MemoryAlertPublisher();

    // Act
    await publisher.publish([transition(), transition({ kind: 'resolved' })]);
    await publisher.publish([transition()]);

    // Assess
    expect(publisher.transitions.map((t) => t.kind)).toEqual(['opened', 'resolved', 'opened']);
    expect(publisher.duplicates).toBe(1);
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
