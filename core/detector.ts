import { createHash } from 'node:crypto';
import {
  type CalibrationOptions,
  calibrate,
  DEFAULT_CALIBRATION,
  newCalibrationState,
} from './calibration/calibrator.ts';
import type { EpisodeTransition, FeatureContribution, ScoredPoint } from './detection-types.ts';
import {
  advanceEpisode,
  closeEpisode,
  DEFAULT_EPISODE_OPTIONS,
  type EpisodeOptions,
  type EpisodeState,
  newEpisodeState,
} from './episodes/episode-tracker.ts';
import { type MeasurementEvent, SINGLE_CHANNEL } from './events/event-schema.ts';
import {
  computeFeatures,
  expectedRange,
  type FeatureState,
  newFeatureState,
  pointOrder,
  STUCK_PROBABILITY,
  stuckRun,
  updateFeatureState,
} from './features/feature-engine.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from './features/feature-schema.ts';
import { alignCalibration, type CalibrationSlots, inCanary, type ModelSet, modelTag } from './model-set.ts';
import type { BatchScorer } from './scoring/batch-scorer.ts';
import {
  type DetectionSettings,
  readsDimensions,
  type SeriesSettings,
  type SettingsResolver,
  settingsResolver,
} from './sensitivity.ts';

/** Everything the detector remembers about one series; JSON-serializable, versioned, checkpointed per batch. */
export interface SeriesDetectorState extends CalibrationSlots {
  readonly v: 1;
  readonly features: FeatureState;
  readonly episode: EpisodeState;
  /** For a counter: its last reading and when, from which the next rate is computed. */
  counter?: CounterReading;
}

/** A monotonic counter's last reading. */
export interface CounterReading {
  raw: number;
  /** Epoch ms. */
  at: number;
}

/** Creates the state of a series seen for the first time. */
export function newSeriesDetectorState(): SeriesDetectorState {
  return {
    v: 1,
    features: newFeatureState(),
    calibration: newCalibrationState(),
    calibrationModel: 0,
    episode: newEpisodeState(),
  };
}

/** One configuration for every series. */
export interface DetectorOptions {
  readonly calibration: CalibrationOptions;
  readonly episodes: EpisodeOptions;
  /** Sensitivity, thresholds and per-series overrides on top of `episodes` (core/sensitivity.ts). */
  readonly settings?: DetectionSettings;
}

/** The defaults the shipped model was evaluated with. */
export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  calibration: DEFAULT_CALIBRATION,
  episodes: DEFAULT_EPISODE_OPTIONS,
};

/** What one batch produced. */
export interface DetectionResult {
  /** One per accepted channel measurement, in input order. */
  readonly points: ScoredPoint[];
  /** Unbounded evidence behind each point's probability (same order as `points`). */
  readonly surprises: Float64Array;
  readonly transitions: EpisodeTransition[];
  /** Re-delivered measurements (same series and timestamp as one already seen): not scored again. */
  readonly duplicates: number;
  /** Measurements older than their series' latest: scored, but they do not move the series' state. */
  readonly late: number;
  /** Series keys whose state changed and needs a checkpoint. */
  readonly changed: ReadonlySet<string>;
  /** Series whose state stopped being finite and was started afresh, with the reason (log it). */
  readonly resets: readonly SeriesReset[];
  /** What the models did: the versions scored with, calibration swaps and restarts, shadow comparison. */
  readonly models: ModelReport;
}

/** The models of a batch and how they compared (for metrics; the watch after a promotion reads them). */
export interface ModelReport {
  readonly champion: string;
  readonly challenger?: string;
  /** Series whose calibration switched to one warmed in shadow (a promotion or a rollback). */
  readonly swapped: number;
  /** Series whose calibration started afresh (a model they never saw in shadow became live). */
  readonly restarted: number;
  /** Rows the challenger scored without being live (shadow), and how many of them it would have opened or kept an episode on. */
  readonly shadowRows: number;
  readonly shadowAboveOpen: number;
  /** Of the same rows, how many the live model's probability opened or kept an episode on. */
  readonly liveAboveOpen: number;
}

/** A series whose state was started afresh because a number in it was no longer finite. */
export interface SeriesReset {
  readonly key: string;
  readonly reason: string;
}

