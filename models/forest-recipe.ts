import { FEATURE_COUNT } from '../core/features/feature-schema.ts';
import { type IsolationForest, trainIsolationForest } from './isolation-forest/isolation-forest.ts';
import type { ModelCard } from './model-card.ts';
import { augmentTails } from './tail-augmentation.ts';

/**
 * The isolation forest's recipe, the one code path of both `npm run train` (the shipped model) and a retrain
 * (models/training-recipe.ts): the two differ only in the rows they pass in.
 */

/** ψ = 1024 gives deeper trees than Liu et al.'s 256: finer grading of the far range on real data (NAB). */
export const FOREST = { trees: 100, sampleSize: 1024 } as const;
/** Tail rows added before the forest is grown (augmentTails). */
export const TAILS = { fraction: 0.05, maxFactor: 20, limit: 20 } as const;
/** What a forest's card records as its hyper-parameters. */
export const FOREST_HYPERPARAMETERS: ModelCard['hyperparameters'] = {
  ...FOREST,
  tailFraction: TAILS.fraction,
  tailMaxFactor: TAILS.maxFactor,
};

/** Grows the forest on normal feature rows (N × FEATURE_COUNT), tails widened first; seeded, so reproducible. */
export function trainForest(rows: Float32Array, seed: number): IsolationForest {
  const widened = augmentTails(rows, FEATURE_COUNT, { ...TAILS, seed });
  return trainIsolationForest(widened, FEATURE_COUNT, { seed, ...FOREST });
}
