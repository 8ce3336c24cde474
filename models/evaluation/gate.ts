import type { FeedbackLabel } from '../../core/learning/labels.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';
import { Random } from '../random.ts';
import { injectAnomalies } from '../synthetic-data.ts';
import { DEFAULT_OPEN_Z, type EvaluationSeries, episodesAt, evidenceOf } from './evidence.ts';
import { type Spread, spread } from './stats.ts';
import { ZScoreBaseline } from './zscore-baseline.ts';

/** A model in the comparison: the champion, a candidate challenger, or the z-score baseline. */
export interface ModelUnderTest {
  readonly name: string;
  readonly role: 'champion' | 'challenger' | 'baseline';
  readonly scorer: BatchScorer;
  /** The model family (`isolation-forest`, `autoencoder`): changing it asks for a clear gain. */
  readonly algorithm?: string;
}

/** How much worse a challenger may be and still pass "not worse"; stated in every report. */
export interface GateMargins {
  /** Recall of injected anomalies may be this much lower (absolute). */
  readonly injectedRecall: number;
  /** Median detection delay may be this many points longer. */
  readonly medianDelayPoints: number;
  /** Recall of confirmed anomalies may be this much lower (absolute). */
  readonly labelRecall: number;
  /** Precision on judged episodes may be this much lower (absolute). */
  readonly labelPrecision: number;
  /** The busiest series (p90 of episodes per series per day) may get this factor more. */
  readonly p90EpisodesFactor: number;
  /**
   * A candidate of another algorithm than the champion's is chosen over one of the champion's algorithm only
   * if its injected recall is higher by this much: a change of model family carries risks a short holdout
   * does not measure (on NAB, the autoencoder scores far below the forest).
   */
  readonly algorithmChange: number;
}

/** Options of {@link evaluateGate}; every field has a default. */
export interface GateOptions {
  readonly margins?: Partial<GateMargins>;
  /** Anomalies injected into each series' holdout (label-free recall). Default 2. */
  readonly injectedPerSeries?: number;
  readonly seed?: number;
  /** Confirmed labels from which the gate asks "better" instead of "not worse". Default 30. */
  readonly labelsForBetter?: number;
  /** The alert budget never goes below this many episodes per series per day. Default 0.1. */
  readonly minBudgetPerSeriesDay?: number;
  /** Points after an anomaly's end (or a label's) that still count as catching it. Default 12. */
  readonly gracePoints?: number;
}

/** The margins of "not worse", stated in every report. */
export const DEFAULT_MARGINS: GateMargins = {
  injectedRecall: 0.02,
  medianDelayPoints: 2,
  labelRecall: 0.1,
  labelPrecision: 0.1,
  p90EpisodesFactor: 1.5,
  algorithmChange: 0.05,
};

/** One model's figures at its budget-matched threshold. */
export interface ModelFigures {
  readonly name: string;
  readonly role: ModelUnderTest['role'];
  /** Opening threshold on the calibrated surprise (z) that spends the alert budget. */
  readonly threshold: number;
  readonly episodes: number;
  readonly episodesPerSeriesDay: Spread;
  readonly injected: {
    readonly injected: number;
    readonly caught: number;
    readonly recall: number;
    readonly recallPerSeries: Spread;
    readonly delayPoints: { readonly median: number; readonly p90: number };
  };
  readonly labels: {
    readonly confirmed: number;
    readonly confirmedCaught: number;
    /** Confirmed anomalies caught / confirmed anomalies; NaN without any. */
    readonly recall: number;
    /** Episodes on confirmed spans / episodes on any labelled span; NaN when none was judged. */
    readonly precision: number;
    readonly judgedEpisodes: number;
  };
}

/** One comparison the verdict rests on. */
export interface GateCheck {
  readonly candidate: string;
  readonly name: string;
  readonly candidateValue: number;
  readonly referenceValue: number;
  readonly rule: string;
  readonly pass: boolean;
}

/** The gate's report: what was compared, on what, with which margins, and the verdict. */
export interface GateReport {
  readonly holdout: { readonly series: number; readonly points: number; readonly days: number };
  readonly mode: 'not-worse' | 'better';
  readonly modeReason: string;
  readonly budget: { readonly episodes: number; readonly perSeriesDay: number; readonly rule: string };
  readonly margins: GateMargins;
  readonly models: ModelFigures[];
  readonly checks: GateCheck[];
  readonly verdict: 'accept' | 'reject';
  /** The candidate that passed with the best figures, when one did. */
  readonly chosen?: string;
  readonly reasons: string[];
}

interface Prepared {
  readonly series: EvaluationSeries;
  readonly injected: EvaluationSeries;
  readonly anomalies: readonly { start: number; length: number }[];
  readonly days: number;
}

