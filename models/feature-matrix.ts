import { computeFeatures, newFeatureState, updateFeatureState } from '../core/features/feature-engine.ts';
import { FEATURE_COUNT } from '../core/features/feature-schema.ts';

/**
 * Runs a series through the detector's own feature engine and returns its feature rows, so that models
 * are trained on exactly what the detector will feed them. `state` is advanced in place.
 */
export function featureMatrix(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  state = newFeatureState(),
): Float32Array {
  const out = new Float32Array(values.length * FEATURE_COUNT);
  for (let i = 0; i < values.length; i++) {
    const t = timestamps[i] as number;
    const v = values[i] as number;
    computeFeatures(state, t, v, out, i * FEATURE_COUNT);
    updateFeatureState(state, t, v);
  }
  return out;
}

/** Area under the ROC curve of `scores` against 0/1 `labels` (ties count half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k] as number] === 1) {
        positives += 1;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
