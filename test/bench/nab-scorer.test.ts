import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CostProfile,
  loadNabCorpus,
  loadPublishedFinalScores,
  loadPublishedThresholds,
  type NabCorpus,
  PROFILE_NAMES,
  type ProfileName,
} from '../../bench/nab/corpus.ts';
import { formatResultCsv, parseResultCsv, readDetectorResults } from '../../bench/nab/results-io.ts';
import {
  countWindows,
  fileLayout,
  MAX_TP,
  normaliseScore,
  prepareSweep,
  probationaryPeriod,
  rowScores,
  type ScoredFile,
  scaledSigmoid,
  scoreCorpus,
  scoreFile,
  sigmoid,
  sweepCorpus,
  sweepThreshold,
  windowSpans,
} from '../../bench/nab/scorer.ts';

const STANDARD: CostProfile = { tp: 1, fn: 1, fp: 0.11 };
const LOW_FN: CostProfile = { tp: 1, fn: 2, fp: 0.11 };

/** 100 rows (P = 15) with one window over rows 40..49 (W = 10). */
const N = 100;
const WINDOW = { start: 40, end: 49 };

function detectionsAt(rows: number[], n = N): Float64Array {
  const scores = new Float64Array(n);
  for (const r of rows) scores[r] = 1;
  return scores;
}

describe('scaledSigmoid', () => {
  it('matches the NAB constants', () => {
    // Prepare / Act
    const atMinusOne = scaledSigmoid(-1);
    // Assess
    expect(atMinusOne).toBeCloseTo(0.98661429815, 10);
    expect(MAX_TP).toBe(atMinusOne);
    expect(sigmoid(0)).toBe(0.5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3)).toBeCloseTo(2 * sigmoid(-15) - 1, 15);
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661429815, 10);
  });
});

describe('probationaryPeriod', () => {
  it('is 15% of the rows, at most 750', () => {
    expect(probationaryPeriod(100)).toBe(15);
    expect(probationaryPeriod(4032)).toBe(604);
    expect(probationaryPeriod(22695)).toBe(750);
  });
});

describe('scoreFile', () => {
  const layout = fileLayout(N, [WINDOW]);

  it('scores a detection on the first row of a window exactly A_TP', () => {
    // Prepare
    const scores = detectionsAt([40]);
    // Act
    const result = scoreFile(layout, scores, STANDARD, 0.5);
    // Assess
    expect(result.score).toBeCloseTo(1, 14);
    expect(result.truePositives).toBe(1);
    expect(result.falsePositives).toBe(0);
  });

  it('credits a window with its earliest detection only', () => {
    // Prepare
    const scores = detectionsAt([42, 47]);
    // Act
    const result = scoreFile(layout, scores, STANDARD, 0.5);
    // Assess
    expect(result.score).toBeCloseTo(scaledSigmoid(-8 / 10) / MAX_TP, 14);
    expect(result.score).toBeLessThan(1);
  });

  it('charges A_FN for a missed window', () => {
    // Prepare
    const scores = new Float64Array(N);
    // Act
    const standard = scoreFile(layout, scores, STANDARD, 0.5);
    const lowFn = scoreFile(layout, scores, LOW_FN, 0.5);
    // Assess
    expect(standard.score).toBe(-1);
    expect(lowFn.score).toBe(-2);
    expect(standard.falseNegatives).toBe(1);
  });

  it('charges A_FP for each false positive before any window', () => {
    // Prepare
    const scores = detectionsAt([20, 21, 40]);
    // Act
    const result = scoreFile(layout, scores, STANDARD, 0.5);
    // Assess
    expect(result.fpScore).toBeCloseTo(-0.22, 14);
    expect(result.score).toBeCloseTo(1 - 0.22, 14);
    expect(result.falsePositives).toBe(2);
  });

  it('charges a false positive after a window by its distance from it', () => {
    // Prepare: row R + (W - 1) is at distance 1 in window widths
    const near = detectionsAt([40, 50]);
    const far = detectionsAt([40, 49 + 9]);
    // Act
    const nearScore = scoreFile(layout, near, STANDARD, 0.5);
    const farScore = scoreFile(layout, far, STANDARD, 0.5);
    // Assess
    expect(nearScore.fpScore).toBeCloseTo(scaledSigmoid(1 / 9) * 0.11, 14);
    expect(farScore.fpScore).toBeCloseTo(scaledSigmoid(1) * 0.11, 14);
  });

  it('ignores probationary rows', () => {
    // Prepare: rows 0..14 are probationary
    const noWindows = fileLayout(N, []);
    const scores = detectionsAt([0, 5, 14]);
    // Act
    const result = scoreFile(noWindows, scores, STANDARD, 0.5);
    const rows = rowScores(noWindows, STANDARD);
    // Assess
    expect(result.score).toBe(0);
    expect(result.falsePositives).toBe(0);
    expect(Number.isNaN(rows[14])).toBe(true);
    expect(rows[15]).toBeCloseTo(-0.11, 14);
  });
});

