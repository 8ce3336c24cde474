import type { EpisodeTransition, ScoredPoint } from '../core/detection-types.ts';
import { seriesKey } from '../core/detector.ts';
import { SINGLE_CHANNEL } from '../core/events/event-schema.ts';
import type {
  AlertPublisher,
  FeatureStateStore,
  QuarantinedState,
  SaveResult,
  TimeSeriesStore,
  VersionedState,
  WriteResult,
} from '../core/ports.ts';
import { type PublishLedger, transitionId } from './publish-ledger.ts';

/**
 * In-memory implementations of the ports for the local stack and tests. They are honest fakes: they behave
 * like the services at their worst, not their best. The time-series store records every write and flags
 * rewrites instead of letting the last one win silently; the publisher counts duplicates instead of dropping
 * them; the state store applies DynamoDB's optimistic versions and keeps quarantined states.
 */

/** A time range in epoch ms: `from` inclusive, `to` exclusive; either may be left open. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

/** A second write of a point already stored (same series, channel and timestamp). */
export interface Rewrite {
  readonly first: ScoredPoint;
  readonly second: ScoredPoint;
  /** True when the second write carries other scores or another value: a store would hold one of two truths. */
  readonly changed: boolean;
}

/**
 * {@link TimeSeriesStore} in memory, queryable by series, channel and time. Like Timestream it keeps the
 * first write of a series, channel and timestamp; every later write of one is recorded in {@link rewrites}
 * (a changed one is what a real store would get wrong). Each series is a time-ordered array, so the usual
 * write (a newer point) is an append.
 */
export class MemoryTimeSeriesStore implements TimeSeriesStore {
  private readonly bySeries = new Map<string, ScoredPoint[]>();
  private readonly names = new Map<string, Set<string>>();
  private writeCount = 0;
  /** Every rewrite so far, oldest first (bounded to the latest 10 000 on a long-running stack). */
  readonly rewrites: Rewrite[] = [];

  /** `retainPerSeries` bounds memory on a long-running local stack: a series' oldest points are dropped. */
  constructor(private readonly retainPerSeries = Number.POSITIVE_INFINITY) {}

  async write(points: readonly ScoredPoint[]): Promise<WriteResult> {
    for (const point of points) {
      this.writeCount += 1;
      const key = seriesKey(point.series, point.channel);
      let series = this.bySeries.get(key);
      if (!series) {
        series = [];
        this.bySeries.set(key, series);
        const channels = this.names.get(point.series) ?? new Set<string>();
        this.names.set(point.series, channels);
        channels.add(point.channel);
      }
      const last = series[series.length - 1];
      if (!last || point.timestamp > last.timestamp) {
        series.push(point);
      } else {
        const at = firstAtOrAfter(series, point.timestamp);
        const existing = series[at];
        if (existing?.timestamp === point.timestamp) this.recordRewrite(existing, point);
        else series.splice(at, 0, point);
      }
      // Trim in chunks: dropping one point at a time would shift the whole array on every write.
      if (series.length > this.retainPerSeries * 1.25 + 8) {
        series.splice(0, series.length - this.retainPerSeries);
      }
    }
    return { rejected: [] };
  }

  private recordRewrite(first: ScoredPoint, second: ScoredPoint): void {
    const changed =
      !sameNumber(first.value, second.value) ||
      !sameNumber(first.rawScore, second.rawScore) ||
      !sameNumber(first.probability, second.probability) ||
      first.anomalous !== second.anomalous ||
      first.modelVersion !== second.modelVersion;
    this.rewrites.push({ first, second, changed });
    if (this.rewrites.length > 10_000) this.rewrites.splice(0, this.rewrites.length - 10_000);
  }

  /** Points of `series` (and `channel`, `value` by default) within `range`, oldest first. */
  query(series: string, range: TimeRange = {}, channel: string = SINGLE_CHANNEL): ScoredPoint[] {
    const points = this.bySeries.get(seriesKey(series, channel)) ?? [];
    const from = firstAtOrAfter(points, range.from ?? Number.NEGATIVE_INFINITY);
    const to = firstAtOrAfter(points, range.to ?? Number.POSITIVE_INFINITY);
    return points.slice(Math.max(from, points.length - this.retainPerSeries), to);
  }

  /** Every series written so far, sorted. */
  series(): string[] {
    return [...this.names.keys()].sort();
  }

  /** The channels of `series` written so far, sorted. */
  channels(series: string): string[] {
    return [...(this.names.get(series) ?? [])].sort();
  }

  /** Number of stored points across all series. */
  get size(): number {
    let n = 0;
    for (const points of this.bySeries.values()) n += Math.min(points.length, this.retainPerSeries);
    return n;
  }

  /** Number of points written so far, rewrites included. */
  get writes(): number {
    return this.writeCount;
  }
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/**
 * {@link FeatureStateStore} in memory, with DynamoDB's semantics: copies out, optimistic versions, and
 * quarantined states kept aside in {@link quarantined}.
 */
export class MemoryStateStore implements FeatureStateStore {
  private readonly items = new Map<string, { stored: unknown; version: number }>();
  /** States moved aside as unreadable, oldest first. */
  readonly quarantined: QuarantinedState[] = [];

  /** Missing keys are absent from the result: such a series is new and starts at version 0. */
  async load(keys: readonly string[]): Promise<Map<string, VersionedState>> {
    const found = new Map<string, VersionedState>();
    for (const key of keys) {
      const item = this.items.get(key);
      if (!item) continue;
      const { stored } = item;
      const state =
        stored instanceof Uint8Array
          ? Buffer.from(stored)
          : typeof stored === 'string'
            ? parseJson(stored)
            : stored;
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
      this.items.set(entry.key, { stored, version: Math.max(entry.version, 0) + 1 });
    }
    return { conflicts };
  }

  async quarantine(entries: readonly QuarantinedState[]): Promise<void> {
    this.quarantined.push(...entries);
  }

  /**
   * Puts an item as it is, bypassing versions: for tests that need what no detector writes (a corrupted or
   * old-format state, an item without a readable version: {@link UNVERSIONED}).
   */
  putRaw(key: string, stored: unknown, version: number): void {
    this.items.set(key, { stored, version });
  }

  /** The stored version of `key`, 0 when absent. */
  versionOf(key: string): number {
    return this.items.get(key)?.version ?? 0;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * {@link AlertPublisher} in memory that keeps every published transition, duplicates included, as SNS would
 * deliver them: {@link duplicates} counts transitions published more than once.
 */
export class MemoryAlertPublisher implements AlertPublisher {
  private readonly counts = new Map<string, number>();
  private readonly captured: EpisodeTransition[] = [];

  async publish(transitions: readonly EpisodeTransition[]): Promise<void> {
    for (const transition of transitions) {
      const id = transitionId(transition);
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      this.captured.push(transition);
    }
  }

  /** Every transition published so far, duplicates included, oldest first. */
  get transitions(): readonly EpisodeTransition[] {
    return this.captured;
  }

  /** Publications beyond the first of each transition. */
  get duplicates(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count - 1;
    return n;
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
