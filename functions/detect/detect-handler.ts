import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import {
  type DetectionResult,
  type Detector,
  type SeriesDetectorState,
  seriesKey,
} from '../../core/detector.ts';
import type { AlertPublisher, FeatureStateStore, TimeSeriesStore } from '../../core/ports.ts';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, sequenceAfter } from './checkpoint.ts';
import { type Accepted, type DeadLetterSink, decodeBatch, type Rejected } from './decode-records.ts';

export type { DeadLetter, DeadLetterSink } from './decode-records.ts';

/** Where a warm series' checkpoint stands: the version it was saved at and the last sequence number in it. */
interface CheckpointMark {
  version: number;
  sequence: string;
}

/** What the detect handler needs; the production wiring passes AWS adapters, tests the memory ones. */
export interface DetectHandlerDeps {
  readonly detector: Detector;
  readonly stateStore: FeatureStateStore;
  readonly timeSeries: TimeSeriesStore;
  readonly alerts: AlertPublisher;
  readonly deadLetters: DeadLetterSink;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly metrics?: Pick<Metrics, 'addMetric' | 'addDimension'>;
  /** Most series kept warm; the longest-cached are dropped beyond it. 50 000 by default. */
  readonly maxCachedSeries?: number;
}

/** The Lambda function shape: a Kinesis batch in, the records to retry out. */
export type DetectHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/** Thrown when a stored state is not one this detector can read; names the series key. */
export class StoredStateError extends Error {
  override readonly name = 'StoredStateError';
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`stored state of series "${key}" cannot be read (${detail}); delete it to start the series afresh`);
  }
}

/**
 * Creates the detect handler: decode, dead-letter bad records, score, write points, publish transitions and
 * checkpoint state last, one optimistic save per changed series. Failures are returned as batch item failures
 * (Kinesis semantics: Lambda retries from the lowest one); a retry never updates state twice.
 */
