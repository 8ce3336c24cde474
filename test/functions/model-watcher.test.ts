import { beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryAlertPublisher,
  MemoryStateStore,
  MemoryTimeSeriesStore,
} from '../../adapters/memory-stores.ts';
import { Detector } from '../../core/detector.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import { createDetectHandler } from '../../functions/detect/detect-handler.ts';
import {
  type ModelPointers,
  type ModelRef,
  type ModelRegistryReader,
  ModelWatcher,
} from '../../functions/detect/model-watcher.ts';
import { loadModel } from '../../models/model-store.ts';
import { batch } from '../support/kinesis-records.ts';

const T0 = Date.UTC(2026, 0, 1);

let layer: BatchScorer;
beforeAll(async () => {
  layer = (await loadModel()).scorer;
});

/** A version of the layer's model under another name, that remembers being released. */
function model(version: string): BatchScorer & { released: boolean } {
  return {
    modelVersion: version,
    released: false,
    score: (features, rows) => layer.score(features, rows),
    async release() {
      this.released = true;
    },
  };
}

/** A registry whose pointers and artifacts a test moves, breaks and slows down. */
class FakeRegistry implements ModelRegistryReader {
  pointersNow: ModelPointers = {};
  models = new Map<string, BatchScorer>();
  pointersDown = false;
  corrupt = new Set<string>();
  reads = 0;
  gate: Promise<void> | undefined;

  async pointers(): Promise<ModelPointers> {
    this.reads += 1;
    if (this.pointersDown) throw new Error('DynamoDB unavailable');
    return this.pointersNow;
  }

  async load(ref: ModelRef): Promise<BatchScorer> {
    await this.gate;
    if (this.corrupt.has(ref.version)) throw new Error(`sha256 of ${ref.version} differs from its card`);
    const found = this.models.get(ref.version);
    if (!found) throw new Error(`no artifact for ${ref.version}`);
    return found;
  }
}

function setup() {
  let now = 0;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const registry = new FakeRegistry();
  const detector = new Detector(layer);
  const failures: string[] = [];
  const watcher = new ModelWatcher(detector, registry, layer, {
    clock,
    events: { failed: (what, error) => failures.push(`${what}: ${(error as Error).message}`) },
  });
  return { clock, registry, detector, watcher, failures };
}

describe('ModelWatcher', () => {
  it('picks up a moved champion pointer after the TTL, not before, and releases the session it left', async () => {
    // Prepare
    const { clock, registry, detector, watcher } = setup();
    const v2 = model('m@2');
    const v3 = model('m@3');
    registry.models.set('m@2', v2).set('m@3', v3);
    registry.pointersNow = { champion: { version: 'm@2', sha256: 'x' } };
    await watcher.refresh();
    // Act
    registry.pointersNow = { champion: { version: 'm@3', sha256: 'y' } };
    clock.advance(59_000);
    await watcher.refresh();
    const beforeTtl = detector.modelVersion;
    clock.advance(1_000);
    await watcher.refresh();
    // Assess
    expect(beforeTtl).toBe('m@2');
    expect(detector.modelVersion).toBe('m@3');
    expect(registry.reads).toBe(2);
    expect(v2.released).toBe(true);
    expect(v3.released).toBe(false);
  });

  it('keeps the last good model when the new one fails verification, and tries again after the TTL', async () => {
    // Prepare
    const { clock, registry, detector, watcher, failures } = setup();
    registry.models.set('m@2', model('m@2')).set('m@3', model('m@3'));
    registry.pointersNow = { champion: { version: 'm@2', sha256: 'x' } };
    await watcher.refresh();
    registry.pointersNow = { champion: { version: 'm@3', sha256: 'y' } };
    registry.corrupt.add('m@3');
    // Act
    clock.advance(60_000);
    await watcher.refresh();
    const whileCorrupt = detector.modelVersion;
    registry.corrupt.clear();
    clock.advance(60_000);
    await watcher.refresh();
    // Assess
    expect(whileCorrupt).toBe('m@2');
    expect(failures).toEqual(['champion: sha256 of m@3 differs from its card']);
    expect(detector.modelVersion).toBe('m@3');
  });

  it('keeps the last good set while the pointer store is down, and falls back to the layer without a champion', async () => {
    // Prepare
    const { clock, registry, detector, watcher, failures } = setup();
    registry.models.set('m@2', model('m@2'));
    registry.pointersNow = { champion: { version: 'm@2', sha256: 'x' } };
    await watcher.refresh();
    // Act
    registry.pointersDown = true;
    clock.advance(60_000);
    await watcher.refresh();
    const whileDown = detector.modelVersion;
    registry.pointersDown = false;
    registry.pointersNow = {};
    clock.advance(60_000);
    await watcher.refresh();
    // Assess
    expect(whileDown).toBe('m@2');
    expect(failures).toEqual(['pointers: DynamoDB unavailable']);
    expect(detector.modelVersion).toBe(layer.modelVersion);
  });

  it('sets a challenger in shadow or canary as the pointers say', async () => {
    // Prepare
    const { registry, detector, watcher } = setup();
    registry.models.set('m@2', model('m@2'));
    registry.pointersNow = { challenger: { version: 'm@2', sha256: 'x' }, canaryPercent: 10 };
    // Act
    await watcher.refresh();
    // Assess
    expect(detector.modelSet.champion).toBe(layer);
    expect(detector.modelSet.challenger?.modelVersion).toBe('m@2');
    expect(detector.modelSet.canaryPercent).toBe(10);
  });

  it('no batch sees a half-loaded model: the handler waits for the swap, then scores the whole batch with it', async () => {
    // Prepare: the new model's download is held until the test lets it go
    const { registry, detector, watcher } = setup();
    registry.models.set('m@2', model('m@2'));
    registry.pointersNow = { champion: { version: 'm@2', sha256: 'x' } };
    let release = () => {};
    registry.gate = new Promise((resolve) => {
      release = resolve;
    });
    const timeSeries = new MemoryTimeSeriesStore();
    const handler = createDetectHandler({
      detector,
      stateStore: new MemoryStateStore(),
      timeSeries,
      alerts: new MemoryAlertPublisher(),
      deadLetters: { send: async () => {} },
      models: watcher,
    });
    const events = Array.from({ length: 50 }, (_, i) => ({
      series: 's',
      timestamp: T0 + i * 60_000,
      value: i,
    }));
    // Act
    const pending = handler(batch(events));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const writtenWhileLoading = timeSeries.writes;
    release();
    await pending;
    // Assess
    expect(writtenWhileLoading).toBe(0);
    expect(new Set(timeSeries.query('s').map((p) => p.modelVersion))).toEqual(new Set(['m@2']));
  });
});
