import { describe, expect, it } from 'vitest';
import {
  computeFeatures,
  type FeatureState,
  newFeatureState,
  pointOrder,
  stuckRun,
  updateFeatureState,
} from '../../core/features/feature-engine.ts';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from '../../core/features/feature-schema.ts';
import { featureMatrix } from '../../models/feature-matrix.ts';
import { Random } from '../../models/random.ts';

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
/** The z-score features, whatever the current feature list holds. */
const Z_FEATURES = FEATURE_NAMES.filter((name) => /^z_|_z$/.test(name));

const at = (name: FeatureName) => FEATURE_NAMES.indexOf(name);

/** A regular series: `level` plus Gaussian noise of deviation `noise`, one point a minute. */
function noisySeries(
  n: number,
  seed: number,
  level = 100,
  noise = 1,
): { timestamps: number[]; values: number[] } {
  const random = new Random(seed);
  const timestamps = Array.from({ length: n }, (_, i) => T0 + i * MINUTE);
  const values = Array.from({ length: n }, () => random.normal(level, noise));
  return { timestamps, values };
}

/** Feeds points in order (as the detector does: features from the state before, then update); returns the rows. */
function run(state: FeatureState, timestamps: readonly number[], values: readonly number[]): Float32Array {
  return featureMatrix(timestamps, values, state);
}

function row(rows: Float32Array, i: number): Float32Array {
  return rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
}

function featureOf(rows: Float32Array, i: number, name: FeatureName): number {
  return rows[i * FEATURE_COUNT + at(name)] as number;
}

const maxAbsZ = (r: Float32Array) => Math.max(...Z_FEATURES.map((name) => Math.abs(r[at(name)] as number)));

