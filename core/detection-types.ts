/**
 * What the detection core produces for each point and each episode change. These shapes cross every
 * port: the time-series store writes `ScoredPoint`s, the alert publisher sends `EpisodeTransition`s.
 */

/** Severity of an anomaly episode, from its peak probability. */
export type Severity = 'warning' | 'critical';

/** One measurement after scoring. A multi-channel event yields one point per channel. */
export interface ScoredPoint {
  /** The event's series, as sent. */
  readonly series: string;
  /** The measurement's channel: `value` for a single-value event, else the name in the event's `values`. */
  readonly channel: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
  /** The model's raw output: higher is more anomalous, unbounded. */
  readonly rawScore: number;
  /** Calibrated anomaly probability in [0, 1], relative to this series' own history. */
  readonly probability: number;
  /** True while the series is inside an anomaly episode. */
  readonly anomalous: boolean;
  readonly modelVersion: string;
}

/** A feature's contribution to an anomaly, for the alert text. */
export interface FeatureContribution {
  readonly name: string;
  readonly value: number;
}

/** A change in a series' anomaly episode: the unit of alerting (one incident, one episode). */
export interface EpisodeTransition {
  readonly kind: 'opened' | 'resolved' | 'escalated';
  /**
   * Stable, opaque id of the episode (hex, from series, channel and start time): the same in every message
   * about it, safe as a key in any system (dedup keys, message ids). Used to publish each transition once.
   */
  readonly episodeId: string;
  /** The event's series, as sent. */
  readonly series: string;
  /** The channel: `value` for single-value events. Series and channel together identify the measurement. */
  readonly channel: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly severity: Severity;
  /** Epoch ms of the first anomalous point. */
  readonly startedAt: number;
  /** Epoch ms of the latest point seen by the episode. */
  readonly lastSeenAt: number;
  readonly peakProbability: number;
  readonly value: number;
  /** The range the series was expected in at `lastSeenAt` (mean ± 3 deviations). */
  readonly expected: { readonly low: number; readonly high: number };
  readonly topFeatures: readonly FeatureContribution[];
  readonly modelVersion: string;
}