describe('windowSpans', () => {
  it('maps window timestamps to the first matching rows', () => {
    // Prepare
    const ts = ['a0', 'a1', 'a1', 'a2', 'a3'];
    // Act
    const spans = windowSpans(ts, [{ start: 'a1', end: 'a3' }]);
    // Assess
    expect(spans).toEqual([{ start: 1, end: 4 }]);
    expect(() => windowSpans(ts, [{ start: 'zz', end: 'a3' }])).toThrow(/does not match/);
  });
});

describe('results-io', () => {
  it('round-trips a result CSV', () => {
    // Prepare
    const rows = [
      { timestamp: '2014-01-01 00:00:00', value: 1.5 },
      { timestamp: '2014-01-01 00:05:00', value: -2 },
    ];
    // Act
    const parsed = parseResultCsv(formatResultCsv(rows, [0.25, 1]));
    // Assess
    expect(parsed.timestamps).toEqual(rows.map((r) => r.timestamp));
    expect([...parsed.values]).toEqual([1.5, -2]);
    expect([...parsed.anomalyScores]).toEqual([0.25, 1]);
  });
});

describe('sweepThreshold', () => {
  it('finds the same best raw score as scoring every candidate threshold', () => {
    // Prepare: a small random corpus with coarse (tied) anomaly scores
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const files: ScoredFile[] = [0, 1, 2, 3].map((k) => {
      const n = 200 + 50 * k;
      const windows =
        k === 3
          ? []
          : [
              { start: 60 + k, end: 80 + k },
              { start: 150, end: 170 },
            ];
      const scores = Float64Array.from({ length: n }, () => Math.round(rand() * 20) / 20);
      return { key: `f${k}`, category: 'c', layout: fileLayout(n, windows), anomalyScores: scores };
    });
    const candidates = [
      Number.POSITIVE_INFINITY,
      ...new Set(files.flatMap((f) => Array.from(f.anomalyScores))),
    ];
    for (const profile of [STANDARD, LOW_FN, { tp: 1, fn: 1, fp: 0.22 }]) {
      // Act
      const swept = sweepCorpus(files, profile);
      const brute = Math.max(...candidates.map((t) => scoreCorpus(files, profile, t).score));
      // Assess
      expect(swept.raw).toBeCloseTo(brute, 10);
      expect(scoreCorpus(files, profile, swept.threshold).score).toBeCloseTo(swept.raw, 10);
    }
  });
});

describe('NAB scorer on the published numenta results', () => {
  let corpus: NabCorpus;
  let files: ScoredFile[];

  beforeAll(async () => {
    corpus = await loadNabCorpus();
    const results = await readDetectorResults(join(corpus.dir, 'results'), 'numenta', corpus.files);
    files = corpus.files.map((f, i) => ({
      key: f.key,
      category: f.category,
      layout: fileLayout(
        f.rows.length,
        windowSpans(
          f.rows.map((r) => r.timestamp),
          f.windows,
        ),
      ),
      anomalyScores: results[i]?.anomalyScores ?? new Float64Array(),
    }));
  });

  it('loads 58 files and 116 windows', () => {
    expect(corpus.files).toHaveLength(58);
    expect(countWindows(files)).toBe(116);
  });

  it('reproduces final_results.json at the published thresholds', async () => {
    // Prepare
    const thresholds = await loadPublishedThresholds('numenta', corpus.dir);
    const published = await loadPublishedFinalScores('numenta', corpus.dir);
    for (const p of PROFILE_NAMES) {
      const profile = corpus.profiles[p];
      // Act
      const raw = scoreCorpus(files, profile, thresholds[p].threshold).score;
      // Assess
      expect(Math.abs(normaliseScore(raw, profile, 116) - published[p])).toBeLessThan(0.01);
      expect(Math.abs(raw - thresholds[p].score)).toBeLessThan(1e-6);
    }
    expect(published.standard).toBeCloseTo(70.1, 1);
    expect(published.reward_low_FP_rate).toBeCloseTo(63.12, 2);
    expect(published.reward_low_FN_rate).toBeCloseTo(74.32, 2);
  });

  it('sweeps to scores at least as high as the published ones', async () => {
    // Prepare
    const published = await loadPublishedFinalScores('numenta', corpus.dir);
    const prepared = prepareSweep(files);
    const expected: Record<ProfileName, number> = {
      standard: 70.1,
      reward_low_FP_rate: 63.12,
      reward_low_FN_rate: 74.32,
    };
    for (const p of PROFILE_NAMES) {
      // Act
      const swept = sweepThreshold(prepared, corpus.profiles[p]);
      // Assess
      expect(swept.normalised).toBeGreaterThanOrEqual(published[p] - 1e-9);
      expect(swept.normalised).toBeGreaterThanOrEqual(expected[p]);
      const check = scoreCorpus(files, corpus.profiles[p], swept.threshold).score;
      expect(check).toBeCloseTo(swept.raw, 8);
    }
  });
});
