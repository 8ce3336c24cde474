import { beforeAll, describe, expect, it } from 'vitest';
import { Detector } from '../../core/detector.ts';
import { DEFAULT_EPISODE_OPTIONS } from '../../core/episodes/episode-tracker.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import {
  DetectionSettingsError,
  parseDetectionSettings,
  SENSITIVITIES,
  settingsResolver,
} from '../../core/sensitivity.ts';
import { loadModel } from '../../models/model-store.ts';
import { Random } from '../../models/random.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

let scorer: BatchScorer;
beforeAll(async () => {
  scorer = (await loadModel()).scorer;
});

/** A noisy series with a few moderate excursions: what sensitivity decides about. */
function noisy(series: string, seed: number, dimensions: Record<string, string> = {}): MeasurementEvent[] {
  const random = new Random(seed);
  return Array.from({ length: 3000 }, (_, i) => ({
    series,
    timestamp: T0 + i * MINUTE,
    values: { value: random.normal(100, 5) + (i % 500 === 499 ? random.normal(0, 25) : 0) },
    dimensions,
  }));
}

async function opened(events: MeasurementEvent[], settings?: unknown): Promise<number> {
  const detector = new Detector(scorer, {
    calibration: (await import('../../core/calibration/calibrator.ts')).DEFAULT_CALIBRATION,
    episodes: DEFAULT_EPISODE_OPTIONS,
    ...(settings !== undefined && { settings: parseDetectionSettings(settings) }),
  });
  const { transitions } = await detector.detect(events, new Map());
  return transitions.filter((t) => t.kind === 'opened').length;
}

describe('detection settings', () => {
  it('resolve a sensitivity, explicit thresholds over it, and the first override that matches', () => {
    // Prepare
    const resolve = settingsResolver(
      parseDetectionSettings({
        sensitivity: 'high',
        calmPoints: 10,
        overrides: [
          { match: { seriesPattern: 'batch-.*' }, mute: true },
          { match: { dimensions: { env: 'prod' } }, sensitivity: 'low' },
          { match: { series: 'checkout', channel: 'p99' }, openAbove: 0.9995 },
        ],
      }),
    );
    // Act / Assess
    expect(resolve('api', 'value', {}).episodes).toMatchObject({
      ...SENSITIVITIES.high,
      calmPointsToResolve: 10,
    });
    expect(resolve('batch-nightly', 'value', { env: 'prod' }).mute).toBe(true);
    expect(resolve('api', 'value', { env: 'prod' }).episodes.openAbove).toBe(SENSITIVITIES.low.openAbove);
    expect(resolve('checkout', 'p99', {}).episodes).toMatchObject({ openAbove: 0.9995, stayAbove: 0.8 });
    expect(resolve('xbatch-1', 'value', {}).mute).toBe(false);
  });

  it.each([
    [{ sensitivity: 'extreme' }, /sensitivity: sensitivity must be "low", "medium" or "high"/],
    [{ openAbove: 1 }, /openAbove: openAbove must be below 1/],
    [
      { openAbove: 0.95, stayAbove: 0.97 },
      /stayAbove: stayAbove \(0\.97\) must not be above openAbove \(0\.95\)/,
    ],
    [{ overrides: [{ match: {}, mute: true }] }, /overrides\.0\.match: match must name at least one/],
    [
      { overrides: [{ match: { seriesPattern: '(' } }] },
      /overrides\.0\.match\.seriesPattern: .*valid regular/,
    ],
    [
      { overrides: [{ match: { series: 'a' }, stayAbove: 0.9995 }] },
      /overrides\.0\.stayAbove: .*must not be above/,
    ],
    [{ thresold: 0.9 }, /\(settings\): Unrecognized key: "thresold"/],
  ])('refuse %j, naming the path and the rule', (input, message) => {
    // Act / Assess
    expect(() => parseDetectionSettings(input)).toThrow(DetectionSettingsError);
    expect(() => parseDetectionSettings(input)).toThrow(message);
  });

  it('make a detector open more episodes when high and fewer when low, and none for a muted series', async () => {
    // Prepare
    const events = noisy('api', 3);
    // Act
    const counts = {
      low: await opened(events, { sensitivity: 'low' }),
      medium: await opened(events),
      high: await opened(events, { sensitivity: 'high' }),
      muted: await opened(events, { overrides: [{ match: { series: 'api' }, mute: true }] }),
    };
    // Assess
    expect(counts.low).toBeLessThanOrEqual(counts.medium);
    expect(counts.medium).toBeLessThan(counts.high);
    expect(counts.muted).toBe(0);
  });
});
