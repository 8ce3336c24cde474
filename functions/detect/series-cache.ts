import { newSeriesDetectorState, type SeriesDetectorState } from '../../core/detector.ts';
import type { FeatureStateStore, QuarantinedState } from '../../core/ports.ts';
import { type Checkpoint, decodeCheckpoint, type Outbox, sequenceAfter } from './checkpoint.ts';

/** Where a warm series' checkpoint stands, as this container last saw or wrote it. */
export interface CheckpointMark {
  /** The stored version the next save is conditional on. */
  version: number;
  /** Shard and sequence number of the last record folded into the state; '' before the first. */
  shard: string;
  sequence: string;
  /** The stored outbox when this container does not know it delivered; null once delivered. */
  pending: Outbox | null;
}

/** A checkpoint that could not be read and was moved aside; its series starts afresh. */
export interface Quarantine {
  readonly key: string;
  readonly reason: string;
}

/**
 * A container's warm series: detector states as the detector left them after the last checkpoint (handed
 * to it as they are, no copies) and where each checkpoint stands. Another container may have moved a series
 * on since: the conditional save catches that, and the series is then forgotten and reloaded.
 */
export class SeriesCache {
  /** Warm states by series key; the detector reads and advances them in place. */
  readonly states = new Map<string, SeriesDetectorState>();
  private readonly marks = new Map<string, CheckpointMark>();

  constructor(
    private readonly store: FeatureStateStore,
    private readonly maxSeries: number,
  ) {}

  /**
   * Loads the checkpoints of `keys` that are not warm. Series never stored stay absent (new); a checkpoint
   * that cannot be read is quarantined (kept aside, reported) and its series starts afresh at the stored
   * version, so only that series is affected.
   */
  async warmUp(keys: Iterable<string>): Promise<Quarantine[]> {
    const cold: string[] = [];
    for (const key of keys) if (!this.states.has(key)) cold.push(key);
    if (cold.length === 0) return [];
    const unreadable: QuarantinedState[] = [];
    const loaded = new Map<string, { checkpoint: Checkpoint; version: number }>();
    for (const [key, stored] of await this.store.load(cold)) {
      if (stored.state === undefined) {
        // An expired item the table's TTL has not deleted yet: the series starts afresh over it.
        loaded.set(key, { checkpoint: freshCheckpoint(), version: stored.version });
        continue;
      }
      try {
        loaded.set(key, { checkpoint: decodeCheckpoint(stored.state, key), version: stored.version });
      } catch (error) {
        unreadable.push({ ...stored, reason: (error as Error).message });
        loaded.set(key, { checkpoint: freshCheckpoint(), version: stored.version });
      }
    }
    // Moved aside before anything overwrites them; if this fails, the batch is retried and nothing is lost.
    if (unreadable.length > 0) await this.store.quarantine(unreadable);
    for (const [key, { checkpoint, version }] of loaded) {
      this.states.set(key, checkpoint.state);
      const { shard, sequence, outbox } = checkpoint;
      const pending = outbox.points.length > 0 || outbox.transitions.length > 0 ? outbox : null;
      this.marks.set(key, { version, shard, sequence, pending });
    }
    return unreadable.map(({ key, reason }) => ({ key, reason }));
  }

  /**
   * True when the record at `sequence` of `shard` is already folded into `key`'s checkpoint. Sequence
   * numbers are compared only within the shard that wrote the checkpoint (a checkpoint of the first format
   * has no shard and is compared as before).
   */
  applied(key: string, shard: string, sequence: string): boolean {
    const mark = this.marks.get(key);
    if (!mark || (mark.shard !== '' && mark.shard !== shard)) return false;
    return !sequenceAfter(sequence, mark.sequence);
  }

  mark(key: string): CheckpointMark | undefined {
    return this.marks.get(key);
  }

  /** Records a successful save of `key` at `version + 1` (at 1 over an unversioned item). */
  saved(key: string, shard: string, sequence: string, outbox: Outbox): void {
    const mark = this.marks.get(key);
    if (!mark) {
      this.marks.set(key, { version: 1, shard, sequence, pending: outbox });
      return;
    }
    // Updated in place: this runs for every series of every batch.
    mark.version = Math.max(mark.version, 0) + 1;
    mark.shard = shard;
    mark.sequence = sequence;
    mark.pending = outbox;
  }

  /** Records that `key`'s pending outbox reached every sink. */
  delivered(key: string): void {
    const mark = this.marks.get(key);
    if (mark) mark.pending = null;
  }

  /** Drops a series whose warm state may be ahead of or behind what is stored: the next batch reloads it. */
  forget(key: string): void {
    this.states.delete(key);
    this.marks.delete(key);
  }

  /** Drops the longest-warm series beyond the limit (a map iterates in insertion order). */
  evictBeyondLimit(): void {
    for (const key of this.states.keys()) {
      if (this.states.size <= this.maxSeries) return;
      this.forget(key);
    }
  }
}

function freshCheckpoint(): Checkpoint {
  return {
    state: newSeriesDetectorState(),
    shard: '',
    sequence: '',
    outbox: { points: [], transitions: [] },
  };
}