export function createDetectHandler(deps: DetectHandlerDeps): DetectHandler {
  // The container's warm series: states as the detector left them after the last checkpoint (handed to it as
  // they are, no copies) and where each checkpoint stands. A batch that fails forgets its series instead.
  const warm = new Map<string, SeriesDetectorState>();
  const marks = new Map<string, CheckpointMark>();
  const maxCached = deps.maxCachedSeries ?? 50_000;
  const { detector, logger, metrics } = deps;

  return async (event) => {
    const started = performance.now();
    const records = event.Records;
    metrics?.addDimension('ModelVersion', detector.modelVersion);
    const { accepted, rejected } = decodeBatch(records);

    // Records from `cutoff` on are retried; everything before it is done.
    let cutoff = records.length;
    if (rejected.length > 0) {
      logRejections(rejected);
      try {
        await deps.deadLetters.send(
          rejected.map(({ reason, data, sequenceNumber, partitionKey }) => ({
            reason,
            data,
            sequenceNumber,
            partitionKey,
          })),
        );
        metrics?.addMetric('RecordsRejected', MetricUnit.Count, rejected.length);
      } catch (error) {
        logger?.error('dead-letter queue unavailable; retrying from the first rejected record', { error });
        cutoff = (rejected[0] as Rejected).recordIndex;
      }
    }
    const valid = accepted.filter((a) => a.recordIndex < cutoff);
    const failed = new Set<number>();
    if (valid.length > 0) {
      try {
        for (const index of await processValid(valid)) failed.add(index);
      } catch (error) {
        logger?.error('batch not checkpointed; Lambda retries it from its first valid record', { error });
        cutoff = Math.min(cutoff, (valid[0] as Accepted).recordIndex);
      }
    }
    for (let i = cutoff; i < records.length; i++) failed.add(i);
    metrics?.addMetric('BatchLatency', MetricUnit.Milliseconds, performance.now() - started);
    const failures = [...failed].sort((a, b) => a - b);
    return {
      batchItemFailures: failures.map((i) => ({ itemIdentifier: records[i]?.kinesis.sequenceNumber ?? '' })),
    };
  };

  /** Scores the valid events and persists the outcome; returns the record indexes to retry after a conflict. */
  async function processValid(valid: readonly Accepted[]): Promise<number[]> {
    const keys = new Set<string>();
    for (const { event } of valid)
      for (const channel in event.values) keys.add(seriesKey(event.series, channel));
    await warmUp(keys);
    // Records already folded into their series' checkpoint come round again after a retry: skip them.
    const fresh: Accepted[] = [];
    const sequences = new Map<string, string>();
    for (const accepted of valid) {
      const { event, sequenceNumber } = accepted;
      let applied = false;
      for (const channel in event.values) {
        const key = seriesKey(event.series, channel);
        applied ||= !sequenceAfter(sequenceNumber, marks.get(key)?.sequence ?? '');
        if (applied) break;
        if (sequenceAfter(sequenceNumber, sequences.get(key) ?? '')) sequences.set(key, sequenceNumber);
      }
      if (!applied) fresh.push(accepted);
    }
    if (fresh.length < valid.length) {
      metrics?.addMetric('RecordsRedelivered', MetricUnit.Count, valid.length - fresh.length);
    }
    if (fresh.length === 0) return [];
    let conflicts: readonly string[];
    let changed: string[];
    try {
      const result = await detector.detect(
        fresh.map((a) => a.event),
        warm,
      );
      if (result.points.length > 0) await deps.timeSeries.write(result.points);
      if (result.transitions.length > 0) await deps.alerts.publish(result.transitions);
      countResult(fresh.length, result);
      changed = [...result.changed];
      if (changed.length === 0) return [];
      ({ conflicts } = await deps.stateStore.save(
        changed.map((key) => ({
          key,
          state: encodeCheckpoint({
            state: warm.get(key) as SeriesDetectorState,
            sequence: sequences.get(key) ?? marks.get(key)?.sequence ?? '',
          }),
          version: marks.get(key)?.version ?? 0,
        })),
      ));
    } catch (error) {
      // The detector advanced the warm states in place and nothing was checkpointed: forget them, so the
      // retry starts from the stored states.
      for (const key of keys) forget(key);
      throw error;
    }
    const conflicted = new Set(conflicts);
    for (const key of changed) {
      if (conflicted.has(key)) {
        forget(key);
        continue;
      }
      const sequence = sequences.get(key) ?? marks.get(key)?.sequence ?? '';
      const mark = marks.get(key);
      if (mark) {
        mark.version += 1;
        mark.sequence = sequence;
      } else {
        marks.set(key, { version: 1, sequence });
      }
    }
    evictBeyondLimit();
    if (conflicted.size === 0) return [];
    logger?.warn('state checkpoint conflict; the series will be reloaded and its records retried', {
      keys: [...conflicted],
    });
    return fresh
      .filter(({ event }) =>
        Object.keys(event.values).some((c) => conflicted.has(seriesKey(event.series, c))),
      )
      .map((a) => a.recordIndex);
  }

  /** Loads the checkpoints of the batch's series that are not warm; series never stored stay absent (new). */
  async function warmUp(keys: ReadonlySet<string>): Promise<void> {
    const cold: string[] = [];
    for (const key of keys) if (!warm.has(key)) cold.push(key);
    if (cold.length === 0) return;
    for (const [key, stored] of await deps.stateStore.load(cold)) {
      const { state, sequence } = decodeStoredCheckpoint(key, stored.state);
      warm.set(key, state);
      marks.set(key, { version: stored.version, sequence });
    }
  }

  function forget(key: string): void {
    warm.delete(key);
    marks.delete(key);
  }

  /** Drops the longest-warm series beyond the limit (a map iterates in insertion order). */
  function evictBeyondLimit(): void {
    for (const key of warm.keys()) {
      if (warm.size <= maxCached) return;
      forget(key);
    }
  }

  function countResult(records: number, result: DetectionResult): void {
    if (!metrics) return;
    metrics.addMetric('RecordsProcessed', MetricUnit.Count, records);
    const opened = result.transitions.filter((t) => t.kind === 'opened').length;
    const resolved = result.transitions.filter((t) => t.kind === 'resolved').length;
    metrics.addMetric('AnomaliesOpened', MetricUnit.Count, opened);
    metrics.addMetric('AnomaliesResolved', MetricUnit.Count, resolved);
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

function decodeStoredCheckpoint(key: string, stored: unknown): Checkpoint {
  try {
    return decodeCheckpoint(stored);
  } catch (error) {
    throw new StoredStateError(key, (error as Error).message);
  }
}
