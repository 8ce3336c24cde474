import { FEATURE_COUNT } from '../core/features/feature-schema.ts';
import { type ScoreReference, scoreReference } from '../core/learning/drift.ts';
import type { BatchScorer } from '../core/scoring/batch-scorer.ts';
import { featureMatrix } from './feature-matrix.ts';
import type { ModelCard } from './model-card.ts';
import { generateCorpus } from './synthetic-data.ts';

const WARM_UP = 64;

/**
 * The reference the daily drift figure compares a model's raw scores with: the card's own (a retrained
 * model records the deciles of its training scores), or, for the shipped default model whose card predates
 * that, the deciles of its scores on the normal rows of the synthetic corpus it was trained on.
 */
export async function modelScoreReference(card: ModelCard, scorer: BatchScorer): Promise<ScoreReference> {
  if (card.lineage) return card.lineage.scoreReference;
  const parts: Float32Array[] = [];
  for (const s of generateCorpus({ seed: card.training.seed })) {
    const m = featureMatrix(s.timestamps, s.values);
    for (let i = WARM_UP; i < s.values.length; i++) {
      if (s.labels[i] === 0) parts.push(m.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    }
  }
  const rows = new Float32Array(parts.length * FEATURE_COUNT);
  parts.forEach((p, i) => {
    rows.set(p, i * FEATURE_COUNT);
  });
  return scoreReference(await scorer.score(rows, parts.length));
}
