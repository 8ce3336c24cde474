import { FEATURE_COUNT } from './feature-schema.ts';

/**
 * Streaming per-series features. Every feature of a point is computed from the series' state *before*
 * the point (no look-ahead), then the point updates the state. Averages decay with elapsed time, in units
 * of the series' typical sampling interval, so irregular sampling and gaps are handled without resampling.
 */

/** Exponentially weighted mean and variance. */
interface Moments {
  mean: number;
  variance: number;
}

/** Serializable feature state of one series (JSON, versioned). */
export interface FeatureState {
  readonly v: 1;
  /** Points that updated the state. */
  count: number;
  /** Epoch ms of the latest accepted point (0 before the first). */
  lastTimestamp: number;
  /** Timestamps of the latest accepted points, newest last: a re-delivered older point is recognised. */
  recentTimestamps: number[];
  lastValue: number;
  /** Typical interval between points, ms (EWMA). */
  interval: number;
  fast: Moments;
  slow: Moments;
  /** Variance of the step between consecutive points. */
  stepVariance: number;
  /** Consecutive points, up to the latest, that repeated the value before them exactly. */
  stillRun: number;
  /** The longest run of repeats seen, slowly forgotten: what a run is judged against. */
  longestStill: number;
  /** The lowest value seen (Infinity before the first; NaN when unknown, for a state of the first format). */
  minValue: number;
  /** Hour-of-day profile: mean, variance and weight per UTC hour. */
  seasonMean: number[];
  seasonVariance: number[];
  seasonWeight: number[];
}

/** Horizons in points: how many typical intervals each average remembers. */
const HORIZON = { fast: 6, slow: 512, step: 256, interval: 32, season: 30 } as const;
const SEASON_BUCKETS = 24;
const HOUR_MS = 3_600_000;
/** Features are z-scores; beyond this the size no longer carries information for the model. */
const FEATURE_LIMIT = 20;
/** Seasonal context speaks only once the series has seen a few days (an hour bucket fills within one day). */
const SEASON_MIN_DAYS = 3;
const DAY_MS = 24 * HOUR_MS;
/** The seasonal deviation is floored at this share of the slow deviation: a young hour profile is overconfident. */
const SEASON_FLOOR = 0.1;
/** Elapsed intervals beyond this count as one long gap rather than decaying the state to nothing. */
const MAX_STEPS = 64;

/** Creates the empty state of a new series. */
export function newFeatureState(): FeatureState {
  return {
    v: 1,
    count: 0,
    lastTimestamp: 0,
    recentTimestamps: [],
    lastValue: 0,
    interval: 0,
    fast: { mean: 0, variance: 0 },
    slow: { mean: 0, variance: 0 },
    stepVariance: 0,
    stillRun: 0,
    longestStill: 0,
    minValue: Number.POSITIVE_INFINITY,
    seasonMean: zeros(SEASON_BUCKETS),
    seasonVariance: zeros(SEASON_BUCKETS),
    seasonWeight: zeros(SEASON_BUCKETS),
  };
}

/**
 * Zeros as a packed array of doubles: the representation a decoded checkpoint's arrays have, so fresh and
 * reloaded series run the same machine code (`new Array(n).fill(0)` is holey and of small integers, and code
 * that met both kinds went generic: the checkpoint encoder ran about 3× slower).
 */
function zeros(length: number): number[] {
  return Array.from(new Float64Array(length));
}

/** How a point related to its series' state. */
export type PointOrder = 'next' | 'duplicate' | 'late';

/** Classifies a point by timestamp: re-delivered (same time) and late points must not update state. */
export function pointOrder(state: FeatureState, timestamp: number): PointOrder {
  if (state.count === 0 || timestamp > state.lastTimestamp) return 'next';
  return state.recentTimestamps.includes(timestamp) ? 'duplicate' : 'late';
}

/** How many recent timestamps a series remembers for recognising re-deliveries (a few Kinesis batches). */
const RECENT_TIMESTAMPS = 16;

function rememberTimestamp(state: FeatureState, timestamp: number): void {
  state.recentTimestamps.push(timestamp);
  if (state.recentTimestamps.length > RECENT_TIMESTAMPS) state.recentTimestamps.shift();
}

function clip(x: number): number {
  if (x > FEATURE_LIMIT) return FEATURE_LIMIT;
  if (x < -FEATURE_LIMIT) return -FEATURE_LIMIT;
  return Number.isFinite(x) ? x : 0;
}