const DAY_MS = 86_400_000;
/** Holdout points a series needs before anomalies are injected into its copy. */
const MIN_HOLDOUT_POINTS = 200;
/** Fewest injected anomalies a verdict may rest on: below it the gate rejects, whatever the other figures. */
export const MIN_INJECTED_ANOMALIES = 10;

/**
 * Judges candidates against the champion on the same holdout, through the real detector path, at an equal
 * alert budget: each model's opening threshold is set so that it opens as many episodes on the holdout as
 * the champion does at the default threshold (never fewer than `minBudgetPerSeriesDay`). Raw scores of two
 * models mean nothing to each other; equal budgets make their hits comparable.
 */
export async function evaluateGate(
  input: {
    readonly series: readonly EvaluationSeries[];
    readonly champion: ModelUnderTest;
    readonly candidates: readonly ModelUnderTest[];
    readonly labels: readonly FeedbackLabel[];
  },
  options: GateOptions = {},
): Promise<GateReport> {
  const margins = { ...DEFAULT_MARGINS, ...options.margins };
  const grace = options.gracePoints ?? 12;
  const prepared = prepare(input.series, options.injectedPerSeries ?? 2, options.seed ?? 1);
  const totalDays = prepared.reduce((a, p) => a + p.days, 0);
  const baseline: ModelUnderTest = {
    name: 'rolling z-score',
    role: 'baseline',
    scorer: new ZScoreBaseline(),
  };
  const models = [input.champion, ...input.candidates, baseline];
  const evidence = new Map<string, { real: Float64Array[]; injected: Float64Array[] }>();
  for (const model of models) {
    const real: Float64Array[] = [];
    const injected: Float64Array[] = [];
    for (const p of prepared) {
      real.push(await evidenceOf(model.scorer, p.series));
      injected.push(await evidenceOf(model.scorer, p.injected));
    }
    evidence.set(model.name, { real, injected });
  }
  const count = (name: string, z: number) =>
    (evidence.get(name)?.real ?? []).reduce(
      (n, e, i) => n + episodesAt(e, z, prepared[i]?.series.holdoutStart).length,
      0,
    );
  const championEpisodes = count(input.champion.name, DEFAULT_OPEN_Z);
  const floor = Math.ceil((options.minBudgetPerSeriesDay ?? 0.1) * totalDays);
  const budget = Math.max(championEpisodes, floor);
  const labels = input.labels.filter((l) => prepared.some((p) => overlapsHoldout(l, p.series)));
  const confirmed = labels.filter((l) => l.verdict === 'anomaly').length;
  const mode = confirmed >= (options.labelsForBetter ?? 30) ? 'better' : 'not-worse';

  const figures = models.map((model) => {
    const threshold = thresholdFor((z) => count(model.name, z), budget);
    const e = evidence.get(model.name) as { real: Float64Array[]; injected: Float64Array[] };
    return figuresAt(model, threshold, e, prepared, labels, grace);
  });
  const champion = figures[0] as ModelFigures;
  const base = figures[figures.length - 1] as ModelFigures;
  const checks = figures
    .filter((f) => f.role === 'challenger')
    .flatMap((c) => checksFor(c, champion, base, margins, mode));
  const passing = figures.filter(
    (f) => f.role === 'challenger' && checks.every((k) => k.candidate !== f.name || k.pass),
  );
  const algorithmOf = new Map(models.map((m) => [m.name, m.algorithm]));
  const familiar = (f: ModelFigures) =>
    input.champion.algorithm === undefined || algorithmOf.get(f.name) === input.champion.algorithm;
  const score = (f: ModelFigures) => f.injected.recall - (familiar(f) ? 0 : margins.algorithmChange);
  passing.sort(
    (a, b) => score(b) - score(a) || a.injected.delayPoints.median - b.injected.delayPoints.median,
  );
  const chosen = passing[0]?.name;
  const reasons = checks
    .filter((k) => !k.pass)
    .map((k) => `${k.candidate}: ${k.name} ${fmt(k.candidateValue)} vs ${fmt(k.referenceValue)} (${k.rule})`);
  return {
    holdout: {
      series: prepared.length,
      points: prepared.reduce((n, p) => n + p.series.values.length - p.series.holdoutStart, 0),
      days: Number(totalDays.toFixed(2)),
    },
    mode,
    modeReason:
      mode === 'better'
        ? `${confirmed} confirmed anomalies in the holdout: enough to ask that a challenger be better on labels (F1), and not worse elsewhere`
        : `${confirmed} confirmed anomalies in the holdout (fewer than ${options.labelsForBetter ?? 30}): too few to show a real improvement, so the gate only asks that a challenger be not worse, within the margins`,
    budget: {
      episodes: budget,
      perSeriesDay: Number((budget / Math.max(totalDays, 1e-9)).toFixed(4)),
      rule: `the champion's episodes on the holdout at the default threshold (${championEpisodes}), at least ${options.minBudgetPerSeriesDay ?? 0.1} per series per day; every model's threshold is set to open at most that many`,
    },
    margins,
    models: figures,
    checks,
    verdict: chosen ? 'accept' : 'reject',
    ...(chosen ? { chosen } : {}),
    reasons: chosen ? [] : reasons.length > 0 ? reasons : ['no candidate to judge'],
  };
}