/**
 * Separates series and channel in a key. Validation refuses control characters in both, so a key cannot
 * be read two ways (`a/b` the series and `a` with channel `b` are different keys).
 */
const KEY_SEPARATOR = '\u001f';

/** Key of one channel of one series: its own features, calibration and episode. */
export function seriesKey(series: string, channel: string): string {
  return channel === SINGLE_CHANNEL ? series : `${series}${KEY_SEPARATOR}${channel}`;
}

/** The series and channel a key was made of. */
export function parseSeriesKey(key: string): { series: string; channel: string } {
  const at = key.lastIndexOf(KEY_SEPARATOR);
  return at < 0
    ? { series: key, channel: SINGLE_CHANNEL }
    : { series: key.slice(0, at), channel: key.slice(at + 1) };
}

/** A person-readable name of a key: the series, and ` · channel` for a named channel. */
export function displayKey(key: string): string {
  const { series, channel } = parseSeriesKey(key);
  return channel === SINGLE_CHANNEL ? series : `${series} · ${channel}`;
}

/** The opaque id of the episode of series key `key` that started at `startedAt` (128 bits, hex). */
export function episodeIdOf(key: string, startedAt: number): string {
  return createHash('sha256').update(`${key}\u0000${startedAt}`).digest('hex').slice(0, 32);
}

/**
 * The detection path shared by the Lambda, the local stack, the CSV scorer and the NAB benchmark:
 * features per series (in order), one model call for the whole batch, then calibration and episodes
 * per series (in order). No point's result depends on a later point.
 */
export class Detector {
  private readonly resolve: SettingsResolver;
  private readonly byDimensions: boolean;
  /** Each series' settings, resolved once (unless overrides look at dimensions, which may change). */
  private readonly resolved = new Map<string, SeriesSettings>();

  private models: ModelSet;

  constructor(
    scorer: BatchScorer,
    private readonly options: DetectorOptions = DEFAULT_DETECTOR_OPTIONS,
  ) {
    this.models = { champion: scorer };
    const base = { ...options.settings };
    this.resolve = settingsResolver(base, options.episodes);
    this.byDimensions = readsDimensions(base);
  }

  /** The settings of a row's series. */
  private settingsOf(row: Row): SeriesSettings {
    if (this.byDimensions) return this.resolve(row.event.series, row.channel, row.event.dimensions);
    let found = this.resolved.get(row.key);
    if (!found) {
      if (this.resolved.size >= 100_000) this.resolved.clear();
      found = this.resolve(row.event.series, row.channel, row.event.dimensions);
      this.resolved.set(row.key, found);
    }
    return found;
  }

  /** The champion's version: stamped on every point but those of canary series. */
  get modelVersion(): string {
    return this.models.champion.modelVersion;
  }

  /** The models in use. */
  get modelSet(): ModelSet {
    return this.models;
  }

  /** Switches models between batches; a batch in progress finishes with the set it started with. */
  setModels(models: ModelSet): void {
    const percent = models.canaryPercent ?? 0;
    if (!(percent >= 0 && percent <= 100))
      throw new RangeError(`canaryPercent must be 0..100, got ${percent}`);
    this.models = models;
  }

