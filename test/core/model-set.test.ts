import { beforeAll, describe, expect, it } from 'vitest';
import { type DetectionResult, Detector, type SeriesDetectorState } from '../../core/detector.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { alignCalibration, inCanary, modelTag } from '../../core/model-set.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import { decodeSeriesState, encodeSeriesState } from '../../core/state-codec.ts';
import { loadModel } from '../../models/model-store.ts';
import { Random } from '../../models/random.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

let champion: BatchScorer;
/** A second model whose raw scores live on another scale entirely, as a retrained model's would. */
let challenger: BatchScorer;

beforeAll(async () => {
  champion = (await loadModel()).scorer;
  challenger = {
    modelVersion: 'challenger@2',
    async score(features, rows) {
      const raw = await champion.score(features, rows);
      return raw.map((x) => 5 * x + 3);
    },
  };
});

/** Calm events of `series` from minute `from` to `to`, with a burst of +12 deviations at `burstAt`. */
function events(series: string, from: number, to: number, seed: number, burstAt = -1): MeasurementEvent[] {
  const random = new Random(seed);
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return {
      series,
      timestamp: T0 + i * MINUTE,
      values: { value: random.normal(100, 2) + (i >= burstAt && i < burstAt + 8 && burstAt >= 0 ? 24 : 0) },
      dimensions: {},
    };
  });
}

function opened(result: DetectionResult): number[] {
  return result.transitions.filter((t) => t.kind === 'opened').map((t) => (t.startedAt - T0) / MINUTE);
}

describe('model set', () => {
  it('a promotion after a shadow period opens no episode on a stable stream and still catches the next anomaly', async () => {
    // Prepare: a champion for 1500 points, the challenger in shadow for 1000
    const detector = new Detector(champion);
    const states = new Map<string, SeriesDetectorState>();
    await detector.detect(events('s', 0, 1500, 1), states);
    detector.setModels({ champion, challenger });
    const shadow = await detector.detect(events('s', 1500, 2500, 2), states);
    // Act: promote; a burst comes 30 points later (a restarted calibration would still be learning)
    detector.setModels({ champion: challenger });
    const after = await detector.detect(events('s', 2500, 2600, 3, 2530), states);
    // Assess
    expect(opened(shadow)).toEqual([]);
    expect(shadow.models).toMatchObject({
      champion: champion.modelVersion,
      challenger: 'challenger@2',
      shadowRows: 1000,
    });
    expect(after.models).toMatchObject({ champion: 'challenger@2', swapped: 1, restarted: 0 });
    expect(opened(after)).toEqual([2530]);
    expect(after.points.every((p) => p.modelVersion === 'challenger@2')).toBe(true);
  });

  it('a promotion without a shadow period restarts calibration: no false episodes, but a blind spot while it learns', async () => {
    // Prepare
    const detector = new Detector(champion);
    const states = new Map<string, SeriesDetectorState>();
    await detector.detect(events('s', 0, 1500, 1), states);
    // Act
    detector.setModels({ champion: challenger });
    const after = await detector.detect(events('s', 1500, 1600, 5, 1530), states);
    // Assess
    expect(after.models.restarted).toBe(1);
    expect(opened(after)).toEqual([]);
    expect(after.points.slice(0, 100).every((p) => p.probability === 0.5)).toBe(true);
  });

  it('a rollback swaps the previous champion calibration back in', async () => {
    // Prepare: shadow, promote, run a while
    const detector = new Detector(champion);
    const states = new Map<string, SeriesDetectorState>();
    await detector.detect(events('s', 0, 1500, 1), states);
    detector.setModels({ champion, challenger });
    await detector.detect(events('s', 1500, 2000, 2), states);
    detector.setModels({ champion: challenger });
    await detector.detect(events('s', 2000, 2200, 3), states);
    // Act
    detector.setModels({ champion });
    const back = await detector.detect(events('s', 2200, 2400, 6, 2300), states);
    // Assess
    expect(back.models).toMatchObject({ swapped: 1, restarted: 0 });
    expect(opened(back)).toEqual([expect.any(Number)]);
  });

  it('a canary makes the challenger live for a stable share of series, the champion for the others', async () => {
    // Prepare
    const detector = new Detector(champion);
    detector.setModels({ champion, challenger, canaryPercent: 30 });
    const all = Array.from({ length: 200 }, (_, i) => events(`host-${i}`, 0, 3, i)).flat();
    // Act
    const result = await detector.detect(all, new Map());
    // Assess
    const live = new Map(result.points.map((p) => [p.series, p.modelVersion]));
    const share = [...live.values()].filter((v) => v === 'challenger@2').length / live.size;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
    for (const [series, version] of live) {
      expect(version === 'challenger@2').toBe(inCanary(series, 30));
    }
  });

  it('keeps both calibrations, tagged, across a checkpoint', async () => {
    // Prepare
    const detector = new Detector(champion);
    detector.setModels({ champion, challenger });
    const states = new Map<string, SeriesDetectorState>();
    await detector.detect(events('s', 0, 300, 1), states);
    const state = states.get('s') as SeriesDetectorState;
    // Act
    const restored = decodeSeriesState(encodeSeriesState(state));
    // Assess
    expect(restored.calibrationModel).toBe(modelTag(champion.modelVersion));
    expect(restored.spare?.model).toBe(modelTag('challenger@2'));
    expect(restored.spare?.calibration).toEqual(state.spare?.calibration);
  });

  it('aligns slots: adopt untagged, swap when the spare is the live model, restart otherwise', () => {
    // Prepare
    const cal = (n: number) => ({ v: 1 as const, count: n, mean: n, variance: 1, recent: n });
    const untagged = { calibration: cal(1), calibrationModel: 0 };
    const warmed = { calibration: cal(1), calibrationModel: 7, spare: { model: 9, calibration: cal(2) } };
    const cold = { calibration: cal(1), calibrationModel: 7 };
    // Act / Assess
    expect(alignCalibration(untagged, 7, undefined)).toBe('kept');
    expect(untagged.calibrationModel).toBe(7);
    expect(alignCalibration(warmed, 9, undefined)).toBe('swapped');
    expect(warmed).toMatchObject({
      calibration: cal(2),
      calibrationModel: 9,
      spare: { model: 7, calibration: cal(1) },
    });
    expect(alignCalibration(cold, 9, 7)).toBe('restarted');
    expect(cold).toMatchObject({ calibrationModel: 9, spare: { model: 7, calibration: cal(1) } });
  });
});
