import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  MemoryAlertPublisher,
  MemoryStateStore,
  MemoryTimeSeriesStore,
} from '../../adapters/memory-stores.ts';
import type { ScoredPoint } from '../../core/detection-types.ts';
import { Detector } from '../../core/detector.ts';
import { scoreReference } from '../../core/learning/drift.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import { createDetectHandler, type DetectHandlerDeps } from '../../functions/detect/detect-handler.ts';
import { DriftMeter } from '../../functions/detect/drift-meter.ts';
import { modelScoreReference } from '../../models/drift-reference.ts';
import { DEFAULT_MODEL_DIR, loadModel, SCORE_REFERENCE_FILE } from '../../models/model-store.ts';
import { Random } from '../../models/random.ts';
import { batch } from '../support/kinesis-records.ts';

const random = new Random(7);
const training = Array.from({ length: 20_000 }, () => random.normal(0.33, 0.02));
const reference = scoreReference(training);

function scorer(modelVersion: string, withReference = true): BatchScorer {
  return {
    modelVersion,
    ...(withReference && { scoreReference: reference }),
    score: async (_f, rows) => new Float32Array(rows),
  };
}

function points(n: number, mean: number, modelVersion = 'm@1'): ScoredPoint[] {
  return Array.from(
    { length: n },
    () => ({ rawScore: random.normal(mean, 0.02), modelVersion }) as ScoredPoint,
  );
}

describe('DriftMeter', () => {
  it('reads near zero while scores follow the training distribution, and above the alarm when they shift', () => {
    // Prepare
    let now = 0;
    const meter = new DriftMeter({ windowMs: 1_000, minPoints: 5_000, clock: { now: () => now } });
    const champion = scorer('m@1');

    // Act
    const beforeWindow = meter.add(champion, points(6_000, 0.33));
    now = 1_000;
    const stable = meter.add(champion, points(1, 0.33));
    now = 2_000;
    const tooFew = meter.add(champion, points(100, 0.4));
    const shifted = meter.add(champion, points(6_000, 0.4));

    // Assess
    expect(beforeWindow).toBeUndefined();
    expect(stable).toBeLessThan(0.01);
    expect(tooFew).toBeUndefined();
    expect(shifted).toBeGreaterThan(0.25);
  });

  it("starts over for a new champion, and counts neither a challenger's canary points nor a model without reference", () => {
    // Prepare
    const meter = new DriftMeter({ windowMs: 0, minPoints: 1_000 });

    // Act
    const partial = meter.add(scorer('m@1'), points(900, 0.4));
    const afterSwap = meter.add(scorer('m@2'), points(900, 0.33, 'm@2'));
    const canary = meter.add(scorer('m@2'), points(5_000, 0.4, 'challenger@3'));
    const completed = meter.add(scorer('m@2'), points(100, 0.33, 'm@2'));
    const noReference = meter.add(scorer('m@4', false), points(5_000, 0.4, 'm@4'));

    // Assess
    expect(partial).toBeUndefined();
    expect(afterSwap).toBeUndefined();
    expect(canary).toBeUndefined();
    expect(completed).toBeLessThan(0.02); // the 900 shifted points of m@1 were not carried over
    expect(noReference).toBeUndefined();
  });

  it('reports the figure as ScoreDriftPSI from the handler, once under the service dimension alone for the alarm', async () => {
    // Prepare
    const model = await loadModel();
    const single = { addMetric: vi.fn() };
    const metrics = { addMetric: vi.fn(), addDimension: vi.fn(), singleMetric: () => single };
    const handler = createDetectHandler({
      detector: new Detector(model.scorer),
      stateStore: new MemoryStateStore(),
      timeSeries: new MemoryTimeSeriesStore(),
      alerts: new MemoryAlertPublisher(),
      deadLetters: { send: async () => {} },
      metrics: metrics as unknown as DetectHandlerDeps['metrics'],
      drift: new DriftMeter({ windowMs: 0, minPoints: 50 }),
    });
    const t0 = Date.UTC(2024, 0, 1);

    // Act
    await handler(
      batch(
        Array.from({ length: 60 }, (_, i) => ({ series: 'a', timestamp: t0 + i * 60_000, value: i % 7 })),
      ),
    );

    // Assess
    const psi = single.addMetric.mock.calls.find((c) => c[0] === 'ScoreDriftPSI')?.[2];
    expect(psi).toBeGreaterThanOrEqual(0);
    expect(metrics.addMetric).toHaveBeenCalledWith('ScoreDriftPSI', 'None', psi);
  });
});

describe('the shipped model', () => {
  it('ships the drift reference its own scores give (npm run train writes it)', async () => {
    // Prepare
    const { card, scorer: shipped } = await loadModel();
    const stored = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, SCORE_REFERENCE_FILE), 'utf8'));

    // Act
    const computed = await modelScoreReference(card, shipped);

    // Assess
    expect(shipped.scoreReference).toEqual(stored);
    expect(stored.edges).toHaveLength(computed.edges.length);
    const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - (b[i] as number)) < 1e-6);
    expect(close(stored.edges, computed.edges as number[])).toBe(true);
    expect(close(stored.fractions, computed.fractions as number[])).toBe(true);
  });
});