/** A deviation that never divides by zero: flat series still get finite, meaningful z-scores. */
function deviation(variance: number, scale: number): number {
  return Math.sqrt(Math.max(variance, 0)) + 1e-3 * scale + 1e-9;
}

function decay(horizon: number, steps: number): number {
  return 1 - Math.exp(-steps / horizon);
}

/** Early on the slow horizons would barely move; they warm up as plain running averages. */
function warmDecay(horizon: number, steps: number, count: number): number {
  return Math.max(decay(horizon, steps), 1 / (count + 1));
}

function updateMoments(m: Moments, x: number, alpha: number): void {
  const diff = x - m.mean;
  const increment = alpha * diff;
  m.mean += increment;
  m.variance = (1 - alpha) * (m.variance + diff * increment);
}

/**
 * Writes the features of the point (`timestamp`, `value`) into `out` at `offset` (FEATURE_COUNT floats)
 * using the state before the point. Does not change the state.
 */
export function computeFeatures(
  state: FeatureState,
  timestamp: number,
  value: number,
  out: Float32Array,
  offset: number,
): void {
  if (state.count < 2) {
    out.fill(0, offset, offset + FEATURE_COUNT);
    return;
  }
  const scale = Math.abs(state.slow.mean) + Math.sqrt(state.slow.variance);
  const slowDev = deviation(state.slow.variance, scale);
  const stepDev = Math.max(deviation(state.stepVariance, scale), 0.1 * slowDev);
  const hour = hourOfDay(timestamp);

  out[offset] = clip((value - state.fast.mean) / slowDev);
  out[offset + 1] = clip((value - state.slow.mean) / slowDev);
  out[offset + 2] = clip((value - state.lastValue) / stepDev);
  out[offset + 3] = clip((state.fast.mean - state.slow.mean) / slowDev);
  out[offset + 4] = seasonReady(state, hour)
    ? clip(
        (value - (state.seasonMean[hour] ?? 0)) /
          Math.max(deviation(state.seasonVariance[hour] ?? 0, scale), SEASON_FLOOR * slowDev),
      )
    : 0;
}

function hourOfDay(timestamp: number): number {
  const hour = Math.floor(timestamp / HOUR_MS) % SEASON_BUCKETS;
  return hour < 0 ? hour + SEASON_BUCKETS : hour;
}

/** Advances the state with an accepted (`next`) point. */
export function updateFeatureState(state: FeatureState, timestamp: number, value: number): void {
  // NaN (unknown, from a state of the first format) stays unknown: comparisons with it are false.
  if (value < state.minValue) state.minValue = value;
  if (state.count === 0) {
    state.fast.mean = state.slow.mean = value;
    state.lastTimestamp = timestamp;
    state.lastValue = value;
    state.count = 1;
    rememberTimestamp(state, timestamp);
    seedSeason(state, timestamp, value);
    return;
  }
  const elapsed = timestamp - state.lastTimestamp;
  state.interval =
    state.interval === 0 ? elapsed : state.interval + decay(HORIZON.interval, 1) * (elapsed - state.interval);
  const steps = Math.min(Math.max(elapsed / state.interval, 0.05), MAX_STEPS);
  const step = value - state.lastValue;
  const learned = winsorized(state, value);
  const learnedStep = learned - state.lastValue;
  state.stepVariance +=
    warmDecay(HORIZON.step, steps, state.count) * (learnedStep * learnedStep - state.stepVariance);
  if (step === 0) {
    state.stillRun += 1;
  } else {
    state.longestStill = Math.max(state.longestStill * STILL_MEMORY, state.stillRun);
    state.stillRun = 0;
  }
  updateMoments(state.fast, learned, warmDecay(HORIZON.fast, steps, state.count));
  updateMoments(state.slow, learned, warmDecay(HORIZON.slow, steps, state.count));
  updateSeason(state, timestamp, learned);
  rememberTimestamp(state, timestamp);
  state.lastTimestamp = timestamp;
  state.lastValue = value;
  state.count += 1;
}

/**
 * How far from its slow mean, in slow deviations, a point may pull a series' statistics. The point is still
 * scored as it is; only what the series learns from it is bounded, so one wild value (a unit mix-up, a
 * corrupted reading) cannot inflate the variances and leave the series blind to real anomalies for weeks.
 * Chosen on NAB: 150 to 300 score the same (+0.05 standard over no bound); 50 and below cost points on
 * genuine level shifts, which then take too long to learn.
 */
