import type { ArchiveReader } from '../../core/learning/archive.ts';
import type { LabelSource } from '../../core/learning/labels.ts';
import type { ObjectStore } from '../../core/learning/object-store.ts';
import type { ModelRegistry } from '../../core/learning/registry.ts';
import type { WatchSource } from '../../core/learning/watch.ts';
import type { GateMargins } from '../../models/evaluation/gate.ts';

/** What the retraining steps need from the world; the Lambda builds it from its environment, tests from stand-ins. */
export interface RetrainDeps {
  /** The learning bucket: run work files under `runs/<runId>/`. */
  readonly objects: ObjectStore;
  readonly archive: ArchiveReader;
  readonly labels: LabelSource;
  readonly registry: ModelRegistry;
  readonly watch: WatchSource;
  /** The model to compare against while the registry has no champion: the layer's default model. */
  readonly fallbackModelDir: string;
  readonly settings: RetrainSettings;
  /** `git rev-parse HEAD` of the code that trains, recorded in cards. */
  readonly gitRevision: string;
  readonly trainerVersion: string;
  readonly now: () => number;
}

/** The knobs of a retrain; the defaults suit five-minute metrics. */
export interface RetrainSettings {
  readonly trainingDays: number;
  readonly holdoutDays: number;
  /** Series are hashed into this many shards; each non-empty one is one Map iteration. */
  readonly maxShards: number;
  /** Share of shards that may fail (their series left out) before the run gives up. */
  readonly maxFailedShardFraction: number;
  /** Confirmed anomalies are left out of training with this margin on both sides. */
  readonly exclusionMarginMs: number;
  /** Training-window points before the holdout that warm each model's state during evaluation. */
  readonly warmupPoints: number;
  /** The autoencoder trains on a seeded sample of at most this many rows (it fits a Lambda then; see docs). */
  readonly autoencoderMaxRows: number;
  readonly seed: number;
  /** How long the challenger is shadowed before promotion, and how long a promotion is watched. */
  readonly shadowSeconds: number;
  readonly watchSeconds: number;
  /** Fewer training rows than this: the run stops (NotEnoughHistory). */
  readonly minTrainingRows: number;
  /** The gate's margins, when not the defaults (a negative margin asks the challenger to be better by it). */
  readonly gateMargins?: Partial<GateMargins>;
}

/** Two weeks of training, two days of holdout, a day of shadow, six hours of watch. */
export const DEFAULT_SETTINGS: RetrainSettings = {
  trainingDays: 14,
  holdoutDays: 2,
  maxShards: 40,
  maxFailedShardFraction: 0.25,
  exclusionMarginMs: 3_600_000,
  warmupPoints: 600,
  autoencoderMaxRows: 200_000,
  seed: 20261125,
  shadowSeconds: 86_400,
  watchSeconds: 21_600,
  minTrainingRows: 1_000,
};

/** Keys of one run's work files in the learning bucket. */
export const runKeys = (runId: string) => ({
  plan: `runs/${runId}/plan.json`,
  shardPart: (shard: number, part: number) =>
    `runs/${runId}/shards/${shard}/part-${String(part).padStart(5, '0')}.jsonl.gz`,
  shardParts: (shard: number) => `runs/${runId}/shards/${shard}/`,
  features: (shard: number) => `runs/${runId}/features/${shard}.f32`,
  holdout: (shard: number) => `runs/${runId}/holdout/${shard}.json.gz`,
  candidate: (algorithm: string) => `runs/${runId}/candidates/${algorithm}`,
  report: `runs/${runId}/report`,
});

/** The run cannot train: its window holds too little history. Not retried; the run ends and notifies. */
export class NotEnoughHistory extends Error {
  override readonly name = 'NotEnoughHistory';
}

/** Too many shards failed for the rest to stand for the fleet. */
export class TooManyShardsFailed extends Error {
  override readonly name = 'TooManyShardsFailed';
}

/** A step was called with input it cannot use (a wiring error in the state machine). */
export class StepInputError extends Error {
  override readonly name = 'StepInputError';
}

/** Every candidate failed to train: nothing to judge. The causes are in the message. */
export class NoCandidate extends Error {
  override readonly name = 'NoCandidate';
}