  /** Scores a batch. `states` is read and updated in place; new series are added to it. */
  async detect(
    events: readonly MeasurementEvent[],
    states: Map<string, SeriesDetectorState>,
  ): Promise<DetectionResult> {
    let channels = 0;
    for (const event of events) for (const _ in event.values) channels += 1;
    // One buffer per call: concurrent batches on one detector never share feature rows.
    const features = new Float32Array(channels * FEATURE_COUNT);
    const rows: Row[] = [];
    const resets: SeriesReset[] = [];
    let duplicates = 0;
    for (const event of events) {
      for (const channel in event.values) {
        let value = event.values[channel] as number;
        const key = seriesKey(event.series, channel);
        let state = states.get(key);
        if (!state) {
          state = newSeriesDetectorState();
          states.set(key, state);
        }
        if (event.kind === 'counter') {
          const rate = counterRate(state, event.timestamp, value);
          // The first reading only primes the counter; a re-delivered or older one has no rate to give.
          if (rate === 'stale') duplicates += 1;
          if (typeof rate !== 'number') continue;
          value = rate;
        }
        const order = pointOrder(state.features, event.timestamp);
        if (order === 'duplicate') {
          duplicates += 1;
          continue;
        }
        computeFeatures(state.features, event.timestamp, value, features, rows.length * FEATURE_COUNT);
        const stuck = stuckRun(state.features, value);
        const expected = expectedRange(state.features, event.timestamp);
        if (order === 'next') {
          updateFeatureState(state.features, event.timestamp, value);
          const broken = nonFiniteField(state.features, event.timestamp);
          if (broken) {
            // Bounded inputs keep the state finite; should arithmetic still break, the series starts afresh
            // without the point that broke it, rather than going blind for good. The point itself was scored
            // from the state before it.
            resets.push({
              key,
              reason: `feature state field ${broken} is not finite after a value of ${value}`,
            });
            state = newSeriesDetectorState();
            states.set(key, state);
          }
        }
        rows.push({
          key,
          channel,
          state,
          event,
          value,
          late: order === 'late',
          stuck,
          expected,
        });
      }
    }
    const models = this.models;
    const raw = await models.champion.score(features, rows.length);
    const challengerRaw = models.challenger
      ? await models.challenger.score(features, rows.length)
      : undefined;
    return { ...this.calibrateRows(rows, features, raw, challengerRaw, models, duplicates), resets };
  }

  private calibrateRows(
    rows: readonly Row[],
    features: Float32Array,
    championRaw: Float32Array,
    challengerRaw: Float32Array | undefined,
    models: ModelSet,
    duplicates: number,
  ): Omit<DetectionResult, 'resets'> {
    const points: ScoredPoint[] = new Array(rows.length);
    const surprises = new Float64Array(rows.length);
    const transitions: EpisodeTransition[] = [];
    const changed = new Set<string>();
    const champion = { version: models.champion.modelVersion, tag: modelTag(models.champion.modelVersion) };
    const challenger = models.challenger
      ? { version: models.challenger.modelVersion, tag: modelTag(models.challenger.modelVersion) }
      : undefined;
    const canaryPercent = models.canaryPercent ?? 0;
    const report = { swapped: 0, restarted: 0, shadowRows: 0, shadowAboveOpen: 0, liveAboveOpen: 0 };
    let late = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const { state, event } = row;
      // The live model of this row: the champion, or the challenger for a canary series.
      const canary = challenger !== undefined && inCanary(row.key, canaryPercent);
      const live = canary ? (challenger as typeof champion) : champion;
      const other = canary ? champion : challenger;
      const rawScore = (canary ? challengerRaw?.[i] : championRaw[i]) as number;
      const otherRaw = canary ? championRaw[i] : challengerRaw?.[i];
      const alignment = alignCalibration(state, live.tag, other?.tag);
      if (alignment !== 'kept') report[alignment] += 1;
      let anomalous = state.episode.openedAt !== null;
      let calibrated: { probability: number; surprise: number };
      const settings = this.settingsOf(row);
      if (other && otherRaw !== undefined && state.spare) {
        // Calibrated like the live model (a late point on a copy), compared, never alerted.
        const spare = row.late ? { ...state.spare.calibration } : state.spare.calibration;
        const shadow = calibrate(spare, otherRaw, this.options.calibration);
        report.shadowRows += 1;
        if (shadow.probability >= settings.episodes.openAbove) report.shadowAboveOpen += 1;
      }
      if (row.late) {
        late += 1;
        calibrated = calibrate({ ...state.calibration }, rawScore, this.options.calibration);
      } else {
        changed.add(row.key);
        calibrated = calibrate(state.calibration, rawScore, this.options.calibration);
        const stuck = row.stuck > 0 && calibrated.probability < STUCK_PROBABILITY;
        if (stuck) calibrated = { probability: STUCK_PROBABILITY, surprise: calibrated.surprise };
        // A muted series is scored and stored but never in an episode (one open when it was muted ends quietly).
        if (settings.mute && state.episode.openedAt !== null) closeEpisode(state.episode);
        const step = settings.mute
          ? 'calm'
          : advanceEpisode(state.episode, event.timestamp, calibrated.probability, settings.episodes);
        if (step !== 'calm' && step !== 'ongoing') {
          const drivers = stuck ? [{ name: 'stuck_run', value: row.stuck }] : topFeatures(features, i);
          transitions.push(this.transition(step, row, drivers, calibrated.probability, live.version));
        }
        if (step === 'resolved') closeEpisode(state.episode);
        anomalous = step === 'opened' || step === 'ongoing' || step === 'escalated';
      }
      if (other && calibrated.probability >= settings.episodes.openAbove) report.liveAboveOpen += 1;
      surprises[i] = calibrated.surprise;
      points[i] = {
        series: event.series,
        channel: row.channel,
        timestamp: event.timestamp,
        value: row.value,
        dimensions: event.dimensions,
        rawScore,
        probability: calibrated.probability,
        anomalous,
        modelVersion: live.version,
      };
    }
    const models_: ModelReport = {
      champion: champion.version,
      ...(challenger && { challenger: challenger.version }),
      ...report,
    };
    return { points, surprises, transitions, duplicates, late, changed, models: models_ };
  }

  private transition(
    kind: 'opened' | 'escalated' | 'resolved',
    row: Row,
    contributions: FeatureContribution[],
    probability: number,
    modelVersion: string,
  ): EpisodeTransition {
    const episode = row.state.episode;
    const startedAt = episode.openedAt ?? row.event.timestamp;
    return {
      kind,
      episodeId: episodeIdOf(row.key, startedAt),
      series: row.event.series,
      channel: row.channel,
      dimensions: row.event.dimensions,
      severity: episode.severity,
      startedAt,
      lastSeenAt: episode.lastSeenAt,
      peakProbability: Math.max(episode.peakProbability, kind === 'resolved' ? 0 : probability),
      value: row.value,
      expected: row.expected,
      topFeatures: contributions,
      modelVersion,
    };
  }
}

