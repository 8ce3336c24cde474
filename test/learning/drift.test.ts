import { describe, expect, it } from 'vitest';
import {
  binCounts,
  binIndex,
  DRIFT_ALARM_THRESHOLD,
  DriftInputError,
  ksStatistic,
  populationStabilityIndex,
  scoreDrift,
  scoreReference,
} from '../../core/learning/drift.ts';
import { Random } from '../../models/random.ts';

const normals = (seed: number, n: number, mean = 0, sd = 1) => {
  const r = new Random(seed);
  return Float64Array.from({ length: n }, () => r.normal(mean, sd));
};

describe('score drift (PSI)', () => {
  it('bins the reference at its deciles, with the shares counted', () => {
    // Prepare
    const scores = Float64Array.from({ length: 1000 }, (_, i) => i);

    // Act
    const reference = scoreReference(scores);

    // Assess
    expect(reference.edges).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(reference.fractions.every((f) => f === 0.1)).toBe(true);
    expect(binIndex(reference.edges, 99.9)).toBe(0);
    expect(binIndex(reference.edges, 100)).toBe(1);
    expect(binIndex(reference.edges, 1e9)).toBe(9);
  });

  it('merges repeated cut points of a score many rows share', () => {
    // Prepare: 60% of the scores are the same value.
    const scores = [...new Array(600).fill(0.5), ...Array.from({ length: 400 }, (_, i) => 0.6 + i / 1000)];

    // Act
    const reference = scoreReference(scores);

    // Assess
    expect(new Set(reference.edges).size).toBe(reference.edges.length);
    expect(reference.fractions[0]).toBeCloseTo(0.6, 5);
    expect(reference.fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it('stays near zero for the same distribution and crosses the alarm for a shifted one', () => {
    // Prepare
    const reference = scoreReference(normals(1, 50_000));

    // Act
    const same = scoreDrift(reference, normals(2, 20_000));
    const shifted = scoreDrift(reference, normals(3, 20_000, 1));
    const wider = scoreDrift(reference, normals(4, 20_000, 0, 2));

    // Assess
    expect(same).toBeLessThan(0.01);
    expect(shifted).toBeGreaterThan(DRIFT_ALARM_THRESHOLD);
    expect(wider).toBeGreaterThan(DRIFT_ALARM_THRESHOLD);
    expect(populationStabilityIndex(reference, binCounts(reference, normals(3, 20_000, 1)))).toBe(shifted);
  });

  it('refuses counts of another binning and empty periods', () => {
    const reference = scoreReference(normals(1, 1000));
    expect(() => populationStabilityIndex(reference, [1, 2, 3])).toThrow(DriftInputError);
    expect(() => populationStabilityIndex(reference, new Array(10).fill(0))).toThrow(/all zero/);
    expect(() => scoreReference([Number.NaN])).toThrow(/no finite number/);
  });

  it('gives the KS statistic of two samples', () => {
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([1, 2, 3], [4, 5, 6])).toBe(1);
    expect(ksStatistic(normals(1, 5000), normals(2, 5000, 0.5))).toBeGreaterThan(0.15);
  });
});

describe('the drift reference of a model', () => {
  it('is computed for the shipped default model from its own training corpus, and its scores sit still against it', async () => {
    // Prepare
    const { loadModel } = await import('../../models/model-store.ts');
    const { modelScoreReference } = await import('../../models/drift-reference.ts');
    const { card, scorer } = await loadModel();

    // Act
    const reference = await modelScoreReference(card, scorer);

    // Assess
    expect(reference.edges.length).toBeGreaterThanOrEqual(5);
    expect(reference.fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(Math.max(...reference.fractions)).toBeLessThan(0.3);
  });
});
