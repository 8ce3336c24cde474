import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../core/features/feature-schema.ts';
import { scoreReference } from '../core/learning/drift.ts';
import { sha256Hex } from '../core/scoring/model-verification.ts';
import { scoreSamples as autoencoderScores, trainAutoencoder } from './autoencoder/autoencoder.ts';
import { exportAutoencoderOnnx } from './autoencoder/export-onnx.ts';
import { FOREST_HYPERPARAMETERS, trainForest } from './forest-recipe.ts';
import { exportIsolationForestOnnx } from './isolation-forest/export-onnx.ts';
import { scoreSamples as forestScores } from './isolation-forest/isolation-forest.ts';
import type { ModelCard } from './model-card.ts';
import { Random } from './random.ts';

/** The two algorithms a retrain trains. */
export type Algorithm = ModelCard['algorithm'];
/** Every algorithm a retrain trains, in the order of the train Map. */
export const ALGORITHMS: readonly Algorithm[] = ['isolation-forest', 'autoencoder'];

/** Autoencoder epochs, as for the shipped alternative model. */
export const AUTOENCODER_EPOCHS = 20;
/** Training rows of the scores the drift reference is cut from (a seeded sample of the training rows). */
const REFERENCE_ROWS = 50_000;

/** What a retrain's card records beyond the model itself; see ModelCard's `lineage`. */
export type Lineage = Omit<
  NonNullable<ModelCard['lineage']>,
  'scoreReference' | 'packages' | 'featureCode'
> & {
  readonly featureFingerprint: string;
};

/** A trained candidate: the ONNX bytes and its card. */
export interface Candidate {
  readonly algorithm: Algorithm;
  readonly onnx: Uint8Array;
  readonly card: ModelCard;
  /** Seconds spent training (not exporting or scoring). */
  readonly trainSeconds: number;
}

/** Options of {@link trainCandidate}. */
export interface TrainOptions {
  readonly seed: number;
  /** At most this many rows (a seeded sample) go into the autoencoder; all rows by default. */
  readonly autoencoderMaxRows?: number;
  readonly epochs?: number;
}

/**
 * Trains one candidate on feature rows the detector's own feature code produced, with the recipe of the
 * shipped model (the forest: 100 trees, ψ 1024, 5% tail rows; the autoencoder: 16-4-16, 20 epochs), seeded,
 * and writes the card with its lineage and the drift reference (deciles of its raw training scores).
 */
export async function trainCandidate(
  algorithm: Algorithm,
  rows: Float32Array,
  lineage: Lineage,
  options: TrainOptions,
): Promise<Candidate> {
  const n = rows.length / FEATURE_COUNT;
  const started = performance.now();
  let onnx: Uint8Array;
  let hyperparameters: ModelCard['hyperparameters'];
  let score: (sample: Float32Array) => ArrayLike<number>;
  let trainedRows = n;
  if (algorithm === 'isolation-forest') {
    const forest = trainForest(rows, options.seed);
    onnx = exportIsolationForestOnnx(forest, { producerVersion: lineage.trainer.version });
    hyperparameters = FOREST_HYPERPARAMETERS;
    score = (sample) => forestScores(forest, sample);
  } else {
    const epochs = options.epochs ?? AUTOENCODER_EPOCHS;
    const input = sampleRows(rows, options.autoencoderMaxRows ?? n, options.seed);
    trainedRows = input.length / FEATURE_COUNT;
    const model = await trainAutoencoder(input, FEATURE_COUNT, { seed: options.seed, epochs });
    onnx = exportAutoencoderOnnx(model, { featureNames: FEATURE_NAMES });
    hyperparameters = { hidden: model.hyperparameters.hidden, epochs, maxRows: trainedRows };
    score = (sample) => autoencoderScores(model, sample);
  }
  const trainSeconds = (performance.now() - started) / 1000;
  const { featureFingerprint, ...rest } = lineage;
  const card: ModelCard = {
    name: `seismo-${algorithm}`,
    version: lineage.runId,
    algorithm,
    featureNames: [...FEATURE_NAMES],
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    input: { name: 'features', shape: ['N', FEATURE_COUNT] },
    output: { name: 'score', shape: ['N', 1] },
    hyperparameters,
    training: {
      description: `retrained by ${lineage.runId} on ${lineage.series.count} series' archived history from ${lineage.trainingWindow.from} to ${lineage.trainingWindow.to}, the detector's own feature code, confirmed anomalies (with a margin) left out`,
      rows: trainedRows,
      seed: options.seed,
      window: lineage.trainingWindow,
    },
    metrics: {},
    onnxFile: 'model.onnx',
    sha256: sha256Hex(onnx),
    createdBy: lineage.trainer.name,
    lineage: {
      ...rest,
      featureCode: { schemaVersion: FEATURE_SCHEMA_VERSION, fingerprint: featureFingerprint },
      packages: packageVersions(),
      scoreReference: mutable(scoreReference(score(sampleRows(rows, REFERENCE_ROWS, options.seed + 1)))),
    },
  };
  return { algorithm, onnx, card, trainSeconds };
}

/** A seeded sample of at most `max` rows, in their original order (all rows when there are fewer). */
export function sampleRows(rows: Float32Array, max: number, seed: number): Float32Array {
  const n = rows.length / FEATURE_COUNT;
  if (n <= max) return rows;
  const random = new Random(seed);
  const picked = new Uint8Array(n);
  // Selection sampling (Knuth's algorithm S): exactly `max` rows, each equally likely, in one pass.
  let needed = max;
  for (let i = 0; i < n && needed > 0; i++) {
    if (random.next() * (n - i) < needed) {
      picked[i] = 1;
      needed -= 1;
    }
  }
  const out = new Float32Array(max * FEATURE_COUNT);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (picked[i]) out.set(rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), FEATURE_COUNT * k++);
  }
  return out;
}

/** Versions of what trained and will run the model: recorded in the card. */
export function packageVersions(): Record<string, string> {
  return {
    node: process.versions.node,
    '@tensorflow/tfjs': tf.version_core ?? 'unknown',
    'onnxruntime-node': ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown',
  };
}

function mutable(r: { edges: readonly number[]; fractions: readonly number[] }) {
  return { edges: [...r.edges], fractions: [...r.fractions] };
}
