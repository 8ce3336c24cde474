import type { EpisodeTransition, ScoredPoint } from '../core/detection-types.ts';
import type {
  AlertPublisher,
  FeatureStateStore,
  SaveResult,
  TimeSeriesStore,
  VersionedState,
} from '../core/ports.ts';
import { type PublishLedger, transitionId } from './publish-ledger.ts';

/**
 * In-memory implementations of the ports for the local stack and tests, with the same semantics as the AWS
 * adapters: idempotent writes, optimistic concurrency on state, transitions published once.
 */

/** A time range in epoch ms: `from` inclusive, `to` exclusive; either may be left open. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

/**
 * {@link TimeSeriesStore} in memory, queryable by series and time; a second write of a series+timestamp
 * replaces the first. Each series is a time-ordered array, so the usual write (a newer point) is an append.
 */
export class MemoryTimeSeriesStore implements TimeSeriesStore {
  private readonly bySeries = new Map<string, ScoredPoint[]>();

  /** `retainPerSeries` bounds memory on a long-running local stack: a series' oldest points are dropped. */
  constructor(private readonly retainPerSeries = Number.POSITIVE_INFINITY) {}

  async write(points: readonly ScoredPoint[]): Promise<void> {
    for (const point of points) {
      let series = this.bySeries.get(point.series);
      if (!series) {
        series = [];
        this.bySeries.set(point.series, series);
      }
      const last = series[series.length - 1];
      if (!last || point.timestamp > last.timestamp) {
        series.push(point);
      } else {
        const at = firstAtOrAfter(series, point.timestamp);
        if (series[at]?.timestamp === point.timestamp) series[at] = point;
        else series.splice(at, 0, point);
      }
      // Trim in chunks: dropping one point at a time would shift the whole array on every write.
      if (series.length > this.retainPerSeries * 1.25 + 8) {
        series.splice(0, series.length - this.retainPerSeries);
      }
    }
  }

  /** Points of `series` within `range`, oldest first. */
  query(series: string, range: TimeRange = {}): ScoredPoint[] {
    const points = this.bySeries.get(series) ?? [];
    const from = firstAtOrAfter(points, range.from ?? Number.NEGATIVE_INFINITY);
    const to = firstAtOrAfter(points, range.to ?? Number.POSITIVE_INFINITY);
    return points.slice(Math.max(from, points.length - this.retainPerSeries), to);
  }

  /** Every series written so far, sorted. */
  series(): string[] {
    return [...this.bySeries.keys()].sort();
  }

  /** Number of stored points across all series. */
  get size(): number {
    let n = 0;
    for (const points of this.bySeries.values()) n += Math.min(points.length, this.retainPerSeries);
    return n;
  }
}

/** {@link FeatureStateStore} in memory, with DynamoDB's semantics: copies in and out, optimistic versions. */
export class MemoryStateStore implements FeatureStateStore {
  private readonly items = new Map<string, { stored: string | Uint8Array; version: number }>();

  /** Missing keys are absent from the result: such a series is new and starts at version 0. */
  async load(keys: readonly string[]): Promise<Map<string, VersionedState>> {
    const found = new Map<string, VersionedState>();
    for (const key of keys) {
      const item = this.items.get(key);
      if (!item) continue;
      const state = typeof item.stored === 'string' ? JSON.parse(item.stored) : Buffer.from(item.stored);
      found.set(key, { key, version: item.version, state });
    }
    return found;
  }

  async save(entries: readonly VersionedState[]): Promise<SaveResult> {
    const conflicts: string[] = [];
    for (const entry of entries) {
      const storedVersion = this.items.get(entry.key)?.version ?? 0;
      if (storedVersion !== entry.version) {
        conflicts.push(entry.key);
        continue;
      }
      // Bytes are kept as given (the caller hands a fresh checkpoint over and never touches it again) and
      // copied on load; anything else is stored as JSON. Either way no caller shares live objects with it.
      const stored =
        entry.state instanceof Uint8Array ? entry.state : (JSON.stringify(entry.state) ?? 'null');
      this.items.set(entry.key, { stored, version: entry.version + 1 });
    }
    return { conflicts };
  }
}

export class MemoryAlertPublisher implements AlertPublisher {
  private readonly seen = new Set<string>();
  private readonly captured: EpisodeTransition[] = [];

  async publish(transitions: readonly EpisodeTransition[]): Promise<void> {
    for (const transition of transitions) {
      const id = transitionId(transition);
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      this.captured.push(transition);
    }
  }

  /** Transitions published so far, oldest first. */
  get transitions(): readonly EpisodeTransition[] {
    return this.captured;
  }
}

/** {@link PublishLedger} in memory, with the DynamoDB ledger's semantics: only 'sent' ids are skipped. */
export class MemoryPublishLedger implements PublishLedger {
  readonly status = new Map<string, 'pending' | 'sent'>();

  async claim(id: string): Promise<boolean> {
    if (this.status.get(id) === 'sent') return false;
    this.status.set(id, 'pending');
    return true;
  }

  async markSent(id: string): Promise<void> {
    this.status.set(id, 'sent');
  }
}

/** Index of the first point at or after `timestamp` in a time-ordered array (binary search). */
function firstAtOrAfter(points: readonly ScoredPoint[], timestamp: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid] as ScoredPoint).timestamp < timestamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
