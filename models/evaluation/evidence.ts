import { normalCdf } from '../../core/calibration/calibrator.ts';
import { Detector, type SeriesDetectorState } from '../../core/detector.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { STUCK_PROBABILITY } from '../../core/features/feature-engine.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';

/** One series' channel to evaluate on: its points, time-ordered, and where its holdout starts. */
export interface EvaluationSeries {
  readonly series: string;
  readonly channel: string;
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
  /** Index of the first holdout point; the points before it only warm the detector's state. */
  readonly holdoutStart: number;
}

const BATCH = 1000;

/**
 * Streams a series through the real detector path (features, the model, per-series calibration, the stuck
 * check) and returns each point's evidence: the calibrated surprise (a z-score, unbounded, so thresholds
 * keep their resolution where probabilities round to 1), raised to the stuck check's probability where that
 * check fired. Episodes are then a function of the evidence and an opening threshold ({@link episodesAt}).
 */
export async function evidenceOf(scorer: BatchScorer, s: EvaluationSeries): Promise<Float64Array> {
  const detector = new Detector(scorer);
  const states = new Map<string, SeriesDetectorState>();
  const evidence = new Float64Array(s.values.length);
  const stuckZ = probit(STUCK_PROBABILITY);
  for (let start = 0; start < s.values.length; start += BATCH) {
    const events: MeasurementEvent[] = [];
    for (let i = start; i < Math.min(s.values.length, start + BATCH); i++) {
      events.push({
        series: s.series,
        timestamp: s.timestamps[i] as number,
        values: { [s.channel]: s.values[i] as number },
        dimensions: {},
      });
    }
    const result = await detector.detect(events, states);
    result.points.forEach((point, k) => {
      const surprise = result.surprises[k] as number;
      const stuck = point.probability >= STUCK_PROBABILITY && normalCdf(surprise) < point.probability;
      evidence[start + k] = stuck ? Math.max(surprise, stuckZ) : surprise;
    });
  }
  return evidence;
}

/** The z-score where the episode tracker's default thresholds sit: opening at 0.999, staying above 0.9. */
export const DEFAULT_OPEN_Z = probit(0.999);
/** Evidence an open episode must stay above (probability 0.9). */
export const STAY_Z = probit(0.9);
/** Calm points that resolve an episode, as the detector's default. */
export const CALM_POINTS = 50;

/**
 * Indices (from `from` on) where an episode opens when episodes open at evidence ≥ `openZ`, stay open while
 * it is ≥ min(STAY_Z, openZ), and resolve after {@link CALM_POINTS} calm points: the episode tracker's rule
 * with a movable opening threshold. An episode open at `from` (begun during warm-up) is not counted.
 */
export function episodesAt(evidence: ArrayLike<number>, openZ: number, from = 0): number[] {
  const stayZ = Math.min(STAY_Z, openZ);
  const opened: number[] = [];
  let open = false;
  let calm = 0;
  for (let i = 0; i < evidence.length; i++) {
    const e = evidence[i] as number;
    if (!open) {
      if (e >= openZ) {
        open = true;
        calm = 0;
        if (i >= from) opened.push(i);
      }
    } else if (e >= stayZ) calm = 0;
    else if (++calm >= CALM_POINTS) open = false;
  }
  return opened;
}

/** Inverse of the standard normal distribution function (Acklam's rational approximation, |error| < 1.2e-9). */
export function probit(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const poly = (k: number[], x: number) => k.reduce((acc, v) => acc * x + v, 0);
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
