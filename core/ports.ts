import type { EpisodeTransition, ScoredPoint } from './detection-types.ts';

/**
 * Ports: what the detection core needs from the world. Adapters implement them for AWS (DynamoDB,
 * Timestream, SNS), for InfluxDB, and in memory for the local stack and tests.
 */

/** A series' serialized detector state with the version it was read at (optimistic concurrency). */
export interface VersionedState {
  readonly key: string;
  /** JSON-serializable state as produced by the detector. */
  readonly state: unknown;
  /** Version read from the store; 0 when the series is new. */
  readonly version: number;
}

/** Outcome of a checkpoint: keys whose version moved on underneath us must be reloaded and retried. */
export interface SaveResult {
  readonly conflicts: readonly string[];
}

/** Per-series detector state, checkpointed once per series per batch. */
export interface FeatureStateStore {
  load(keys: readonly string[]): Promise<Map<string, VersionedState>>;
  /** Writes `state` at `version + 1` only if the stored version is still `version`. */
  save(entries: readonly VersionedState[]): Promise<SaveResult>;
}

/** Where every scored point goes. Must be idempotent for the same series and timestamp. */
export interface TimeSeriesStore {
  write(points: readonly ScoredPoint[]): Promise<void>;
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
