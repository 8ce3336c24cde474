/**
 * The feature vector every Seismo model consumes, declared once. The detector, the trainers and every
 * model card list these names in this order; a model whose card differs is refused.
 *
 * All features are scale-free (z-scores, log-ratios), so one model serves series of any unit or magnitude.
 */
export const FEATURE_NAMES = [
  'z_short', // value against a fast EWMA, in units of the long-horizon deviation
  'z_mid', // value against a ~100-point EWMA and its own deviation
  'z_long', // value against a ~1000-point EWMA and its own deviation
  'diff_z', // step from the previous point, in units of the typical step
  'vol_ratio', // log of short-horizon over long-horizon deviation: bursts of noise
  'level_shift', // fast mean against slow mean: a sustained move
  'seasonal_z', // value against the same time of day seen before
  'gap', // log of the time since the previous point over the typical interval
] as const;

/** One feature's name. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Number of features per row (F in the model contract `features: float32[N, F]`). */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Version of the feature definitions; bump it whenever a feature's meaning changes. */
export const FEATURE_SCHEMA_VERSION = 1;
