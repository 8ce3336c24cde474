import type { EpisodeTransition, ScoredPoint } from './detection-types.ts';

/**
 * Ports: what the detection core needs from the world. Adapters implement them for AWS (DynamoDB,
 * Timestream, SNS), for InfluxDB, and in memory for the local stack and tests.
 */

/** A series' serialized detector state with the version it was read at (optimistic concurrency). */
export interface VersionedState {
  readonly key: string;
  /** The state as stored: bytes (a packed checkpoint) or JSON-serializable data; anything, when corrupted. */
  readonly state: unknown;
  /**
   * Version read from the store; 0 when the series is new, {@link UNVERSIONED} when an item exists without a
   * readable version (a save at that version replaces it).
   */
  readonly version: number;
}

/** The version of a stored item that has none readable: only a quarantine-and-replace can move past it. */
export const UNVERSIONED = -1;

/** An unreadable stored state, moved aside so its series can start afresh and a person can inspect it. */
export interface QuarantinedState {
  readonly key: string;
  /** The stored state as read, kept as it was. */
  readonly state: unknown;
  readonly version: number;
  /** Why it could not be read. */
  readonly reason: string;
}

/** Outcome of a checkpoint: keys whose version moved on underneath us must be reloaded and retried. */
export interface SaveResult {
  readonly conflicts: readonly string[];
}

/** Per-series detector state, checkpointed once per series per batch. */
export interface FeatureStateStore {
  /** Never throws for an item's content: what cannot be parsed comes back as it is, for quarantine. */
  load(keys: readonly string[]): Promise<Map<string, VersionedState>>;
  /**
   * Writes `state` at `version + 1` (at 1 for {@link UNVERSIONED}) only if the stored version is still
   * `version`. May save some entries and then throw: callers cannot assume all or nothing.
   */
  save(entries: readonly VersionedState[]): Promise<SaveResult>;
  /** Keeps unreadable states aside (never where a series key can be) before their series start afresh. */
  quarantine(entries: readonly QuarantinedState[]): Promise<void>;
}

/** A point a time-series store refused for good (a retry would fail the same way), with its reason. */
export interface RejectedPoint {
  readonly point: ScoredPoint;
  readonly reason: string;
}

/** What a write did: every point stored, but for those refused for good. */
export interface WriteResult {
  readonly rejected: readonly RejectedPoint[];
}

/**
 * Where every scored point goes. Idempotent for the same series, channel and timestamp written with the
 * same scores. A point the store refuses for good is returned, not thrown, so its batch-mates are stored;
 * transient failures (throttling, outages) throw.
 */
export interface TimeSeriesStore {
  write(points: readonly ScoredPoint[]): Promise<WriteResult>;
}

/** Where episode transitions go. Each transition is delivered once, even when its batch is retried. */
export interface AlertPublisher {
  publish(transitions: readonly EpisodeTransition[]): Promise<void>;
}

/** Time, injectable so tests and the local stack control it. */
export interface Clock {
  now(): number;
}

/** A record that could not become an event, as sent to the dead-letter queue. */
export interface DeadLetter {
  /** Why the record was rejected: the rule it broke, naming the field for schema violations. */
  readonly reason: string;
  /** The record's original bytes, base64 (a user record's own bytes when it came from a KPL aggregate). */
  readonly data: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
}

/** Where rejected records go, with their reason; they never fail the batch. */
export interface DeadLetterSink {
  send(entries: readonly DeadLetter[]): Promise<void>;
}
