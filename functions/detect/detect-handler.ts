import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { EpisodeTransition, ScoredPoint } from '../../core/detection-types.ts';
import {
  type Detector,
  displayKey,
  type ModelReport,
  type SeriesDetectorState,
  seriesKey,
} from '../../core/detector.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { SCORE_DRIFT_METRIC } from '../../core/learning/drift.ts';
import type { AlertPublisher, Clock, FeatureStateStore, TimeSeriesStore } from '../../core/ports.ts';
import { prefetchStates } from '../../core/state-codec.ts';
import { EMPTY_OUTBOX, encodeCheckpoint, type Outbox, sequenceAfter } from './checkpoint.ts';
import { type Accepted, type DeadLetterSink, decodeBatch, type Rejected } from './decode-records.ts';
import { DriftMeter } from './drift-meter.ts';
import { deliverOutboxes, type SeriesOutbox } from './outbox-delivery.ts';
import { SeriesCache } from './series-cache.ts';

export type { DeadLetter, DeadLetterSink } from './decode-records.ts';

/** How far ahead of the receiving clock an event may be stamped, by default: producers' clocks drift. */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;

/** What the detect handler needs; the production wiring passes AWS adapters, tests the memory ones. */
export interface DetectHandlerDeps {
  readonly detector: Detector;
  readonly stateStore: FeatureStateStore;
  readonly timeSeries: TimeSeriesStore;
  readonly alerts: AlertPublisher;
  readonly deadLetters: DeadLetterSink;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** EMF metrics; `singleMetric` (when given) carries the per-reason and per-severity counts. */
  readonly metrics?: Pick<Metrics, 'addMetric' | 'addDimension'> & Partial<Pick<Metrics, 'singleMetric'>>;
  /** Most series kept warm; the longest-cached are dropped beyond it. 50 000 by default. */
  readonly maxCachedSeries?: number;
  /** The receiving clock events are checked against; `Date.now` by default. */
  readonly clock?: Clock;
  /** How far ahead of the clock an event may be; {@link DEFAULT_MAX_FUTURE_MS} by default. */
  readonly maxFutureMs?: number;
  /** How far behind the clock an event may be (what the time-series store accepts); unbounded by default. */
  readonly maxAgeMs?: number;
  /** Called with each invocation's outcome (tests and the local stack's activity line read it). */
  readonly onOutcome?: (outcome: BatchOutcome) => void;
  /** Keeps the detector on the registry's models; refreshed before each batch (functions/detect/model-watcher.ts). */
  readonly models?: { refresh(): Promise<void> };
  /** Measures the champion's raw-score drift (metric ScoreDriftPSI, which the retraining alarm watches). */
  readonly drift?: DriftMeter;
}

/** The Lambda function shape: a Kinesis batch in, the records to retry out. */
export type DetectHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/**
 * What happened to the user records of one invocation; every one ends in exactly one outcome, so
 * `in = scored + redelivered + deadLettered + retried` (the metrics carry the same counts).
 */
export interface BatchOutcome {
  readonly in: number;
  /** Folded into their series and checkpointed, with their outputs delivered. */
  readonly scored: number;
  /** Already folded into their series' checkpoints (a retry re-delivered them): skipped. */
  readonly redelivered: number;
  /** Invalid: sent to the dead-letter queue with the reason. */
  readonly deadLettered: number;
  /** Reported as batch item failures: Lambda delivers them again. */
  readonly retried: number;
}

/**
 * Creates the detect handler. Per batch: decode; deliver outboxes a previous attempt saved but may not have
 * delivered; skip channels already folded into their checkpoints; detect; save every touched series' state
 * with this batch's outputs (its outbox) in one conditional write per series; only then deliver the outbox
 * (points, transitions, refused points to the dead-letter queue); dead-letter the invalid records last.
 * Side effects therefore only ever carry what was committed: a stale warm cache loses the save race before
 * anything leaves the container, and a failed delivery is redone from the outbox. Failures come back as
 * batch item failures from the first record affected (Lambda retries from there).
 */
