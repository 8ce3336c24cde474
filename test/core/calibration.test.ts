import { describe, expect, it } from 'vitest';
import {
  type CalibrationState,
  calibrate,
  DEFAULT_CALIBRATION,
  newCalibrationState,
  normalCdf,
} from '../../core/calibration/calibrator.ts';
import { DEFAULT_EPISODE_OPTIONS } from '../../core/episodes/episode-tracker.ts';
import { Random } from '../../models/random.ts';

/** Calibrates each raw score in turn; returns the probabilities. */
function feed(state: CalibrationState, raws: readonly number[]): number[] {
  return raws.map((raw) => calibrate(state, raw).probability);
}

/** `n` raw scores around `level` with Gaussian deviation `spread`. */
function scores(n: number, seed: number, level: number, spread: number): number[] {
  const random = new Random(seed);
  return Array.from({ length: n }, () => random.normal(level, spread));
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('calibrate', () => {
  it('gives probability 0.5 (no opinion) while learning, whatever the raw score', () => {
    // Prepare
    const state = newCalibrationState();
    const random = new Random(1);
    const raws = Array.from({ length: DEFAULT_CALIBRATION.learningPoints }, () => random.next() * 100);
    // Act
    const results = raws.map((raw) => calibrate(state, raw));
    // Assess
    expect(results.every((r) => r.probability === 0.5 && r.surprise === 0)).toBe(true);
    expect(calibrate(state, 1e6).probability).toBeGreaterThan(0.5);
  });

  it('keeps steady scores near 0.5 and takes a sudden rise to near 1', () => {
    // Prepare
    const state = newCalibrationState();
    const learned = DEFAULT_CALIBRATION.learningPoints;
    feed(state, scores(learned, 2, 0.4, 0.01));
    // Act
    const steady = feed(state, scores(1000, 3, 0.4, 0.01));
    const rise = feed(state, new Array(10).fill(0.6));
    // Assess
    expect(mean(steady)).toBeGreaterThan(0.4);
    expect(mean(steady)).toBeLessThan(0.6);
    expect(Math.max(...steady)).toBeLessThan(DEFAULT_EPISODE_OPTIONS.openAbove);
    expect(rise.at(-1)).toBeGreaterThan(DEFAULT_EPISODE_OPTIONS.openAbove);
    expect(rise.at(-1)).toBeLessThanOrEqual(1);
  });

  it('calibrates each series to its own level: a noisy series is not always alarming', () => {
    // Prepare
    const quiet = newCalibrationState();
    const noisy = newCalibrationState();
    const learned = DEFAULT_CALIBRATION.learningPoints;
    feed(quiet, scores(learned, 5, 0.35, 0.005));
    feed(noisy, scores(learned, 6, 0.6, 0.05));
    // Act
    const quietNormal = feed(quiet, scores(2000, 7, 0.35, 0.005));
    const noisyNormal = feed(noisy, scores(2000, 8, 0.6, 0.05));
    const noisyLevelOnQuiet = feed({ ...quiet }, new Array(5).fill(0.6));
    const noisyLevelOnNoisy = feed({ ...noisy }, new Array(5).fill(0.6));
    // Assess
    const alarming = (ps: number[]) => ps.filter((p) => p >= DEFAULT_EPISODE_OPTIONS.openAbove).length;
    expect(alarming(noisyNormal)).toBe(0);
    expect(alarming(quietNormal)).toBe(0);
    expect(mean(noisyNormal)).toBeGreaterThan(0.35);
    expect(mean(noisyNormal)).toBeLessThan(0.65);
    expect(noisyLevelOnQuiet.at(-1)).toBeGreaterThan(DEFAULT_EPISODE_OPTIONS.openAbove);
    expect(noisyLevelOnNoisy.at(-1)).toBeLessThan(0.9);
  });
});

describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1, 0.15865525393145707],
    [1.96, 0.9750021048517795],
    [-1.96, 0.024997895148220435],
    [-3, 0.0013498980316300946],
    [3, 0.9986501019683699],
    [-6, 9.865876450376946e-10],
  ])('Φ(%s) = %s within 1e-6', (z, expected) => {
    // Prepare: z above
    // Act
    const p = normalCdf(z);
    // Assess
    expect(Math.abs(p - expected)).toBeLessThan(1e-6);
  });

  it('is symmetric, increasing and within [0, 1] far into the tails', () => {
    // Prepare
    const zs = Array.from({ length: 401 }, (_, i) => -20 + i * 0.1);
    // Act
    const ps = zs.map(normalCdf);
    // Assess
    expect(ps.every((p) => p >= 0 && p <= 1)).toBe(true);
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeGreaterThanOrEqual(ps[i - 1] as number);
    for (const z of [0.5, 2, 4, 8]) expect(normalCdf(z) + normalCdf(-z)).toBeCloseTo(1, 12);
    // Relative accuracy in the lower tail, where the episode thresholds live (Φ(−5) = 2.866515718791939e-7).
    expect(Math.abs(normalCdf(-5) / 2.866515718791939e-7 - 1)).toBeLessThan(1e-6);
  });
});