function prepare(series: readonly EvaluationSeries[], perSeries: number, seed: number): Prepared[] {
  return series.map((s, k) => {
    const holdout = Float64Array.from(s.values.slice(s.holdoutStart));
    const labels = new Uint8Array(holdout.length);
    const anomalies =
      holdout.length >= MIN_HOLDOUT_POINTS && perSeries > 0
        ? injectAnomalies(new Random(seed * 7919 + k), holdout, labels, perSeries, noiseOf(holdout))
        : [];
    const first = s.timestamps[s.holdoutStart] ?? 0;
    const last = s.timestamps[s.timestamps.length - 1] ?? first;
    return {
      series: s,
      injected: { ...s, values: [...s.values.slice(0, s.holdoutStart), ...holdout] },
      anomalies: anomalies.map((a) => ({ start: a.start + s.holdoutStart, length: a.length })),
      days: Math.max((last - first) / DAY_MS, 1 / 24),
    };
  });
}

/** A robust noise level: the median absolute step between points, as a standard deviation. */
function noiseOf(values: Float64Array): number {
  const steps: number[] = [];
  for (let i = 1; i < values.length; i++)
    steps.push(Math.abs((values[i] as number) - (values[i - 1] as number)));
  steps.sort((a, b) => a - b);
  const mad = steps[Math.floor(steps.length / 2)] ?? 0;
  const scale = Math.max(...Array.from(values, Math.abs)) * 1e-3;
  return Math.max((mad * 1.4826) / Math.SQRT2, scale, 1e-9);
}

/** The lowest opening threshold (z in [2, 60]) at which `episodes(z)` fits the budget. */
function thresholdFor(episodes: (z: number) => number, budget: number): number {
  let lo = 2;
  let hi = 60;
  if (episodes(lo) <= budget) return lo;
  for (let k = 0; k < 40; k++) {
    const mid = (lo + hi) / 2;
    if (episodes(mid) <= budget) hi = mid;
    else lo = mid;
  }
  return hi;
}

function figuresAt(
  model: ModelUnderTest,
  threshold: number,
  e: { real: Float64Array[]; injected: Float64Array[] },
  prepared: readonly Prepared[],
  labels: readonly FeedbackLabel[],
  grace: number,
): ModelFigures {
  const perDay: number[] = [];
  const recallPerSeries: number[] = [];
  const delays: number[] = [];
  let episodes = 0;
  let injected = 0;
  let caught = 0;
  let confirmed = 0;
  let confirmedCaught = 0;
  let onConfirmed = 0;
  let onNormal = 0;
  prepared.forEach((p, i) => {
    const s = p.series;
    const opened = episodesAt(e.real[i] as Float64Array, threshold, s.holdoutStart);
    episodes += opened.length;
    perDay.push(opened.length / p.days);
    const openedInjected = episodesAt(e.injected[i] as Float64Array, threshold, s.holdoutStart);
    let caughtHere = 0;
    for (const a of p.anomalies) {
      const hit = openedInjected.find((o) => o >= a.start && o < a.start + a.length + grace);
      if (hit !== undefined) {
        caughtHere += 1;
        delays.push(hit - a.start);
      }
    }
    injected += p.anomalies.length;
    caught += caughtHere;
    if (p.anomalies.length > 0) recallPerSeries.push(caughtHere / p.anomalies.length);
    const mine = labels.filter((l) => overlapsHoldout(l, s));
    const step = medianStep(s.timestamps);
    const times = opened.map((o) => s.timestamps[o] as number);
    for (const l of mine) {
      const inside = (t: number) => t >= l.from - step && t <= l.to + grace * step;
      if (l.verdict === 'anomaly') {
        confirmed += 1;
        if (times.some(inside)) confirmedCaught += 1;
      }
    }
    for (const t of times) {
      const hit = mine.find((l) => t >= l.from - step && t <= l.to + grace * step);
      if (hit?.verdict === 'anomaly') onConfirmed += 1;
      else if (hit) onNormal += 1;
    }
  });
  delays.sort((a, b) => a - b);
  const judged = onConfirmed + onNormal;
  return {
    name: model.name,
    role: model.role,
    threshold,
    episodes,
    episodesPerSeriesDay: spread(perDay),
    injected: {
      injected,
      caught,
      recall: ratio(caught, injected),
      recallPerSeries: spread(recallPerSeries),
      delayPoints: { median: spread(delays).median, p90: spread(delays).p90 },
    },
    labels: {
      confirmed,
      confirmedCaught,
      recall: ratio(confirmedCaught, confirmed),
      precision: ratio(onConfirmed, judged),
      judgedEpisodes: judged,
    },
  };
}