export function createDetectHandler(deps: DetectHandlerDeps): DetectHandler {
  const cache = new SeriesCache(deps.stateStore, deps.maxCachedSeries ?? 50_000);
  const { detector, logger, metrics } = deps;
  const clock = deps.clock ?? { now: Date.now };
  const drift = deps.drift ?? new DriftMeter({ clock });
  return async (event) => {
    const started = performance.now();
    const records = event.Records;
    // Between batches only: a batch is scored by one set of models from start to end.
    await deps.models?.refresh();
    metrics?.addDimension('ModelVersion', detector.modelVersion);
    const window = {
      now: clock.now(),
      maxFutureMs: deps.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
      ...(deps.maxAgeMs !== undefined && { maxAgeMs: deps.maxAgeMs }),
    };
    const { accepted, rejected } = decodeBatch(records, window);

    // Records from `failedFrom` on are retried; everything before it is done.
    let failedFrom = records.length;
    let applied = new Set<Accepted>();
    if (accepted.length > 0) {
      try {
        const result = await processValid(accepted);
        applied = result.fresh;
        if (result.failedFrom !== undefined) failedFrom = result.failedFrom;
      } catch (error) {
        logger?.error(
          'batch not checkpointed or not delivered; Lambda retries it from its first valid record',
          {
            error,
          },
        );
        failedFrom = (accepted[0] as Accepted).recordIndex;
      }
    }
    const dead = rejected.filter((r) => r.recordIndex < failedFrom);
    if (dead.length > 0) {
      logRejections(dead);
      countBy(
        'RecordsRejectedByReason',
        'Reason',
        dead.map((r) => r.kind),
      );
      try {
        await deps.deadLetters.send(
          dead.map(({ reason, data, sequenceNumber, partitionKey }) => ({
            reason,
            data,
            sequenceNumber,
            partitionKey,
          })),
        );
      } catch (error) {
        logger?.error('dead-letter queue unavailable; retrying from the first rejected record', { error });
        failedFrom = Math.min(failedFrom, (dead[0] as Rejected).recordIndex);
      }
    }
    const outcome = account(accepted, rejected, applied, failedFrom);
    deps.onOutcome?.(outcome);
    countOutcome(outcome, performance.now() - started);
    const failures: { itemIdentifier: string }[] = [];
    for (let i = failedFrom; i < records.length; i++) {
      failures.push({ itemIdentifier: records[i]?.kinesis.sequenceNumber ?? '' });
    }
    return { batchItemFailures: failures };
  };

  /**
   * Scores the valid events and persists and delivers the outcome. Returns the records that had new
   * channels, and the first record to retry after a save conflict; throws when nothing may be assumed done.
   */
  async function processValid(
    valid: readonly Accepted[],
  ): Promise<{ fresh: Set<Accepted>; failedFrom?: number }> {
    const keys = new Set<string>();
    for (const { event } of valid)
      for (const channel in event.values) keys.add(seriesKey(event.series, channel));
    const quarantined = await cache.warmUp(keys);
    for (const { key, reason } of quarantined) {
      logger?.warn('unreadable checkpoint quarantined; the series starts afresh', {
        series: displayKey(key),
        reason,
      });
    }
    if (quarantined.length > 0) metrics?.addMetric('StatesQuarantined', MetricUnit.Count, quarantined.length);

    // Outboxes saved by an attempt that may have died before delivering them: committed outputs, so
    // delivering them again is safe (every sink is idempotent for them) and they go before anything new.
    const pending: SeriesOutbox[] = [];
    for (const key of keys) {
      const mark = cache.mark(key);
      if (mark?.pending) pending.push({ key, sequence: mark.sequence, outbox: mark.pending });
    }
    if (pending.length > 0) {
      await deliver(pending);
      for (const { key } of pending) cache.delivered(key);
    }

    const { events, fresh, lastOf } = freshChannels(valid);
    if (events.length === 0) return { fresh };

    let result: Awaited<ReturnType<Detector['detect']>>;
    let saved: CheckpointEntry[];
    let conflicted: ReadonlySet<string>;
    try {
      result = await detector.detect(events, cache.states);
      const outboxes = outboxesByKey(result.points, result.transitions);
      const entries = checkpointEntries(lastOf, outboxes);
      const { conflicts } = await deps.stateStore.save(entries);
      conflicted = new Set(conflicts);
      saved = conflicted.size === 0 ? entries : entries.filter((e) => !conflicted.has(e.key));
      for (const entry of saved)
        cache.saved(entry.key, (entry as { shard: string }).shard, entry.sequence, entry.outbox);
    } catch (error) {
      // The detector advanced the warm states in place and some or all saves may not have happened: forget
      // them all, so the retry starts from what is stored (and delivers what a partial save committed).
      for (const key of keys) cache.forget(key);
      throw error;
    }
    for (const key of conflicted) cache.forget(key);
    for (const { key, reason } of result.resets) {
      logger?.warn('series state stopped being finite; the series starts afresh', {
        series: displayKey(key),
        reason,
      });
    }
    countDetection(
      result.points,
      result.transitions,
      result.late,
      result.duplicates,
      result.resets.length,
      result.models,
    );

    // Every series saved (the usual case): the batch's outputs are the outboxes' content, in one list already.
    await deliver(saved, conflicted.size === 0 ? result : undefined);
    for (const { key } of saved) cache.delivered(key);
    cache.evictBeyondLimit();

    if (conflicted.size === 0) return { fresh };
    logger?.warn('state checkpoint conflict; the series will be reloaded and its records retried', {
      series: [...conflicted].map(displayKey),
    });
    let failedFrom: number | undefined;
    for (const accepted of fresh) {
      const { event, recordIndex } = accepted;
      const hit = Object.keys(event.values).some((c) => conflicted.has(seriesKey(event.series, c)));
      if (hit && (failedFrom === undefined || recordIndex < failedFrom)) failedFrom = recordIndex;
    }
    return { fresh, ...(failedFrom !== undefined && { failedFrom }) };
  }

  /**
   * Each series' checkpoint: its state, where it stands and its outbox, encoded. By now most states are out of
   * cache (the detector's passes over the whole batch came in between), so they are encoded a few at a time,
   * each group's memory fetched at once first (see {@link prefetchStates}).
   */
  function checkpointEntries(
    lastOf: ReadonlyMap<string, Accepted>,
    outboxes: ReadonlyMap<string, Outbox>,
  ): CheckpointEntry[] {
    const keys = [...lastOf.keys()];
    const states = keys.map((key) => {
      const state = cache.states.get(key);
      if (!state) throw new Error(`detector left no state for series key ${JSON.stringify(key)}`);
      return state;
    });
    const entries: CheckpointEntry[] = new Array(keys.length);
    for (let from = 0; from < keys.length; from += PREFETCH_GROUP) {
      const to = Math.min(from + PREFETCH_GROUP, keys.length);
      prefetchStates(states, from, to);
      for (let i = from; i < to; i++) {
        const key = keys[i] as string;
        const state = states[i] as SeriesDetectorState;
        const { shard, sequenceNumber: sequence } = lastOf.get(key) as Accepted;
        const outbox = outboxes.get(key) ?? EMPTY_OUTBOX;
        entries[i] = {
          key,
          shard,
          sequence,
          outbox,
          version: cache.mark(key)?.version ?? 0,
          state: encodeCheckpoint({ state, shard, sequence, outbox }),
        };
      }
    }
    return entries;
  }

  /**
   * The channels of `valid` not yet folded into their checkpoints (each channel has its own), as events in
   * stream order, with the records that had any and the last shard and sequence number per series key.
   */
  function freshChannels(valid: readonly Accepted[]): {
    events: MeasurementEvent[];
    fresh: Set<Accepted>;
    lastOf: Map<string, Accepted>;
  } {
    const events: MeasurementEvent[] = [];
    const fresh = new Set<Accepted>();
    // The last record of each series key: its shard and sequence number go into the checkpoint.
    const lastOf = new Map<string, Accepted>();
    for (const accepted of valid) {
      const { event, sequenceNumber, shard } = accepted;
      let channels = 0;
      let done = 0;
      for (const channel in event.values) {
        channels += 1;
        if (cache.applied(seriesKey(event.series, channel), shard, sequenceNumber)) done += 1;
      }
      if (done === channels) continue;
      let values: Record<string, number> | undefined;
      for (const channel in event.values) {
        const key = seriesKey(event.series, channel);
        // Only when some channels are done (a retry after a partial save or a conflict) is a subset built.
        if (done > 0) {
          if (cache.applied(key, shard, sequenceNumber)) continue;
          values ??= {};
          values[channel] = event.values[channel] as number;
        }
        const last = lastOf.get(key);
        if (!last || last.shard !== shard || sequenceAfter(sequenceNumber, last.sequenceNumber)) {
          lastOf.set(key, accepted);
        }
      }
      fresh.add(accepted);
      events.push(values ? { ...event, values } : event);
    }
    return { events, fresh, lastOf };
  }

  async function deliver(outboxes: readonly SeriesOutbox[], all?: Outbox): Promise<void> {
    const report = await deliverOutboxes(outboxes, deps, all);
    if (report.rejectedPoints > 0) {
      logger?.warn('the time-series store refused points for good; they are in the dead-letter queue', {
        points: report.rejectedPoints,
      });
      metrics?.addMetric('PointsRejected', MetricUnit.Count, report.rejectedPoints);
    }
  }

  function countDetection(
    points: readonly ScoredPoint[],
    transitions: readonly EpisodeTransition[],
    late: number,
    duplicates: number,
    resets: number,
    report: ModelReport,
  ): void {
    const psi = drift.add(detector.modelSet.champion, points);
    if (psi !== undefined) {
      logger?.info('raw-score drift of the champion', {
        model: detector.modelSet.champion.modelVersion,
        psi,
      });
      // The alarm watches the service dimension alone; the batch's metrics also carry ModelVersion (dashboards).
      metrics?.addMetric(SCORE_DRIFT_METRIC.name, MetricUnit.NoUnit, psi);
      metrics?.singleMetric?.().addMetric(SCORE_DRIFT_METRIC.name, MetricUnit.NoUnit, psi);
    }
    if (!metrics) return;
    metrics.addMetric('PointsScored', MetricUnit.Count, points.length);
    metrics.addMetric('MeasurementsLate', MetricUnit.Count, late);
    metrics.addMetric('MeasurementsDuplicate', MetricUnit.Count, duplicates);
    if (resets > 0) metrics.addMetric('SeriesReset', MetricUnit.Count, resets);
    const { swapped, restarted, shadowRows, shadowAboveOpen, liveAboveOpen } = report;
    if (swapped > 0) metrics.addMetric('CalibrationSwapped', MetricUnit.Count, swapped);
    if (restarted > 0) metrics.addMetric('CalibrationRestarted', MetricUnit.Count, restarted);
    if (shadowRows > 0) {
      metrics.addMetric('ShadowRows', MetricUnit.Count, shadowRows);
      metrics.addMetric('ShadowAboveOpen', MetricUnit.Count, shadowAboveOpen);
      metrics.addMetric('LiveAboveOpen', MetricUnit.Count, liveAboveOpen);
    }
    const opened = transitions.filter((t) => t.kind === 'opened');
    const resolved = transitions.filter((t) => t.kind === 'resolved').length;
    metrics.addMetric('AnomaliesOpened', MetricUnit.Count, opened.length);
    metrics.addMetric('AnomaliesResolved', MetricUnit.Count, resolved);
    countBy(
      'AnomaliesOpenedBySeverity',
      'Severity',
      opened.map((t) => t.severity),
    );
  }

  /**
   * Counts of `values` as one metric per value of a bounded dimension (a rejection kind, a severity; never
   * a series), each flushed on its own so the batch's other metrics keep their dimensions.
   */
  function countBy(metric: string, dimension: string, values: readonly string[]): void {
    if (!metrics?.singleMetric || values.length === 0) return;
    const counts = new Map<string, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    for (const [value, count] of counts) {
      const single = metrics.singleMetric();
      single.addDimension(dimension, value);
      single.addMetric(metric, MetricUnit.Count, count);
    }
  }

  function countOutcome(outcome: BatchOutcome, latencyMs: number): void {
    if (!metrics) return;
    metrics.addMetric('RecordsIn', MetricUnit.Count, outcome.in);
    metrics.addMetric('RecordsProcessed', MetricUnit.Count, outcome.scored);
    metrics.addMetric('RecordsRedelivered', MetricUnit.Count, outcome.redelivered);
    metrics.addMetric('RecordsRejected', MetricUnit.Count, outcome.deadLettered);
    metrics.addMetric('RecordsRetried', MetricUnit.Count, outcome.retried);
    metrics.addMetric('BatchLatency', MetricUnit.Milliseconds, latencyMs);
  }

  function logRejections(rejected: readonly Rejected[]): void {
    // Reasons by category and field only: values stay out of the logs (the DLQ has them).
    for (const r of rejected) {
      logger?.warn('record rejected to the dead-letter queue', {
        kind: r.kind,
        fields: r.fields,
        sequenceNumber: r.sequenceNumber,
      });
    }
  }
}

