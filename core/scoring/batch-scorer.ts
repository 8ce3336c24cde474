/** Scores many feature rows at once; the detector calls it once per batch. */
export interface BatchScorer {
  /** Model version reported with every scored point. */
  readonly modelVersion: string;
  /** `features` holds `rows` rows of FEATURE_COUNT floats, row-major; returns one raw score per row. */
  score(features: Float32Array, rows: number): Promise<Float32Array>;
  /** Frees what the scorer holds (an inference session); optional, as not every scorer holds anything. */
  release?(): Promise<void>;
}
