import { FEATURE_COUNT, FEATURE_NAMES } from '../../core/features/feature-schema.ts';
import type { BatchScorer } from '../../core/scoring/batch-scorer.ts';

const Z_LONG = FEATURE_NAMES.indexOf('z_long');

/**
 * The simplest model worth beating: a rolling z-score. Its raw score is |z_long|, the point against the
 * series' slow (≈500-point) mean in units of its deviation, then it goes through the same calibration and
 * episodes as any model. A learned model that cannot beat it is not worth its complexity.
 */
export class ZScoreBaseline implements BatchScorer {
  readonly modelVersion = 'baseline-rolling-zscore';

  async score(features: Float32Array, rows: number): Promise<Float32Array> {
    const out = new Float32Array(rows);
    for (let i = 0; i < rows; i++) out[i] = Math.abs(features[i * FEATURE_COUNT + Z_LONG] as number);
    return out;
  }
}
