/**
 * The feature vector every Seismo model consumes, declared once. The detector, the trainers and every
 * model card list these names in this order; a model whose card differs is refused.
 *
 * All features are scale-free z-scores, so one model serves series of any unit or magnitude. The list was
 * chosen on NAB (bench/nab): a medium horizon, a volatility ratio and a sampling-gap feature added noise
 * there, so they were dropped; irregular sampling is handled by time-aware decay instead.
 */
export const FEATURE_NAMES = [
  'z_short', // value against a fast (~6-point) EWMA, in units of the slow deviation
  'z_long', // value against a slow (~500-point) EWMA and its deviation
  'diff_z', // step from the previous point, in units of the typical step
  'level_shift', // fast mean against slow mean: a sustained move
  'seasonal_z', // value against the same hour of day seen before
] as const;

/** One feature's name. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Number of features per row (F in the model contract `features: float32[N, F]`). */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Version of the feature definitions; bump it whenever a feature's meaning changes. */
export const FEATURE_SCHEMA_VERSION = 1;
