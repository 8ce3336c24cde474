/**
 * Turns a model's raw scores into a per-series anomaly probability. Each series keeps its own picture of
 * what its raw scores usually look like (a slow weighted mean and deviation); the probability is how far
 * the recent scores (a short weighted mean) sit above that picture, through the normal distribution
 * function. A series whose scores are always high (noisy but normal) therefore stays calm, and a quiet
 * series alerts on a smaller rise: the model's scale never has to match across series.
 */

/** Serializable calibration state of one series. */
export interface CalibrationState {
  readonly v: 1;
  count: number;
  mean: number;
  variance: number;
  recent: number;
}

/** How calibration weighs history; one configuration for every series. */
export interface CalibrationOptions {
  /** Points before a probability is given; until then it is 0.5 (no opinion). */
  readonly learningPoints: number;
  /** Memory of the usual score level, in points. */
  readonly historyHorizon: number;
  /** Memory of "recent" scores, in points. */
  readonly recentHorizon: number;
  /** Deviation never taken below this, so a perfectly steady score history cannot make noise alarming. */
  readonly minDeviation: number;
}

/** Defaults chosen on NAB (bench/nab), one configuration for every series. */
export const DEFAULT_CALIBRATION: CalibrationOptions = {
  learningPoints: 200,
  historyHorizon: 5000,
  recentHorizon: 3,
  minDeviation: 0.005,
};

/** Creates the empty calibration state of a new series. */
export function newCalibrationState(): CalibrationState {
  return { v: 1, count: 0, mean: 0, variance: 0, recent: 0 };
}

/** Result of calibrating one raw score. */
export interface Calibrated {
  /** Anomaly probability in [0, 1]. */
  readonly probability: number;
  /** The same evidence as a z-score, unbounded, for ordering beyond double precision near 1. */
  readonly surprise: number;
}

/**
 * Calibrates `raw` against the series' history, then folds it into that history. Order matters: the
 * probability of a point never depends on the point itself being part of "usual".
 */
export function calibrate(
  state: CalibrationState,
  raw: number,
  options: CalibrationOptions = DEFAULT_CALIBRATION,
): Calibrated {
  const recentAlpha = state.count === 0 ? 1 : 1 - Math.exp(-1 / options.recentHorizon);
  state.recent += recentAlpha * (raw - state.recent);
  let surprise = 0;
  let probability = 0.5;
  if (state.count >= options.learningPoints) {
    const deviation = Math.max(Math.sqrt(state.variance), options.minDeviation);
    surprise = (state.recent - state.mean) / deviation;
    probability = normalCdf(surprise);
  }
  const historyAlpha = Math.max(1 - Math.exp(-1 / options.historyHorizon), 1 / (state.count + 1));
  const diff = raw - state.mean;
  const increment = historyAlpha * diff;
  state.mean += increment;
  state.variance = (1 - historyAlpha) * (state.variance + diff * increment);
  state.count += 1;
  return { probability, surprise };
}

/** Standard normal distribution function, accurate in both tails (erfc after W. J. Cody / Numerical Recipes). */
export function normalCdf(z: number): number {
  return z >= 0 ? 1 - 0.5 * erfc(z / Math.SQRT2) : 0.5 * erfc(-z / Math.SQRT2);
}

function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * Math.exp(poly);
}
