import { beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackLabel } from '../../core/learning/labels.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import {
  DEFAULT_OPEN_Z,
  type EvaluationSeries,
  episodesAt,
  probit,
} from '../../models/evaluation/evidence.ts';
import { evaluateGate } from '../../models/evaluation/gate.ts';
import { renderGateReport } from '../../models/evaluation/report-text.ts';
import { loadModel } from '../../models/model-store.ts';
import { Random } from '../../models/random.ts';
import { generateCorpus } from '../../models/synthetic-data.ts';

/** A model that has learned nothing: seeded noise for scores. */
class NoiseScorer implements BatchScorer {
  readonly modelVersion = 'noise@0';
  private readonly random = new Random(5);
  async score(_features: Float32Array, rows: number): Promise<Float32Array> {
    return Float32Array.from({ length: rows }, () => this.random.next());
  }
}

const series: EvaluationSeries[] = generateCorpus({
  seed: 3,
  seriesPerKind: 1,
  length: 1_600,
  anomaliesPerSeries: 0,
}).map((s) => ({
  series: s.name,
  channel: 'value',
  timestamps: [...s.timestamps],
  values: [...s.values],
  holdoutStart: 1_000,
}));

describe('the gate', () => {
  let champion: BatchScorer;
  beforeAll(async () => {
    champion = (await loadModel()).scorer;
  });

  it('opens episodes with the tracker’s hysteresis and a movable opening threshold', () => {
    const evidence = [0, 4, 2, 0, ...new Array(60).fill(0), 5, 0];
    expect(episodesAt(evidence, DEFAULT_OPEN_Z)).toEqual([1, 64]);
    expect(episodesAt(evidence, 4.5)).toEqual([64]);
    expect(episodesAt(evidence, DEFAULT_OPEN_Z, 2)).toEqual([64]);
    expect(probit(0.999)).toBeCloseTo(3.0902, 4);
    expect(probit(0.5)).toBeCloseTo(0, 9);
  });

  it('rejects when the holdout holds too little to judge on, instead of passing every "n/a" comparison', async () => {
    // Prepare: history that ends before the holdout window (a replay of old data), and a holdout too short.
    const empty = series.map((s) => ({ ...s, holdoutStart: s.values.length }));
    const short = series.map((s) => ({ ...s, holdoutStart: s.values.length - 150 }));
    const judge = (input: EvaluationSeries[]) =>
      evaluateGate({
        series: input,
        champion: { name: 'champion', role: 'champion', scorer: champion },
        candidates: [{ name: 'same', role: 'challenger', scorer: champion }],
        labels: [],
      });

    // Act
    const reports = [await judge(empty), await judge(short)];

    // Assess
    for (const report of reports) {
      expect(report.verdict).toBe('reject');
      expect(report.reasons).toEqual([
        expect.stringMatching(/^same: anomalies injected into the holdout 0 vs 10/),
      ]);
    }
  });

  it('accepts a challenger as good as the champion and rejects one that learned nothing, at an equal budget', async () => {
    // Act
    const report = await evaluateGate({
      series,
      champion: { name: 'champion', role: 'champion', scorer: champion },
      candidates: [
        { name: 'same', role: 'challenger', scorer: champion },
        { name: 'noise', role: 'challenger', scorer: new NoiseScorer() },
      ],
      labels: [],
    });

    // Assess
    expect(report.verdict).toBe('accept');
    expect(report.chosen).toBe('same');
    expect(report.mode).toBe('not-worse');
    const byName = new Map(report.models.map((m) => [m.name, m]));
    expect(byName.get('same')?.injected).toEqual(byName.get('champion')?.injected);
    for (const m of report.models) expect(m.episodes).toBeLessThanOrEqual(report.budget.episodes);
    expect(byName.get('noise')?.injected.recall).toBeLessThan(
      (byName.get('champion')?.injected.recall ?? 0) - 0.02,
    );
    expect(report.checks.filter((c) => c.candidate === 'noise' && !c.pass).map((c) => c.name)).toContain(
      'injected recall vs champion',
    );
    expect(byName.get('rolling z-score')?.role).toBe('baseline');
    const text = renderGateReport(report);
    expect(text).toMatch(/ACCEPT \(challenger: same\)/);
    expect(text).toMatch(/FAIL {2}noise: injected recall vs champion/);
  });

  it('keeps the champion’s algorithm unless another one gains clearly more', async () => {
    // Act: two candidates with the same figures; the one of another family is listed first.
    const report = await evaluateGate({
      series,
      champion: { name: 'champion', role: 'champion', scorer: champion, algorithm: 'isolation-forest' },
      candidates: [
        { name: 'other', role: 'challenger', scorer: champion, algorithm: 'autoencoder' },
        { name: 'same', role: 'challenger', scorer: champion, algorithm: 'isolation-forest' },
      ],
      labels: [],
    });

    // Assess
    expect(report.chosen).toBe('same');
    expect(renderGateReport(report)).toMatch(/another algorithm than the champion's must gain 0.05/);
  });

  it('judges labels only where episodes can meet them, and asks "better" once there are enough', async () => {
    // Prepare: 30 confirmed labels in the holdout of the first series, one in its training part.
    const s = series[0] as EvaluationSeries;
    const t = (i: number) => s.timestamps[i] as number;
    const inHoldout: FeedbackLabel[] = Array.from({ length: 30 }, (_, k) => ({
      episodeId: `h${k}`,
      series: s.series,
      channel: 'value',
      from: t(1_000 + k * 15),
      to: t(1_005 + k * 15),
      who: 't',
      at: 0,
      verdict: 'anomaly' as const,
    }));
    const inTraining = { ...inHoldout[0], episodeId: 'old', from: t(10), to: t(20) } as FeedbackLabel;

    // Act
    const report = await evaluateGate({
      series,
      champion: { name: 'champion', role: 'champion', scorer: champion },
      candidates: [{ name: 'same', role: 'challenger', scorer: champion }],
      labels: [...inHoldout, inTraining],
    });

    // Assess
    expect(report.mode).toBe('better');
    expect(report.models[0]?.labels.confirmed).toBe(30);
    // The same model cannot be better than itself on labels: rejected in "better" mode.
    expect(report.verdict).toBe('reject');
    expect(report.reasons.join()).toMatch(/F1 on labels/);
  });
});