const LEARNING_BOUND = 200;
/** Points before the bound applies: a young series' deviation is not yet a yardstick. */
const LEARNING_BOUND_AFTER = 30;

/** The value the state learns from: `value` pulled to within {@link LEARNING_BOUND} slow deviations. */
function winsorized(state: FeatureState, value: number): number {
  if (state.count < LEARNING_BOUND_AFTER) return value;
  const scale = Math.abs(state.slow.mean) + Math.sqrt(state.slow.variance);
  const bound = LEARNING_BOUND * deviation(state.slow.variance, scale);
  return Math.min(Math.max(value, state.slow.mean - bound), state.slow.mean + bound);
}

function seedSeason(state: FeatureState, timestamp: number, value: number): void {
  const hour = hourOfDay(timestamp);
  state.seasonMean[hour] = value;
  state.seasonWeight[hour] = 1;
}

function updateSeason(state: FeatureState, timestamp: number, value: number): void {
  const hour = hourOfDay(timestamp);
  const weight = (state.seasonWeight[hour] ?? 0) + 1;
  state.seasonWeight[hour] = weight;
  const alpha = Math.max(decay(HORIZON.season, 1), 1 / weight);
  const moments = { mean: state.seasonMean[hour] ?? value, variance: state.seasonVariance[hour] ?? 0 };
  if (weight === 1) moments.mean = value;
  updateMoments(moments, value, alpha);
  state.seasonMean[hour] = moments.mean;
  state.seasonVariance[hour] = moments.variance;
}

/**
 * Evidence that a series is stuck: the length of the run of exact repeats that this value extends, when it
 * is more than twice as long as any the series has shown lately (and at least STUCK_MIN_RUN points); else 0.
 * A sensor that freezes breaks no threshold a model sees, so this is judged directly; series that often
 * repeat values (counts, coarse sensors) set their own, longer bar.
 */
export function stuckRun(state: FeatureState, value: number): number {
  if (state.count < STUCK_MIN_HISTORY || value !== state.lastValue) return 0;
  const run = state.stillRun + 1;
  return run >= Math.max(STUCK_MIN_RUN, 2 * state.longestStill + 1) ? run : 0;
}

/**
 * A run shorter than this is never called stuck: three hours at five-minute sampling. Chosen on NAB (shorter
 * runs cost false alarms on coarse metrics) and on the synthetic stuck sensors (all caught).
 */
const STUCK_MIN_RUN = 36;
/** History needed before repeats are judged: a day at five-minute sampling. */
const STUCK_MIN_HISTORY = 288;
/** The anomaly probability of a stuck series: strong enough to open an episode on its own. */
export const STUCK_PROBABILITY = 0.9999;
/** The longest run is forgotten by this factor per run: a long-gone quiet spell stops excusing a new one. */
const STILL_MEMORY = 0.99;

/**
 * The range a series is expected in at `timestamp`: its profile for that hour of day ± 3 deviations once the
 * profile has a few days behind it (what the seasonal feature compares against), else the slow mean ± 3
 * deviations; never below zero for a series that has never been negative. Call it with the state before the
 * point judged, so the point does not widen its own yardstick.
 */
export function expectedRange(state: FeatureState, timestamp: number): { low: number; high: number } {
  const slowDev = Math.sqrt(Math.max(state.slow.variance, 0));
  const hour = hourOfDay(timestamp);
  if (seasonReady(state, hour)) {
    const dev = Math.max(Math.sqrt(Math.max(state.seasonVariance[hour] ?? 0, 0)), SEASON_FLOOR * slowDev);
    const mean = state.seasonMean[hour] ?? state.slow.mean;
    return floored(state, { low: mean - 3 * dev, high: mean + 3 * dev });
  }
  return floored(state, { low: state.slow.mean - 3 * slowDev, high: state.slow.mean + 3 * slowDev });
}

/** A series that has never gone below zero (counts, latencies, rates) is never expected below zero. */
function floored(state: FeatureState, range: { low: number; high: number }): { low: number; high: number } {
  return state.minValue >= 0 && range.low < 0 ? { low: 0, high: range.high } : range;
}

function seasonReady(state: FeatureState, hour: number): boolean {
  return (
    state.interval < HOUR_MS &&
    state.count * state.interval >= SEASON_MIN_DAYS * DAY_MS &&
    (state.seasonWeight[hour] ?? 0) > 0
  );
}
