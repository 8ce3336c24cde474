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
import { decodeSeriesState, encodeSeriesState } from '../../core/state-codec.ts';
import { type Accepted, type DeadLetterSink, decodeBatch, type Rejected } from './decode-records.ts';

export type { DeadLetter, DeadLetterSink } from './decode-records.ts';

/** A series' state as last checkpointed by this container, with the version it was saved at. */
export interface CachedState {
  readonly state: SeriesDetectorState;
  version: number;
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
  /** Warm state of this container; a fresh map per handler by default. Entries are never shared with the detector. */
  readonly cache?: Map<string, CachedState>;
  /** Most series kept warm; the least recently used are dropped beyond it. 50 000 by default. */
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
  const cache = deps.cache ?? new Map<string, CachedState>();
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
    const versions = new Map<string, number>();
    const states = await loadStates([...keys], versions);
    let conflicts: readonly string[];
    let changed: string[];
    try {
      const result = await detector.detect(
        valid.map((a) => a.event),
        states,
      );
      if (result.points.length > 0) await deps.timeSeries.write(result.points);
      if (result.transitions.length > 0) await deps.alerts.publish(result.transitions);
      countResult(valid.length, result);
      changed = [...result.changed];
      if (changed.length === 0) return [];
      ({ conflicts } = await deps.stateStore.save(
        changed.map((key) => ({
          key,
          state: encodeSeriesState(states.get(key) as SeriesDetectorState),
          version: versions.get(key) ?? 0,
        })),
      ));
    } catch (error) {
      // The detector advanced the cached states in place and nothing was checkpointed: forget them, so the
      // retry starts from the stored states.
      for (const key of keys) cache.delete(key);
      throw error;
    }
    const conflicted = new Set(conflicts);
    for (const key of changed) {
      if (conflicted.has(key)) {
        cache.delete(key);
      } else {
        remember(key, {
          state: states.get(key) as SeriesDetectorState,
          version: (versions.get(key) ?? 0) + 1,
        });
      }
    }
    if (conflicted.size === 0) return [];
    logger?.warn('state checkpoint conflict; the series will be reloaded and its records retried', {
      keys: [...conflicted],
    });
    return valid
      .filter(({ event }) =>
        Object.keys(event.values).some((c) => conflicted.has(seriesKey(event.series, c))),
      )
      .map((a) => a.recordIndex);
  }

  /** Working copies of the batch's states: warm cache first, then the store; new series are left out. */
  async function loadStates(
    keys: readonly string[],
    versions: Map<string, number>,
  ): Promise<Map<string, SeriesDetectorState>> {
    const states = new Map<string, SeriesDetectorState>();
    const cold: string[] = [];
    for (const key of keys) {
      const warm = cache.get(key);
      if (!warm) {
        cold.push(key);
        continue;
      }
      // No copy: the detector advances the cached state in place, and a batch that fails evicts it.
      states.set(key, warm.state);
      versions.set(key, warm.version);
    }
    if (cold.length === 0) return states;
    for (const [key, stored] of await deps.stateStore.load(cold)) {
      states.set(key, decodeStoredState(key, stored.state));
      versions.set(key, stored.version);
    }
    return states;
  }

  function remember(key: string, entry: CachedState): void {
    const cached = cache.get(key);
    if (cached && cached.state === entry.state) {
      // Same live object, advanced in place: only the version moves. Eviction is by first insertion, which
      // for a stream is close enough to least-recently-used and spares two map operations per series.
      cached.version = entry.version;
      return;
    }
    cache.set(key, entry);
    if (cache.size > maxCached) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
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

function decodeStoredState(key: string, stored: unknown): SeriesDetectorState {
  try {
    return decodeSeriesState(stored);
  } catch (error) {
    throw new StoredStateError(key, (error as Error).message);
  }
}
