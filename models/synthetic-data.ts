import { Random } from './random.ts';

/**
 * The project's own training and evaluation data: synthetic series of the shapes Seismo meets in
 * production (daily seasonal traffic, mean-reverting noise, random walks, counts, flat-ish sensors,
 * regime changes), each with a few injected anomalies (spikes, dips, level shifts, noise bursts, stuck
 * values, drifts) whose points are labelled. Fully determined by the seed.
 */

/** Kinds of normal behaviour. */
export const SERIES_KINDS = [
  'seasonal',
  'mean-reverting',
  'random-walk',
  'counts',
  'sensor',
  'regimes',
] as const;
/** Kinds of injected anomaly. */
export const ANOMALY_KINDS = ['spike', 'dip', 'level-shift', 'noise-burst', 'stuck', 'drift'] as const;

/** One generated series with its point labels (1 = inside an injected anomaly). */
export interface SyntheticSeries {
  readonly name: string;
  readonly kind: (typeof SERIES_KINDS)[number];
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly labels: Uint8Array;
  readonly anomalies: readonly {
    readonly kind: (typeof ANOMALY_KINDS)[number];
    readonly start: number;
    readonly length: number;
  }[];
}

/** Options of {@link generateCorpus}. */
export interface CorpusOptions {
  readonly seed: number;
  readonly seriesPerKind?: number;
  readonly length?: number;
  readonly anomaliesPerSeries?: number;
}

const START = Date.UTC(2024, 0, 1);
const FIVE_MINUTES = 300_000;
const DAY_POINTS = 288;

/** Generates the corpus: `seriesPerKind` series of each kind, `length` points at 5-minute intervals. */
export function generateCorpus(options: CorpusOptions): SyntheticSeries[] {
  const random = new Random(options.seed);
  const perKind = options.seriesPerKind ?? 6;
  const length = options.length ?? 4032; // two weeks
  const anomalies = options.anomaliesPerSeries ?? 3;
  const corpus: SyntheticSeries[] = [];
  for (const kind of SERIES_KINDS) {
    for (let i = 0; i < perKind; i++) {
      corpus.push(generateSeries(random, kind, `${kind}-${i}`, length, anomalies));
    }
  }
  return corpus;
}

function generateSeries(
  random: Random,
  kind: SyntheticSeries['kind'],
  name: string,
  length: number,
  anomalyCount: number,
): SyntheticSeries {
  const timestamps = new Float64Array(length);
  const values = new Float64Array(length);
  const labels = new Uint8Array(length);
  const level = 10 ** (random.next() * 4 - 1); // 0.1 .. 1000: the model must not care about units
  const noise = level * (0.01 + random.next() * 0.1);
  let t = START;
  let state = 0;
  let regime = level;
  for (let i = 0; i < length; i++) {
    // Mostly regular sampling with jitter and the odd missing point.
    t += FIVE_MINUTES * (random.next() < 0.02 ? 2 : 1) + Math.round(random.normal(0, 5_000));
    timestamps[i] = t;
    const phase = (2 * Math.PI * (i % DAY_POINTS)) / DAY_POINTS;
    switch (kind) {
      case 'seasonal':
        values[i] =
          level * (1 + 0.5 * Math.sin(phase) + 0.15 * Math.sin(2 * phase)) + random.normal(0, noise);
        break;
      case 'mean-reverting':
        state = 0.9 * state + random.normal(0, noise);
        values[i] = level + state;
        break;
      case 'random-walk':
        state += random.normal(0, noise * 0.3);
        values[i] = level + state;
        break;
      case 'counts':
        values[i] = Math.max(
          0,
          Math.round(
            level * 0.1 * (1 + 0.4 * Math.sin(phase)) + random.normal(0, Math.sqrt(level * 0.1 + 1)),
          ),
        );
        break;
      case 'sensor':
        values[i] = Math.round((level + random.normal(0, noise * 0.3)) * 10) / 10;
        break;
      case 'regimes':
        if (random.next() < 0.002) regime = level * (0.7 + 0.6 * random.next());
        values[i] = regime + random.normal(0, noise);
        break;
    }
  }
  const anomalies = injectAnomalies(random, values, labels, anomalyCount, noise);
  return { name, kind, timestamps, values, labels, anomalies };
}

/** Injects `count` labelled anomalies into the last three quarters of `values` (in place), sized from `noise`. */
export function injectAnomalies(
  random: Random,
  values: Float64Array,
  labels: Uint8Array,
  count: number,
  noise: number,
): SyntheticSeries['anomalies'] {
  const length = values.length;
  const out: { kind: (typeof ANOMALY_KINDS)[number]; start: number; length: number }[] = [];
  const slot = Math.floor((length * 0.75) / count);
  for (let k = 0; k < count; k++) {
    // Anomalies live in the last three quarters: the detector learns on the first.
    const start = Math.floor(length * 0.25) + k * slot + random.nextInt(Math.max(1, slot - 100));
    const kind = ANOMALY_KINDS[random.nextInt(ANOMALY_KINDS.length)] as (typeof ANOMALY_KINDS)[number];
    const size = noise * (6 + random.next() * 10);
    let span = 1;
    switch (kind) {
      case 'spike':
        values[start] = (values[start] as number) + size;
        break;
      case 'dip':
        values[start] = (values[start] as number) - size;
        break;
      case 'level-shift':
        span = 30 + random.nextInt(60);
        for (let i = start; i < Math.min(length, start + span); i++)
          values[i] = (values[i] as number) + size * 0.6;
        break;
      case 'noise-burst':
        span = 20 + random.nextInt(40);
        for (let i = start; i < Math.min(length, start + span); i++)
          values[i] = (values[i] as number) + random.normal(0, size * 0.5);
        break;
      case 'stuck': {
        span = 40 + random.nextInt(60);
        const held = values[start] as number;
        for (let i = start; i < Math.min(length, start + span); i++) values[i] = held;
        break;
      }
      case 'drift':
        span = 60 + random.nextInt(60);
        for (let i = start; i < Math.min(length, start + span); i++)
          values[i] = (values[i] as number) + (size * (i - start)) / span;
        break;
    }
    for (let i = start; i < Math.min(length, start + span); i++) labels[i] = 1;
    out.push({ kind, start, length: span });
  }
  return out;
}