/** One series' save: its outbox, where it stands, and the bytes written conditionally on `version`. */
interface CheckpointEntry extends SeriesOutbox {
  readonly shard: string;
  readonly version: number;
  readonly state: Uint8Array;
}

/** States whose memory is fetched together before they are encoded: about 30 KB, well within a core's cache. */
const PREFETCH_GROUP = 32;

/** Shared by every series without a transition in the batch; never pushed to. */
const NO_TRANSITIONS: EpisodeTransition[] = [];

/** Groups a batch's outputs by series key: each series' outbox. */
function outboxesByKey(
  points: readonly ScoredPoint[],
  transitions: readonly EpisodeTransition[],
): Map<string, Outbox> {
  const byKey = new Map<string, { points: ScoredPoint[]; transitions: EpisodeTransition[] }>();
  for (const point of points) {
    const key = seriesKey(point.series, point.channel);
    const found = byKey.get(key);
    if (found) found.points.push(point);
    // Most series have no transition in a batch: they share one empty list.
    else byKey.set(key, { points: [point], transitions: NO_TRANSITIONS });
  }
  for (const transition of transitions) {
    const key = seriesKey(transition.series, transition.channel);
    const found = byKey.get(key) ?? { points: [], transitions: NO_TRANSITIONS };
    if (found.transitions === NO_TRANSITIONS) found.transitions = [];
    found.transitions.push(transition);
    byKey.set(key, found);
  }
  return byKey;
}

/** The outcome of every user record of the batch, by where it stands against the first retried record. */
function account(
  accepted: readonly Accepted[],
  rejected: readonly Rejected[],
  fresh: ReadonlySet<Accepted>,
  failedFrom: number,
): BatchOutcome {
  let scored = 0;
  let redelivered = 0;
  let deadLettered = 0;
  let retried = 0;
  for (const a of accepted) {
    if (a.recordIndex >= failedFrom) retried += 1;
    else if (fresh.has(a)) scored += 1;
    else redelivered += 1;
  }
  for (const r of rejected) {
    if (r.recordIndex >= failedFrom) retried += 1;
    else deadLettered += 1;
  }
  return { in: accepted.length + rejected.length, scored, redelivered, deadLettered, retried };
}
