import type { ScoreReference } from '../learning/drift.ts';

/** Scores many feature rows at once; the detector calls it once per batch. */
export interface BatchScorer {
  /** Model version reported with every scored point. */
  readonly modelVersion: string;
  /** Deciles of the model's raw scores on its training rows: what the daily drift figure compares with. */
  readonly scoreReference?: ScoreReference;
  /** `features` holds `rows` rows of FEATURE_COUNT floats, row-major; returns one raw score per row. */
  score(features: Float32Array, rows: number): Promise<Float32Array>;
  /** Frees what the scorer holds (an inference session); optional, as not every scorer holds anything. */
  release?(): Promise<void>;
}
