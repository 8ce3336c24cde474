/**
 * Drift of a model's raw-score distribution: the figure the detector publishes once a day and the alarm that
 * triggers a retrain watches. The statistic is the population stability index (PSI) of this period's raw
 * scores against the champion's own training scores, binned at the training scores' deciles.
 *
 * Why PSI and not Kolmogorov–Smirnov: with the millions of points a day brings, a KS test calls every shift
 * "significant" (its p-value says nothing at that size), while PSI is a size-free effect measure with
 * thresholds practitioners share (below 0.1 stable, 0.1–0.25 moving, above 0.25 shifted). And it streams:
 * the detector keeps ten counters per model version, not the scores. {@link ksStatistic} is there for reports.
 */

/**
 * CloudWatch namespace, metric name and dimensions of the daily drift figure, as the detector publishes it
 * (Powertools EMF: its namespace and default `service` dimension). The drift alarm watches exactly this
 * metric; the detector may publish a second copy with a `ModelVersion` dimension for dashboards.
 */
export const SCORE_DRIFT_METRIC = {
  namespace: 'Seismo',
  name: 'ScoreDriftPSI',
  dimensions: { service: 'seismo-detect' },
} as const;

/** PSI above which the score distribution counts as shifted and a retrain is triggered. */
export const DRIFT_ALARM_THRESHOLD = 0.25;

/** Bins of the reference (training) score distribution: `edges.length + 1` bins and their shares. */
export interface ScoreReference {
  /** Ascending cut points; bin i holds scores in [edges[i-1], edges[i]). */
  readonly edges: readonly number[];
  /** Share of the training scores in each bin (sums to 1). */
  readonly fractions: readonly number[];
}

/** Raised when a drift figure cannot be computed from its input; the message says what is wrong. */
export class DriftInputError extends Error {
  override readonly name = 'DriftInputError';
}

/** Share given to an empty bin, so an empty bin reads as "very rare", not as an infinite shift. */
const EMPTY_SHARE = 1e-4;

/**
 * The reference bins of `scores` (the champion's raw scores on its training rows): cut at the quantiles
 * k/bins; repeated cut points (a score held by many rows) are merged, and the shares are counted, not assumed.
 */
export function scoreReference(scores: ArrayLike<number>, bins = 10): ScoreReference {
  const sorted = finiteSorted(scores, 'reference scores');
  if (!Number.isInteger(bins) || bins < 2)
    throw new DriftInputError(`bins must be an integer ≥ 2, got ${bins}`);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const cut = sorted[Math.floor((k * sorted.length) / bins)] as number;
    if (cut > (sorted[0] as number) && (edges.length === 0 || cut > (edges[edges.length - 1] as number))) {
      edges.push(cut);
    }
  }
  const counts = binCounts({ edges }, sorted);
  return { edges, fractions: counts.map((c) => c / sorted.length) };
}

/** The bin of one score: what the detector increments per scored point. */
export function binIndex(edges: readonly number[], score: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (score >= (edges[mid] as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts of `scores` per reference bin (non-finite scores are skipped). */
export function binCounts(reference: Pick<ScoreReference, 'edges'>, scores: ArrayLike<number>): number[] {
  const counts = new Array<number>(reference.edges.length + 1).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (!Number.isFinite(s)) continue;
    const bin = binIndex(reference.edges, s);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts;
}

/**
 * PSI = Σ (a − e) · ln(a / e) over the bins, `e` the reference share and `a` this period's share (from
 * `counts`, as {@link binCounts} gives them). 0 when nothing moved; symmetric in spirit, always ≥ 0.
 */
export function populationStabilityIndex(reference: ScoreReference, counts: readonly number[]): number {
  if (counts.length !== reference.fractions.length) {
    throw new DriftInputError(
      `counts has ${counts.length} bins but the reference has ${reference.fractions.length}`,
    );
  }
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) throw new DriftInputError('counts are all zero: no scores to compare');
  let psi = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = Math.max(reference.fractions[i] as number, EMPTY_SHARE);
    const a = Math.max((counts[i] as number) / total, EMPTY_SHARE);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** PSI of a period's raw `scores` against the reference, in one call (for tests, reports and batch jobs). */
export function scoreDrift(reference: ScoreReference, scores: ArrayLike<number>): number {
  return populationStabilityIndex(reference, binCounts(reference, scores));
}

/** The two-sample Kolmogorov–Smirnov statistic D (largest gap between the two empirical CDFs). */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = finiteSorted(a, 'first sample');
  const y = finiteSorted(b, 'second sample');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] as number, y[j] as number);
    while (i < x.length && (x[i] as number) <= v) i++;
    while (j < y.length && (y[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

function finiteSorted(values: ArrayLike<number>, what: string): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out.push(values[i] as number);
  if (out.length === 0) throw new DriftInputError(`${what} hold no finite number`);
  return Float64Array.from(out).sort();
}