/** The three features furthest from zero: they are z-scores, so size is contribution. */
function topFeatures(features: Float32Array, index: number): FeatureContribution[] {
  const offset = index * FEATURE_COUNT;
  const all = FEATURE_NAMES.map((name, j) => ({ name, value: features[offset + j] as number }));
  return all.sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, 3);
}

interface Row {
  readonly key: string;
  readonly channel: string;
  readonly state: SeriesDetectorState;
  readonly event: MeasurementEvent;
  readonly value: number;
  readonly late: boolean;
  /** Length of the run of exact repeats when it marks the series as stuck (judged apart from the model), else 0. */
  readonly stuck: number;
  /** The series' expected range at this point, from its state before the point (which cannot widen it). */
  readonly expected: { readonly low: number; readonly high: number };
}

/**
 * The first number of a feature state that is not finite, by name, or undefined when all are. Only what an
 * update at `timestamp` can change is checked (the scalars and that hour's profile), without allocating:
 * this runs for every point.
 */
function nonFiniteField(f: FeatureState, timestamp: number): string | undefined {
  if (!Number.isFinite(f.lastValue)) return 'lastValue';
  if (!Number.isFinite(f.interval)) return 'interval';
  if (!Number.isFinite(f.fast.mean)) return 'fast.mean';
  if (!Number.isFinite(f.fast.variance)) return 'fast.variance';
  if (!Number.isFinite(f.slow.mean)) return 'slow.mean';
  if (!Number.isFinite(f.slow.variance)) return 'slow.variance';
  if (!Number.isFinite(f.stepVariance)) return 'stepVariance';
  const hour = Math.floor(timestamp / 3_600_000) % f.seasonMean.length;
  const h = hour < 0 ? hour + f.seasonMean.length : hour;
  if (!Number.isFinite(f.seasonMean[h] as number) || !Number.isFinite(f.seasonVariance[h] as number)) {
    return `season[${h}]`;
  }
  return undefined;
}

/**
 * The rate per second of a counter reading against the series' last one, which it then replaces: `primed`
 * for the first reading, `stale` for one not newer than the last. A reading below the last is a reset (a
 * process restarted), counted from zero as Prometheus's rate() does, so a restart is not an anomaly.
 */
function counterRate(state: SeriesDetectorState, at: number, raw: number): number | 'primed' | 'stale' {
  const last = state.counter;
  if (!last) {
    state.counter = { raw, at };
    return 'primed';
  }
  if (at <= last.at) return 'stale';
  const increase = raw >= last.raw ? raw - last.raw : raw;
  const rate = increase / ((at - last.at) / 1_000);
  state.counter = { raw, at };
  return rate;
}