function checksFor(
  c: ModelFigures,
  champion: ModelFigures,
  baseline: ModelFigures,
  m: GateMargins,
  mode: GateReport['mode'],
): GateCheck[] {
  const checks: GateCheck[] = [];
  const add = (name: string, value: number, reference: number, rule: string, pass: boolean) =>
    checks.push({ candidate: c.name, name, candidateValue: value, referenceValue: reference, rule, pass });
  // Without evidence every comparison below reads "n/a", and "not worse than n/a" would let anything through.
  add(
    'anomalies injected into the holdout',
    c.injected.injected,
    MIN_INJECTED_ANOMALIES,
    `at least ${MIN_INJECTED_ANOMALIES} to judge on (a series needs ${MIN_HOLDOUT_POINTS} holdout points for its own): no evidence, no promotion`,
    c.injected.injected >= MIN_INJECTED_ANOMALIES,
  );
  add(
    'injected recall vs champion',
    c.injected.recall,
    champion.injected.recall,
    `not worse than the champion by more than ${m.injectedRecall}`,
    !(c.injected.recall < champion.injected.recall - m.injectedRecall),
  );
  add(
    'injected recall vs rolling z-score',
    c.injected.recall,
    baseline.injected.recall,
    `not worse than the simple baseline by more than ${m.injectedRecall}`,
    !(c.injected.recall < baseline.injected.recall - m.injectedRecall),
  );
  const cd = c.injected.delayPoints.median;
  const hd = champion.injected.delayPoints.median;
  add(
    'median detection delay (points)',
    cd,
    hd,
    `at most ${m.medianDelayPoints} points longer than the champion's`,
    !Number.isFinite(hd) || (Number.isFinite(cd) && cd <= hd + m.medianDelayPoints),
  );
  add(
    'episodes per series per day, p90',
    c.episodesPerSeriesDay.p90,
    champion.episodesPerSeriesDay.p90,
    `at most ${m.p90EpisodesFactor}× the champion's (the same total budget, not piled on a few series)`,
    !(c.episodesPerSeriesDay.p90 > champion.episodesPerSeriesDay.p90 * m.p90EpisodesFactor + 1e-9),
  );
  if (c.labels.confirmed > 0) {
    add(
      'recall of confirmed anomalies',
      c.labels.recall,
      champion.labels.recall,
      `not worse than the champion by more than ${m.labelRecall}`,
      !(c.labels.recall < champion.labels.recall - m.labelRecall),
    );
  }
  if (Number.isFinite(c.labels.precision) && Number.isFinite(champion.labels.precision)) {
    add(
      'precision on judged episodes',
      c.labels.precision,
      champion.labels.precision,
      `not worse than the champion by more than ${m.labelPrecision}`,
      !(c.labels.precision < champion.labels.precision - m.labelPrecision),
    );
  }
  if (mode === 'better') {
    const f1 = (f: ModelFigures) => {
      const p = Number.isFinite(f.labels.precision) ? f.labels.precision : 0;
      const r = Number.isFinite(f.labels.recall) ? f.labels.recall : 0;
      return p + r > 0 ? (2 * p * r) / (p + r) : 0;
    };
    add('F1 on labels', f1(c), f1(champion), 'better than the champion', f1(c) > f1(champion));
  }
  return checks;
}

/** A label of this series and channel whose span reaches into its holdout (only there can episodes meet it). */
function overlapsHoldout(l: FeedbackLabel, s: EvaluationSeries): boolean {
  const from = s.timestamps[s.holdoutStart];
  const to = s.timestamps[s.timestamps.length - 1];
  return (
    l.series === s.series &&
    l.channel === s.channel &&
    from !== undefined &&
    to !== undefined &&
    l.to >= from &&
    l.from <= to
  );
}

function medianStep(timestamps: readonly number[]): number {
  const steps: number[] = [];
  for (let i = 1; i < timestamps.length; i += Math.max(1, Math.floor(timestamps.length / 500))) {
    steps.push((timestamps[i] as number) - (timestamps[i - 1] as number));
  }
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)] ?? 60_000;
}

function ratio(a: number, b: number): number {
  return b > 0 ? Number((a / b).toFixed(4)) : Number.NaN;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(4))) : 'n/a';
}