describe('feature engine', () => {
  it('writes FEATURE_COUNT zeros for the first points, when there is no history to compare with', () => {
    // Prepare
    const state = newFeatureState();
    const out = new Float32Array(FEATURE_COUNT * 2).fill(Number.NaN);
    // Act
    computeFeatures(state, T0, 5, out, FEATURE_COUNT);
    // Assess
    expect(Array.from(out.subarray(FEATURE_COUNT))).toEqual(new Array(FEATURE_COUNT).fill(0));
    expect(out.subarray(0, FEATURE_COUNT).every(Number.isNaN)).toBe(true);
  });

  it('does not change the state when computing features', () => {
    // Prepare
    const { timestamps, values } = noisySeries(100, 1);
    const state = newFeatureState();
    run(state, timestamps, values);
    const before = JSON.stringify(state);
    // Act
    computeFeatures(state, T0 + 1000 * MINUTE, 1e6, new Float32Array(FEATURE_COUNT), 0);
    // Assess
    expect(JSON.stringify(state)).toBe(before);
  });

  it.each([0, 1, 2, 300])(
    'continues identically after a JSON round trip of its state after %i points',
    (cut) => {
      // Prepare
      const { timestamps, values } = noisySeries(600, 2);
      const uninterrupted = run(newFeatureState(), timestamps, values);
      const first = newFeatureState();
      const head = run(first, timestamps.slice(0, cut), values.slice(0, cut));
      // Act
      const restored = JSON.parse(JSON.stringify(first)) as FeatureState;
      const tail = run(restored, timestamps.slice(cut), values.slice(cut));
      // Assess
      const resumed = new Float32Array(uninterrupted.length);
      resumed.set(head, 0);
      resumed.set(tail, head.length);
      expect(resumed).toEqual(uninterrupted);
    },
  );

  it('gives a spike large z features and steady noise small ones', () => {
    // Prepare
    const { timestamps, values } = noisySeries(801, 3);
    values[800] = 100 + 30; // 30 deviations
    // Act
    const rows = run(newFeatureState(), timestamps, values);
    // Assess
    const noise = Array.from({ length: 700 }, (_, i) => maxAbsZ(row(rows, 100 + i))).sort((a, b) => a - b);
    const typicalNoise = noise[Math.floor(noise.length * 0.99)] as number;
    expect(typicalNoise).toBeLessThan(5);
    for (const name of ['z_long', 'diff_z'] as const) {
      expect(featureOf(rows, 800, name)).toBeGreaterThan(3 * typicalNoise);
    }
  });

  it('is scale-invariant: a series times 1000 has the same features', () => {
    // Prepare
    const { timestamps, values } = noisySeries(1500, 4, 50, 2);
    values[700] = 90;
    for (let i = 1000; i < 1100; i++) values[i] = (values[i] as number) + 10;
    const scaled = values.map((v) => v * 1000);
    // Act
    const original = run(newFeatureState(), timestamps, values);
    const bigger = run(newFeatureState(), timestamps, scaled);
    // Assess
    let worst = 0;
    for (let i = 0; i < original.length; i++) {
      const a = original[i] as number;
      const b = bigger[i] as number;
      worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(a)));
    }
    expect(worst).toBeLessThan(1e-4);
    expect(maxAbsZ(row(original, 700))).toBeGreaterThan(5);
  });

  it('stays finite under irregular sampling and a long gap, and a usual value after the gap is not extreme', () => {
    // Prepare
    const random = new Random(5);
    const timestamps: number[] = [];
    let t = T0;
    for (let i = 0; i < 1000; i++) {
      t += Math.max(1, Math.round(-Math.log(1 - random.next()) * MINUTE)); // exponential intervals
      if (i === 600) t += 3 * 24 * 60 * MINUTE; // three days of silence
      timestamps.push(t);
    }
    const values = timestamps.map(() => random.normal(20, 3));
    values[600] = 20;
    values[601] = 20;
    // Act
    const rows = run(newFeatureState(), timestamps, values);
    // Assess
    expect(rows.every(Number.isFinite)).toBe(true);
    expect(maxAbsZ(row(rows, 600))).toBeLessThan(3);
    expect(maxAbsZ(row(rows, 601))).toBeLessThan(3);
  });

  it('classifies points by pointOrder: later is next, a time already seen is a duplicate, an unseen earlier time is late', () => {
    // Prepare
    const fresh = newFeatureState();
    const state = newFeatureState();
    run(state, [T0, T0 + MINUTE, T0 + 2 * MINUTE], [1, 2, 3]);
    // Act
    const orders = {
      fresh: pointOrder(fresh, T0),
      next: pointOrder(state, T0 + 2 * MINUTE + 1),
      duplicate: pointOrder(state, T0 + 2 * MINUTE),
      late: pointOrder(state, T0 + MINUTE + 1),
      firstAgain: pointOrder(state, T0),
    };
    // Assess
    expect(orders).toEqual({
      fresh: 'next',
      next: 'next',
      duplicate: 'duplicate',
      late: 'late',
      firstAgain: 'duplicate',
    });
  });

  it('gives a flat line finite features, and a jump off it finite features that saturate at the clip', () => {
    // Prepare
    const state = newFeatureState();
    const n = 300;
    const timestamps = Array.from({ length: n }, (_, i) => T0 + i * MINUTE);
    const flat = run(state, timestamps, new Array(n).fill(5));
    const jumpAt = T0 + n * MINUTE;
    const moderate = new Float32Array(FEATURE_COUNT);
    const enormous = new Float32Array(FEATURE_COUNT);
    const down = new Float32Array(FEATURE_COUNT);
    // Act
    computeFeatures(state, jumpAt, 5 + 500, moderate, 0);
    computeFeatures(state, jumpAt, 5 + 5e8, enormous, 0);
    computeFeatures(state, jumpAt, 5 - 5e8, down, 0);
    updateFeatureState(state, jumpAt, 5 + 5e8);
    const after = run(state, [jumpAt + MINUTE, jumpAt + 2 * MINUTE], [5, 5]);
    // Assess
    expect(flat.every(Number.isFinite)).toBe(true);
    expect(maxAbsZ(row(flat, n - 1))).toBe(0);
    for (const features of [moderate, enormous, down, after])
      expect(features.every(Number.isFinite)).toBe(true);
    const zLong = at('z_long');
    expect(moderate[zLong]).toBeGreaterThan(0);
    expect(enormous[zLong]).toBe(moderate[zLong]);
    expect(down[zLong]).toBe(-(moderate[zLong] as number));
  });

  it('calls a series stuck only after a run of repeats far longer than its own', () => {
    // Prepare: a noisy series, then a frozen value; and a coarse series that repeats in short runs
    const { timestamps, values } = noisySeries(600, 11);
    const frozen = values[599] as number;
    const state = newFeatureState();
    featureMatrix(timestamps, values, state);
    const coarse = newFeatureState();
    const coarseValues = Array.from({ length: 1200 }, (_, i) => Math.floor(i / 10) % 3);
    featureMatrix(
      coarseValues.map((_, i) => T0 + i * MINUTE),
      coarseValues,
      coarse,
    );
    // Act
    const runs: number[] = [];
    for (let i = 0; i < 60; i++) {
      runs.push(stuckRun(state, frozen));
      updateFeatureState(state, T0 + (600 + i) * MINUTE, frozen);
    }
    const coarseRun = stuckRun(coarse, coarseValues[1199] as number);
    // Assess
    const first = runs.findIndex((r) => r > 0);
    expect(first).toBeGreaterThan(10);
    expect(runs[first]).toBe(first + 1);
    expect(runs.slice(first).every((r, k) => r === first + 1 + k)).toBe(true);
    expect(coarseRun).toBe(0);
  });
});
